import Pixels

/// Area-averaged resampling in linear light: each output pixel is the mean of the source
/// area it covers, with partly covered source pixels weighted by the fraction covered.
///
/// For output index j of m over n source pixels, the covered interval is
/// [j n/m, (j+1) n/m); source pixel i contributes weight
///     w(i, j) = overlap([i, i+1), [j n/m, (j+1) n/m)) / (n/m)
/// so the weights of each output pixel sum to 1. The filter is separable: rows first,
/// then columns. Values are converted sRGB -> linear before and linear -> sRGB after.
///
/// ```swift
/// let small = AreaResampler.resample(photo, width: 160, height: 100)
/// ```
public enum AreaResampler {
    /// The source spans and weights of each of `m` outputs over `n` inputs.
    struct Spans {
        var start: [Int] = []
        var count: [Int] = []
        var offset: [Int] = []
        var weights: [Float] = []

        init(source n: Int, target m: Int) {
            let scale = Double(n) / Double(m)
            for j in 0..<m {
                let lo = Double(j) * scale, hi = Double(j + 1) * scale
                let first = min(n - 1, Int(lo.rounded(.down)))
                let last = max(first, min(n - 1, Int(hi.rounded(.up)) - 1))
                start.append(first)
                count.append(last - first + 1)
                offset.append(weights.count)
                var total = 0.0
                var ws: [Double] = []
                for i in first...last {
                    let w = max(0, min(hi, Double(i + 1)) - max(lo, Double(i)))
                    ws.append(w); total += w
                }
                for w in ws { weights.append(Float(total > 0 ? w / total : 1 / Double(ws.count))) }
            }
        }
    }

    /// `image` resampled to `width` x `height` by area averaging in linear light (or, with
    /// `linearLight: false`, directly on the sRGB codes, as many viewers do).
    public static func resample(_ image: RGBImage, width: Int, height: Int, linearLight: Bool = true) -> RGBImage {
        precondition(width > 0 && height > 0, "resampling to an empty image")
        guard image.width > 0 && image.height > 0 else { return RGBImage(width: width, height: height) }
        if width == image.width && height == image.height { return image }
        let (sw, sh) = (image.width, image.height)
        let cols = Spans(source: sw, target: width)
        let rows = Spans(source: sh, target: height)
        let rowLength = width * 3
        // Pass 1: each source row, horizontally averaged, in linear light.
        var horizontal = [Float](repeating: 0, count: sh * rowLength)
        var line = [Float](repeating: 0, count: sw * 3)
        (linearLight ? LinearLight.fromSRGB : LinearLight.codeFraction).withUnsafeBufferPointer { toLinear in
            image.pixels.withUnsafeBufferPointer { src in
                horizontal.withUnsafeMutableBufferPointer { h in
                    line.withUnsafeMutableBufferPointer { line in
                        cols.weights.withUnsafeBufferPointer { weights in
                            for y in 0..<sh {
                                let rowStart = y * sw * 3
                                for i in 0..<(sw * 3) { line[i] = toLinear[Int(src[rowStart + i])] }
                                let out = y * rowLength
                                for j in 0..<width {
                                    var r: Float = 0, g: Float = 0, b: Float = 0
                                    let s = cols.start[j], o = cols.offset[j]
                                    for k in 0..<cols.count[j] {
                                        let w = weights[o + k], p = 3 * (s + k)
                                        r += w * line[p]; g += w * line[p + 1]; b += w * line[p + 2]
                                    }
                                    h[out + 3 * j] = r; h[out + 3 * j + 1] = g; h[out + 3 * j + 2] = b
                                }
                            }
                        }
                    }
                }
            }
        }
        // Pass 2: columns, then back to sRGB.
        var out = [UInt8](repeating: 0, count: height * rowLength)
        var acc = [Float](repeating: 0, count: rowLength)
        (linearLight ? LinearLight.toSRGBTable : LinearLight.fractionCode).withUnsafeBufferPointer { table in
            horizontal.withUnsafeBufferPointer { h in
                out.withUnsafeMutableBufferPointer { dst in
                    acc.withUnsafeMutableBufferPointer { acc in
                        for k in 0..<height {
                            for i in 0..<rowLength { acc[i] = 0 }
                            let s = rows.start[k], o = rows.offset[k]
                            for n in 0..<rows.count[k] {
                                let w = rows.weights[o + n], base = (s + n) * rowLength
                                for i in 0..<rowLength { acc[i] += w * h[base + i] }
                            }
                            let base = k * rowLength
                            for i in 0..<rowLength {
                                dst[base + i] = LinearLight.toSRGB(acc[i], table: table.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// `image` resampled to `width` x `height` by nearest neighbour (pixel centres), for
    /// label maps and crisp heatmap cells.
    public static func nearest(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        var out = RGBImage(width: width, height: height)
        guard image.width > 0 && image.height > 0 else { return out }
        for y in 0..<height {
            let sy = min(image.height - 1, (2 * y + 1) * image.height / (2 * height))
            for x in 0..<width {
                let sx = min(image.width - 1, (2 * x + 1) * image.width / (2 * width))
                let s = 3 * (sy * image.width + sx), d = 3 * (y * width + x)
                out.pixels[d] = image.pixels[s]; out.pixels[d + 1] = image.pixels[s + 1]; out.pixels[d + 2] = image.pixels[s + 2]
            }
        }
        return out
    }
}
