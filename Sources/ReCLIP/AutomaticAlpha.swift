import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// A label-free choice of the rectification strength for one image (docs/reclip.md, "Automatic
/// alpha").
///
/// The image-level zero-shot prediction (the global embedding against the text classifier) is
/// CLIP's answer to "what is in this picture", made without any patch or position: it carries
/// no space-preference bias. A rectified mask that fills the picture with classes the global
/// prediction thinks absent has been pushed too far; one that keeps to the classes it believes
/// present has not. So for each candidate alpha the mask's class shares are scored by the
/// expected log-probability of its pixels under the image-level prediction,
///
///     score(alpha) = sum_k share_alpha[k] * log softmax(image logits)[k],
///
/// and the best-scoring alpha is taken (ties go to the smaller one, the less rectified).
/// Shares are counted on the patch grid, without upsampling, so a choice costs a few arg-maxes.
///
/// ```swift
/// let alpha = AutomaticAlpha.choose(maps)      // 0 ... 2 in steps of 0.1, or nil without a bias or image logits
/// ```
public enum AutomaticAlpha {
    /// The alphas tried: 0, 0.1, ..., 2.
    public static let candidates: [Float] = (0...20).map { Float($0) / 10 }

    /// The chosen alpha, or nil when the maps have no bias or no image-level logits.
    public static func choose(_ maps: SegmentationMaps, hidden: Set<Int> = []) -> Float? {
        guard maps.hasBias, let logits = maps.imageLogits, logits.count == maps.classCount else { return nil }
        let logProbability = logSoftmax(logits)
        var best: (alpha: Float, score: Double)?
        for alpha in candidates {
            let s = score(maps, alpha: alpha, logProbability: logProbability, hidden: hidden)
            if best == nil || s > best!.score + 1e-12 { best = (alpha, s) }
        }
        return best?.alpha
    }

    /// `sum_k share[k] * logProbability[k]` for the mask at `alpha` on the patch grid.
    public static func score(_ maps: SegmentationMaps, alpha: Float, logProbability: [Double], hidden: Set<Int> = []) -> Double {
        let labels = maps.labels(alpha: alpha, width: maps.gridWidth, height: maps.gridHeight, hidden: hidden)
        var total = 0.0
        for l in labels { total += logProbability[Int(l)] }
        return total / Double(max(1, labels.count))
    }

    /// log softmax in double precision.
    static func logSoftmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max() ?? 0)
        let lse = m + log(x.reduce(0.0) { $0 + exp(Double($1) - m) })
        return x.map { Double($0) - lse }
    }
}
