import Foundation
import Math

/// The machine's GEMM limits and the speed of every matrix product of the ViT-B/16 image
/// forward, float32 (OpenBLAS `sgemm` through `gemm`, split over the cores) beside bf16 (the
/// vdpbf16ps kernel through `gemm(...weight: BF16Matrix...)`, weights packed beforehand as the
/// model holds them; attention with its per-head packing included), each pair timed interleaved so that the machine's drift cancels in the ratio.
///
/// ```swift
/// print(GEMMBenchmark.run())   // peak GFLOP/s at 3072³, then each shape at 224 and 448 px
/// ```
public struct GEMMBenchmark: Sendable, CustomStringConvertible {
    /// One product C[m, n] = A[m, k] · Wᵀ, as it occurs `calls` times in one forward.
    public struct Shape: Sendable {
        public let name: String
        public let m: Int, n: Int, k: Int
        /// How many times the dense-feature forward runs it.
        public let calls: Int
        /// Median wall seconds per product in float32, and in bf16 (nil: no bf16 path).
        public let fp32: Double
        public let bf16: Double?

        /// 2mnk, the floating-point operations of one product.
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    /// Side of the square products the peaks are measured at.
    public let peakSize: Int
    /// GFLOP/s at `peakSize`³ in float32 and in bf16 (nil when the CPU has no AVX512_BF16).
    public let peakFP32: Double
    public let peakBF16: Double?
    /// The forward's products at each input side (224 and 448 px).
    public let shapes: [(size: Int, shapes: [Shape])]
    /// Cores used, and the bf16 kernel's instruction set.
    public let workers: Int
    public let bf16Kernel: String

    /// Times the peaks and the shapes, `repetitions` interleaved samples each after a warm-up;
    /// a sample repeats a product until it reaches about 2 GFLOP.
    public static func run(architecture arch: CLIPArchitecture = .vitB16, sizes: [Int] = [224, 448],
                           peakSize: Int = 3072, repetitions: Int = 5, log: (String) -> Void = { _ in }) -> GEMMBenchmark {
        var g = WeightGenerator(state: 7)
        let accelerated = BF16Kernels.isAccelerated
        /// Median seconds per call of `fp32` and of `bf16`, interleaved.
        func timePair(flops: Double, _ fp32: () -> Void, _ bf16: (() -> Void)?) -> (Double, Double?) {
            let inner = max(1, Int(2e9 / flops))
            var a: [Double] = [], b: [Double] = []
            func sample(_ body: () -> Void) -> Double {
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<inner { body() }
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(inner)
            }
            for rep in 0...repetitions {
                let ta = sample(fp32)
                let tb = bf16.map { sample($0) }
                if rep > 0 { a.append(ta); if let tb { b.append(tb) } }
            }
            func median(_ s: [Double]) -> Double { s.sorted()[s.count / 2] }
            return (median(a), b.isEmpty ? nil : median(b))
        }
        /// C[m, n] = A[m, k] Wᵀ in both precisions.
        func linear(_ name: String, m: Int, n: Int, k: Int, calls: Int) -> Shape {
            let a = g.uniform(m * k, bound: 1), w = g.uniform(n * k, bound: 1)
            let w16 = BF16Matrix(w, rows: n, columns: k)
            var c = [Float](repeating: 0, count: m * n)
            let flops = 2 * Double(m) * Double(n) * Double(k)
            let (t32, t16) = timePair(flops: flops, {
                gemm(transposeA: false, transposeB: true, m: m, n: n, k: k, a: a, lda: k, b: w, ldb: k, c: &c, ldc: n)
            }, accelerated ? {
                a.withUnsafeBufferPointer { ap in
                    c.withUnsafeMutableBufferPointer { cp in
                        gemm(m: m, k: k, a: ap.baseAddress!, lda: k, weight: w16, c: cp.baseAddress!, ldc: n)
                    }
                }
            } : nil)
            return Shape(name: name, m: m, n: n, k: k, calls: calls, fp32: t32, bf16: t16)
        }

        log("peak: \(peakSize)^3")
        let peak = linear("square", m: peakSize, n: peakSize, k: peakSize, calls: 0)
        var all: [(Int, [Shape])] = []
        let (c, hidden, layers, heads) = (arch.visionWidth, 4 * arch.visionWidth, arch.visionLayers, arch.visionHeads)
        for size in sizes {
            let patches = (size / arch.patchSize) * (size / arch.patchSize), t = 1 + patches
            log("\(size) px: \(t) tokens")
            var shapes = [
                linear("patch embedding", m: patches, n: c, k: 3 * arch.patchSize * arch.patchSize, calls: 1),
                linear("qkv", m: t, n: 3 * c, k: c, calls: layers - 1),
                linear("v (last block)", m: t, n: c, k: c, calls: 1),
                linear("out_proj", m: t, n: c, k: c, calls: layers),
                linear("fc1", m: t, n: hidden, k: c, calls: layers),
                linear("fc2", m: t, n: c, k: hidden, calls: layers),
                linear("visual projection", m: patches, n: arch.embedDim, k: c, calls: 1),
            ]
            // Attention: both products of every head (queries in blocks of 128) and the softmax,
            // as attentionForward runs them; counted as 4 t² C operations.
            let qkv = g.uniform(t * 3 * c, bound: 1)
            var out = [Float](repeating: 0, count: t * c)
            func attention(_ precision: Precision) {
                qkv.withUnsafeBufferPointer { q in
                    attentionForward(out: &out, probs: nil, qkv: q.baseAddress!, batch: 1, tokens: t, channels: c,
                                     heads: heads, causal: false, precision: precision)
                }
            }
            let (ta, tb) = timePair(flops: 4 * Double(t * t * c), { attention(.fp32) }, accelerated ? { attention(.bf16) } : nil)
            shapes.append(Shape(name: "attention (\(heads) heads)", m: t, n: t, k: 2 * c, calls: layers - 1, fp32: ta, bf16: tb))
            all.append((size, shapes))
        }
        return GEMMBenchmark(peakSize: peakSize, peakFP32: peak.flops / peak.fp32 / 1e9,
                             peakBF16: peak.bf16.map { peak.flops / $0 / 1e9 }, shapes: all,
                             workers: parallelWorkerCount, bf16Kernel: BF16Kernels.instructionSet)
    }

    public var description: String {
        func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count), withPad: " ", startingAt: 0) }
        var lines = [String(format: "peak at %d^3: fp32 %.0f GFLOP/s", peakSize, peakFP32)
                     + (peakBF16.map { String(format: ", bf16 %.0f GFLOP/s (%.2fx)", $0, $0 / peakFP32) } ?? ", bf16: no AVX512_BF16")]
        for (size, shapes) in shapes {
            lines.append("")
            lines.append("\(size) px" + pad("", 26) + "m     n     k  calls   GFLOP  fp32 GFLOP/s (of peak)  bf16 GFLOP/s (of peak)  bf16/fp32 time")
            var total32 = 0.0, total16 = 0.0, flops = 0.0
            for s in shapes {
                let g32 = s.flops / s.fp32 / 1e9
                var row = pad(s.name, 26) + String(format: "%6d%6d%6d%7d%8.1f  %7.0f (%3.0f %%)      ", s.m, s.n, s.k, s.calls,
                                                   s.flops * Double(s.calls) / 1e9, g32, 100 * g32 / peakFP32)
                if let b = s.bf16, let peakBF16 {
                    let g16 = s.flops / b / 1e9
                    row += String(format: "  %7.0f (%3.0f %%)        %.2f", g16, 100 * g16 / peakBF16, b / s.fp32)
                } else {
                    row += "        -"
                }
                lines.append(row)
                total32 += s.fp32 * Double(s.calls)
                total16 += (s.bf16 ?? s.fp32) * Double(s.calls)
                flops += s.flops * Double(s.calls)
            }
            lines.append(String(format: "sum per forward: %.1f GFLOP; fp32 %.3f s (%.0f GFLOP/s), bf16 %.3f s (%.0f GFLOP/s)",
                                flops / 1e9, total32, flops / total32 / 1e9, total16, flops / total16 / 1e9))
        }
        lines.append("")
        lines.append("cores used: \(workers); bf16 kernel: \(bf16Kernel)")
        return lines.joined(separator: "\n")
    }
}
