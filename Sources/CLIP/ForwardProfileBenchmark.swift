import Foundation
import Math

/// A per-operation profile of the whole MaskCLIP dense-feature forward on ViT-B/16-sized random
/// weights, in fp32 and bf16, beside the machine's GEMM peaks measured interleaved with it:
/// for each kind of operation (`ForwardProfile.Operation`) the seconds per forward, its GFLOP
/// (counted from the shapes), GFLOP/s and share of the forward, and the whole forward's GFLOP/s
/// as a fraction of the peak of its precision.
///
/// ```swift
/// print(ForwardProfileBenchmark.run())   // 448 px: a table per precision, then the ratios to the peaks
/// ```
public struct ForwardProfileBenchmark: Sendable, CustomStringConvertible {
    /// One precision's forwards, and the peaks measured in the same rounds.
    public struct Run: Sendable {
        public let precision: Precision
        /// Per operation, mean seconds and FLOPs per forward over the rounds.
        public let operations: [(operation: ForwardProfile.Operation, seconds: Double, flops: Double)]
        /// Each round's whole-forward seconds and the same round's peak GFLOP/s in this precision.
        public let rounds: [(seconds: Double, peak: Double)]

        /// Mean seconds and FLOPs per forward.
        public var seconds: Double { operations.reduce(0) { $0 + $1.seconds } }
        public var flops: Double { operations.reduce(0) { $0 + $1.flops } }

        /// Whole-forward GFLOP/s over the peak's, per round, then the median over rounds.
        public var fractionOfPeak: Double {
            let r = rounds.map { flops / $0.seconds / 1e9 / $0.peak }.sorted()
            return r[r.count / 2]
        }
    }

    /// Input side in pixels (square).
    public let size: Int
    /// Side of the square products the peaks are measured at.
    public let peakSize: Int
    /// fp32, then bf16 when the CPU has AVX512_BF16.
    public let runs: [Run]
    /// The 1-minute load average (/proc/loadavg) before and after, when available.
    public let load: (before: Double?, after: Double?)
    /// Cores used, and the kernels' instruction sets.
    public let workers: Int
    public let vectorKernels: String
    public let bf16Kernel: String

    /// Builds the random weights (and their bf16 conversion), warms each precision up with one
    /// forward, then runs `rounds` rounds of: the peaks at `peakSize`³ (one fp32 and one bf16
    /// sample after a warm-up, `GEMMBenchmark`), one profiled fp32 forward, one profiled bf16 forward.
    public static func run(size: Int = 448, rounds: Int = 5, peakSize: Int = 3072,
                           log: (String) -> Void = { _ in }) -> ForwardProfileBenchmark {
        let loadBefore = loadAverage()
        log("building ViT-B/16-sized random weights")
        let fp32 = CLIPModel.random(.vitB16, seed: 1)
        var models: [(Precision, CLIPModel)] = [(.fp32, fp32)]
        if Precision.bf16.available.precision == .bf16 { models.append((.bf16, fp32.converted(to: .bf16).model)) }
        var g = WeightGenerator(state: 3)
        let image = Tensor(shape: [3, size, size], data: g.uniform(3 * size * size, bound: 2))
        for (_, model) in models { _ = model.denseFeatures(image) }  // warm-up
        var profiles: [Precision: [ForwardProfile]] = [:]
        var peaks: [Precision: [Double]] = [:]
        for round in 1...rounds {
            let peak = GEMMBenchmark.run(sizes: [], peakSize: peakSize, repetitions: 1)
            peaks[.fp32, default: []].append(peak.peakFP32)
            if let bf16 = peak.peakBF16 { peaks[.bf16, default: []].append(bf16) }
            for (precision, model) in models {
                let profile = ForwardProfile()
                _ = model.denseFeatures(image, profile: profile)
                profiles[precision, default: []].append(profile)
                log(String(format: "round %d: %@ %.3f s (peak %.0f GFLOP/s)", round, precision.rawValue,
                           profile.forwardSeconds, peaks[precision]!.last!))
            }
        }
        let runs = models.map { precision, _ in
            let ps = profiles[precision]!
            let count = Double(ps.count)
            return Run(precision: precision,
                       operations: ForwardProfile.Operation.allCases.map { op in
                           (op, ps.reduce(0) { $0 + $1[op].seconds } / count, ps.reduce(0) { $0 + $1[op].flops } / count)
                       },
                       rounds: zip(ps, peaks[precision]!).map { ($0.forwardSeconds, $1) })
        }
        return ForwardProfileBenchmark(size: size, peakSize: peakSize, runs: runs, load: (loadBefore, loadAverage()),
                                       workers: parallelWorkerCount, vectorKernels: VectorKernels.instructionSet,
                                       bf16Kernel: BF16Kernels.instructionSet)
    }

    /// The 1-minute load average, from /proc/loadavg.
    static func loadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }

    public var description: String {
        // String(format:) does not pad %@ on Linux.
        func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count), withPad: " ", startingAt: 0) }
        var lines: [String] = []
        for run in runs {
            lines.append("\(run.precision.rawValue), \(size) px, MaskCLIP dense features, mean of \(run.rounds.count) forwards")
            lines.append(pad("operation", 24) + "   s/forward    GFLOP  GFLOP/s   share")
            for (op, seconds, flops) in run.operations {
                let rate = seconds > 0 && flops > 0 ? String(format: "%8.0f", flops / seconds / 1e9) : "       -"
                lines.append(pad(op.rawValue, 24) + String(format: "  %9.4f  %7.2f  ", seconds, flops / 1e9) + rate
                             + String(format: "  %5.1f %%", 100 * seconds / run.seconds))
            }
            lines.append(pad("whole forward", 24) + String(format: "  %9.4f  %7.2f  %8.0f  100.0 %%", run.seconds, run.flops / 1e9,
                                                            run.flops / run.seconds / 1e9))
            lines.append("rounds (forward s, peak GFLOP/s): "
                         + run.rounds.map { String(format: "%.3f, %.0f", $0.seconds, $0.peak) }.joined(separator: "; "))
            lines.append(String(format: "whole forward / %@ peak at %d^3: %.0f %% (median over rounds of each round's pair)",
                                run.precision.rawValue, peakSize, 100 * run.fractionOfPeak))
            lines.append("")
        }
        func format(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "?" }
        lines.append("load average (1 min): \(format(load.before)) before, \(format(load.after)) after")
        lines.append("cores used: \(workers); vector kernels: \(vectorKernels); bf16 kernel: \(bf16Kernel)")
        return lines.joined(separator: "\n")
    }
}
