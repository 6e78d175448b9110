import CVectorMath

/// The arithmetic the dense-feature path runs in: float32 everywhere (the default and the parity
/// reference), or bfloat16 inputs to the vision tower's linear layers with float32 accumulation.
///
/// ```swift
/// let p = Precision(rawValue: "bf16")!      // `--precision bf16`
/// ```
public enum Precision: String, Sendable, CaseIterable {
    case fp32, bf16

    /// The precision that runs when this one is asked for, and a one-line notice when it is not
    /// the one asked for: bf16 needs AVX512_BF16 (the portable kernel would be far slower than
    /// float32), so without it bf16 falls back to fp32.
    public var available: (precision: Precision, notice: String?) {
        if self == .bf16 && !BF16Kernels.isAccelerated {
            return (.fp32, "bf16: this CPU has no AVX512_BF16 (or it is disabled); running fp32")
        }
        return (self, nil)
    }
}

/// A weight matrix held in bfloat16, packed once into the panels of the bf16 GEMM kernel:
/// W [rows, columns] in PyTorch's linear layout (rows = output features), used as the right
/// operand Wᵀ of `gemm(m:k:a:lda:weight:...)`. Half the memory of the float32 matrix.
///
/// ```swift
/// let w16 = BF16Matrix(weight, rows: 3072, columns: 768)
/// gemm(m: tokens, k: 768, a: x, lda: 768, weight: w16, c: y, ldc: 3072)   // y = x · Wᵀ
/// ```
public struct BF16Matrix: Sendable {
    /// Rows of W (output features, the product's columns).
    public let rows: Int
    /// Columns of W (input features, the product's inner dimension).
    public let columns: Int
    /// W's panels as `bf16_pack_b` lays them out.
    let packed: [UInt16]

    /// W [rows, columns] with row stride `rowStride` (default `columns`), each value rounded to
    /// the nearest bfloat16.
    public init(_ weight: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int? = nil) {
        self.init(rows: rows, columns: columns) { bf16_pack_b($0, weight, rowStride ?? columns, 1, columns, rows) }
    }

    /// W = Bᵀ for B [columns, rows] with row stride `rowStride` (default `rows`): for a right
    /// operand stored the other way round (attention's values, B [tokens, head size]).
    public init(transposing b: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int? = nil) {
        self.init(rows: rows, columns: columns) { bf16_pack_b($0, b, rowStride ?? rows, 0, columns, rows) }
    }

    /// A matrix whose panels `pack` writes (`bf16_packed_b_count(columns, rows)` values).
    private init(rows: Int, columns: Int, pack: (UnsafeMutablePointer<UInt16>?) -> Void) {
        precondition(rows >= 0 && columns >= 0, "negative matrix size \(rows) x \(columns)")
        self.rows = rows
        self.columns = columns
        packed = [UInt16](unsafeUninitializedCapacity: bf16_packed_b_count(columns, rows)) { buffer, count in
            pack(buffer.baseAddress)
            count = buffer.count
        }
    }

    /// W [rows, columns] from an array of rows * columns values.
    public init(_ weight: [Float], rows: Int, columns: Int) {
        precondition(weight.count == rows * columns, "\(weight.count) values for a \(rows) x \(columns) matrix")
        self = weight.withUnsafeBufferPointer { BF16Matrix($0.baseAddress!, rows: rows, columns: columns) }
    }

    /// Bytes the packed matrix holds (padding to whole panels included).
    public var byteCount: Int { packed.count * MemoryLayout<UInt16>.size }
}

/// The bf16 kernel's choice of instructions for this process.
public enum BF16Kernels {
    /// "avx512bf16" (vdpbf16ps) or "portable" (the same sums in plain C, for CPUs without
    /// AVX512_BF16 and for tests).
    public static var instructionSet: String { String(cString: bf16_instruction_set()) }

    /// Whether the CPU runs the kernel with AVX512_BF16 in this process (false while forced portable).
    public static var isAccelerated: Bool { instructionSet == "avx512bf16" }

    /// Runs `body` with the kernel forced to portable C (as on a CPU without AVX512_BF16), then
    /// restores the previous choice. Process-wide: not for use while other threads run products.
    public static func withPortableKernel<T>(_ body: () throws -> T) rethrows -> T {
        let previous = bf16_restrict_to_portable(1)
        defer { _ = bf16_restrict_to_portable(previous) }
        return try body()
    }

    /// bf16(x) as a float: x rounded to the nearest bfloat16 (ties to even), as the kernel rounds
    /// its inputs.
    public static func round(_ x: Float) -> Float { bf16_round(x) }
}

/// C[m, n] = alpha * A[m, k] · W[outputs]ᵀ + beta * C: the bf16 product, with A float32 (converted
/// to bfloat16 on the fly) and W the rows `outputs` (default all, n = outputs.count) of a
/// `BF16Matrix` of `k` columns; float32 accumulation (the rounding bound is in bf16_gemm.c).
/// `lda`, `ldc` are row strides. Large products are split over the cores as `gemm` splits its own.
public func gemm(m: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, weight: BF16Matrix,
                 outputs: Range<Int>? = nil, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let outputs = outputs ?? 0..<weight.rows
    precondition(k == weight.columns, "inner size \(k) against a bf16 matrix of \(weight.columns) columns")
    precondition(outputs.lowerBound >= 0 && outputs.upperBound <= weight.rows,
                 "outputs \(outputs) outside the bf16 matrix's \(weight.rows) rows")
    let n = outputs.count
    if m == 0 || n == 0 { return }
    weight.packed.withUnsafeBufferPointer { packed in
        // Our kernel sums every element in the same order however C is cut (BF16GEMMTests).
        forEachProductBlock(m: m, n: n, k: k, columnGranule: Int(BF16_PANEL_COLUMNS), rowGranule: Int(BF16_TILE_ROWS),
                            columnsExact: true) { rows, columns in
            bf16_gemm(rows.count, columns.count, k, alpha, a + rows.lowerBound * lda, lda, packed.baseAddress,
                      outputs.lowerBound + columns.lowerBound, beta, c + rows.lowerBound * ldc + columns.lowerBound, ldc)
        }
    }
}

/// `matmulForward` with bf16 weights: out[r, o] = Σ_i inp[r, i] W[outputs.lowerBound + o, i] + bias[o]
/// for the rows `outputs` of W (default all); `out` is [rows, outputs.count], `bias` (if any)
/// has outputs.count values.
public func matmulForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: BF16Matrix,
                          outputs: Range<Int>? = nil, bias: UnsafePointer<Float>?, rows: Int) {
    let outputs = outputs ?? 0..<weight.rows
    fillRows(out, with: bias, rows: rows, columns: outputs.count)
    gemm(m: rows, k: weight.columns, a: inp, lda: weight.columns, weight: weight, outputs: outputs,
         beta: bias == nil ? 0 : 1, c: out, ldc: outputs.count)
}
