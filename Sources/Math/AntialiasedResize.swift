import Foundation

/// PIL's bicubic filter (a = -0.5), support 2:
/// k(x) = ((a+2)|x| - (a+3))|x|² + 1      for |x| < 1
/// k(x) = (((|x| - 5)|x| + 8)|x| - 4) a    for 1 ≤ |x| < 2
func pilBicubicFilter(_ v: Double) -> Double {
    let a = -0.5
    let x = abs(v)
    if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
    if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
    return 0
}

/// Fixed-point precision of PIL's 8-bit resampling.
let resamplePrecisionBits = 32 - 8 - 2

/// Per-output-pixel source window and fixed-point weights of PIL's antialiased resampling
/// along one axis (`precompute_coeffs` + `normalize_coeffs_8bpc` in PIL's Resample.c):
/// scale = in/out; support = 2 * max(scale, 1); centre = (o + 0.5) * scale;
/// window [floor(centre - support + 0.5), floor(centre + support + 0.5)) clipped to the image;
/// weight_i = k((i - centre + 0.5) / max(scale, 1)), normalised to sum 1, then rounded to
/// integers with 22 fractional bits.
func antialiasedTaps(outSize: Int, inSize: Int) -> [(start: Int, weights: [Int32])] {
    let scale = Double(inSize) / Double(outSize)
    let filterScale = max(scale, 1)
    let support = 2 * filterScale
    let one = Double(1 << resamplePrecisionBits)
    return (0..<outSize).map { o in
        let centre = (Double(o) + 0.5) * scale
        let lo = max(Int(centre - support + 0.5), 0)
        let hi = min(Int(centre + support + 0.5), inSize)
        var w = (lo..<hi).map { pilBicubicFilter((Double($0) - centre + 0.5) / filterScale) }
        let total = w.reduce(0, +)
        if total != 0 { w = w.map { $0 / total } }
        let fixed = w.map { Int32($0 < 0 ? (-0.5 + $0 * one) : (0.5 + $0 * one)) }
        return (lo, fixed)
    }
}

/// Resamples interleaved 8-bit pixels (`channels` per pixel) from inW x inH to outW x outH with
/// an antialiased bicubic filter, bit-exactly like PIL's `Image.resize(size, Image.BICUBIC)`
/// (what CLIP's preprocessing uses): a horizontal pass to an 8-bit intermediate image, then a
/// vertical pass, each
/// out = clip8((2^21 + Σ_i w_i · in_i) >> 22)
/// with the fixed-point weights of `antialiasedTaps`. A pass whose size does not change is
/// skipped, as in PIL; an unchanged size copies the input.
public func antialiasedResize(_ inp: [UInt8], channels: Int, inWidth: Int, inHeight: Int,
                              outWidth: Int, outHeight: Int) -> [UInt8] {
    precondition(inp.count == inWidth * inHeight * channels, "pixel count does not match the size")
    let half = Int32(1 << (resamplePrecisionBits - 1))
    @inline(__always) func clip8(_ v: Int32) -> UInt8 {
        let s = v >> Int32(resamplePrecisionBits)
        return s < 0 ? 0 : s > 255 ? 255 : UInt8(s)
    }
    var image = inp
    var width = inWidth
    if outWidth != inWidth {
        let taps = antialiasedTaps(outSize: outWidth, inSize: inWidth)
        var next = [UInt8](repeating: 0, count: outWidth * inHeight * channels)
        for y in 0..<inHeight {
            for (ox, tap) in taps.enumerated() {
                for c in 0..<channels {
                    var acc = half
                    for (i, w) in tap.weights.enumerated() {
                        acc &+= Int32(image[(y * width + tap.start + i) * channels + c]) &* w
                    }
                    next[(y * outWidth + ox) * channels + c] = clip8(acc)
                }
            }
        }
        image = next
        width = outWidth
    }
    if outHeight != inHeight {
        let taps = antialiasedTaps(outSize: outHeight, inSize: inHeight)
        var next = [UInt8](repeating: 0, count: width * outHeight * channels)
        let rowCount = width * channels
        for (oy, tap) in taps.enumerated() {
            for j in 0..<rowCount {
                var acc = half
                for (i, w) in tap.weights.enumerated() {
                    acc &+= Int32(image[(tap.start + i) * rowCount + j]) &* w
                }
                next[oy * rowCount + j] = clip8(acc)
            }
        }
        image = next
    }
    return image
}
