import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// How well a model knows the world's classes by name, without any pixel labels: for each
/// class, the cosine between each held-out image and the prompt "a photo of a {class}." is
/// used as a score for "the class is in the image", and its ROC AUC is measured against the
/// scenes' true class lists (0.5 = chance, 1 = every image with the class scores above every
/// image without it).
///
/// ```swift
/// let auc = try ZeroShotPresence.areaUnderCurve(model: model, batches: batches, count: 256)
/// auc.mean     // e.g. 0.9
/// ```
public enum ZeroShotPresence {
    /// Per-class AUC (by class index; NaN when a class never or always appears) and the mean
    /// over the defined ones.
    public static func areaUnderCurve(model: MiniCLIP, batches: WorldCaptionBatches, count: Int = 256,
                                      chunk: Int = 64) throws -> (perClass: [Double], mean: Double) {
        let classes = batches.world.vocabulary.classes
        let prompts = try batches.tokenizer.tokenize(classes.map { "a photo of a \($0.name)." },
                                                     contextLength: model.config.contextLength, truncate: true)
        let E = model.config.embedDim, K = classes.count
        let text = l2NormalizeForward(model.textForward(prompts.flatMap { $0 }, batch: K).embedding, N: K, C: E).y
        var scores: [[Double]] = Array(repeating: [], count: K)
        var present: [[Bool]] = Array(repeating: [], count: K)
        var first = WorldCaptionBatches.validationStart
        var remaining = count
        while remaining > 0 {
            let n = min(chunk, remaining)
            let batch = try batches.batch(first: first, size: n)
            let image = l2NormalizeForward(model.imageForward(batch.pixels, batch: n).embedding, N: n, C: E).y
            let cosines = matrixProduct(image, text, M: n, K: E, N: K, transposeB: true)
            for (b, scene) in batch.scenes.enumerated() {
                for k in 0..<K {
                    scores[k].append(Double(cosines[b * K + k]))
                    present[k].append(scene.classes.contains(classes[k]))
                }
            }
            first += n
            remaining -= n
        }
        let perClass = (0..<K).map { rocAUC(scores: scores[$0], positive: present[$0]) }
        return (perClass, meanOfDefined(perClass))
    }

    /// The mean of the AUCs that are defined (not NaN); NaN when none is.
    static func meanOfDefined(_ aucs: [Double]) -> Double {
        let defined = aucs.filter { !$0.isNaN }
        return defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
    }

    /// ROC AUC: the probability that a random positive scores above a random negative (ties
    /// count half), by ranks (Mann-Whitney U). NaN without positives or negatives.
    static func rocAUC(scores: [Double], positive: [Bool]) -> Double {
        let ranks = averageRanks(scores)
        let positives = positive.filter { $0 }.count, negatives = positive.count - positives
        guard positives > 0 && negatives > 0 else { return .nan }
        let rankSum = zip(ranks, positive).filter(\.1).map(\.0).reduce(0, +)
        return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }
}
