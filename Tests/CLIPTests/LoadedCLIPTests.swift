import Foundation
import XCTest
import Math
import FileIO
@testable import CLIP

/// `LoadedCLIP`: one read of the weights however many engines ask, at once or later.
final class LoadedCLIPTests: XCTestCase {
    func testConcurrentCallersShareOneLoad() async throws {
        let url = URL(fileURLWithPath: CLIPFixture.path("tiny-openai.safetensors"))
        let clip = LoadedCLIP(weights: url, precision: .fp32, hashMemo: nil)
        async let a = clip.modelAndHash()
        async let b = clip.modelAndHash()
        let (first, second) = try await (a, b)
        let third = try await clip.modelAndHash()
        let loads = await clip.loads
        XCTAssertEqual(loads, 1)
        let expected = try WeightsIdentity.contentHash(of: url, memo: nil)
        XCTAssertEqual([first.1, second.1, third.1], [expected, expected, expected])
        XCTAssertEqual(first.0.architecture, CLIPFixture.openAI.architecture)
        // The shared model computes what a model loaded on its own computes, bit for bit.
        let tokens = CLIPFixture.tokens
        XCTAssertEqual(try third.0.encodeText(tokens: tokens).data, try CLIPFixture.openAI.encodeText(tokens: tokens).data)
    }

    func testAMissingFileIsNamedAndNotCountedAsLoaded() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-clip-\(getpid()).safetensors")
        let clip = LoadedCLIP(weights: url, hashMemo: nil)
        for _ in 0..<2 {
            do {
                _ = try await clip.modelAndHash()
                XCTFail("a missing file loaded")
            } catch {
                XCTAssertTrue("\(error)".contains(url.lastPathComponent), "\(error)")
            }
        }
        let loads = await clip.loads
        XCTAssertEqual(loads, 0)
    }
}
