import ArgumentParser
import Foundation
import Math
import FileIO
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

/// `reclip text`: CLIP text embeddings of prompts.
struct TextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Write the CLIP text embeddings of the prompts ('embeddings' [n, D], not normalised) to a safetensors file.")

    @Option(help: "CLIP weights (.safetensors, OpenAI or HuggingFace layout).")
    var weights: String

    @Option(help: "Output .safetensors file.")
    var out: String

    @OptionGroup var heads: HeadOverrides

    @Argument(help: "The prompts, e.g. \"a photo of a cat.\"")
    var texts: [String]

    func validate() throws {
        if texts.isEmpty { throw ValidationError("give at least one prompt") }
    }

    func run() throws {
        let model = try heads.loadModel(weights)
        let tokens = try CLIPTokenizer.shared().tokenize(texts, contextLength: model.architecture.contextLength)
        let embeddings = try model.encodeText(tokens: tokens)
        try SafeTensorsWriter.write([("embeddings", embeddings)], metadata: ["prompts": texts.joined(separator: "\n")],
                                    to: out)
        print("\(out): embeddings [\(embeddings.shape[0]), \(embeddings.shape[1])]")
    }
}
