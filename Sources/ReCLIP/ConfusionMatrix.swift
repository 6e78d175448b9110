import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// Pixel counts of (ground truth, prediction) pairs over a whole split, and the metrics
/// mmsegmentation derives from them: per-class IoU = |P ∩ G| / |P ∪ G| (NaN when a class has
/// neither ground truth nor prediction, left out of the mean as `nanmean` does), mIoU, and
/// pixel accuracy = correct / labelled pixels. Pixels whose label is `ignoreIndex` are skipped.
///
/// ```swift
/// var m = ConfusionMatrix(classCount: 20)
/// m.add(prediction: labels, groundTruth: mask, reduceZeroLabel: true)   // VOC: 0 -> ignore, k -> k-1
/// print(m.meanIoU, m.pixelAccuracy)
/// ```
public struct ConfusionMatrix: Sendable, Equatable {
    public let classCount: Int
    /// `counts[g * classCount + p]`: pixels of ground truth g predicted as p.
    public private(set) var counts: [Int]
    public let ignoreIndex: Int

    public init(classCount: Int, ignoreIndex: Int = 255) {
        self.classCount = classCount
        self.ignoreIndex = ignoreIndex
        counts = [Int](repeating: 0, count: classCount * classCount)
    }

    /// A matrix of stored counts (`counts[g * classCount + p]`, non-negative), as an evaluation
    /// shard file keeps them.
    public init?(classCount: Int, counts: [Int], ignoreIndex: Int = 255) {
        guard classCount > 0, counts.count == classCount * classCount, counts.allSatisfy({ $0 >= 0 }) else { return nil }
        self.classCount = classCount
        self.ignoreIndex = ignoreIndex
        self.counts = counts
    }

    /// Adds one image. With `reduceZeroLabel` (VOC's 20-class protocol), ground truth 0 becomes
    /// ignored and every other label is decreased by one (255 stays ignored). Labels outside
    /// `0..<classCount` after that are ignored too; predictions must lie in `0..<classCount`.
    public mutating func add(prediction: [Int32], groundTruth: [UInt8], reduceZeroLabel: Bool) {
        precondition(prediction.count == groundTruth.count, "prediction and ground truth sizes differ")
        let K = classCount
        for i in 0..<prediction.count {
            var g = Int(groundTruth[i])
            if g == ignoreIndex { continue }
            if reduceZeroLabel { if g == 0 { continue }; g -= 1 }
            guard g < K else { continue }
            let p = Int(prediction[i])
            precondition(p >= 0 && p < K, "prediction \(p) outside 0..<\(K)")
            counts[g * K + p] += 1
        }
    }

    /// Adds another matrix of the same classes (a shard, or one image's).
    public mutating func add(_ other: ConfusionMatrix) {
        precondition(other.classCount == classCount && other.ignoreIndex == ignoreIndex, "confusion matrices of different classes")
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    /// Pixels predicted correctly, per class.
    public var intersection: [Int] { (0..<classCount).map { counts[$0 * classCount + $0] } }
    /// Labelled pixels per ground-truth class.
    public var groundTruthArea: [Int] { (0..<classCount).map { g in (0..<classCount).reduce(0) { $0 + counts[g * classCount + $1] } } }
    /// Predicted pixels per class.
    public var predictionArea: [Int] { (0..<classCount).map { p in (0..<classCount).reduce(0) { $0 + counts[$1 * classCount + p] } } }

    /// IoU per class; NaN for a class absent from both ground truth and prediction.
    public var perClassIoU: [Double] {
        let i = intersection, g = groundTruthArea, p = predictionArea
        return (0..<classCount).map { k in
            let u = g[k] + p[k] - i[k]
            return u == 0 ? .nan : Double(i[k]) / Double(u)
        }
    }

    /// Mean of the non-NaN per-class IoUs (NaN if every class is NaN).
    public var meanIoU: Double {
        let v = perClassIoU.filter { !$0.isNaN }
        return v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
    }

    /// Correct pixels over labelled pixels.
    public var pixelAccuracy: Double {
        let total = counts.reduce(0, +)
        return total == 0 ? .nan : Double(intersection.reduce(0, +)) / Double(total)
    }
}
