import XCTest
@testable import TUI

final class ExplorerViewTests: XCTestCase {
    func testTabCyclesThroughEveryView() {
        var v = ExplorerView.compare
        var seen: [ExplorerView] = []
        for _ in 0..<ExplorerView.allCases.count { seen.append(v); v = v.next }
        XCTAssertEqual(seen, [.compare, .bias, .difference, .overlay, .dataset])
        XCTAssertEqual(v, .compare)
    }
}
