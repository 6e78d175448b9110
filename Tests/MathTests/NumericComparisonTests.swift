import XCTest
import TestSupport
import Math

/// The suite's one numeric comparison must fail on what a max-reduction lets through.
final class NumericComparisonTests: XCTestCase {
    func testNaNPlantedTensorFails() {
        let expected = Tensor(shape: [2, 3], data: [0.5, -1, 2, 3, 4, 5])
        var planted = expected
        planted.data[4] = .nan
        // What the suite used to do: Swift's max drops NaN, so the worst difference reads 0.
        var worst: Float = 0
        for i in 0..<planted.data.count { worst = max(worst, abs(planted.data[i] - expected.data[i])) }
        XCTAssertEqual(worst, 0, "the old reduction hides the NaN")
        // The comparison names the first bad index and both values.
        let bad = firstMismatch(planted.data, expected.data, tolerance: 1e-4)
        XCTAssertEqual(bad?.index, 4)
        XCTAssertTrue(bad?.actual.isNaN ?? false)
        XCTAssertEqual(bad?.expected, 4)
        XCTAssertTrue("\(bad!)".contains("element 4"))
        // An all-NaN tensor fails at its first element.
        let allNaN = [Float](repeating: .nan, count: 6)
        XCTAssertEqual(firstMismatch(allNaN, expected.data, tolerance: 1e-4)?.index, 0)
        XCTAssertEqual(largestDifference(allNaN, expected.data), .infinity)
    }

    func testNaNOrInfinityOnEitherSideFails() {
        XCTAssertEqual(firstMismatch([Float(1), 2], [Float(1), .nan], tolerance: 1)?.index, 1)
        XCTAssertEqual(firstMismatch([Float(1), .infinity], [Float(1), .infinity], tolerance: 1)?.index, 1)
        XCTAssertEqual(firstMismatch([-Double.infinity], [Float(0)], tolerance: .infinity)?.index, 0)
    }

    func testTolerancesAreInclusiveAndExact() {
        XCTAssertNil(firstMismatch([Float(1), 2, 3], [Float(1), 2, 3], tolerance: 0))
        XCTAssertNil(firstMismatch([1.0, 2.5], [1.0, 2.0], tolerance: 0.5))
        XCTAssertEqual(firstMismatch([1.0, 2.5000001], [1.0, 2.0], tolerance: 0.5)?.index, 1)
        XCTAssertEqual(largestDifference([1.0, 2.5], [1.0, 2.0]), 0.5)
        XCTAssertEqual(largestDifference([1.0], [1.0, 2.0]), .infinity)
    }
}
