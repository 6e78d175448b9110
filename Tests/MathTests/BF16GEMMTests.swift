import XCTest
import TestSupport
@testable import Math

/// The bf16 GEMM against float32 and double-precision references, on shapes that are not
/// multiples of the 12 x 32 tile or of the 1536-wide k blocks, with column windows of W that do
/// not start on a panel, split over the cores and not, on the AVX512_BF16 kernel and the
/// portable one.
///
/// Two bounds, each element's error divided by its own bound and the quotients compared with
/// zero by the suite's NaN-strict `assertClose` (tolerance 1):
/// - against the exact sum of the bf16-rounded inputs, Σ_k bf16(a) bf16(b) in double: only the
///   float32 accumulation remains, |err| <= (k + 2) 2^-24 (|alpha| Σ |bf16(a) bf16(b)| + |beta c|)
///   (the products are exact, each of the k additions and the final alpha / beta step round once);
///   a dropped, doubled or misplaced term breaks it.
/// - against the float32 inputs, Σ_k a b: each input rounds with relative error d, |d| <= 2^-8, so
///   a term errs by a b (d_a + d_b + d_a d_b), at most 2^-7 |a b|, and with independent roundings
///   (standard deviation at most 2^-8 / √3 each) the sum's standard deviation is at most
///   2^-8 √(2/3) (Σ_k (a b)²)^½: the test allows 6 · 2^-8 (Σ_k (a b)²)^½ (over 7 of those standard
///   deviations, "2^-8 per input times √K") plus the accumulation term above.
final class BF16GEMMTests: XCTestCase {
    private struct Case {
        let m: Int, k: Int, rows: Int, outputs: Range<Int>
        let alpha: Float, beta: Float
    }

    private static let cases: [Case] = [
        Case(m: 1, k: 1, rows: 1, outputs: 0..<1, alpha: 1, beta: 0),
        Case(m: 5, k: 3, rows: 31, outputs: 0..<31, alpha: 1, beta: 0),
        Case(m: 13, k: 2, rows: 33, outputs: 0..<33, alpha: 0.5, beta: 1),
        Case(m: 12, k: 1535, rows: 32, outputs: 0..<32, alpha: 1, beta: 0),
        Case(m: 97, k: 1536, rows: 64, outputs: 0..<64, alpha: 1, beta: 1),
        Case(m: 25, k: 1537, rows: 100, outputs: 7..<50, alpha: 2, beta: 0.25),
        Case(m: 14, k: 3075, rows: 40, outputs: 5..<40, alpha: 1, beta: 1),
        Case(m: 200, k: 800, rows: 70, outputs: 33..<70, alpha: 1, beta: 1),
        Case(m: 37, k: 129, rows: 701, outputs: 0..<701, alpha: 1, beta: 0),   // split by columns
        Case(m: 301, k: 96, rows: 97, outputs: 0..<97, alpha: 1, beta: 1),     // split by rows
    ]

    private func values(_ count: Int, _ g: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1..<1, using: &g) }
    }

    /// C = alpha A W[outputs]ᵀ + beta C0 through the bf16 kernel.
    private func product(_ c: Case, a: [Float], w: BF16Matrix, c0: [Float], onOneThread: Bool = false) -> [Float] {
        var out = c0
        let n = c.outputs.count
        let run = {
            a.withUnsafeBufferPointer { ap in
                out.withUnsafeMutableBufferPointer { cp in
                    gemm(m: c.m, k: c.k, alpha: c.alpha, a: ap.baseAddress!, lda: c.k, weight: w, outputs: c.outputs,
                         beta: c.beta, c: cp.baseAddress!, ldc: n)
                }
            }
        }
        if onOneThread {
            parallelRanges(2) { range in if range.contains(0) { run() } }
        } else {
            run()
        }
        return out
    }

    /// Each element's error over its bound (see the class comment), for `assertClose(..., 0, tolerance: 1)`.
    private func scaledErrors(_ c: Case, actual: [Float], a: [Float], wf: [Float], c0: [Float],
                              roundedInputs: Bool) -> [Double] {
        let n = c.outputs.count
        var q = [Double](repeating: 0, count: c.m * n)
        for i in 0..<c.m {
            for j in 0..<n {
                let row = c.outputs.lowerBound + j
                var sum = 0.0, absSum = 0.0, squares = 0.0
                for p in 0..<c.k {
                    let av = a[i * c.k + p], bv = wf[row * c.k + p]
                    let t = roundedInputs ? Double(BF16Kernels.round(av)) * Double(BF16Kernels.round(bv))
                                          : Double(av) * Double(bv)
                    sum += t; absSum += abs(t); squares += t * t
                }
                let expected = Double(c.alpha) * sum + Double(c.beta) * Double(c0[i * n + j])
                var bound = Double(c.k + 2) * 0x1p-24 * (abs(Double(c.alpha)) * absSum * (1 + 0x1p-6)
                                                         + abs(Double(c.beta) * Double(c0[i * n + j])))
                if !roundedInputs { bound += abs(Double(c.alpha)) * 6 * 0x1p-8 * squares.squareRoot() }
                q[i * n + j] = (Double(actual[i * n + j]) - expected) / max(bound, .leastNormalMagnitude)
            }
        }
        return q
    }

    private func check(portable: Bool) {
        var g = SplitMix64(seed: portable ? 17 : 16)
        for c in Self.cases {
            let a = values(c.m * c.k, &g), wf = values(c.rows * c.k, &g), c0 = values(c.m * c.outputs.count, &g)
            let w = BF16Matrix(wf, rows: c.rows, columns: c.k)
            let label = "m \(c.m) k \(c.k) W \(c.rows) rows \(c.outputs) alpha \(c.alpha) beta \(c.beta)"
            let run = { self.product(c, a: a, w: w, c0: c0) }
            let actual = portable ? BF16Kernels.withPortableKernel(run) : run()
            let zeros = [Double](repeating: 0, count: actual.count)
            assertClose(scaledErrors(c, actual: actual, a: a, wf: wf, c0: c0, roundedInputs: true), zeros,
                        tolerance: 1, "\(label), against the rounded inputs")
            assertClose(scaledErrors(c, actual: actual, a: a, wf: wf, c0: c0, roundedInputs: false), zeros,
                        tolerance: 1, "\(label), against float32")
        }
    }

    func testAcceleratedKernelWithinTheRoundingBounds() throws {
        try XCTSkipUnless(BF16Kernels.isAccelerated, "this CPU has no AVX512_BF16 (the portable test covers the kernel)")
        check(portable: false)
    }

    func testPortableKernelWithinTheRoundingBounds() {
        check(portable: true)
        XCTAssertNotEqual(BF16Kernels.withPortableKernel { BF16Kernels.instructionSet }, "avx512bf16")
    }

    /// The two kernels add the same exact products in the same order: equal bit for bit.
    func testAcceleratedEqualsPortableBitForBit() throws {
        try XCTSkipUnless(BF16Kernels.isAccelerated, "this CPU has no AVX512_BF16")
        var g = SplitMix64(seed: 3)
        for c in Self.cases {
            let a = values(c.m * c.k, &g), wf = values(c.rows * c.k, &g), c0 = values(c.m * c.outputs.count, &g)
            let w = BF16Matrix(wf, rows: c.rows, columns: c.k)
            let fast = product(c, a: a, w: w, c0: c0)
            let portable = BF16Kernels.withPortableKernel { product(c, a: a, w: w, c0: c0) }
            XCTAssertEqual(fast, portable, "m \(c.m) k \(c.k) outputs \(c.outputs)")
        }
    }

    /// The vector packing (AVX-512: conversion, transposition through L1, vpermw interleave)
    /// writes the portable packing's words exactly, NaN, infinity, subnormal and rounding ties
    /// included, for both operand layouts, odd k, partial panels and row strides.
    func testAcceleratedPackingEqualsPortableBitForBit() throws {
        try XCTSkipUnless(BF16Kernels.isAccelerated, "this CPU has no AVX512_BF16")
        var g = SplitMix64(seed: 9)
        let special: [Float] = [.nan, .infinity, -.infinity, 0x1p-130, -0x1p-140, 1 + 0x1p-8, 1 + 3 * 0x1p-8, -0.0, 65504, 0x1.fffffep127]
        for (rows, columns, extra) in [(1, 1, 0), (32, 64, 0), (785, 64, 2240), (64, 785, 3), (33, 7, 0), (5, 130, 1), (70, 129, 0), (31, 200, 5)] {
            let stride = columns + extra
            var w = values(max(rows * stride, columns * (rows + extra)), &g)
            for (i, x) in special.enumerated() where i < w.count { w[(i * 7919) % w.count] = x }
            w.withUnsafeBufferPointer { p in
                for transposing in [false, true] {
                    // `transposing`: B [columns, rows] of stride `rows + extra` read as W = Bᵀ.
                    let bStride = transposing ? rows + extra : stride
                    let make = {
                        transposing ? BF16Matrix(transposing: p.baseAddress!, rows: rows, columns: columns, rowStride: bStride)
                                    : BF16Matrix(p.baseAddress!, rows: rows, columns: columns, rowStride: stride)
                    }
                    let fast = make(), portable = BF16Kernels.withPortableKernel { make() }
                    XCTAssertEqual(fast.packed, portable.packed, "\(rows) x \(columns), stride extra \(extra), transposing \(transposing)")
                }
            }
        }
    }

    /// Split over the cores or whole on one thread: the same sums, bit for bit.
    func testSplitProductsEqualOneThreadBitForBit() {
        var g = SplitMix64(seed: 4)
        for c in Self.cases where 2 * c.m * c.outputs.count * c.k >= parallelGEMMMinimumFlops {
            let a = values(c.m * c.k, &g), wf = values(c.rows * c.k, &g), c0 = values(c.m * c.outputs.count, &g)
            let w = BF16Matrix(wf, rows: c.rows, columns: c.k)
            XCTAssertEqual(product(c, a: a, w: w, c0: c0), product(c, a: a, w: w, c0: c0, onOneThread: true),
                           "m \(c.m) k \(c.k) outputs \(c.outputs)")
        }
        XCTAssertGreaterThanOrEqual(Self.cases.filter { 2 * $0.m * $0.outputs.count * $0.k >= parallelGEMMMinimumFlops }.count, 2)
    }

    /// beta = 0 does not read C (NaN there stays out); a NaN in A reaches its row of C and only it.
    func testNaNHandling() {
        var g = SplitMix64(seed: 6)
        let (m, k, n) = (14, 40, 35)
        var a = values(m * k, &g)
        let w = BF16Matrix(values(n * k, &g), rows: n, columns: k)
        let c = Case(m: m, k: k, rows: n, outputs: 0..<n, alpha: 1, beta: 0)
        for portable in [false, true] {
            let run = { self.product(c, a: a, w: w, c0: [Float](repeating: .nan, count: m * n)) }
            let clean = portable ? BF16Kernels.withPortableKernel(run) : run()
            XCTAssertTrue(clean.allSatisfy(\.isFinite), "beta 0 read C (portable \(portable))")
        }
        a[3 * k + 5] = .nan
        let poisoned = product(c, a: a, w: w, c0: [Float](repeating: 0, count: m * n))
        for i in 0..<m {
            let row = poisoned[(i * n)..<((i + 1) * n)]
            XCTAssertEqual(row.allSatisfy(\.isNaN), i == 3, "row \(i)")
            XCTAssertEqual(row.allSatisfy(\.isFinite), i != 3, "row \(i)")
        }
    }

    /// Rounding to bf16: nearest, ties to even, NaN kept.
    func testRounding() {
        XCTAssertEqual(BF16Kernels.round(1 + 0x1p-9), 1)                // below half an ulp (2^-7)
        XCTAssertEqual(BF16Kernels.round(1 + 0x1p-8), 1)                // a tie, to even
        XCTAssertEqual(BF16Kernels.round(1 + 3 * 0x1p-8), 1 + 0x1p-6)   // a tie, to even (up)
        XCTAssertEqual(BF16Kernels.round(1 + 0x1p-8 + 0x1p-20), 1 + 0x1p-7)
        XCTAssertEqual(BF16Kernels.round(-3), -3)
        XCTAssertTrue(BF16Kernels.round(.nan).isNaN)
        XCTAssertEqual(BF16Kernels.round(.infinity), .infinity)
    }

    /// Packed weights hold two bytes a value (padding to whole panels aside).
    func testPackedMatrixHalvesTheMemory() {
        let w = BF16Matrix([Float](repeating: 0.5, count: 768 * 3072), rows: 3072, columns: 768)
        XCTAssertEqual(w.byteCount, 768 * 3072 * 2)
    }
}

/// Attention with bf16 products against fp32, over several query blocks of 128.
final class BF16AttentionTests: XCTestCase {
    /// q, k, v uniform in ±1, head size d = 16, so |q·k| / √d <= 4 and Σ_j |q_j k_j| / √d is
    /// about 1: rounding q and k moves a score by at most 2^-7 of that, so a weight changes by a
    /// factor within exp(±2 · 2^-7) (about ±1.6 %), and rounding the weights and v adds 2^-7
    /// relative; with |v| <= 1 an output moves by at most about 0.024. The test allows 0.03.
    func testBF16AttentionIsCloseToFP32() throws {
        try XCTSkipUnless(BF16Kernels.isAccelerated, "this CPU has no AVX512_BF16")
        var g = SplitMix64(seed: 12)
        let (t, c, heads) = (300, 64, 4)
        let qkv = randomArray(t * 3 * c, &g)
        func run(_ precision: Precision) -> [Float] {
            var out = [Float](repeating: .nan, count: t * c)
            attentionForward(out: &out, probs: nil, qkv: qkv, batch: 1, tokens: t, channels: c, heads: heads,
                             causal: false, precision: precision)
            return out
        }
        let fp32 = run(.fp32), bf16 = run(.bf16)
        XCTAssertNotEqual(fp32, bf16, "the bf16 path did not run")
        assertClose(bf16, fp32, tolerance: 0.03, "bf16 attention")
    }
}
