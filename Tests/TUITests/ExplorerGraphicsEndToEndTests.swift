import Foundation
import XCTest
import Render
import GraphicsTestSupport

/// The real `reclip` explorer with pixel pictures, in tmux, reading what it writes
/// (`pipe-pane`): each panel sent once, an alpha step sending only the rectified mask, kitty
/// images deleted by id on resize, Ctrl-Z and quit, Unicode placeholders inside tmux, and the
/// terminal restored. (tmux 3.3 shows neither sixel nor kitty pictures: the bytes are checked.)
final class ExplorerGraphicsEndToEndTests: XCTestCase {
    var tmux: TmuxSession!
    var reclip = ""
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures")
        .standardizedFileURL
    static var engine: String {
        let f = fixtures.appendingPathComponent("reclip").path
        return "--weights \(f)/tiny_clip.safetensors --rectifier \(f)/reclip.safetensors --size 32"
    }
    static let dataset = fixtures.appendingPathComponent("tui/voc").path

    override func setUpWithError() throws {
        reclip = try TmuxSession.locateReclip()
        tmux = try TmuxSession(width: 120, height: 36)
    }

    override func tearDown() {
        tmux?.kill()
    }

    /// Starts the explorer with the tiny model and waits for its maps; returns what it wrote.
    /// `report`: print the exit status and modes when it ends (not with Ctrl-Z: a job-control
    /// shell runs the rest of the line as soon as the job stops).
    func launch(_ options: String, environment: String = "", report: Bool = true) throws -> [UInt8] {
        try tmux.output(settle: 0.3) {
            try tmux.type("\(environment) \(reclip) \(Self.dataset) \(Self.engine) \(options)"
                          + (report ? "; " + ExplorerEndToEndTests.reportModes : ""))
            try tmux.waitFor("the maps", seconds: 20) { $0.contains("engine") && $0.contains("rectified (alpha 1.0)") }
        }
    }

    func count(_ needle: String, in bytes: [UInt8]) -> Int {
        String(decoding: bytes, as: UTF8.self).components(separatedBy: needle).count - 1
    }

    func assertRestored() throws {
        let screen = try tmux.waitFor("MODES", seconds: 5) { $0.contains("MODES") }
        XCTAssertTrue(screen.contains("EXIT=0"), screen)
        XCTAssertTrue(screen.contains("icanon echo MODES"), "terminal modes not restored: \(screen)")
        XCTAssertEqual(try tmux.pane("alternate_on"), "0")
    }

    func testSixelPanelsGoOnceAndAnAlphaStepSendsOnlyTheRectifiedMask() throws {
        let start = try launch("--graphics sixel --cell-size 6x13")
        // image, ground truth, raw, rectified: each sent at least once (the image also while
        // the engine ran), each a complete sixel.
        XCTAssertGreaterThanOrEqual(count("\u{1B}P0;1;0q", in: start), 4, "sixels at start")
        let step = try tmux.output { try tmux.press("-") }
        XCTAssertEqual(count("\u{1B}P0;1;0q", in: step), 1, "one alpha step, one sixel: \(step.count) bytes")
        let text = String(decoding: step, as: UTF8.self)
        let begin = try XCTUnwrap(text.range(of: "\u{1B}P"))
        let end = try XCTUnwrap(text.range(of: "\u{1B}\\", range: begin.upperBound..<text.endIndex))
        let decoded = try SixelDecoder.decode(Array(text[begin.lowerBound..<end.upperBound].utf8))
        XCTAssertEqual(decoded.image.width % 6, 0, "a whole number of 6-pixel cells")
        XCTAssertEqual(decoded.image.height % 13, 0)
        XCTAssertEqual(decoded.unset, 0)
        let screen = try tmux.screen()
        XCTAssertTrue(screen.contains("rectified (alpha 0.9)"), screen)
        // Nothing changes: nothing is sent (the spinner is off, the maps are in).
        XCTAssertEqual(count("\u{1B}P", in: try tmux.output(settle: 0.4) {}), 0)
        // Quitting blanks every picture's cells (ECH) before leaving the alternate screen, so
        // none stays where there is no alternate screen.
        let quit = try tmux.output {
            try tmux.press("q")
            try tmux.waitFor("main screen") { _ in (try? self.tmux.pane("alternate_on")) == "0" }
        }
        XCTAssertEqual(count("\u{1B}7\u{1B}[0m\u{1B}[", in: quit), 4, "the four pictures blanked on quit")
        try assertRestored()
    }

    func testKittyImagesAreReplacedByIDAndDeletedOnResizeSuspendAndQuit() throws {
        let start = try launch("--graphics kitty --cell-size 6x13", report: false)
        for id in 240...243 { XCTAssertGreaterThan(count("i=\(id),", in: start), 0, "image \(id) at start") }
        let step = try tmux.output { try tmux.press("+") }
        XCTAssertEqual(count("a=T", in: step), 1, "one transmission for one alpha step")
        XCTAssertEqual(count("a=T,f=24,s=", in: step), 1)
        XCTAssertTrue(String(decoding: step, as: UTF8.self).contains(",i=243,p=1,"), "the rectified panel keeps its id")

        let resize = try tmux.output {
            try tmux.resize(width: 110, height: 34)
            try tmux.waitFor("redrawn") { _ in true }
        }
        for id in 240...243 {
            XCTAssertEqual(count("a=d,d=I,i=\(id),q=2", in: resize), 1, "image \(id) deleted on resize")
        }
        XCTAssertEqual(count("a=T", in: resize), 4, "and sent again")
        try tmux.waitUntilQuiet()   // Ctrl-Z then meets the pictures the last frame drew

        let suspend = try tmux.output {
            try tmux.press("C-z")
            try tmux.waitFor("main screen") { _ in (try? self.tmux.pane("alternate_on")) == "0" }
        }
        for id in 240...243 { XCTAssertEqual(count("a=d,d=I,i=\(id),q=2", in: suspend), 1, "image \(id) deleted on Ctrl-Z") }
        let resumed = try tmux.output(settle: 0.8) { try tmux.type("fg") }
        // Every panel again, once: the SIGCONT of that `fg` does not repaint a second time.
        XCTAssertEqual(count("a=T", in: resumed), 4, "fg draws them again, once")

        let quit = try tmux.output {
            try tmux.press("q")
            try tmux.waitFor("main screen") { _ in (try? self.tmux.pane("alternate_on")) == "0" }
        }
        for id in 240...243 { XCTAssertEqual(count("a=d,d=I,i=\(id),q=2", in: quit), 1, "image \(id) deleted on quit") }
        try tmux.type(ExplorerEndToEndTests.reportModes)
        try assertRestored()
    }

    func testKittyInsideTmuxDrawsUnicodePlaceholders() throws {
        let start = try launch("--graphics kitty --cell-size 6x13", environment: "TMUX=/tmp/tmux-test,1,0")
        let text = String(decoding: start, as: UTF8.self)
        XCTAssertTrue(text.contains("\u{1B}Ptmux;\u{1B}\u{1B}_Ga=T,f=24,"), "transmissions wrapped for tmux")
        XCTAssertTrue(text.contains(",U=1,"), "virtual placements")
        // The panel cells hold U+10EEEE with the row and column diacritics, as text tmux keeps.
        let screen = try tmux.screen()
        let placeholders = screen.unicodeScalars.filter { $0 == KittyPlaceholder.character }.count
        XCTAssertGreaterThan(placeholders, 100, screen)
        XCTAssertTrue(screen.contains("\u{10EEEE}\u{0305}\u{0305}"), "the first cell: row 0, column 0")
        try tmux.press("4")   // one panel: the others' placeholders go, and their images
        let overlay = try tmux.waitFor("overlay") { $0.contains("mask over image") }
        XCTAssertLessThan(overlay.unicodeScalars.filter { $0 == KittyPlaceholder.character }.count, placeholders * 2)
        try tmux.press("q")
        try assertRestored()
    }
}
