import Pixels
import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// Zero-shot image classification of generated scenes by any CLIP the engine loads (the
/// bundled small CLIP or ViT-B/16): each scene's global image embedding against the
/// 85-template text classifier of the world's classes (its vocabulary's).
///
/// - top-1 accuracy: the share of scenes whose best-scoring class is in the scene;
/// - presence AUC: per class, the cosine as a score for "the class is in the scene", its ROC
///   AUC against the scenes' class lists (0.5 = chance), and the mean over the classes.
///
/// ```swift
/// let report = try WorldZeroShot.evaluate(model: model, world: WorldGenerator(seed: 777), count: 200)
/// print(report.table)
/// ```
public struct WorldZeroShot: Sendable {
    /// Scenes evaluated.
    public let images: Int
    /// Share of scenes whose top class is present.
    public let topOneAccuracy: Double
    /// Presence ROC AUC per class (index order; NaN if a class is in all or none of the scenes).
    public let presenceAUC: [Double]
    /// The classes, in index order.
    public let classes: [WorldClass]

    /// Mean presence AUC over the classes where it is defined.
    public var meanPresenceAUC: Double {
        let defined = presenceAUC.filter { !$0.isNaN }
        return defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
    }

    /// Evaluates scenes `first ..< first + count` of `world` at input size `size`.
    public static func evaluate(model: CLIPModel, world: WorldGenerator, first: Int = 0, count: Int,
                                size: Int = 96) throws -> WorldZeroShot {
        let classes = world.vocabulary.classes, K = classes.count, D = model.architecture.embedDim
        let classifier = try TextClassifier(model: model, classes: classes.map(\.name), tokenizer: CLIPTokenizer.shared())
        var scores: [[Double]] = Array(repeating: [], count: K), present: [[Bool]] = Array(repeating: [], count: K)
        var correct = 0
        for index in first..<(first + count) {
            let scene = world.scene(index: index)
            let input = ImagePreprocessing.globalInput(scene.image, size: size)
            let image = l2NormalizeForward(model.encodeImage(input).data, N: 1, C: D).y
            let cosines = matrixProduct(image, classifier.weights, M: 1, K: D, N: K, transposeB: true)
            var best = 0
            for k in 0..<K {
                scores[k].append(Double(cosines[k]))
                present[k].append(scene.classes.contains(classes[k]))
                if cosines[k] > cosines[best] { best = k }
            }
            if scene.classes.contains(classes[best]) { correct += 1 }
        }
        return WorldZeroShot(images: count, topOneAccuracy: Double(correct) / Double(max(count, 1)),
                             presenceAUC: (0..<K).map { ZeroShotPresence.rocAUC(scores: scores[$0], positive: present[$0]) },
                             classes: classes)
    }

    /// A text report: top-1 accuracy, mean presence AUC, then per class.
    public var table: String {
        var lines = [String(format: "%d scenes  top-1 accuracy %.3f  mean presence AUC %.3f", images, topOneAccuracy, meanPresenceAUC)]
        for (k, c) in classes.enumerated() {
            lines.append(c.name.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: " %.3f", presenceAUC[k]))
        }
        return lines.joined(separator: "\n")
    }
}
