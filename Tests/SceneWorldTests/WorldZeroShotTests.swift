import XCTest
import TestSupport
@testable import SceneWorld

/// The two presence scores of `WorldZeroShot`: the cosine, and the scene's softmax probability,
/// which removes a per-scene offset of every cosine at once.
final class WorldZeroShotTests: XCTestCase {
    /// The probabilities are CLIP's softmax of exp(logScale) * cosine, sum to one, do not move
    /// when every cosine of the scene moves by the same amount, and survive a scale that would
    /// overflow exp without the shift; a NaN cosine makes every probability NaN.
    func testSoftmaxScoresAreCLIPProbabilitiesAndIgnoreAPerSceneOffset() {
        let cosines: [Float] = [0.31, 0.12, -0.05, 0.27]
        let scored = WorldZeroShot.presenceScores(cosines: cosines, logScale: log(100))
        TestSupport.assertClose(scored.cosine, cosines.map(Double.init), tolerance: 0)
        let scale = exp(Double(Float(log(100.0))))     // the scale the Float log holds
        let e = cosines.map { exp(scale * Double($0)) }, z = e.reduce(0, +)
        TestSupport.assertClose(scored.softmax, e.map { $0 / z }, tolerance: 1e-12)
        TestSupport.assertClose(scored.softmax.reduce(0, +), 1, tolerance: 1e-12)
        let shifted = WorldZeroShot.presenceScores(cosines: cosines.map { $0 + 0.25 }, logScale: log(100))
        TestSupport.assertClose(shifted.softmax, scored.softmax, tolerance: 1e-6, "a per-scene offset")
        let huge = WorldZeroShot.presenceScores(cosines: cosines, logScale: 9)
        XCTAssertTrue(huge.softmax.allSatisfy(\.isFinite), "\(huge.softmax)")
        TestSupport.assertClose(huge.softmax.reduce(0, +), 1, tolerance: 1e-12)
        let poisoned = WorldZeroShot.presenceScores(cosines: [0.1, .nan, 0.2], logScale: log(100))
        XCTAssertTrue(poisoned.softmax.allSatisfy(\.isNaN), "\(poisoned.softmax)")
    }

    /// Scenes whose present class always leads their own cosines, but whose cosines sit at
    /// different heights: the softmax ranks presence perfectly where the cosine does not.
    func testThePerSceneOffsetIsWhatTheSoftmaxAUCRemoves() {
        // Two classes; scene s has class (s % 2) present, its cosines offset by 0.3 * s.
        var cosine: [Double] = [], softmax: [Double] = [], present: [Bool] = []
        for s in 0..<6 {
            let offset = Float(s) * 0.3, lead: Float = 0.1
            let cosines: [Float] = s % 2 == 0 ? [offset + lead, offset] : [offset, offset + lead]
            let scored = WorldZeroShot.presenceScores(cosines: cosines, logScale: log(100))
            cosine.append(scored.cosine[0]); softmax.append(scored.softmax[0]); present.append(s % 2 == 0)
        }
        XCTAssertEqual(ZeroShotPresence.rocAUC(scores: softmax, positive: present), 1, accuracy: 1e-12)
        // Positives 0.1, 0.7, 1.3 against negatives 0.3, 0.9, 1.5: 3 of 9 pairs won.
        XCTAssertEqual(ZeroShotPresence.rocAUC(scores: cosine, positive: present), 3.0 / 9.0, accuracy: 1e-12)
        XCTAssertEqual(ZeroShotPresence.meanOfDefined([0.5, .nan, 1]), 0.75, accuracy: 1e-12)
        XCTAssertTrue(ZeroShotPresence.meanOfDefined([.nan]).isNaN)
    }
}
