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

    /// Dense share: classes by the patches their arg-max wins (K x P, class-major), in class
    /// order; ties go to the first class; no class reaching the share keeps the most covered.
    func testDenseShareCountsArgMaxPatches() {
        // 10 patches: class 0 wins 6, class 1 wins 3, class 2 wins 1 (patch 9); patch 8 is a
        // tie between classes 0 and 1, which class 0 (the first) takes.
        var logits = [Float](repeating: 0, count: 3 * 10)
        for p in 0..<10 {
            let winner = p < 6 ? 0 : (p < 8 ? 1 : (p == 8 ? 0 : 2))
            logits[winner * 10 + p] = 1
        }
        logits[1 * 10 + 8] = 1          // the tie at patch 8 (class 0 already holds 1 there)
        logits[1 * 10 + 5] = 2          // patch 5 goes to class 1: counts 6, 3, 1
        XCTAssertEqual(PseudoLabels.denseShare(logits, classes: 3, minimumShare: 0.1), [0, 1, 2])
        XCTAssertEqual(PseudoLabels.denseShare(logits, classes: 3, minimumShare: 0.15), [0, 1])
        XCTAssertEqual(PseudoLabels.denseShare(logits, classes: 3, minimumShare: 0.3), [0, 1])
        XCTAssertEqual(PseudoLabels.denseShare(logits, classes: 3, minimumShare: 0.31), [0])
        XCTAssertEqual(PseudoLabels.denseShare(logits, classes: 3, minimumShare: 1), [0])
        // Class 2 alone holds the most patches: it is kept when nothing reaches the share.
        var other = [Float](repeating: 0, count: 3 * 4)
        for p in 0..<4 { other[(p < 2 ? 2 : p - 2) * 4 + p] = 1 }     // counts 1, 1, 2
        XCTAssertEqual(PseudoLabels.denseShare(other, classes: 3, minimumShare: 0.9), [2])
        // Non-finite logits give some label, never a trap.
        XCTAssertEqual(PseudoLabels.denseShare([.nan, .nan, .infinity, 0], classes: 2, minimumShare: 0.5).count, 1)
    }
}

