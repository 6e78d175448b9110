import Foundation

/// Exact GELU (PyTorch `nn.GELU()` default), element-wise over `count` values:
/// out = 0.5 x (1 + erf(x / √2)).  `out` may be `inp`.
public func geluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    let invSqrt2: Float = 0.70710678118654752
    parallelRanges(count, minimumCount: 1 << 16) { range in
        for i in range {
            let x = inp[i]
            out[i] = 0.5 * x * (1 + erff(x * invSqrt2))
        }
    }
}
