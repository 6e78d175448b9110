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
