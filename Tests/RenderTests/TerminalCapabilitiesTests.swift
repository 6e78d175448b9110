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

    /// A compiled terminfo entry: names, no booleans, 14 numbers with `max_colors` last.
    private func entry(maxColors: Int, wide: Bool) -> [UInt8] {
        let names = Array("demo|a demo terminal\0".utf8)
        var b: [UInt8] = []
        func short(_ v: Int) { b.append(UInt8(v & 0xFF)); b.append(UInt8((v >> 8) & 0xFF)) }
        for v in [wide ? 0o1036 : 0o432, names.count, 1, 14, 0, 0] { short(v) }
        b += names
        b.append(0)                       // one boolean
        if b.count % 2 == 1 { b.append(0) }
        for i in 0..<14 {
            let v = i == 13 ? maxColors : -1
            if wide {
                let u = UInt32(bitPattern: Int32(v))
                for k in 0..<4 { b.append(UInt8((u >> (8 * UInt32(k))) & 0xFF)) }
            } else {
                short(v & 0xFFFF)
            }
        }
        return b
    }

    func testTerminfoColourCount() {
        XCTAssertEqual(Terminfo.maxColors(compiled: entry(maxColors: 256, wide: false)), 256)
        XCTAssertEqual(Terminfo.maxColors(compiled: entry(maxColors: 16_777_216, wide: true)), 16_777_216)
        XCTAssertNil(Terminfo.maxColors(compiled: entry(maxColors: -1, wide: false)))
        XCTAssertNil(Terminfo.maxColors(compiled: Array(entry(maxColors: 8, wide: false).prefix(20))))
        XCTAssertNil(Terminfo.maxColors(compiled: [1, 2, 3]))
        // Unknown names ask the lookup; known families and explicit hints do not.
        let lookup: (String, [String: String]) -> Int? = { term, _ in term == "fancy" ? 16_777_216 : 8 }
        XCTAssertEqual(TerminalCapabilities.detect(environment: ["TERM": "fancy"], terminfoColors: lookup).colorMode, .truecolor)
        XCTAssertEqual(TerminalCapabilities.detect(environment: ["TERM": "oldterm"], terminfoColors: lookup).colorMode, .ansi8)
        XCTAssertEqual(TerminalCapabilities.detect(environment: ["TERM": "xterm"], terminfoColors: lookup).colorMode, .ansi16)
        XCTAssertEqual(TerminalCapabilities.detect(environment: ["TERM": "oldterm"]).colorMode, .ansi16)
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
