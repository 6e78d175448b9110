import XCTest
import Math
import TestSupport
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP
@testable import SceneWorld

/// Finite-difference checks of the small CLIP's whole backward pass (both towers, the
/// contrastive loss and the temperature), on a model small enough to perturb every tensor.
final class MiniCLIPGradientTests: XCTestCase {
    static var tinyConfig: MiniCLIPConfig {
        var c = MiniCLIPConfig()
        c.imageSize = 16; c.patchSize = 8
        c.visionWidth = 16; c.visionLayers = 2; c.visionHeads = 2
        c.textWidth = 16; c.textLayers = 2; c.textHeads = 2
        c.contextLength = 6; c.vocabularySize = 20; c.embedDim = 8
        return c
    }

    func testEveryParameterGradientMatchesFiniteDifferences() {
        checkEveryParameterGradient(pooling: .classToken)
    }

    func testEveryParameterGradientMatchesFiniteDifferencesWithPatchMeanPooling() {
        checkEveryParameterGradient(pooling: .patchMean)
    }

    /// Hard-negative captions (the image side's extra columns) reach every text parameter.
    func testEveryParameterGradientMatchesFiniteDifferencesWithHardNegatives() {
        checkEveryParameterGradient(pooling: .patchMean, negatives: [18, 3, 4, 19, 0, 0,
                                                                    18, 9, 19, 0, 0, 0])
    }

    func checkEveryParameterGradient(pooling: ImagePooling, negatives: [Int32] = [], file: StaticString = #filePath, line: UInt = #line) {
        var config = Self.tinyConfig
        config.pooling = pooling
        var model = MiniCLIP(config: config, seed: 4)
        // Larger-than-default draws so that every path carries signal.
        var rng = WorldRandom(seed: 99)
        for t in 0..<model.parameters.values.count where model.parameters.shapes[t].count >= 1 {
            for i in 0..<model.parameters.values[t].count { model.parameters.values[t][i] += rng.normal() * 0.05 }
        }
        let B = 3
        let pixels = (0..<(B * 3 * 16 * 16)).map { _ in rng.normal() }
        let tokens: [Int32] = [18, 3, 5, 19, 0, 0,
                               18, 7, 19, 0, 0, 0,
                               18, 2, 2, 9, 11, 19]
        let analytic = model.lossAndGradients(pixels: pixels, tokens: tokens, negatives: negatives, batch: B)
        XCTAssert(analytic.loss.isFinite)
        if !negatives.isEmpty {
            // The negatives change the loss (they are scored), and only their tokens' rows differ.
            XCTAssertNotEqual(analytic.loss, model.lossAndGradients(pixels: pixels, tokens: tokens, batch: B).loss, file: file, line: line)
        }
        var checked = 0, worst: Float = 0, worstName = ""
        for t in 0..<model.parameters.values.count {
            let n = model.parameters.values[t].count
            var picks = [0, n / 2, n - 1]
            if model.parameters.names[t] == "token_embedding.weight" {
                picks = [18 * 16, 5 * 16 + 3, 19 * 16 + 15]
                if !negatives.isEmpty { picks += [4 * 16 + 2] }   // a token only a negative caption holds
            }
            for i in Set(picks) {
                let eps: Float = 3e-3
                var plus = model, minus = model
                plus.parameters.values[t][i] += eps
                minus.parameters.values[t][i] -= eps
                let lp = plus.lossAndGradients(pixels: pixels, tokens: tokens, negatives: negatives, batch: B).loss
                let lm = minus.lossAndGradients(pixels: pixels, tokens: tokens, negatives: negatives, batch: B).loss
                let numeric = (lp - lm) / (2 * eps)
                let a = analytic.grads.values[t][i]
                let error = abs(numeric - a) / max(1e-2, abs(numeric) + abs(a))
                XCTAssertTrue(error.isFinite, "\(model.parameters.names[t])[\(i)]: a=\(a) n=\(numeric)")
                if error > worst { worst = error; worstName = "\(model.parameters.names[t])[\(i)] a=\(a) n=\(numeric)" }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 60, file: file, line: line)
        XCTAssertLessThan(worst, 0.05, "\(pooling): \(worstName)", file: file, line: line)
    }

    func testGradientsOfUnusedTokensAreZeroAndAdamWMovesAgainstTheGradient() {
        let config = Self.tinyConfig
        var model = MiniCLIP(config: config, seed: 1)
        var rng = WorldRandom(seed: 5)
        let pixels = (0..<(2 * 3 * 16 * 16)).map { _ in rng.normal() }
        let tokens: [Int32] = [18, 3, 19, 0, 0, 0, 18, 4, 4, 19, 0, 0]
        let r = model.lossAndGradients(pixels: pixels, tokens: tokens, batch: 2)
        let table = r.grads["token_embedding.weight"]
        XCTAssertEqual(table[(10 * 16)..<(11 * 16)].map(abs).max(), 0)
        XCTAssertGreaterThan(table[(3 * 16)..<(4 * 16)].map(abs).max()!, 0)
        var optimiser = AdamW(like: model.parameters)
        let before = model.parameters["visual.proj"]
        optimiser.update(&model.parameters, grads: r.grads, lr: 1e-3)
        let after = model.parameters["visual.proj"], g = r.grads["visual.proj"]
        for i in 0..<g.count where abs(g[i]) > 1e-6 {
            XCTAssertEqual((after[i] - before[i]).sign, (-g[i]).sign)
        }
    }
}

/// Math's matrix-product attention backward against llm.c's loop form.
final class AttentionGEMMTests: XCTestCase {
    func testMatchesTheReferenceBackwardKernel() {
        var rng = WorldRandom(seed: 8)
        for causal in [false, true] {
            for B in [1, 3] {
                let T = 7, C = 12, NH = 3
                let qkv = (0..<(B * T * 3 * C)).map { _ in rng.normal() }
                let dout = (0..<(B * T * C)).map { _ in rng.normal() }
                let reference = attentionForward(qkv, batch: B, T: T, C: C, heads: NH, causal: causal)
                var referenceGrad = [Float](repeating: 0, count: qkv.count)
                referenceAttentionBackward(dout: dout, qkv: qkv, att: reference.att, dqkv: &referenceGrad, batch: B,
                                           T: T, C: C, heads: NH, causal: causal)
                var grad = [Float](repeating: 0.5, count: qkv.count)  // accumulates
                attentionBackward(dout: dout, qkv: qkv, att: reference.att, dqkv: &grad, batch: B, T: T, C: C, heads: NH,
                                  causal: causal)
                XCTAssertGreaterThan(referenceGrad.map(abs).max()!, 0.1)
                assertClose(grad.map { $0 - 0.5 }, referenceGrad, tolerance: 1e-4)
            }
        }
    }
}

// Backward (llm.c attention_backward), per sequence and head, hs = C / NH:
//   datt[t,s] = dout[t] . v[s];          dv[s] += att[t,s] * dout[t]
//   dpre[t,s] = att[t,s] * (datt[t,s] - sum_u att[t,u] datt[t,u])
//   dq[t] += sum_s dpre[t,s] k[s] / sqrt(hs);  dk[s] += dpre[t,s] q[t] / sqrt(hs)
// (masked entries have att = 0 and contribute nothing). Work is spread over (sequence, head)
// pairs, which write disjoint columns of dqkv.
/// The loop form of `attentionBackward` (llm.c), kept as the reference the GEMM form is tested against.
func referenceAttentionBackward(dout: [Float], qkv: [Float], att: [Float], dqkv: inout [Float],
                              batch B: Int = 1, T: Int, C: Int, heads NH: Int, causal: Bool) {
    let hs = C / NH, scale = 1 / Float(hs).squareRoot(), C3 = 3 * C
    dout.withUnsafeBufferPointer { doutB in qkv.withUnsafeBufferPointer { qkvB in
    att.withUnsafeBufferPointer { attB in dqkv.withUnsafeMutableBufferPointer { dB in
        let dout = doutB.baseAddress!, qkv = qkvB.baseAddress!, att = attB.baseAddress!, dqkv = dB.baseAddress!
        parallelRanges(B * NH) { range in
            var datt = [Float](repeating: 0, count: T)
            for task in range {
                let b = task / NH, h = task % NH
                let a = att + task * T * T, base = b * T * C3
                for t in 0..<T {
                    let last = causal ? t : T - 1
                    let o = (b * T + t) * C + h * hs
                    var dot: Float = 0
                    for s in 0...last {
                        let v = base + s * C3 + 2 * C + h * hs
                        let w = a[t * T + s]
                        var d: Float = 0
                        for i in 0..<hs {
                            d += dout[o + i] * qkv[v + i]
                            dqkv[v + i] += w * dout[o + i]
                        }
                        datt[s] = d
                        dot += w * d
                    }
                    let q = base + t * C3 + h * hs
                    for s in 0...last {
                        let dpre = a[t * T + s] * (datt[s] - dot) * scale
                        let k = base + s * C3 + C + h * hs
                        for i in 0..<hs {
                            dqkv[q + i] += dpre * qkv[k + i]
                            dqkv[k + i] += dpre * qkv[q + i]
                        }
                    }
                }
            }
        }
    } } } }
}
