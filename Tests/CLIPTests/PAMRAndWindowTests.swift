import Foundation
import XCTest
import TestSupport
import Math
@testable import ModelFiles
@testable import CLIP

final class PAMRAndWindowTests: XCTestCase {
    func testPAMRMatchesSCLIPsAndNACLIPsModule() {
        let image = HeadsFixture.tensor("pamr.image")
        let masks = HeadsFixture.tensor("pamr.masks")
        for (steps, key) in [(1, "pamr.steps1"), (10, "pamr.steps10")] {
            let out = pamrForward(image: image, masks: masks, steps: steps)
            assertClose(out, HeadsFixture.tensor(key), tolerance: 1e-4, key)
        }
        // Low-resolution masks are upsampled with align_corners=True first.
        let low = pamrForward(image: image, masks: HeadsFixture.tensor("pamr.lowres.masks"), steps: 10)
        assertClose(low, HeadsFixture.tensor("pamr.lowres.steps10"), tolerance: 1e-4, "lowres")
    }

    func testPAMRWeightsAreAProbabilityOverSixteenNeighboursAndTheRefinementIsLinear() {
        let image = HeadsFixture.tensor("pamr.image")
        let kernel = PAMRKernel(image: image)
        XCTAssertEqual(kernel.offsets.count, 16)
        let plane = kernel.height * kernel.width
        for p in stride(from: 0, to: plane, by: 97) {
            let total = (0..<16).reduce(Float(0)) { $0 + kernel.weights[$1 * plane + p] }
            assertClose(total, 1, tolerance: 1e-5, "pixel \(p)")
        }
        let a = HeadsFixture.tensor("pamr.masks").data
        let b = a.reversed().map { $0 * 0.5 }
        let combined = zip(a, b).map { $0 - 2 * $1 }
        let separately = zip(kernel.refine(a, steps: 3), kernel.refine(b, steps: 3)).map { $0 - 2 * $1 }
        assertClose(kernel.refine(combined, steps: 3), separately, tolerance: 1e-5)
        // Zero steps change nothing; one step changes something.
        XCTAssertEqual(kernel.refine(a, steps: 0), a)
        XCTAssertNotNil(firstMismatch(kernel.refine(a, steps: 1), a, tolerance: 1e-3))
    }

    func testSlidingWindowsVisitSCLIPsCropsAndCoverage() {
        let window = SlidingWindow(crop: 32, stride: 16)
        let expected = HeadsFixture.tensor("slide.windows").data.map { Int($0) }
        let got = window.windows(height: 48, width: 40).flatMap { [$0.y1, $0.x1, $0.y2, $0.x2] }
        XCTAssertEqual(got, expected)
        XCTAssertEqual(window.coverage(height: 48, width: 40), HeadsFixture.tensor("slide.count").data)
        // A crop larger than the image is the image itself, once.
        XCTAssertEqual(SlidingWindow(crop: 64, stride: 16).windows(height: 48, width: 40),
                       [SlidingWindow.Window(y1: 0, x1: 0, y2: 48, x2: 40)])
    }

    func testSlidingWindowLogitsMatchSCLIPsForwardSlide() {
        let model = CLIPFixture.openAI
        let image = HeadsFixture.tensor("slide.image")
        let text = HeadsFixture.tensor("slide.text")
        let logits = model.slidingLogits(image, head: .sclip, classifier: text.data, classes: 5,
                                         window: SlidingWindow(crop: 32, stride: 16))
        assertClose(logits, HeadsFixture.tensor("slide.sclip.logits"), tolerance: 1e-4, "logits")
        // ori_shape 60x50: one more bilinear resize.
        var resized = [Float](repeating: 0, count: 5 * 60 * 50)
        bilinearResizeForward(out: &resized, inp: logits.data, channels: 5, inHeight: 48, inWidth: 40,
                              outHeight: 60, outWidth: 50)
        assertClose(resized, HeadsFixture.tensor("slide.sclip.logits60x50").data, tolerance: 1e-4, "60x50")
        // With PAMR(10, (8, 16)) on the image at the same size.
        let refined = pamrForward(image: image, masks: logits, steps: 10)
        assertClose(refined, HeadsFixture.tensor("slide.sclip.pamr"), tolerance: 1e-4, "pamr")
        // Another head's windows do not pass SCLIP's golden.
        let naclip = model.slidingLogits(image, head: .naclip, classifier: text.data, classes: 5,
                                         window: SlidingWindow(crop: 32, stride: 16))
        XCTAssertNotNil(firstMismatch(naclip.data, HeadsFixture.tensor("slide.sclip.logits").data, tolerance: 1e-3))
    }

    func testClearCLIPPadsCropsCentredAndCutsTheLogitsBack() {
        // A 44x38 crop with patch 8 pads to 48x40: 2 rows on top, 2 below, 1 column left, 1 right.
        let image = HeadsFixture.tensor("tiny.image.44x38")
        let w = SlidingWindow.Window(y1: 0, x1: 0, y2: 44, x2: 38)
        let crop = WindowCrop(image: image, window: w, head: .clearclip, patch: 8)
        XCTAssertEqual(crop.input.shape, [3, 48, 40])
        XCTAssertEqual([crop.top, crop.left], [2, 1])
        XCTAssertEqual(crop.input.data[0], 0)
        XCTAssertEqual(crop.input.data[2 * 40 + 1], image.data[0])
        let plain = WindowCrop(image: image, window: w, head: .sclip, patch: 8)
        XCTAssertEqual(plain.input, image)
        // Grid maps come back at the crop's size.
        let grid = [Float](repeating: 3, count: 2 * 6 * 5)
        XCTAssertEqual(crop.cropSized(grid, channels: 2, gridHeight: 6, gridWidth: 5), [Float](repeating: 3, count: 2 * 44 * 38))
    }
}
