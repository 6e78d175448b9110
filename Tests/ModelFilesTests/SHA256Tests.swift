import Foundation
import XCTest
import TestSupport
@testable import FileIO
@testable import ModelFiles
@testable import ModelStore

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 example messages (NIST CSRC "SHA256.pdf", "SHA256ShortMsg").
    func testNISTVectors() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ]
        for (message, digest) in vectors {
            XCTAssertEqual(SHA256.hash(Data(message.utf8)).hex, digest, message)
        }
        // One million 'a', fed in uneven pieces to cross block boundaries.
        var h = SHA256()
        var fed = 0
        var piece = 1
        while fed < 1_000_000 {
            let n = min(piece, 1_000_000 - fed)
            h.update(Data(repeating: 0x61, count: n))
            fed += n
            piece = piece * 3 % 1000 + 1
        }
        XCTAssertEqual(h.finalize().hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every split point of a 200-byte message gives the one-shot digest.
    func testStreamingSplits() {
        let message = Data((0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        let whole = SHA256.hash(message)
        for cut in 0...message.count {
            var h = SHA256()
            h.update(message.prefix(cut))
            h.update(message.suffix(from: cut))
            XCTAssertEqual(h.finalize(), whole, "cut at \(cut)")
        }
    }

    /// A generated 5 MB file hashes as coreutils' sha256sum says.
    func testMatchesSha256sum() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString).bin")
        defer { try? FileManager.default.removeItem(at: url) }
        var state: UInt64 = 0x9E3779B97F4A7C15
        var bytes = [UInt8](repeating: 0, count: 5_000_003)
        for i in 0..<bytes.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        try Data(bytes).write(to: url)
        let r = try ChildProcess.run("/usr/bin/env", ["sha256sum", url.path], environment: ["PATH": "/usr/bin:/bin"])
        XCTAssertEqual(r.status, 0, r.err)
        let expected = r.out.split(separator: " ").first.map(String.init)
        XCTAssertEqual(try SHA256.hex(ofFileAt: url), expected)
    }
}
