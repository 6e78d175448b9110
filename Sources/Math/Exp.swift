import CVectorMath

/// exp(x) element-wise over `count` values (Cephes' single-precision scheme, about 1 ulp):
/// x clamped to [-87.3, 88.7]; n = round(x log2(e)) (by adding and subtracting 1.5·2²³, no libm
/// call); r = x - n ln 2 (in two parts); exp(r) ≈ 1 + r + r² P(r) with a degree-5 P;
/// exp(x) = 2ⁿ exp(r). AVX2 + FMA where the CPU has them (`VectorKernels`). `out` may be `inp`.
@inline(__always)
public func expForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    vm_exp(out, inp, count)
}
