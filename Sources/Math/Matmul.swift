import CBLAS

/// C[m, n] = alpha * op(A)[m, k] · op(B)[k, n] + beta * C, row-major, through OpenBLAS
/// `cblas_sgemm`. `op` is the identity or the transpose; `lda`, `ldb`, `ldc` are the row
/// strides of A, B and C as stored (so a sub-matrix of a wider buffer can be used directly).
///
/// OpenBLAS runs single-threaded; a large product is split here instead, into column blocks
/// of C (or row blocks, when C has more rows than columns), one per core. Every element of C
/// is the same sum in the same order either way, so the result does not depend on the split.
/// One pool of threads (Dispatch's) then serves both GEMMs and the other kernels, and no
/// OpenBLAS thread spins between calls on the cores that those kernels need. Inside a
/// `parallelRanges` worker the product runs whole on the worker's thread.
public func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    _ = singleThreadedBLAS
    // Blocks of whole 16-wide panels (the width of OpenBLAS's kernels), as even as possible.
    let splitColumns = n >= m
    let extent = splitColumns ? n : m
    let panels = (extent + 15) / 16
    let parts = min(parallelWorkerCount, panels)
    guard parts > 1, 2 * m * n * k >= parallelGEMMMinimumFlops, !isInsideParallelWorker else {
        blasGEMM(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    parallelRanges(parts) { range in
        for part in range {
            let lo = min(extent, panels * part / parts * 16)
            let hi = min(extent, panels * (part + 1) / parts * 16)
            if lo >= hi { continue }
            if splitColumns {
                // Columns lo..<hi of op(B) and of C.
                let bBlock = transposeB ? b + lo * ldb : b + lo
                blasGEMM(transposeA, transposeB, m, hi - lo, k, alpha, a, lda, bBlock, ldb, beta, c + lo, ldc)
            } else {
                // Rows lo..<hi of op(A) and of C.
                let aBlock = transposeA ? a + lo : a + lo * lda
                blasGEMM(transposeA, transposeB, hi - lo, n, k, alpha, aBlock, lda, b, ldb, beta, c + lo * ldc, ldc)
            }
        }
    }
}

/// Products below this many floating-point operations (2mnk) run on one thread: splitting
/// them costs more in hand-offs than it saves.
let parallelGEMMMinimumFlops = 1 << 22

/// One `cblas_sgemm` call, row-major, on the calling thread.
@inline(__always)
private func blasGEMM(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                beta, c, blasint(ldc))
}

/// Sets OpenBLAS to one thread, once per process, before the first product (Swift runs a
/// global's initialiser once, on first use).
private let singleThreadedBLAS: Void = openblas_set_num_threads(1)

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

/// The number of threads OpenBLAS itself uses for one `cblas_sgemm` call (one: `gemm`
/// spreads large products over the cores itself).
public var blasThreadCount: Int {
    _ = singleThreadedBLAS
    return Int(openblas_get_num_threads())
}

/// Array form of `matmulForward(out:inp:weight:bias:...)`: `inp[N, C] @ weight[OC, C]^T + bias`.
public func matmulForward(_ inp: [Float], weight: [Float], bias: [Float]?, N: Int, C: Int, OC: Int) -> [Float] {
    precondition(inp.count == N * C && weight.count == OC * C)
    var out = [Float](repeating: 0, count: N * OC)
    matmulForward(out: &out, inp: inp, weight: weight, bias: bias, rows: N, inFeatures: C, outFeatures: OC)
    return out
}

// Backward of out = inp · Wᵀ + b (accumulated):
//   dinp[N, C]     += dout[N, OC] · W[OC, C]
//   dweight[OC, C] += doutᵀ · inp
//   dbias[OC]      += Σ_n dout[n, :]
/// Gradients of `matmulForward`; `dweight` / `dbias` may be nil for frozen parameters.
public func matmulBackward(dout: [Float], inp: [Float], weight: [Float], dinp: inout [Float],
                           dweight: inout [Float]?, dbias: inout [Float]?, N: Int, C: Int, OC: Int) {
    gemm(transposeA: false, transposeB: false, m: N, n: C, k: OC, a: dout, lda: OC, b: weight, ldb: C,
         beta: 1, c: &dinp, ldc: C)
    if dweight != nil {
        gemm(transposeA: true, transposeB: false, m: OC, n: C, k: N, a: dout, lda: OC, b: inp, ldb: C,
             beta: 1, c: &dweight!, ldc: C)
    }
    if dbias != nil {
        for n in 0..<N { for o in 0..<OC { dbias![o] += dout[n * OC + o] } }
    }
}

/// C[M, N] = op(A) · op(B) for arrays: A is [M, K] ([K, M] when transposed), B is [K, N]
/// ([N, K] when transposed).
public func matrixProduct(_ a: [Float], _ b: [Float], M: Int, K: Int, N: Int,
                          transposeA: Bool = false, transposeB: Bool = false) -> [Float] {
    precondition(a.count == M * K && b.count == K * N)
    var c = [Float](repeating: 0, count: M * N)
    gemm(transposeA: transposeA, transposeB: transposeB, m: M, n: N, k: K, a: a, lda: transposeA ? M : K,
         b: b, ldb: transposeB ? K : N, c: &c, ldc: N)
    return c
}
