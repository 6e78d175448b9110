import Foundation
import XCTest
import TestSupport
@testable import FileIO
@testable import ModelFiles
@testable import ModelStore

/// The weights registry, header check and resumable download, against a loopback server.
final class WeightsRegistryTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws { root = try scratchFolder("reclip-registry") }

    /// A valid safetensors file: one F32 tensor of `count` values, header padded to 8 bytes.
    static func safetensors(count: Int, headerJSON: String? = nil, seed: Int = 0) -> Data {
        var header = headerJSON ?? #"{"w":{"dtype":"F32","shape":[\#(count)],"data_offsets":[0,\#(count * 4)]},"__metadata__":{"format":"pt"}}"#
        while header.utf8.count % 8 != 0 { header += " " }
        var data = Data()
        var n = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        for i in 0..<count {
            var bits = Float((i + 31 * seed) % 977).bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
        }
        return data
    }

    func write(_ data: Data, _ name: String) throws -> URL {
        let url = root.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    // MARK: import

    func testImportRefusesMalformedFiles() throws {
        let registry = WeightsRegistry(root: root)
        let valid = Self.safetensors(count: 10)
        let bad: [(String, Data, String)] = [
            ("short", Data([1, 2, 3]), "truncated"),
            ("huge-length", Data([0xFF, 0xFF, 0, 0, 0, 0, 0, 0]) + Data(count: 16), "header claims"),
            ("truncated-data", valid.prefix(valid.count - 4), "run past the end"),
            ("not-json", Self.safetensors(count: 10, headerJSON: "[1, 2, 3]"), "not a JSON object"),
            ("shape-mismatch", Self.safetensors(count: 10, headerJSON: #"{"w":{"dtype":"F32","shape":[3,4],"data_offsets":[0,40]}}"#), "needs 48"),
            ("dtype", Self.safetensors(count: 10, headerJSON: #"{"w":{"dtype":"Q4","shape":[10],"data_offsets":[0,40]}}"#), "unknown dtype"),
        ]
        for (name, data, fragment) in bad {
            let url = try write(data, name)
            XCTAssertThrowsError(try registry.importWeights(from: url, as: "bad/\(name)"), name) { error in
                XCTAssertTrue("\(error)".contains(url.path) && "\(error)".contains(fragment), "\(name): \(error)")
            }
            XCTAssertNil(registry.entry("bad/\(name)").bytes, name)
        }
        XCTAssertEqual(try registry.importWeights(from: try write(valid, "good.safetensors"), as: "good").bytes, valid.count)
    }

    // MARK: registry

    func testImportListsAndRecordsHash() throws {
        let registry = WeightsRegistry(root: root)
        let data = Self.safetensors(count: 1000)
        let source = try write(data, "mine.safetensors")
        let entry = try registry.importWeights(from: source, as: "local/mine")
        XCTAssertEqual(entry.bytes, data.count)
        XCTAssertEqual(entry.recordedSHA256, SHA256.hash(data).hex)
        XCTAssertEqual(try Data(contentsOf: registry.weightsFile(for: "local/mine")), data)

        let entries = try registry.entries()
        XCTAssertEqual(entries.map(\.name), WeightsRegistry.knownModels.map(\.name) + ["local/mine"])
        XCTAssertFalse(entries[0].isPresent)
        XCTAssertTrue(entries[0].isKnown)
        XCTAssertFalse(entries.last!.isKnown)

        // A broken file is refused and leaves the installed one untouched.
        let broken = try write(Data("not safetensors at all".utf8), "broken.safetensors")
        XCTAssertThrowsError(try registry.importWeights(from: broken, as: "local/mine"))
        XCTAssertEqual(try Data(contentsOf: registry.weightsFile(for: "local/mine")), data)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: registry.directory(for: "local/mine").path)
        XCTAssertEqual(Set(leftovers), ["model.safetensors", "model.safetensors.sha256"])

        for name in ["../escape", "/abs", "a//b", "", "sp ace", "a/./b"] {
            XCTAssertThrowsError(try WeightsRegistry.validate(name: name), name)
        }
        XCTAssertNoThrow(try WeightsRegistry.validate(name: "openai/clip-vit-base-patch16"))
    }

    func testResolveNamesAndPaths() throws {
        let registry = WeightsRegistry(root: root)
        let file = try write(Self.safetensors(count: 4), "loose.safetensors")
        XCTAssertEqual(try registry.resolve(file.path), file)
        XCTAssertThrowsError(try registry.resolve("openai/clip-vit-base-patch16")) { error in
            XCTAssertTrue("\(error)".contains("reclip weights fetch openai/clip-vit-base-patch16"), "\(error)")
        }
        XCTAssertThrowsError(try registry.resolve("no such/file.bin")) { error in
            XCTAssertTrue("\(error)".contains("no such file, and not a model name"), "\(error)")
        }
        try registry.importWeights(from: file, as: "local/loose")
        XCTAssertEqual(try registry.resolve("local/loose"), registry.weightsFile(for: "local/loose"))
    }

    func testHomeFromEnvironment() {
        XCTAssertEqual(WeightsRegistry(environment: ["RECLIP_HOME": "/tmp/x"]).root.path, "/tmp/x")
        XCTAssertTrue(WeightsRegistry(environment: [:]).root.path.hasSuffix("/.cache/reclip"))
    }

    // MARK: download

    func download(_ server: LoopbackHTTPServer, sha: String?) -> WeightsDownload {
        var d = WeightsDownload(registry: WeightsRegistry(root: root), name: "test/model", url: server.url, expectedSHA256: sha)
        d.idleTimeout = 10
        return d
    }

    func testFullDownloadIsVerifiedAndInstalled() throws {
        let body = Self.safetensors(count: 50_000)
        let server = try LoopbackHTTPServer(body: body)
        defer { server.stop() }
        let reports = ProgressLog()
        let result = try download(server, sha: SHA256.hash(body).hex).run { reports.append($0) }
        XCTAssertTrue(result.verified)
        XCTAssertEqual(result.resumedFrom, 0)
        XCTAssertEqual(result.bytes, body.count)
        XCTAssertEqual(try Data(contentsOf: result.file), body)
        XCTAssertFalse(FileManager.default.fileExists(atPath: WeightsRegistry(root: root).partialFile(for: "test/model").path))
        XCTAssertEqual(server.requests.map(\.range), [nil])
        XCTAssertEqual(reports.last?.bytes, body.count)
        XCTAssertEqual(reports.last?.total, body.count)
    }

    /// A registry under a non-UTF-8 folder name: the download is cut, resumed into the same part
    /// file and installed, all through the name's bytes.
    func testADownloadIntoALatin1RegistryResumesAndInstalls() throws {
        let latin1 = PathBytes.string(Array(root.path.utf8) + Array("/h".utf8) + [0xE9])
        try FolderCreation.make(latin1)
        let original = root!
        defer { root = original }   // tearDown removes the temporary folder, which holds this one
        root = URL(fileURLWithPath: latin1, isDirectory: true)
        defer { _ = PathBytes.withCString(latin1) { rmdir($0) } }
        let body = Self.safetensors(count: 100_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.cutAfter(body.count / 2)])
        defer { server.stop() }
        let d = download(server, sha: SHA256.hash(body).hex)
        XCTAssertThrowsError(try d.run())
        let part = WeightsRegistry(root: root).partialFile(for: "test/model").path
        let kept = try XCTUnwrap(FileStamp.attributes(part)?.size)
        XCTAssertGreaterThan(kept, 0)
        let result = try d.run()
        XCTAssertEqual(result.resumedFrom, kept)
        XCTAssertEqual(try FileBytes.read(result.file.path), [UInt8](body))
        XCTAssertNil(PathKind.of(part))
        XCTAssertEqual(try WeightsRegistry(root: root).entries().first { $0.name == "test/model" }?.isPresent, true)
        for name in ["test/model/model.safetensors", "test/model/model.safetensors.sha256", "test/model", "test"] {
            let path = latin1 + "/" + name
            _ = PathBytes.withCString(path) { PathKind.of(path) == .folder ? rmdir($0) : unlink($0) }
        }
    }

    func testInterruptedDownloadResumesWithRange() throws {
        let body = Self.safetensors(count: 100_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.cutAfter(body.count / 2)])
        defer { server.stop() }
        let d = download(server, sha: SHA256.hash(body).hex)
        XCTAssertThrowsError(try d.run()) { error in
            XCTAssertTrue("\(error)".contains("run the same command again to resume"), "\(error)")
        }
        let part = WeightsRegistry(root: root).partialFile(for: "test/model")
        let kept = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: part.path)[.size] as? Int)
        let listed = try XCTUnwrap(try WeightsRegistry(root: root).entries().first { $0.name == "test/model" })
        XCTAssertEqual(listed.partialBytes, kept)
        XCTAssertFalse(listed.isPresent)
        XCTAssertGreaterThan(kept, 0)
        XCTAssertLessThanOrEqual(kept, body.count / 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: WeightsRegistry(root: root).weightsFile(for: "test/model").path))

        let result = try d.run()
        XCTAssertEqual(result.resumedFrom, kept)
        XCTAssertEqual(server.requests.map(\.range), [nil, "bytes=\(kept)-"])
        XCTAssertEqual(try Data(contentsOf: result.file), body)
    }

    func testResumeKeepsRangeAcrossRedirect() throws {
        let body = Self.safetensors(count: 50_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.redirect("/blob"), .cutAfter(60_000), .redirect("/blob")])
        defer { server.stop() }
        let d = download(server, sha: SHA256.hash(body).hex)
        XCTAssertThrowsError(try d.run())
        let kept = try XCTUnwrap(WeightsRegistry(root: root).entry("test/model").partialBytes)
        let result = try d.run()
        XCTAssertEqual(result.resumedFrom, kept)
        XCTAssertEqual(server.requests.map(\.range), [nil, nil, "bytes=\(kept)-", "bytes=\(kept)-"])
        XCTAssertEqual(server.requests.map(\.line), ["GET /model.safetensors HTTP/1.1", "GET /blob HTTP/1.1",
                                                      "GET /model.safetensors HTTP/1.1", "GET /blob HTTP/1.1"])
        XCTAssertEqual(try Data(contentsOf: result.file), body)
    }

    func testServerIgnoringRangeStartsOver() throws {
        let body = Self.safetensors(count: 20_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.cutAfter(30_000), .ignoreRange])
        defer { server.stop() }
        let d = download(server, sha: nil)
        XCTAssertThrowsError(try d.run())
        let result = try d.run()
        XCTAssertFalse(result.verified)
        XCTAssertEqual(result.sha256, SHA256.hash(body).hex)
        XCTAssertEqual(try Data(contentsOf: result.file), body)
        XCTAssertEqual(WeightsRegistry(root: root).entry("test/model").recordedSHA256, SHA256.hash(body).hex)
        XCTAssertNotNil(server.requests.last?.range)
    }

    func testResumeSendsTheRecordedValidatorAsIfRange() throws {
        let body = Self.safetensors(count: 60_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.cutAfter(body.count / 3)])
        defer { server.stop() }
        let d = download(server, sha: nil)
        XCTAssertThrowsError(try d.run())
        let result = try d.run()
        XCTAssertGreaterThan(result.resumedFrom, 0)
        XCTAssertEqual(server.requests.map(\.ifRange), [nil, server.etag])
        XCTAssertEqual(try Data(contentsOf: result.file), body)
        let validator = WeightsRegistry(root: root).partialFile(for: "test/model").appendingPathExtension("validator")
        XCTAssertFalse(FileManager.default.fileExists(atPath: validator.path), "the validator goes with the part file")
    }

    /// The defect this guards against: half of one file joined to half of another, installed
    /// unverified with exit 0, when the file changed on the server between two runs.
    func testAFileChangedOnTheServerIsFetchedWholeNotJoined() throws {
        let first = Self.safetensors(count: 60_000), second = Self.safetensors(count: 60_000, seed: 9)
        XCTAssertNotEqual(first, second)
        let server = try LoopbackHTTPServer(body: first, behaviours: [.cutAfter(first.count / 2)])
        defer { server.stop() }
        let d = download(server, sha: nil)
        XCTAssertThrowsError(try d.run())
        server.replaceBody(second)
        let result = try d.run()
        XCTAssertEqual(try Data(contentsOf: result.file), second)
        XCTAssertEqual(result.resumedFrom, 0)
        XCTAssertNotNil(server.requests.last?.ifRange)
    }

    func testAServerIgnoringIfRangeIsCaughtByItsValidator() throws {
        let body = Self.safetensors(count: 60_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.cutAfter(body.count / 2), .partialWithETag("\"other\"")])
        defer { server.stop() }
        let d = download(server, sha: nil)
        XCTAssertThrowsError(try d.run())
        XCTAssertThrowsError(try d.run()) { error in
            XCTAssertTrue("\(error)".contains("the file changed on the server"), "\(error)")
        }
        let registry = WeightsRegistry(root: root)
        XCTAssertFalse(FileManager.default.fileExists(atPath: registry.partialFile(for: "test/model").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: registry.weightsFile(for: "test/model").path))
        XCTAssertEqual(try d.run().sha256, SHA256.hash(body).hex, "the next run starts over and succeeds")
    }

    func testAPartWithoutAValidatorIsNotResumed() throws {
        let body = Self.safetensors(count: 60_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.cutAfter(body.count / 2)], sendsValidators: false)
        defer { server.stop() }
        let d = download(server, sha: nil)
        XCTAssertThrowsError(try d.run())
        let result = try d.run()
        XCTAssertEqual(result.resumedFrom, 0)
        XCTAssertEqual(server.requests.map(\.range), [nil, nil])
        XCTAssertEqual(try Data(contentsOf: result.file), body)
    }

    func testASlowTransferHitsTheLowSpeedLimit() throws {
        let body = Self.safetensors(count: 20_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.trickle(bytes: 200, interval: 0.05)])
        defer { server.stop() }
        var d = download(server, sha: nil)
        d.lowSpeedLimit = 100_000
        d.lowSpeedWindow = 0.5
        let start = Date()
        XCTAssertThrowsError(try d.run()) { error in
            XCTAssertTrue("\(error)".contains("slower than 100000 bytes a second for 0.5 s"), "\(error)")
            XCTAssertTrue("\(error)".contains("run the same command again to resume"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testATransferPastItsDeadlineStops() throws {
        let body = Self.safetensors(count: 20_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.trickle(bytes: 2_000, interval: 0.05)])
        defer { server.stop() }
        var d = download(server, sha: nil)
        d.deadline = 0.2
        XCTAssertThrowsError(try d.run()) { error in
            XCTAssertTrue("\(error)".contains("longer than its 0.2 s deadline"), "\(error)")
        }
    }

    func testPartFromAnotherURLIsNotResumed() throws {
        let body = Self.safetensors(count: 20_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.cutAfter(30_000)])
        defer { server.stop() }
        XCTAssertThrowsError(try download(server, sha: nil).run())
        var other = WeightsDownload(registry: WeightsRegistry(root: root), name: "test/model",
                                    url: URL(string: "http://127.0.0.1:\(server.port)/other.safetensors")!, expectedSHA256: nil)
        other.idleTimeout = 10
        let result = try other.run()
        XCTAssertEqual(result.resumedFrom, 0)
        XCTAssertEqual(server.requests.map(\.range), [nil, nil])
        XCTAssertEqual(try Data(contentsOf: result.file), body)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: WeightsRegistry(root: root).directory(for: "test/model").path)
        XCTAssertEqual(Set(leftovers), ["model.safetensors", "model.safetensors.sha256"])
    }

    func testCorruptedBodyIsRejected() throws {
        let body = Self.safetensors(count: 20_000)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.corrupt])
        defer { server.stop() }
        XCTAssertThrowsError(try download(server, sha: SHA256.hash(body).hex).run()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("SHA-256") && message.contains("nothing was installed"), message)
        }
        let registry = WeightsRegistry(root: root)
        XCTAssertFalse(FileManager.default.fileExists(atPath: registry.weightsFile(for: "test/model").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: registry.partialFile(for: "test/model").path))
    }

    func testHTTPErrorAndBadHashAreReported() throws {
        let body = Self.safetensors(count: 100)
        let server = try LoopbackHTTPServer(body: body, behaviours: [.status(404)])
        defer { server.stop() }
        XCTAssertThrowsError(try download(server, sha: nil).run()) { error in
            XCTAssertTrue("\(error)".contains("HTTP 404"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: WeightsRegistry(root: root).weightsFile(for: "test/model").path))
        XCTAssertThrowsError(try download(server, sha: "xyz").run()) { error in
            XCTAssertTrue("\(error)".contains("not a SHA-256"), "\(error)")
        }
        XCTAssertEqual(server.requests.count, 1)
    }

    func testProgressLine() {
        let p = TransferProgress(bytes: 52_428_800, total: 104_857_600, sessionBytes: 52_428_800, elapsed: 4)
        XCTAssertEqual(p.line(barWidth: 20), " 50% [##########..........]  52.4 MB / 104.9 MB  13.1 MB/s  ETA 0:04")
        let unknown = TransferProgress(bytes: 999, total: nil, sessionBytes: 0, elapsed: 0)
        XCTAssertEqual(unknown.line(), "999 B  0 B/s  ETA --:--")
        XCTAssertEqual(TransferProgress.durationText(3723), "1:02:03")
    }
}

/// Progress reports collected from the download's background thread.
///
/// `@unchecked Sendable`: `items` is only touched while holding `lock`.
final class ProgressLog: @unchecked Sendable {
    private var items = [TransferProgress]()
    private let lock = NSLock()
    func append(_ p: TransferProgress) { lock.lock(); items.append(p); lock.unlock() }
    var last: TransferProgress? { lock.lock(); defer { lock.unlock() }; return items.last }
}
