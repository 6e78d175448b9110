import Foundation
import XCTest
import TestSupport
import Math
@testable import ModelFiles
@testable import CLIP

final class CLIPCheckpointErrorTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try scratchFolder("clip-checkpoint") }

    /// The HF fixture's float tensors rewritten without metadata, with `edit` applied.
    func rewrittenHF(_ edit: (inout [(name: String, tensor: Tensor)]) -> Void) throws -> String {
        let file = try SafeTensorsFile(path: CLIPFixture.path("tiny-hf.safetensors"))
        var tensors = try file.names.filter { file.entries[$0]!.dtype == .f32 }.map { (name: $0, tensor: try file.tensor($0)) }
        edit(&tensors)
        let path = directory.appendingPathComponent("edited.safetensors").path
        try SafeTensorsWriter.write(tensors, to: path)
        return path
    }

    func testWithoutMetadataHeadsAreWidthOver64() throws {
        let path = try rewrittenHF { _ in }
        XCTAssertThrowsError(try CLIPModel(contentsOf: path)) {
            XCTAssertEqual("\($0)", "\(path): text width 16 cannot be split into 0 heads; store text_heads in the metadata or pass the head count")
        }
        let model = try CLIPModel(contentsOf: path, textHeads: 2)
        XCTAssertEqual(model.architecture.visionHeads, 1)  // 64 / 64
        XCTAssertEqual(model.architecture.textHeads, 2)
    }

    func testWrongShapeNamesTheTensor() throws {
        let path = try rewrittenHF { tensors in
            let i = tensors.firstIndex { $0.name == "text_model.encoder.layers.1.mlp.fc2.bias" }!
            tensors[i].tensor = Tensor(zeros: [15])
        }
        XCTAssertThrowsError(try CLIPModel(contentsOf: path, textHeads: 2)) {
            XCTAssertEqual("\($0)", "\(path): tensor 'text_model.encoder.layers.1.mlp.fc2.bias': shape [15], expected [16]")
        }
    }

    func testMissingTensorAndMissingBlock() throws {
        let path = try rewrittenHF { $0.removeAll { $0.name == "vision_model.post_layernorm.bias" } }
        XCTAssertThrowsError(try CLIPModel(contentsOf: path, textHeads: 2)) {
            XCTAssertEqual("\($0)", "\(path): tensor 'vision_model.post_layernorm.bias': not in the file")
        }
        let gap = try rewrittenHF { $0.removeAll { $0.name.hasPrefix("vision_model.encoder.layers.0.") } }
        XCTAssertThrowsError(try CLIPModel(contentsOf: gap, textHeads: 2)) {
            XCTAssertTrue("\($0)".contains("blocks vision_model.encoder.layers.N are missing or not numbered 0..<N"), "\($0)")
        }
    }

    func testNotACLIPCheckpoint() throws {
        let path = directory.appendingPathComponent("other.safetensors").path
        try SafeTensorsWriter.write([("weight", Tensor(zeros: [2]))], to: path)
        XCTAssertThrowsError(try CLIPModel(contentsOf: path)) {
            XCTAssertTrue("\($0)".hasPrefix("\(path): not a CLIP checkpoint"), "\($0)")
        }
    }

    // MARK: Hostile architectures: well-formed files whose shapes once corrupted memory

    /// `tensors` with `name` replaced by zeros of `shape` (or added).
    func replace(_ tensors: inout [(name: String, tensor: Tensor)], _ name: String, _ shape: [Int]) {
        let t = Tensor(zeros: shape)
        if let i = tensors.firstIndex(where: { $0.name == name }) { tensors[i].tensor = t } else { tensors.append((name, t)) }
    }

    /// Loading `path` fails with exactly `message` after the path (one line, no crash).
    func assertRefused(_ path: String, visionHeads: Int? = nil, textHeads: Int? = 2, _ message: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try CLIPModel(contentsOf: path, visionHeads: visionHeads, textHeads: textHeads), file: file, line: line) {
            XCTAssertTrue($0 is SafeTensorsError, "\(type(of: $0))", file: file, line: line)
            XCTAssertEqual("\($0)", "\(path): \(message)", file: file, line: line)
        }
    }

    /// A second block with another MLP width wrote past the shared scratch buffer.
    func testDifferingMLPWidthIsRefused() throws {
        let path = try rewrittenHF { t in
            replace(&t, "vision_model.encoder.layers.1.mlp.fc1.weight", [128, 64])
            replace(&t, "vision_model.encoder.layers.1.mlp.fc1.bias", [128])
            replace(&t, "vision_model.encoder.layers.1.mlp.fc2.weight", [64, 128])
        }
        assertRefused(path, "tensor 'vision_model.encoder.layers.1.mlp.fc1.weight': MLP hidden width 128 differs from block 0's 256; every block must have the same")
        // The same in the OpenAI layout (text tower), and an fc2 that does not come back from fc1's width.
        let openAI = try rewritten(CLIPFixture.path("tiny-openai.safetensors")) { t in
            replace(&t, "transformer.resblocks.1.mlp.c_fc.weight", [32, 16])
            replace(&t, "transformer.resblocks.1.mlp.c_fc.bias", [32])
            replace(&t, "transformer.resblocks.1.mlp.c_proj.weight", [16, 32])
        }
        assertRefused(openAI, "tensor 'transformer.resblocks.1.mlp.c_fc.weight': MLP hidden width 32 differs from block 0's 64; every block must have the same")
        let mismatched = try rewrittenHF { t in replace(&t, "text_model.encoder.layers.0.mlp.fc2.weight", [16, 32]) }
        assertRefused(mismatched, "tensor 'text_model.encoder.layers.0.mlp.fc2.weight': shape [16, 32], expected [16, 64] (the MLP back from its hidden width)")
    }

    /// An MLP width of 0 in every block dereferenced a null weight pointer.
    func testZeroMLPWidthIsRefused() throws {
        let path = try rewrittenHF { t in
            for i in 0..<2 {
                replace(&t, "text_model.encoder.layers.\(i).mlp.fc1.weight", [0, 16])
                replace(&t, "text_model.encoder.layers.\(i).mlp.fc1.bias", [0])
                replace(&t, "text_model.encoder.layers.\(i).mlp.fc2.weight", [16, 0])
            }
        }
        assertRefused(path, "tensor 'text_model.encoder.layers.0.mlp.fc1.weight': MLP hidden width 0 is outside 1...32768")
    }

    /// A patch size of 0 divided by zero; positions 0 took the square root of -1.
    func testZeroPatchAndEmptyPositionsAreRefused() throws {
        let patch = try rewrittenHF { t in replace(&t, "vision_model.embeddings.patch_embedding.weight", [64, 3, 0, 0]) }
        assertRefused(patch, "tensor 'vision_model.embeddings.patch_embedding.weight': patch size 0 is outside 1...512")
        for positions in [0, 1] {
            let path = try rewrittenHF { t in replace(&t, "vision_model.embeddings.position_embedding.weight", [positions, 64]) }
            assertRefused(path, "tensor 'vision_model.embeddings.position_embedding.weight': \(positions) positions is not 1 + a square grid of 1...256 patches per side")
        }
        let openAI = try rewritten(CLIPFixture.path("tiny-openai.safetensors")) { t in replace(&t, "visual.conv1.weight", [64, 3, 0, 0]) }
        assertRefused(openAI, "tensor 'visual.conv1.weight': patch size 0 is outside 1...512")
    }

    /// Context, vocabulary and block counts beyond their bounds are refused before anything is read.
    func testSizesOutsideTheirBoundsAreRefused() throws {
        let context = try rewrittenHF { t in replace(&t, "text_model.embeddings.position_embedding.weight", [1025, 16]) }
        assertRefused(context, "tensor 'text_model.embeddings.position_embedding.weight': context length 1025 is outside 1...1024")
        let empty = try rewrittenHF { t in replace(&t, "text_model.embeddings.token_embedding.weight", [0, 16]) }
        assertRefused(empty, "tensor 'text_model.embeddings.token_embedding.weight': vocabulary size 0 is outside 1...1048576")
        let projection = try rewrittenHF { t in replace(&t, "text_projection.weight", [0, 16]) }
        assertRefused(projection, "tensor 'text_projection.weight': joint embedding size 0 is outside 1...8192")
        // 97 text blocks: copies of block 0.
        let deep = try rewrittenHF { t in
            let block = t.filter { $0.name.hasPrefix("text_model.encoder.layers.0.") }
            for i in 2..<97 {
                for b in block {
                    t.append((b.name.replacingOccurrences(of: "layers.0.", with: "layers.\(i)."), b.tensor))
                }
            }
        }
        assertRefused(deep, "97 blocks text_model.encoder.layers.N, outside 1...96")
    }

    /// Head counts given as arguments or metadata must divide the width.
    func testHeadCountsMustDivideTheWidth() throws {
        let path = try rewrittenHF { _ in }
        for heads in [3, 0, -1, 128] {
            assertRefused(path, visionHeads: heads,
                          "vision width 64 cannot be split into \(heads) heads; store vision_heads in the metadata or pass the head count")
        }
        let model = try CLIPModel(contentsOf: path, visionHeads: 64, textHeads: 16)   // head width 1 is fine
        XCTAssertEqual(model.architecture.visionHeads, 64)
    }

    /// Every float tensor of the fixture at `source` rewritten as F32, metadata dropped, with `edit` applied.
    func rewritten(_ source: String, _ edit: (inout [(name: String, tensor: Tensor)]) -> Void) throws -> String {
        let file = try SafeTensorsFile(path: source)
        var tensors = try file.names.map { (name: $0, tensor: try file.tensor($0)) }
        edit(&tensors)
        let path = directory.appendingPathComponent("edited-\(UUID().uuidString).safetensors").path
        try SafeTensorsWriter.write(tensors, to: path)
        return path
    }
}
