import XCTest
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP

final class SegmentationMapsTests: XCTestCase {
    func testAlphaSubtractsTheBiasAndFlipsTheArgmax() {
        // Two classes on a 1x2 grid: class 0 wins raw, the bias on class 0 flips pixel 1.
        let maps = SegmentationMaps(classNames: ["sky", "sea"], gridWidth: 2, gridHeight: 1,
                                    raw: [0.5, 0.5, 0.2, 0.4],
                                    bias: [0, 0.3, 0, 0])
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1), [0, 0])
        XCTAssertEqual(maps.labels(alpha: 1, width: 2, height: 1), [0, 1])
        XCTAssertEqual(maps.rectified(alpha: 1)[1], 0.2, accuracy: 1e-6)
    }
}

/// `--background-threshold` (SCLIP's `prob_thd`): a pixel whose top softmax probability is
/// under the threshold gets class 0; worked by hand on a 2x1 grid shown at its own size.
final class BackgroundThresholdTests: XCTestCase {
    func testPixelsBelowTheProbabilityThresholdBecomeBackground() {
        // Class 0 (background) 0 and 0; class 1 is 1 (sure) and 0.02 (nearly a tie).
        let maps = SegmentationMaps(classNames: ["background", "cat"], gridWidth: 2, gridHeight: 1, raw: [0, 0, 1, 0.02])
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1), [1, 1])
        // softmax(10 * [0, 1]) tops at 0.99995; softmax(10 * [0, 0.02]) at 1 / (1 + e^-0.2) = 0.5498.
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1, background: (scale: 10, threshold: 0.5)), [1, 1])
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1, background: (scale: 10, threshold: 0.549)), [1, 1])
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1, background: (scale: 10, threshold: 0.551)), [1, 0])
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1, background: (scale: 10, threshold: 0.99996)), [0, 0])
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1, background: (scale: 10, threshold: 0)), [1, 1])
        // The scale matters: at 100 the near tie is sure (1 / (1 + e^-2) = 0.881).
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1, background: (scale: 100, threshold: 0.88)), [1, 1])
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1, background: (scale: 100, threshold: 0.882)), [1, 0])
        // Hidden classes take no part: with cat hidden, background alone has probability 1.
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1, hidden: [1], background: (scale: 10, threshold: 0.99)), [0, 0])
        // Upsampled, the probability is taken on the interpolated logits: the middle pixels of
        // 4 wide sit between the two cells, their cat logit between 1 and 0.02.
        let wide = maps.labels(alpha: 0, width: 4, height: 1, background: (scale: 10, threshold: 0.551))
        XCTAssertEqual(wide, [1, 1, 1, 0])
    }

}

extension SegmentationMapsTests {
    /// Alpha 0 is raw MaskCLIP for ReCLIP++ too (its decoder without the bias is a learned head,
    /// not raw); any other alpha is the decoder's output, base - alpha x slope.
    func testReCLIPPlusPlusAtAlphaZeroIsRawMaskCLIP() {
        let raw: [Float] = [1, 2, 3, 4], base: [Float] = [5, 6, 7, 8], slope: [Float] = [1, -1, 2, 0.5]
        let maps = SegmentationMaps(classNames: ["a", "b"], gridWidth: 2, gridHeight: 1, raw: raw,
                                    classBias: [0, 0, 0, 0], spaceBias: [0, 0, 0, 0], bias: [0, 0, 0, 0],
                                    decoderBase: base, decoderSlope: slope)
        XCTAssertEqual(maps.rectification, .reclipPlusPlus)
        XCTAssertEqual(maps.output(alpha: 0), raw)
        XCTAssertEqual(maps.output(alpha: 1), [4, 7, 5, 7.5])
        XCTAssertEqual(maps.output(alpha: 0.5), [4.5, 6.5, 6, 7.75])
        // Class b wins both cells raw (3 > 1, 4 > 2).
        XCTAssertEqual(maps.labels(alpha: 0, width: 2, height: 1), [1, 1])
    }
}

