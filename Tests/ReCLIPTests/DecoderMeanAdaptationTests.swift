import XCTest
import Math
import TestSupport
@testable import ReCLIP

/// `DecoderMeanAdaptation`: the site mean it recovers is the mean of the decoder's normalised
/// input, the strength it picks is the least-entropy one of its grid (checked against a direct
/// computation), a site like the start keeps the start's mean, a zero-scale channel keeps its
/// mean, and the applied rectifier's outputs move as the maths says.
final class DecoderMeanAdaptationTests: XCTestCase {
    /// A ReCLIP++ rectifier whose decoder BN has the given statistics (the rest is not used here).
    func rectifier(gamma: [Float], beta: [Float], mean: [Float], variance: [Float]) -> Rectifier {
        let K = gamma.count
        var norm = BatchNormParameters(channels: K)
        norm.weight = gamma; norm.bias = beta; norm.runningMean = mean; norm.runningVar = variance
        let decoder = ConvNormLayer(weight: [Float](repeating: 0, count: K * (K + 2) * 25), bias: [Float](repeating: 0, count: K),
                                    inChannels: K + 2, outChannels: K, kernel: 5, norm: norm)
        return Rectifier(variant: .reclipPlusPlus, classNames: (0..<K).map { "c\($0)" }, prompt: [], promptLength: 0,
                         textWidth: 0, decoder: decoder)
    }

    /// Decoder outputs [K * P] of pre-BN inputs `y` [K * P] under `r`'s BN.
    func outputs(_ y: [Float], _ r: Rectifier, P: Int) -> [Float] {
        batchNormInferenceForward(y, r.decoder!.norm, N: 1, C: r.classCount, S: P)
    }

    /// Mean pixel entropy of softmax(10 * out) for outputs [K * P], in Double, written out directly.
    func entropy(_ outs: [[Float]], K: Int) -> Double {
        var total = 0.0, n = 0
        for out in outs {
            let P = out.count / K
            for p in 0..<P {
                let z = (0..<K).map { 10 * Double(out[$0 * P + p]) }
                let e = z.map { Foundation.exp($0) }
                let s = e.reduce(0, +)
                total -= e.map { ($0 / s) * Foundation.log($0 / s) }.reduce(0, +)
                n += 1
            }
        }
        return total / Double(n)
    }

    func testTheSiteMeanIsTheMeanOfTheDecodersInputAndTheStrengthHasTheLeastEntropy() throws {
        let r = rectifier(gamma: [1.5, 0.8, 1.0], beta: [0.1, -0.2, 0.05], mean: [0.3, -0.1, 0.0], variance: [2, 0.5, 1])
        var g = SplitMix64(seed: 3)
        let P = 40
        // Inputs of two "site images" whose class-1 channel sits 0.6 above the start's mean.
        let ys: [[Float]] = (0..<2).map { _ in
            (0..<(3 * P)).map { i in Float.random(in: -0.5...0.5, using: &g) + (i / P == 1 ? 0.5 : [0.3, 0, 0][i / P]) }
        }
        let outs = ys.map { outputs($0, r, P: P) }
        let a = try XCTUnwrap(DecoderMeanAdaptation(rectifier: r, outputs: outs))
        for k in 0..<3 {
            let direct = ys.map { y in (0..<P).map { Double(y[k * P + $0]) }.reduce(0, +) }.reduce(0, +) / Double(2 * P)
            TestSupport.assertClose(a.siteMean[k], direct, tolerance: 1e-5, "channel \(k)")
        }
        XCTAssertEqual(a.entropies.count, DecoderMeanAdaptation.strengths.count)
        // Each strength's entropy, from the rectifier with its mean moved and the BN run again.
        for (i, lambda) in DecoderMeanAdaptation.strengths.enumerated() {
            var moved = r
            moved.decoder!.norm.runningMean = zip(a.startMean, a.siteMean).map { $0 + lambda * ($1 - $0) }
            let h = entropy(ys.map { outputs($0, moved, P: P) }, K: 3)
            TestSupport.assertClose(a.entropies[i], h, tolerance: 1e-4, "strength \(lambda)")
        }
        let least = a.entropies.min()!
        XCTAssertEqual(a.strength, DecoderMeanAdaptation.strengths[a.entropies.firstIndex(of: least)!])
        XCTAssertTrue(a.entropies.allSatisfy(\.isFinite))
        // The written rectifier: the mean moved by the strength, the variance and the rest kept, the choice recorded.
        let applied = a.applied(to: r)
        let expected = zip(a.startMean, a.siteMean).map { $0 + a.strength * ($1 - $0) }
        TestSupport.assertClose(applied.decoder!.norm.runningMean, expected, tolerance: 0)
        XCTAssertEqual(applied.decoder!.norm.runningVar, r.decoder!.norm.runningVar)
        XCTAssertEqual(applied.decoder!.norm.weight, r.decoder!.norm.weight)
        XCTAssertEqual(applied.metadata["decoder_mean_strength"], "\(a.strength)")
        XCTAssertEqual(applied.metadata["decoder_mean_entropies"]?.split(separator: " ").count, DecoderMeanAdaptation.strengths.count)
    }

    func testASiteWhoseMeanIsTheStartsKeepsIt() throws {
        let r = rectifier(gamma: [1, 2], beta: [0, 0], mean: [0.25, -0.5], variance: [1, 1])
        // Inputs symmetric about the start's means: every strength gives the same outputs.
        let P = 4
        let y: [Float] = [0.25 - 0.1, 0.25 + 0.1, 0.25 - 0.3, 0.25 + 0.3, -0.5 + 0.2, -0.5 - 0.2, -0.5 + 0.05, -0.5 - 0.05]
        let a = try XCTUnwrap(DecoderMeanAdaptation(rectifier: r, outputs: [outputs(y, r, P: P)]))
        TestSupport.assertClose(a.siteMean, r.decoder!.norm.runningMean, tolerance: 1e-6)
        XCTAssertEqual(a.strength, 0, "ties go to the smallest strength")
        TestSupport.assertClose(a.applied(to: r).decoder!.norm.runningMean, r.decoder!.norm.runningMean, tolerance: 1e-6)
    }

    func testAChannelWithZeroScaleKeepsItsMeanAndAReCLIPHasNothingToAdapt() throws {
        let r = rectifier(gamma: [0, 1], beta: [0.4, 0], mean: [7, 0], variance: [1, 1])
        let a = try XCTUnwrap(DecoderMeanAdaptation(rectifier: r, outputs: [[0.4, 0.4, 1, 2]]))
        XCTAssertEqual(a.siteMean[0], 7)
        TestSupport.assertClose(a.siteMean[1], 1.5 * Double((1 + Float(1e-5)).squareRoot()), tolerance: 1e-5)
        var plain = r
        plain.decoder = nil
        XCTAssertNil(DecoderMeanAdaptation(rectifier: plain, outputs: [[0, 0]]))
        XCTAssertNil(DecoderMeanAdaptation(rectifier: r, outputs: []))
    }
}
