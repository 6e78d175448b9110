// Mask pooling of channel-major features f[D, P] by J masks m[J, P] (average over all P
// positions, as AdaptiveAvgPool2d over feature * mask):
//   pooled[j, d] = 1/P sum_p f[d, p] m[j, p]
//   dm[j, p] = 1/P sum_d f[d, p] dpooled[j, d]      (features are frozen)

/// Mask-pooled features `[J, D]`.
public func maskPoolForward(features f: [Float], masks m: [Float], D: Int, P: Int, J: Int) -> [Float] {
    var out = [Float](repeating: 0, count: J * D)
    let inv = 1 / Float(P)
    for j in 0..<J { for d in 0..<D {
        var s: Float = 0
        for p in 0..<P { s += f[d * P + p] * m[j * P + p] }
        out[j * D + d] = s * inv
    } }
    return out
}

/// Gradient of `maskPoolForward` with respect to the masks (accumulated into `dmasks`).
public func maskPoolBackward(dpooled: [Float], features f: [Float], dmasks: inout [Float], D: Int, P: Int, J: Int) {
    let inv = 1 / Float(P)
    for j in 0..<J { for d in 0..<D {
        let g = dpooled[j * D + d] * inv
        if g == 0 { continue }
        for p in 0..<P { dmasks[j * P + p] += f[d * P + p] * g }
    } }
}
