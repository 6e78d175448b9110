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

/// Array form of `geluForward(out:inp:count:)`.
public func geluForward(_ x: [Float]) -> [Float] {
    var y = [Float](repeating: 0, count: x.count)
    geluForward(out: &y, inp: x, count: x.count)
    return y
}

// Backward: d/dx [x Φ(x)] = Φ(x) + x φ(x),  Φ(x) = (1 + erf(x/√2)) / 2,  φ(x) = exp(-x²/2) / √(2π)
/// Gradient of `geluForward` (accumulated into `dx`).
public func geluBackward(dy: [Float], x: [Float], dx: inout [Float]) {
    let invSqrt2: Float = 0.70710678118654752, invSqrt2Pi: Float = 0.39894228040143268
    for i in 0..<x.count {
        let v = x[i]
        dx[i] += dy[i] * (0.5 * (1 + erff(v * invSqrt2)) + v * expf(-0.5 * v * v) * invSqrt2Pi)
    }
}
