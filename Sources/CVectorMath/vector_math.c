// Element-wise and row-wise float kernels: one portable C version of each and one AVX2 + FMA version,
// chosen once per process from the CPU's features. The exp is Cephes' single-precision
// scheme (about 1 ulp), the same in both:
//   x clamped to [-87.3, 88.7]; n = round(x log2 e) (add and subtract 1.5 * 2^23);
//   r = x - n ln 2 (ln 2 in two parts); exp(r) ~ 1 + r + r^2 P(r) with P of degree 5;
//   exp(x) = 2^n exp(r), 2^n built in the exponent field.
#include "vector_math.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VM_X86 1
#endif

#define VM_LOG2E 1.44269504088896341f
#define VM_SHIFT 12582912.0f /* 1.5 * 2^23 */
#define VM_LN2_HI 0.693359375f
#define VM_LN2_LO 2.12194440e-4f
#define VM_P0 1.9875691500e-4f
#define VM_P1 1.3981999507e-3f
#define VM_P2 8.3334519073e-3f
#define VM_P3 4.1665795894e-2f
#define VM_P4 1.6666665459e-1f
#define VM_P5 5.0000001201e-1f

static inline float exp_scalar(float x) {
    x = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
    float shifted = x * VM_LOG2E + VM_SHIFT;
    float n = shifted - VM_SHIFT;
    float r = x - n * VM_LN2_HI + n * VM_LN2_LO;
    float p = VM_P0;
    p = p * r + VM_P1;
    p = p * r + VM_P2;
    p = p * r + VM_P3;
    p = p * r + VM_P4;
    p = p * r + VM_P5;
    float y = p * (r * r) + r + 1.0f;
    uint32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    // The low mantissa bits of `shifted` hold n + 2^22; 2^n has exponent field n + 127.
    uint32_t scale_bits = (bits - 0x4B400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return y * scale;
}

// MARK: portable

static void exp_portable(float *out, const float *inp, long count) {
    for (long i = 0; i < count; i++) out[i] = exp_scalar(inp[i]);
}

// The sum of eight lanes, in a fixed pairwise order.
static inline float sum_lanes(const float l[8]) {
    return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
}

// Eight running maxima and sums (reductions in a fixed order the compiler can vectorise).
static float max_portable(const float *x, long count) {
    float m8[8];
    for (int l = 0; l < 8; l++) m8[l] = -__builtin_inff();
    long i = 0;
    for (; i + 8 <= count; i += 8)
        for (int l = 0; l < 8; l++) m8[l] = x[i + l] > m8[l] ? x[i + l] : m8[l];
    float mx = m8[0];
    for (int l = 1; l < 8; l++) mx = m8[l] > mx ? m8[l] : mx;
    for (; i < count; i++) mx = x[i] > mx ? x[i] : mx;
    return mx;
}

static float sum_portable(const float *x, long count) {
    float s8[8] = {0};
    long i = 0;
    for (; i + 8 <= count; i += 8)
        for (int l = 0; l < 8; l++) s8[l] += x[i + l];
    float sum = sum_lanes(s8);
    for (; i < count; i++) sum += x[i];
    return sum;
}

static float softmax_row_portable(float *x, long count) {
    float mx = max_portable(x, count);
    for (long i = 0; i < count; i++) x[i] -= mx;
    exp_portable(x, x, count);
    return sum_portable(x, count);
}

static void quick_gelu_portable(float *out, const float *inp, long count) {
    for (long i = 0; i < count; i++) out[i] = inp[i] / (1.0f + exp_scalar(-1.702f * inp[i]));
}

// dx[i] += dy[i] (s + 1.702 x s (1 - s)), s = 1 / (1 + exp(-1.702 x)): QuickGELU's gradient.
static void quick_gelu_backward_portable(float *dx, const float *dy, const float *x, long count) {
    for (long i = 0; i < count; i++) {
        float s = 1.0f / (1.0f + exp_scalar(-1.702f * x[i]));
        dx[i] += dy[i] * (s + 1.702f * x[i] * s * (1.0f - s));
    }
}

static void layer_norm_row_portable(float *out, float *mean, float *rstd, const float *x, const float *w,
                                    const float *b, long n, float eps) {
    float m = sum_portable(x, n) / (float)n;
    float v8[8] = {0};
    long c = 0;
    for (; c + 8 <= n; c += 8)
        for (int l = 0; l < 8; l++) v8[l] += (x[c + l] - m) * (x[c + l] - m);
    float var = sum_lanes(v8);
    for (; c < n; c++) var += (x[c] - m) * (x[c] - m);
    float s = 1.0f / __builtin_sqrtf(var / (float)n + eps);
    for (c = 0; c < n; c++) out[c] = (x[c] - m) * s * w[c] + b[c];
    if (mean) *mean = m;
    if (rstd) *rstd = s;
}

// MARK: AVX2 + FMA

#ifdef VM_X86
#define VM_AVX2 __attribute__((target("avx2,fma")))

VM_AVX2 static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.7f));
    __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(VM_LOG2E), _mm256_set1_ps(VM_SHIFT));
    __m256 n = _mm256_sub_ps(shifted, _mm256_set1_ps(VM_SHIFT));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(VM_LN2_HI), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(VM_LN2_LO), r);
    __m256 p = _mm256_set1_ps(VM_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(VM_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(VM_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(VM_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(VM_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(VM_P5));
    __m256 y = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000 - 127));
    return _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(e, 23)));
}

VM_AVX2 static void exp_avx2(float *out, const float *inp, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, exp8(_mm256_loadu_ps(inp + i)));
    for (; i < count; i++) out[i] = exp_scalar(inp[i]);
}

VM_AVX2 static float softmax_row_avx2(float *x, long count) {
    __m256 m8 = _mm256_set1_ps(-__builtin_inff());
    long i = 0;
    for (; i + 8 <= count; i += 8) m8 = _mm256_max_ps(m8, _mm256_loadu_ps(x + i));
    float lanes[8];
    _mm256_storeu_ps(lanes, m8);
    float mx = lanes[0];
    for (int l = 1; l < 8; l++) mx = lanes[l] > mx ? lanes[l] : mx;
    for (; i < count; i++) mx = x[i] > mx ? x[i] : mx;

    __m256 vmx = _mm256_set1_ps(mx);
    __m256 s8 = _mm256_setzero_ps();
    i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmx));
        _mm256_storeu_ps(x + i, e);
        s8 = _mm256_add_ps(s8, e);
    }
    _mm256_storeu_ps(lanes, s8);
    float sum = sum_lanes(lanes);
    for (; i < count; i++) {
        x[i] = exp_scalar(x[i] - mx);
        sum += x[i];
    }
    return sum;
}

VM_AVX2 static void quick_gelu_avx2(float *out, const float *inp, long count) {
    long i = 0;
    const __m256 k = _mm256_set1_ps(-1.702f), one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= count; i += 8) {
        __m256 x = _mm256_loadu_ps(inp + i);
        _mm256_storeu_ps(out + i, _mm256_div_ps(x, _mm256_add_ps(one, exp8(_mm256_mul_ps(k, x)))));
    }
    for (; i < count; i++) out[i] = inp[i] / (1.0f + exp_scalar(-1.702f * inp[i]));
}

VM_AVX2 static void quick_gelu_backward_avx2(float *dx, const float *dy, const float *x, long count) {
    long i = 0;
    const __m256 k = _mm256_set1_ps(-1.702f), k2 = _mm256_set1_ps(1.702f), one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= count; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_mul_ps(k, v))));
        __m256 slope = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_mul_ps(k2, v), s), _mm256_sub_ps(one, s), s);
        _mm256_storeu_ps(dx + i, _mm256_fmadd_ps(_mm256_loadu_ps(dy + i), slope, _mm256_loadu_ps(dx + i)));
    }
    quick_gelu_backward_portable(dx + i, dy + i, x + i, count - i);
}

VM_AVX2 static inline float sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

VM_AVX2 static void layer_norm_row_avx2(float *out, float *mean, float *rstd, const float *x, const float *w,
                                        const float *b, long n, float eps) {
    __m256 s8 = _mm256_setzero_ps();
    long c = 0;
    for (; c + 8 <= n; c += 8) s8 = _mm256_add_ps(s8, _mm256_loadu_ps(x + c));
    float sum = sum8(s8);
    for (; c < n; c++) sum += x[c];
    float m = sum / (float)n;
    __m256 vm = _mm256_set1_ps(m), v8 = _mm256_setzero_ps();
    c = 0;
    for (; c + 8 <= n; c += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + c), vm);
        v8 = _mm256_fmadd_ps(d, d, v8);
    }
    float var = sum8(v8);
    for (; c < n; c++) var += (x[c] - m) * (x[c] - m);
    float s = 1.0f / __builtin_sqrtf(var / (float)n + eps);
    __m256 vs = _mm256_set1_ps(s);
    c = 0;
    for (; c + 8 <= n; c += 8) {
        __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + c), vm), vs);
        _mm256_storeu_ps(out + c, _mm256_fmadd_ps(xhat, _mm256_loadu_ps(w + c), _mm256_loadu_ps(b + c)));
    }
    for (; c < n; c++) out[c] = (x[c] - m) * s * w[c] + b[c];
    if (mean) *mean = m;
    if (rstd) *rstd = s;
}
#endif

// MARK: dispatch

/// 0: not chosen yet, 1: portable, 2: AVX2 + FMA.
static atomic_int chosen_set;

static int instruction_set(void) {
    int s = atomic_load_explicit(&chosen_set, memory_order_relaxed);
    if (s != 0) return s;
    s = 1;
#ifdef VM_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) s = 2;
#endif
    atomic_store_explicit(&chosen_set, s, memory_order_relaxed);
    return s;
}

void vm_exp(float *out, const float *inp, long count) {
#ifdef VM_X86
    if (instruction_set() == 2) { exp_avx2(out, inp, count); return; }
#endif
    exp_portable(out, inp, count);
}

float vm_softmax_row_unnormalised(float *x, long count) {
#ifdef VM_X86
    if (instruction_set() == 2) return softmax_row_avx2(x, count);
#endif
    return softmax_row_portable(x, count);
}

void vm_quick_gelu(float *out, const float *inp, long count) {
#ifdef VM_X86
    if (instruction_set() == 2) { quick_gelu_avx2(out, inp, count); return; }
#endif
    quick_gelu_portable(out, inp, count);
}

void vm_quick_gelu_backward(float *dx, const float *dy, const float *x, long count) {
#ifdef VM_X86
    if (instruction_set() == 2) { quick_gelu_backward_avx2(dx, dy, x, count); return; }
#endif
    quick_gelu_backward_portable(dx, dy, x, count);
}

void vm_layer_norm_row(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                       const float *bias, long channels, float eps) {
#ifdef VM_X86
    if (instruction_set() == 2) { layer_norm_row_avx2(out, mean, rstd, inp, weight, bias, channels, eps); return; }
#endif
    layer_norm_row_portable(out, mean, rstd, inp, weight, bias, channels, eps);
}

int vm_restrict_to_portable(int portable) {
    int previous = instruction_set() == 1;
    int s = 1;
#ifdef VM_X86
    if (!portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) s = 2;
#endif
    atomic_store_explicit(&chosen_set, s, memory_order_relaxed);
    return previous;
}

const char *vm_instruction_set(void) {
    return instruction_set() == 2 ? "avx2+fma" : "portable";
}
