import Foundation

/// Pixel-adaptive mask refinement (PAMR, Araslanov & Roth 2020; the `pamr.py` SCLIP and NACLIP
/// ship): class maps are repeatedly replaced by an average of their values at dilated
/// neighbours, weighted by how alike the image's colours are there.
///
/// For each dilation d the neighbours of pixel p are the 8 offsets d·(oy, ox), (oy, ox) in
/// {-1, 0, 1}² without (0, 0), positions clamped to the image (`F.pad(mode='replicate')`):
/// 8 · dilations.count neighbours n. With x_c the image's channel c:
/// - σ_c(p): the unbiased standard deviation (divide by N - 1) of x_c over the 3x3 dilated
///   window of every dilation, centre included (so the centre is counted once per dilation);
/// - a(p, n) = mean_c( -|x_c(p) - x_c(p + n)| / (1e-8 + 0.1 σ_c(p)) ); w(p, ·) = softmax_n a(p, ·);
/// - each step: m_k(p) <- Σ_n w(p, n) m_k(p + n) (from the previous iterate; the centre is not
///   a neighbour).
/// The weights depend only on the image, so one kernel refines any number of maps, and the
/// refinement is linear in the maps (it commutes with a logit scale, or with raw - alpha * bias).
///
/// ```swift
/// let kernel = PAMRKernel(image: normalisedImage)             // [3, H, W]
/// let refined = kernel.refine(logits, steps: 10)             // [K, H, W] -> [K, H, W]
/// ```
public struct PAMRKernel: Sendable {
    /// Image rows and columns (the refined maps' size).
    public let height: Int, width: Int
    /// The dilations, in order (SCLIP's and NACLIP's default: 8 and 16).
    public let dilations: [Int]
    /// Neighbour offsets (dy, dx), 8 per dilation, in PyTorch's kernel order.
    public let offsets: [(dy: Int, dx: Int)]
    /// The affinity weights w [offsets.count, H, W]; for each pixel they sum to 1 over the offsets.
    public let weights: [Float]

    /// The eight unit offsets of a dilated 3x3 window without its centre, row-major.
    static let unitOffsets = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]

    /// The kernel of an image [C, H, W] (C = 3 for RGB; the repositories pass the normalised image).
    public init(image: Tensor, dilations: [Int] = [8, 16]) {
        precondition(image.rank == 3 && image.shape.allSatisfy { $0 > 0 }, "PAMR image must be [C, H, W], got \(image.shape)")
        precondition(!dilations.isEmpty && dilations.allSatisfy { $0 > 0 }, "PAMR dilations must be positive")
        let (C, H, W) = (image.shape[0], image.shape[1], image.shape[2])
        let offsets = dilations.flatMap { d in Self.unitOffsets.map { (dy: d * $0.0, dx: d * $0.1) } }
        let N = offsets.count
        let taps = dilations.count * 9
        var w = [Float](repeating: 0, count: N * H * W)
        image.data.withUnsafeBufferPointer { img in
            w.withUnsafeMutableBufferPointer { wb in
                let x = img.baseAddress!, out = wb.baseAddress!
                parallelRanges(H, minimumCount: 4) { rows in
                    var a = [Float](repeating: 0, count: N)
                    var sigma = [Float](repeating: 0, count: C)
                    for y in rows {
                        for px in 0..<W {
                            // σ_c over every dilation's 3x3 window (centre included), two passes.
                            for c in 0..<C {
                                let plane = x + c * H * W
                                var sum: Float = 0
                                for d in dilations {
                                    for oy in -1...1 {
                                        let row = plane + min(max(y + oy * d, 0), H - 1) * W
                                        for ox in -1...1 { sum += row[min(max(px + ox * d, 0), W - 1)] }
                                    }
                                }
                                let mean = sum / Float(taps)
                                var squares: Float = 0
                                for d in dilations {
                                    for oy in -1...1 {
                                        let row = plane + min(max(y + oy * d, 0), H - 1) * W
                                        for ox in -1...1 {
                                            let e = row[min(max(px + ox * d, 0), W - 1)] - mean
                                            squares += e * e
                                        }
                                    }
                                }
                                sigma[c] = (squares / Float(taps - 1)).squareRoot()
                            }
                            var peak = -Float.infinity
                            for (n, o) in offsets.enumerated() {
                                let ny = min(max(y + o.dy, 0), H - 1), nx = min(max(px + o.dx, 0), W - 1)
                                var s: Float = 0
                                for c in 0..<C {
                                    let plane = x + c * H * W
                                    s -= abs(plane[y * W + px] - plane[ny * W + nx]) / (1e-8 + 0.1 * sigma[c])
                                }
                                a[n] = s / Float(C)
                                peak = max(peak, a[n])
                            }
                            var total: Float = 0
                            for n in 0..<N { a[n] = expf(a[n] - peak); total += a[n] }
                            for n in 0..<N { out[(n * H + y) * W + px] = a[n] / total }
                        }
                    }
                }
            }
        }
        self.height = H
        self.width = W
        self.dilations = dilations
        self.offsets = offsets
        self.weights = w
    }

    /// `steps` refinement steps of `maps` [K, H, W] (class-major, the kernel's size); returns
    /// [K, H, W]. Rows are split over the cores; every step reads only the previous iterate.
    public func refine(_ maps: [Float], steps: Int) -> [Float] {
        let plane = height * width
        precondition(plane > 0 && maps.count % plane == 0, "PAMR maps hold \(maps.count) values, not K x \(height) x \(width)")
        precondition(steps >= 0, "PAMR steps must be non-negative")
        let K = maps.count / plane
        var current = maps
        var next = [Float](repeating: 0, count: maps.count)
        let (H, W) = (height, width)
        for _ in 0..<steps {
            current.withUnsafeBufferPointer { cb in
                next.withUnsafeMutableBufferPointer { nb in
                    weights.withUnsafeBufferPointer { wb in
                        let cur = cb.baseAddress!, nxt = nb.baseAddress!, w = wb.baseAddress!
                        parallelRanges(H, minimumCount: 2) { rows in
                            for y in rows {
                                for k in 0..<K { (nxt + k * plane + y * W).initialize(repeating: 0, count: W) }
                                for (n, o) in offsets.enumerated() {
                                    let wRow = w + (n * H + y) * W
                                    let sy = min(max(y + o.dy, 0), H - 1)
                                    // Columns whose neighbour x + dx lies inside the image.
                                    let lo = min(max(-o.dx, 0), W), hi = max(min(W - o.dx, W), lo)
                                    for k in 0..<K {
                                        let dst = nxt + k * plane + y * W
                                        let src = cur + k * plane + sy * W
                                        for x in 0..<lo { dst[x] += wRow[x] * src[0] }
                                        let shifted = src + o.dx
                                        for x in lo..<hi { dst[x] += wRow[x] * shifted[x] }
                                        for x in hi..<W { dst[x] += wRow[x] * src[W - 1] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            swap(&current, &next)
        }
        return current
    }
}

/// PAMR as the repositories call it (`PAMR(steps, dilations)(image, masks)`): the masks
/// [K, h, w] are first resized to the image's H x W bilinearly with `align_corners=True` (the
/// identity when they already have its size), then refined `steps` times. Returns [K, H, W].
public func pamrForward(image: Tensor, masks: Tensor, steps: Int, dilations: [Int] = [8, 16]) -> Tensor {
    precondition(masks.rank == 3, "PAMR masks must be [K, h, w], got \(masks.shape)")
    let kernel = PAMRKernel(image: image, dilations: dilations)
    let (K, h, w) = (masks.shape[0], masks.shape[1], masks.shape[2])
    var m = masks.data
    if h != kernel.height || w != kernel.width {
        m = [Float](repeating: 0, count: K * kernel.height * kernel.width)
        masks.data.withUnsafeBufferPointer { src in
            bilinearResizeForward(out: &m, inp: src.baseAddress!, channels: K, inHeight: h, inWidth: w,
                                  outHeight: kernel.height, outWidth: kernel.width, alignCorners: true)
        }
    }
    return Tensor(shape: [K, kernel.height, kernel.width], data: kernel.refine(m, steps: steps))
}
