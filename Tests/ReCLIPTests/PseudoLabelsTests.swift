import XCTest
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP

final class PseudoLabelsTests: XCTestCase {
    func testThresholdThenTopK() {
        XCTAssertEqual(PseudoLabels.thresholdOrTopK([10, 24, 23, 5]), [1, 2])
        XCTAssertEqual(PseudoLabels.thresholdOrTopK([10, 20, 22, 5]), [2, 1])
        XCTAssertEqual(PseudoLabels.thresholdOrTopK([10, 20, 22, 5], topK: 1), [2])
    }

    func testCropOriginsSkipTheLastPartialWindow() {
        // width 120, window 56, step 28: x in range(0, 64, 28) = 0, 28, 56; height 60: y in range(0, 4, 28) = 0
        let o = PseudoLabels.cropOrigins(width: 120, height: 60, window: 56, step: 28)
        XCTAssertEqual(o.map { $0.x }, [0, 28, 56])
        XCTAssertEqual(o.map { $0.y }, [0, 0, 0])
        XCTAssertTrue(PseudoLabels.cropOrigins(width: 50, height: 60, window: 56, step: 28).isEmpty)
    }

    func testSlidingCropVoteKeepsFirstAppearanceOrder() {
        XCTAssertEqual(PseudoLabels.slidingCropVote([[0, 1, 0], [5, 1, 0], [0, 2, 1], [0, 0, 3]]), [1, 0, 2])
        // Votes: class 1 twice (crops 0, 2), class 0 once, class 2 once.
        let crops: [[Float]] = [[0, 1, 0], [5, 1, 0], [0, 2, 1], [0, 0, 3]]
        XCTAssertEqual(PseudoLabels.slidingCropVote(crops, minimumVotes: 2), [1])
        // No class with three votes: the most voted one is kept, so every image has a label.
        XCTAssertEqual(PseudoLabels.slidingCropVote(crops, minimumVotes: 3), [1])
    }
}
