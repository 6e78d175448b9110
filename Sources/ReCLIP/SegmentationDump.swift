import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// The maps of one image as a safetensors file, for other tools: F32 `raw`, `class_bias`,
/// `space_bias`, `bias`, `rectified` (= raw - alpha * bias) and `output` (after the ReCLIP++
/// decoder; equal to `rectified` for ReCLIP and raw MaskCLIP), each `[K, h, w]` on the feature
/// grid, and `classifier` `[K, D]`. Without a rectifier the bias tensors are zeros and the
/// metadata says `"rectifier": "none"`.
public struct SegmentationDump: Sendable {
    public let maps: SegmentationMaps
    public let classifier: TextClassifier
    public let alpha: Float

    public init(maps: SegmentationMaps, classifier: TextClassifier, alpha: Float) {
        self.maps = maps; self.classifier = classifier; self.alpha = alpha
    }

    /// The named tensors in file order.
    public var tensors: [(name: String, tensor: Tensor)] {
        let shape = [maps.classCount, maps.gridHeight, maps.gridWidth]
        let zeros = [Float](repeating: 0, count: maps.raw.count)
        func t(_ v: [Float]?) -> Tensor { Tensor(shape: shape, data: v ?? zeros) }
        return [("raw", t(maps.raw)), ("class_bias", t(maps.classBias)), ("space_bias", t(maps.spaceBias)),
                ("bias", t(maps.bias)), ("rectified", t(maps.rectified(alpha: alpha))), ("output", t(maps.output(alpha: alpha))),
                ("classifier", Tensor(shape: [classifier.classCount, classifier.embedDim], data: classifier.weights))]
    }

    public func write(to url: URL) throws {
        let names = String(data: try JSONSerialization.data(withJSONObject: maps.classNames), encoding: .utf8) ?? "[]"
        let variant = maps.decoderBase != nil ? "reclip++" : (maps.hasBias ? "reclip" : "none")
        try SafeTensorsWriter.write(tensors, metadata: ["classes": names, "alpha": "\(alpha)", "rectifier": variant],
                                    to: url.path)
    }
}

/// A short text report of one segmentation: grid, timing, and each class's share of the mask.
public struct SegmentationSummary: Sendable {
    public let text: String

    public init(maps: SegmentationMaps, labels: [Int32], alpha: Float, seconds: Double) {
        var counts = [Int](repeating: 0, count: maps.classCount)
        for l in labels where l >= 0 && Int(l) < counts.count { counts[Int(l)] += 1 }
        let mode = maps.hasBias ? String(format: "rectified, alpha %.2f", alpha) : "raw MaskCLIP"
        var lines = [String(format: "%dx%d feature grid, %d classes, %@, %.2f s", maps.gridWidth, maps.gridHeight,
                            maps.classCount, mode, seconds)]
        let total = max(1, labels.count)
        let width = (maps.classNames.map(\.count).max() ?? 4) + 2
        for (i, name) in maps.classNames.enumerated() {
            lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: "%6.1f %%", 100 * Double(counts[i]) / Double(total)))
        }
        text = lines.joined(separator: "\n")
    }
}

/// One line of training progress for a terminal: epoch, step, loss, ETA and a bar.
public struct TrainingProgressBar: Sendable {
    public let line: String

    public init(_ p: TrainingProgress, width: Int = 24) {
        let filled = p.totalSteps > 0 ? width * p.step / p.totalSteps : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let eta = Int(p.etaSeconds.rounded())
        line = String(format: "[%@] epoch %d/%d  step %d/%d  loss %.4f  %.1f s/step  ETA %d:%02d:%02d ",
                      bar, p.epoch + 1, p.epochs, p.step, p.totalSteps, p.loss, p.secondsPerStep,
                      eta / 3600, eta / 60 % 60, eta % 60)
    }
}
