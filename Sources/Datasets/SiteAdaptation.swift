import FileIO
import Pixels
import Foundation
import Render
import CLIP
import ReCLIP

/// A site's folder of images as `reclip adapt` uses it: the images (those of `JPEGImages/`
/// when the folder has one), split into the ones adapted on and a held-out part that training
/// never sees, and, for held-out images, the ground-truth masks where the folder has them
/// (VOC layout: `SegmentationClass/<name>.png`; world datasets have them).
///
/// The held-out images are spread evenly over the sorted list, so a folder whose names follow
/// time or place is sampled across it.
///
/// ```swift
/// let site = try SiteFolder(path: "site", heldOutFraction: 0.25)
/// site.training.count, site.heldOut.count      // 15, 5 for 20 images
/// ```
public struct SiteFolder: Sendable {
    public let root: URL
    public let training: [URL]
    public let heldOut: [URL]
    /// Ground-truth mask per held-out image, for those that have one.
    public let masks: [URL: URL]
    /// The folder's `classes.txt`, when it has one (the class of each mask index).
    public let classes: [String]?

    public init(path: String, heldOutFraction: Double) throws {
        guard heldOutFraction.isFinite, heldOutFraction > 0, heldOutFraction < 1 else {
            throw DatasetError(file: path, problem: "the held-out fraction must be between 0 and 1, not \(heldOutFraction)")
        }
        root = PathBytes.fileURL(path, isDirectory: true)
        let images = try ImageFolder.list(path)
        guard images.count >= 2 else {
            throw DatasetError(file: path, problem: "\(images.count) image: adapting needs at least 2 (some to adapt on, some held out)")
        }
        let held = Set(Self.heldOutPositions(count: images.count, fraction: heldOutFraction))
        heldOut = images.indices.filter { held.contains($0) }.map { images[$0] }
        training = images.indices.filter { !held.contains($0) }.map { images[$0] }
        let layout = VOCLayout(root: root)
        var masks: [URL: URL] = [:]
        for image in heldOut {
            let mask = layout.masksFolder.appendingPathComponent(image.deletingPathExtension().lastPathComponent + ".png")
            if PathKind.of(mask.path) != nil { masks[image] = mask }
        }
        self.masks = masks
        let list = root.appendingPathComponent("classes.txt")
        classes = PathKind.of(list.path) != nil ? try TextLines.read(list, what: "class list") : nil
    }

    /// Positions of the held-out images among `count`: `max(1, fraction * count)` rounded,
    /// at most `count - 1`, evenly spread (the middle of each of that many equal runs).
    public static func heldOutPositions(count: Int, fraction: Double) -> [Int] {
        guard count >= 2 else { return [] }
        let k = min(count - 1, max(1, Int((Double(count) * fraction).rounded())))
        return (0..<k).map { j in (2 * j + 1) * count / (2 * k) }
    }
}

/// What adaptation changed on a site's held-out images: the share of pixels each class gets,
/// raw (alpha 0), with the starting rectifier and with the adapted one (no labels needed),
/// and, over the held-out images that have ground truth, the mIoU of each.
///
/// ```swift
/// let c = try HeldOutComparison.measure(site, before: bundled, after: adapted, size: 96, alpha: 1)
/// print(c.table)
/// ```
public struct HeldOutComparison: Sendable {
    /// One predictor's figures.
    public struct Row: Sendable {
        public let name: String
        /// Fraction of held-out pixels predicted as each class.
        public let shares: [Double]
        /// mIoU over the labelled held-out images (nil without any).
        public let meanIoU: Double?
    }
    public let classes: [String]
    public let images: Int
    /// Held-out images with ground truth.
    public let labelled: Int
    public let rows: [Row]

    /// Segments every held-out image with `before` (raw at alpha 0, rectified at `alpha`) and
    /// `after` (at `alpha`); both must have the same classes. Ground truth is scored when
    /// `groundTruth` is set (mask values index the classes; `reduceZeroLabel` as VOC's).
    public static func measure(_ site: SiteFolder, before: Segmenter, after: Segmenter, size: Int, alpha: Float,
                               groundTruth: Bool, reduceZeroLabel: Bool = false,
                               progress: (Int, Int) -> Void = { _, _ in }) throws -> HeldOutComparison {
        let K = before.classes.count
        var counts = [[Int]](repeating: [Int](repeating: 0, count: K), count: 3)
        var matrices = [ConfusionMatrix](repeating: ConfusionMatrix(classCount: K), count: 3)
        var labelled = 0
        for (i, url) in site.heldOut.enumerated() {
            let image = try ImageFile.read(path: url.path)
            let a = try before.segment(image, size: size, name: url.path)
            let b = try after.segment(image, size: size, name: url.path)
            let predictions = [a.labels(alpha: 0, width: image.width, height: image.height),
                               a.labels(alpha: alpha, width: image.width, height: image.height),
                               b.labels(alpha: alpha, width: image.width, height: image.height)]
            for (p, labels) in predictions.enumerated() {
                for l in labels where (0..<K).contains(Int(l)) { counts[p][Int(l)] += 1 }
            }
            if groundTruth, let maskURL = site.masks[url] {
                let mask = try ImageFile.readIndexed(path: maskURL.path)
                guard mask.width == image.width, mask.height == image.height else {
                    throw DatasetError(file: maskURL.path, problem:
                        "mask is \(mask.width)x\(mask.height) but the image is \(image.width)x\(image.height)")
                }
                for p in 0..<3 { matrices[p].add(prediction: predictions[p], groundTruth: mask.indices, reduceZeroLabel: reduceZeroLabel) }
                labelled += 1
            }
            progress(i + 1, site.heldOut.count)
        }
        let rows = ["raw", "before", "after"].enumerated().map { p, name in
            let total = max(1, counts[p].reduce(0, +))
            return Row(name: name, shares: counts[p].map { Double($0) / Double(total) },
                       meanIoU: labelled > 0 ? matrices[p].meanIoU : nil)
        }
        return HeldOutComparison(classes: before.classes, images: site.heldOut.count, labelled: labelled, rows: rows)
    }

    /// The class shares in percent, one line per class, and the mIoU line when scored.
    public var table: String {
        let width = max(8, (classes.map(\.count).max() ?? 0) + 2)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func cell(_ s: String) -> String { String(repeating: " ", count: max(0, 8 - s.count)) + s }
        var lines = ["held out: \(images) image(s)" + (labelled > 0 ? ", \(labelled) with ground truth" : ", no ground truth"),
                     pad("class share", width) + rows.map { cell($0.name) }.joined()]
        for (k, name) in classes.enumerated() {
            lines.append(pad(name, width) + rows.map { cell(String(format: "%.1f%%", 100 * $0.shares[k])) }.joined())
        }
        if labelled > 0 {
            lines.append(pad("mIoU", width) + rows.map { cell($0.meanIoU.map { String(format: "%.1f", 100 * $0) } ?? "-") }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
