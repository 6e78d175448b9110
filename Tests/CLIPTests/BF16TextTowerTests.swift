import Foundation
import XCTest
import Math
import TestSupport
@testable import CLIP

/// The text tower a rectifier trains through, in bf16: each linear layer's input gradient is
/// dy · W with W rounded as the forward rounds it, and the tower's gradient stays close to fp32's.
final class BF16TextTowerTests: XCTestCase {
    /// dx = dy · W against the float32 sum of the rounded operands, within float32 accumulation:
    /// |error| ≤ (k + 2) 2^-24 Σ_k |dy_r W_r| per element (k = the layer's output features).
    func testTheInputGradientIsTheRoundedProduct() {
        var rng = SplitMix64(seed: 11)
        for (rows, inFeatures, outFeatures) in [(7, 48, 80), (31, 64, 192), (1, 33, 17)] {
            let w = randomArray(outFeatures * inFeatures, &rng)
            let dy = randomArray(rows * outFeatures, &rng)
            var layer = LinearWeights(weight: w, bias: nil, inFeatures: inFeatures, outFeatures: outFeatures)
            layer.convertToBF16ForBackward()
            XCTAssertTrue(layer.weight.isEmpty, "the float32 weight is released")
            let start = randomArray(rows * inFeatures, &rng)   // accumulated into, as backward does
            var dx = start
            dy.withUnsafeBufferPointer { d in
                dx.withUnsafeMutableBufferPointer { layer.backwardInput(dout: d.baseAddress!, dinp: $0.baseAddress!, rows: rows) }
            }
            var expected = [Double](repeating: 0, count: rows * inFeatures), bound = expected
            for r in 0..<rows {
                for i in 0..<inFeatures {
                    var sum = Double(start[r * inFeatures + i]), magnitude = abs(sum)
                    for o in 0..<outFeatures {
                        let p = Double(BF16Kernels.round(dy[r * outFeatures + o])) * Double(BF16Kernels.round(w[o * inFeatures + i]))
                        sum += p
                        magnitude += abs(p)
                    }
                    expected[r * inFeatures + i] = sum
                    bound[r * inFeatures + i] = Double(outFeatures + 2) * 0x1p-24 * magnitude
                }
            }
            for j in dx.indices {
                assertClose(dx[j], expected[j], tolerance: bound[j], "\(rows)x\(inFeatures)x\(outFeatures) element \(j)")
            }
            // The layer's forward uses the same rounded W: y = x · W_rᵀ.
            let x = randomArray(rows * inFeatures, &rng)
            var y = [Float](repeating: 0, count: rows * outFeatures)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { layer.forward(out: $0.baseAddress!, inp: xp.baseAddress!, rows: rows) } }
            for r in 0..<rows {
                for o in 0..<outFeatures {
                    var sum = 0.0, magnitude = 0.0
                    for i in 0..<inFeatures {
                        let p = Double(BF16Kernels.round(x[r * inFeatures + i])) * Double(BF16Kernels.round(w[o * inFeatures + i]))
                        sum += p; magnitude += abs(p)
                    }
                    assertClose(y[r * outFeatures + o], sum, tolerance: Double(inFeatures + 2) * 0x1p-24 * magnitude, "forward \(r), \(o)")
                }
            }
        }
    }

    /// The whole tower (the tiny fixture CLIP, causal blocks, read at one position per sequence):
    /// bf16's output and input gradient against fp32's, relative deviation under 5 % and cosine
    /// above 0.998 (bf16 keeps 8 bits: about 0.4 % per rounding, a few roundings deep).
    func testTheTowersGradientStaysCloseToFP32() {
        let model = CLIPFixture.openAI
        let fp32 = TextTransformer(model: model)
        let bf16 = TextTransformer(model: model, running: .bf16)
        XCTAssertEqual(fp32.precision, .fp32)
        XCTAssertEqual(bf16.precision, .bf16)
        XCTAssertTrue(bf16.weights.blocks.allSatisfy { $0.fc1.bf16Transposed != nil && $0.qkv.bf16Transposed != nil })
        var rng = SplitMix64(seed: 5)
        let n = 3, t = 9, w = fp32.width
        let x = randomArray(n * t * w, &rng, scale: 0.5)
        let readAt = [8, 4, 6]
        let dout = randomArray(n * fp32.embedDim, &rng)
        let run32 = fp32.forward(embeddings: x, sequences: n, length: t, readAt: readAt)
        let run16 = bf16.forward(embeddings: x, sequences: n, length: t, readAt: readAt)
        let dx32 = fp32.backward(run32, dout: dout), dx16 = bf16.backward(run16, dout: dout)
        func relative(_ a: [Float], _ b: [Float]) -> Double {
            var d = 0.0, s = 0.0
            for (u, v) in zip(a, b) { d += Double(u - v) * Double(u - v); s += Double(v) * Double(v) }
            return (d / s).squareRoot()
        }
        func cosine(_ a: [Float], _ b: [Float]) -> Double {
            var ab = 0.0, aa = 0.0, bb = 0.0
            for (u, v) in zip(a, b) { ab += Double(u) * Double(v); aa += Double(u) * Double(u); bb += Double(v) * Double(v) }
            return ab / (aa * bb).squareRoot()
        }
        for (name, a, b) in [("output", run16.output, run32.output), ("input gradient", dx16, dx32)] {
            XCTAssertEqual(a.count, b.count, name)
            XCTAssertTrue(a.allSatisfy(\.isFinite) && b.allSatisfy(\.isFinite), "\(name): not finite")
            let r = relative(a, b), c = cosine(a, b)
            XCTAssertTrue(r < 0.05, "\(name): relative deviation \(r)")
            XCTAssertTrue(c > 0.998, "\(name): cosine \(c)")
            XCTAssertTrue(r > 0, "\(name): bf16 computed exactly fp32's values: the bf16 path did not run")
        }
    }
}
