import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// The scene world's pseudo-random draws on Math's `SplitMix64`, so that a seed gives the same
/// world on every machine and every Swift version: nothing here goes through the system RNG
/// or the standard library's `random(in:using:)`, whose algorithms may change.
///
/// ```swift
/// var rng = WorldRandom(seed: 7)
/// let horizon = rng.uniform(0.3, 0.6)
/// if rng.chance(0.15) { /* tilt the horizon */ }
/// ```
public struct WorldRandom: Sendable {
    private var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    /// A generator for item `index` of a stream seeded with `seed`, independent of every
    /// other index (so scenes can be made in any order, or in parallel).
    public init(seed: UInt64, index: UInt64) {
        var mixer = SplitMix64(seed: seed ^ 0x5851_F42D_4C95_7F2D)
        generator = SplitMix64(seed: mixer.next() ^ (index &* 0x9E37_79B9_7F4A_7C15))
        _ = next()
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [0, 1), 24 bits of resolution.
    public mutating func uniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [a, b).
    public mutating func uniform(_ a: Float, _ b: Float) -> Float { a + (b - a) * uniform() }

    /// Uniform integer in `range` (modulo reduction; the bias is below 2^-40 for small ranges).
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound + 1)
        return range.lowerBound + Int(next() % span)
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Float) -> Bool { uniform() < p }

    /// Standard normal sample (Box-Muller).
    public mutating func normal() -> Float {
        let u1 = max(uniform(), 1e-7), u2 = uniform()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * Float.pi * u2)
    }

    /// One element of a non-empty array, uniformly.
    public mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// An index drawn with probability proportional to `weights` (non-negative, not all 0).
    public mutating func weightedIndex(_ weights: [Float]) -> Int {
        let total = weights.reduce(0, +)
        var r = uniform() * total
        for (i, w) in weights.enumerated() {
            if r < w { return i }
            r -= w
        }
        return weights.lastIndex(where: { $0 > 0 }) ?? 0
    }
}
