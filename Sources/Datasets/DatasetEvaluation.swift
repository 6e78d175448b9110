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
        let ids = try dataset.layout.imageIDs(split: split)
        guard !ids.isEmpty else { throw DatasetError(file: dataset.layout.splitFile(split).path, problem: "the split is empty") }
        var matrix = ConfusionMatrix(classCount: dataset.classes.count)
        var perImage: [(id: String, meanIoU: Double)] = []
        for (i, id) in ids.enumerated() {
            let (image, labels) = try dataset.sample(id)
            let prediction = try predict(image, labels)
            guard prediction.count == labels.count else {
                throw DatasetError(file: id, problem: "prediction has \(prediction.count) pixels, the mask \(labels.count)")
            }
            var own = ConfusionMatrix(classCount: dataset.classes.count)
            own.add(prediction: prediction, groundTruth: labels, reduceZeroLabel: dataset.reduceZeroLabel)
            matrix.add(own)
            perImage.append((id, own.meanIoU))
            progress?(i + 1, ids.count)
        }
        return EvaluationReport(classes: dataset.classes, matrix: matrix, images: ids.count, perImage: perImage)
    }
}
