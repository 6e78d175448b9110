import Pixels
import XCTest
import TestSupport
import Math
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP

/// An image through the tiny CLIP (MaskCLIP) and both rectifiers, against PyTorch.
final class SegmenterTests: XCTestCase {
    static let classes = ["cat", "potted plant", "chest of drawers"]

    func image() throws -> RGBImage {
        let t = try fixture("end_to_end.safetensors")["image"]!
        return RGBImage(width: t.shape[1], height: t.shape[0], pixels: t.data.map { UInt8($0) })
    }

    func testEndToEndMatchesPyTorch() throws {
        let model = try tinyCLIP(), e = try fixture("end_to_end.safetensors")
        let folder = try scratchFolder("reclip-cache", create: false)
        let cache = try ClassifierCache(weightsFile: reclipFixtures.appendingPathComponent("tiny_clip.safetensors"),
                                        folder: folder)
        for stem in ["reclip", "reclippp"] {
            let r = try Rectifier.load(from: reclipFixtures.appendingPathComponent("\(stem).pth"), classes: Self.classes)
            let s = try Segmenter(model: model, classes: Self.classes, rectifier: r, classifierCache: cache)
            let maps = try s.segment(try image(), size: 32)
            XCTAssertEqual(maps.gridHeight, 4); XCTAssertEqual(maps.gridWidth, 5)
            assertClose(maps.raw, e["\(stem)_raw"]!.data, tol: 1e-4, "\(stem) raw")
            assertClose(maps.classBias!, e["\(stem)_class_bias"]!.data, tol: 1e-4, "\(stem) class bias")
            assertClose(maps.spaceBias!, e["\(stem)_space_bias"]!.data, tol: 1e-4, "\(stem) space bias")
            assertClose(maps.bias!, e["\(stem)_bias"]!.data, tol: 1e-4, "\(stem) bias")
            assertClose(maps.rectified(alpha: 1), e["\(stem)_rectified"]!.data, tol: 1e-4, "\(stem) rectified")
            assertClose(maps.output(alpha: 1), e["\(stem)_output"]!.data, tol: 1e-4, "\(stem) output")
            // The image-level logits (for automatic alpha) cost a forward, so only on request;
            // they are the zero-shot logits the pseudo labels use, and the maps are the same.
            XCTAssertNil(maps.imageLogits)
            let asked = try s.segment(try image(), size: 32, imageLogits: true)
            assertClose(try XCTUnwrap(asked.imageLogits), model.zeroShotLogits(try image(), classifier: s.classifier), tol: 0,
                        "\(stem) image logits")
            XCTAssertEqual(asked.raw, maps.raw)
        }
    }

    func testWithoutRectifierThereIsNoBiasAndTheClassifierIsCached() throws {
        let model = try tinyCLIP()
        let folder = try scratchFolder("reclip-cache", create: false)
        let cache = ClassifierCache(folder: folder, weightsHash: "w1")
        let a = try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: cache)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache.file(classes: Self.classes).path))
        XCTAssertEqual(cache.load(classes: Self.classes)?.weights, a.classifier.weights)
        // Other weights or another class list: another key.
        XCTAssertNil(ClassifierCache(folder: folder, weightsHash: "w2").load(classes: Self.classes))
        XCTAssertNil(cache.load(classes: ["cat", "dog", "chest of drawers"]))
        let b = try a.with(classes: ["cat", "dog"])
        XCTAssertEqual(b.classifier.classCount, 2)
        XCTAssertEqual(Array(b.classifier.weights.prefix(16)), Array(a.classifier.weights.prefix(16)))
        let maps = try a.segment(try image(), size: 32)
        XCTAssertNil(maps.bias); XCTAssertNil(maps.classBias); XCTAssertFalse(maps.hasBias)
        XCTAssertEqual(maps.rectified(alpha: 1), maps.raw)
        let e = try fixture("end_to_end.safetensors")
        assertClose(maps.raw, e["reclip_raw"]!.data, tol: 1e-4, "raw without rectifier")
    }

    /// A list with a new class runs only that class's prompts: the others' rows come from the
    /// per-class cache (a planted row proves it is read), the new row equals a fresh classifier's,
    /// and a row file that does not fit (another length, a NaN, other weights) is not used.
    func testAClassifierIsAssembledFromCachedRowsAndOnlyNewClassesAreComputed() throws {
        let model = try tinyCLIP(), tokenizer = try CLIPTokenizer.shared()
        let folder = try scratchFolder("reclip-cache", create: false)
        let cache = ClassifierCache(folder: folder, weightsHash: "w1")
        let D = model.architecture.embedDim
        let fresh = try TextClassifier(model: model, classes: ["cat", "dog", "cow"], tokenizer: tokenizer)
        let two = try cache.classifier(model: model, classes: ["cat", "dog"], templates: .reclip85, tokenizer: tokenizer)
        assertClose(two.weights, Array(fresh.weights.prefix(2 * D)), tol: 0, "rows computed together or apart")
        for name in ["cat", "dog"] { XCTAssertNotNil(cache.loadRow(name: name, embedDim: D), name) }
        XCTAssertNil(cache.loadRow(name: "cow", embedDim: D))
        XCTAssertNil(cache.loadRow(name: "cat", templates: .imagenet80, embedDim: D), "the templates are part of the key")
        XCTAssertNil(ClassifierCache(folder: folder, weightsHash: "w2").loadRow(name: "cat", embedDim: D))
        // Plant a recognisable "cat" row: the three-class list must read it, not recompute it.
        let planted = (0..<D).map { Float($0) / Float(D) }
        try cache.storeRow(planted, name: "cat")
        let three = try cache.classifier(model: model, classes: ["cat", "dog", "cow"], templates: .reclip85, tokenizer: tokenizer)
        assertClose(Array(three.weights.prefix(D)), planted, tol: 0, "cat from its cached row")
        assertClose(Array(three.weights.suffix(2 * D)), Array(fresh.weights.suffix(2 * D)), tol: 0, "dog cached, cow computed")
        XCTAssertNotNil(cache.loadRow(name: "cow", embedDim: D))
        // Rows that do not fit are recomputed.
        try cache.storeRow([Float](repeating: 0.5, count: D - 1), name: "horse")
        XCTAssertNil(cache.loadRow(name: "horse", embedDim: D), "short row")
        try cache.storeRow([Float.nan] + [Float](repeating: 0.5, count: D - 1), name: "sheep")
        XCTAssertNil(cache.loadRow(name: "sheep", embedDim: D), "NaN row")
        let animals = try cache.classifier(model: model, classes: ["horse", "sheep"], templates: .reclip85, tokenizer: tokenizer)
        let expected = try TextClassifier(model: model, classes: ["horse", "sheep"], tokenizer: tokenizer)
        assertClose(animals.weights, expected.weights, tol: 0, "bad rows recomputed")
        // A repeated name is one row, used twice.
        let twice = try cache.classifier(model: model, classes: ["dog", "dog"], templates: .reclip85, tokenizer: tokenizer)
        assertClose(twice.weights, Array(fresh.weights[D..<(2 * D)]) + Array(fresh.weights[D..<(2 * D)]), tol: 0, "dog twice")
    }

    func testRectifierForOtherClassesIsRefused() throws {
        let model = try tinyCLIP()
        let r = try Rectifier.load(from: reclipFixtures.appendingPathComponent("reclip.safetensors"))
        XCTAssertThrowsError(try Segmenter(model: model, classes: ["a", "b", "c"], rectifier: r, classifierCache: nil))
        // Switching classes keeps what the method allows (see the transfer test below), and
        // switching back restores the rectifier as it was trained.
        let s = try Segmenter(model: model, classes: Self.classes, rectifier: r, classifierCache: nil)
        XCTAssertEqual(try s.with(classes: ["cat", "dog", "cow"]).rectifier?.classesWithoutSpaceBias, ["dog", "cow"])
        XCTAssertEqual(try s.with(classes: Self.classes).rectifier?.classesWithoutSpaceBias, [])
        // ReCLIP++'s decoder mixes its own classes' logits: for another list, raw only.
        let pp = try Rectifier.load(from: reclipFixtures.appendingPathComponent("reclippp.safetensors"))
        let spp = try Segmenter(model: model, classes: Self.classes, rectifier: pp, classifierCache: nil)
        XCTAssertNil(try spp.with(classes: ["cat", "dog", "cow"]).rectifier)
        XCTAssertNotNil(try spp.with(classes: Self.classes).rectifier)
    }

    /// ReCLIP on a class list beyond its own: every class keeps its class bias (the name after
    /// the learned Reference prompt), trained classes keep their space bias channel, new ones
    /// have none; the maps say which.
    func testReCLIPTransfersItsClassBiasToNewClasses() throws {
        let model = try tinyCLIP()
        let r = try Rectifier.load(from: reclipFixtures.appendingPathComponent("reclip.safetensors"))
        let own = try Segmenter(model: model, classes: Self.classes, rectifier: r, classifierCache: nil)
        let list = ["chest of drawers", "dog", "cat"]
        let other = try own.with(classes: list)
        let a = try own.segment(try image(), size: 32), b = try other.segment(try image(), size: 32)
        XCTAssertTrue(b.hasBias)
        XCTAssertEqual(b.classesWithoutSpaceBias, ["dog"])
        XCTAssertEqual(a.classesWithoutSpaceBias, [])
        let P = a.gridWidth * a.gridHeight
        func row(_ m: [Float]?, _ k: Int) -> [Float] { Array(m![(k * P)..<((k + 1) * P)]) }
        // The reference embeddings are normalised over the whole class list (Frobenius), so a
        // known class's class bias is its own one times one factor common to every class.
        let factor = row(b.classBias, 0)[0] / row(a.classBias, 2)[0]
        XCTAssertTrue(factor.isFinite && factor > 0.5 && factor < 2, "\(factor)")
        for (k, name) in list.enumerated() {
            if let j = Self.classes.firstIndex(of: name) {
                assertClose(row(b.spaceBias, k), row(a.spaceBias, j), tol: 1e-6, "space bias of \(name)")
                assertClose(row(b.classBias, k), row(a.classBias, j).map { $0 * factor }, tol: 1e-5, "class bias of \(name)")
            } else {
                XCTAssertEqual(row(b.spaceBias, k), [Float](repeating: 0, count: P), "no space bias for \(name)")
                XCTAssertGreaterThan(row(b.classBias, k).map(abs).max()!, 0, "a class bias for \(name)")
            }
        }
        XCTAssertGreaterThan(row(a.spaceBias, 0).map(abs).max()!, 0, "the trained space bias is not zero")
    }
}
