import Foundation
import XCTest
import TestSupport
@testable import Math

/// The C vector kernels: both instruction-set paths against double-precision maths and the
/// PyTorch fixtures, at every tail length.
final class VectorKernelTests: XCTestCase {
    /// Runs `body` once with the best kernels the CPU allows and once with portable C.
    private func forBothPaths(_ body: (String) throws -> Void) rethrows {
        try body(VectorKernels.instructionSet)
        try VectorKernels.withPortableKernels { try body(VectorKernels.instructionSet) }
    }

    func testDispatchPicksAVX2WhereTheCPUHasIt() throws {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            XCTAssertEqual(VectorKernels.instructionSet, "portable")
            return
        }
        let set = Set(flags.split(separator: " ").map(String.init))
        let expected = set.contains("avx2") && set.contains("fma") ? "avx2+fma" : "portable"
        XCTAssertEqual(VectorKernels.instructionSet, expected)
        XCTAssertEqual(VectorKernels.withPortableKernels { VectorKernels.instructionSet }, "portable")
        XCTAssertEqual(VectorKernels.instructionSet, expected, "the choice is restored")
    }

    func testExpIsWithinTwoUlpOfDoublePrecisionOnBothPaths() {
        // -87 ... 88 in small steps, plus every length 0 ... 40 for the vector tails.
        let xs = stride(from: Float(-87), through: 88, by: 0.0137).map { $0 }
        forBothPaths { path in
            var out = [Float](repeating: .nan, count: xs.count)
            expForward(out: &out, inp: xs, count: xs.count)
            let relative = zip(xs, out).map { x, y in abs(Double(y) - Foundation.exp(Double(x))) / Foundation.exp(Double(x)) }
            assertClose(relative, [Double](repeating: 0, count: relative.count), tolerance: 2.5e-7,
                        "\(path): relative error (worst \(largestDifference(relative, [Double](repeating: 0, count: relative.count))))")
            for n in 0...40 {
                let x = (0..<n).map { Float($0) * 0.37 - 5 }
                var y = [Float](repeating: .nan, count: n + 1)
                expForward(out: &y, inp: x, count: n)
                for i in 0..<n { XCTAssertEqual(Double(y[i]), Foundation.exp(Double(x[i])), accuracy: 3e-7 * Foundation.exp(Double(x[i]))) }
                XCTAssertTrue(y[n].isNaN, "\(path): wrote past count \(n)")
            }
            // Far below the range: clamped to exp(-87.3), tiny but positive and finite.
            var tiny: Float = .nan
            expForward(out: &tiny, inp: [-1000], count: 1)
            XCTAssertTrue(tiny > 0 && tiny < 1e-37, "\(path): exp(-1000) gave \(tiny)")
        }
    }

    func testSoftmaxRowsAgreeAcrossPathsAndSumToOne() {
        var g = SplitMix64(seed: 7)
        for n in [1, 2, 7, 8, 9, 15, 16, 17, 63, 197, 785] {
            let x = (0..<n).map { _ in Float(Double.random(in: 0..<1, using: &g) * 20 - 10) }
            var best = x, portable = x
            softmaxForward(out: &best, inp: x, rows: 1, columns: n)
            VectorKernels.withPortableKernels { softmaxForward(out: &portable, inp: x, rows: 1, columns: n) }
            let mx = x.max()!
            let denom = x.reduce(0.0) { $0 + Foundation.exp(Double($1 - mx)) }
            for j in 0..<n {
                let exact = Foundation.exp(Double(x[j] - mx)) / denom
                XCTAssertEqual(Double(best[j]), exact, accuracy: 1e-6 + 1e-6 * exact, "n \(n) j \(j)")
                XCTAssertEqual(best[j], portable[j], accuracy: 1e-6 + 1e-6 * portable[j], "n \(n) j \(j)")
            }
            XCTAssertEqual(Double(best.reduce(0, +)), 1, accuracy: 1e-5)
        }
    }

    func testFixturesHoldOnThePortablePath() {
        VectorKernels.withPortableKernels {
            let s = KernelFixture.dictionary("softmax")
            var x = s.floats("x")
            softmaxForward(out: &x, inp: x, rows: s.int("rows"), columns: s.int("columns"))
            assertClose(x, s.floats("out"), tolerance: 1e-6)

            let q = KernelFixture.dictionary("quickGELU")
            var out = [Float](repeating: .nan, count: q.floats("x").count)
            quickGELUForward(out: &out, inp: q.floats("x"), count: out.count)
            assertClose(out, q.floats("out"), tolerance: 1e-5)

            let c = KernelFixture.dictionary("layerNorm")
            let (rows, ch) = (c.int("rows"), c.int("channels"))
            var y = [Float](repeating: .nan, count: rows * ch)
            var mean = [Float](repeating: .nan, count: rows), rstd = mean
            layerNormForward(out: &y, mean: &mean, rstd: &rstd, inp: c.floats("x"), weight: c.floats("w"),
                             bias: c.floats("b"), rows: rows, channels: ch, eps: c.float("eps"))
            assertClose(y, c.floats("out"), tolerance: 1e-5)
            assertClose(rstd, c.floats("rstd"), tolerance: 1e-5)
        }
    }

    func testLayerNormAndQuickGELUAgreeAcrossPathsAtEveryTail() {
        var g = SplitMix64(seed: 11)
        for ch in [1, 3, 8, 13, 64, 77, 768] {
            let rows = 3
            let x = (0..<rows * ch).map { _ in Float(Double.random(in: 0..<1, using: &g) * 6 - 3) }
            let w = (0..<ch).map { _ in Float(Double.random(in: 0..<1, using: &g) + 0.5) }
            let b = (0..<ch).map { _ in Float(Double.random(in: 0..<1, using: &g) - 0.5) }
            let best = layerNormForward(x, weight: w, bias: b, N: rows, C: ch)
            let portable = VectorKernels.withPortableKernels { layerNormForward(x, weight: w, bias: b, N: rows, C: ch) }
            assertClose(best.y, portable.y, tolerance: 1e-5)
            assertClose(best.rstd, portable.rstd, tolerance: 1e-5)
            let gelu = quickGELUForward(x)
            let geluPortable = VectorKernels.withPortableKernels { quickGELUForward(x) }
            for i in x.indices {
                let exact = Double(x[i]) / (1 + Foundation.exp(-1.702 * Double(x[i])))
                XCTAssertEqual(Double(gelu[i]), exact, accuracy: 1e-6)
                XCTAssertEqual(gelu[i], geluPortable[i], accuracy: 1e-6)
            }
        }
    }
}
