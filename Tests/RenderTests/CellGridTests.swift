import Pixels
import XCTest
@testable import Render

final class CellGridTests: XCTestCase {
    func testPasteClipsToTheGrid() {
        var grid = CellGrid(width: 4, height: 3)
        let red = Cell(glyph: "▀", foreground: .rgb(RGB(255, 0, 0)), background: .indexed(4))
        grid.paste(CellGrid(width: 3, height: 3, fill: red), atX: 2, y: 1)
        XCTAssertEqual(grid[2, 1], red)
        XCTAssertEqual(grid[3, 2], red)
        XCTAssertEqual(grid[1, 1], .blank)
        XCTAssertEqual(grid[3, 0], .blank)
        XCTAssertEqual(grid.cells.filter { $0 == red }.count, 4)
    }
}
