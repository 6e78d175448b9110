import XCTest
import TestSupport
import Math
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP

/// Fixture folder written by scripts/fixtures/make_reclip_fixtures.py.
let reclipFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../Fixtures/reclip").standardizedFileURL

func fixture(_ name: String) throws -> [String: Tensor] {
    let file = try SafeTensorsFile(path: reclipFixtures.appendingPathComponent(name).path)
    var out: [String: Tensor] = [:]
    for n in file.names { out[n] = try file.tensor(n) }
    return out
}

/// The tiny random CLIP of the fixtures.
func tinyCLIP() throws -> CLIPModel {
    try CLIPModel(contentsOf: reclipFixtures.appendingPathComponent("tiny_clip.safetensors").path)
}

func assertClose(_ a: [Float], _ b: [Float], tol: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): sizes", file: file, line: line)
    guard a.count == b.count else { return }
    let scale = max(1, b.map(abs).max() ?? 0)
    TestSupport.assertClose(a, b, tolerance: Double(tol * scale), "\(what) (scale \(scale))", file: file, line: line)
}

/// The engine against the authors' model semantics (model/model.py) computed in PyTorch.
final class ReCLIPGoldenTests: XCTestCase {
    static let classes = ["cat", "potted plant", "chest of drawers"]

    func nameTokens(_ g: [String: Tensor]) -> [[Int]] {
        let t = g["name_tokens"]!
        return (0..<t.shape[0]).map { k in (0..<3).map { Int(t.data[k * 3 + $0]) } }
    }

    func testTextClassifierFromTemplatesMatchesPyTorch() throws {
        let model = try tinyCLIP(), g = try fixture("golden.safetensors")
        let toks = g["template_tokens"]!, n = toks.shape[1]
        let prompts: [[[Int32]]] = (0..<3).map { k in
            (0..<85).map { i in (0..<n).map { Int32(toks.data[(k * 85 + i) * n + $0]) } }
        }
        // The same token ids from our tokenizer and the 85 templates.
        XCTAssertEqual(try TextClassifier.prompts(classes: Self.classes, tokenizer: CLIPTokenizer()), prompts)
        let classifier = try TextClassifier(model: model, prompts: prompts)
        assertClose(classifier.weights, g["classifier"]!.data, tol: 1e-4, "classifier")
    }

    func testReferenceNameTokensQuirk() {
        // "chest of drawers" has three BPE tokens: no end-of-text among the first three.
        XCTAssertEqual(referenceNameTokens(bpe: [2009]), [2009, endOfTextToken, 0])
        XCTAssertEqual(referenceNameTokens(bpe: [1, 2, 3, 4]), [1, 2, 3])
    }

    func checkVariant(_ stem: String, ext: String) throws {
        let model = try tinyCLIP(), g = try fixture("golden.safetensors")
        let url = reclipFixtures.appendingPathComponent("\(stem).\(ext)")
        let r = try Rectifier.load(from: url, classes: Self.classes)
        let ref = r.referenceEmbeddings(nameTokens: nameTokens(g), model: model)
        assertClose(ref, g["\(stem)_reference"]!.data, tol: 1e-4, "\(stem) reference")
        let maps = BiasMaps(features: g["features"]!.data, classifier: g["classifier"]!.data, reference: ref,
                            positional: g["positional"]!.data, rectifier: r, h: 5, w: 6)
        assertClose(maps.raw, g["\(stem)_raw"]!.data, tol: 1e-4, "\(stem) raw")
        assertClose(maps.classBias, g["\(stem)_class_bias"]!.data, tol: 1e-4, "\(stem) class bias")
        assertClose(maps.spaceBias, g["\(stem)_space_bias"]!.data, tol: 1e-4, "\(stem) space bias")
        assertClose(maps.bias, g["\(stem)_bias"]!.data, tol: 1e-4, "\(stem) bias")
        let sm = SegmentationMaps(classNames: Self.classes, gridWidth: 6, gridHeight: 5, raw: maps.raw,
                                  classBias: maps.classBias, spaceBias: maps.spaceBias, bias: maps.bias,
                                  decoderBase: maps.decoderBase, decoderSlope: maps.decoderSlope)
        assertClose(sm.rectified(alpha: 1), g["\(stem)_rectified"]!.data, tol: 1e-4, "\(stem) rectified")
        assertClose(sm.output(alpha: 1), g["\(stem)_output"]!.data, tol: 1e-4, "\(stem) output")
        if stem == "reclippp" {
            assertClose(sm.output(alpha: 0.5), g["reclippp_output_alpha05"]!.data, tol: 1e-4, "decoder at alpha 0.5")
        }
    }

    func testReCLIPMatchesAuthorsModel() throws { try checkVariant("reclip", ext: "safetensors") }
    func testReCLIPPlusPlusMatchesAuthorsModel() throws { try checkVariant("reclippp", ext: "safetensors") }
    func testAuthorsPthCheckpointsLoad() throws {
        try checkVariant("reclip", ext: "pth")
        try checkVariant("reclippp", ext: "pth")
        XCTAssertThrowsError(try Rectifier.load(from: reclipFixtures.appendingPathComponent("reclip.pth"))) { e in
            XCTAssertTrue("\(e)".contains("pass --classes"), "\(e)")
        }
    }

    func testRectifierFileRoundTripAndMismatchErrors() throws {
        let r = try Rectifier.load(from: reclipFixtures.appendingPathComponent("reclippp.safetensors"))
        XCTAssertEqual(r.variant, .reclipPlusPlus)
        XCTAssertEqual(r.classNames, Self.classes)
        var copy = r
        copy.metadata["weights_hash"] = "abc123"
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try copy.save(to: tmp)
        let back = try Rectifier.load(from: tmp, classes: Self.classes, weightsHash: "abc123")
        XCTAssertEqual(back.prompt, r.prompt)
        XCTAssertEqual(back.decoder?.weight, r.decoder?.weight)
        XCTAssertEqual(back.decoder?.norm, r.decoder?.norm)
        XCTAssertThrowsError(try Rectifier.load(from: tmp, classes: ["cat", "dog", "cow"])) { e in
            XCTAssertTrue("\(e)".contains("trained for classes cat,potted plant,chest of drawers"), "\(e)")
        }
        XCTAssertThrowsError(try Rectifier.load(from: tmp, weightsHash: "fff")) { e in
            XCTAssertTrue("\(e)".contains("trained with CLIP weights abc123"), "\(e)")
        }
    }
}
