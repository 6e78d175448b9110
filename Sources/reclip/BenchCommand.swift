import ArgumentParser
import Foundation
import Math
import FileIO
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

/// `reclip bench engine`: times the CLIP towers on ViT-B/16-sized random weights.
struct BenchEngine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Time dense features (224 and 448 px; every dense head beside MaskCLIP, as ratios), the text tower (20 prompts) and PAMR (10 steps, 21 classes, 448x448) on ViT-B/16-sized random weights.")

    @Option(help: "Timed calls per measurement (after one warm-up call).")
    var repetitions: Int = 5

    @Flag(help: "Use the portable C vector kernels instead of AVX2 + FMA (to compare the two).")
    var portableKernels = false

    @Option(help: "Arithmetic of the image tower: fp32 (the reference) or bf16 (bfloat16 weights and inputs, float32 accumulation; needs AVX512_BF16, else fp32 with a notice). With bf16 the 448 px features are also compared with fp32's.")
    var precision: Precision = .fp32

    @Flag(help: "Time the dense features only (224 and 448 px), not the global embedding, text tower, heads and PAMR.")
    var denseOnly = false

    func validate() throws {
        guard repetitions > 0 else { throw ValidationError("--repetitions must be positive") }
    }

    func run() throws {
        let tokenizer = try CLIPTokenizer.shared()
        let prompts = try EngineBenchmark.prompts { try tokenizer.tokenize($0) }
        let measure = {
            try EngineBenchmark.run(prompts: prompts, repetitions: repetitions, precision: precision, denseOnly: denseOnly,
                                    log: logToStandardError)
        }
        print(portableKernels ? try VectorKernels.withPortableKernels(measure) : try measure())
    }
}
