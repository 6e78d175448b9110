import Foundation
import Math

/// Sliding-window inference as SCLIP's and NACLIP's `forward_slide` (mmseg's): square crops of
/// `crop` pixels every `stride` pixels, each crop's maps resized to the crop, summed, and
/// divided by the number of crops covering each pixel.
///
/// Windows: `rows = max(H - crop + stride - 1, 0) / stride + 1` (likewise columns); window
/// (i, j) starts at (i·stride, j·stride), ends at min(start + crop, size), and is shifted back
/// to start at max(end - crop, 0), so the last one ends at the image's edge. A crop larger than
/// the image is cut to it, without padding. Every pixel is covered when stride ≤ crop.
///
/// ```swift
/// let window = SlidingWindow(crop: 224, stride: 112)
/// let logits = model.slidingLogits(input, head: .sclip, classifier: t, window: window)   // [K, H, W]
/// ```
public struct SlidingWindow: Sendable, Equatable, CustomStringConvertible {
    /// Side of the square crops, in pixels.
    public let crop: Int
    /// Step between crops, in pixels (at most `crop`).
    public let stride: Int

    /// One crop: rows y1 ..< y2 and columns x1 ..< x2 of the image.
    public struct Window: Sendable, Equatable {
        public let y1: Int, x1: Int, y2: Int, x2: Int
        public var height: Int { y2 - y1 }
        public var width: Int { x2 - x1 }
    }

    /// Crop and stride sides; 1 ≤ stride ≤ crop (a larger stride would leave pixels uncovered).
    public init(crop: Int, stride: Int) {
        precondition(crop > 0 && stride > 0 && stride <= crop, "sliding window \(crop):\(stride): need 1 <= stride <= crop")
        self.crop = crop
        self.stride = stride
    }

    /// `CROP:STRIDE`, as the command line writes it.
    public var description: String { "\(crop):\(stride)" }

    /// The crops of an H x W image, rows outer, in `forward_slide`'s visiting order.
    public func windows(height H: Int, width W: Int) -> [Window] {
        let rows = max(H - crop + stride - 1, 0) / stride + 1
        let columns = max(W - crop + stride - 1, 0) / stride + 1
        var out: [Window] = []
        for i in 0..<rows {
            for j in 0..<columns {
                let y2 = min(i * stride + crop, H), x2 = min(j * stride + crop, W)
                out.append(Window(y1: max(y2 - crop, 0), x1: max(x2 - crop, 0), y2: y2, x2: x2))
            }
        }
        return out
    }

    /// How many crops cover each pixel [H, W].
    public func coverage(height H: Int, width W: Int) -> [Float] {
        var count = [Float](repeating: 0, count: H * W)
        for w in windows(height: H, width: W) {
            for y in w.y1..<w.y2 { for x in w.x1..<w.x2 { count[y * W + x] += 1 } }
        }
        return count
    }

    /// The average over the crops of per-crop maps: `maps(window)` returns [C, h, w] at the
    /// crop's own size; the result is [C, H, W], each pixel divided by its coverage.
    public func average(channels C: Int, height H: Int, width W: Int,
                        _ maps: (Window) throws -> [Float]) rethrows -> [Float] {
        var sum = [Float](repeating: 0, count: C * H * W)
        for w in windows(height: H, width: W) {
            let m = try maps(w)
            precondition(m.count == C * w.height * w.width, "window maps hold \(m.count) values, expected \(C)x\(w.height)x\(w.width)")
            for c in 0..<C {
                for y in 0..<w.height {
                    let src = (c * w.height + y) * w.width
                    let dst = (c * H + w.y1 + y) * W + w.x1
                    for x in 0..<w.width { sum[dst + x] += m[src + x] }
                }
            }
        }
        let count = coverage(height: H, width: W)
        for c in 0..<C { for p in 0..<(H * W) { sum[c * H * W + p] /= count[p] } }
        return sum
    }
}

/// How a crop goes through a head and how its grid maps come back to the crop's size.
public struct WindowCrop: Sendable {
    /// The crop of the image (zero-padded, centred, to a multiple of the patch size when the
    /// head pads crops, as ClearCLIP does).
    public let input: Tensor
    /// Padding rows above and columns left of the crop inside `input`.
    public let top: Int, left: Int
    /// The crop's own size.
    public let height: Int, width: Int

    /// The crop `window` of a normalised image [3, H, W] for `head` (patch size `patch`).
    /// ClearCLIP (`compute_padsize`): left = pad / 2, right = the rest; top and bottom alike.
    public init(image: Tensor, window: SlidingWindow.Window, head: DenseHead, patch: Int) {
        let (H, W) = (image.shape[1], image.shape[2])
        let (h, w) = (window.height, window.width)
        let padH = head.padsWindowCrops ? (patch - h % patch) % patch : 0
        let padW = head.padsWindowCrops ? (patch - w % patch) % patch : 0
        let (ph, pw) = (h + padH, w + padW)
        let (top, left) = (padH / 2, padW / 2)
        var data = [Float](repeating: 0, count: 3 * ph * pw)
        for c in 0..<3 {
            for y in 0..<h {
                let src = (c * H + window.y1 + y) * W + window.x1
                let dst = (c * ph + top + y) * pw + left
                for x in 0..<w { data[dst + x] = image.data[src + x] }
            }
        }
        self.input = Tensor(shape: [3, ph, pw], data: data)
        self.top = top
        self.left = left
        self.height = h
        self.width = w
    }

    /// Grid maps [C, gh, gw] of `input` back at the crop's size [C, height, width]: resized
    /// bilinearly (align_corners False) to the input's size, then the padding cut off.
    public func cropSized(_ grid: [Float], channels C: Int, gridHeight gh: Int, gridWidth gw: Int) -> [Float] {
        let (ph, pw) = (input.shape[1], input.shape[2])
        var full = [Float](repeating: 0, count: C * ph * pw)
        grid.withUnsafeBufferPointer { g in
            bilinearResizeForward(out: &full, inp: g.baseAddress!, channels: C, inHeight: gh, inWidth: gw,
                                  outHeight: ph, outWidth: pw)
        }
        if ph == height && pw == width { return full }
        var out = [Float](repeating: 0, count: C * height * width)
        for c in 0..<C {
            for y in 0..<height {
                for x in 0..<width { out[(c * height + y) * width + x] = full[(c * ph + top + y) * pw + left + x] }
            }
        }
        return out
    }
}

extension CLIPModel {
    /// Cosine logits [K, gh, gw] of a head on a normalised image: unit patch features times the
    /// unit class embeddings `classifier` [K, D] (`forward_feature` before its resize).
    public func headLogits(_ image: Tensor, head: DenseHead, classifier: [Float], classes K: Int) -> (logits: [Float], gridHeight: Int, gridWidth: Int) {
        let dense = denseFeatures(image, head: head)
        let (gh, gw, D) = (dense.gridHeight, dense.gridWidth, architecture.embedDim)
        precondition(classifier.count == K * D, "classifier holds \(classifier.count) values, expected \(K) x \(D)")
        let f = l2NormalizeForward(dense.features.data, N: gh * gw, C: D).y
        // [K, D] x [P, D]ᵀ = [K, P].
        return (matrixProduct(classifier, f, M: K, K: D, N: gh * gw, transposeB: true), gh, gw)
    }

    /// Sliding-window cosine logits [K, H, W] of a normalised image [3, H, W] (SCLIP's
    /// `forward_slide` before its final resize and PAMR; ClearCLIP's with its centred crop
    /// padding for `.clearclip`).
    public func slidingLogits(_ image: Tensor, head: DenseHead, classifier: [Float], classes K: Int,
                              window: SlidingWindow) -> Tensor {
        let (H, W) = (image.shape[1], image.shape[2])
        let out = window.average(channels: K, height: H, width: W) { w in
            let crop = WindowCrop(image: image, window: w, head: head, patch: architecture.patchSize)
            let l = headLogits(crop.input, head: head, classifier: classifier, classes: K)
            return crop.cropSized(l.logits, channels: K, gridHeight: l.gridHeight, gridWidth: l.gridWidth)
        }
        return Tensor(shape: [K, H, W], data: out)
    }
}
