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
        abstract: "Benchmarks: engine (CLIP towers), gemm (fp32 and bf16 GEMM peaks and the ViT-B/16 shapes), render (cells, PSNR), alpha, train (rectifier step), text (tokenizer, SHA-256), dataset (the dataset view), class (adding a class in the explorer).",
        subcommands: [BenchEngine.self, BenchGEMM.self, BenchRender.self, BenchAlpha.self, BenchTrain.self, BenchText.self, BenchDataset.self,
                      BenchClass.self],
        defaultSubcommand: BenchEngine.self)
}

/// `reclip bench gemm`: the machine's fp32 and bf16 GEMM peaks and every product of the ViT-B/16
/// image forward at 224 and 448 px, as GFLOP/s and fractions of the peaks.
struct BenchGEMM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Measure the fp32 (OpenBLAS sgemm) and bf16 (vdpbf16ps kernel) GEMM peaks at a large square shape and the GFLOP/s of each GEMM shape of the ViT-B/16 forward at 224 and 448 px, fp32 and bf16 interleaved.")

    @Option(help: "Interleaved samples per measurement (after one warm-up).")
    var repetitions: Int = 5

    @Option(help: "Side of the square product the peaks are measured at (256...8192).")
    var peakSize: Int = 3072

    func validate() throws {
        guard repetitions > 0 else { throw ValidationError("--repetitions must be positive") }
        try OptionRange.check(peakSize, in: 256...8192, "--peak-size")
    }

    func run() {
        print(GEMMBenchmark.run(peakSize: peakSize, repetitions: repetitions) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        })
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
