import XCTest
import Math
import TestSupport
@testable import CLIP

/// The one transformer block: its forward with and without kept activations, and its backward
/// (input and parameter gradients against finite differences; frozen equals trained).
final class TransformerBlockTests: XCTestCase {
    static func randomBlock(width c: Int, hidden h: Int, seed: UInt64) -> TransformerBlockWeights {
        var rng = SeededGenerator(seed: seed)
        func linear(_ i: Int, _ o: Int) -> LinearWeights {
            LinearWeights(weight: randomArray(o * i, &rng, scale: 1 / Float(i).squareRoot()),
                          bias: randomArray(o, &rng, scale: 0.2), inFeatures: i, outFeatures: o)
        }
        func norm() -> LayerNormWeights {
            LayerNormWeights(weight: randomArray(c, &rng, scale: 0.3).map { 1 + $0 }, bias: randomArray(c, &rng, scale: 0.2))
        }
        return TransformerBlockWeights(ln1: norm(), qkv: linear(c, 3 * c), out: linear(c, c), ln2: norm(),
                                       fc1: linear(c, h), fc2: linear(h, c))
    }

    let B = 2, T = 5, C = 8, H = 16, heads = 2

    func testKeptForwardEqualsTheInferenceForward() {
        let block = Self.randomBlock(width: C, hidden: H, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let x = randomArray(B * T * C, &rng)
        for causal in [false, true] {
            let kept = block.forward(x, batch: B, tokens: T, heads: heads, causal: causal, activation: .quickGELU, eps: 1e-5)
            var y = x
            let ws = TransformerWorkspace(rows: B * T, width: C, hiddenWidth: H)
            let none = y.withUnsafeMutableBufferPointer {
                block.forward(x: $0.baseAddress!, sequenceLengths: [T, T], heads: heads, causal: causal,
                              activation: .quickGELU, eps: 1e-5, workspace: ws)
            }
            XCTAssertNil(none)
            // The same operations; only the attention's blocking of queries differs without a
            // probability cache, which can change the last bit of a sum.
            assertClose(kept.out, y, tolerance: 1e-5, "keeping activations must not change the result")
            XCTAssertGreaterThan(zip(kept.out, x).map { abs($0 - $1) }.max()!, 0.1, "the block must do something")
            XCTAssertEqual(kept.cache.input, x)
        }
    }

    func testBackwardMatchesFiniteDifferences() {
        let block = Self.randomBlock(width: C, hidden: H, seed: 3)
        var rng = SeededGenerator(seed: 4)
        let x = randomArray(B * T * C, &rng)
        let r = randomArray(B * T * C, &rng)
        for (causal, activation) in [(false, Activation.quickGELU), (true, Activation.gelu)] {
            func loss(_ blk: TransformerBlockWeights, _ input: [Float]) -> Double {
                project(blk.forward(input, batch: B, tokens: T, heads: heads, causal: causal, activation: activation,
                                    eps: 1e-5).out, r)
            }
            let run = block.forward(x, batch: B, tokens: T, heads: heads, causal: causal, activation: activation, eps: 1e-5)
            var grads: TransformerBlockWeights? = .zeros(like: block)
            let dx = block.backward(r, run.cache, heads: heads, causal: causal, activation: activation, gradients: &grads)
            checkGradient("dx causal=\(causal)", x: x, analytic: dx) { loss(block, $0) }
            var frozen: TransformerBlockWeights? = nil
            XCTAssertEqual(block.backward(r, run.cache, heads: heads, causal: causal, activation: activation,
                                          gradients: &frozen), dx, "a frozen block gives the same input gradient")
            XCTAssertNil(frozen)
            let g = grads!
            let cases: [(String, WritableKeyPath<TransformerBlockWeights, [Float]>, [Float])] = [
                ("ln_1.weight", \.ln1.weight, g.ln1.weight), ("ln_1.bias", \.ln1.bias, g.ln1.bias),
                ("in_proj_weight", \.qkv.weight, g.qkv.weight), ("out_proj.weight", \.out.weight, g.out.weight),
                ("ln_2.weight", \.ln2.weight, g.ln2.weight), ("c_fc.weight", \.fc1.weight, g.fc1.weight),
                ("c_proj.weight", \.fc2.weight, g.fc2.weight),
            ]
            for (name, path, analytic) in cases {
                checkGradient("\(name) causal=\(causal)", x: block[keyPath: path], analytic: analytic) { p in
                    var b = block
                    b[keyPath: path] = p
                    return loss(b, x)
                }
            }
            for (name, path, analytic) in [("in_proj_bias", \TransformerBlockWeights.qkv.bias, g.qkv.bias!),
                                            ("c_proj.bias", \TransformerBlockWeights.fc2.bias, g.fc2.bias!)] {
                checkGradient("\(name) causal=\(causal)", x: block[keyPath: path]!, analytic: analytic) { p in
                    var b = block
                    b[keyPath: path] = p
                    return loss(b, x)
                }
            }
        }
    }
}
