import XCTest
@testable import FileIO
@testable import ModelFiles
@testable import ModelStore

/// The one escaping of names from files before they reach a terminal.
final class TerminalSafeTextTests: XCTestCase {
    func testControlCharactersAreShownAsHex() {
        XCTAssertEqual(terminalSafe("visual.proj"), "visual.proj")
        XCTAssertEqual(terminalSafe("chest of drawers, café, 猫"), "chest of drawers, café, 猫")
        XCTAssertEqual(terminalSafe("a\u{1B}[2Jb"), #"a\x1B[2Jb"#)
        XCTAssertEqual(terminalSafe("line\nbreak\r\t\u{0}"), #"line\x0Abreak\x0D\x09\x00"#)
        XCTAssertEqual(terminalSafe("\u{7F}\u{9B}31m"), #"\x7F\x9B31m"#)
        XCTAssertEqual(terminalSafe("abc\u{202E}fed\u{2066}"), #"abc\u{202E}fed\u{2066}"#)
    }

    func testErrorDescriptionsAreEscaped() {
        let s = SafeTensorsError(file: "m.safetensors", tensor: "w\u{1B}", "metadata 'x' = '\u{07}'")
        XCTAssertEqual(s.description, #"m.safetensors: tensor 'w\x1B': metadata 'x' = '\x07'"#)
        XCTAssertEqual(TorchCheckpointError(description: "x.pth: key\u{1B}").description, #"x.pth: key\x1B"#)
    }
}
