import Foundation
import XCTest
import TestSupport
@testable import FileIO
@testable import ModelFiles

/// Model files under a non-UTF-8 name (issue 14): a `.pth` copied by `open(2)` to the Latin-1
/// name `r\xE9clip.pth` loads as the original does and hashes as it does, and a missing one is
/// named escaped. Foundation's `Data(contentsOf:)` and `FileHandle` could open neither.
final class NonUTF8ModelFileTests: XCTestCase {
    func testALatin1NamedCheckpointLoadsAndHashes() throws {
        let original = TorchCheckpointTests.fixtures.appendingPathComponent("nested.pth")
        let bytes = [UInt8](try Data(contentsOf: original))
        let folder = try scratchFolder("nonutf8-pth")
        let name: [UInt8] = [0x72, 0xE9] + Array("clip.pth".utf8)
        let raw = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name
        let fd = (raw.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(bytes.withUnsafeBytes { write(fd, $0.baseAddress!, bytes.count) }, bytes.count)
        close(fd)

        let url = folder.appendingPathComponent(PathBytes.string(name))
        let copy = try TorchCheckpoint(contentsOf: url)
        let reference = try TorchCheckpoint(contentsOf: original)
        XCTAssertEqual(copy.keys, reference.keys)
        for key in reference.keys {
            XCTAssertEqual(copy.tensors[key]?.data.map(\.bitPattern), reference.tensors[key]?.data.map(\.bitPattern), key)
        }
        XCTAssertEqual(try SHA256.hex(ofFileAt: url), SHA256.hash(Data(bytes)).hex)

        let missing = folder.appendingPathComponent(PathBytes.string([0x6D, 0xE9, 0x2E, 0x70, 0x74, 0x68]))
        XCTAssertThrowsError(try TorchCheckpoint(contentsOf: missing)) {
            XCTAssertEqual("\($0)", folder.path + #"/m\xE9.pth: cannot read (no such file)"#)
        }
        XCTAssertThrowsError(try SafeTensorsFile(path: missing.path)) {
            XCTAssertEqual("\($0)", folder.path + #"/m\xE9.pth: cannot open: no such file"#)
        }
    }
}
