import XCTest
import TestSupport
@testable import Math

/// The pooled per-channel statistics of many channel-major arrays, against a direct computation
/// over the concatenated positions.
final class ChannelSumsTests: XCTestCase {
    /// Arrays of different lengths pool into one mean and one unbiased variance per channel, the
    /// same as adding each channel's values one list at a time.
    func testPooledMeansAndVariancesMatchTheDirectComputation() {
        var rng = SplitMix64(seed: 5)
        let C = 3
        let arrays: [[Float]] = [4, 1, 7].map { P in
            (0..<(C * P)).map { _ in Float.random(in: -2...5, using: &rng) }
        }
        let pooled = ChannelSums(arrays, channels: C, squares: true)
        XCTAssertEqual(pooled.positions, 12)
        for c in 0..<C {
            let values = arrays.flatMap { a -> [Double] in
                let P = a.count / C
                return (0..<P).map { Double(a[c * P + $0]) }
            }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
            TestSupport.assertClose(pooled.means[c], mean, tolerance: 1e-12, "mean of channel \(c)")
            TestSupport.assertClose(pooled.unbiasedVariances[c], variance, tolerance: 1e-10, "variance of channel \(c)")
        }
        XCTAssertEqual(ChannelSums(pooling: arrays.map { ChannelSums([$0], channels: C, squares: true) }, channels: C), pooled,
                       "pooling each array's sums is adding the arrays at once, to the bit")
        XCTAssertEqual(ChannelSums(pooling: arrays.map { ChannelSums([$0], channels: C) }, channels: C).squares, [])
        XCTAssertEqual(ChannelSums(arrays, channels: C).squares, [], "squares only when asked for")
        XCTAssertEqual(ChannelSums(arrays, channels: C).sums, pooled.sums)
    }

    /// A constant channel has a variance of zero up to rounding (never a negative residue), and a NaN
    /// in the input reaches the sums rather than vanishing.
    func testConstantChannelsAndNaNs() {
        let constant = ChannelSums([[Float](repeating: 0.1, count: 6)], channels: 2, squares: true)
        for v in constant.unbiasedVariances {
            XCTAssertTrue(v >= 0 && v < 1e-15, "variance \(v) of a constant channel")
        }
        let poisoned = ChannelSums([[1, .nan, 2, 3]], channels: 2)
        XCTAssertTrue(poisoned.sums[0].isNaN)
        XCTAssertEqual(poisoned.sums[1], 5)
    }
}
