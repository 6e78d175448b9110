import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// Everything the engine computed for one image and one class list, kept so that changing
/// the rectification strength `alpha` costs only `raw - alpha * bias` and an arg-max.
///
/// All maps are class-major on the feature grid: element `[k, y, x]` is at
/// `k * gridHeight * gridWidth + y * gridWidth + x`.
///
/// ```swift
/// let maps: SegmentationMaps = ...            // from the engine
/// let mask = maps.labels(alpha: 1, width: 160, height: 100)
/// ```
public struct SegmentationMaps: Sendable {
    /// Class names, in logit order.
    public let classNames: [String]
    /// Feature-grid columns.
    public let gridWidth: Int
    /// Feature-grid rows.
    public let gridHeight: Int
    /// Raw MaskCLIP logits L_raw[k, p] = <f_p/|f_p|, t_k>.
    public let raw: [Float]
    /// Class-preference bias B_cls[k, p]; `nil` when no trained rectifier is loaded.
    public let classBias: [Float]?
    /// Space-preference bias B_spc[k, p]; `nil` when no trained rectifier is loaded.
    public let spaceBias: [Float]?
    /// The total bias subtracted with strength alpha; `nil` when no trained rectifier is loaded.
    public let bias: [Float]?
    /// ReCLIP++ only: the decoder output at alpha = 0 and its slope in alpha, so that
    /// `output(alpha:) = decoderBase - alpha * decoderSlope` (see `BiasMaps`); `nil` otherwise.
    public let decoderBase: [Float]?
    public let decoderSlope: [Float]?
    /// The image-level zero-shot logits [K] (logit scale x cosine of the global embedding with
    /// each class), when computed: what `AutomaticAlpha` compares masks with.
    public var imageLogits: [Float]?
    /// Classes whose bias is the class bias alone: a rectifier transferred to a class list
    /// beyond the one it was trained on (`Rectifier.transferred(to:)`) has no space bias for them.
    public var classesWithoutSpaceBias: [String] = []
    /// What made the bias: ReCLIP++ with a decoder, ReCLIP with a bias, none without, unless
    /// set otherwise (the segmenter sets `.classToken` for SegEarth-OV's class bias).
    public var rectification: Rectification

    public init(classNames: [String], gridWidth: Int, gridHeight: Int, raw: [Float],
                classBias: [Float]? = nil, spaceBias: [Float]? = nil, bias: [Float]? = nil,
                decoderBase: [Float]? = nil, decoderSlope: [Float]? = nil) {
        let n = classNames.count * gridWidth * gridHeight
        precondition(raw.count == n, "raw has \(raw.count) values, expected \(n)")
        precondition(classBias.map { $0.count == n } ?? true, "class bias size mismatch")
        precondition(spaceBias.map { $0.count == n } ?? true, "space bias size mismatch")
        precondition(bias.map { $0.count == n } ?? true, "bias size mismatch")
        precondition((decoderBase == nil) == (decoderSlope == nil), "decoder base and slope come together")
        precondition(decoderBase.map { $0.count == n } ?? true, "decoder size mismatch")
        self.decoderBase = decoderBase
        self.decoderSlope = decoderSlope
        self.classNames = classNames
        self.gridWidth = gridWidth
        self.gridHeight = gridHeight
        self.raw = raw
        self.classBias = classBias
        self.spaceBias = spaceBias
        self.bias = bias
        rectification = decoderBase != nil ? .reclipPlusPlus : (bias != nil ? .reclip : .none)
    }

    /// The maps of `b`, one image's `BiasMaps` on a `gridWidth` x `gridHeight` grid.
    public init(_ b: BiasMaps, classNames: [String], gridWidth: Int, gridHeight: Int) {
        self.init(classNames: classNames, gridWidth: gridWidth, gridHeight: gridHeight, raw: b.raw,
                  classBias: b.classBias, spaceBias: b.spaceBias, bias: b.bias, decoderBase: b.decoderBase,
                  decoderSlope: b.decoderSlope)
    }

    /// Number of classes.
    public var classCount: Int { classNames.count }

    /// Whether a trained rectifier contributed a bias (otherwise alpha has nothing to subtract).
    public var hasBias: Bool { bias != nil }

    /// L_rect = L_raw - alpha * bias on the feature grid (L_raw itself when there is no bias).
    public func rectified(alpha: Float) -> [Float] {
        guard let bias, alpha != 0 else { return raw }
        var out = raw
        for i in 0..<out.count { out[i] -= alpha * bias[i] }
        return out
    }

    /// The logits the arg-max uses: `rectified(alpha:)` for ReCLIP and raw MaskCLIP, the
    /// decoder's output for ReCLIP++ (`decoderBase - alpha * decoderSlope`) at any alpha but 0.
    /// Alpha 0 is raw MaskCLIP for every rectifier (METHOD.md section 5), so "raw against
    /// rectified" compares with CLIP itself: ReCLIP++'s decoder without the bias
    /// (`decoderBase`) is a learned head of its own, not raw (on the bundled model it holds
    /// nearly all of ReCLIP++'s gain: docs/world.md, "Session 15").
    public func output(alpha: Float) -> [Float] {
        guard alpha != 0, let decoderBase, let decoderSlope else { return rectified(alpha: alpha) }
        var out = decoderBase
        for i in 0..<out.count { out[i] -= alpha * decoderSlope[i] }
        return out
    }

    /// Presence detection (the authors' tools/test.py): per class, the maximum over the grid of
    /// softmax_k(scale * L); classes whose maximum is below `threshold` get -100 everywhere.
    public static func suppressingAbsentClasses(_ logits: [Float], classes K: Int, scale: Float,
                                                threshold: Float) -> [Float] {
        let P = logits.count / K
        var peak = [Float](repeating: 0, count: K)
        for p in 0..<P {
            var m = -Float.infinity
            for k in 0..<K { m = max(m, scale * logits[k * P + p]) }
            var s: Float = 0
            for k in 0..<K { s += expf(scale * logits[k * P + p] - m) }
            for k in 0..<K { peak[k] = max(peak[k], expf(scale * logits[k * P + p] - m) / s) }
        }
        var out = logits
        for k in 0..<K where peak[k] < threshold { for p in 0..<P { out[k * P + p] = -100 } }
        return out
    }

    /// Per-pixel class index at `width` x `height`: the output logits (`output(alpha:)`),
    /// optionally with absent classes suppressed (`presence`: softmax scale and threshold),
    /// bilinearly upsampled (half-pixel centres, as PyTorch's `align_corners=False`), then the
    /// arg-max over classes; classes in `hidden` take no part in the arg-max (what the mask
    /// would be without them), unless every class is hidden. With `background` (softmax scale
    /// and threshold, SCLIP's `prob_thd`), a pixel whose most probable class has a probability
    /// under the threshold, softmax(scale * upsampled logits) over the classes taking part,
    /// gets class 0: the background, when the class list starts with it (as VOC's 21 do).
    public func labels(alpha: Float, width: Int, height: Int,
                       presence: (scale: Float, threshold: Float)? = nil, hidden: Set<Int> = [],
                       background: (scale: Float, threshold: Float)? = nil) -> [Int32] {
        var logits = output(alpha: alpha)
        if let presence {
            logits = Self.suppressingAbsentClasses(logits, classes: classCount, scale: presence.scale,
                                                   threshold: presence.threshold)
        }
        return Self.upsampledArgmax(logits, classes: classCount, gridWidth: gridWidth,
                                    gridHeight: gridHeight, width: width, height: height,
                                    skipping: hidden.count < classCount ? hidden : [], background: background)
    }

    /// Bilinear upsampling of class-major logits followed by a per-pixel arg-max over the
    /// classes not in `skipping`; with `background`, pixels whose top softmax probability is
    /// under the threshold get class 0 (see `labels`).
    public static func upsampledArgmax(_ logits: [Float], classes: Int, gridWidth: Int,
                                       gridHeight: Int, width: Int, height: Int, skipping: Set<Int> = [],
                                       background: (scale: Float, threshold: Float)? = nil) -> [Int32] {
        let plane = gridWidth * gridHeight
        let xs = bilinearTaps(outSize: width, inSize: gridWidth)
        let ys = bilinearTaps(outSize: height, inSize: gridHeight)
        /// Calls `body(k, o, v)` with every taking-part class k's logit v interpolated at output pixel o.
        @inline(__always) func upsampled(_ body: (_ k: Int, _ o: Int, _ v: Float) -> Void) {
            logits.withUnsafeBufferPointer { l in
                for k in 0..<classes where !skipping.contains(k) {
                    let base = k * plane
                    for (oy, (y0, y1, wy)) in ys.enumerated() {
                        let r0 = base + y0 * gridWidth
                        let r1 = base + y1 * gridWidth
                        for (ox, (x0, x1, wx)) in xs.enumerated() {
                            let top = l[r0 + x0] + (l[r0 + x1] - l[r0 + x0]) * wx
                            let bottom = l[r1 + x0] + (l[r1 + x1] - l[r1 + x0]) * wx
                            body(k, oy * width + ox, top + (bottom - top) * wy)
                        }
                    }
                }
            }
        }
        var best = [Float](repeating: -.infinity, count: width * height)
        let first = Int32((0..<classes).first { !skipping.contains($0) } ?? 0)
        var label = [Int32](repeating: first, count: width * height)
        upsampled { k, o, v in
            if v > best[o] { best[o] = v; label[o] = Int32(k) }
        }
        guard let background else { return label }
        // The top probability is 1 / sum_k exp(scale * (v_k - v_max)): a second pass.
        var sums = [Float](repeating: 0, count: width * height)
        upsampled { _, o, v in sums[o] += Foundation.exp(background.scale * (v - best[o])) }
        for o in label.indices where 1 / sums[o] < background.threshold { label[o] = 0 }
        return label
    }
}
