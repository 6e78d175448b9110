import Foundation
import XCTest
@testable import FileIO

/// The FileIO entry points model files go through (issue 14): streaming and mapping a file,
/// copying one atomically piece by piece, making folders, reading links, all under a
/// non-UTF-8 name; and the size and time `FileStamp.attributes` gives are `FileManager`'s to
/// the bit, so that the cache keys first built from `FileManager` stay valid.
extension PathBytesTests {
    func testALatin1NamedFileIsStreamedMappedAndCopied() throws {
        let contents = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
        try createRaw(Self.latin1, contents: contents)
        let path = folder.appendingPathComponent(PathBytes.string(Self.latin1)).path
        var pieces: [[UInt8]] = []
        try FileBytes.forEachPiece(of: path, pieceSize: 64) { pieces.append(Array($0)) }
        XCTAssertEqual(pieces.flatMap { $0 }, contents)
        XCTAssertEqual(pieces.count, 16, "15 full pieces of 64 and one of 40")
        XCTAssertEqual([UInt8](try FileBytes.mapped(path)), contents)
        let copy = folder.appendingPathComponent(PathBytes.string([0x63, 0x6F, 0x70, 0x79, 0xFF])).path
        try AtomicFile.writePieces(to: copy) { append in try FileBytes.forEachPiece(of: path, pieceSize: 100, append) }
        XCTAssertEqual(try FileBytes.read(copy), contents)
        XCTAssertEqual(Set(try FolderListing.names(folder.path).map(PathBytes.bytes(of:))),
                       [Self.latin1, [0x63, 0x6F, 0x70, 0x79, 0xFF]], "no temporary file left")
        try createRaw(Array("empty".utf8), contents: [])
        XCTAssertEqual(try FileBytes.mapped(folder.appendingPathComponent("empty").path).count, 0)
        XCTAssertThrowsError(try FileBytes.forEachPiece(of: folder.path) { _ in }) {
            XCTAssertEqual(($0 as? FileError)?.reason, "is a directory, not a file")
        }
        XCTAssertThrowsError(try FileBytes.mapped(folder.appendingPathComponent("absent").path)) {
            XCTAssertEqual(($0 as? FileError)?.reason, "no such file")
        }
    }

    func testFoldersAreMadeUnderLatin1Names() throws {
        let world: [UInt8] = [0x77, 0xE9, 0x72, 0x6C, 0x64]
        let deep = folder.appendingPathComponent(PathBytes.string(world)).appendingPathComponent("a/b").path
        try FolderCreation.make(deep)
        XCTAssertEqual(PathKind.of(deep), .folder)
        XCTAssertNoThrow(try FolderCreation.make(deep), "a folder already there is fine")
        XCTAssertEqual(try FolderListing.names(folder.path).map(PathBytes.bytes(of:)), [world])
        try createRaw(Self.latin1, contents: [1])
        let file = folder.appendingPathComponent(PathBytes.string(Self.latin1)).path
        for path in [file, file + "/inside"] {
            XCTAssertThrowsError(try FolderCreation.make(path), path) {
                XCTAssertEqual(($0 as? FileError)?.reason, "is not a folder")
            }
        }
    }

    func testLinksAreReadAndResolvedByteForByte() throws {
        try createRaw(Self.latin1, contents: [1])
        let link = folder.appendingPathComponent("link").path
        let made = (Self.latin1.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { target in
            link.withCString { symlink(target.baseAddress!, $0) }
        }
        XCTAssertEqual(made, 0)
        XCTAssertEqual(SymbolicLinks.target(of: link).map(PathBytes.bytes(of:)), Self.latin1)
        XCTAssertNil(SymbolicLinks.target(of: folder.path), "not a link")
        let real = try XCTUnwrap(SymbolicLinks.resolved(folder.path))
        XCTAssertEqual(SymbolicLinks.resolved(link), real + "/" + PathBytes.string(Self.latin1))
        XCTAssertNil(SymbolicLinks.resolved(folder.appendingPathComponent("absent").path))
    }

    func testStampAttributesAreFileManagersToTheBit() throws {
        var rng = SystemRandomNumberGenerator()
        let path = folder.appendingPathComponent("stamped.bin").path
        try createRaw(Array("stamped.bin".utf8), contents: [1, 2, 3, 4, 5])
        for _ in 0..<300 {
            let time = timespec(tv_sec: Int.random(in: 0...2_000_000_000, using: &rng), tv_nsec: Int.random(in: 0..<1_000_000_000, using: &rng))
            var times = [time, time]  // access and modification
            XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let stamp = try XCTUnwrap(FileStamp.attributes(path))
            XCTAssertEqual(stamp.size, (attributes[.size] as? NSNumber)?.intValue)
            let expected = try XCTUnwrap(attributes[.modificationDate] as? Date).timeIntervalSince1970
            XCTAssertEqual(stamp.modified.bitPattern, expected.bitPattern, "mtime \(times[1]): \(stamp.modified) vs \(expected)")
            // The keys print it: the same text too.
            XCTAssertEqual("\(stamp.modified)", "\(expected)")
        }
        XCTAssertNil(FileStamp.attributes(folder.appendingPathComponent("absent").path))
    }
}
