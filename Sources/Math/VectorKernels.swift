import CVectorMath

/// The instruction set of the vector kernels (exp, softmax rows, QuickGELU, LayerNorm rows).
public enum VectorKernels {
    /// "avx2+fma" or "portable", as chosen for this process.
    public static var instructionSet: String { String(cString: vm_instruction_set()) }

    /// Runs `body` with the kernels restricted to portable C (for comparisons), then restores
    /// the previous choice. Process-wide: not for use while other threads run kernels.
    public static func withPortableKernels<T>(_ body: () throws -> T) rethrows -> T {
        let previous = vm_restrict_to_portable(1)
        defer { _ = vm_restrict_to_portable(previous) }
        return try body()
    }
}
