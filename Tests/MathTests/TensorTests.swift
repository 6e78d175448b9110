import XCTest
@testable import Math

final class TensorTests: XCTestCase {
    func testRowMajorIndexingAndStrides() {
        var t = Tensor(zeros: [2, 3, 4])
        t[1, 2, 3] = 7
        XCTAssertEqual(t.data[1 * 12 + 2 * 4 + 3], 7)
        XCTAssertEqual(t.strides, [12, 4, 1])
        XCTAssertEqual(t.reshaped([6, 4])[5, 3], 7)
    }
}
