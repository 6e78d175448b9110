import XCTest
@testable import Math
import TestSupport

/// Every backward kernel against central finite differences of its forward.
final class BackwardTests: XCTestCase {
    func testConv2dBackward() {
        var rng = SeededGenerator(seed: 1)
        for (k, p) in [(3, 1), (5, 2), (1, 0)] {
            let C = 3, H = 4, W = 5, OC = 2
            let x = randomArray(C * H * W, &rng), w = randomArray(OC * C * k * k, &rng, scale: 0.5)
            let b = randomArray(OC, &rng)
            let OH = conv2dOutputSize(H, kernel: k, padding: p), OW = conv2dOutputSize(W, kernel: k, padding: p)
            let r = randomArray(OC * OH * OW, &rng)
            var dx: [Float]? = [Float](repeating: 0, count: x.count)
            var dw = [Float](repeating: 0, count: w.count)
            var db: [Float]? = [Float](repeating: 0, count: OC)
            conv2dBackward(dout: r, inp: x, weight: w, dinp: &dx, dweight: &dw, dbias: &db,
                           C: C, H: H, W: W, OC: OC, kernel: k, padding: p)
            func f(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
                project(conv2dForward(x, weight: w, bias: b, C: C, H: H, W: W, OC: OC, kernel: k, padding: p), r)
            }
            checkGradient("conv\(k) dx", x: x, analytic: dx!) { f($0, w, b) }
            checkGradient("conv\(k) dw", x: w, analytic: dw) { f(x, $0, b) }
            checkGradient("conv\(k) db", x: b, analytic: db!) { f(x, w, $0) }
        }
    }

    func testConv2dMatchesDirectSum() {
        var rng = SeededGenerator(seed: 2)
        let C = 2, H = 3, W = 3, OC = 2, k = 3, p = 1
        let x = randomArray(C * H * W, &rng), w = randomArray(OC * C * 9, &rng)
        let y = conv2dForward(x, weight: w, bias: [0.5, -1], C: C, H: H, W: W, OC: OC, kernel: k, padding: p)
        // Output (o=1, y=0, x=2) by hand: taps inside the image only.
        var s: Float = -1
        for c in 0..<C { for i in 0..<3 { for j in 0..<3 {
            let sy = 0 + i - 1, sx = 2 + j - 1
            if sy >= 0 && sy < H && sx >= 0 && sx < W { s += w[((1 * C + c) * 3 + i) * 3 + j] * x[(c * H + sy) * W + sx] }
        } } }
        XCTAssertEqual(y[1 * 9 + 0 * 3 + 2], s, accuracy: 1e-5)
    }

    func testBatchNormTrainBackwardAndRunningStatistics() {
        var rng = SeededGenerator(seed: 3)
        let N = 2, C = 3, S = 5
        let x = randomArray(N * C * S, &rng, scale: 2)
        var bn = BatchNormParameters(channels: C)
        bn.weight = randomArray(C, &rng); bn.bias = randomArray(C, &rng)
        let r = randomArray(x.count, &rng)
        var probe = bn
        let fw = batchNormTrainForward(x, &probe, N: N, C: C, S: S)
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: C), db = dw
        batchNormTrainBackward(dy: r, x: x, mean: fw.mean, rstd: fw.rstd, weight: bn.weight,
                               dx: &dx, dweight: &dw, dbias: &db, N: N, C: C, S: S)
        func f(_ x: [Float], _ g: [Float], _ b: [Float]) -> Double {
            var p = bn; p.weight = g; p.bias = b
            return project(batchNormTrainForward(x, &p, N: N, C: C, S: S).y, r)
        }
        checkGradient("bn dx", x: x, analytic: dx, eps: 1e-2, tol: 3e-2) { f($0, bn.weight, bn.bias) }
        checkGradient("bn dw", x: bn.weight, analytic: dw) { f(x, $0, bn.bias) }
        checkGradient("bn db", x: bn.bias, analytic: db) { f(x, bn.weight, $0) }
        // Running statistics: 0.9 * 0 + 0.1 * mean, 0.9 * 1 + 0.1 * unbiased variance.
        let c0 = (0..<N).flatMap { n in (0..<S).map { x[(n * C) * S + $0] } }
        let m = c0.reduce(0, +) / Float(c0.count)
        let v = c0.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Float(c0.count - 1)
        XCTAssertEqual(probe.runningMean[0], 0.1 * m, accuracy: 1e-5)
        XCTAssertEqual(probe.runningVar[0], 0.9 + 0.1 * v, accuracy: 1e-5)
        XCTAssertEqual(probe.batchesTracked, 1)
    }

    func testReLUBackward() {
        var rng = SeededGenerator(seed: 4)
        let x = randomArray(20, &rng).map { abs($0) < 0.05 ? $0 + 0.2 : $0 }
        let r = randomArray(20, &rng)
        var dx = [Float](repeating: 0, count: 20)
        reluBackward(dy: r, y: reluForward(x), dx: &dx)
        checkGradient("relu", x: x, analytic: dx, eps: 1e-3) { project(reluForward($0), r) }
    }

    func testLayerNormBackward() {
        var rng = SeededGenerator(seed: 5)
        let N = 3, C = 6
        let x = randomArray(N * C, &rng, scale: 2), w = randomArray(C, &rng), b = randomArray(C, &rng)
        let r = randomArray(N * C, &rng)
        let fw = layerNormForward(x, weight: w, bias: b, N: N, C: C)
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: C), db = dw
        layerNormBackward(dy: r, x: x, mean: fw.mean, rstd: fw.rstd, weight: w, dx: &dx, dweight: &dw, dbias: &db, N: N, C: C)
        let f = { (x: [Float], w: [Float], b: [Float]) in project(layerNormForward(x, weight: w, bias: b, N: N, C: C).y, r) }
        checkGradient("ln dx", x: x, analytic: dx) { f($0, w, b) }
        checkGradient("ln dw", x: w, analytic: dw) { f(x, $0, b) }
        checkGradient("ln db", x: b, analytic: db) { f(x, w, $0) }
    }

    /// The frozen LayerNorm's input gradient: `layerNormBackward`'s dx bit for bit (rows split
    /// over the cores or not), accumulated onto what dx held.
    func testLayerNormBackwardInputIsTheFullBackwardsInputGradient() {
        var rng = SeededGenerator(seed: 21)
        for (n, c) in [(1, 1), (3, 7), (200, 512), (17, 768)] {
            let x = randomArray(n * c, &rng, scale: 2), dy = randomArray(n * c, &rng), w = randomArray(c, &rng)
            let stats = layerNormForward(x, weight: w, bias: [Float](repeating: 0, count: c), N: n, C: c)
            let start = randomArray(n * c, &rng)
            var full = start, dw = [Float](repeating: 0, count: c), db = dw
            layerNormBackward(dy: dy, x: x, mean: stats.mean, rstd: stats.rstd, weight: w, dx: &full, dweight: &dw, dbias: &db, N: n, C: c)
            var input = start
            layerNormBackwardInput(dy: dy, x: x, mean: stats.mean, rstd: stats.rstd, weight: w, dx: &input, N: n, C: c)
            XCTAssertTrue(full.allSatisfy(\.isFinite))
            XCTAssertEqual(input, full, "\(n) x \(c)")
        }
    }

    func testLinearBackward() {
        var rng = SeededGenerator(seed: 6)
        let N = 3, C = 4, OC = 5
        let x = randomArray(N * C, &rng), w = randomArray(OC * C, &rng), b = randomArray(OC, &rng)
        let r = randomArray(N * OC, &rng)
        var dx = [Float](repeating: 0, count: x.count)
        var dw: [Float]? = [Float](repeating: 0, count: w.count), db: [Float]? = [Float](repeating: 0, count: OC)
        matmulBackward(dout: r, inp: x, weight: w, dinp: &dx, dweight: &dw, dbias: &db, N: N, C: C, OC: OC)
        let f = { (x: [Float], w: [Float], b: [Float]) in project(matmulForward(x, weight: w, bias: b, N: N, C: C, OC: OC), r) }
        checkGradient("linear dx", x: x, analytic: dx) { f($0, w, b) }
        checkGradient("linear dw", x: w, analytic: dw!) { f(x, $0, b) }
        checkGradient("linear db", x: b, analytic: db!) { f(x, w, $0) }
    }

    func testAttentionBackwardCausalAndFull() {
        var rng = SeededGenerator(seed: 7)
        let T = 4, C = 6, NH = 2
        for causal in [true, false] {
            let qkv = randomArray(T * 3 * C, &rng)
            let r = randomArray(T * C, &rng)
            // Two sequences at once, as the text tower batches them.
            let B = 2
            let qkv2 = qkv + randomArray(T * 3 * C, &rng), r2 = r + randomArray(T * C, &rng)
            let fw = attentionForward(qkv2, batch: B, T: T, C: C, heads: NH, causal: causal)
            var d = [Float](repeating: 0, count: qkv2.count)
            attentionBackward(dout: r2, qkv: qkv2, att: fw.att, dqkv: &d, batch: B, T: T, C: C, heads: NH, causal: causal)
            checkGradient("attention causal=\(causal)", x: qkv2, analytic: d) {
                project(attentionForward($0, batch: B, T: T, C: C, heads: NH, causal: causal).out, r2)
            }
        }
    }

    func testAttentionCausalIgnoresTheFuture() {
        var rng = SeededGenerator(seed: 8)
        let T = 3, C = 4
        var qkv = randomArray(T * 3 * C, &rng)
        let a = attentionForward(qkv, T: T, C: C, heads: 1, causal: true).out
        for i in 0..<(3 * C) { qkv[2 * 3 * C + i] += 1 }   // change the last position only
        let b = attentionForward(qkv, T: T, C: C, heads: 1, causal: true).out
        XCTAssertEqual(Array(a[0..<(2 * C)]), Array(b[0..<(2 * C)]))
        XCTAssertNotEqual(Array(a[(2 * C)...]), Array(b[(2 * C)...]))
    }

    func testQuickGeluBackward() {
        var rng = SeededGenerator(seed: 9)
        let x = randomArray(12, &rng, scale: 3), r = randomArray(12, &rng)
        var dx = [Float](repeating: 0, count: 12)
        quickGELUBackward(dy: r, x: x, dx: &dx)
        checkGradient("quickgelu", x: x, analytic: dx, eps: 1e-3) { project(quickGELUForward($0), r) }
        // The vector kernel (both paths, every tail length): finite differences, and the scalar
        // loop's gradient to 1e-6 (relative), accumulated onto what dx held.
        for n in [1, 7, 8, 12, 33, 100_000] {
            let x = randomArray(n, &rng, scale: 4), r = randomArray(n, &rng), start = randomArray(n, &rng)
            var scalar = start
            quickGELUBackward(dy: r, x: x, dx: &scalar)
            for portable in [false, true] {
                var vector = start
                if portable {
                    VectorKernels.withPortableKernels { quickGELUBackwardVectorised(dy: r, x: x, dx: &vector) }
                } else {
                    quickGELUBackwardVectorised(dy: r, x: x, dx: &vector)
                }
                let scaled = zip(vector, scalar).map { ($0 - $1) / max(1, abs($1)) }
                assertClose(scaled, [Float](repeating: 0, count: n), tolerance: 1e-6, "n \(n), portable \(portable)")
                if n <= 12 {
                    var fresh = [Float](repeating: 0, count: n)
                    quickGELUBackwardVectorised(dy: r, x: x, dx: &fresh)
                    checkGradient("quickgelu vectorised", x: x, analytic: fresh, eps: 1e-3) { project(quickGELUForward($0), r) }
                }
            }
        }
    }

    func testGeluBackward() {
        var rng = SeededGenerator(seed: 14)
        let x = randomArray(12, &rng, scale: 3), r = randomArray(12, &rng)
        var dx = [Float](repeating: 0, count: 12)
        geluBackward(dy: r, x: x, dx: &dx)
        checkGradient("gelu", x: x, analytic: dx, eps: 1e-3) { project(geluForward($0), r) }
    }

    func testCrossEntropyBackward() {
        var rng = SeededGenerator(seed: 10)
        let N = 3, K = 4
        let z = randomArray(N * K, &rng, scale: 3), t = [2, 0, 3]
        let fw = crossEntropyForward(z, targets: t, N: N, K: K)
        // Loss by hand for row 0.
        let row = Array(z[0..<K]), m = row.max()!
        let lse = m + logf(row.map { expf($0 - m) }.reduce(0, +))
        let l1 = { (n: Int) -> Float in
            let row = Array(z[(n * K)..<(n * K + K)]), m = row.max()!
            return m + logf(row.map { expf($0 - m) }.reduce(0, +)) - row[t[n]]
        }
        XCTAssertEqual(fw.loss, (lse - row[2] + l1(1) + l1(2)) / 3, accuracy: 1e-5)
        let d = crossEntropyBackward(probs: fw.probs, targets: t, N: N, K: K)
        checkGradient("cross-entropy", x: z, analytic: d, eps: 1e-3) {
            Double(crossEntropyForward($0, targets: t, N: N, K: K).loss)
        }
    }

    func testSoftmaxAndGumbelStraightThroughBackward() {
        var rng = SeededGenerator(seed: 11)
        let N = 3, K = 4, tau: Float = 0.5
        let z = randomArray(N * K, &rng), g = gumbelNoise(count: N * K, using: &rng), r = randomArray(N * K, &rng)
        let fw = gumbelSoftmaxHardForward(z, noise: g, tau: tau, N: N, K: K)
        XCTAssertEqual(fw.hard.reduce(0, +), Float(N))
        for n in 0..<N {
            let best = (0..<K).max { fw.soft[n * K + $0] < fw.soft[n * K + $1] }!
            XCTAssertEqual(fw.hard[n * K + best], 1)
        }
        var dz = [Float](repeating: 0, count: z.count)
        gumbelSoftmaxHardBackward(dy: r, soft: fw.soft, tau: tau, dz: &dz, N: N, K: K)
        // The straight-through gradient is the gradient of the soft sample.
        checkGradient("gumbel soft path", x: z, analytic: dz, eps: 1e-3) {
            project(gumbelSoftmaxHardForward($0, noise: g, tau: tau, N: N, K: K).soft, r)
        }
    }

    func testGumbelNoiseIsSeeded() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        XCTAssertEqual(gumbelNoise(count: 8, using: &a), gumbelNoise(count: 8, using: &b))
    }

    func testL2NormalizeBackward() {
        var rng = SeededGenerator(seed: 12)
        for (N, C) in [(3, 4), (1, 12)] {
            let x = randomArray(N * C, &rng), r = randomArray(N * C, &rng)
            let fw = l2NormalizeForward(x, N: N, C: C)
            var dx = [Float](repeating: 0, count: x.count)
            l2NormalizeBackward(dy: r, y: fw.y, norms: fw.norms, dx: &dx, N: N, C: C)
            checkGradient("l2 \(N)x\(C)", x: x, analytic: dx, eps: 1e-3) { project(l2NormalizeForward($0, N: N, C: C).y, r) }
        }
    }

    func testMaskPoolBackward() {
        var rng = SeededGenerator(seed: 13)
        let D = 3, P = 5, J = 2
        let f = randomArray(D * P, &rng), m = randomArray(J * P, &rng), r = randomArray(J * D, &rng)
        var dm = [Float](repeating: 0, count: m.count)
        maskPoolBackward(dpooled: r, features: f, dmasks: &dm, D: D, P: P, J: J)
        checkGradient("maskpool", x: m, analytic: dm, eps: 1e-3) { project(maskPoolForward(features: f, masks: $0, D: D, P: P, J: J), r) }
    }
}
