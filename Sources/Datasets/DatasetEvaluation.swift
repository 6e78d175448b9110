import Pixels
import Foundation
import Render
import FileIO
import CLIP
import ReCLIP
import SceneWorld

/// The result of evaluating a segmenter on a dataset split (mmsegmentation semantics, see
/// `ConfusionMatrix`), with the two ways `reclip eval` prints it.
public struct EvaluationReport: Sendable {
    public let classes: [String]
    public let matrix: ConfusionMatrix
    public let images: Int
    /// Each image's id and mIoU (IoU averaged over the classes in its ground truth or its
    /// prediction), in split order, from the image's own confusion matrix.
    public let perImage: [(id: String, meanIoU: Double)]

    public var meanIoU: Double { matrix.meanIoU }
    public var perClassIoU: [Double] { matrix.perClassIoU }
    public var pixelAccuracy: Double { matrix.pixelAccuracy }

    /// A fixed-width table: one row per class (IoU in percent, "-" for a class absent from both
    /// ground truth and prediction), then mIoU and pixel accuracy.
    public var table: String {
        let width = max(12, (classes.map(\.count).max() ?? 0) + 2)
        func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        var lines = [pad("class") + "   IoU %"]
        for (name, iou) in zip(classes, perClassIoU) {
            lines.append(pad(name) + (iou.isNaN ? "       -" : String(format: "%8.2f", iou * 100)))
        }
        lines.append(pad("mIoU") + String(format: "%8.2f", meanIoU * 100))
        lines.append(pad("pixel acc.") + String(format: "%8.2f", pixelAccuracy * 100))
        lines.append("(\(images) images)")
        return lines.joined(separator: "\n")
    }

    /// What `reclip eval --json` prints: fractions, null where a score is undefined.
    public struct JSON: Codable, Equatable {
        public var mIoU: Double?
        public var per_class: [String: Double?]
        public var pixel_accuracy: Double?
        public var images: Int
        /// Image id -> that image's mIoU.
        public var per_image: [String: Double?]
    }

    /// The report as `JSON`.
    public var jsonValue: JSON {
        func num(_ v: Double) -> Double? { v.isFinite ? v : nil }
        return JSON(mIoU: num(meanIoU),
                    per_class: Dictionary(uniqueKeysWithValues: zip(classes, perClassIoU.map(num))),
                    pixel_accuracy: num(pixelAccuracy), images: images,
                    per_image: Dictionary(perImage.map { ($0.id, num($0.meanIoU)) }, uniquingKeysWith: { a, _ in a }))
    }

    /// `{"images": n, "mIoU": f, "per_class": {name: IoU or null}, "per_image": {id: mIoU or null}, "pixel_accuracy": f}`.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every value is finite or nil, so encoding cannot fail.
        return (try? encoder.encode(jsonValue)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// Runs a per-image predictor over a dataset split and accumulates the confusion matrix.
public enum DatasetEvaluation {
    /// `predict` returns one class index per pixel of the image it is given (row-major, the
    /// image's size). `progress(done, total)` is called after each image.
    public static func run(dataset: VOCDataset, split: String,
                           predict: (RGBImage) throws -> [Int32],
                           progress: ((Int, Int) -> Void)? = nil) throws -> EvaluationReport {
        try run(dataset: dataset, split: split, predictWithTruth: { image, _ in try predict(image) }, progress: progress)
    }

    /// The same with the ground truth handed to the predictor too: for upper bounds that choose
    /// with the labels (the per-image oracle alpha), never for a method.
    public static func run(dataset: VOCDataset, split: String,
                           predictWithTruth predict: (RGBImage, [UInt8]) throws -> [Int32],
                           progress: ((Int, Int) -> Void)? = nil) throws -> EvaluationReport {
        try run(dataset: dataset, split: split, predictors: 1, predictWithTruth: { [try predict($0, $1)] },
                progress: progress)[0]
    }

    /// Several predictions per image scored in one pass over the split (the heads of
    /// `reclip eval --heads`, raw and rectified): `predict` returns `predictors` label maps,
    /// and the result holds one report per predictor, in that order.
    /// With `shard`, only that shard's images (`ShardSelection`) are scored.
    public static func run(dataset: VOCDataset, split: String, predictors: Int, shard: ShardSelection? = nil,
                           predictWithTruth predict: (RGBImage, [UInt8]) throws -> [[Int32]],
                           progress: ((Int, Int) -> Void)? = nil) throws -> [EvaluationReport] {
        let all = try dataset.layout.imageIDs(split: split)
        guard !all.isEmpty else { throw DatasetError(file: dataset.layout.splitFile(split).path, problem: "the split is empty") }
        let ids = shard.map { $0.images(of: all) } ?? all
        guard !ids.isEmpty else {
            throw DatasetError(file: dataset.layout.splitFile(split).path,
                               problem: "shard \(shard!) holds none of the split's \(all.count) images")
        }
        let K = dataset.classes.count
        var matrices = [ConfusionMatrix](repeating: ConfusionMatrix(classCount: K), count: predictors)
        var perImage = [[(id: String, meanIoU: Double)]](repeating: [], count: predictors)
        for (i, id) in ids.enumerated() {
            let (image, labels) = try dataset.sample(id)
            let predictions = try predict(image, labels)
            guard predictions.count == predictors else {
                throw DatasetError(file: id, problem: "\(predictions.count) predictions, expected \(predictors)")
            }
            for (j, prediction) in predictions.enumerated() {
                guard prediction.count == labels.count else {
                    throw DatasetError(file: id, problem: "prediction has \(prediction.count) pixels, the mask \(labels.count)")
                }
                var own = ConfusionMatrix(classCount: K)
                own.add(prediction: prediction, groundTruth: labels, reduceZeroLabel: dataset.reduceZeroLabel)
                matrices[j].add(own)
                perImage[j].append((id, own.meanIoU))
            }
            progress?(i + 1, ids.count)
        }
        return (0..<predictors).map {
            EvaluationReport(classes: dataset.classes, matrix: matrices[$0], images: ids.count, perImage: perImage[$0])
        }
    }
}

/// `reclip eval --heads`: one row per dense head, raw and (with a rectifier) rectified scores
/// and seconds per image.
public struct HeadEvaluationTable: Sendable {
    /// One head's results.
    public struct Row: Sendable {
        public let head: DenseHead
        public let templates: PromptTemplateSet
        public let raw: EvaluationReport
        /// Mean wall seconds per image of the raw logits (the head's share of the forward, windows, PAMR).
        public let rawSeconds: Double
        public let rectified: EvaluationReport?
        public let rectifiedSeconds: Double?

        public init(head: DenseHead, templates: PromptTemplateSet, raw: EvaluationReport, rawSeconds: Double,
                    rectified: EvaluationReport?, rectifiedSeconds: Double?) {
            self.head = head; self.templates = templates; self.raw = raw; self.rawSeconds = rawSeconds
            self.rectified = rectified; self.rectifiedSeconds = rectifiedSeconds
        }
    }

    public let rows: [Row]
    /// Lines printed under the table (protocol, notes about the rectifier).
    public let notes: [String]

    public init(rows: [Row], notes: [String]) { self.rows = rows; self.notes = notes }

    /// The fixed-width table: mIoU and pixel accuracy in percent, seconds per image; "-" where
    /// there is no rectifier.
    public var table: String {
        func pct(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%8.2f", $0 * 100) : "       -" } ?? "       -" }
        func sec(_ v: Double?) -> String { v.map { String(format: "%9.3f", $0) } ?? "        -" }
        var lines = ["head       templates    raw mIoU   raw acc  raw s/img   rect mIoU  rect acc rect s/img"]
        for r in rows {
            lines.append(r.head.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                         + r.templates.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                         + "  " + pct(r.raw.meanIoU) + "  " + pct(r.raw.pixelAccuracy) + "  " + sec(r.rawSeconds)
                         + "    " + pct(r.rectified?.meanIoU) + "  " + pct(r.rectified?.pixelAccuracy)
                         + "  " + sec(r.rectifiedSeconds))
        }
        return (lines + notes).joined(separator: "\n")
    }

    /// `{"heads": {head: {"templates", "raw": report, "raw_seconds", "rectified": report or null,
    /// "rectified_seconds"}}, "notes": [...]}` with each report as `EvaluationReport.JSON`.
    public var json: String {
        struct Head: Codable {
            var templates: String
            var raw: EvaluationReport.JSON
            var raw_seconds: Double
            var rectified: EvaluationReport.JSON?
            var rectified_seconds: Double?
        }
        struct All: Codable { var heads: [String: Head]; var notes: [String] }
        let all = All(heads: Dictionary(rows.map {
            ($0.head.rawValue, Head(templates: $0.templates.rawValue, raw: $0.raw.jsonValue, raw_seconds: $0.rawSeconds,
                                    rectified: $0.rectified?.jsonValue, rectified_seconds: $0.rectifiedSeconds))
        }, uniquingKeysWith: { a, _ in a }), notes: notes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(all)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
