import CBLAS

// Fully connected layer, PyTorch layout: weight [OC, C], bias [OC].
//   out[N, OC] = inp[N, C] @ weight^T + bias

/// `inp[N, C] @ weight[OC, C]^T + bias`.
public func linearForward(_ inp: [Float], weight: [Float], bias: [Float]?, N: Int, C: Int, OC: Int) -> [Float] {
    precondition(inp.count == N * C && weight.count == OC * C)
    var out = [Float](repeating: 0, count: N * OC)
    if let bias { for n in 0..<N { for o in 0..<OC { out[n * OC + o] = bias[o] } } }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(N), Int32(OC), Int32(C),
                1, inp, Int32(C), weight, Int32(C), 1, &out, Int32(OC))
    return out
}

// Backward (accumulated):
//   dinp[N, C]     += dout[N, OC] @ weight[OC, C]
//   dweight[OC, C] += dout^T @ inp
//   dbias[OC]      += sum_n dout[n, :]
/// Gradients of `linearForward`; `dweight`/`dbias` may be nil for frozen parameters.
public func linearBackward(dout: [Float], inp: [Float], weight: [Float], dinp: inout [Float],
                           dweight: inout [Float]?, dbias: inout [Float]?, N: Int, C: Int, OC: Int) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(N), Int32(C), Int32(OC),
                1, dout, Int32(OC), weight, Int32(C), 1, &dinp, Int32(C))
    if dweight != nil {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(OC), Int32(C), Int32(N),
                    1, dout, Int32(OC), inp, Int32(C), 1, &dweight!, Int32(C))
    }
    if dbias != nil {
        for n in 0..<N { for o in 0..<OC { dbias![o] += dout[n * OC + o] } }
    }
}

// C[M, N] = op(A) @ op(B), op = identity or transpose; A is [M, K] (or [K, M] when transposed),
// B is [K, N] (or [N, K]).
/// A plain matrix product with optional transposes (row-major, through BLAS).
public func matrixProduct(_ a: [Float], _ b: [Float], M: Int, K: Int, N: Int,
                          transposeA: Bool = false, transposeB: Bool = false) -> [Float] {
    precondition(a.count == M * K && b.count == K * N)
    var c = [Float](repeating: 0, count: M * N)
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(M), Int32(N), Int32(K), 1, a, Int32(transposeA ? M : K), b, Int32(transposeB ? K : N),
                0, &c, Int32(N))
    return c
}
