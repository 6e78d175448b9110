import Foundation
import Math
@testable import ModelFiles
@testable import CLIP

/// The tiny CLIP models and PyTorch reference outputs written by
/// scripts/fixtures/make_clip_fixtures.py.
enum CLIPFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/clip").standardizedFileURL

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static let openAI: CLIPModel = try! CLIPModel(contentsOf: path("tiny-openai.safetensors"))
    static let huggingFace: CLIPModel = try! CLIPModel(contentsOf: path("tiny-hf.safetensors"))
    static let reference: SafeTensorsFile = try! SafeTensorsFile(path: path("reference.safetensors"))

    static func tensor(_ name: String) -> Tensor { try! reference.tensor(name) }

    /// Token ids [n, 77] of the reference prompts.
    static var tokens: [[Int32]] {
        let ids = try! reference.int32s("text.tokens")
        let shape = try! reference.entry("text.tokens").shape
        return (0..<shape[0]).map { Array(ids[($0 * shape[1])..<(($0 + 1) * shape[1])]) }
    }
}
