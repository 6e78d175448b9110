import Foundation
import XCTest
import TestSupport
@testable import FileIO

/// Non-UTF-8 file names (issue 14): decoding bytes to a path string and back loses nothing,
/// the name is shown as `\xNN`, and every FileIO entry point opens, lists, stamps and writes
/// such a file. The files are made with `open(2)` on hand-built bytes, not through PathBytes.
final class PathBytesTests: XCTestCase {
    var folder: URL!
    /// "café.png" in Latin-1: 0xE9 is not UTF-8 on its own.
    static let latin1: [UInt8] = Array("caf".utf8) + [0xE9] + Array(".png".utf8)

    override func setUpWithError() throws { folder = try scratchFolder("pathbytes") }

    /// Creates `folder/<name bytes>` holding `contents` without PathBytes.
    func createRaw(_ name: [UInt8], contents: [UInt8]) throws {
        let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name
        let fd = (path.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertEqual(contents.withUnsafeBytes { write(fd, $0.baseAddress!, contents.count) }, contents.count)
    }

    func testEveryByteStringRoundTrips() {
        for byte in UInt8(1)...255 {
            XCTAssertEqual(PathBytes.bytes(of: PathBytes.string([byte, 0x41])), [byte, 0x41], "byte \(byte)")
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...12, using: &rng)).map { _ in UInt8.random(in: 1...255, using: &rng) }
            XCTAssertEqual(PathBytes.bytes(of: PathBytes.string(bytes)), bytes, "\(bytes)")
        }
        // Overlong forms, surrogates, above U+10FFFF and truncated sequences are stray bytes.
        for bad in [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] as [[UInt8]] {
            let s = PathBytes.string(bad)
            XCTAssertEqual(s.unicodeScalars.count, bad.count, "\(bad)")
            XCTAssertEqual(PathBytes.bytes(of: s), bad)
        }
    }

    func testUTF8NamesDecodeToThemselvesAndEscapeScalarsSpelledInUTF8AreKept() {
        for name in ["café.png", "日本/写真.jpg", "plain", "a\u{1F600}b"] {
            XCTAssertEqual(PathBytes.string(Array(name.utf8)), name)
            XCTAssertEqual(PathBytes.bytes(of: name), Array(name.utf8))
        }
        // A file literally named with the scalar U+10DCE9 (valid UTF-8) is not confused with
        // the stray byte 0xE9: its four bytes come back as they were.
        let spelled = Array("\u{10DCE9}".utf8)
        XCTAssertEqual(PathBytes.bytes(of: PathBytes.string(spelled)), spelled)
        XCTAssertNotEqual(PathBytes.string(spelled), PathBytes.string([0xE9]))
    }

    func testAStrayByteIsShownEscapedNeverRaw() {
        let name = PathBytes.string(Self.latin1)
        XCTAssertEqual(terminalSafe(name), #"caf\xE9.png"#)
        XCTAssertEqual(FileError(file: name, "no such file").description, #"caf\xE9.png: no such file"#)
        XCTAssertFalse(terminalSafe(name).contains("\u{FFFD}"))
    }

    func testArgumentsAreArgvDecoded() {
        XCTAssertEqual(PathBytes.arguments.count, Int(CommandLine.argc))
        XCTAssertEqual(PathBytes.arguments.first, CommandLine.arguments.first)
    }

    func testALatin1NamedFileIsReadListedStampedAndWritten() throws {
        try createRaw(Self.latin1, contents: [1, 2, 3])
        let names = try FolderListing.names(folder.path)
        XCTAssertEqual(names.map(PathBytes.bytes(of:)), [Self.latin1])
        // Through URL, as the datasets carry paths, and back.
        let url = folder.appendingPathComponent(names[0])
        XCTAssertEqual(url.lastPathComponent, names[0])
        XCTAssertEqual(try FileBytes.read(url.path), [1, 2, 3])
        XCTAssertNoThrow(try FileBytes.requireRegularFile(url.path))
        XCTAssertEqual(PathKind.of(url.path), .file)
        XCTAssertEqual(PathKind.of(folder.path), .folder)
        XCTAssertEqual(FileStamp.of(url)?.hasPrefix("3:"), true)
        try AtomicFile.write([9, 9], to: url.path)
        XCTAssertEqual(try FileBytes.read(url.path), [9, 9])
        XCTAssertEqual(try FolderListing.names(folder.path).count, 1, "no temporary file left, no second name")
        let missing = PathBytes.string(Array("m".utf8) + [0xE9])
        XCTAssertNil(PathKind.of(folder.appendingPathComponent(missing).path))
        XCTAssertThrowsError(try FolderListing.names(url.path)) {
            XCTAssertEqual(($0 as? FileError)?.reason, "is not a folder")
        }
    }
}
