import Pixels
import XCTest
import TestSupport
import GraphicsTestSupport
@testable import Render

/// `GraphicsSetup.decide` over canned replies: what xterm, kitty, tmux and silent terminals
/// send back, with the environment and the window-size ioctl.
final class GraphicsSetupTests: XCTestCase {
    private let xterm = ["TERM": "xterm", "LANG": "C.UTF-8"]
    /// What `xterm -ti vt340` (379) answers to the detection query: no kitty reply, no cell
    /// size (window ops are off by default), DA1 with 4.
    private let xtermReply = Array("\u{1B}[?63;1;2;4;6;9;15;16;22;28c".utf8)
    private let kittyReply = Array("\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[6;20;10t\u{1B}[?62;c".utf8)

    private func decide(_ env: [String: String], _ replies: [UInt8]?, pixels: (Int, Int)? = nil, unicode: Bool = true,
                        override: GraphicsProtocol? = nil, cellSize: CellPixelSize? = nil) -> GraphicsSetup {
        GraphicsSetup.decide(environment: env, replies: replies, windowPixels: pixels.map { (width: $0.0, height: $0.1) },
                             columns: 80, rows: 24, unicode: unicode, override: override, cellSizeOverride: cellSize)
    }

    func testXtermVT340IsSixelWithTheCellSizeFromTheIoctl() {
        let setup = decide(xterm, xtermReply, pixels: (484, 316))
        XCTAssertEqual(setup.graphics, .sixel)
        XCTAssertEqual(setup.cellSize, CellPixelSize(width: 6, height: 13))
        XCTAssertEqual(setup.cellSizeSource, .windowSize)
        XCTAssertFalse(setup.insideTmux)
        XCTAssertEqual(setup.summary, "sixel, 6x13-pixel cells (from the window size)")
        XCTAssertEqual(GraphicsSetup.cells.summary, "cells")
    }

    func testKittyReplyAndItsCellSizeReplyWin() {
        let setup = decide(["TERM": "xterm-kitty"], kittyReply, pixels: (1000, 500))
        XCTAssertEqual(setup.graphics, .kitty)
        XCTAssertEqual(setup.cellSize, CellPixelSize(width: 10, height: 20), "CSI 16 t beats the ioctl")
        XCTAssertEqual(setup.cellSizeSource, .reply)
    }

    func testNoReplyFallsBackToCellsWhateverTheEnvironmentSays() {
        // A query was written and nothing came within the timeout.
        XCTAssertEqual(decide(["TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"], []).graphics, .cells)
        XCTAssertEqual(decide(["TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"], []).graphics, .cells)
        // Only a kitty reply, cut off before the DA1 reply: not trusted either.
        XCTAssertEqual(decide(["TERM": "xterm-kitty"], Array("\u{1B}_Gi=31;OK\u{1B}\\".utf8)).graphics, .cells)
        // Nothing asked (not a terminal).
        XCTAssertEqual(decide(xterm, nil).graphics, .cells)
        XCTAssertEqual(decide(xterm, nil).cellSize, GraphicsSetup.assumedCellSize)
        XCTAssertEqual(decide(xterm, nil).cellSizeSource, .assumed)
    }

    func testDumbNoColorAndNonUTF8LocalesAreCells() {
        XCTAssertEqual(decide(["TERM": "dumb"], xtermReply).graphics, .cells)
        XCTAssertEqual(decide([:], xtermReply).graphics, .cells)
        XCTAssertEqual(decide(xterm.merging(["NO_COLOR": "1"]) { $1 }, xtermReply).graphics, .cells)
        XCTAssertEqual(decide(xterm.merging(["NO_COLOR": ""]) { $1 }, xtermReply).graphics, .sixel, "an empty NO_COLOR does not count")
        XCTAssertEqual(decide(xterm, xtermReply, unicode: false).graphics, .cells)
        XCTAssertEqual(decide(["TERM": "xterm-kitty"], kittyReply, unicode: false).graphics, .cells)
    }

    func testOverrideWinsAndNeedsNoQueryWhenTheCellSizeIsGiven() {
        XCTAssertEqual(decide(xterm, nil, override: .kitty).graphics, .kitty)
        XCTAssertEqual(decide(xterm, xtermReply, override: .cells).graphics, .cells)
        XCTAssertEqual(decide(xterm.merging(["NO_COLOR": "1"]) { $1 }, nil, override: .sixel).graphics, .sixel)
        let sized = decide(xterm, kittyReply, override: .iterm, cellSize: CellPixelSize(width: 8, height: 16))
        XCTAssertEqual(sized.cellSize, CellPixelSize(width: 8, height: 16), "--cell-size beats every reply")
        XCTAssertEqual(sized.cellSizeSource, .option)

        XCTAssertFalse(GraphicsSetup.needsQuery(environment: xterm, unicode: true, override: .cells))
        XCTAssertFalse(GraphicsSetup.needsQuery(environment: xterm, unicode: true, override: .sixel,
                                                cellSizeOverride: CellPixelSize(width: 8, height: 16)))
        XCTAssertTrue(GraphicsSetup.needsQuery(environment: xterm, unicode: true, override: .sixel), "the cell size is still asked")
        XCTAssertTrue(GraphicsSetup.needsQuery(environment: xterm, unicode: true, override: nil))
        XCTAssertFalse(GraphicsSetup.needsQuery(environment: ["TERM": "dumb"], unicode: true, override: nil))
        XCTAssertFalse(GraphicsSetup.needsQuery(environment: xterm, unicode: false, override: nil))
    }

    func testImplausibleCellSizesAreIgnored() {
        let zero = Array("\u{1B}[6;0;0t\u{1B}[?62;4c".utf8)
        XCTAssertEqual(decide(xterm, zero, pixels: (0, 0)).cellSizeSource, .assumed)
        let huge = Array("\u{1B}[6;9000;10t\u{1B}[?62;4c".utf8)
        XCTAssertEqual(decide(xterm, huge, pixels: (800, 480)).cellSize, CellPixelSize(width: 10, height: 20), "falls to the ioctl")
        XCTAssertEqual(decide(xterm, xtermReply, pixels: (40, 12)).cellSizeSource, .assumed, "under a pixel a cell")
        XCTAssertEqual(decide(xterm, xtermReply, cellSize: CellPixelSize(width: 0, height: 20)).cellSizeSource, .assumed)
    }

    func testInsideTmuxIsNoted() {
        let env = ["TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0", "LANG": "C.UTF-8"]
        // tmux answers DA1 itself (no sixel in 3.3): cells, unless asked for.
        XCTAssertEqual(decide(env, Array("\u{1B}[?1;2c".utf8)).graphics, .cells)
        let kitty = decide(env, Array("\u{1B}[?1;2c".utf8), override: .kitty)
        XCTAssertEqual(kitty.graphics, .kitty)
        XCTAssertTrue(kitty.insideTmux)
    }

    func testRepliesAreCompleteOnlyWithTheDA1Reply() {
        XCTAssertFalse(GraphicsSetup.repliesAreComplete([]))
        XCTAssertFalse(GraphicsSetup.repliesAreComplete(Array("\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[6;20;10t".utf8)))
        XCTAssertFalse(GraphicsSetup.repliesAreComplete(Array("\u{1B}[?62;4".utf8)), "a DA1 reply cut in two")
        XCTAssertTrue(GraphicsSetup.repliesAreComplete(xtermReply))
    }

    // MARK: - PictureEncoder

    func testPictureEncoderBytesDecodeToThePicture() throws {
        var rng = SeededGenerator(seed: 15)
        let image = RGBImage.random(width: 30, height: 26, colors: 12, using: &rng)
        let sixel = try PictureEncoder(graphics: .sixel).encode(image, columns: 3, rows: 2, imageID: 9)
        XCTAssertEqual(try SixelDecoder.decode(sixel).image, try SixelEncoder().quantize(image).expanded())

        let kitty = try KittyDecoder.decode(try PictureEncoder(graphics: .kitty).encode(image, columns: 3, rows: 2, imageID: 9))
        XCTAssertEqual(kitty.image, image)
        XCTAssertEqual(kitty.keys["i"], "9")
        XCTAssertEqual(kitty.keys["c"], "3")
        XCTAssertEqual(kitty.keys["r"], "2")
        XCTAssertEqual(kitty.keys["C"], "1", "a full-screen program keeps the cursor")
        XCTAssertNil(try KittyDecoder.decode(try PictureEncoder(graphics: .kitty, movesCursor: true)
            .encode(image, columns: 3, rows: 2, imageID: 9)).keys["C"])

        let tmux = PictureEncoder(graphics: .kitty, insideTmux: true)
        XCTAssertTrue(tmux.usesPlaceholders)
        let placeholders = try KittyDecoder.decode(try unwrapTmux(tmux.encode(image, columns: 3, rows: 2, imageID: 241)))
        XCTAssertEqual(placeholders.keys["U"], "1")
        XCTAssertEqual(placeholders.image, image)

        let iterm = try ITermDecoder.decode(try PictureEncoder(graphics: .iterm).encode(image, columns: 3, rows: 2, imageID: 9))
        XCTAssertEqual(iterm.image, image)
        XCTAssertEqual(iterm.arguments["width"], "3")
        XCTAssertEqual(try PictureEncoder(graphics: .cells).encode(image, columns: 3, rows: 2, imageID: 9), [])
    }

    func testPositionedSavesAndRestoresTheCursorAndEraseBlanksEachRow() {
        XCTAssertEqual(String(decoding: PictureEncoder.positioned([0x41], column: 4, row: 2), as: UTF8.self),
                       "\u{1B}7\u{1B}[3;5HA\u{1B}8")
        XCTAssertEqual(PictureEncoder.positioned([], column: 4, row: 2), [])
        XCTAssertEqual(String(decoding: PictureEncoder.erase(column: 1, row: 0, columns: 7, rows: 2), as: UTF8.self),
                       "\u{1B}7\u{1B}[0m\u{1B}[1;2H\u{1B}[7X\u{1B}[2;2H\u{1B}[7X\u{1B}8")
        XCTAssertEqual(PictureEncoder.erase(column: 1, row: 0, columns: 0, rows: 2), [])
        XCTAssertEqual(String(decoding: PictureEncoder(graphics: .kitty).delete(imageID: 240), as: UTF8.self),
                       "\u{1B}_Ga=d,d=I,i=240,q=2\u{1B}\\")
        XCTAssertEqual(PictureEncoder(graphics: .sixel).delete(imageID: 240), [])
    }

    func testCellMarkCoversExactlyItsCell() {
        var image = RGBImage(width: 40, height: 60, fill: RGB(10, 20, 30))
        CellMark(cellWidth: 10, cellHeight: 20).draw(onto: &image, column: 2, row: 1)
        for y in 0..<60 {
            for x in 0..<40 {
                let inside = (20..<30).contains(x) && (20..<40).contains(y)
                XCTAssertEqual(image[x, y] != RGB(10, 20, 30), inside, "(\(x), \(y))")
            }
        }
        XCTAssertEqual(image[24, 29], RGB(0, 0, 0), "the plus's centre is black")
        XCTAssertEqual(image[20, 20], RGB(255, 255, 255), "the cell's corner is white")
        var small = image
        CellMark(cellWidth: 10, cellHeight: 20).draw(onto: &small, column: 9, row: 0)
        XCTAssertEqual(small, image, "a cell outside draws nothing")
    }
}
