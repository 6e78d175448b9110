import CBLAS

/// C[m, n] = alpha * op(A)[m, k] · op(B)[k, n] + beta * C, row-major, through OpenBLAS
/// `cblas_sgemm`. `op` is the identity or the transpose; `lda`, `ldb`, `ldc` are the row
/// strides of A, B and C as stored (so a sub-matrix of a wider buffer can be used directly).
public func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                beta, c, blasint(ldc))
}

/// Linear layer with PyTorch's weight layout:
/// out[r, o] = sum_i inp[r, i] * weight[o, i] + bias[o]
/// i.e. out = inp · Wᵀ + b, with `weight` stored [outFeatures, inFeatures] and `bias` optional.
/// `inp` is [rows, inFeatures], `out` is [rows, outFeatures]; they must not overlap.
public func matmulForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          rows: Int, inFeatures: Int, outFeatures: Int) {
    if let bias {
        for r in 0..<rows {
            (out + r * outFeatures).update(from: bias, count: outFeatures)
        }
    }
    gemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
         a: inp, lda: inFeatures, b: weight, ldb: inFeatures,
         beta: bias == nil ? 0 : 1, c: out, ldc: outFeatures)
}

/// The number of threads OpenBLAS uses for one GEMM.
public var blasThreadCount: Int {
    get { Int(openblas_get_num_threads()) }
    set { openblas_set_num_threads(Int32(newValue)) }
}
