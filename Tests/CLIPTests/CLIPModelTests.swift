import Foundation
import XCTest
import TestSupport
import Math
@testable import ModelFiles
@testable import CLIP

final class CLIPModelTests: XCTestCase {
    let models = [("openai F16", CLIPFixture.openAI), ("huggingface F32", CLIPFixture.huggingFace)]

    func testArchitectureIsReadOffTheShapes() {
        let expected = CLIPArchitecture(
            embedDim: 32, visionWidth: 64, visionLayers: 2, visionHeads: 2, patchSize: 8, visionGrid: 4,
            textWidth: 16, textLayers: 2, textHeads: 2, contextLength: 77, vocabularySize: 49408)
        for (name, model) in models { XCTAssertEqual(model.architecture, expected, name) }
        XCTAssertEqual(CLIPFixture.openAI.architecture.imageResolution, 32)
    }

    func testBothLayoutsHoldTheSameWeights() {
        let a = CLIPFixture.openAI, b = CLIPFixture.huggingFace
        XCTAssertEqual(a.vision.blocks[1].qkv.weight, b.vision.blocks[1].qkv.weight)
        XCTAssertEqual(a.vision.blocks[1].qkv.bias, b.vision.blocks[1].qkv.bias)
        XCTAssertEqual(a.vision.projection.weight, b.vision.projection.weight)
        XCTAssertEqual(a.text.projection.weight, b.text.projection.weight)
        XCTAssertEqual(a.text.tokenEmbedding, b.text.tokenEmbedding)
        XCTAssertEqual(a.logitScale, b.logitScale)
        XCTAssertEqual(a.logitScale, log(1 / 0.07), accuracy: 1e-3)
    }

    func testDenseFeaturesMatchMaskCLIPReference() {
        for (name, model) in models {
            for size in ["32x32", "44x38", "64x64"] {
                let dense = model.denseFeatures(CLIPFixture.tensor("image.\(size)"), includePositionalEmbedding: true)
                let expected = CLIPFixture.tensor("dense.\(size)")
                XCTAssertEqual(dense.features.shape, expected.shape, "\(name) \(size)")
                assertClose(dense.features, expected, tolerance: 1e-4, "\(name) \(size)")
                let pos = CLIPFixture.tensor("positional.\(size)")
                assertClose(dense.positionalEmbedding!, pos, tolerance: 1e-5, "\(name) \(size)")
            }
        }
    }

    func testGlobalEmbeddingMatchesReference() {
        for (name, model) in models {
            let global = model.encodeImage(CLIPFixture.tensor("image.32x32"))
            assertClose(global, CLIPFixture.tensor("global.32x32"), tolerance: 1e-4, name)
        }
    }

    func testTextEmbeddingsMatchReference() throws {
        for (name, model) in models {
            let text = try model.encodeText(tokens: CLIPFixture.tokens)
            assertClose(text, CLIPFixture.tensor("text.embeddings"), tolerance: 1e-4, name)
        }
    }

    /// The full-context run of `tokens` through the token-embedding entry point.
    func fullContext(_ model: CLIPModel, _ tokens: [[Int32]]) -> Tensor {
        let (w, ctx) = (model.architecture.textWidth, model.architecture.contextLength)
        var x = [Float]()
        var eot = [Int]()
        for row in tokens {
            for id in row { x += model.text.tokenEmbedding[(Int(id) * w)..<(Int(id) * w + w)] }
            eot.append(row.firstIndex(of: row.max()!)!)
        }
        return model.encodeText(tokenEmbeddings: Tensor(shape: [tokens.count, ctx, w], data: x), readAt: eot)
    }

    func testRunningOnlyUpToTheLastEndOfTextIsIdenticalToTheFullContext() throws {
        // A random text tower and batch of the sizes where OpenBLAS's result for a row does not
        // depend on the number of rows (16-wide layers, as in the fixture, or a handful of rows
        // take OpenBLAS paths that sum in another order). Identical where a column of a product
        // does not depend on how many columns the call has (`ProductSplit.columnSplitIsExact`:
        // SkylakeX-family kernels); with Haswell/Zen's, attention's products over 24 keys round
        // otherwise than over 77, and the two runs agree to float rounding.
        let arch = CLIPArchitecture(embedDim: 64, visionWidth: 64, visionLayers: 1, visionHeads: 1, patchSize: 8,
                                    visionGrid: 2, textWidth: 64, textLayers: 2, textHeads: 4, contextLength: 77,
                                    vocabularySize: 500)
        let model = CLIPModel.random(arch, seed: 11)
        // Twenty prompts of 3 to 22 tokens, as a class list would give.
        let tokens: [[Int32]] = (0..<20).map { i in
            let row = [498] + (0..<(1 + i)).map { Int32(($0 * 37 + i * 11) % 497 + 1) } + [499]
            return row + [Int32](repeating: 0, count: 77 - row.count)
        }
        let truncated = try model.encodeText(tokens: tokens)
        if ProductSplit.columnSplitIsExact {
            XCTAssertEqual(truncated, fullContext(model, tokens))
        } else {
            assertClose(truncated, fullContext(model, tokens), tolerance: 2e-6)
        }
        // A prompt's embedding does not depend on the other prompts in the batch (to rounding:
        // a different row count may take a different OpenBLAS path).
        let alone = try model.encodeText(tokens: [tokens[1]])
        assertClose(Tensor(shape: [1, 64], data: Array(truncated.data[64..<128])), alone, tolerance: 1e-5)
        // On the fixture model the two runs agree to float rounding.
        let tiny = CLIPFixture.openAI
        let ids = CLIPFixture.tokens
        assertClose(try tiny.encodeText(tokens: ids), fullContext(tiny, ids), tolerance: 1e-6)
    }

    func testBadTokensAreRejected() {
        let model = CLIPFixture.openAI
        XCTAssertThrowsError(try model.encodeText(tokens: [[49406, 49408]])) {
            XCTAssertEqual("\($0)", "prompt 0 has token id 49408 outside the vocabulary 0..<49408")
        }
        XCTAssertThrowsError(try model.encodeText(tokens: [[49406, 49407], Array(repeating: 1, count: 78)])) {
            XCTAssertEqual("\($0)", "prompt 1 has 78 tokens; expected 1...77")
        }
    }

    func testHeadCountOverrideChangesTheModel() throws {
        let one = try CLIPModel(contentsOf: CLIPFixture.path("tiny-openai.safetensors"), visionHeads: 1, textHeads: 1)
        XCTAssertEqual(one.architecture.visionHeads, 1)
        XCTAssertEqual(one.architecture.textHeads, 1)
        let dense = one.denseFeatures(CLIPFixture.tensor("image.32x32")).features
        XCTAssertTrue(dense.data.allSatisfy(\.isFinite))
        XCTAssertNotNil(firstMismatch(dense.data, CLIPFixture.tensor("dense.32x32").data, tolerance: 1e-3))
        let gelu = try CLIPModel(contentsOf: CLIPFixture.path("tiny-openai.safetensors"), activation: .gelu)
        XCTAssertEqual(gelu.architecture.activation, .gelu)
        let geluGlobal = gelu.encodeImage(CLIPFixture.tensor("image.32x32")).data
        XCTAssertTrue(geluGlobal.allSatisfy(\.isFinite))
        XCTAssertNotNil(firstMismatch(geluGlobal, CLIPFixture.tensor("global.32x32").data, tolerance: 1e-3))
    }
}
