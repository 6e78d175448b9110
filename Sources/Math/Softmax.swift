import CVectorMath

/// Row-wise softmax over the first `validColumns` of each row of `inp` [rows, columns]:
/// out[r, j] = exp(x[r, j] - max_j' x[r, j']) / Σ_j' exp(x[r, j'] - max)   for j < validColumns
/// out[r, j] = 0                                                            for j ≥ validColumns
/// `validColumns(r)` defaults to all columns (a causal mask passes `r + 1`). `out` may be `inp`.
public func softmaxForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                           rows: Int, columns: Int, validColumns: ((Int) -> Int)? = nil) {
    for r in 0..<rows {
        let x = inp + r * columns
        let y = out + r * columns
        let n = validColumns?(r) ?? columns
        if y != x { y.update(from: x, count: n) }
        let inv = 1 / unnormalisedSoftmaxRow(y, count: n)
        for j in 0..<n { y[j] *= inv }
        for j in n..<columns { y[j] = 0 }
    }
}

/// Array form of `softmaxForward(out:inp:rows:columns:)`: softmax of `N` rows of `K` values.
public func softmaxForward(_ z: [Float], N: Int, K: Int) -> [Float] {
    var p = [Float](repeating: 0, count: N * K)
    softmaxForward(out: &p, inp: z, rows: N, columns: K)
    return p
}

// dz[n, k] = p[n, k] * (dp[n, k] - sum_j p[n, j] dp[n, j])
/// Gradient of `softmaxForward` (accumulated into `dz`).
public func softmaxBackward(dp: [Float], p: [Float], dz: inout [Float], N: Int, K: Int) {
    for n in 0..<N {
        var dot: Float = 0
        for k in 0..<K { dot += p[n * K + k] * dp[n * K + k] }
        for k in 0..<K { dz[n * K + k] += p[n * K + k] * (dp[n * K + k] - dot) }
    }
}

/// In place over one row of `count` values: x[j] = exp(x[j] - max_j' x[j']); returns Σ_j x[j].
/// Two passes (maximum; exp and sum), eight lanes wide, in `CVectorMath`.
@inline(__always)
func unnormalisedSoftmaxRow(_ x: UnsafeMutablePointer<Float>, count n: Int) -> Float {
    vm_softmax_row_unnormalised(x, n)
}
