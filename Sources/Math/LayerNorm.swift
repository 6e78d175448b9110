import CVectorMath

/// LayerNorm over the last dimension, per row r of `inp` [rows, channels]:
/// mean = (1/C) Σ_c x[c]
/// rstd = 1 / sqrt((1/C) Σ_c (x[c] - mean)² + eps)
/// out[c] = (x[c] - mean) * rstd * weight[c] + bias[c]
/// `mean` and `rstd` ([rows] each), when given, receive the statistics the backward pass needs.
/// `out` may be `inp` (in place). Eight lanes wide where the CPU allows (`CVectorMath`).
public func layerNormForward(out: UnsafeMutablePointer<Float>,
                             mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
                             inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                             bias: UnsafePointer<Float>, rows: Int, channels: Int, eps: Float) {
    parallelRanges(rows, minimumCount: 64) { range in
        for r in range {
            vm_layer_norm_row(out + r * channels, mean.map { $0 + r }, rstd.map { $0 + r },
                              inp + r * channels, weight, bias, channels, eps)
        }
    }
}

/// Array form of `layerNormForward(out:mean:rstd:inp:...)` for `N` rows of width `C`; returns
/// `(y, mean, rstd)`, the last two being what `layerNormBackward` needs.
public func layerNormForward(_ x: [Float], weight: [Float], bias: [Float], N: Int, C: Int, eps: Float = 1e-5)
    -> (y: [Float], mean: [Float], rstd: [Float]) {
    var y = [Float](repeating: 0, count: N * C)
    var mean = [Float](repeating: 0, count: N), rstd = [Float](repeating: 0, count: N)
    layerNormForward(out: &y, mean: &mean, rstd: &rstd, inp: x, weight: weight, bias: bias, rows: N, channels: C, eps: eps)
    return (y, mean, rstd)
}

// Backward (llm.c layernorm_backward), xhat = (x - mean) * rstd:
//   dbias += dy, dweight += dy * xhat, dxhat = dy * w
//   dx += rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
/// Gradients of `layerNormForward` (accumulated).
public func layerNormBackward(dy: [Float], x: [Float], mean: [Float], rstd: [Float], weight: [Float],
                              dx: inout [Float], dweight: inout [Float], dbias: inout [Float], N: Int, C: Int) {
    precondition(dweight.count == C && dbias.count == C, "LayerNorm backward: \(dweight.count), \(dbias.count) parameter gradients for \(C) channels")
    dweight.withUnsafeMutableBufferPointer { dw in
        dbias.withUnsafeMutableBufferPointer { db in
            layerNormBackwardRows(dy: dy, x: x, mean: mean, rstd: rstd, weight: weight, dx: &dx, N: N, C: C,
                                  parameterGradients: (dw.baseAddress!, db.baseAddress!))
        }
    }
}

/// `layerNormBackward`'s input gradient alone, for a frozen LayerNorm (no weight or bias
/// gradients): the same operations in the same order per row, so the same bits, with the rows
/// split over the cores.
public func layerNormBackwardInput(dy: [Float], x: [Float], mean: [Float], rstd: [Float], weight: [Float],
                                   dx: inout [Float], N: Int, C: Int) {
    layerNormBackwardRows(dy: dy, x: x, mean: mean, rstd: rstd, weight: weight, dx: &dx, N: N, C: C, parameterGradients: nil)
}

/// The backward above, row by row; the rows go over the cores when no parameter gradients are
/// accumulated (those sum over the rows in order).
private func layerNormBackwardRows(dy: [Float], x: [Float], mean: [Float], rstd: [Float], weight: [Float], dx: inout [Float],
                                   N: Int, C: Int,
                                   parameterGradients: (dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>)?) {
    precondition(dy.count == N * C && x.count == N * C && dx.count == N * C && mean.count == N && rstd.count == N
                 && weight.count == C, "LayerNorm backward: sizes do not match \(N) x \(C)")
    dy.withUnsafeBufferPointer { dyb in x.withUnsafeBufferPointer { xb in
    mean.withUnsafeBufferPointer { mb in rstd.withUnsafeBufferPointer { rb in weight.withUnsafeBufferPointer { wb in
    dx.withUnsafeMutableBufferPointer { dxb in
        let (dy, x, mean, rstd, weight, dx) = (dyb.baseAddress!, xb.baseAddress!, mb.baseAddress!, rb.baseAddress!,
                                                wb.baseAddress!, dxb.baseAddress!)
        func rows(_ rows: Range<Int>) {
            for n in rows {
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
                    if let (dweight, dbias) = parameterGradients {
                        dbias[i] += dy[b + i]
                        dweight[i] += dy[b + i] * xhat
                    }
                    dx[b + i] += rstd[n] * (dxhat - dnormMean - xhat * dnormNormMean)
                }
            }
        }
        if parameterGradients == nil {
            parallelRanges(N, minimumCount: max(1, (1 << 16) / max(1, C))) { rows($0) }
        } else {
            rows(0..<N)
        }
    }}}}}}
}
