import CBLAS

/// C[m, n] = alpha * op(A)[m, k] · op(B)[k, n] + beta * C, row-major, through OpenBLAS
/// `cblas_sgemm`. `op` is the identity or the transpose; `lda`, `ldb`, `ldc` are the row
/// strides of A, B and C as stored (so a sub-matrix of a wider buffer can be used directly).
///
/// OpenBLAS runs single-threaded; a large product is split here instead, one block of C per
/// core (`ProductSplit`). One pool of threads (Dispatch's) then serves both GEMMs and the other
/// kernels, and no OpenBLAS thread spins between calls on the cores that those kernels need.
/// Inside a `parallelRanges` worker the product runs whole on the worker's thread.
public func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    _ = singleThreadedBLAS
    forEachProductBlock(m: m, n: n, k: k, columnGranule: ProductSplit.columnGranule, rowGranule: ProductSplit.rowGranule,
                        columnsExact: ProductSplit.columnSplitIsExact) { rows, columns in
        // Rows `rows` of op(A) and of C, columns `columns` of op(B) and of C.
        let aBlock = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
        let bBlock = transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound
        blasGEMM(transposeA, transposeB, rows.count, columns.count, k, alpha, aBlock, lda, bBlock, ldb, beta,
                 c + rows.lowerBound * ldc + columns.lowerBound, ldc)
    }
}

/// How a product C[m, n] is cut over the cores, and why the cut leaves every element's value
/// as the one-thread product's.
///
/// OpenBLAS computes C in tiles; measured on two kernels (2026-12-02, `ParallelGEMMTests`):
/// with SkylakeX/Cooperlake's, an element of C is the same sum in the same order however the
/// call's rows and columns are cut; with Haswell/Zen's, a row of C is the same whenever a cut
/// falls on a multiple of 12 rows, but a column's value depends on how many columns the call
/// has (rounding-level differences, about 1e-7 relative). So rows are cut at multiples of
/// `rowGranule` (48: whole tiles of 12, and of 16 for the SkylakeX-family kernels), and columns
/// only where `columnSplitIsExact` (probed once per process) or where C has too few rows for
/// two row blocks; there, on such a core, the split result equals the one-thread result to
/// rounding only, and is still the same from run to run for a given number of cores.
public enum ProductSplit: Equatable, Sendable {
    /// The whole of C on the calling thread.
    case none
    /// Blocks of rows of C.
    case rows
    /// Blocks of columns of C.
    case columns

    /// Rows of C per granule of a row split.
    public static let rowGranule = 48
    /// Columns of C per granule of a column split (whole 16-wide panels of OpenBLAS's kernels).
    public static let columnGranule = 16

    /// Whether cutting a product's columns leaves its values unchanged with this CPU's OpenBLAS
    /// kernel: a 48 x 100 x 67 product whole against cut after column 37, compared bit for bit.
    public static let columnSplitIsExact: Bool = {
        _ = singleThreadedBLAS
        let (m, n, k) = (48, 100, 67)
        var g = SplitMix64(seed: 1)
        let a = (0..<(m * k)).map { _ in Float.random(in: -1..<1, using: &g) }
        let b = (0..<(k * n)).map { _ in Float.random(in: -1..<1, using: &g) }
        var whole = [Float](repeating: 0, count: m * n), cut = whole
        blasGEMM(false, false, m, n, k, 1, a, k, b, n, 0, &whole, n)
        b.withUnsafeBufferPointer { bp in
            cut.withUnsafeMutableBufferPointer { cp in
                let c = cp.baseAddress!, bb = bp.baseAddress!
                blasGEMM(false, false, m, 37, k, 1, a, k, bb, n, 0, c, n)
                blasGEMM(false, false, m, n - 37, k, 1, a, k, bb + 37, n, 0, c + 37, n)
            }
        }
        return whole == cut
    }()

    /// The split `gemm` uses for C[m, n] with inner size k on `parallelWorkerCount` cores.
    public static func of(m: Int, n: Int, k: Int) -> ProductSplit {
        split(m: m, n: n, k: k, columnGranule: columnGranule, rowGranule: rowGranule, columnsExact: columnSplitIsExact)
    }

    static func split(m: Int, n: Int, k: Int, columnGranule: Int, rowGranule: Int, columnsExact: Bool) -> ProductSplit {
        guard parallelWorkerCount > 1, 2 * m * n * k >= parallelGEMMMinimumFlops, !isInsideParallelWorker else { return .none }
        let rowPanels = (m + rowGranule - 1) / rowGranule, columnPanels = (n + columnGranule - 1) / columnGranule
        // The larger dimension, as long as a column cut is exact; else rows whenever there are two blocks of them.
        let byColumns = columnsExact ? n >= m : rowPanels < 2
        if byColumns { return columnPanels > 1 ? .columns : .none }
        return rowPanels > 1 ? .rows : .none
    }
}

/// Calls `body` with blocks of C[m, n] (rows, columns) that tile it: one block per core, cut as
/// `ProductSplit` says into whole granules (a kernel's panel width or tile height), as evenly as
/// possible; the whole of C, once, on the calling thread when the product is small, there is one
/// core, or the caller is already a `parallelRanges` worker.
func forEachProductBlock(m: Int, n: Int, k: Int, columnGranule: Int, rowGranule: Int, columnsExact: Bool,
                         _ body: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void) {
    let how = ProductSplit.split(m: m, n: n, k: k, columnGranule: columnGranule, rowGranule: rowGranule,
                                 columnsExact: columnsExact)
    guard how != .none else {
        body(0..<m, 0..<n)
        return
    }
    let splitColumns = how == .columns
    let extent = splitColumns ? n : m
    let granule = splitColumns ? columnGranule : rowGranule
    let panels = (extent + granule - 1) / granule
    let parts = min(parallelWorkerCount, panels)
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
