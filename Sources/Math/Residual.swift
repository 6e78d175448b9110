/// Residual connection, element-wise: out = a + b over `count` values. `out` may alias `a` or `b`.
public func residualForward(out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>,
                            b: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { out[i] = a[i] + b[i] }
}
