import ArgumentParser
import Datasets
import Foundation
import FileIO
import Math
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

/// The CLIP weights, rectifier and input size a command runs with: those given on the command
/// line, or the bundled world model (`models/world/`) when `--weights` is absent.
///
/// `--rectifier reclip`, `reclip++` or `bundled` (= `reclip`) name the bundled rectifiers,
/// `cls-subtract` SegEarth-OV's training-free class bias (`ClassTokenBias`, no file); anything
/// else is a file.
struct ModelSelection {
    /// The weights file or installed model name.
    let weights: String
    /// The rectifier file, if any.
    let rectifier: String?
    /// Whether the rectification is SegEarth-OV's class bias (`--rectifier cls-subtract`).
    let classTokenRectifier: Bool
    /// Short side in pixels fed to the ViT.
    let size: Int
    /// The bundled model, when it is the one used.
    let bundled: BundledModel?

    /// Short sides `--size` accepts, in pixels.
    static let sizeRange = 1...4096

    /// Refuses a `--size` outside `sizeRange` (0 would resize to nothing; a huge one asks for
    /// more memory than any machine has).
    static func checkSize(_ size: Int?) throws {
        if let size, !sizeRange.contains(size) {
            throw RectifierCommandError("--size \(size): use \(sizeRange.lowerBound)...\(sizeRange.upperBound) pixels")
        }
    }

    /// Names `--rectifier` accepts for the bundled rectifiers.
    static let bundledRectifierNames: [String: RectifierVariant] = ["bundled": .reclip, "reclip": .reclip, "reclip++": .reclipPlusPlus]

    /// Resolves the options; `bundledRectifier` is the rectifier used with the bundled model
    /// when `--rectifier` is absent (the explorer wants one, `eval` and `segment` do not).
    static func resolve(weights: String?, rectifier: String?, size: Int?, defaultSize: Int,
                        bundledRectifier: RectifierVariant? = nil) throws -> ModelSelection {
        try checkSize(size)
        let classToken = rectifier == Rectification.classToken.rawValue
        let file = classToken ? nil : rectifier
        let named = file.flatMap { bundledRectifierNames[$0] }
        guard weights == nil || named != nil else {
            return ModelSelection(weights: weights!, rectifier: file, classTokenRectifier: classToken,
                                  size: size ?? defaultSize, bundled: nil)
        }
        let model = try BundledModel.locate(executable: BundledFolder.currentExecutable)
        let variant = classToken ? nil : (rectifier == nil ? bundledRectifier : named)
        return ModelSelection(weights: weights ?? model.weights.path, rectifier: variant.map { model.rectifier($0).path } ?? file,
                              classTokenRectifier: classToken, size: size ?? (weights == nil ? BundledModel.imageSize : defaultSize),
                              bundled: weights == nil ? model : nil)
    }
}

/// The model options `explore`, `segment` and `eval` share: the CLIP weights, the rectifier and
/// the input size, each defaulting to the bundled world model's.
struct ModelOptions: ParsableArguments {
    @Option(help: "CLIP weights: a .safetensors file (OpenAI or HuggingFace layout) or an installed model name (reclip weights list); without, the bundled world model (models/world).")
    var weights: String?

    @Option(help: "The rectification: a trained rectifier (.safetensors from `reclip train` or the authors' .pth, or reclip / reclip++ / bundled for the bundled model's), or cls-subtract: SegEarth-OV's training-free class bias, 0.3 x the image's global (class-token) logits at every patch, which --alpha scales (alpha 1 = SegEarth-OV's 0.3).")
    var rectifier: String?

    @Option(help: "Short side in pixels the image is resized to before the ViT (1...4096; default 448 for explore and segment, 336 for eval, 96 with the bundled model).")
    var size: Int?

    @Option(help: "Arithmetic of the image tower: fp32 (the reference) or bf16 (bfloat16 weights and inputs, float32 accumulation; needs AVX512_BF16, else fp32 with a notice).")
    var precision: Precision = .fp32

    func validate() throws { try ModelSelection.checkSize(size) }

    /// `config` with `--size`, when given, and `--precision` (a run that adapts a rectifier
    /// otherwise keeps the crop size its file records).
    func applied(to config: TrainingConfiguration) -> TrainingConfiguration {
        var c = config
        if let size { c.size = size }
        c.precision = precision
        return c
    }

    /// The selection, with `defaultSize` for weights that are not the bundled model's.
    func resolve(defaultSize: Int, bundledRectifier: RectifierVariant? = nil) throws -> ModelSelection {
        try ModelSelection.resolve(weights: weights, rectifier: rectifier, size: size, defaultSize: defaultSize,
                                   bundledRectifier: bundledRectifier)
    }
}
