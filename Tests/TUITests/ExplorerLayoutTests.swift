import XCTest
@testable import TUI

/// Layout at many terminal sizes: nothing overlaps, nothing leaves the screen, pictures keep
/// their aspect, and tiny terminals get a message instead.
final class ExplorerLayoutTests: XCTestCase {
    static let sizes = [(20, 5), (39, 12), (40, 11), (40, 12), (59, 20), (60, 20), (79, 24), (80, 24),
                        (100, 30), (120, 40), (200, 60), (300, 100)]

    func testTinyTerminalsAreTooSmall() {
        for (w, h) in [(20, 5), (39, 12), (40, 11), (0, 0)] {
            XCTAssertTrue(ExplorerLayout(width: w, height: h, view: .compare, imageAspect: 1).isTooSmall, "\(w)x\(h)")
        }
        XCTAssertFalse(ExplorerLayout(width: 40, height: 12, view: .compare, imageAspect: 1).isTooSmall)
    }

    func testEveryRegionIsOnScreenAndApart() {
        for (w, h) in Self.sizes {
            for view in ExplorerView.allCases {
                for aspect in [0.5, 1.0, 1.5, 3.0] {
                    for inspecting in [false, true] { for truth in [false, true] {
                        let l = ExplorerLayout(width: w, height: h, view: view, imageAspect: aspect, inspecting: inspecting,
                                               groundTruth: truth)
                        let tag = "\(w)x\(h) \(view) aspect \(aspect) inspect \(inspecting) truth \(truth)"
                        if l.isTooSmall { continue }
                        let screen = Rect(x: 0, y: 0, width: w, height: h)
                        var regions = [l.title, l.list, l.legend, l.status, l.main]
                        for r in regions { XCTAssertTrue(screen.encloses(r), "\(tag): \(r) off screen") }
                        XCTAssertEqual(l.panels.count, view.panelCount(groundTruth: truth), tag)
                        for p in l.panels {
                            XCTAssertTrue(l.main.encloses(p.picture), "\(tag): picture \(p.picture) outside main \(l.main)")
                            XCTAssertTrue(l.main.encloses(p.caption), "\(tag): caption outside main")
                            XCTAssertGreaterThan(p.picture.width, 0, tag)
                            XCTAssertGreaterThan(p.picture.height, 0, tag)
                            XCTAssertFalse(p.caption.overlaps(p.picture), tag)
                        }
                        for i in l.panels.indices { for j in l.panels.indices where i != j {
                            XCTAssertFalse(l.panels[i].picture.overlaps(l.panels[j].picture), tag)
                            XCTAssertFalse(l.panels[i].caption.overlaps(l.panels[j].picture), tag)
                            XCTAssertFalse(l.panels[i].caption.overlaps(l.panels[j].caption), tag)
                            XCTAssertEqual(l.panels[i].picture.width, l.panels[j].picture.width, "\(tag): same scale")
                            XCTAssertEqual(l.panels[i].picture.height, l.panels[j].picture.height, "\(tag): same scale")
                        } }
                        if let bar = l.colourBar {
                            XCTAssertTrue(l.main.encloses(bar), "\(tag): colour bar outside main")
                            for p in l.panels { XCTAssertFalse(bar.overlaps(p.picture), tag) }
                        } else {
                            XCTAssertNotEqual(view, .bias, "\(tag): the bias view has a colour bar")
                        }
                        if inspecting {
                            XCTAssertFalse(l.inspector.isEmpty, tag)
                            XCTAssertTrue(screen.encloses(l.inspector), tag)
                            for p in l.panels { XCTAssertFalse(l.inspector.overlaps(p.picture), tag) }
                        }
                        regions = [l.title, l.list, l.main, l.status]
                        for i in regions.indices { for j in regions.indices where i < j {
                            XCTAssertFalse(regions[i].overlaps(regions[j]), "\(tag): \(regions[i]) overlaps \(regions[j])")
                        } }
                        XCTAssertFalse(l.legend.overlaps(l.main), "\(tag): legend overlaps main")
                    } }
                }
            }
        }
    }

    func testPicturesKeepTheirAspectWithSquarePixels() {
        for (w, h) in [(80, 24), (200, 60), (300, 100)] {
            for aspect in [0.75, 1.0, 1.5] {
                let l = ExplorerLayout(width: w, height: h, view: .overlay, imageAspect: aspect)
                let p = l.panels[0].picture
                let shown = Double(p.width) / Double(2 * p.height)
                XCTAssertEqual(shown, aspect, accuracy: aspect * 0.1, "\(w)x\(h) aspect \(aspect)")
            }
        }
    }

    /// View 1 is the paper's figure: image | ground truth | raw | rectified at one scale, filling
    /// the main area: at least 90 % of its height, unless the panels are as wide as their grid
    /// cells allow (then the aspect is what stops them).
    func testPaperFigureFillsTheMainArea() {
        for (w, h) in Self.sizes {
            for aspect in [0.75, 1.0, 1.33, 2.0] {
                for truth in [false, true] {
                    let l = ExplorerLayout(width: w, height: h, view: .compare, imageAspect: aspect, groundTruth: truth)
                    if l.isTooSmall { continue }
                    let tag = "\(w)x\(h) aspect \(aspect) truth \(truth)"
                    let top = l.panels.map(\.caption.y).min()!, bottom = l.panels.map { $0.picture.y + $0.picture.height }.max()!
                    let columns = Set(l.panels.map(\.picture.x)).count
                    let cellWidth = (l.main.width - ExplorerLayout.panelGap * (columns - 1)) / columns
                    let widthBound = l.panels[0].picture.width >= cellWidth - 1
                    XCTAssertTrue(Double(bottom - top) >= 0.9 * Double(l.main.height) || widthBound,
                                  "\(tag): panels use \(bottom - top) of \(l.main.height) rows, \(l.panels[0].picture.width) of \(cellWidth) columns")
                }
            }
        }
        // 200x60 with square scenes and ground truth: a 2 x 2 grid, not a thin row of four.
        let grid = ExplorerLayout(width: 200, height: 60, view: .compare, imageAspect: 1, groundTruth: true)
        XCTAssertEqual(Set(grid.panels.map(\.picture.x)).count, 2)
        XCTAssertEqual(Set(grid.panels.map(\.picture.y)).count, 2)
        // A very wide terminal puts all four side by side.
        let row = ExplorerLayout(width: 300, height: 40, view: .compare, imageAspect: 1, groundTruth: true)
        XCTAssertEqual(Set(row.panels.map(\.picture.y)).count, 1)
    }

    func testTallTerminalsStackWideOnesSideBySide() {
        let wide = ExplorerLayout(width: 200, height: 60, view: .compare, imageAspect: 1.0)
        XCTAssertEqual(wide.panels[0].picture.y, wide.panels[1].picture.y, "side by side on a wide terminal")
        let tall = ExplorerLayout(width: 60, height: 100, view: .compare, imageAspect: 1.5)
        XCTAssertEqual(tall.panels[0].picture.x, tall.panels[1].picture.x, "stacked on a tall terminal")
        XCTAssertLessThan(tall.panels[0].picture.y, tall.panels[1].picture.y)
    }

    func testNarrowTerminalsDropTheListAndMoveTheLegendDown() {
        let narrow = ExplorerLayout(width: 50, height: 20, view: .compare, imageAspect: 1)
        XCTAssertTrue(narrow.list.isEmpty)
        XCTAssertFalse(narrow.legendIsColumn)
        XCTAssertEqual(narrow.legend.y + narrow.legend.height, narrow.status.y)
        let wide = ExplorerLayout(width: 120, height: 40, view: .compare, imageAspect: 1)
        XCTAssertFalse(wide.list.isEmpty)
        XCTAssertTrue(wide.legendIsColumn)
    }

    func testScrollWindowKeepsFocusVisible() {
        XCTAssertEqual(ExplorerLayout.window(count: 3, focus: 1, rows: 10), 0..<3)
        XCTAssertEqual(ExplorerLayout.window(count: 100, focus: 0, rows: 10), 0..<10)
        XCTAssertEqual(ExplorerLayout.window(count: 100, focus: 50, rows: 10), 45..<55)
        XCTAssertEqual(ExplorerLayout.window(count: 100, focus: 99, rows: 10), 90..<100)
        XCTAssertEqual(ExplorerLayout.window(count: 5, focus: 2, rows: 0), 0..<0)
        for focus in 0..<40 {
            XCTAssertTrue(ExplorerLayout.window(count: 40, focus: focus, rows: 7).contains(focus))
        }
    }
}
