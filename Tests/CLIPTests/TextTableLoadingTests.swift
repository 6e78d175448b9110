import Foundation
import XCTest
@testable import CLIP

/// Hostile table files found by fuzzing the tokenizer's loaders (Fuzz/Harnesses/vocab, see
/// docs/fuzzing.md): each must give a one-line error naming the file, never a crash.
final class TextTableLoadingTests: XCTestCase {
    static let hostile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/tokenizer/hostile").standardized

    func text(_ name: String) throws -> (path: String, text: String) {
        let path = Self.hostile.appendingPathComponent(name).path
        return (path, try String(contentsOfFile: path, encoding: .utf8))
    }

    /// A width or ligature line whose source field holds no code point ("width\t\t") indexed
    /// an empty array.
    func testTableLineWithoutACodePointIsAnError() throws {
        let (path, text) = try text("tables-empty-code-point.txt")
        XCTAssertThrowsError(try CLIPTextCleaner(tables: text, source: path)) { error in
            XCTAssertEqual("\(error)", "\(path): line 1: expected one code point, got ''")
        }
        XCTAssertThrowsError(try CLIPTextCleaner(tables: "ligature\t41 42\t43", source: "t.txt")) { error in
            XCTAssertEqual("\(error)", "t.txt: line 1: expected one code point, got '41 42'")
        }
    }

    /// A malformed merges line is quoted in the error: its control characters (a vertical tab,
    /// an escape sequence) are escaped, as in every other error quoting a file.
    func testMergesErrorEscapesControlCharacters() throws {
        let (path, text) = try text("merges-control-characters.txt")
        XCTAssertThrowsError(try MergeTable(text: text, source: path, mergeCount: 2)) { error in
            XCTAssertEqual("\(error)", "\(path): line 3: expected two symbols, got 'o n\\x0B\\x1B[2Js t'")
        }
    }

    /// The small tables the fuzz harness builds work as the full one does: ids 0..<512 are the
    /// bytes ("o" is 78, "o</w>" 334), then the merges in order ("he" 512, "ll" 513, "hell" 514).
    func testSmallMergeTable() throws {
        let table = try MergeTable(text: "#version: 0.2\nh e\nl l\nhe ll\n", source: "m.txt", mergeCount: 3)
        XCTAssertEqual(table.bpe(Array("hello".utf8)), [514, 334])
        XCTAssertEqual(table.bpe(Array("hell".utf8)), [512, 75, 331])   // the last "l" ends the word: no "ll"
    }
}
