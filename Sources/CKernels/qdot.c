// Matrix-vector products of quantised weights with inputs rounded to 16-bit integers per block
// of 32 (lk_qgemm_quantize's rounding, in plain C): the weights' integer levels meet the input's
// in integer dot products and only each block's sum is scaled in float, so a decode step is bound
// by reading the weights, not by converting them to floats. Levels that fit a byte meet the
// input's two bytes in u8 × s8 products (vpmaddubsw on AVX2, vpdpbusd on AVX-512 VNNI), eight rows
// a pass; Q6_K's (and Q8_0's on AVX2) meet the 16-bit input in vpmaddwd / vpdpwssd. (Inputs rounded to int8, as llama.cpp's Q8 activations, moved the default model's top
// logits by up to 0.65 from transformers' and changed its greedy text; 16 bits keep them within 0.01.)
#include "ckernels.h"
#include "quant_blocks.h"
#include <math.h>
#include <stdlib.h>

// lk_quantize_rows in plain C: the reference, and the path on CPUs without AVX2.
static void quantize_rows_scalar(const float *x, size_t xStride, size_t n, size_t cols, int16_t *q, uint8_t *bytes, float *scale, float *sum) {
    const size_t blocks = cols / 32;
    for (size_t t = 0; t < n; t++) {
        for (size_t b = 0; b < blocks; b++) {
            const float *v = x + t * xStride + 32 * b;
            int16_t *qb = q + t * cols + 32 * b;
            float peak = 0;
            for (int i = 0; i < 32; i++) peak = fmaxf(peak, fabsf(v[i]));
            // Rounded to nearest, ties to even, as vcvtps2dq rounds in lk_qgemm_quantize.
            const float inverse = peak > 0 ? LK_ROWS_LIMIT / peak : 0, d = peak / LK_ROWS_LIMIT;
            int total = 0;
            for (int i = 0; i < 32; i++) { qb[i] = (int16_t)lrintf(v[i] * inverse); total += qb[i]; }
            for (int i = 0; i < 32; i++) { // q = 256·hi + lo
                bytes[2 * cols * t + 32 * b + (size_t)i] = (uint8_t)(qb[i] >> 8);
                bytes[2 * cols * t + cols + 32 * b + (size_t)i] = (uint8_t)(qb[i] & 0xff);
            }
            scale[t * blocks + b] = d;
            sum[t * blocks + b] = d * (float)total;
        }
    }
}

int lk_rows_available(uint32_t type) {
    return type == T_Q4_0 || type == T_Q4_1 || type == T_Q8_0 || type == T_Q4_K || type == T_Q5_K || type == T_Q6_K;
}

// The reference: each block's levels from block_levels (as the 16-bit matrix products use them),
// an exact integer sum (Q6_K's per 16 values: its two halves' sums can pass 2^31 together), then
// s = fma(Σ level·q, d_w·d_x, s) (per half for Q6_K) and s = fma(m_w, d_x·Σ q, s) in block order.
// The SIMD kernels and lk_qgemm_rows round the same way: a row's result is the same bits in each.
static void rows_scalar(uint32_t type, const uint8_t *w, size_t rowBytes, size_t grouped, size_t row0, size_t row1, size_t cols,
                        const int16_t *xq, const float *scale, const float *sum, size_t n, float *y, size_t yStride, int accumulate) {
    const size_t blocks = cols / 32;
    const int parts = type == T_Q6_K ? 2 : 1;
    for (size_t r = row0; r < row1; r++) {
        for (size_t t = 0; t < n; t++) {
            float s = 0;
            for (size_t b = 0; b < blocks; b++) {
                int16_t level[32];
                float d, m;
                matrix_block_levels(type, w, rowBytes, grouped, r, b, level, &d, &m);
                const int16_t *xb = xq + t * cols + 32 * b;
                for (int part = 0; part < parts; part++) {
                    int32_t dot = 0;
                    for (int i = part * 32 / parts; i < (part + 1) * 32 / parts; i++) dot += (int32_t)level[i] * xb[i];
                    s = fmaf((float)dot, d * scale[t * blocks + b], s);
                }
                s = fmaf(m, sum[t * blocks + b], s);
            }
            float *o = y + t * yStride + (r - row0);
            *o = accumulate ? *o + s : s;
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// quantize_rows_scalar's bits by vectors: the peak of |v| is exact in any order, vcvtps2dq rounds as
// lrintf does, and the levels' integer sum is exact. (Scalar, it took about 2 % of a decode step on
// one thread, while the other threads wait.)
__attribute__((target("avx2,fma"))) static void quantize_rows_avx2(const float *x, size_t xStride, size_t n, size_t cols, int16_t *q,
                                                                   uint8_t *bytes, float *scale, float *sum) {
    const size_t blocks = cols / 32;
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256i low = _mm256_set1_epi16(0xff);
    for (size_t t = 0; t < n; t++) {
        for (size_t b = 0; b < blocks; b++) {
            const float *v = x + t * xStride + 32 * b;
            __m256 a[4];
            for (int i = 0; i < 4; i++) a[i] = _mm256_loadu_ps(v + 8 * i);
            const __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(a[0], magnitude), _mm256_and_ps(a[1], magnitude)),
                                           _mm256_max_ps(_mm256_and_ps(a[2], magnitude), _mm256_and_ps(a[3], magnitude)));
            __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
            h = _mm_max_ps(h, _mm_movehl_ps(h, h));
            const float peak = _mm_cvtss_f32(_mm_max_ss(h, _mm_shuffle_ps(h, h, 1)));
            const float inverse = peak > 0 ? LK_ROWS_LIMIT / peak : 0, d = peak / LK_ROWS_LIMIT;
            __m256i l[4];
            for (int i = 0; i < 4; i++) l[i] = _mm256_cvtps_epi32(_mm256_mul_ps(a[i], _mm256_set1_ps(inverse)));
            // packs interleaves its operands' 128-bit lanes; the permutes restore value order.
            const __m256i q0 = _mm256_permute4x64_epi64(_mm256_packs_epi32(l[0], l[1]), 0xd8);
            const __m256i q1 = _mm256_permute4x64_epi64(_mm256_packs_epi32(l[2], l[3]), 0xd8);
            _mm256_storeu_si256((__m256i *)(q + t * cols + 32 * b), q0);
            _mm256_storeu_si256((__m256i *)(q + t * cols + 32 * b + 16), q1);
            const __m256i hi = _mm256_packs_epi16(_mm256_srai_epi16(q0, 8), _mm256_srai_epi16(q1, 8));
            const __m256i lo = _mm256_packus_epi16(_mm256_and_si256(q0, low), _mm256_and_si256(q1, low));
            _mm256_storeu_si256((__m256i *)(bytes + 2 * cols * t + 32 * b), _mm256_permute4x64_epi64(hi, 0xd8));
            _mm256_storeu_si256((__m256i *)(bytes + 2 * cols * t + cols + 32 * b), _mm256_permute4x64_epi64(lo, 0xd8));
            const __m256i s = _mm256_add_epi32(_mm256_add_epi32(l[0], l[1]), _mm256_add_epi32(l[2], l[3]));
            __m128i r = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
            r = _mm_add_epi32(r, _mm_shuffle_epi32(r, 0x4e));
            r = _mm_add_epi32(r, _mm_shuffle_epi32(r, 0xb1));
            scale[t * blocks + b] = d;
            sum[t * blocks + b] = d * (float)_mm_cvtsi128_si32(r);
        }
    }
}

#define QDOT_NAME(name) name##_avx2
#define QDOT_TARGET __attribute__((target("avx2,fma,f16c")))
// 8 int32 sums of the products of 16 int16 pairs, added to acc.
#define QDOT_DOT(acc, w, x) _mm256_add_epi32(acc, _mm256_madd_epi16(w, x))
// acc + the 8 int32 sums of the u8 × s8 products of (u0, s0) and (u1, s1), 4 per lane each. Exact
// where each pair of products, and the two pairs' sum, stays within int16 (levels of 4 bits).
#define QDOT_DOTB2(acc, u0, s0, u1, s1) \
    _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(u0, s0), _mm256_maddubs_epi16(u1, s1)), _mm256_set1_epi16(1)))
// Q8_0's levels overflow vpmaddubsw's 16-bit pairs: four rows a pass, 16-bit products.
#define QDOT_Q8_0 QDOT_GROUP
#include "qdot_kernels.h"
#undef QDOT_NAME
#undef QDOT_TARGET
#undef QDOT_DOT
#undef QDOT_DOTB2
#undef QDOT_Q8_0

#define QDOT_NAME(name) name##_vnni
#define QDOT_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#define QDOT_DOT(acc, w, x) _mm256_dpwssd_epi32(acc, w, x)
#define QDOT_DOTB2(acc, u0, s0, u1, s1) _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(acc, u0, s0), u1, s1)
#define QDOT_Q8_0 QDOT_EIGHT
#define QDOT_VNNI_INTER 1 // Q8_0 and Q6_K interleaved (lk_interleaved_rows): AVX2 reads them through rows_q_avx2's fallback
#include "qdot_kernels.h"
#define LK_QDOT_SIMD 1
#endif

void lk_quantize_rows(const float *x, size_t xStride, size_t n, size_t cols, int16_t *q, uint8_t *bytes, float *scale, float *sum) {
#ifdef LK_QDOT_SIMD
    if (lk_cpu_level() >= LK_CPU_AVX2) {
        quantize_rows_avx2(x, xStride, n, cols, q, bytes, scale, sum);
        return;
    }
#endif
    quantize_rows_scalar(x, xStride, n, cols, q, bytes, scale, sum);
}

void lk_multiply_rows_quantized(uint32_t type, const void *w, size_t rowBytes, size_t grouped, size_t row0, size_t row1, size_t cols,
                                const int16_t *xq, const uint8_t *xbytes, const float *scale, const float *sum, size_t n, float *y,
                                size_t yStride, int accumulate) {
#ifdef LK_QDOT_SIMD
    const int level = lk_cpu_level();
    void (*const rows_q)(uint32_t, int, const void *, size_t, size_t, size_t, const int16_t *, const uint8_t *, const float *,
                         const float *, size_t, float *, size_t, int) = level >= LK_CPU_AVX512 ? rows_q_vnni : level >= LK_CPU_AVX2 ? rows_q_avx2 : NULL;
    if (rows_q) {
        const uint8_t *base = w;
        const size_t blocks = cols / 32;
        for (size_t r = row0; r < row1;) {
            if (r >= grouped) { // rows as they are
                rows_q(type, 0, base + r * rowBytes, rowBytes, row1 - r, cols, xq, xbytes, scale, sum, n, y + (r - row0), yStride, accumulate);
                break;
            }
            const size_t g = r / 8 * 8, end = row1 < grouped ? row1 : grouped;
            if ((type == T_Q8_0 || type == T_Q6_K) && rows_q != rows_q_vnni) {
                // Q8_0 or Q6_K interleaved where AVX-512 VNNI was there at load, read here under a lower
                // cap (tests): AVX2 has no eight-row kernel for them, so the rows go back to the file's layout.
                uint8_t *copy = malloc((end - r) * rowBytes);
                lk_deinterleave_rows(type, w, rowBytes, grouped, r, end, copy);
                rows_q(type, 0, copy, rowBytes, end - r, cols, xq, xbytes, scale, sum, n, y + (r - row0), yStride, accumulate);
                free(copy);
                r = end;
                continue;
            }
            if (g == r && end - r >= 8) { // whole interleaved groups
                const size_t whole = (end - r) / 8 * 8;
                rows_q(type, 1, base + r * rowBytes, rowBytes, whole, cols, xq, xbytes, scale, sum, n, y + (r - row0), yStride, accumulate);
                r += whole;
                continue;
            }
            // Part of a group: the whole group into `out`, four inputs at a time, then the rows asked for.
            const size_t last = g + 8 < row1 ? g + 8 : row1;
            for (size_t t0 = 0; t0 < n; t0 += 4) {
                const size_t k = n - t0 < 4 ? n - t0 : 4;
                float out[4 * 8];
                rows_q(type, 1, base + g * rowBytes, rowBytes, 8, cols, xq + t0 * cols, xbytes + 2 * t0 * cols, scale + t0 * blocks,
                       sum + t0 * blocks, k, out, 8, 0);
                for (size_t t = 0; t < k; t++) {
                    for (size_t i = r; i < last; i++) {
                        float *o = y + (t0 + t) * yStride + (i - row0);
                        *o = accumulate ? *o + out[8 * t + i - g] : out[8 * t + i - g];
                    }
                }
            }
            r = last;
        }
        return;
    }
#endif
    (void)xbytes;
    rows_scalar(type, w, rowBytes, grouped, row0, row1, cols, xq, scale, sum, n, y, yStride, accumulate);
}
