import XCTest
import Math
@testable import ReCLIP

/// The label-free seed choice: the lowest finite last-epoch loss, the first of equals, never a
/// run without a loss; and the record that names every seed.
final class SeedSelectionTests: XCTestCase {
    typealias Run = SeedSelection.Run

    func testTheLowestFiniteLossIsKeptAndTheFirstOfEquals() {
        let s = SeedSelection(runs: [Run(seed: 0, lastEpochLoss: 1.38), Run(seed: 1, lastEpochLoss: 1.39),
                                     Run(seed: 2, lastEpochLoss: 1.37), Run(seed: 3, lastEpochLoss: 1.37)])
        XCTAssertEqual(s.kept?.seed, 2)
        XCTAssertEqual(s.record, "lowest last-epoch loss of seeds 0 (1.3800), 1 (1.3900), 2 (1.3700), 3 (1.3700): kept 2")
    }

    func testRunsWithoutAFiniteLossAreNeverKept() {
        let s = SeedSelection(runs: [Run(seed: 5, lastEpochLoss: nil), Run(seed: 6, lastEpochLoss: .nan),
                                     Run(seed: 7, lastEpochLoss: -.infinity), Run(seed: 8, lastEpochLoss: 2.5)])
        XCTAssertEqual(s.kept?.seed, 8)
        XCTAssertNil(SeedSelection(runs: [Run(seed: 1, lastEpochLoss: nil), Run(seed: 2, lastEpochLoss: .infinity)]).kept)
        XCTAssertEqual(SeedSelection(runs: [Run(seed: 1, lastEpochLoss: nil)]).record,
                       "lowest last-epoch loss of seeds 1 (none): none kept")
        XCTAssertNil(SeedSelection(runs: []).kept)
    }

    /// Whatever the order of the runs, the kept one has a loss no other finite loss is below.
    func testTheKeptRunIsAMinimumInAnyOrder() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<200 {
            let runs = (0..<Int.random(in: 1...8, using: &rng)).map { i in
                Run(seed: UInt64(i), lastEpochLoss: Bool.random(using: &rng) ? nil : Double(Int.random(in: 0...5, using: &rng)))
            }
            let kept = SeedSelection(runs: runs.shuffled(using: &rng)).kept
            let finite = runs.compactMap(\.lastEpochLoss)
            XCTAssertEqual(kept?.lastEpochLoss, finite.min())
        }
    }
}
