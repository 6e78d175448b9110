// A bfloat16 matrix product with float32 accumulation: C = alpha A · B + beta C, A float32 and
// converted to bfloat16 on the fly, B packed once into the kernel's panels (weights are packed at
// load). AVX512_BF16 (vdpbf16ps) where the CPU has it, portable C elsewhere; both compute the same
// sums in the same order (a product of two bfloat16 values is exact in float32).
#ifndef RECLIP_BF16_GEMM_H
#define RECLIP_BF16_GEMM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Columns of one packed panel of B (two 16-lane float32 vectors of C).
#define BF16_PANEL_COLUMNS 32
/// Rows of C one microkernel call produces.
#define BF16_TILE_ROWS 12

/// The number of uint16 values `bf16_pack_b` writes for a B of k rows and n columns:
/// ceil(n / 32) panels of ceil(k / 2) pairs of rows, 32 columns each, zero-padded.
long bf16_packed_b_count(long k, long n);

/// Packs op(B) [k, n] (B is [n, k] with row stride ldb when `transposed`, else [k, n]) into
/// `packed`: panel p, pair q, column j, parity t at ((p * ceil(k/2) + q) * 32 + j) * 2 + t holds
/// bf16(op(B)[2q + t, 32p + j]), rounded to nearest even; the padding is zero.
void bf16_pack_b(uint16_t *packed, const float *b, long ldb, int transposed, long k, long n);

/// C[m, n] = alpha * A[m, k] · B[k, n0 ..< n0 + n] + beta * C (beta = 0 does not read C), row-major
/// with row strides lda and ldc; `packed` is a whole B of `k` rows from `bf16_pack_b`, of which
/// the columns n0 ..< n0 + n are used. One thread; callers split large products.
void bf16_gemm(long m, long n, long k, float alpha, const float *a, long lda, const uint16_t *packed, long n0,
               float beta, float *c, long ldc);

/// bf16(x) widened back to float32 (round to nearest even, as the packing and the kernel do).
float bf16_round(float x);

/// The kernel used in this process: "avx512bf16" or "portable".
const char *bf16_instruction_set(void);

/// Nonzero when the CPU (and the OS) let the kernel use AVX512_BF16.
int bf16_cpu_supported(void);

/// Restricts the kernel to portable C (nonzero) or lets it use AVX512_BF16 where available (0),
/// for tests that compare the two or force the fallback; returns the previous restriction.
int bf16_restrict_to_portable(int portable);

#ifdef __cplusplus
}
#endif

#endif
