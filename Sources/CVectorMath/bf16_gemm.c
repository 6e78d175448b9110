// The bfloat16 GEMM: C = alpha A · B + beta C with bfloat16 inputs and float32 accumulation.
//
// Maths. bf16(x) keeps float32's sign and 8-bit exponent and the top 7 of its 23 mantissa bits,
// rounded to nearest even: bf16(x) = x (1 + d), |d| <= 2^-8. The product of two bf16 values has
// at most 16 significant bits, so it is exact in float32; the kernel therefore computes
//   C[i, j] = alpha * sum_k bf16(A[i, k]) bf16(B[k, j]) + beta C[i, j]
// with float32 additions only, in a fixed order: k in blocks of 2 * KC_PAIRS, inside a block
// pair by pair, each pair's odd term added before its even term (vdpbf16ps's order), the
// blocks' partial sums added to C one after another. Against the float32 product the error is
// |sum a b (d_a + d_b + d_a d_b)| <= (2^-7 + 2^-16) sum |a b| from the rounding of the inputs,
// plus float32 accumulation error of the same order as sgemm's.
//
// Layout (GotoBLAS's): B is packed once into panels of 32 columns, each a sequence of
// pairs of rows, 32 columns x 2 rows = 64 bf16 values (two zmm registers); A is converted per
// block of MC rows x 2 KC_PAIRS columns into rows of pairs (bf16(A[i, 2q]), bf16(A[i, 2q + 1]))
// packed in 32 bits (a vector conversion and store, no transpose), so that one broadcast from
// each of a tile's 12 rows feeds a vdpbf16ps. The microkernel holds a 12 x 32 tile of C in 24 zmm accumulators:
//   acc[i][h] += A pair (i, q) · B pair (q, 16h ..< 16h + 16)   (q over the block's pairs).
// A block of k (KC_PAIRS pairs, 1536 values: every k of ViT-B's products but fc2's 3072 in one
// block) keeps C's tiles in registers across the whole sum; the B micro-panel (up to 96 KB) and
// the A block (up to 288 KB) stream from L2. Measured on one Zen 4 core (thread CPU time, 785 x
// 3072 x 768, a throw-away C harness beside cblas_sgemm): 185-190 GFLOP/s against 90 for
// OpenBLAS sgemm; blocks of 128, 192 or 256 pairs, sized for L1, gave 140-170.
#include "bf16_gemm.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define BF16_X86 1
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))
#endif

#define NR BF16_PANEL_COLUMNS
#define MR BF16_TILE_ROWS
#define KC_PAIRS 768
#define MC (8 * MR)

// MARK: conversion

// Round to nearest even, NaN kept quiet, subnormal inputs flushed to zero (as vcvtne2ps2bf16).
static inline uint16_t to_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040u);
    if ((u & 0x7f800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

float bf16_round(float x) { return from_bf16(to_bf16(x)); }

long bf16_packed_b_count(long k, long n) {
    return ((n + NR - 1) / NR) * ((k + 1) / 2) * NR * 2;
}

static int kernel(void);
#ifdef BF16_X86
BF16_TARGET static void pack_b_avx512(uint16_t *packed, const float *b, long ldb, int transposed, long k, long n);
#endif

// Value (row 2q + t, column 32p + j) of op(B) packed at ((p * kq + q) * 32 + j) * 2 + t; zero past k and n.
static void pack_b_portable(uint16_t *packed, const float *b, long ldb, int transposed, long k, long n) {
    long kq = (k + 1) / 2, panels = (n + NR - 1) / NR;
    memset(packed, 0, (size_t)bf16_packed_b_count(k, n) * sizeof *packed);
    for (long p = 0; p < panels; p++)
        for (long q = 0; q < kq; q++) {
            uint16_t *dst = packed + (p * kq + q) * NR * 2;
            for (long t = 0; t < 2 && 2 * q + t < k; t++) {
                long kk = 2 * q + t;
                for (long j = 0; j < NR && p * NR + j < n; j++) {
                    long col = p * NR + j;
                    dst[2 * j + t] = to_bf16(transposed ? b[col * ldb + kk] : b[kk * ldb + col]);
                }
            }
        }
}

void bf16_pack_b(uint16_t *packed, const float *b, long ldb, int transposed, long k, long n) {
#ifdef BF16_X86
    if (kernel() == 2) {
        pack_b_avx512(packed, b, ldb, transposed, k, n);
        return;
    }
#endif
    pack_b_portable(packed, b, ldb, transposed, k, n);
}

// Rows [0, rows) of A, columns [2 q0, 2 (q0 + qc)) clipped to k, as pairs: row r, pair q at
// r * qc + q; rows past `rows`, up to a whole tile of MR, are zero.
static void pack_a_portable(uint32_t *dst, const float *a, long lda, long rows, long k, long q0, long qc) {
    long padded = (rows + MR - 1) / MR * MR;
    for (long r = 0; r < padded; r++)
        for (long q = 0; q < qc; q++) {
            long kk = 2 * (q0 + q);
            uint32_t lo = r < rows && kk < k ? to_bf16(a[r * lda + kk]) : 0;
            uint32_t hi = r < rows && kk + 1 < k ? to_bf16(a[r * lda + kk + 1]) : 0;
            dst[r * qc + q] = lo | hi << 16;
        }
}

// C tile (rows [0, mr), tile columns [jlo, jhi) at c, row stride ldc) from the accumulated
// tile `acc` [MR][NR]: the first k block gives alpha acc + beta C (C not read when beta is 0),
// later blocks add alpha acc.
static void store_tile(float *c, long ldc, const float *acc, long mr, long jlo, long jhi, float alpha,
                       float beta, int first) {
    for (long i = 0; i < mr; i++)
        for (long j = jlo; j < jhi; j++) {
            float v = alpha * acc[i * NR + j];
            float *ci = c + i * ldc + (j - jlo);
            *ci = first ? (beta == 0 ? v : __builtin_fmaf(beta, *ci, v)) : *ci + v;
        }
}

static void tile_portable(long qc, const uint32_t *a, const uint16_t *b, float *c, long ldc, long mr, long jlo,
                          long jhi, float alpha, float beta, int first) {
    float acc[MR * NR] = {0};
    for (long q = 0; q < qc; q++) {
        const uint16_t *bq = b + q * NR * 2;
        for (long i = 0; i < MR; i++) {
            float a0 = from_bf16((uint16_t)(a[i * qc + q] & 0xffffu));
            float a1 = from_bf16((uint16_t)(a[i * qc + q] >> 16));
            for (long j = 0; j < NR; j++) {
                float s = acc[i * NR + j];
                s += a1 * from_bf16(bq[2 * j + 1]);  // exact product: one rounding, as an FMA
                s += a0 * from_bf16(bq[2 * j]);
                acc[i * NR + j] = s;
            }
        }
    }
    store_tile(c, ldc, acc, mr, jlo, jhi, alpha, beta, first);
}

// MARK: AVX512_BF16

#ifdef BF16_X86
BF16_TARGET static void pack_a_avx512(uint32_t *dst, const float *a, long lda, long rows, long k, long q0, long qc) {
    long padded = (rows + MR - 1) / MR * MR;
    for (long r = 0; r < padded; r++) {
        uint32_t *row_pairs = dst + r * qc;
        if (r >= rows) {
            memset(row_pairs, 0, (size_t)qc * sizeof *row_pairs);
            continue;
        }
        const float *row = a + r * lda;
        for (long q = 0; q < qc; q += 16) {
            // 32 floats from column 2 (q0 + q), the ones past k (or past this block) read as zero.
            long kk = 2 * (q0 + q);
            long avail = k - kk, want = 2 * (qc - q < 16 ? qc - q : 16);
            long count = avail < want ? avail : want;
            __mmask16 mlo = count >= 16 ? 0xffff : (__mmask16)((1u << (count > 0 ? count : 0)) - 1);
            __mmask16 mhi = count >= 32 ? 0xffff : (count > 16 ? (__mmask16)((1u << (count - 16)) - 1) : 0);
            __m512 lo = _mm512_maskz_loadu_ps(mlo, row + kk);
            __m512 hi = _mm512_maskz_loadu_ps(mhi, row + kk + 16);
            long n = qc - q < 16 ? qc - q : 16;
            _mm512_mask_storeu_epi32(row_pairs + q, (__mmask16)((1u << n) - 1), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        }
    }
}

// The same layout as pack_b_portable, bit for bit (vcvtne2ps2bf16 rounds as to_bf16 does), with
// vector conversions: per 32-column panel, either (transposed: op(B) = Bᵀ, B's rows are the
// panel's columns) each of the panel's 32 rows of B converted in order, which makes its pairs,
// then the 32 x kq words transposed through an L1 buffer; or (B's rows are op(B)'s rows) rows
// 2q and 2q + 1 converted side by side and their values interleaved into pairs with vpermw.
BF16_TARGET static void pack_b_avx512(uint16_t *packed, const float *b, long ldb, int transposed, long k, long n) {
    long kq = (k + 1) / 2, panels = (n + NR - 1) / NR;
    uint32_t *out = (uint32_t *)packed;   // one word per (pair, column): ((p * kq + q) * 32 + j)
    if (transposed) {
        enum { QB = 64 };                 // pairs per pass: a 32 x 64-word buffer (8 KB)
        uint32_t rows[NR][QB];
        for (long p = 0; p < panels; p++) {
            long cols = n - p * NR < NR ? n - p * NR : NR;
            for (long q0 = 0; q0 < kq; q0 += QB) {
                long qc = kq - q0 < QB ? kq - q0 : QB;
                for (long j = 0; j < NR; j++) {
                    if (j >= cols) { memset(rows[j], 0, sizeof rows[j]); continue; }
                    const float *row = b + (p * NR + j) * ldb;
                    for (long q = 0; q < qc; q += 16) {
                        long kk = 2 * (q0 + q), count = k - kk < 32 ? k - kk : 32;
                        __mmask16 mlo = count >= 16 ? 0xffff : (__mmask16)((1u << count) - 1);
                        __mmask16 mhi = count >= 32 ? 0xffff : (count > 16 ? (__mmask16)((1u << (count - 16)) - 1) : 0);
                        __m512 lo = _mm512_maskz_loadu_ps(mlo, row + kk), hi = _mm512_maskz_loadu_ps(mhi, row + kk + 16);
                        _mm512_storeu_si512(rows[j] + q, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
                    }
                }
                for (long q = 0; q < qc; q++) {
                    uint32_t *dst = out + (p * kq + q0 + q) * NR;
                    for (long j = 0; j < NR; j++) dst[j] = rows[j][q];
                }
            }
        }
        return;
    }
    // Element 2j of a pair's words: bf16 value j of row 2q; element 2j + 1: value j of row 2q + 1
    // (`low` holds row 2q's 16 values, then row 2q + 1's).
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (long p = 0; p < panels; p++) {
        long cols = n - p * NR < NR ? n - p * NR : NR;
        __mmask16 mlo = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
        __mmask16 mhi = cols >= 32 ? 0xffff : (cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0);
        for (long q = 0; q < kq; q++) {
            const float *r0 = b + 2 * q * ldb + p * NR;
            __m512 a0 = _mm512_maskz_loadu_ps(mlo, r0), a1 = _mm512_maskz_loadu_ps(mhi, r0 + 16);
            __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
            if (2 * q + 1 < k) {
                b0 = _mm512_maskz_loadu_ps(mlo, r0 + ldb);
                b1 = _mm512_maskz_loadu_ps(mhi, r0 + ldb + 16);
            }
            __m512i low = (__m512i)_mm512_cvtne2ps_pbh(b0, a0), high = (__m512i)_mm512_cvtne2ps_pbh(b1, a1);
            uint32_t *dst = out + (p * kq + q) * NR;
            _mm512_storeu_si512(dst, _mm512_permutexvar_epi16(interleave, low));
            _mm512_storeu_si512(dst + 16, _mm512_permutexvar_epi16(interleave, high));
        }
    }
}

BF16_TARGET static void tile_avx512(long qc, const uint32_t *a, const uint16_t *b, float *c, long ldc, long mr,
                                    long jlo, long jhi, float alpha, float beta, int first) {
    __m512 acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (long q = 0; q < qc; q++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + q * NR * 2);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + q * NR * 2 + 32);
        const uint32_t *aq = a + q;
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)aq[i * qc]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
    }
    if (mr == MR && jlo == 0 && jhi == NR) {
        __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
        for (int i = 0; i < MR; i++)
            for (int h = 0; h < 2; h++) {
                float *ci = c + i * ldc + 16 * h;
                __m512 v = _mm512_mul_ps(va, acc[i][h]);
                if (!first) v = _mm512_add_ps(_mm512_loadu_ps(ci), v);
                else if (beta != 0) v = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci), v);
                _mm512_storeu_ps(ci, v);
            }
        return;
    }
    float tile[MR * NR];
    for (int i = 0; i < MR; i++) {
        _mm512_storeu_ps(tile + i * NR, acc[i][0]);
        _mm512_storeu_ps(tile + i * NR + 16, acc[i][1]);
    }
    store_tile(c, ldc, tile, mr, jlo, jhi, alpha, beta, first);
}
#endif

// MARK: dispatch

/// 0: not chosen yet, 1: portable, 2: AVX512_BF16.
static atomic_int chosen_kernel;

int bf16_cpu_supported(void) {
#ifdef BF16_X86
    __builtin_cpu_init();
    // avx512f also says that the OS saves the zmm and mask registers (XCR0).
    if (!__builtin_cpu_supports("avx512f")) return 0;
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return 0;
    return (eax >> 5) & 1u;  // CPUID.(EAX=7, ECX=1):EAX[5] = AVX512_BF16
#else
    return 0;
#endif
}

static int kernel(void) {
    int s = atomic_load_explicit(&chosen_kernel, memory_order_relaxed);
    if (s != 0) return s;
    s = bf16_cpu_supported() ? 2 : 1;
    atomic_store_explicit(&chosen_kernel, s, memory_order_relaxed);
    return s;
}

int bf16_restrict_to_portable(int portable) {
    int previous = kernel() == 1;
    atomic_store_explicit(&chosen_kernel, !portable && bf16_cpu_supported() ? 2 : 1, memory_order_relaxed);
    return previous;
}

const char *bf16_instruction_set(void) { return kernel() == 2 ? "avx512bf16" : "portable"; }

// MARK: driver

void bf16_gemm(long m, long n, long k, float alpha, const float *a, long lda, const uint16_t *packed, long n0,
               float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    long kq = (k + 1) / 2;
    if (kq == 0) {  // an empty sum: C = beta C
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
        return;
    }
    int fast = kernel() == 2;
    uint32_t *apack = aligned_alloc(64, (size_t)MC * KC_PAIRS * sizeof(uint32_t));
    if (!apack) abort();
    long pFirst = n0 / NR, pLast = (n0 + n - 1) / NR;
    for (long q0 = 0; q0 < kq; q0 += KC_PAIRS) {
        long qc = kq - q0 < KC_PAIRS ? kq - q0 : KC_PAIRS;
        int first = q0 == 0;
        for (long i0 = 0; i0 < m; i0 += MC) {
            long mc = m - i0 < MC ? m - i0 : MC;
#ifdef BF16_X86
            if (fast) pack_a_avx512(apack, a + i0 * lda, lda, mc, k, q0, qc);
            else
#endif
                pack_a_portable(apack, a + i0 * lda, lda, mc, k, q0, qc);
            for (long p = pFirst; p <= pLast; p++) {
                const uint16_t *bp = packed + (p * kq + q0) * NR * 2;
                long lo = n0 > p * NR ? n0 : p * NR, hi = n0 + n < (p + 1) * NR ? n0 + n : (p + 1) * NR;
                float *cp = c + i0 * ldc + (lo - n0);
                for (long ir = 0; ir < mc; ir += MR) {
                    long mr = mc - ir < MR ? mc - ir : MR;
#ifdef BF16_X86
                    if (fast) {
                        tile_avx512(qc, apack + ir * qc, bp, cp + ir * ldc, ldc, mr, lo - p * NR, hi - p * NR, alpha,
                                    beta, first);
                        continue;
                    }
#endif
                    tile_portable(qc, apack + ir * qc, bp, cp + ir * ldc, ldc, mr, lo - p * NR, hi - p * NR, alpha,
                                  beta, first);
                }
            }
        }
    }
    free(apack);
}
