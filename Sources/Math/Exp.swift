/// exp(x) element-wise over `count` values, as a branch-free loop the compiler vectorises
/// (Cephes' single-precision scheme, about 1 ulp): x clamped to [-87.3, 88.7];
/// n = round(x log2(e)) (by adding and subtracting 1.5·2²³, no libm call); r = x - n ln 2 (in two parts);
/// exp(r) ≈ 1 + r + r² P(r) with a degree-5 P; exp(x) = 2ⁿ exp(r).  `out` may be `inp`.
@inline(__always)
public func expForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    for i in 0..<count {
        let x = min(max(inp[i], -87.3), 88.7)
        let shifted = x * 1.44269504088896341 + 12582912
        let n = shifted - 12582912
        let r = x - n * 0.693359375 + n * 2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * (r * r) + r + 1
        // The low mantissa bits of `shifted` hold n + 2²²; 2ⁿ has exponent field n + 127.
        let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
        out[i] = y * scale
    }
}
