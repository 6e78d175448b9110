import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// The maps of one image as a safetensors file, for other tools: F32 `raw`, `class_bias`,
/// `space_bias`, `bias`, `rectified` (= raw - alpha * bias) and `output` (after the ReCLIP++
/// decoder; equal to `rectified` for ReCLIP and raw MaskCLIP), each `[K, h, w]` on the feature
/// grid, and `classifier` `[K, D]`. Without a rectifier the bias tensors are zeros and the
/// metadata says `"rectifier": "none"` (else `reclip`, `reclip++` or `cls-subtract`, whose
/// `class_bias` is 0.3 x the global logits at every pixel and `space_bias` zeros). `raw` is the chosen head's unit patch features times
/// the unit class embeddings, before any logit scale. With sliding windows or PAMR, `refined`
/// `[K, H, W]` holds the output logits after them (at the size the labels are taken from), and
/// the metadata records `head`, `templates` and `inference`.
public struct SegmentationDump: Sendable {
    public let maps: SegmentationMaps
    public let classifier: TextClassifier
    public let alpha: Float
    /// The head and templates the maps come from (recorded in the metadata).
    public let head: DenseHead
    public let templates: PromptTemplateSet
    /// The maps after windows / PAMR, when used, and how they were made.
    public let refined: SegmentationMaps?
    public let inference: InferenceOptions
    /// λ of the class-token subtraction already in `raw` (`Segmenter.classTokenSubtraction`;
    /// recorded as `cls_subtract` when not 0).
    public let classTokenSubtraction: Float

    public init(maps: SegmentationMaps, classifier: TextClassifier, alpha: Float, head: DenseHead = .maskclip,
                templates: PromptTemplateSet = .reclip85, refined: SegmentationMaps? = nil,
                inference: InferenceOptions = InferenceOptions(), classTokenSubtraction: Float = 0) {
        self.maps = maps; self.classifier = classifier; self.alpha = alpha
        self.head = head; self.templates = templates; self.refined = refined; self.inference = inference
        self.classTokenSubtraction = classTokenSubtraction
    }

    /// The named tensors in file order.
    public var tensors: [(name: String, tensor: Tensor)] {
        let shape = [maps.classCount, maps.gridHeight, maps.gridWidth]
        let zeros = [Float](repeating: 0, count: maps.raw.count)
        func t(_ v: [Float]?) -> Tensor { Tensor(shape: shape, data: v ?? zeros) }
        return [("raw", t(maps.raw)), ("class_bias", t(maps.classBias)), ("space_bias", t(maps.spaceBias)),
                ("bias", t(maps.bias)), ("rectified", t(maps.rectified(alpha: alpha))), ("output", t(maps.output(alpha: alpha))),
                ("classifier", Tensor(shape: [classifier.classCount, classifier.embedDim], data: classifier.weights))]
            + (refined.map { r in [("refined", Tensor(shape: [r.classCount, r.gridHeight, r.gridWidth], data: r.output(alpha: alpha)))] } ?? [])
    }

    public func write(to url: URL) throws {
        let names = try MetadataJSON.text(maps.classNames)
        var meta = ["classes": names, "alpha": "\(alpha)", "rectifier": maps.rectification.rawValue, "head": head.rawValue,
                    "templates": templates.rawValue, "inference": inference.description]
        if classTokenSubtraction != 0 { meta["cls_subtract"] = "\(classTokenSubtraction)" }
        try SafeTensorsWriter.write(tensors, metadata: meta, to: url.path)
    }
}

/// A short text report of one segmentation: grid, timing, and each class's share of the mask.
public struct SegmentationSummary: Sendable {
    public let text: String

    /// `grid` is the head's patch grid (columns, rows) when the maps are at another resolution
    /// (after windows or PAMR, described by `inference`).
    public init(maps: SegmentationMaps, labels: [Int32], alpha: Float, seconds: Double, head: DenseHead = .maskclip,
                grid: (width: Int, height: Int)? = nil, inference: InferenceOptions = InferenceOptions()) {
        var counts = [Int](repeating: 0, count: maps.classCount)
        for l in labels where l >= 0 && Int(l) < counts.count { counts[Int(l)] += 1 }
        let mode = maps.hasBias ? String(format: "%@ rectified (%@), alpha %.2f", head.displayName,
                                         maps.rectification.displayName, alpha) : "raw \(head.displayName)"
        let size = grid ?? (maps.gridWidth, maps.gridHeight)
        let extra = inference.isPlain ? "" : ", \(inference.description) (\(maps.gridWidth)x\(maps.gridHeight) maps)"
        var lines = [String(format: "%dx%d feature grid%@, %d classes, %@, %.2f s", size.width, size.height, extra,
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
