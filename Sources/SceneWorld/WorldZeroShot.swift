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
///   AUC against the scenes' class lists (0.5 = chance), and the mean over the classes;
/// - softmax presence AUC: the same with the scene's CLIP probability of the class (the softmax
///   of its cosines over the classes at the model's logit scale) as the score. A cosine compares
///   scenes whose embeddings sit nearer or further from every prompt at once; the probability
///   compares each scene's classes among themselves first, so the two AUCs apart say how much of
///   a low presence AUC is that per-scene offset rather than the ranking of the classes.
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
    /// The same, scored by each scene's softmax probability of the class (`presenceScores`).
    public let softmaxPresenceAUC: [Double]
    /// The classes, in index order.
    public let classes: [WorldClass]

    /// Mean presence AUC over the classes where it is defined.
    public var meanPresenceAUC: Double { ZeroShotPresence.meanOfDefined(presenceAUC) }
    /// Mean softmax presence AUC over the classes where it is defined.
    public var meanSoftmaxPresenceAUC: Double { ZeroShotPresence.meanOfDefined(softmaxPresenceAUC) }

    /// One scene's presence scores from its K cosines: the cosines themselves, and CLIP's
    /// probabilities softmax(exp(logScale) * cosine) over the K classes (shifted by the largest
    /// cosine before exp, so no scale overflows).
    public static func presenceScores(cosines: [Float], logScale: Float) -> (cosine: [Double], softmax: [Double]) {
        let scale = exp(Double(logScale)), top = Double(cosines.max() ?? 0)
        let e = cosines.map { exp(scale * (Double($0) - top)) }, z = e.reduce(0, +)
        return (cosines.map(Double.init), e.map { $0 / z })
    }

    /// Evaluates scenes `first ..< first + count` of `world` at input size `size`.
    public static func evaluate(model: CLIPModel, world: WorldGenerator, first: Int = 0, count: Int,
                                size: Int = 96) throws -> WorldZeroShot {
        let classes = world.vocabulary.classes, K = classes.count, D = model.architecture.embedDim
        let classifier = try TextClassifier(model: model, classes: classes.map(\.name), tokenizer: CLIPTokenizer.shared())
        var scores: [[Double]] = Array(repeating: [], count: K), probabilities = scores
        var present: [[Bool]] = Array(repeating: [], count: K)
        var correct = 0
        for index in first..<(first + count) {
            let scene = world.scene(index: index)
            let input = ImagePreprocessing.globalInput(scene.image, size: size)
            let image = l2NormalizeForward(model.encodeImage(input).data, N: 1, C: D).y
            let cosines = matrixProduct(image, classifier.weights, M: 1, K: D, N: K, transposeB: true)
            let scored = presenceScores(cosines: cosines, logScale: model.logitScale)
            var best = 0
            for k in 0..<K {
                scores[k].append(scored.cosine[k])
                probabilities[k].append(scored.softmax[k])
                present[k].append(scene.classes.contains(classes[k]))
                if cosines[k] > cosines[best] { best = k }
            }
            if scene.classes.contains(classes[best]) { correct += 1 }
        }
        return WorldZeroShot(images: count, topOneAccuracy: Double(correct) / Double(max(count, 1)),
                             presenceAUC: (0..<K).map { ZeroShotPresence.rocAUC(scores: scores[$0], positive: present[$0]) },
                             softmaxPresenceAUC: (0..<K).map { ZeroShotPresence.rocAUC(scores: probabilities[$0], positive: present[$0]) },
                             classes: classes)
    }

    /// A text report: top-1 accuracy, the mean presence AUCs, then per class.
    public var table: String {
        var lines = [String(format: "%d scenes  top-1 accuracy %.3f  mean presence AUC %.3f (by softmax %.3f)",
                            images, topOneAccuracy, meanPresenceAUC, meanSoftmaxPresenceAUC),
                     "class      cosine softmax"]
        for (k, c) in classes.enumerated() {
            lines.append(c.name.padding(toLength: 10, withPad: " ", startingAt: 0)
                         + String(format: " %.3f  %.3f", presenceAUC[k], softmaxPresenceAUC[k]))
        }
        return lines.joined(separator: "\n")
    }
}
