import XCTest
import TestSupport
import Math
@testable import CLIP

/// `ForwardProfile` on the dense-feature forward: every operation's FLOPs equal the closed-form
/// count of the architecture (so no call is missed or counted twice), the operations' seconds
/// add up to the forward's, and profiling leaves the features bit-identical.
final class ForwardProfileTests: XCTestCase {
    /// 3 blocks of width 32, 4 heads, patch 8: at 96x96 there are 145 tokens, more than one
    /// block of 128 queries in attention.
    let arch = CLIPArchitecture(embedDim: 16, visionWidth: 32, visionLayers: 3, visionHeads: 4, patchSize: 8,
                                visionGrid: 4, textWidth: 32, textLayers: 1, textHeads: 4, contextLength: 77,
                                vocabularySize: 500)

    func image(height: Int, width: Int, seed: UInt64) -> Tensor {
        var g = WeightGenerator(state: seed)
        return Tensor(shape: [3, height, width], data: g.uniform(3 * height * width, bound: 2))
    }

    func testOperationFLOPsAreTheForwardsAnalyticCounts() {
        let model = CLIPModel.random(arch, seed: 5)
        // 44 x 38 pads to 48 x 40: a 6 x 5 grid, t = 31 tokens.
        for (h, w, grid) in [(44, 38, 30), (96, 96, 144)] {
            let profile = ForwardProfile()
            _ = model.denseFeatures(image(height: h, width: w, seed: 1), profile: profile)
            let (c, l, heads, p, d) = (32.0, 3.0, 4.0, 8.0, 16.0)
            let n = Double(grid), t = n + 1
            // MaskCLIP: blocks 0..L-2 in full, the last block's value path (no attention, v only).
            let expected: [ForwardProfile.Operation: Double] = [
                .patchEmbedding: 2 * n * c * 3 * p * p,
                .layerNorm: 8 * c * t * (1 + 2 * l),                   // ln_pre, then ln_1 and ln_2 per block
                .qkvProjection: 2 * t * c * 3 * c * (l - 1) + 2 * t * c * c,
                .attentionScores: 2 * t * t * c * (l - 1),
                .softmax: (4 * heads * t * t + t * c) * (l - 1),       // exp etc. per score, 1 per output value
                .attentionValues: 2 * t * t * c * (l - 1),
                .outProjection: 2 * t * c * c * l,
                .fc1: 2 * t * c * 4 * c * l,
                .activation: 5 * t * 4 * c * l,
                .fc2: 2 * t * 4 * c * c * l,
                .residual: 2 * t * c * l,
                .head: 8 * c * t + 2 * t * c * d,                       // ln_post and the projection, all t rows
                .rest: t * c,                                           // class and positional embeddings
            ]
            for op in ForwardProfile.Operation.allCases {
                XCTAssertEqual(profile[op].flops, expected[op]!, "\(h)x\(w): \(op.rawValue)")
                if op != .rest { XCTAssertGreaterThan(profile[op].seconds, 0, "\(h)x\(w): \(op.rawValue) not timed") }
            }
            XCTAssertEqual(profile.totalFLOPs, expected.values.reduce(0, +), "\(h)x\(w)")
            XCTAssertEqual(profile[.attentionScores].calls, 2, "attention runs in blocks 0 and 1 only")
            XCTAssertEqual(profile.forwards, 1)
            XCTAssertEqual(profile.totalSeconds, profile.forwardSeconds, accuracy: 1e-9 * max(1, profile.forwardSeconds),
                           "\(h)x\(w): the operations and .rest add up to the forward")
        }
    }

    func testProfilingLeavesTheFeaturesBitIdentical() throws {
        var models = [("fixture", CLIPFixture.openAI), ("random", CLIPModel.random(arch, seed: 5))]
        if BF16Kernels.isAccelerated { models += models.map { ("\($0) bf16", $1.converted(to: .bf16).model) } }
        for (name, model) in models {
            for (h, w) in [(32, 32), (44, 38), (96, 96)] {
                let x = image(height: h, width: w, seed: 2)
                let plain = model.denseFeatures(x, includePositionalEmbedding: true)
                let profile = ForwardProfile()
                let profiled = model.denseFeatures(x, includePositionalEmbedding: true, profile: profile)
                XCTAssertGreaterThan(profile.totalFLOPs, 0, "\(name) \(h)x\(w): nothing was recorded")
                XCTAssertEqual(profiled.features.shape, plain.features.shape)
                // Bit patterns: a NaN equals only the same NaN.
                XCTAssertEqual(profiled.features.data.map(\.bitPattern), plain.features.data.map(\.bitPattern),
                               "\(name) \(h)x\(w) features")
                XCTAssertEqual(profiled.classToken!.data.map(\.bitPattern), plain.classToken!.data.map(\.bitPattern),
                               "\(name) \(h)x\(w) class token")
                XCTAssertEqual(profiled.positionalEmbedding!.data.map(\.bitPattern),
                               plain.positionalEmbedding!.data.map(\.bitPattern), "\(name) \(h)x\(w) positional embedding")
            }
        }
    }
}
