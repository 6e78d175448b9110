import XCTest
import TestSupport
@testable import Math

/// `gemm` splits large products over the cores: the split result must be the same, bit for
/// bit, as the product on one thread, for every transpose and for shapes that are not
/// multiples of the 16-wide panels, and must match a double-precision sum.
final class ParallelGEMMTests: XCTestCase {
    private func product(_ ta: Bool, _ tb: Bool, m: Int, n: Int, k: Int, a: [Float], b: [Float],
                         c0: [Float], alpha: Float, beta: Float, onOneThread: Bool) -> [Float] {
        var c = c0
        let run = {
            gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: ta ? m : k,
                 b: b, ldb: tb ? k : n, beta: beta, c: &c, ldc: n)
        }
        if onOneThread {
            // Inside a parallelRanges worker the product is not split again.
            parallelRanges(2) { range in
                if range.contains(0) {
                    XCTAssertTrue(isInsideParallelWorker || parallelWorkerCount == 1)
                    run()
                }
            }
        } else {
            XCTAssertFalse(isInsideParallelWorker)
            run()
        }
        return c
    }

    func testSplitProductsEqualOneThreadBitForBit() {
        var g = SplitMix64(seed: 5)
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1..<1, using: &g) } }
        // Wide C (split by columns) and tall C (split by rows), odd sizes, all transposes.
        for (m, n, k) in [(37, 701, 129), (701, 37, 129), (200, 200, 200), (785, 97, 64)] {
            XCTAssertGreaterThanOrEqual(2 * m * n * k, parallelGEMMMinimumFlops)
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = values(m * k), b = values(k * n), c0 = values(m * n)
                    let split = product(ta, tb, m: m, n: n, k: k, a: a, b: b, c0: c0, alpha: 0.5, beta: 1, onOneThread: false)
                    let whole = product(ta, tb, m: m, n: n, k: k, a: a, b: b, c0: c0, alpha: 0.5, beta: 1, onOneThread: true)
                    XCTAssertEqual(split, whole, "m \(m) n \(n) k \(k) ta \(ta) tb \(tb)")
                    var expected = [Double](repeating: 0, count: m * n)
                    for i in 0..<m {
                        for j in 0..<n {
                            var s = 0.0
                            for p in 0..<k {
                                let av = ta ? a[p * m + i] : a[i * k + p]
                                let bv = tb ? b[j * k + p] : b[p * n + j]
                                s += Double(av) * Double(bv)
                            }
                            expected[i * n + j] = 0.5 * s + Double(c0[i * n + j])
                        }
                    }
                    assertClose(split, expected, tolerance: 1e-4, "m \(m) n \(n) k \(k) ta \(ta) tb \(tb)")
                }
            }
        }
    }

    func testOpenBLASRunsSingleThreaded() {
        XCTAssertEqual(blasThreadCount, 1)
    }
}
