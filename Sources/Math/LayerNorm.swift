// Layer normalisation over the last dimension: rows N, width C.
//   mean = 1/C sum x, var = 1/C sum (x - mean)^2, rstd = 1/sqrt(var + eps)
//   y = (x - mean) * rstd * w + b

/// LayerNorm of `N` rows of width `C`; returns `(y, mean, rstd)` (the backward needs the last two).
public func layerNormForward(_ x: [Float], weight: [Float], bias: [Float], N: Int, C: Int, eps: Float = 1e-5)
    -> (y: [Float], mean: [Float], rstd: [Float]) {
    var y = [Float](repeating: 0, count: N * C)
    var mean = [Float](repeating: 0, count: N), rstd = [Float](repeating: 0, count: N)
    for n in 0..<N {
        let b = n * C
        var m: Float = 0
        for i in 0..<C { m += x[b + i] }
        m /= Float(C)
        var v: Float = 0
        for i in 0..<C { let d = x[b + i] - m; v += d * d }
        v /= Float(C)
        let r = 1 / (v + eps).squareRoot()
        for i in 0..<C { y[b + i] = (x[b + i] - m) * r * weight[i] + bias[i] }
        mean[n] = m; rstd[n] = r
    }
    return (y, mean, rstd)
}

// Backward (llm.c layernorm_backward):
//   dbias += dy, dweight += dy * xhat, dxhat = dy * w
//   dx += rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
/// Gradients of `layerNormForward` (accumulated).
public func layerNormBackward(dy: [Float], x: [Float], mean: [Float], rstd: [Float], weight: [Float],
                              dx: inout [Float], dweight: inout [Float], dbias: inout [Float], N: Int, C: Int) {
    for n in 0..<N {
        let b = n * C
        var dnormMean: Float = 0, dnormNormMean: Float = 0
        for i in 0..<C {
            let xhat = (x[b + i] - mean[n]) * rstd[n]
            let dxhat = dy[b + i] * weight[i]
            dnormMean += dxhat
            dnormNormMean += dxhat * xhat
        }
        dnormMean /= Float(C); dnormNormMean /= Float(C)
        for i in 0..<C {
            let xhat = (x[b + i] - mean[n]) * rstd[n]
            let dxhat = dy[b + i] * weight[i]
            dbias[i] += dy[b + i]
            dweight[i] += dy[b + i] * xhat
            dx[b + i] += rstd[n] * (dxhat - dnormMean - xhat * dnormNormMean)
        }
    }
}
