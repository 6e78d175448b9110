import ArgumentParser
import Foundation
import FileIO
import Math
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

/// `reclip bench ...`: every benchmark of the program under one command, each printing its
/// figures (seconds per call, throughput, memory) for the machine it runs on.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: engine (CLIP towers), gemm (fp32 and bf16 GEMM peaks and the ViT-B/16 shapes), profile (the 448 px forward per operation, against the peaks), render (cells, PSNR), alpha, train (rectifier step), text (tokenizer, SHA-256), dataset (the dataset view), class (adding a class in the explorer).",
        subcommands: [BenchEngine.self, BenchGEMM.self, BenchProfile.self, BenchRender.self, BenchAlpha.self, BenchTrain.self, BenchText.self, BenchDataset.self,
                      BenchClass.self],
        defaultSubcommand: BenchEngine.self)
}

/// `--peak-size`, shared by the benchmarks that measure the GEMM peaks (`GEMMBenchmark`).
struct PeakSizeOption: ParsableArguments {
    @Option(help: "Side of the square product the peaks are measured at (256...8192).")
    var peakSize: Int = 3072

    func validate() throws {
        try OptionRange.check(peakSize, in: 256...8192, "--peak-size")
    }
}

/// A benchmark's progress line, to standard error (standard output holds its report).
func logToStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `reclip bench gemm`: the machine's fp32 and bf16 GEMM peaks and every product of the ViT-B/16
/// image forward at 224 and 448 px, as GFLOP/s and fractions of the peaks.
struct BenchGEMM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Measure the fp32 (OpenBLAS sgemm) and bf16 (vdpbf16ps kernel) GEMM peaks at a large square shape and the GFLOP/s of each GEMM shape of the ViT-B/16 forward at 224 and 448 px, fp32 and bf16 interleaved.")

    @Option(help: "Interleaved samples per measurement (after one warm-up).")
    var repetitions: Int = 5

    @OptionGroup var peak: PeakSizeOption

    func validate() throws {
        guard repetitions > 0 else { throw ValidationError("--repetitions must be positive") }
    }

    func run() {
        print(GEMMBenchmark.run(peakSize: peak.peakSize, repetitions: repetitions, log: logToStandardError))
    }
}

/// `reclip bench profile`: the ViT-B/16 dense-feature forward per kind of operation (seconds,
/// GFLOP, GFLOP/s, share) in fp32 and bf16, and the whole forward against the GEMM peaks
/// measured in the same rounds.
struct BenchProfile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Profile MaskCLIP dense features on ViT-B/16-sized random weights per operation (patch embedding, layer norms, qkv, QKᵀ, softmax, x V, out projection, fc1, activation, fc2, residuals, ln_post + projection, rest) in fp32 and bf16, interleaved with the GEMM peaks, and give the whole forward's fraction of each peak.")

    @Option(help: "Rounds of (peaks, fp32 forward, bf16 forward), after one warm-up forward each.")
    var rounds: Int = 5

    @Option(help: "Input side in pixels (16...1024).")
    var size: Int = 448

    @OptionGroup var peak: PeakSizeOption

    func validate() throws {
        guard rounds > 0 else { throw ValidationError("--rounds must be positive") }
        try OptionRange.check(size, in: 16...1024, "--size")
    }

    func run() {
        print(ForwardProfileBenchmark.run(size: size, rounds: rounds, peakSize: peak.peakSize, log: logToStandardError))
    }
}

/// `reclip bench text`: tokenizer load time and prompts per second, and SHA-256 throughput
/// (the hash that verifies downloads and keys the classifier cache).
struct BenchText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Time the CLIP tokenizer (load, prompts per second) and SHA-256 (MB/s of CPU time).")

    @Option(help: "Megabytes to hash.") var megabytes: Int = 256

    func validate() throws {
        guard megabytes > 0 else { throw ValidationError("--megabytes must be positive") }
    }

    func run() throws {
        let loadStart = Date()
        let tokenizer = try CLIPTokenizer.shared()
        let load = Date().timeIntervalSince(loadStart)
        // The 85 templates x 21 VOC classes of the text classifier, each made unique so the
        // tokenizer's word cache cannot serve it whole.
        let classes = VOCClasses.withBackground
        let start = cpuSeconds()
        var prompts = 0
        for name in classes {
            for template in promptTemplates {
                _ = tokenizer.encode(template.replacingOccurrences(of: "{}", with: name) + " \(prompts)")
                prompts += 1
            }
        }
        let tokenSeconds = cpuSeconds() - start
        print(String(format: "tokenizer: load %.0f ms, %.0f prompts/s (%d prompts)", load * 1000,
                     Double(prompts) / tokenSeconds, prompts))

        let block = Data(repeating: 0x5A, count: 1 << 20)
        var hash = SHA256()
        let hashStart = cpuSeconds()
        for _ in 0..<megabytes { hash.update(block) }
        _ = hash.finalize()
        let hashSeconds = cpuSeconds() - hashStart
        print(String(format: "SHA-256: %.0f MB/s of CPU time (%d MiB)", Double(megabytes << 20) / hashSeconds / 1e6, megabytes))
    }

    /// This thread's CPU time, so that other work on the machine does not count.
    private func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
