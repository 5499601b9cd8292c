#include "ckernels.h"
#include "quant_blocks.h"
#include <math.h>
#include <string.h>
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>
#define LK_AVX2 1
#endif

// The SIMD paths (LK_AVX2) run when lk_cpu_level() allows, chosen once per call; the plain C next to
// each is the reference they are tested against and what runs on other CPUs.


static inline float fp16(const uint8_t *p, int simd) {
    uint16_t h; memcpy(&h, p, 2);
#ifdef LK_AVX2
    if (simd) return _cvtsh_ss(h);
#endif
    return half_to_float(h);
}

// ---- dequantisation, one routine per type ----

static void deq_q8_0(const uint8_t *p, float *y, int simd) { // d, 32 x int8
    const float d = fp16(p, simd);
#ifdef LK_AVX2
    if (simd) {
        const __m256 vd = _mm256_set1_ps(d);
        for (int i = 0; i < 32; i += 8) {
            __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + 2 + i)));
            _mm256_storeu_ps(y + i, _mm256_mul_ps(vd, _mm256_cvtepi32_ps(q)));
        }
        return;
    }
#endif
    for (int i = 0; i < 32; i++) y[i] = d * (int8_t)p[2 + i];
}

// Q4_0 / Q4_1: value j is the low nibble of byte j, value j+16 the high nibble.
static void deq_q4(const uint8_t *qs, float d, float m, float *y, int simd) {
#ifdef LK_AVX2
    if (simd) {
        const __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
        const __m128i bytes = _mm_loadu_si128((const __m128i *)qs);
        const __m128i mask = _mm_set1_epi8(0x0f);
        const __m128i lo = _mm_and_si128(bytes, mask), hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
        _mm256_storeu_ps(y + 0, _mm256_fmadd_ps(vd, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo)), vm));
        _mm256_storeu_ps(y + 8, _mm256_fmadd_ps(vd, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8))), vm));
        _mm256_storeu_ps(y + 16, _mm256_fmadd_ps(vd, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi)), vm));
        _mm256_storeu_ps(y + 24, _mm256_fmadd_ps(vd, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8))), vm));
        return;
    }
#endif
    for (int j = 0; j < 16; j++) { y[j] = fmaf(d, qs[j] & 0xf, m); y[j + 16] = fmaf(d, qs[j] >> 4, m); }
}

static void deq_q4_0(const uint8_t *p, float *y, int simd) { float d = fp16(p, simd); deq_q4(p + 2, d, -8 * d, y, simd); } // d·(q−8)
static void deq_q4_1(const uint8_t *p, float *y, int simd) { deq_q4(p + 4, fp16(p, simd), fp16(p + 2, simd), y, simd); } // d·q + m

// 32 values d·q − m from 32 bytes of 5-bit-or-less unsigned values.
static inline void affine32(const uint8_t *q, float d, float m, float *y, int simd) {
#ifdef LK_AVX2
    if (simd) {
        const __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
        for (int i = 0; i < 32; i += 8) {
            __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(q + i))));
            _mm256_storeu_ps(y + i, _mm256_fmsub_ps(vd, f, vm));
        }
        return;
    }
#endif
    for (int i = 0; i < 32; i++) y[i] = fmaf(d, q[i], -m);
}

// Q4_K: d, dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles in 4 groups of 64 values.
static void deq_q4_K(const uint8_t *p, float *y, int simd) {
    const float d = fp16(p, simd), dmin = fp16(p + 2, simd);
    const uint8_t *scales = p + 4, *qs = p + 16;
    uint8_t lo[32], hi[32], sc, m;
    for (int g = 0; g < 4; g++, qs += 32, y += 64) {
        for (int l = 0; l < 32; l++) { lo[l] = qs[l] & 0xf; hi[l] = qs[l] >> 4; }
        scale_min_k4(2 * g, scales, &sc, &m);     affine32(lo, d * sc, dmin * m, y, simd);
        scale_min_k4(2 * g + 1, scales, &sc, &m); affine32(hi, d * sc, dmin * m, y + 32, simd);
    }
}

// Q5_K: as Q4_K plus 32 bytes of fifth bits: bit 2g of qh[l] for the low half of group g, bit 2g+1 for the high half.
static void deq_q5_K(const uint8_t *p, float *y, int simd) {
    const float d = fp16(p, simd), dmin = fp16(p + 2, simd);
    const uint8_t *scales = p + 4, *qh = p + 16, *qs = p + 48;
    uint8_t lo[32], hi[32], sc, m;
    for (int g = 0; g < 4; g++, qs += 32, y += 64) {
        const uint8_t u1 = 1 << (2 * g), u2 = 2 << (2 * g);
        for (int l = 0; l < 32; l++) {
            lo[l] = (qs[l] & 0xf) + ((qh[l] & u1) ? 16 : 0);
            hi[l] = (qs[l] >> 4) + ((qh[l] & u2) ? 16 : 0);
        }
        scale_min_k4(2 * g, scales, &sc, &m);     affine32(lo, d * sc, dmin * m, y, simd);
        scale_min_k4(2 * g + 1, scales, &sc, &m); affine32(hi, d * sc, dmin * m, y + 32, simd);
    }
}

// Q6_K: 128 bytes low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, d; y = d·scale·(q − 32).
// Two halves of 128 values; in each, value l + 32k (l < 32) takes scale 2k + l/16.
static void deq_q6_K(const uint8_t *p, float *y, int simd) {
    const float d = fp16(p + 208, simd);
    const uint8_t *ql = p, *qh = p + 128;
    const int8_t *sc = (const int8_t *)(p + 192);
    for (int n = 0; n < 2; n++, ql += 64, qh += 32, sc += 8, y += 128) {
#ifdef LK_AVX2
        if (simd) {
            const __m256i m4 = _mm256_set1_epi8(0x0f), m2 = _mm256_set1_epi8(3), off = _mm256_set1_epi8(32);
            const __m256i a = _mm256_loadu_si256((const __m256i *)ql), b = _mm256_loadu_si256((const __m256i *)(ql + 32));
            const __m256i h = _mm256_loadu_si256((const __m256i *)qh);
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(a, m4), _mm256_slli_epi16(_mm256_and_si256(h, m2), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(b, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m2), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(a, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m2), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m2), 4));
            for (int k = 0; k < 4; k++) {
                const __m256i v = _mm256_sub_epi8(q[k], off);
                const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
                const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
                for (int c = 0; c < 4; c++) {
                    const __m256 s = _mm256_set1_ps(d * sc[2 * k + c / 2]);
                    _mm256_storeu_ps(y + 32 * k + 8 * c, _mm256_mul_ps(s, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[c]))));
                }
            }
            continue;
        }
#endif
        for (int l = 0; l < 32; l++) {
            const int is = l / 16;
            y[l] = d * sc[is] * ((int8_t)((ql[l] & 0xf) | ((qh[l] & 3) << 4)) - 32);
            y[l + 32] = d * sc[is + 2] * ((int8_t)((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32);
            y[l + 64] = d * sc[is + 4] * ((int8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            y[l + 96] = d * sc[is + 6] * ((int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

static void deq_f16(const uint8_t *p, float *y, size_t n, int simd) {
    size_t i = 0;
#ifdef LK_AVX2
    if (simd) for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i))));
#endif
    for (; i < n; i++) y[i] = fp16(p + 2 * i, simd);
}

static void deq_bf16(const uint8_t *p, float *y, size_t n, int simd) {
    size_t i = 0;
#ifdef LK_AVX2
    if (simd) {
        for (; i + 8 <= n; i += 8) {
            __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 2 * i)));
            _mm256_storeu_ps(y + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
        }
    }
#endif
    for (; i < n; i++) { uint16_t h; memcpy(&h, p + 2 * i, 2); uint32_t b = (uint32_t)h << 16; memcpy(y + i, &b, 4); }
}

static int dequantize_row(uint32_t type, const uint8_t *p, float *y, size_t n, int simd) {
    switch (type) {
    case T_F32: memcpy(y, p, n * 4); return 0;
    case T_F16: deq_f16(p, y, n, simd); return 0;
    case T_BF16: deq_bf16(p, y, n, simd); return 0;
    case T_Q8_0: for (size_t b = 0; b < n / 32; b++) deq_q8_0(p + 34 * b, y + 32 * b, simd); return 0;
    case T_Q4_0: for (size_t b = 0; b < n / 32; b++) deq_q4_0(p + 18 * b, y + 32 * b, simd); return 0;
    case T_Q4_1: for (size_t b = 0; b < n / 32; b++) deq_q4_1(p + 20 * b, y + 32 * b, simd); return 0;
    case T_Q4_K: for (size_t b = 0; b < n / 256; b++) deq_q4_K(p + 144 * b, y + 256 * b, simd); return 0;
    case T_Q5_K: for (size_t b = 0; b < n / 256; b++) deq_q5_K(p + 176 * b, y + 256 * b, simd); return 0;
    case T_Q6_K: for (size_t b = 0; b < n / 256; b++) deq_q6_K(p + 210 * b, y + 256 * b, simd); return 0;
    default: return -1;
    }
}

static inline int use_avx2(void) { return lk_cpu_level() >= LK_CPU_AVX2; }

int lk_dequantize_row(uint32_t type, const void *src, float *y, size_t n) { return dequantize_row(type, src, y, n, use_avx2()); }

// ---- dot products ----

static float dot_f32(const float *a, const float *b, size_t n, int simd) {
    size_t i = 0;
    float s = 0;
#ifdef LK_AVX2
    if (simd) {
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (; i + 32 <= n; i += 32) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
        }
        for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        __m256 t = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        s = _mm_cvtss_f32(h);
    }
#endif
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

float lk_dot_f32(const float *a, const float *b, size_t n) { return dot_f32(a, b, n, use_avx2()); }

#ifdef LK_AVX2
static inline float hsum(__m256 t) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

#define INLINE static inline __attribute__((always_inline))

// The two f16 values at the head of a block (which has more bytes after them). One 32-bit load:
// a 16-bit one becomes a vpinsrw that merges into whatever register it picks, at times a live
// accumulator, chaining every block to the previous one (measured 1.7x slower).
INLINE __m128 head_halves(const uint8_t *p) {
    uint32_t v; memcpy(&v, p, 4);
    return _mm_cvtph_ps(_mm_cvtsi32_si128((int)v));
}

// One block of a 32-value type dequantised into four vectors (values 0-7, 8-15, 16-23, 24-31),
// in registers: the same floats as lk_dequantize_row.
INLINE void unpack32(int type, const uint8_t *p, __m256 w[4]) {
    if (type == T_Q8_0) {
        const __m256 d = _mm256_broadcastss_ps(head_halves(p));
        for (int i = 0; i < 4; i++)
            w[i] = _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + 2 + 8 * i)))));
        return;
    }
    const __m128 f = head_halves(p);
    const __m256 d = _mm256_broadcastss_ps(f);
    const __m256 m = type == T_Q4_1 ? _mm256_broadcastss_ps(_mm_movehdup_ps(f)) // d·q + m
                                    : _mm256_mul_ps(d, _mm256_set1_ps(-8));       // d·(q − 8)
    const uint8_t *qs = p + (type == T_Q4_1 ? 4 : 2);
    // Byte j holds value j (low nibble) and value j + 16 (high nibble).
    const __m256i mask = _mm256_set1_epi32(0x0f);
    const __m256i a = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)qs));
    const __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(qs + 8)));
    w[0] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_and_si256(a, mask)), m);
    w[1] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_and_si256(b, mask)), m);
    w[2] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_srli_epi32(a, 4)), m);
    w[3] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_srli_epi32(b, 4)), m);
}

// Bytes ahead of the current block to prefetch: with one input the kernel streams weights from
// DRAM, and the hardware prefetcher alone left bandwidth unused (up to 1.4x, with memory contended).
enum { PREFETCH_AHEAD = 1024 };

// y[t·yStride + r] (+)= row r · input t for N ≤ 4 inputs (xStride apart). Each block is
// dequantised once, in registers, and meets all N inputs in float FMAs: the products of the
// dequantised matrix up to summation order.
INLINE void rows32(int type, const uint8_t *w, size_t rowBytes, size_t rows, const float *x, size_t xStride, int N,
                   size_t blocks, float *y, size_t yStride, int accumulate) {
    const size_t bytes = type == T_Q8_0 ? 34 : type == T_Q4_1 ? 20 : 18;
    const int A = N <= 2 ? 4 : 2; // accumulators per input, enough to hide the FMA latency
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *p = w + r * rowBytes;
        __m256 acc[4][4];
        for (int t = 0; t < N; t++)
            for (int a = 0; a < A; a++) acc[t][a] = _mm256_setzero_ps();
        for (size_t b = 0; b < blocks; b++, p += bytes) {
            _mm_prefetch((const char *)p + PREFETCH_AHEAD, _MM_HINT_T0);
            __m256 v[4];
            unpack32(type, p, v);
            for (int t = 0; t < N; t++) {
                const float *xb = x + t * xStride + 32 * b;
                for (int k = 0; k < 4; k++) acc[t][k % A] = _mm256_fmadd_ps(v[k], _mm256_loadu_ps(xb + 8 * k), acc[t][k % A]);
            }
        }
        for (int t = 0; t < N; t++) {
            __m256 s = acc[t][0];
            for (int a = 1; a < A; a++) s = _mm256_add_ps(s, acc[t][a]);
            const float v = hsum(s);
            float *o = y + t * yStride + r;
            *o = accumulate ? *o + v : v;
        }
    }
}

// One block's integer levels in float (values 0-7, 8-15, 16-23, 24-31); returns [d, m, ·, ·] such
// that value = d·level + m (m unused for Q8_0).
INLINE __m128 levels32(int type, const uint8_t *p, __m256 q[4]) {
    const __m128 f = head_halves(p);
    if (type == T_Q8_0) {
        for (int i = 0; i < 4; i++) q[i] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + 2 + 8 * i))));
        return f;
    }
    const uint8_t *qs = p + (type == T_Q4_1 ? 4 : 2);
    const __m256i mask = _mm256_set1_epi32(0x0f);
    const __m256i a = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)qs));
    const __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(qs + 8)));
    q[0] = _mm256_cvtepi32_ps(_mm256_and_si256(a, mask));
    q[1] = _mm256_cvtepi32_ps(_mm256_and_si256(b, mask));
    q[2] = _mm256_cvtepi32_ps(_mm256_srli_epi32(a, 4));
    q[3] = _mm256_cvtepi32_ps(_mm256_srli_epi32(b, 4));
    return type == T_Q4_1 ? f : _mm_mul_ps(_mm_moveldup_ps(f), _mm_setr_ps(1, -8, 0, 0)); // Q4_0: m = −8d
}

// Σ level·x over one block, in two chains.
INLINE __m256 block_dot(const __m256 q[4], const float *x) {
    const __m256 s = _mm256_fmadd_ps(q[2], _mm256_loadu_ps(x + 16), _mm256_mul_ps(q[0], _mm256_loadu_ps(x)));
    const __m256 t = _mm256_fmadd_ps(q[3], _mm256_loadu_ps(x + 24), _mm256_mul_ps(q[1], _mm256_loadu_ps(x + 8)));
    return _mm256_add_ps(s, t);
}

// rows32 for a single input, as Σ over blocks of d·Σ level·x + m·Σx, with xs[2b + 1] = Σx over
// block b and xs[2b] = 0: fewer operations per block than dequantising first, two blocks per
// iteration (Q4_1 measured 1.15x faster from L2).
INLINE void rows32_single(int type, const uint8_t *w, size_t rowBytes, size_t rows, const float *x, const float *xs,
                          size_t blocks, float *y, int accumulate) {
    const size_t bytes = type == T_Q8_0 ? 34 : type == T_Q4_1 ? 20 : 18;
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *p = w + r * rowBytes;
        __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
        __m128 accm = _mm_setzero_ps(); // lane 1: Σ m·Σx
        size_t b = 0;
        for (; b + 2 <= blocks; b += 2, p += 2 * bytes) {
            _mm_prefetch((const char *)p + PREFETCH_AHEAD, _MM_HINT_T0);
            __m256 q[4], u[4];
            const __m128 f = levels32(type, p, q), g = levels32(type, p + bytes, u);
            acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(f), block_dot(q, x + 32 * b), acc0);
            acc1 = _mm256_fmadd_ps(_mm256_broadcastss_ps(g), block_dot(u, x + 32 * b + 32), acc1);
            if (type != T_Q8_0) accm = _mm_fmadd_ps(_mm_movelh_ps(f, g), _mm_loadu_ps(xs + 2 * b), accm);
        }
        if (b < blocks) {
            __m256 q[4];
            const __m128 f = levels32(type, p, q);
            acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(f), block_dot(q, x + 32 * b), acc0);
            if (type != T_Q8_0) accm = _mm_fmadd_ps(f, _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(xs + 2 * b)), accm);
        }
        const float v = hsum(_mm256_add_ps(acc0, acc1)) + _mm_cvtss_f32(_mm_movehdup_ps(_mm_add_ps(accm, _mm_movehl_ps(accm, accm))));
        y[r] = accumulate ? y[r] + v : v;
    }
}

// Specialised loops, one function per type and input count so that each inner loop is branch-free.
typedef void (*rows_fn)(const uint8_t *w, size_t rowBytes, size_t rows, const float *x, size_t xStride,
                        size_t blocks, float *y, size_t yStride, int accumulate);
#define ROWS_FN(T, N) static void rows_##T##_##N(const uint8_t *w, size_t rowBytes, size_t rows, const float *x, \
        size_t xStride, size_t blocks, float *y, size_t yStride, int accumulate) { \
        rows32(T, w, rowBytes, rows, x, xStride, N, blocks, y, yStride, accumulate); }
#define ROWS_FNS(T) ROWS_FN(T, 2) ROWS_FN(T, 3) ROWS_FN(T, 4) \
    static void rows_##T##_1(const uint8_t *w, size_t rowBytes, size_t rows, const float *x, const float *xs, \
        size_t blocks, float *y, int accumulate) { rows32_single(T, w, rowBytes, rows, x, xs, blocks, y, accumulate); }
ROWS_FNS(T_Q4_0)
ROWS_FNS(T_Q4_1)
ROWS_FNS(T_Q8_0)
typedef void (*single_fn)(const uint8_t *w, size_t rowBytes, size_t rows, const float *x, const float *xs,
                          size_t blocks, float *y, int accumulate);
static const single_fn single_fns[3] = {rows_T_Q4_0_1, rows_T_Q4_1_1, rows_T_Q8_0_1};
#define ROWS_FN_ROW(T) {NULL, rows_##T##_2, rows_##T##_3, rows_##T##_4}
static const rows_fn rows_fns[3][4] = {ROWS_FN_ROW(T_Q4_0), ROWS_FN_ROW(T_Q4_1), ROWS_FN_ROW(T_Q8_0)};

static void multiply32(int type, const uint8_t *w, size_t rowBytes, size_t rows, size_t cols,
                       const float *x, size_t xStride, size_t n, float *y, size_t yStride, int accumulate, float *scratch) {
    const int ti = type == T_Q4_0 ? 0 : type == T_Q4_1 ? 1 : 2;
    const size_t blocks = cols / 32;
    if (n == 1) {
        for (size_t b = 0; b < blocks; b++) {
            const float *xb = x + 32 * b;
            scratch[2 * b] = 0;
            scratch[2 * b + 1] = hsum(_mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(xb), _mm256_loadu_ps(xb + 8)),
                                                    _mm256_add_ps(_mm256_loadu_ps(xb + 16), _mm256_loadu_ps(xb + 24))));
        }
        single_fns[ti](w, rowBytes, rows, x, scratch, blocks, y, accumulate);
        return;
    }
    // Inputs in groups of two to four, over runs of rows small enough to stay in L1 between groups.
    const size_t run = rowBytes < 16384 ? 16384 / rowBytes : 1;
    for (size_t r0 = 0; r0 < rows; r0 += run) {
        const size_t rr = rows - r0 < run ? rows - r0 : run;
        for (size_t t0 = 0; t0 < n;) {
            const size_t left = n - t0, g = left == 5 ? 3 : left > 4 ? 4 : left; // never a group of one
            rows_fns[ti][g - 1](w + r0 * rowBytes, rowBytes, rr, x + t0 * xStride, xStride, blocks,
                                y + t0 * yStride + r0, yStride, accumulate);
            t0 += g;
        }
    }
}
#endif

void lk_multiply_rows(uint32_t type, const void *w, size_t rowBytes, size_t rows, size_t cols,
                      const float *x, size_t xStride, size_t n, float *y, size_t yStride, int accumulate, float *scratch) {
    const int simd = use_avx2();
#ifdef LK_AVX2
    if (simd && (type == T_Q4_0 || type == T_Q4_1 || type == T_Q8_0)) {
        multiply32((int)type, w, rowBytes, rows, cols, x, xStride, n, y, yStride, accumulate, scratch);
        return;
    }
#endif
    // Other types: one float copy of each row, shared by all inputs.
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *row = (const uint8_t *)w + r * rowBytes;
        const float *f = type == T_F32 ? (const float *)row : scratch;
        if (type != T_F32) dequantize_row(type, row, scratch, cols, simd);
        for (size_t t = 0; t < n; t++) {
            const float v = dot_f32(f, x + t * xStride, cols, simd);
            float *o = y + t * yStride + r;
            *o = accumulate ? *o + v : v;
        }
    }
}

// ---- attention and activations ----

#ifdef LK_AVX2
// e^x, Cephes' expf (about 1 ulp): x = n·ln2 + r, |r| ≤ ln2/2 (ln2 split in two so n·ln2 is exact),
// e^r by a degree-7 polynomial, 2^n put into the exponent bits. 0 below ln(2^−126) (so e^−∞ = 0);
// x is clamped to where 2^n is a normal float.
static inline __m256 exp256(__m256 x) {
    const __m256 lowest = _mm256_set1_ps(-87.33654f), underflow = _mm256_cmp_ps(x, lowest, _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, lowest), _mm256_set1_ps(88.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    const __m256 er = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(underflow, _mm256_mul_ps(er, _mm256_castsi256_ps(e)));
}
#endif

// Key/value rows ahead to prefetch. Each head's rows are contiguous in the cache, but one head's
// stream is short (its rows of one layer) and the hardware prefetcher ramps up too late: 32 rows
// of 64 values (8 KB) ahead decoded the default model at depth 512 1.2-1.4x as fast as 8 rows.
enum { ATTENTION_PREFETCH_ROWS = 32 };

static inline void prefetch_row(const float *row, size_t hd) {
    for (size_t c = 0; c < hd; c += 16) __builtin_prefetch(row + c);
}

// scores[h·len + j] = scale · q_h · k_j for `heads` queries (hd values each, adjacent in q).
static void attention_scores(const float *q, int heads, const float *k, size_t kvStride, size_t len, size_t hd,
                             float scale, float *scores, int simd) {
    size_t j = 0;
#ifdef LK_AVX2
    // Four keys at a time, reduced together; the keys stay in L1 for the other heads.
    for (; simd && hd % 8 == 0 && j + 4 <= len; j += 4) {
        const float *k0 = k + j * kvStride;
        for (size_t i = 0; i < 4; i++) prefetch_row(k0 + (ATTENTION_PREFETCH_ROWS + i) * kvStride, hd);
        for (int h = 0; h < heads; h++) {
            const float *qh = q + h * hd;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (size_t c = 0; c < hd; c += 8) {
                const __m256 qc = _mm256_loadu_ps(qh + c);
                a0 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(k0 + c), a0);
                a1 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(k0 + kvStride + c), a1);
                a2 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(k0 + 2 * kvStride + c), a2);
                a3 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(k0 + 3 * kvStride + c), a3);
            }
            const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
            const __m128 s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
            _mm_storeu_ps(scores + h * len + j, _mm_mul_ps(s, _mm_set1_ps(scale)));
        }
    }
#endif
    for (; j < len; j++)
        for (int h = 0; h < heads; h++) scores[h * len + j] = scale * dot_f32(q + h * hd, k + j * kvStride, hd, simd);
}

// x[i] = e^(x[i] − max x) over n values; returns Σ.
static float softmax_numerators(float *x, size_t n, int simd) {
    float mx = -INFINITY, sum = 0;
    for (size_t j = 0; j < n; j++) mx = x[j] > mx ? x[j] : mx;
    size_t j = 0;
#ifdef LK_AVX2
    if (simd) {
        __m256 vs = _mm256_setzero_ps();
        for (; j + 8 <= n; j += 8) {
            const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), _mm256_set1_ps(mx)));
            _mm256_storeu_ps(x + j, e);
            vs = _mm256_add_ps(vs, e);
        }
        sum = hsum(vs);
    }
#endif
    for (; j < n; j++) { x[j] = expf(x[j] - mx); sum += x[j]; }
    return sum;
}

float lk_softmax_numerators(float *x, size_t n) { return softmax_numerators(x, n, use_avx2()); }

// Keys per block of the weighted sum of values: a block of value rows stays in L1 for all heads.
enum { ATTENTION_KEY_BLOCK = 64 };

void lk_attention_row(const float *q, size_t heads, const float *k, const float *v, size_t kvStride, size_t len,
                      size_t hd, float scale, float *out, float *scores) {
    const int simd = use_avx2();
    attention_scores(q, (int)heads, k, kvStride, len, hd, scale, scores, simd);
    for (size_t h = 0; h < heads; h++) {
        const float inv = 1 / softmax_numerators(scores + h * len, len, simd);
        for (size_t j = 0; j < len; j++) scores[h * len + j] *= inv;
    }
    for (size_t c = 0; c < heads * hd; c++) out[c] = 0;
    for (size_t j0 = 0; j0 < len; j0 += ATTENTION_KEY_BLOCK) {
        const size_t j1 = len - j0 < ATTENTION_KEY_BLOCK ? len : j0 + ATTENTION_KEY_BLOCK;
        for (size_t h = 0; h < heads; h++) {
            const float *p = scores + h * len;
            float *o = out + h * hd;
            size_t c0 = 0;
#ifdef LK_AVX2
            // 64 columns at a time, accumulated in registers.
            for (; simd && c0 + 64 <= hd; c0 += 64) {
                __m256 acc[8];
                for (int i = 0; i < 8; i++) acc[i] = _mm256_loadu_ps(o + c0 + 8 * i);
                for (size_t j = j0; j < j1; j++) {
                    const __m256 pj = _mm256_set1_ps(p[j]);
                    const float *vj = v + j * kvStride + c0;
                    if (h == 0) prefetch_row(vj + ATTENTION_PREFETCH_ROWS * kvStride, 64);
                    for (int i = 0; i < 8; i++) acc[i] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 8 * i), acc[i]);
                }
                for (int i = 0; i < 8; i++) _mm256_storeu_ps(o + c0 + 8 * i, acc[i]);
            }
#endif
            for (size_t j = j0; j < j1; j++)
                for (size_t c = c0; c < hd; c++) o[c] += p[j] * v[j * kvStride + c];
        }
    }
}

void lk_swiglu(float *gate, const float *up, size_t n) {
    size_t i = 0;
#ifdef LK_AVX2
    const int simd = use_avx2();
    for (; simd && i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), g));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1), e)), _mm256_loadu_ps(up + i)));
    }
#endif
    for (; i < n; i++) gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i];
}
