import Pixels
import ArgumentParser
import Foundation
import Math
import Render
import FileIO
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

/// `reclip features`: MaskCLIP dense features and the global embedding of one image.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Write an image's MaskCLIP dense features ('dense' [h, w, D]) and global embedding ('global' [D]) to a safetensors file.",
        discussion: """
            The image's short side is resized to --size (PIL-style antialiased bicubic). Dense \
            features use the whole resized image (zero-padded to the patch multiple); the global \
            embedding uses its centre crop, as CLIP does. Neither is normalised.
            """)

    @Option(help: "CLIP weights (.safetensors, OpenAI or HuggingFace layout).")
    var weights: String

    @Option(help: "The image (PNG or JPEG).")
    var image: String

    @Option(help: "Short side in pixels (default: the model's native resolution, 224 for ViT-B/16).")
    var size: Int?

    @Option(help: "Output .safetensors file.")
    var out: String

    @OptionGroup var heads: HeadOverrides

    func validate() throws {
        try ModelSelection.checkSize(size)
    }

    func run() throws {
        let model = try heads.loadModel(weights)
        let photo = try ImageFile.read(path: image)
        let shortSide = size ?? model.architecture.imageResolution
        try TokenBudget.check(width: photo.width, height: photo.height, shortSide: shortSide,
                              patch: model.architecture.patchSize, name: image)
        let features = model.features(of: photo, size: shortSide)
        try SafeTensorsWriter.write([("dense", features.dense.features), ("global", features.global)],
                                    metadata: ["image": image, "weights": weights], to: out)
        let shape = features.dense.features.shape
        print("\(out): dense [\(shape.map(String.init).joined(separator: ", "))], global [\(features.global.count)]")
    }
}

/// Head-count and activation overrides for checkpoints whose metadata does not give them.
struct HeadOverrides: ParsableArguments {
    @Option(help: "Vision attention heads (default: the file's vision_heads metadata, else width / 64).")
    var visionHeads: Int?

    @Option(help: "Text attention heads (default: the file's text_heads metadata, else width / 64).")
    var textHeads: Int?

    @Option(help: "MLP activation: quick_gelu (OpenAI weights) or gelu.")
    var activation: String?

    func loadModel(_ path: String) throws -> CLIPModel {
        var act: Activation?
        if let activation {
            guard let a = Activation(rawValue: activation) else {
                throw ValidationError("--activation must be quick_gelu or gelu")
            }
            act = a
        }
        return try CLIPModel(contentsOf: path, visionHeads: visionHeads, textHeads: textHeads, activation: act)
    }
}
