import Pixels
import XCTest
import TestSupport
import Math
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP

/// The segmenter with the training-free heads, sliding windows and PAMR on the tiny CLIP.
final class HeadSegmenterTests: XCTestCase {
    static let classes = ["cat", "potted plant", "chest of drawers"]

    func image(width: Int = 40, height: Int = 32) -> RGBImage {
        var rng = SplitMix64(seed: 3)
        return RGBImage(width: width, height: height, pixels: (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    func rectifier(head: String?) throws -> Rectifier {
        var r = try Rectifier.load(from: reclipFixtures.appendingPathComponent("reclip.pth"), classes: Self.classes)
        r.metadata["head"] = head
        return r
    }

    func testEachHeadsRawLogitsAreItsUnitFeaturesTimesItsPapersClassifier() throws {
        let model = try tinyCLIP()
        let pixels = image()
        let input = ImagePreprocessing.denseInput(pixels, shortSide: 32)
        for head in DenseHead.allCases {
            let s = try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: nil, head: head)
            XCTAssertEqual(s.templates, head.defaultTemplates)
            let expected = try TextClassifier(model: model, classes: Self.classes, tokenizer: CLIPTokenizer.shared(),
                                              templates: head.defaultTemplates)
            XCTAssertEqual(s.classifier.weights, expected.weights, head.rawValue)
            let maps = try s.segment(pixels, size: 32)
            let byHand = model.headLogits(input, head: head, classifier: s.classifier.weights, classes: 3)
            XCTAssertEqual([maps.gridHeight, maps.gridWidth], [byHand.gridHeight, byHand.gridWidth], head.rawValue)
            assertClose(maps.raw, byHand.logits, tol: 1e-5, head.rawValue)
        }
        // The heads do differ on this image.
        let a = try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: nil, head: .sclip,
                              templates: .reclip85)
        let b = try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: nil, head: .naclip,
                              templates: .reclip85)
        XCTAssertNotNil(firstMismatch(try a.segment(pixels, size: 32).raw, try b.segment(pixels, size: 32).raw, tolerance: 1e-3))
    }

    func testSegmentersTogetherGiveWhatEachGivesAlone() throws {
        let model = try tinyCLIP()
        let pixels = image()
        let r = try rectifier(head: nil)
        let segmenters = try DenseHead.allCases.flatMap { head in
            [try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: nil, head: head),
             try Segmenter(model: model, classes: Self.classes, rectifier: r, classifierCache: nil, head: head)]
        }
        for options in [InferenceOptions(), InferenceOptions(window: SlidingWindow(crop: 24, stride: 8), pamrSteps: 2)] {
            let together = try Segmenter.segment(segmenters, image: pixels, size: 32, options: options)
            for (s, t) in zip(segmenters, together) {
                let alone = try s.segment(pixels, size: 32, options: options)
                assertClose(t.maps.output(alpha: 0.5), alone.output(alpha: 0.5), tol: 1e-5, "\(s.head) \(options.description)")
                XCTAssertGreaterThan(t.seconds, 0)
            }
        }
    }

    func testWindowMapsAreTheSlidingLogitsAndStayLinearInAlpha() throws {
        let model = try tinyCLIP()
        let pixels = image(width: 50, height: 36)
        let window = SlidingWindow(crop: 24, stride: 16)
        let input = ImagePreprocessing.denseInput(pixels, shortSide: 36)
        for head in [DenseHead.sclip, .clearclip] {
            let s = try Segmenter(model: model, classes: Self.classes, rectifier: try rectifier(head: nil), classifierCache: nil,
                                  head: head)
            let maps = try s.segment(pixels, size: 36, options: InferenceOptions(window: window))
            XCTAssertEqual([maps.gridHeight, maps.gridWidth], [input.shape[1], input.shape[2]])
            let logits = model.slidingLogits(input, head: head, classifier: s.classifier.weights, classes: 3, window: window)
            assertClose(maps.raw, logits.data, tol: 1e-5, "\(head) raw")
            // Every map is averaged alike, so raw - alpha * bias is the average of the crops' rectified logits.
            let crops = window.average(channels: 3, height: input.shape[1], width: input.shape[2]) { w in
                let crop = WindowCrop(image: input, window: w, head: head, patch: model.architecture.patchSize)
                let d = model.denseFeatures(crop.input, head: head, includePositionalEmbedding: true)
                let m = s.maps(features: Segmenter.normalizedChannelMajor(d.features), positional: d.positionalEmbedding!.data,
                               gridHeight: d.gridHeight, gridWidth: d.gridWidth)
                return crop.cropSized(m.rectified(alpha: 0.7), channels: 3, gridHeight: m.gridHeight, gridWidth: m.gridWidth)
            }
            assertClose(maps.rectified(alpha: 0.7), crops, tol: 1e-5, "\(head) rectified")
        }
    }

    /// PAMR of `grid`'s rectified logits (alpha 0.6, 10 steps) at `width` x `height`, written
    /// out: the logits resized bilinearly, the kernel on the network input (short side 32) resized.
    func pamrByHand(_ grid: SegmentationMaps, _ pixels: RGBImage, width: Int, height: Int) -> [Float] {
        let input = ImagePreprocessing.denseInput(pixels, shortSide: 32)
        var back = [Float](repeating: 0, count: 3 * height * width)
        bilinearResizeForward(out: &back, inp: input.data, channels: 3, inHeight: input.shape[1], inWidth: input.shape[2],
                              outHeight: height, outWidth: width)
        var up = [Float](repeating: 0, count: 3 * height * width)
        bilinearResizeForward(out: &up, inp: grid.rectified(alpha: 0.6), channels: 3, inHeight: grid.gridHeight,
                              inWidth: grid.gridWidth, outHeight: height, outWidth: width)
        return pamrForward(image: Tensor(shape: [3, height, width], data: back), masks: Tensor(shape: [3, height, width], data: up),
                           steps: 10).data
    }

    func testPAMRRefinesAtTheImageSizeWithTheInputResizedBack() throws {
        let model = try tinyCLIP()
        let pixels = image(width: 45, height: 30)
        let s = try Segmenter(model: model, classes: Self.classes, rectifier: try rectifier(head: nil), classifierCache: nil,
                              head: .naclip)
        let grid = try s.segment(pixels, size: 32)
        let refined = try s.segment(pixels, size: 32, options: InferenceOptions(pamrSteps: 10))
        XCTAssertEqual([refined.gridHeight, refined.gridWidth], [30, 45])
        // By hand: grid logits resized to the image, PAMR with the network input resized back.
        assertClose(refined.rectified(alpha: 0.6), pamrByHand(grid, pixels, width: 45, height: 30), tol: 1e-5,
                    "PAMR of the rectified logits")
        assertClose(s.refined(grid, image: pixels, size: 32, steps: 10).raw, refined.raw, tol: 0, "refined(_:)")
        XCTAssertNotNil(firstMismatch(refined.raw, SegmentationMaps(classNames: Self.classes, gridWidth: 45, gridHeight: 30,
                                                                    raw: grid.resized(width: 45, height: 30).raw).raw, tolerance: 1e-4))
    }

    /// An image with more pixels than the bound is refined at the largest size of its shape
    /// within it, exactly as if the image were that size for PAMR (the forward is the same).
    func testPAMRRefinesALargeImageAtTheBoundedSize() throws {
        let model = try tinyCLIP()
        let pixels = image(width: 45, height: 30)
        let s = try Segmenter(model: model, classes: Self.classes, rectifier: try rectifier(head: nil), classifierCache: nil,
                              head: .naclip)
        let bounded = InferenceOptions(pamrSteps: 10, pamrMaxPixels: 600)
        XCTAssertTrue(bounded.refinementSize(width: 45, height: 30) == (30, 20), "\(bounded.refinementSize(width: 45, height: 30))")
        XCTAssertTrue(InferenceOptions(pamrSteps: 10).refinementSize(width: 45, height: 30) == (45, 30), "small images keep their size")
        XCTAssertTrue(InferenceOptions(pamrMaxPixels: 1).refinementSize(width: 3000, height: 2) == (1, 1), "at least one pixel a side")
        XCTAssertTrue(InferenceOptions(pamrMaxPixels: 100).refinementSize(width: 3000, height: 2) == (100, 1), "a thin strip keeps its length")
        for (w, h) in [(4000, 2667), (1024, 1025), (5, 1_000_000), (1_000_000, 3), (2000, 500)] {
            let (bw, bh) = InferenceOptions().refinementSize(width: w, height: h)
            XCTAssertLessThanOrEqual(bw * bh, InferenceOptions.defaultPAMRMaxPixels, "\(w)x\(h) -> \(bw)x\(bh)")
            XCTAssertGreaterThan(bw * bh, InferenceOptions.defaultPAMRMaxPixels / 2, "\(w)x\(h) -> \(bw)x\(bh): as large as fits")
            XCTAssertTrue(bw <= w && bh <= h, "never larger than the image")
            if min(w, h) > 100 {
                XCTAssertEqual(Double(bw) / Double(bh), Double(w) / Double(h), accuracy: 0.01 * Double(w) / Double(h), "the shape stays")
            }
        }
        let refined = try s.segment(pixels, size: 32, options: bounded)
        XCTAssertEqual([refined.gridHeight, refined.gridWidth], [20, 30])
        // By hand: grid logits resized to 30 x 20, PAMR with the network input resized to 30 x 20.
        let grid = try s.segment(pixels, size: 32)
        assertClose(refined.rectified(alpha: 0.6), pamrByHand(grid, pixels, width: 30, height: 20), tol: 1e-5,
                    "PAMR of the rectified logits at the bounded size")
        assertClose(s.refined(grid, image: pixels, size: 32, steps: 10, maxPixels: 600).raw, refined.raw, tol: 0, "refined(_:)")
        // The labels still come out at the image's size.
        XCTAssertEqual(refined.labels(alpha: 0.6, width: 45, height: 30).count, 45 * 30)
    }

    func testARectifierRecordsItsHeadAndIsRefusedOnAnotherUnlessItIsMaskCLIPs() throws {
        let model = try tinyCLIP()
        // No head field: MaskCLIP's, usable on any head with a note.
        let old = try rectifier(head: nil)
        XCTAssertEqual(old.trainedHead, .maskclip)
        let onSCLIP = try Segmenter(model: model, classes: Self.classes, rectifier: old, classifierCache: nil, head: .sclip)
        XCTAssertEqual(onSCLIP.rectifierNote, "the rectifier was trained on maskclip logits; applied to sclip as is")
        XCTAssertNil(try Segmenter(model: model, classes: Self.classes, rectifier: old, classifierCache: nil).rectifierNote)
        // One trained on SCLIP's logits: SCLIP only.
        let sclip = try rectifier(head: "sclip")
        XCTAssertNoThrow(try Segmenter(model: model, classes: Self.classes, rectifier: sclip, classifierCache: nil, head: .sclip))
        XCTAssertThrowsError(try Segmenter(model: model, classes: Self.classes, rectifier: sclip, classifierCache: nil,
                                           head: .naclip)) {
            XCTAssertTrue("\($0)".hasSuffix("trained on sclip logits, not naclip: use --head sclip"), "\($0)")
        }
        // The field survives a save and load; an unknown head is refused when loading.
        let dir = try scratchFolder("heads")
        let url = dir.appendingPathComponent("r.safetensors")
        try sclip.save(to: url)
        XCTAssertEqual(try Rectifier.load(from: url).trainedHead, .sclip)
        var bad = sclip
        bad.metadata["head"] = "segformer"
        try bad.save(to: url)
        XCTAssertThrowsError(try Rectifier.load(from: url)) {
            XCTAssertTrue("\($0)".hasSuffix("metadata head 'segformer' is not one of maskclip, sclip, clearclip, naclip"), "\($0)")
        }
    }

    func testAnImageWithoutAWholePatchIsAnErrorForTheFlooringHeads() throws {
        let model = try tinyCLIP()
        let s = try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: nil, head: .sclip)
        let p = model.architecture.patchSize
        XCTAssertThrowsError(try s.segment(image(width: 40, height: 32), size: p - 1)) {
            XCTAssertTrue("\($0)".contains("holds no whole \(p)-pixel patch for sclip"), "\($0)")
        }
        XCTAssertNoThrow(try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: nil)
            .segment(image(width: 40, height: 32), size: p - 1))
    }

    func testClassTokenSubtractionShiftsEveryPixelByTheGlobalLogitsBeforeRectifying() throws {
        let model = try tinyCLIP()
        let pixels = image()
        let input = ImagePreprocessing.denseInput(pixels, shortSide: 32)
        for stem in ["reclip", "reclippp"] {
            let r = try Rectifier.load(from: reclipFixtures.appendingPathComponent("\(stem).pth"), classes: Self.classes)
            var s = try Segmenter(model: model, classes: Self.classes, rectifier: r, classifierCache: nil, head: .clearclip)
            let plain = try s.segment(pixels, size: 32)
            s.classTokenSubtraction = 0.3
            let shifted = try s.segment(pixels, size: 32)
            XCTAssertEqual(try s.with(classes: ["cat", "dog"]).classTokenSubtraction, 0.3)
            let token = model.denseFeatures(input, head: .clearclip).classToken!.data
            let c = l2NormalizeForward(token, N: 1, C: token.count).y
            let global = matrixProduct(s.classifier.weights, c, M: 3, K: token.count, N: 1)
            let P = plain.gridWidth * plain.gridHeight
            let expected = (0..<(3 * P)).map { plain.raw[$0] - 0.3 * global[$0 / P] }
            assertClose(shifted.raw, expected, tol: 1e-6, "\(stem) raw")
            XCTAssertEqual(shifted.bias, plain.bias)
            if stem == "reclip" {
                assertClose(shifted.rectified(alpha: 0.5), zip(plain.rectified(alpha: 0.5), expected.indices).map { $0 - 0.3 * global[$1 / P] },
                            tol: 1e-6, "rectified")
            } else {
                // ReCLIP++'s decoder sees the shifted logits.
                XCTAssertNotNil(firstMismatch(shifted.output(alpha: 0.5), plain.output(alpha: 0.5), tolerance: 1e-6))
            }
        }
    }

    /// `--rectifier cls-subtract`: raw stays raw, the bias is 0.3 x the global logits at every
    /// pixel (computed here by hand from the class token), alpha scales it, no space bias.
    func testClsSubtractRectifierSubtractsAlphaTimesSegEarthsShareOfTheGlobalLogits() throws {
        let model = try tinyCLIP()
        let pixels = image()
        let input = ImagePreprocessing.denseInput(pixels, shortSide: 32)
        for head in [DenseHead.maskclip, .clearclip] {
            let plain = try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: nil, head: head)
            let s = try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: nil, head: head,
                                  classTokenRectifier: true)
            XCTAssertEqual(s.rectification, .classToken)
            XCTAssertTrue(s.rectifies)
            XCTAssertFalse(plain.rectifies)
            let raw = try plain.segment(pixels, size: 32)
            let maps = try s.segment(pixels, size: 32, imageLogits: true)
            XCTAssertEqual(maps.rectification, .classToken)
            XCTAssertTrue(maps.hasBias)
            XCTAssertEqual(maps.imageLogits?.count, 3, "automatic alpha gets the image logits")
            // g_k = <c/|c|, t_k> by hand.
            let c = model.denseFeatures(input, head: head).classToken!.data
            let norm = c.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let D = c.count, t = s.classifier.weights
            let g = (0..<3).map { k in (0..<D).reduce(Float(0)) { $0 + t[k * D + $1] * c[$1] / norm } }
            let P = maps.gridWidth * maps.gridHeight
            assertClose(maps.raw, raw.raw, tolerance: 0, "\(head): raw stays raw")
            assertClose(maps.classBias!, (0..<(3 * P)).map { 0.3 * g[$0 / P] }, tolerance: 1e-6, "\(head) class bias")
            assertClose(maps.spaceBias!, [Float](repeating: 0, count: 3 * P), tolerance: 0, "\(head) space bias")
            for alpha: Float in [0, 0.5, 1, 2] {
                let expected = (0..<(3 * P)).map { raw.raw[$0] - alpha * 0.3 * g[$0 / P] }
                assertClose(maps.output(alpha: alpha), expected, tolerance: 1e-6, "\(head) alpha \(alpha)")
            }
            // Alpha 1 is SegEarth-OV's λ 0.3, which --cls-subtract 0.3 applies to the raw logits.
            var shifted = plain
            shifted.classTokenSubtraction = 0.3
            assertClose(try shifted.segment(pixels, size: 32).raw, maps.output(alpha: 1), tolerance: 1e-6, "\(head) = --cls-subtract 0.3")
            XCTAssertTrue(try s.with(classes: ["cat", "dog"]).classTokenRectifier)
            // Windows and PAMR keep what made the bias.
            let refined = try s.segment(pixels, size: 32, options: InferenceOptions(window: SlidingWindow(crop: 24, stride: 8), pamrSteps: 2))
            XCTAssertEqual(refined.rectification, .classToken)
            assertClose(refined.spaceBias!, [Float](repeating: 0, count: refined.raw.count), tolerance: 1e-7, "\(head) refined space bias")
        }
        // One rectification per segmenter.
        XCTAssertThrowsError(try Segmenter(model: model, classes: Self.classes, rectifier: try rectifier(head: nil),
                                           classifierCache: nil, classTokenRectifier: true)) {
            XCTAssertTrue("\($0)".contains("two rectifications: use one"), "\($0)")
        }
        // The dump names it.
        let s = try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: nil, classTokenRectifier: true)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cls-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SegmentationDump(maps: try s.segment(pixels, size: 32), classifier: s.classifier, alpha: 1).write(to: url)
        XCTAssertEqual(try SafeTensorsFile(path: url.path).metadata["rectifier"], "cls-subtract")
    }

    func testTheDumpKeepsTheGridLayoutAndRecordsTheHead() throws {
        let model = try tinyCLIP()
        let pixels = image()
        let s = try Segmenter(model: model, classes: Self.classes, rectifier: nil, classifierCache: nil, head: .clearclip)
        let grid = try s.segment(pixels, size: 32)
        let options = InferenceOptions(pamrSteps: 3)
        let refined = s.refined(grid, image: pixels, size: 32, steps: 3)
        let dump = SegmentationDump(maps: grid, classifier: s.classifier, alpha: 1, head: .clearclip, templates: s.templates,
                                    refined: refined, inference: options)
        let names = dump.tensors.map(\.name)
        XCTAssertEqual(names, ["raw", "class_bias", "space_bias", "bias", "rectified", "output", "classifier", "refined"])
        XCTAssertEqual(dump.tensors[0].tensor.shape, [3, grid.gridHeight, grid.gridWidth])
        XCTAssertEqual(dump.tensors[7].tensor.shape, [3, 32, 40])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try dump.write(to: url)
        let file = try SafeTensorsFile(path: url.path)
        XCTAssertEqual(file.metadata["head"], "clearclip")
        XCTAssertEqual(file.metadata["templates"], "imagenet80")
        XCTAssertEqual(file.metadata["inference"], "whole image, PAMR 3")
    }
}
