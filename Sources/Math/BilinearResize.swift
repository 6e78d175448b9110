/// The two source taps and the weight of the second, for each of `outSize` output positions
/// sampling `inSize` inputs with half-pixel centres (`align_corners=False`).
public func bilinearTaps(outSize: Int, inSize: Int) -> [(i0: Int, i1: Int, weight: Float)] {
    let scale = Float(inSize) / Float(outSize)
    return (0..<outSize).map { o in
        let src = max((Float(o) + 0.5) * scale - 0.5, 0)
        let i0 = min(Int(src), inSize - 1)
        return (i0, min(i0 + 1, inSize - 1), src - Float(i0))
    }
}

/// The two source taps and the weight of the second with `align_corners=True` (corner pixels
/// aligned): src = o * (in - 1) / (out - 1) (0 when out is 1), i0 = floor(src),
/// i1 = min(i0 + 1, in - 1), as PyTorch's `upsample_bilinear2d`.
public func bilinearTapsAlignedCorners(outSize: Int, inSize: Int) -> [(i0: Int, i1: Int, weight: Float)] {
    let scale: Float = outSize > 1 ? Float(inSize - 1) / Float(outSize - 1) : 0
    return (0..<outSize).map { o in
        let src = Float(o) * scale
        let i0 = min(Int(src), inSize - 1)
        return (i0, min(i0 + 1, inSize - 1), src - Float(i0))
    }
}

/// Bilinear resize of a channel-major [C, inH, inW] grid to [C, outH, outW] as PyTorch's
/// `F.interpolate(mode='bilinear', align_corners=False)`:
/// src = max((o + 0.5) * in/out - 0.5, 0), i0 = floor(src), i1 = min(i0 + 1, in - 1), λ = src - i0
/// out[c, oy, ox] = (1-λy)((1-λx) x[y0, x0] + λx x[y0, x1]) + λy((1-λx) x[y1, x0] + λx x[y1, x1])
/// With `alignCorners`, `align_corners=True` sampling (`bilinearTapsAlignedCorners`).
public func bilinearResizeForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                  channels: Int, inHeight: Int, inWidth: Int,
                                  outHeight: Int, outWidth: Int, alignCorners: Bool = false) {
    let xs = alignCorners ? bilinearTapsAlignedCorners(outSize: outWidth, inSize: inWidth)
                          : bilinearTaps(outSize: outWidth, inSize: inWidth)
    let ys = alignCorners ? bilinearTapsAlignedCorners(outSize: outHeight, inSize: inHeight)
                          : bilinearTaps(outSize: outHeight, inSize: inHeight)
    parallelRanges(channels, minimumCount: 8) { range in
        for c in range {
            let plane = inp + c * inHeight * inWidth
            let dst = out + c * outHeight * outWidth
            for oy in 0..<outHeight {
                let (y0, y1, ly) = ys[oy]
                for ox in 0..<outWidth {
                    let (x0, x1, lx) = xs[ox]
                    let top = (1 - lx) * plane[y0 * inWidth + x0] + lx * plane[y0 * inWidth + x1]
                    let bottom = (1 - lx) * plane[y1 * inWidth + x0] + lx * plane[y1 * inWidth + x1]
                    dst[oy * outWidth + ox] = (1 - ly) * top + ly * bottom
                }
            }
        }
    }
}
