import XCTest
@testable import TUI

final class ExplorerViewTests: XCTestCase {
    func testTabCyclesThroughEveryView() {
        var v = ExplorerView.compare
        var seen: [ExplorerView] = []
        for _ in 0..<4 { seen.append(v); v = v.next }
        XCTAssertEqual(seen, [.compare, .bias, .difference, .overlay])
        XCTAssertEqual(v, .compare)
    }
}
