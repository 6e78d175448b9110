import XCTest
import TestSupport
@testable import Math

final class AttentionTests: XCTestCase {
    func check(_ name: String, causal: Bool) {
        let c = KernelFixture.dictionary(name)
        let (b, t, ch, h) = (c.int("batch"), c.int("tokens"), c.int("channels"), c.int("heads"))
        let qkv = c.floats("qkv")
        var out = [Float](repeating: .nan, count: b * t * ch)
        var probs = [Float](repeating: .nan, count: b * h * t * t)
        attentionForward(out: &out, probs: &probs, qkv: qkv, batch: b, tokens: t, channels: ch,
                         heads: h, causal: causal)
        assertClose(out, c.floats("out"), tolerance: 1e-5, name)
        assertClose(probs, c.floats("probs"), tolerance: 1e-6, name)

        // Separate q, k, v buffers (row stride C) and no probability cache (normalising the
        // output instead of the weights) give the same result to rounding.
        var q = [Float](), k = [Float](), v = [Float]()
        for r in 0..<(b * t) {
            let base: Int = r * 3 * ch
            q += qkv[base..<(base + ch)]
            k += qkv[(base + ch)..<(base + 2 * ch)]
            v += qkv[(base + 2 * ch)..<(base + 3 * ch)]
        }
        var separate = [Float](repeating: .nan, count: b * t * ch)
        attentionForward(out: &separate, probs: nil, q: q, k: k, v: v, rowStride: ch, batch: b,
                         tokens: t, channels: ch, heads: h, causal: causal)
        assertClose(separate, out, tolerance: 1e-6, name)

        // `precision: .bf16` with a probability cache (training through a bf16 tower) runs the
        // same float32 maths as matrix products: PyTorch's values to rounding, zeros above the
        // diagonal of a causal head.
        var fast = [Float](repeating: .nan, count: b * t * ch)
        var fastProbs = [Float](repeating: .nan, count: b * h * t * t)
        attentionForward(out: &fast, probs: &fastProbs, qkv: qkv, batch: b, tokens: t, channels: ch,
                         heads: h, causal: causal, precision: .bf16)
        assertClose(fast, c.floats("out"), tolerance: 1e-5, name + ", bf16 training path")
        assertClose(fastProbs, c.floats("probs"), tolerance: 1e-6, name + ", bf16 training path")
    }

    func testFullAttentionMatchesPyTorch() { check("attentionFull", causal: false) }
    func testCausalAttentionMatchesPyTorch() { check("attentionCausal", causal: true) }

    func testQueryBlocksAgreeWithTheWholeSquare() {
        // More tokens than one query block: the blocked path (no cache) against the cached one.
        let (t, ch, h) = (300, 16, 2)
        var g = SplitMix(seed: 9)
        let qkv = (0..<(t * 3 * ch)).map { _ in 2 * g.nextFloat() }
        var blocked = [Float](repeating: .nan, count: t * ch)
        var whole = blocked
        var probs = [Float](repeating: .nan, count: h * t * t)
        attentionForward(out: &blocked, probs: nil, qkv: qkv, batch: 1, tokens: t, channels: ch, heads: h, causal: false)
        attentionForward(out: &whole, probs: &probs, qkv: qkv, batch: 1, tokens: t, channels: ch, heads: h, causal: false)
        assertClose(blocked, whole, tolerance: 1e-5)
    }

    func testCausalPrefixDoesNotDependOnLaterTokens() {
        // Row t of causal attention only sees tokens 0...t: truncating the sequence is exact.
        let (t, ch, h) = (9, 12, 3)
        var g = SplitMix(seed: 7)
        let qkv = (0..<(t * 3 * ch)).map { _ in g.nextFloat() }
        var full = [Float](repeating: 0, count: t * ch)
        attentionForward(out: &full, probs: nil, qkv: qkv, batch: 1, tokens: t, channels: ch, heads: h, causal: true)
        let short = 4
        var prefix = [Float](repeating: 0, count: short * ch)
        attentionForward(out: &prefix, probs: nil, qkv: Array(qkv[0..<(short * 3 * ch)]), batch: 1,
                         tokens: short, channels: ch, heads: h, causal: true)
        XCTAssertEqual(prefix, Array(full[0..<(short * ch)]))
    }
}

/// A small deterministic generator for test inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}
