import Foundation
import Math
import FileIO
import ModelFiles

/// Timings of the CLIP towers on ViT-B/16-sized random weights (no download), and the
/// process's peak resident memory.
///
/// ```swift
/// let report = EngineBenchmark.run()
/// print(report)        // seconds per call for dense 224 / 448 px and 20 prompts
/// ```
public struct EngineBenchmark: Sendable, CustomStringConvertible {
    /// One measured operation.
    public struct Timing: Sendable {
        public let name: String
        /// Best and median wall-clock seconds per call over the repetitions.
        public let best: Double
        public let median: Double
        /// Median CPU seconds (user + system, all threads) per call.
        public let cpu: Double
    }

    /// One head's dense features against MaskCLIP's, timed interleaved (MaskCLIP, SCLIP,
    /// ClearCLIP, NACLIP, MaskCLIP, ...) so that the machine's drift cancels in the ratio.
    public struct HeadTiming: Sendable {
        public let head: DenseHead
        /// Input side in pixels (square).
        public let size: Int
        /// Median wall seconds per call.
        public let median: Double
        /// Median over MaskCLIP's median at the same size.
        public let ratio: Double
    }

    public let timings: [Timing]
    /// Every head's dense features at 224 and 448 px.
    public let headTimings: [HeadTiming]
    /// Peak resident set size in bytes (VmHWM), when /proc is available.
    public let peakResidentBytes: Int?
    /// Cores the GEMMs and other kernels are spread over.
    public let workers: Int
    /// Instruction set of the vector kernels (exp, softmax, QuickGELU, LayerNorm).
    public let vectorKernels: String
    /// The image tower's precision that ran, and the bf16 kernel's instruction set.
    public let precision: Precision
    public let bf16Kernel: String
    /// Bytes of the image tower's linear-layer weights as held while timing.
    public let visionLinearWeightBytes: Int
    /// With bf16: dense features at 448 px against fp32's on the same random image, under a
    /// classifier of the 20 prompts' text embeddings (fp32 text tower).
    public let agreement: PrecisionAgreement?
    /// The fallback's notice when bf16 was asked for and does not run.
    public let notice: String?

    /// The twenty PASCAL VOC class names the text benchmark builds its prompts from.
    public static var vocClasses: [String] { VOCClasses.objects }

    /// Token rows for "a photo of a {class}." with `tokenize` (e.g. the CLIP tokenizer), or, when
    /// it is nil, stand-ins of the same shape: SOT, "a photo of a", one id per 5 letters of the
    /// class name, ".", EOT, padded to 77.
    public static func prompts(tokenize: (([String]) throws -> [[Int32]])? = nil) throws -> [[Int32]] {
        if let tokenize { return try tokenize(vocClasses.map { "a photo of a \($0)." }) }
        return vocClasses.enumerated().map { i, name in
            let nameTokens = (0..<max(1, (name.count + 4) / 5)).map { Int32(1000 + 10 * i + $0) }
            let row: [Int32] = [49406, 320, 1125, 539, 320] + nameTokens + [269, 49407]
            return row + [Int32](repeating: 0, count: 77 - row.count)
        }
    }

    /// Builds ViT-B/16-sized random weights and times dense features at 224 and 448 px and the
    /// text tower on `prompts` (20 rows of 77 ids), `repetitions` calls each after one warm-up,
    /// with the image tower in `precision`; `denseOnly` stops after the dense features. With bf16
    /// the 448 px features are first compared with fp32's (`agreement`).
    public static func run(prompts: [[Int32]] = try! prompts(), repetitions: Int = 5, precision requested: Precision = .fp32,
                           denseOnly: Bool = false, log: (String) -> Void = { _ in }) throws -> EngineBenchmark {
        log("building ViT-B/16-sized random weights")
        var model = CLIPModel.random(.vitB16, seed: 1)
        var g = WeightGenerator(state: 2)
        var agreement: PrecisionAgreement?
        let (precision, notice) = requested.available
        if precision == .bf16 {
            var pixels = WeightGenerator(state: 3)
            let image = Tensor(shape: [3, 448, 448], data: pixels.uniform(3 * 448 * 448, bound: 2))
            let reference = model.denseFeatures(image).features
            let classifier = TextClassifier(weights: try model.encodeText(tokens: prompts).data, classCount: prompts.count,
                                            embedDim: model.architecture.embedDim)
            model = model.converted(to: .bf16).model
            agreement = PrecisionAgreement(reference: reference, candidate: model.denseFeatures(image).features,
                                           classifier: classifier)
            log("bf16 against fp32 at 448 px: \(agreement!)")
        }
        var timings: [Timing] = []
        func time(_ name: String, _ body: () throws -> Void) rethrows {
            try body()  // warm-up
            var seconds: [Double] = []
            var cpu: [Double] = []
            for _ in 0..<repetitions {
                let start = DispatchTime.now().uptimeNanoseconds
                let cpuStart = cpuSeconds()
                try body()
                cpu.append(cpuSeconds() - cpuStart)
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            seconds.sort()
            cpu.sort()
            let t = Timing(name: name, best: seconds[0], median: seconds[seconds.count / 2], cpu: cpu[cpu.count / 2])
            log(String(format: "%@: %.3f s", name, t.median))
            timings.append(t)
        }
        for size in [224, 448] {
            let image = Tensor(shape: [3, size, size], data: g.uniform(3 * size * size, bound: 2))
            time("dense features \(size) px") { _ = model.denseFeatures(image) }
        }
        func report() -> EngineBenchmark {
            EngineBenchmark(timings: timings, headTimings: headTimings, peakResidentBytes: peakResidentBytes(),
                            workers: parallelWorkerCount, vectorKernels: VectorKernels.instructionSet, precision: precision,
                            bf16Kernel: BF16Kernels.instructionSet, visionLinearWeightBytes: model.visionLinearWeightBytes,
                            agreement: agreement, notice: notice)
        }
        var headTimings: [HeadTiming] = []
        if denseOnly { return report() }
        let image = Tensor(shape: [3, 224, 224], data: g.uniform(3 * 224 * 224, bound: 2))
        time("global embedding 224 px") { _ = model.encodeImage(image) }
        try time("text tower, \(prompts.count) prompts") { _ = try model.encodeText(tokens: prompts) }
        for size in [224, 448] {
            let image = Tensor(shape: [3, size, size], data: g.uniform(3 * size * size, bound: 2))
            var seconds: [DenseHead: [Double]] = [:]
            for rep in 0...repetitions {
                for head in DenseHead.allCases {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = model.denseFeatures(image, head: head)
                    if rep > 0 { seconds[head, default: []].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
                }
            }
            func median(_ h: DenseHead) -> Double { let s = seconds[h]!.sorted(); return s[s.count / 2] }
            for head in DenseHead.allCases {
                headTimings.append(HeadTiming(head: head, size: size, median: median(head), ratio: median(head) / median(.maskclip)))
                log(String(format: "%@ dense features %d px: %.3f s", head.rawValue, size, median(head)))
            }
        }
        // PAMR, 10 steps, dilations 8 and 16, 21 classes at 448x448 (the kernel included).
        let pamrImage = Tensor(shape: [3, 448, 448], data: g.uniform(3 * 448 * 448, bound: 2))
        let logits = g.uniform(21 * 448 * 448, bound: 0.3)
        time("PAMR 10 steps, 21 classes, 448x448") {
            _ = PAMRKernel(image: pamrImage).refine(logits, steps: 10)
        }
        return report()
    }

    /// CPU time of the process so far (user + system), in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// VmHWM from /proc/self/status, in bytes.
    public static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    public var description: String {
        // String(format:) does not pad %@ on Linux.
        func pad(_ s: String) -> String { s.padding(toLength: max(36, s.count), withPad: " ", startingAt: 0) }
        var lines = timings.map {
            pad($0.name) + String(format: " %.3f s/call (best %.3f, CPU %.3f s)", $0.median, $0.best, $0.cpu)
        }
        for t in headTimings {
            lines.append(pad("\(t.head.rawValue) dense features \(t.size) px")
                         + String(format: " %.3f s/call, %.2f x maskclip's", t.median, t.ratio))
        }
        if let peak = peakResidentBytes {
            lines.append(pad("peak resident memory") + String(format: " %.2f GB", Double(peak) / 1e9))
        }
        lines.append("cores used: \(workers) (GEMMs split over them, OpenBLAS single-threaded); vector kernels: \(vectorKernels)")
        lines.append("precision: \(precision.rawValue) (bf16 kernel: \(bf16Kernel))"
                     + String(format: "; image tower linear weights %.0f MB", Double(visionLinearWeightBytes) / 1e6))
        if let notice { lines.append(notice) }
        if let agreement { lines.append("bf16 against fp32, dense features 448 px: \(agreement)") }
        return lines.joined(separator: "\n")
    }
}
