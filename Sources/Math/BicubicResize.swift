import Foundation

/// Keys' cubic convolution weights with a = -0.75 (PyTorch's `upsample_bicubic2d`):
/// w(x) = ((a+2)|x| - (a+3))|x|² + 1            for |x| ≤ 1
/// w(x) = ((a|x| - 5a)|x| + 8a)|x| - 4a         for 1 < |x| < 2
/// returned for the four taps at distances t+1, t, 1-t, 2-t.
@inline(__always)
func cubicWeights(_ t: Float) -> (Float, Float, Float, Float) {
    let a: Float = -0.75
    func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
    func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
    return (far(t + 1), near(t), near(1 - t), far(2 - t))
}

/// Source taps (clamped indices) and weights for one output coordinate of a bicubic resize
/// with `align_corners=False`: src = (o + 0.5) * in/out - 0.5 (not clamped), i = floor(src),
/// t = src - i, taps i-1 ... i+2 clamped to [0, in-1].
func bicubicTaps(outSize: Int, inSize: Int) -> [(index: (Int, Int, Int, Int), weight: (Float, Float, Float, Float))] {
    bicubicTaps(outSize: outSize, inSize: inSize, ratio: Float(inSize) / Float(outSize))
}

/// The same with the source step `ratio` given: src = (o + 0.5) * ratio - 0.5. PyTorch uses
/// ratio = 1 / scale_factor when a scale factor is passed without `recompute_scale_factor`.
func bicubicTaps(outSize: Int, inSize: Int, ratio scale: Float)
    -> [(index: (Int, Int, Int, Int), weight: (Float, Float, Float, Float))] {
    (0..<outSize).map { o in
        let src = (Float(o) + 0.5) * scale - 0.5
        let i = Int(floorf(src))
        let t = src - Float(i)
        func clamp(_ j: Int) -> Int { min(max(j, 0), inSize - 1) }
        return ((clamp(i - 1), clamp(i), clamp(i + 1), clamp(i + 2)), cubicWeights(t))
    }
}

/// Bicubic resize of a channel-major [C, inH, inW] grid to [C, outH, outW], exactly as PyTorch's
/// `F.interpolate(mode='bicubic', align_corners=False)` (a = -0.75, border taps clamped):
/// row_k = Σ_j wx_j inp[c, y_k, x_j]   for the four source rows y_k
/// out[c, oy, ox] = Σ_k wy_k row_k
public func bicubicResizeForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                 channels: Int, inHeight: Int, inWidth: Int,
                                 outHeight: Int, outWidth: Int) {
    bicubicResize(out: out, inp: inp, channels: channels, inHeight: inHeight, inWidth: inWidth,
                  ys: bicubicTaps(outSize: outHeight, inSize: inHeight),
                  xs: bicubicTaps(outSize: outWidth, inSize: inWidth))
}

/// Bicubic resize by a scale factor, as PyTorch's `F.interpolate(mode='bicubic',
/// align_corners=False, scale_factor=(sh, sw))` with `recompute_scale_factor` unset or False
/// (what SCLIP, ClearCLIP and NACLIP do to positional embeddings): the output is
/// floor(in * s) on each axis, and the source coordinate steps by 1/s, not by in/out:
/// src = (o + 0.5) / s - 0.5 (not clamped), taps floor(src)-1 ... floor(src)+2 clamped to the
/// border, cubic a = -0.75. The ratio 1/s is computed in double and rounded to float, as
/// PyTorch's `area_pixel_compute_scale` does. Returns the output size (rows, columns).
@discardableResult
public func bicubicResizeForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                 channels: Int, inHeight: Int, inWidth: Int,
                                 scaleFactor: (height: Double, width: Double)) -> (height: Int, width: Int) {
    let size = bicubicOutputSize(inHeight: inHeight, inWidth: inWidth, scaleFactor: scaleFactor)
    bicubicResize(out: out, inp: inp, channels: channels, inHeight: inHeight, inWidth: inWidth,
                  ys: bicubicTaps(outSize: size.height, inSize: inHeight, ratio: Float(1 / scaleFactor.height)),
                  xs: bicubicTaps(outSize: size.width, inSize: inWidth, ratio: Float(1 / scaleFactor.width)))
    return size
}

/// The output size of a resize by `scaleFactor`: floor(in * s) on each axis (PyTorch's rule).
public func bicubicOutputSize(inHeight: Int, inWidth: Int,
                              scaleFactor: (height: Double, width: Double)) -> (height: Int, width: Int) {
    precondition(scaleFactor.height > 0 && scaleFactor.width > 0, "scale factors must be positive")
    return (Int((Double(inHeight) * scaleFactor.height).rounded(.down)),
            Int((Double(inWidth) * scaleFactor.width).rounded(.down)))
}

/// Separable bicubic resampling with precomputed row and column taps.
private func bicubicResize(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, channels: Int,
                           inHeight: Int, inWidth: Int,
                           ys: [(index: (Int, Int, Int, Int), weight: (Float, Float, Float, Float))],
                           xs: [(index: (Int, Int, Int, Int), weight: (Float, Float, Float, Float))]) {
    let outHeight = ys.count, outWidth = xs.count
    parallelRanges(channels, minimumCount: 8) { range in
        for c in range {
            let plane = inp + c * inHeight * inWidth
            let dst = out + c * outHeight * outWidth
            for oy in 0..<outHeight {
                let (yi, yw) = ys[oy]
                for ox in 0..<outWidth {
                    let (xi, xw) = xs[ox]
                    func row(_ y: Int) -> Float {
                        let r = plane + y * inWidth
                        return r[xi.0] * xw.0 + r[xi.1] * xw.1 + r[xi.2] * xw.2 + r[xi.3] * xw.3
                    }
                    dst[oy * outWidth + ox] = row(yi.0) * yw.0 + row(yi.1) * yw.1
                        + row(yi.2) * yw.2 + row(yi.3) * yw.3
                }
            }
        }
    }
}
