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
