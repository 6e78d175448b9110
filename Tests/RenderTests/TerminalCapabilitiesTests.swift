import XCTest
@testable import Render

final class TerminalCapabilitiesTests: XCTestCase {
    private func mode(_ env: [String: String]) -> ColorMode { TerminalCapabilities.detect(environment: env).colorMode }

    func testColourModeFromTheEnvironment() {
        XCTAssertEqual(mode(["TERM": "xterm-256color", "COLORTERM": "truecolor"]), .truecolor)
        XCTAssertEqual(mode(["TERM": "xterm-256color", "COLORTERM": "24bit"]), .truecolor)
        XCTAssertEqual(mode(["TERM": "xterm-256color"]), .xterm256)
        XCTAssertEqual(mode(["TERM": "screen-256color"]), .xterm256)
        XCTAssertEqual(mode(["TERM": "xterm-kitty"]), .truecolor)
        XCTAssertEqual(mode(["TERM": "xterm-direct"]), .truecolor)
        XCTAssertEqual(mode(["TERM": "xterm", "TERM_PROGRAM": "iTerm.app"]), .truecolor)
        XCTAssertEqual(mode(["TERM": "xterm"]), .ansi16)
        XCTAssertEqual(mode(["TERM": "linux"]), .ansi16)
        XCTAssertEqual(mode(["TERM": "vt100"]), .none)
        XCTAssertEqual(mode(["TERM": "dumb"]), .none)
        XCTAssertEqual(mode([:]), .none)
        XCTAssertEqual(mode(["TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"]), .none)
        XCTAssertEqual(mode(["TERM": "xterm-256color", "NO_COLOR": ""]), .xterm256)
    }

    func testLocaleDecidesHalfBlocks() {
        func unicode(_ env: [String: String]) -> Bool { TerminalCapabilities.detect(environment: env).unicode }
        XCTAssertTrue(unicode(["LANG": "en_GB.UTF-8"]))
        XCTAssertTrue(unicode(["LC_ALL": "C.utf8", "LANG": "C"]))
        XCTAssertFalse(unicode(["LC_ALL": "C", "LANG": "en_GB.UTF-8"]))
        XCTAssertTrue(unicode(["LC_CTYPE": "de_DE.UTF-8"]))
        XCTAssertFalse(unicode(["LANG": "POSIX"]))
        XCTAssertFalse(unicode([:]))
        let ascii = CanvasConfig(capabilities: TerminalCapabilities.detect(environment: ["TERM": "xterm-256color", "LANG": "C"]))
        XCTAssertEqual(ascii.cellMode, .background)
        XCTAssertEqual(ascii.colorMode, .xterm256)
        let utf8 = CanvasConfig(capabilities: TerminalCapabilities.detect(environment: ["TERM": "xterm", "LANG": "C.UTF-8"]))
        XCTAssertEqual(utf8.cellMode, .halfBlock)
    }

    func testColorModeArguments() {
        XCTAssertEqual(ColorMode(argument: "truecolor"), .truecolor)
        XCTAssertEqual(ColorMode(argument: "256"), .xterm256)
        XCTAssertEqual(ColorMode(argument: "16"), .ansi16)
        XCTAssertEqual(ColorMode(argument: "8"), .ansi8)
        XCTAssertEqual(ColorMode(argument: "none"), ColorMode.none)
        XCTAssertNil(ColorMode(argument: "lots"))
    }
}
