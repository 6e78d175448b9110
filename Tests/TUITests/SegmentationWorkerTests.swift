import XCTest
import Foundation
import Pixels
import ReCLIP
@testable import TUI

/// The worker remembers maps per image, class list and readout, within a byte budget: the least
/// recently used go first, and the newest always stays.
final class SegmentationWorkerTests: XCTestCase {
    /// An engine that counts its calls and returns maps of `side` x `side` for 2 classes.
    final class CountingEngine: SegmentationEngine, @unchecked Sendable {
        let lock = NSLock()
        private var calls = 0
        var count: Int { lock.withLock { calls } }
        let info = ModelInfo(name: "counting", variant: "none", hasRectifier: false)
        var cacheIdentity: String? { nil }
        func segment(_ picture: RGBImage, classes: [String], readout: Readout,
                     progress: @escaping @Sendable (Double) -> Void) async throws -> SegmentationMaps {
            lock.withLock { calls += 1 }
            let side = readout.isRefined ? 8 : 2
            return SegmentationMaps(classNames: classes, gridWidth: side, gridHeight: side,
                                    raw: [Float](repeating: 0.5, count: classes.count * side * side))
        }
        func adapt(images: [URL], output: URL, progress: @escaping @Sendable (String, Double) -> Void) async throws -> String { "" }
        func replacingRectifier(with file: URL, variant: String) -> any SegmentationEngine { self }
    }

    func testTheLeastRecentlyUsedMapsGoFirstWithinTheBudget() async throws {
        let engine = CountingEngine()
        let classes = ["a", "b"]
        let refined = Readout(pamrSteps: 10)
        let one = 2 * 8 * 8 * 4   // bytes of one refined result
        let worker = SegmentationWorker(engine: engine, budget: 2 * one)
        let picture = RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 9, count: 48))
        func ask(_ name: String, _ readout: Readout = refined) async throws -> Double {
            try await worker.segment(url: URL(fileURLWithPath: "/\(name).png"), picture: picture, classes: classes,
                                     readout: readout) { _ in }.1
        }
        _ = try await ask("a")
        _ = try await ask("b")
        let (count, bytes) = await worker.cached
        XCTAssertEqual(count, 2)
        XCTAssertEqual(bytes, 2 * one)
        _ = try await ask("a")          // a is now the most recent
        XCTAssertEqual(engine.count, 2, "a came from the cache")
        _ = try await ask("c")          // over the budget: b, the least recently used, goes
        let after = await worker.cached
        XCTAssertEqual(after.count, 2)
        XCTAssertEqual(after.bytes, 2 * one)
        _ = try await ask("a")
        XCTAssertEqual(engine.count, 3, "a stayed")
        _ = try await ask("b")
        XCTAssertEqual(engine.count, 4, "b was forgotten and computed again")
        // The readout is part of the key: the unrefined maps of a are another result.
        _ = try await ask("a", Readout())
        XCTAssertEqual(engine.count, 5)
        // One result larger than the whole budget is still kept, alone.
        let tiny = SegmentationWorker(engine: engine, budget: 1)
        _ = try await tiny.segment(url: URL(fileURLWithPath: "/x.png"), picture: picture, classes: classes, readout: refined) { _ in }
        let alone = await tiny.cached
        XCTAssertEqual(alone.count, 1)
        XCTAssertEqual(alone.bytes, one)
    }

    func testTheByteCountIsEveryPresentMap() {
        let plain = SegmentationMaps(classNames: ["a", "b", "c"], gridWidth: 4, gridHeight: 2, raw: [Float](repeating: 0, count: 24))
        XCTAssertEqual(plain.byteCount, 24 * 4)
        let z = [Float](repeating: 0, count: 24)
        let full = SegmentationMaps(classNames: ["a", "b", "c"], gridWidth: 4, gridHeight: 2, raw: z, classBias: z, spaceBias: z,
                                    bias: z, decoderBase: z, decoderSlope: z)
        XCTAssertEqual(full.byteCount, 6 * 24 * 4)
    }
}
