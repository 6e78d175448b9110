import Foundation
import XCTest
import TestSupport
@testable import FileIO

/// Reads refuse what is not a regular file or is too large; atomic writes keep what the user had.
final class FileIOTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try scratchFolder("fileio") }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func testReadGivesTheBytes() throws {
        let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        FileManager.default.createFile(atPath: path("a"), contents: Data(bytes))
        XCTAssertEqual(try FileBytes.read(path("a")), bytes)
        FileManager.default.createFile(atPath: path("empty"), contents: Data())
        XCTAssertEqual(try FileBytes.read(path("empty")), [])
    }

    func testReadRefusesDirectoriesFIFOsMissingFilesAndLargeFiles() throws {
        XCTAssertThrowsError(try FileBytes.read(folder.path)) {
            XCTAssertEqual(($0 as? FileError)?.reason, "is a directory, not a file")
        }
        XCTAssertEqual(mkfifo(path("fifo"), 0o600), 0)
        // Without O_NONBLOCK this open would wait for a writer forever.
        XCTAssertThrowsError(try FileBytes.read(path("fifo"))) {
            XCTAssertEqual(($0 as? FileError)?.reason, "is a FIFO, not a regular file")
        }
        XCTAssertThrowsError(try FileBytes.read(path("missing"))) {
            XCTAssertEqual(($0 as? FileError)?.reason, "no such file")
            XCTAssertEqual("\($0)", "\(self.path("missing")): no such file")
        }
        FileManager.default.createFile(atPath: path("big"), contents: Data(count: 101))
        XCTAssertThrowsError(try FileBytes.read(path("big"), limit: 100)) {
            XCTAssertEqual(($0 as? FileError)?.reason, "is 101 bytes, more than the 100-byte limit for this kind of file")
        }
        XCTAssertEqual(try FileBytes.read(path("big"), limit: 101).count, 101)
    }

    func testAtomicWriteKeepsThePermissionsOfTheFileItReplaces() throws {
        let p = path("out.bin")
        FileManager.default.createFile(atPath: p, contents: Data([1]))
        XCTAssertEqual(chmod(p, 0o600), 0)
        try AtomicFile.write([7, 8, 9], to: p)
        XCTAssertEqual(try FileBytes.read(p), [7, 8, 9])
        XCTAssertEqual(AtomicFile.existingMode(p), 0o600)
        XCTAssertEqual(chmod(p, 0o751), 0)
        try AtomicFile.write([1], to: p)
        XCTAssertEqual(AtomicFile.existingMode(p), 0o751)
    }

    func testAtomicWriteOfANewFileFollowsTheUmask() throws {
        let p = path("new.bin")
        try AtomicFile.write([1, 2], to: p)
        XCTAssertEqual(AtomicFile.existingMode(p), 0o666 & ~AtomicFile.currentUmask())
        XCTAssertEqual(try FileBytes.read(p), [1, 2])
    }

    func testAtomicWriteGoesThroughSymlinks() throws {
        let target = path("real.txt"), link = path("link.txt")
        FileManager.default.createFile(atPath: target, contents: Data("old".utf8))
        XCTAssertEqual(symlink("real.txt", link), 0)  // relative, as users make them
        try AtomicFile.write(Array("new".utf8), to: link)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "real.txt")
        XCTAssertEqual(try FileBytes.read(target), Array("new".utf8))
        // A dangling link gets its target created.
        XCTAssertEqual(symlink(path("later.txt"), path("dangling")), 0)
        try AtomicFile.write([5], to: path("dangling"))
        XCTAssertEqual(try FileBytes.read(path("later.txt")), [5])
    }

    func testAFailedBodyLeavesTheOldFileAndNoTemporaryFile() throws {
        let p = path("keep.txt")
        FileManager.default.createFile(atPath: p, contents: Data("keep".utf8))
        struct Boom: Error {}
        XCTAssertThrowsError(try AtomicFile.write(to: p) { _ in throw Boom() })
        XCTAssertEqual(try FileBytes.read(p), Array("keep".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["keep.txt"])
    }

    func testWritingIntoAMissingFolderIsAOneLineError() {
        XCTAssertThrowsError(try AtomicFile.write([1], to: path("no/such/folder/x"))) {
            XCTAssertTrue("\($0)".contains("cannot create a file in"), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"))
        }
    }

    func testReclipHomeHasOneLayout() {
        let env = ["RECLIP_HOME": "/srv/reclip"]
        XCTAssertEqual(ReclipHome.folder(environment: env).path, "/srv/reclip")
        XCTAssertEqual(ReclipHome.cache(environment: env).path, "/srv/reclip/cache")
        XCTAssertEqual(ReclipHome.cache(environment: [:]).deletingLastPathComponent().path,
                       ReclipHome.folder(environment: [:]).path)
        XCTAssertTrue(ReclipHome.folder(environment: ["RECLIP_HOME": ""]).path.hasSuffix(".cache/reclip"))
    }
}
