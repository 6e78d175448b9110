import Foundation
import XCTest
import Math
@testable import Segmentation

final class CLIPCheckpointErrorTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clip-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

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
}
