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
    // Blocks of whole 16-wide panels (the width of OpenBLAS's kernels).
    forEachProductBlock(m: m, n: n, k: k, columnGranule: 16, rowGranule: 16) { rows, columns in
        // Rows `rows` of op(A) and of C, columns `columns` of op(B) and of C.
        let aBlock = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
        let bBlock = transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound
        blasGEMM(transposeA, transposeB, rows.count, columns.count, k, alpha, aBlock, lda, bBlock, ldb, beta,
                 c + rows.lowerBound * ldc + columns.lowerBound, ldc)
    }
}

/// Calls `body` with blocks of C[m, n] (rows, columns) that tile it: one block per core, the
/// larger of the two dimensions cut into whole granules (a kernel's panel width or tile
/// height), as evenly as possible; the whole of C, once, on the calling thread when the
/// product is small, there is one core, or the caller is already a `parallelRanges` worker.
func forEachProductBlock(m: Int, n: Int, k: Int, columnGranule: Int, rowGranule: Int,
                         _ body: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void) {
    let splitColumns = n >= m
    let extent = splitColumns ? n : m
    let granule = splitColumns ? columnGranule : rowGranule
    let panels = (extent + granule - 1) / granule
    let parts = min(parallelWorkerCount, panels)
    guard parts > 1, 2 * m * n * k >= parallelGEMMMinimumFlops, !isInsideParallelWorker else {
        body(0..<m, 0..<n)
        return
    }
    parallelRanges(parts) { range in
        for part in range {
            let lo = min(extent, panels * part / parts * granule)
            let hi = min(extent, panels * (part + 1) / parts * granule)
            if lo >= hi { continue }
            if splitColumns { body(0..<m, lo..<hi) } else { body(lo..<hi, 0..<n) }
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
    fillRows(out, with: bias, rows: rows, columns: outFeatures)
    gemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
         a: inp, lda: inFeatures, b: weight, ldb: inFeatures,
         beta: bias == nil ? 0 : 1, c: out, ldc: outFeatures)
}

/// Copies `bias` [columns] into every row of `out` [rows, columns] (nothing when it is nil).
func fillRows(_ out: UnsafeMutablePointer<Float>, with bias: UnsafePointer<Float>?, rows: Int, columns: Int) {
    guard let bias else { return }
    for r in 0..<rows { (out + r * columns).update(from: bias, count: columns) }
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
