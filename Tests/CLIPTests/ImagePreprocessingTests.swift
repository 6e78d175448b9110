import Pixels
import XCTest
import TestSupport
import Math
@testable import ModelFiles
@testable import CLIP

final class ImagePreprocessingTests: XCTestCase {
    func testMatchesCLIPTransforms() throws {
        for size in ["50x37", "20x27", "32x45", "37x37", "32x32"] {
            let shape = try CLIPFixture.reference.entry("rgb.\(size)").shape  // [h, w, 3]
            let bytes = try CLIPFixture.reference.int32s("rgb.\(size)").map { UInt8($0) }
            let image = RGBImage(width: shape[1], height: shape[0], pixels: bytes)
            let crop = ImagePreprocessing.globalInput(image, size: 32)
            let expectedCrop = CLIPFixture.tensor("rgb.\(size).crop")
            XCTAssertEqual(crop.shape, expectedCrop.shape, size)
            assertClose(crop, expectedCrop, tolerance: 1e-5, size)
            let dense = ImagePreprocessing.denseInput(image, shortSide: 32)
            let expectedDense = CLIPFixture.tensor("rgb.\(size).dense")
            XCTAssertEqual(dense.shape, expectedDense.shape, size)
            assertClose(dense, expectedDense, tolerance: 1e-5, size)
        }
    }

    func testFeaturesFromRGBMatchCLIPEndToEnd() throws {
        for size in ["50x37", "20x27", "32x32"] {
            let shape = try CLIPFixture.reference.entry("rgb.\(size)").shape
            let bytes = try CLIPFixture.reference.int32s("rgb.\(size)").map { UInt8($0) }
            let features = CLIPFixture.openAI.features(of: RGBImage(width: shape[1], height: shape[0], pixels: bytes), size: 32)
            assertClose(features.global, CLIPFixture.tensor("rgb.\(size).global"), tolerance: 1e-4, size)
            assertClose(features.dense.features, CLIPFixture.tensor("rgb.\(size).denseFeatures"), tolerance: 1e-4, size)
        }
    }

    func testImageAtTheRequestedSizeIsNotResampled() {
        var g = 0 as UInt8
        let data = (0..<(32 * 45 * 3)).map { _ in g &+= 37; return g }
        let image = RGBImage(width: 32, height: 45, pixels: data)
        XCTAssertEqual(ImagePreprocessing.resizedShortSide(image, to: 32), image)
    }
}

/// The dense forward's work is bounded before it starts.
final class TokenBudgetTests: XCTestCase {
    func testGridFollowsTheResizeAndThePadding() {
        XCTAssertEqual(TokenBudget.grid(width: 640, height: 480, shortSide: 448, patch: 16).rows, 28)
        XCTAssertEqual(TokenBudget.grid(width: 640, height: 480, shortSide: 448, patch: 16).columns, 38)  // 597 px, padded
        XCTAssertEqual(TokenBudget.grid(width: 96, height: 96, shortSide: 96, patch: 8).rows, 12)
    }

    func testAThinImageIsRefusedWithTheBoundNamed() {
        XCTAssertThrowsError(try TokenBudget.check(width: 300, height: 1, shortSide: 448, patch: 16, name: "thin.png")) {
            let text = "\($0)"
            XCTAssertTrue(text.hasPrefix("thin.png: 300x1 pixels (aspect 300:1)"), text)
            XCTAssertTrue(text.contains("the limit is 4096"), text)
        }
        XCTAssertNoThrow(try TokenBudget.check(width: 1024, height: 1024, shortSide: 1024, patch: 16, name: "square"))
        XCTAssertThrowsError(try TokenBudget.check(width: 1040, height: 1024, shortSide: 1040, patch: 16, name: "just over"))
        XCTAssertThrowsError(try TokenBudget.check(width: 0, height: 5, shortSide: 448, patch: 16, name: "empty"))
    }
}
