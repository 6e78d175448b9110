// Element-wise and row-wise float kernels with a run-time choice of instruction set: AVX2 + FMA where the
// CPU has them, portable C elsewhere. Both compute the same maths (Cephes' single-precision
// exp, about 1 ulp); results may differ in the last bit between the two paths (FMA rounding).
#ifndef RECLIP_VECTOR_MATH_H
#define RECLIP_VECTOR_MATH_H

#ifdef __cplusplus
extern "C" {
#endif

/// out[i] = exp(inp[i]) for i < count; `out` may equal `inp`.
void vm_exp(float *out, const float *inp, long count);

/// In place over one row: x[j] = exp(x[j] - max_j' x[j']); returns the sum of the new x[j].
float vm_softmax_row_unnormalised(float *x, long count);

/// out[i] = inp[i] / (1 + exp(-1.702 inp[i])) (QuickGELU); `out` may equal `inp`.
void vm_quick_gelu(float *out, const float *inp, long count);

/// dx[i] += dy[i] * QuickGELU'(x[i]) = dy[i] (s + 1.702 x s (1 - s)), s = 1 / (1 + exp(-1.702 x)).
void vm_quick_gelu_backward(float *dx, const float *dy, const float *x, long count);

/// LayerNorm of one row of `channels` values: out[c] = (x[c] - mean) * rstd * weight[c] + bias[c],
/// rstd = 1 / sqrt(mean((x - mean)^2) + eps); `mean` and `rstd` receive the statistics when not
/// NULL. `out` may equal `inp`.
void vm_layer_norm_row(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                       const float *bias, long channels, float eps);

/// The instruction set the kernels use in this process: "avx2+fma" or "portable".
const char *vm_instruction_set(void);

/// Restricts the kernels to portable C (nonzero) or lets them use the best the CPU has (0),
/// for tests and benchmarks that compare the two; returns the previous restriction.
int vm_restrict_to_portable(int portable);

#ifdef __cplusplus
}
#endif

#endif
