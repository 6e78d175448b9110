import Pixels
import Render
import FileIO
import CLIP
import ReCLIP

/// The alphas the curves of the dataset view are measured at: 0 to 2 in steps of 0.1.
public enum AlphaCurve {
    public static let alphas: [Float] = (0...20).map { Float($0) / 10 }

    /// The position and value of the largest finite entry (the first of equals), if any.
    public static func best(_ values: [Double]) -> (index: Int, value: Double)? {
        var best: (index: Int, value: Double)?
        for (i, v) in values.enumerated() where v.isFinite && (best == nil || v > best!.value) { best = (i, v) }
        return best
    }
}

/// One image's scores for the dataset view, raw (alpha 0) against rectified (the view's
/// alpha): confusion matrices against its ground truth when it has one, and what needs no
/// labels (class pixel shares, the share of pixels rectification changes); and the same at
/// every alpha of `AlphaCurve.alphas`, for the curves.
public struct ImageScores: Sendable, Equatable {
    /// The alpha the rectified side was measured at.
    public let alpha: Float
    /// Against the ground truth, at the mask's resolution (nil without ground truth).
    public let raw: ConfusionMatrix?
    public let rectified: ConfusionMatrix?
    /// Share of the image's pixels per class.
    public let rawShares: [Double]
    public let rectifiedShares: [Double]
    /// Share of pixels whose class changes.
    public let changed: Double
    /// The confusion matrix at each of `AlphaCurve.alphas` (nil without ground truth).
    public let curve: [ConfusionMatrix]?
    /// Each class's pixel share at each of `AlphaCurve.alphas`: `shareCurve[a][k]`.
    public let shareCurve: [[Double]]

    public init(alpha: Float, raw: ConfusionMatrix?, rectified: ConfusionMatrix?, rawShares: [Double],
                rectifiedShares: [Double], changed: Double, curve: [ConfusionMatrix]? = nil, shareCurve: [[Double]] = []) {
        self.alpha = alpha
        self.raw = raw
        self.rectified = rectified
        self.rawShares = rawShares
        self.rectifiedShares = rectifiedShares
        self.changed = changed
        self.curve = curve
        self.shareCurve = shareCurve
    }

    /// The image's own mIoU at each of `AlphaCurve.alphas` (nil without ground truth).
    public var meanIoUCurve: [Double]? { curve?.map(\.meanIoU) }

    /// One image's confusion matrix: the mask of `labels` (at the truth's size) against `truth`,
    /// as `reclip eval` counts it for that image.
    public static func confusion(_ labels: [Int32], truth: ClassMask, classes: Int) -> ConfusionMatrix {
        var m = ConfusionMatrix(classCount: classes)
        m.add(prediction: labels, groundTruth: truth.labels.map { $0 < 0 || $0 > 255 ? 255 : UInt8($0) }, reduceZeroLabel: false)
        return m
    }

    /// Scores `maps` at `alpha` (and 0) against `truth`, if given and of the maps' classes;
    /// the masks are taken at the truth's size, else at `width` x `height`.
    /// With `curves`, also at every alpha of `AlphaCurve.alphas` (when the maps have a bias;
    /// without one every alpha gives the raw mask, and the curve is that, flat).
    public static func measure(_ maps: SegmentationMaps, alpha: Float, truth: ClassMask?, width: Int, height: Int,
                               curves: Bool = true) -> ImageScores {
        let w = truth?.width ?? width, h = truth?.height ?? height
        let raw = maps.labels(alpha: 0, width: w, height: h)
        let rect = maps.labels(alpha: alpha, width: w, height: h)
        let K = maps.classCount
        func shares(_ labels: [Int32]) -> [Double] { ClassMask(width: w, height: h, labels: labels).shares(classCount: K) }
        let rawMatrix = truth.map { confusion(raw, truth: $0, classes: K) }
        let rectMatrix = truth.map { confusion(rect, truth: $0, classes: K) }
        let changed = zip(raw, rect).filter { $0 != $1 }.count
        var curve: [ConfusionMatrix]?, shareCurve: [[Double]] = []
        if curves {
            let biased = maps.bias != nil || maps.decoderSlope != nil
            let masks = AlphaCurve.alphas.map { a in a == 0 || !biased ? raw : (a == alpha ? rect : maps.labels(alpha: a, width: w, height: h)) }
            curve = truth.map { t in masks.map { confusion($0, truth: t, classes: K) } }
            shareCurve = masks.map(shares)
        }
        return ImageScores(alpha: alpha, raw: rawMatrix, rectified: rectMatrix, rawShares: shares(raw),
                           rectifiedShares: shares(rect), changed: Double(changed) / Double(max(1, raw.count)),
                           curve: curve, shareCurve: shareCurve)
    }

    /// mIoU change from raw to rectified (nil without ground truth or a score).
    public var meanIoUChange: Double? {
        guard let a = raw?.meanIoU, let b = rectified?.meanIoU, a.isFinite, b.isFinite else { return nil }
        return b - a
    }
}

/// The dataset view's figures over every scored image: per-class IoU raw against rectified
/// (from the summed confusion matrices, as `reclip eval` computes them), the summed matrices
/// themselves, class shares, and the images ordered worst change first.
public struct DatasetSummary: Sendable {
    public let classes: [String]
    /// Scored images, by entry index.
    public let scores: [Int: ImageScores]
    /// The sums over images with ground truth (nil when none has any).
    public let raw: ConfusionMatrix?
    public let rectified: ConfusionMatrix?

    public init(classes: [String], scores: [Int: ImageScores]) {
        self.classes = classes
        self.scores = scores
        var a: ConfusionMatrix?, b: ConfusionMatrix?
        for s in scores.values {
            if let r = s.raw { a = a.map { var m = $0; m.add(r); return m } ?? r }
            if let r = s.rectified { b = b.map { var m = $0; m.add(r); return m } ?? r }
        }
        raw = a
        rectified = b
    }

    /// Whether the figures come from ground truth (else only label-free ones are shown).
    public var hasGroundTruth: Bool { raw != nil }

    /// One class's figure raw and rectified: IoU with ground truth, else its pixel share.
    public struct ClassRow: Sendable, Equatable {
        public let index: Int
        public let raw: Double
        public let rectified: Double
        public var change: Double { rectified - raw }
    }

    /// Every class with a defined figure, largest drop first (the correction's failure cases
    /// lead), then the largest gains last.
    public var classRows: [ClassRow] {
        let K = classes.count
        var rows: [ClassRow] = []
        if let raw, let rectified {
            let a = raw.perClassIoU, b = rectified.perClassIoU
            for k in 0..<K where a[k].isFinite && b[k].isFinite { rows.append(ClassRow(index: k, raw: a[k], rectified: b[k])) }
        } else {
            let n = Double(max(1, scores.count))
            var a = [Double](repeating: 0, count: K), b = a
            for s in scores.values {
                for k in 0..<min(K, s.rawShares.count) { a[k] += s.rawShares[k] / n; b[k] += s.rectifiedShares[k] / n }
            }
            rows = (0..<K).map { ClassRow(index: $0, raw: a[$0], rectified: b[$0]) }
        }
        return rows.sorted { $0.change < $1.change || ($0.change == $1.change && $0.index < $1.index) }
    }

    /// Entry indices, worst first: by mIoU change with ground truth, else by the share of
    /// pixels rectification changes (most first).
    public var imagesWorstFirst: [Int] {
        scores.keys.sorted { a, b in
            let sa = scores[a]!, sb = scores[b]!
            if let ca = sa.meanIoUChange, let cb = sb.meanIoUChange, ca != cb { return ca < cb }
            if sa.meanIoUChange != nil && sb.meanIoUChange == nil { return true }
            if sa.meanIoUChange == nil && sb.meanIoUChange != nil { return false }
            if sa.meanIoUChange == nil && sa.changed != sb.changed { return sa.changed > sb.changed }
            return a < b
        }
    }

    /// mIoU over the dataset raw and rectified.
    public var meanIoU: (raw: Double, rectified: Double)? {
        guard let raw, let rectified else { return nil }
        return (raw.meanIoU, rectified.meanIoU)
    }

    /// The dataset's mIoU at each of `AlphaCurve.alphas`, from the confusion matrices summed
    /// over the images (as `reclip eval --alpha A` would score the folder at each A).
    public var meanIoUCurve: [Double]? {
        var sums: [ConfusionMatrix]?
        for s in scores.values {
            guard let c = s.curve else { continue }
            sums = sums.map { zip($0, c).map { var m = $0; m.add($1); return m } } ?? c
        }
        return sums?.map(\.meanIoU)
    }

    /// Each class's pixel share at each alpha, averaged over the images: `[alpha][class]`.
    public var shareCurve: [[Double]] {
        let curves = scores.values.map(\.shareCurve).filter { $0.count == AlphaCurve.alphas.count }
        guard let first = curves.first else { return [] }
        let n = Double(curves.count)
        var mean = first.map { [Double](repeating: 0, count: $0.count) }
        for c in curves {
            for a in 0..<min(mean.count, c.count) {
                for k in 0..<min(mean[a].count, c[a].count) { mean[a][k] += c[a][k] / n }
            }
        }
        return mean
    }

    /// Images improved and worsened by rectification (by their own mIoU).
    public var improvedAndWorsened: (improved: Int, worsened: Int) {
        let changes = scores.values.compactMap(\.meanIoUChange)
        return (changes.filter { $0 > 0 }.count, changes.filter { $0 < 0 }.count)
    }
}
