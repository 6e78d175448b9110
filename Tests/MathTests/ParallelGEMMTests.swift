import XCTest
import TestSupport
@testable import Math

/// `gemm` splits large products over the cores: the split result must be the same, bit for
/// bit, as the product on one thread, for every transpose and for shapes that are not
/// multiples of the kernels' tiles, wherever `ProductSplit` says the cut is exact (row cuts
/// always; column cuts where the probe found this CPU's kernel column-invariant), and must
/// match a double-precision sum in every case.
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
        // (785, 2304, 24) is wide but tall enough for two row blocks: cut by rows where columns are not exact.
        for (m, n, k) in [(37, 701, 129), (701, 37, 129), (200, 200, 200), (785, 97, 64), (785, 2304, 24)] {
            XCTAssertGreaterThanOrEqual(2 * m * n * k, parallelGEMMMinimumFlops)
            let how = ProductSplit.of(m: m, n: n, k: k)
            let exact = how != .columns || ProductSplit.columnSplitIsExact
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = values(m * k), b = values(k * n), c0 = values(m * n)
                    let split = product(ta, tb, m: m, n: n, k: k, a: a, b: b, c0: c0, alpha: 0.5, beta: 1, onOneThread: false)
                    let whole = product(ta, tb, m: m, n: n, k: k, a: a, b: b, c0: c0, alpha: 0.5, beta: 1, onOneThread: true)
                    if exact {
                        XCTAssertEqual(split, whole, "m \(m) n \(n) k \(k) ta \(ta) tb \(tb) split \(how)")
                    } else {
                        // A column's sum may be rounded differently: k + 2 roundings of at most |a||b| each.
                        assertClose(split, whole, tolerance: Double(k + 2) * 0x1p-24 * Double(k), "m \(m) n \(n) k \(k) ta \(ta) tb \(tb)")
                    }
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

    func testTheSplitsCutTheLargerDimensionOrRowsAndOnlyLargeProducts() {
        XCTAssertEqual(ProductSplit.of(m: 8, n: 8, k: 8), .none, "small products run whole")
        guard parallelWorkerCount > 1 else { return XCTAssertEqual(ProductSplit.of(m: 785, n: 2304, k: 768), .none) }
        XCTAssertEqual(ProductSplit.of(m: 785, n: 2304, k: 768), ProductSplit.columnSplitIsExact ? .columns : .rows)
        XCTAssertEqual(ProductSplit.of(m: 2304, n: 785, k: 768), .rows)
        XCTAssertEqual(ProductSplit.of(m: 37, n: 701, k: 129), .columns, "too few rows for two row blocks")
        XCTAssertEqual(ProductSplit.split(m: 785, n: 2304, k: 768, columnGranule: 16, rowGranule: 48, columnsExact: false), .rows)
        XCTAssertEqual(ProductSplit.split(m: 785, n: 2304, k: 768, columnGranule: 16, rowGranule: 48, columnsExact: true), .columns)
    }

    func testOpenBLASRunsSingleThreaded() {
        XCTAssertEqual(blasThreadCount, 1)
    }
}
