import Foundation
import XCTest
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
@testable import FileIO
@testable import ModelFiles
@testable import ModelStore
#endif

/// Downloads checked against the SHA-256 their source publishes in a HEAD answer, against a
/// loopback server that answers HEAD the way a HuggingFace resolve URL does.
final class PublishedHashTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws { root = try scratchFolder("reclip-published") }

    var registry: WeightsRegistry { WeightsRegistry(root: root) }

    func download(_ server: LoopbackHTTPServer, sha: String? = nil) -> WeightsDownload {
        var d = WeightsDownload(registry: registry, name: "test/model", url: server.url, expectedSHA256: sha)
        d.idleTimeout = 10
        return d
    }

    func record() -> String? { try? String(contentsOf: registry.hashRecord(for: "test/model"), encoding: .utf8) }

    func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// `body` with one byte changed, so its hash is a well-formed SHA-256 of other bytes.
    static func altered(_ body: Data) -> Data {
        var other = body
        other[other.count - 1] ^= 0x01
        return other
    }

    /// The header lines a HuggingFace resolve URL sends for an LFS file of this hash and size
    /// (its own ETag is a weak git hash, which the linked one takes precedence over).
    static func linkedHeaders(hex: String, bytes: Int) -> [String] {
        ["X-Linked-Etag: \"\(hex)\"", "X-Linked-Size: \(bytes)", "ETag: W/\"\(hex.prefix(40))\""]
    }

    // MARK: parsing

    func testETagParsing() {
        let hex = SHA256.hash(Data("reclip".utf8)).hex
        XCTAssertEqual(hex.count, 64)
        XCTAssertEqual(PublishedHash.sha256(fromETag: "W/\"\(hex)\""), hex)
        XCTAssertEqual(PublishedHash.sha256(fromETag: "\"\(hex.uppercased())\""), hex)
        XCTAssertEqual(PublishedHash.sha256(fromETag: hex), hex)
        XCTAssertEqual(PublishedHash.sha256(fromETag: " W/\"\(hex)\" "), hex)
        let gitSHA1 = String(hex.prefix(40))
        let fullwidth = String(hex.dropLast()) + "\u{FF10}"    // FULLWIDTH DIGIT ZERO
        for bad in ["", "\"\"", "W/", String(hex.dropLast()), hex + "0", "\"\(gitSHA1)\"",
                    String(hex.dropLast()) + "g", "\"\(hex)", "\(hex)\"", "W/W/\"\(hex)\"", "'\(hex)'",
                    fullwidth, "\"\(hex.prefix(32)) \(hex.suffix(31))\""] {
            XCTAssertNil(PublishedHash.sha256(fromETag: bad), bad)
        }
    }

    func testHeadersAreReadFromTheAnswer() throws {
        let url = URL(string: "https://huggingface.co/openai/clip-vit-base-patch16/resolve/main/model.safetensors")!
        let linked = SHA256.hash(Data("a".utf8)).hex
        let plain = SHA256.hash(Data("b".utf8)).hex
        func read(_ status: Int, _ headers: [String: String]) throws -> PublishedHash.Lookup {
            PublishedHash.read(try XCTUnwrap(HTTPURLResponse(url: url, statusCode: status, httpVersion: "HTTP/1.1", headerFields: headers)))
        }
        // X-Linked-Etag wins over ETag; the size comes from X-Linked-Size.
        XCTAssertEqual(try read(302, ["X-Linked-Etag": "W/\"\(linked)\"", "ETag": "\"\(plain)\"", "X-Linked-Size": "599"]),
                       .published(PublishedHash(sha256: linked, bytes: 599, header: "X-Linked-Etag", source: url)))
        // Without it, a 64-hex ETag is taken.
        XCTAssertEqual(try read(200, ["ETag": "\"\(plain.uppercased())\""]),
                       .published(PublishedHash(sha256: plain, bytes: nil, header: "ETag", source: url)))
        // A malformed X-Linked-Etag is not replaced by ETag.
        guard case .unavailable(let reason) = try read(302, ["X-Linked-Etag": "\"abc\"", "ETag": "\"\(plain)\""]) else {
            return XCTFail("a malformed X-Linked-Etag was accepted")
        }
        XCTAssertTrue(reason.contains("X-Linked-Etag '\"abc\"' is not a SHA-256"), reason)
        guard case .unavailable(let missing) = try read(200, ["ETag": "\"\(plain.prefix(40))\""]) else {
            return XCTFail("a git SHA-1 ETag was accepted")
        }
        XCTAssertTrue(missing.contains("no X-Linked-Etag"), missing)
        guard case .unavailable(let refused) = try read(404, ["X-Linked-Etag": "\"\(linked)\""]) else {
            return XCTFail("an error answer was trusted")
        }
        XCTAssertTrue(refused.contains("HTTP 404"), refused)
    }

    // MARK: downloads

    func testPublishedHashVerifiesDownloadFromTheRedirect() throws {
        let body = WeightsRegistryTests.safetensors(count: 30_000)
        let hex = SHA256.hash(body).hex
        // The redirect publishes the right hash; its target publishes a wrong one, which a
        // HEAD that followed the redirect would read.
        let server = try LoopbackHTTPServer(
            body: body, behaviours: [.redirect("/blob")],
            headBehaviours: [.redirect("/blob", ["X-Linked-Etag: W/\"\(hex.uppercased())\"", "X-Linked-Size: \(body.count)"]),
                             .answer(["X-Linked-Etag: \"\(SHA256.hash(Self.altered(body)).hex)\""])])
        defer { server.stop() }
        let result = try download(server).run()
        XCTAssertEqual(result.verification,
                       .published(PublishedHash(sha256: hex, bytes: body.count, header: "X-Linked-Etag", source: server.url)))
        XCTAssertTrue(result.verified)
        XCTAssertEqual(result.sha256, hex)
        XCTAssertEqual(try Data(contentsOf: result.file), body)
        XCTAssertEqual(server.headRequests.map(\.line), ["HEAD /model.safetensors HTTP/1.1"])
        XCTAssertEqual(server.requests.map(\.line), ["GET /model.safetensors HTTP/1.1", "GET /blob HTTP/1.1"])
        XCTAssertEqual(record(), "\(hex)  model.safetensors\n# verified against the SHA-256 published by 127.0.0.1 in X-Linked-Etag\n")
        XCTAssertEqual(registry.entry("test/model").recordedSHA256, hex)
        XCTAssertEqual(registry.entry("test/model").hashNote, "verified against the SHA-256 published by 127.0.0.1 in X-Linked-Etag")
        XCTAssertFalse(exists(registry.partialFile(for: "test/model")))
    }

    func testPublishedHashMismatchIsRejected() throws {
        let body = WeightsRegistryTests.safetensors(count: 30_000)
        let actual = SHA256.hash(body).hex
        let published = SHA256.hash(Self.altered(body)).hex
        let server = try LoopbackHTTPServer(
            body: body, headBehaviours: [.redirect("/blob", ["X-Linked-Etag: \"\(published)\"", "X-Linked-Size: \(body.count)"]),
                                         .answer(["X-Linked-Etag: \"\(actual)\"", "X-Linked-Size: \(body.count + 1)"])])
        defer { server.stop() }
        XCTAssertThrowsError(try download(server).run()) { error in
            let message = "\(error)"
            XCTAssertEqual(message, "\(server.url.absoluteString): downloaded file has SHA-256 \(actual), expected \(published) (published by 127.0.0.1 in X-Linked-Etag); the partial file was deleted, nothing was installed")
        }
        XCTAssertFalse(exists(registry.weightsFile(for: "test/model")))
        XCTAssertFalse(exists(registry.partialFile(for: "test/model")))
        XCTAssertNil(record())

        // The right hash with the wrong size is refused as well.
        XCTAssertThrowsError(try download(server).run()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("\(server.url.absoluteString): downloaded file has \(body.count) bytes, expected \(body.count + 1) (published by 127.0.0.1 in X-Linked-Size)"), message)
            XCTAssertFalse(message.contains("\n"), message)
        }
        XCTAssertFalse(exists(registry.weightsFile(for: "test/model")))
        XCTAssertFalse(exists(registry.partialFile(for: "test/model")))
        XCTAssertEqual(server.headRequests.count, 2)
        XCTAssertEqual(server.requests.count, 2)
    }

    func testNoPublishedHashIsRecordedWithTheReason() throws {
        let body = WeightsRegistryTests.safetensors(count: 5_000)
        let hex = SHA256.hash(body).hex
        let server = try LoopbackHTTPServer(body: body, headBehaviours: [.status(404), .answer(["ETag: \"\(hex.prefix(40))\""])])
        defer { server.stop() }
        let refused = try download(server).run()
        XCTAssertEqual(refused.verification, .unverified(reason: "HEAD \(server.url.absoluteString) answered HTTP 404"))
        XCTAssertFalse(refused.verified)
        XCTAssertEqual(try Data(contentsOf: refused.file), body)
        XCTAssertEqual(record(), "\(hex)  model.safetensors\n# recorded, not verified: HEAD \(server.url.absoluteString) answered HTTP 404\n")

        let silent = try download(server).run()
        XCTAssertEqual(silent.verification, .unverified(reason: "HEAD \(server.url.absoluteString) answered HTTP 200 with no X-Linked-Etag and no ETag that is a SHA-256"))
        XCTAssertEqual(silent.sha256, hex)
        XCTAssertEqual(registry.entry("test/model").hashNote, silent.verification.note)
        XCTAssertTrue(silent.verification.note.hasPrefix("recorded, not verified: "))
        XCTAssertEqual(server.headRequests.count, 2)
    }

    func testHeadThatCannotConnectIsAReason() throws {
        // A port with nothing listening: the HEAD fails, and so does the transfer.
        let server = try LoopbackHTTPServer(body: Data())
        let url = server.url
        server.stop()
        Thread.sleep(forTimeInterval: 0.3)
        guard case .unavailable(let reason) = PublishedHash.lookup(url, timeout: 5) else {
            return XCTFail("a closed port published a hash")
        }
        XCTAssertTrue(reason.hasPrefix("HEAD \(url.absoluteString) failed ("), reason)
    }

    func testResumeVerifiesAgainstThePublishedHash() throws {
        let body = WeightsRegistryTests.safetensors(count: 100_000)
        let hex = SHA256.hash(body).hex
        let published = Self.linkedHeaders(hex: hex, bytes: body.count)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.cutAfter(body.count / 2)],
                                            headBehaviours: [.redirect("/blob", published), .redirect("/blob", published)])
        defer { server.stop() }
        XCTAssertThrowsError(try download(server).run()) { error in
            XCTAssertTrue("\(error)".contains("run the same command again to resume"), "\(error)")
        }
        let kept = try XCTUnwrap(registry.entry("test/model").partialBytes)
        XCTAssertGreaterThan(kept, 0)
        let result = try download(server).run()
        XCTAssertEqual(result.resumedFrom, kept)
        XCTAssertEqual(result.verification,
                       .published(PublishedHash(sha256: hex, bytes: body.count, header: "X-Linked-Etag", source: server.url)))
        XCTAssertEqual(server.requests.map(\.range), [nil, "bytes=\(kept)-"])
        XCTAssertEqual(server.headRequests.count, 2)
        XCTAssertEqual(try Data(contentsOf: result.file), body)
        XCTAssertEqual(registry.entry("test/model").hashNote, "verified against the SHA-256 published by 127.0.0.1 in X-Linked-Etag")
    }

    func testResumedPartIsRejectedWhenThePublishedHashDiffers() throws {
        // The first half comes from the server's body, the source then publishes the hash of
        // other bytes: the joined file must be refused, not installed.
        let body = WeightsRegistryTests.safetensors(count: 100_000)
        let other = SHA256.hash(Self.altered(body)).hex
        let server = try LoopbackHTTPServer(body: body, behaviours: [.cutAfter(body.count / 2)],
                                            headBehaviours: [.status(404), .answer(["X-Linked-Etag: \"\(other)\""])])
        defer { server.stop() }
        XCTAssertThrowsError(try download(server).run())
        XCTAssertNotNil(registry.entry("test/model").partialBytes)
        XCTAssertThrowsError(try download(server).run()) { error in
            XCTAssertTrue("\(error)".contains("expected \(other) (published by 127.0.0.1 in X-Linked-Etag)"), "\(error)")
        }
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertNotNil(server.requests.last?.range)
        XCTAssertFalse(exists(registry.weightsFile(for: "test/model")))
        XCTAssertFalse(exists(registry.partialFile(for: "test/model")))
    }

    func testPinnedHashIsCheckedWithoutAskingTheSource() throws {
        let body = WeightsRegistryTests.safetensors(count: 5_000)
        let hex = SHA256.hash(body).hex
        let server = try LoopbackHTTPServer(body: body, headBehaviours: [.answer(["X-Linked-Etag: \"\(SHA256.hash(Self.altered(body)).hex)\""])])
        defer { server.stop() }
        let result = try download(server, sha: hex).run()
        XCTAssertEqual(result.verification, .expected)
        XCTAssertEqual(server.headRequests.count, 0)
        XCTAssertEqual(record(), "\(hex)  model.safetensors\n# verified against the expected SHA-256\n")
    }
}
