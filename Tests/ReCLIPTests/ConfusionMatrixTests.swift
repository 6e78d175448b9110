import XCTest
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP

final class ConfusionMatrixTests: XCTestCase {
    /// Two 2x3 images, three classes, worked by hand.
    func testMeanIoUByHand() {
        var m = ConfusionMatrix(classCount: 3)
        // image 1: gt 0 0 1 / 1 1 255 ; pred 0 1 1 / 1 0 2
        m.add(prediction: [0, 1, 1, 1, 0, 2], groundTruth: [0, 0, 1, 1, 1, 255], reduceZeroLabel: false)
        // image 2: gt 2 2 0 / 0 255 1 ; pred 2 0 0 / 0 1 1
        m.add(prediction: [2, 0, 0, 0, 1, 1], groundTruth: [2, 2, 0, 0, 255, 1], reduceZeroLabel: false)
        // class 0: gt pixels 4 (img1: 2, img2: 2), pred 0 on 5 labelled pixels (img1: 1 of gt1 -> p0 at idx4, idx0; img2: idx1, 2, 3)
        //   intersection: img1 idx0, img2 idx2, idx3 = 3; pred area: img1 idx0, idx4; img2 idx1, idx2, idx3 = 5
        //   union = 4 + 5 - 3 = 6 -> 0.5
        // class 1: gt 4 (img1: idx2, 3, 4; img2: idx5), pred 1 on labelled: img1 idx1, 2, 3; img2 idx5 = 4
        //   intersection: idx2, 3 (img1), idx5 (img2) = 3; union = 4 + 4 - 3 = 5 -> 0.6
        // class 2: gt 2 (img2 idx0, 1), pred 2 on labelled: img2 idx0 = 1 (img1 idx5 is ignored)
        //   intersection 1; union = 2 + 1 - 1 = 2 -> 0.5
        let iou = m.perClassIoU
        XCTAssertEqual(iou[0], 0.5, accuracy: 1e-12)
        XCTAssertEqual(iou[1], 0.6, accuracy: 1e-12)
        XCTAssertEqual(iou[2], 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.meanIoU, 1.6 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.pixelAccuracy, 7.0 / 10.0, accuracy: 1e-12)
    }

    func testReduceZeroLabelAndNaNClasses() {
        var m = ConfusionMatrix(classCount: 3)
        // gt 0 (background, ignored), 1 -> class 0, 2 -> class 1, 255 ignored; class 2 never seen
        m.add(prediction: [2, 0, 1, 0], groundTruth: [0, 1, 2, 255], reduceZeroLabel: true)
        let iou = m.perClassIoU
        XCTAssertEqual(iou[0], 1)
        XCTAssertEqual(iou[1], 1)
        XCTAssertTrue(iou[2].isNaN)
        XCTAssertEqual(m.meanIoU, 1)
        XCTAssertEqual(m.pixelAccuracy, 1)
    }
}
