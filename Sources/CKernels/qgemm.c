// Products of quantised weights with large batches (training) in 16-bit integers, on CPUs with
// AVX-512 VNNI. The weights stay their own integer levels (Q4_0, Q4_1, Q8_0, Q4_K, Q5_K, Q6_K:
// exact); the float side is rounded to 16 bits (in dx = dy·W, 15 for Q6_K, whose levels take 13),
// one scale per 32 values, so that 32 products (Q6_K's: 16) add up in int32 without overflow, and
// vpdpwssd multiplies pairs into 32-bit sums: twice the multiply-adds per instruction of a float FMA. Measured on Zen 4 against
// dequantising into OpenBLAS sgemm, one thread: 1.7-1.9x (rows), 1.2-1.5x (columns).
#include "ckernels.h"
#include "quant_blocks.h"
#include <string.h>
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define LK_QGEMM 1
// Tuned for Zen 4: the generic tuning splits half the vpdpwssd into vpmaddwd + vpaddd (measured 1.5x slower).
#define LK_VNNI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,f16c,tune=znver4")))
#define LK_VNNI_INLINE LK_VNNI __attribute__((always_inline)) static inline
#define LK_AVX2 __attribute__((target("avx2,fma,f16c")))
#define LK_AVX2_INLINE LK_AVX2 __attribute__((always_inline)) static inline
#endif

enum {
    BLOCK = 32,         // values per quantisation block
    TILE = 6,           // batch rows per kernel call: 2·6 integer and 2·6 float accumulators in registers
    CHUNK = 32,         // weight rows per 16-bit scale in the transposed product (128: twice the error, no faster)
    CACHE = 512 << 10,  // bytes of packed weights a thread works through for each tile of batch rows
};

static int product_type(uint32_t type) {
    return type == T_Q4_0 || type == T_Q4_1 || type == T_Q8_0 || type == T_Q4_K || type == T_Q5_K || type == T_Q6_K;
}

int lk_qgemm_available(uint32_t type) {
#ifdef LK_QGEMM
    return lk_cpu_level() >= LK_CPU_AVX512 && product_type(type);
#else
    (void)type;
    return 0;
#endif
}

int lk_qgemm_rows_available(uint32_t type) {
#ifdef LK_QGEMM
    return lk_cpu_level() >= LK_CPU_AVX2 && product_type(type);
#else
    (void)type;
    return 0;
#endif
}

// The sums of dx = dy·W add 32 products of |level| ≤ 4096 (Q6_K's 6-bit levels times int8 scales)
// and |z| ≤ 16383: below 2^31. (y = x·Wᵀ rounds x to LK_ROWS_LIMIT and sums Q6_K's halves apart.)
int lk_qgemm_limit(uint32_t type) { return type == T_Q6_K ? 16383 : 32767; }

#ifdef LK_QGEMM

static int has_minimum(uint32_t type) { return type == T_Q4_1 || type == T_Q4_K || type == T_Q5_K; }

static inline __mmask16 lanes(long count) { return count >= 16 ? 0xffff : count <= 0 ? 0 : (__mmask16)((1u << count) - 1); }

// ---- y = x·Wᵀ: batch rows against weight rows ----

LK_VNNI void lk_qgemm_quantize(const float *x, size_t xStride, size_t n, size_t cols, int limit, int16_t *xq, float *scale, float *sum) {
    const size_t nb = cols / BLOCK;
    const __m512 absMask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    for (size_t t = 0; t < n; t++) {
        for (size_t b = 0; b < nb; b++) {
            const float *v = x + t * xStride + b * BLOCK;
            const __m512 lo = _mm512_loadu_ps(v), hi = _mm512_loadu_ps(v + 16);
            const float peak = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(lo, absMask), _mm512_and_ps(hi, absMask)));
            const __m512 k = _mm512_set1_ps(peak > 0 ? limit / peak : 0);
            int16_t *q = xq + t * cols + b * BLOCK;
            const __m512i qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, k)), qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, k));
            _mm256_storeu_si256((__m256i *)q, _mm512_cvtsepi32_epi16(qlo));
            _mm256_storeu_si256((__m256i *)(q + 16), _mm512_cvtsepi32_epi16(qhi));
            const float d = peak / limit;
            scale[t * nb + b] = d;
            // The rounded values' sum, as lk_quantize_rows's: a weight's minimum meets the values its
            // levels meet, and the row products give the same bits as these (qdot.c).
            sum[t * nb + b] = d * (float)_mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
        }
    }
}

// A panel: 32 weight rows, per block 16 pairs of levels × 2 halves of 16 rows, each lane one
// row's (level 2p, level 2p+1) as two int16; then the 32 rows' d and m.
enum { PANEL_ROWS = 32, PANEL_LEVEL_BYTES = 16 * 2 * 64, PANEL_BLOCK_BYTES = PANEL_LEVEL_BYTES + 2 * 32 * 4 };

// Four whole groups of Q4_0/Q4_1 rows interleaved by eight (quant_blocks.h), from r0: each 32-byte
// run of a group's levels holds, per row, the bytes of two level pairs in its low nibbles and two
// in its high ones, so masking and one byte shuffle give eight rows of four of the panel's
// vectors. (Unpacking level by level took a third of the product's time.)
static LK_AVX2 void pack_interleaved_panel(uint32_t type, const uint8_t *w, size_t rowBytes, size_t r0, size_t nb, uint8_t *panel) {
    const size_t heads = interleave_heads(type), size = 2 * heads + 16;
    const __m256i nibbles = _mm256_set1_epi8(15), offset = _mm256_set1_epi16(type == T_Q4_0 ? 8 : 0);
    // Per row (dword): its bytes 0 and 1 (pair 2k), or 2 and 3 (pair 2k + 1), as two int16.
    const __m256i first = _mm256_broadcastsi128_si256(_mm_set_epi64x((long long)0x800d800c80098008, (long long)0x8005800480018000));
    const __m256i second = _mm256_broadcastsi128_si256(_mm_set_epi64x((long long)0x800f800e800b800a, (long long)0x8007800680038002));
    for (size_t b = 0; b < nb; b++) {
        uint8_t *level = panel + b * PANEL_BLOCK_BYTES;
        float *d = (float *)(panel + b * PANEL_BLOCK_BYTES + PANEL_LEVEL_BYTES), *m = d + 32;
        for (size_t g = 0; g < 4; g++) { // rows 8g..8g + 7: half g / 2, lanes 8·(g % 2)..
            const uint8_t *group = w + (r0 + 8 * g) * rowBytes + 8 * size * b;
            _mm256_store_ps(d + 8 * g, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)group)));
            _mm256_store_ps(m + 8 * g, heads == 2 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(group + 16))) : _mm256_setzero_ps());
            uint8_t *out = level + g / 2 * 64 + g % 2 * 32;
            for (size_t k = 0; k < 4; k++) {
                const __m256i v = _mm256_loadu_si256((const __m256i *)(group + 16 * heads + 32 * k));
                const __m256i low = _mm256_and_si256(v, nibbles), high = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibbles);
                // Pair p of these rows lies at vector 2p + half.
                _mm256_store_si256((__m256i *)(out + 128 * (2 * k)), _mm256_sub_epi16(_mm256_shuffle_epi8(low, first), offset));
                _mm256_store_si256((__m256i *)(out + 128 * (2 * k + 1)), _mm256_sub_epi16(_mm256_shuffle_epi8(low, second), offset));
                _mm256_store_si256((__m256i *)(out + 128 * (2 * k + 8)), _mm256_sub_epi16(_mm256_shuffle_epi8(high, first), offset));
                _mm256_store_si256((__m256i *)(out + 128 * (2 * k + 9)), _mm256_sub_epi16(_mm256_shuffle_epi8(high, second), offset));
            }
        }
    }
}

// block_levels by vectors: block b of a row in ggml's layout as 16-bit levels, values 0..15 in
// *first and 16..31 in *second, with the same d and m (the same C expressions).
LK_AVX2_INLINE void block_levels_avx2(uint32_t type, const uint8_t *row, size_t b, __m256i *first, __m256i *second, float *d, float *m) {
    const __m256i nibble = _mm256_set1_epi8(15);
    __m128i low, high; // the levels as bytes, unsigned unless noted
    switch (type) {
    case T_Q4_0:
    case T_Q4_1: {
        const int one = type == T_Q4_1;
        const uint8_t *p = row + b * (one ? 20 : 18);
        *d = half_float(p); *m = one ? half_float(p + 2) : 0;
        const __m128i v = _mm_loadu_si128((const __m128i *)(p + (one ? 4 : 2)));
        low = _mm_and_si128(v, _mm256_castsi256_si128(nibble));
        high = _mm_and_si128(_mm_srli_epi16(v, 4), _mm256_castsi256_si128(nibble));
        const __m256i offset = _mm256_set1_epi16(one ? 0 : 8);
        *first = _mm256_sub_epi16(_mm256_cvtepu8_epi16(low), offset);
        *second = _mm256_sub_epi16(_mm256_cvtepu8_epi16(high), offset);
        return;
    }
    case T_Q8_0: {
        const uint8_t *p = row + b * 34;
        *d = half_float(p); *m = 0;
        *first = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p + 2)));
        *second = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p + 18)));
        return;
    }
    case T_Q6_K: {
        const uint8_t *p = row + b / 8 * 210;
        const int h = (int)(b % 8) / 4, k = (int)(b % 4);
        const int8_t *sc = (const int8_t *)(p + 192 + 8 * h + 2 * k);
        *d = half_float(p + 208); *m = 0;
        const __m256i q = q6_k_values(_mm256_loadu_si256((const __m256i *)(p + 64 * h + 32 * (k % 2))),
                                      _mm256_loadu_si256((const __m256i *)(p + 128 + 32 * h)), k);
        const __m256i centre = _mm256_set1_epi16(32);
        *first = _mm256_mullo_epi16(_mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(q)), centre), _mm256_set1_epi16(sc[0]));
        *second = _mm256_mullo_epi16(_mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(q, 1)), centre), _mm256_set1_epi16(sc[1]));
        return;
    }
    default: { // Q4_K, Q5_K
        const int five = type == T_Q5_K, j = (int)(b % 8);
        const uint8_t *p = row + b / 8 * (five ? 176 : 144);
        uint8_t sc, mn;
        scale_min_k4(j, p + 4, &sc, &mn);
        *d = half_float(p) * sc; *m = -half_float(p + 2) * mn;
        __m256i q = _mm256_and_si256(_mm256_srl_epi16(_mm256_loadu_si256((const __m256i *)(p + (five ? 48 : 16) + 32 * (j / 2))),
                                                      _mm_cvtsi32_si128(4 * (j % 2))), nibble);
        if (five) {
            const __m256i bit = _mm256_set1_epi8((char)(1 << j));
            const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_loadu_si256((const __m256i *)(p + 16)), bit), bit);
            q = _mm256_or_si256(q, _mm256_and_si256(set, _mm256_set1_epi8(16)));
        }
        *first = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(q));
        *second = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(q, 1));
    }
    }
}

// v[i] (row i's eight level pairs) becomes pair i of the eight rows.
LK_AVX2_INLINE void transpose8(__m256i *v) {
    __m256i t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) { // rows 4i..4i + 3: pairs 0|4, 1|5, 2|6, 3|7
        u[4 * i] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int i = 0; i < 4; i++) {
        v[i] = _mm256_permute2x128_si256(u[i], u[4 + i], 0x20);
        v[4 + i] = _mm256_permute2x128_si256(u[i], u[4 + i], 0x31);
    }
}

// Four whole groups of Q4_K or Q6_K rows interleaved by eight, from r0: per block of 32, the eight
// rows' scales from their scale words as the row products take them (qdot_kernels.h), and their
// levels, four bytes a row in each 32-byte run, split into level pairs by byte shuffles.
static LK_AVX2 void pack_interleaved_kquant_panel(uint32_t type, const uint8_t *w, size_t rowBytes, size_t r0, size_t nb, uint8_t *panel) {
    const int six = type == T_Q6_K;
    const size_t size = six ? 210 : 144;
    const __m256i low4 = _mm256_set1_epi8(15), centre = _mm256_set1_epi16(32);
    const __m256i first = _mm256_broadcastsi128_si256(_mm_set_epi64x((long long)0x800d800c80098008, (long long)0x8005800480018000));
    const __m256i second = _mm256_broadcastsi128_si256(_mm_set_epi64x((long long)0x800f800e800b800a, (long long)0x8007800680038002));
    for (size_t b = 0; b < nb; b++) {
        const size_t j = b % 8;
        uint8_t *level = panel + b * PANEL_BLOCK_BYTES;
        float *d = (float *)(panel + b * PANEL_BLOCK_BYTES + PANEL_LEVEL_BYTES), *m = d + 32;
        for (size_t g = 0; g < 4; g++) {
            const uint8_t *q = w + (r0 + 8 * g) * rowBytes + 8 * size * (b / 8), *words = q + (six ? 16 : 32);
            const __m256 dd = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)q));
            __m256i L[8], s0 = _mm256_setzero_si256(), s1 = s0;
            if (six) { // value l: ql nibble k / 2, qh bits 2k..2k+1; scales sc[8h + 2k] and sc[8h + 2k + 1], as 16-bit pairs
                const size_t h = j / 4, k = j % 4;
                for (size_t i = 0; i < 8; i++)
                    L[i] = q6_k_values(_mm256_loadu_si256((const __m256i *)(words + 32 * (16 * h + 8 * (k % 2) + i))),
                                       _mm256_loadu_si256((const __m256i *)(words + 32 * (32 + 8 * h + i))), (int)k);
                __m256i a, c;
                lane_int8_pair(_mm256_loadu_si256((const __m256i *)(words + 32 * (48 + 2 * h + k / 2))), (int)(2 * (k % 2)), &a, &c);
                s0 = _mm256_or_si256(_mm256_and_si256(a, _mm256_set1_epi32(0xffff)), _mm256_slli_epi32(a, 16));
                s1 = _mm256_or_si256(_mm256_and_si256(c, _mm256_set1_epi32(0xffff)), _mm256_slli_epi32(c, 16));
                _mm256_store_ps(d + 8 * g, dd);
                _mm256_store_ps(m + 8 * g, _mm256_setzero_ps());
            } else { // value l: nibble j % 2 of qs[32·(j/2) + l]; scale_min_k4 on eight rows at once
                for (size_t i = 0; i < 8; i++) {
                    const __m256i v = _mm256_loadu_si256((const __m256i *)(words + 96 + 32 * (8 * (j / 2) + i)));
                    L[i] = _mm256_and_si256(j % 2 ? _mm256_srli_epi16(v, 4) : v, low4);
                }
                const __m256i sc[3] = {_mm256_loadu_si256((const __m256i *)words), _mm256_loadu_si256((const __m256i *)(words + 32)),
                                       _mm256_loadu_si256((const __m256i *)(words + 64))};
                __m256i sj, mj;
                scale_min_k4_x8(sc, (int)j, &sj, &mj);
                const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(q + 16)));
                _mm256_store_ps(d + 8 * g, _mm256_mul_ps(dd, _mm256_cvtepi32_ps(sj)));
                _mm256_store_ps(m + 8 * g, _mm256_mul_ps(_mm256_xor_ps(dmin, _mm256_set1_ps(-0.0f)), _mm256_cvtepi32_ps(mj))); // −dmin·mn
            }
            uint8_t *out = level + g / 2 * 64 + g % 2 * 32; // pair p at vector 2p + half
            for (size_t k = 0; k < 8; k++) {
                __m256i lo = _mm256_shuffle_epi8(L[k], first), hi = _mm256_shuffle_epi8(L[k], second);
                if (six) {
                    const __m256i sk = k < 4 ? s0 : s1;
                    lo = _mm256_mullo_epi16(_mm256_sub_epi16(lo, centre), sk);
                    hi = _mm256_mullo_epi16(_mm256_sub_epi16(hi, centre), sk);
                }
                _mm256_store_si256((__m256i *)(out + 128 * (2 * k)), lo);
                _mm256_store_si256((__m256i *)(out + 128 * (2 * k + 1)), hi);
            }
        }
    }
}

// Rows [r0, r0 + min(rows, 32)) of w (rows before `grouped` interleaved), eight rows at a time:
// each row's levels by vectors, then transposed into the panel's pairs. (Level by level, packing
// took over a third of a Q4_K_M prompt's time.)
static LK_AVX2 void pack_panel(uint32_t type, const uint8_t *w, size_t rowBytes, size_t grouped, size_t r0, size_t rows, size_t nb, uint8_t *panel) {
    if ((type == T_Q4_0 || type == T_Q4_1) && r0 % 8 == 0 && r0 + PANEL_ROWS <= grouped && rows >= PANEL_ROWS) {
        pack_interleaved_panel(type, w, rowBytes, r0, nb, panel);
        return;
    }
    if ((type == T_Q4_K || type == T_Q6_K) && r0 % 8 == 0 && r0 + PANEL_ROWS <= grouped && rows >= PANEL_ROWS) {
        pack_interleaved_kquant_panel(type, w, rowBytes, r0, nb, panel);
        return;
    }
    // Interleaved rows' blocks (K-quants: super-blocks) in ggml's layout, gathered once for all their blocks of 32.
    uint8_t gathered[PANEL_ROWS][INTERLEAVED_BLOCK_MAX];
    const size_t per = interleave_blocks(type);
    for (size_t b = 0; b < nb; b++) {
        uint8_t *level = panel + b * PANEL_BLOCK_BYTES;
        float *d = (float *)(panel + b * PANEL_BLOCK_BYTES + PANEL_LEVEL_BYTES), *m = d + 32;
        for (size_t g = 0; g < 4; g++) {
            __m256i first[8], second[8];
            for (size_t i = 0; i < 8; i++) {
                const size_t r = 8 * g + i;
                first[i] = second[i] = _mm256_setzero_si256();
                d[r] = m[r] = 0;
                if (r >= rows) continue;
                if (r0 + r < grouped) {
                    if (b % per == 0) interleaved_block(type, w, rowBytes, r0 + r, b / per, gathered[r]);
                    block_levels_avx2(type, gathered[r], b % per, &first[i], &second[i], &d[r], &m[r]);
                } else {
                    block_levels_avx2(type, w + (r0 + r) * rowBytes, b, &first[i], &second[i], &d[r], &m[r]);
                }
            }
            transpose8(first);
            transpose8(second);
            uint8_t *out = level + g / 2 * 64 + g % 2 * 32; // pair p at vector 2p + half
            for (size_t p = 0; p < 8; p++) {
                _mm256_store_si256((__m256i *)(out + 128 * p), first[p]);
                _mm256_store_si256((__m256i *)(out + 128 * (p + 8)), second[p]);
            }
        }
    }
}

// y[t][0..<32] (+)= the panel's rows · xq[t] for t < T (a constant at each call, so the
// accumulators stay in registers); rows past `rows` are not written.
LK_VNNI_INLINE void rows_tile(const int T, const int hasMin, const int halves, const uint8_t *panel, size_t nb, const int16_t *xq,
                              size_t cols, const float *scale, const float *sum, float *y, size_t yStride, size_t rows, int accumulate) {
    __m512 f[TILE][2];
    for (int t = 0; t < T; t++) f[t][0] = f[t][1] = _mm512_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
        const __m512i *level = (const __m512i *)(panel + b * PANEL_BLOCK_BYTES);
        const float *dm = (const float *)(panel + b * PANEL_BLOCK_BYTES + PANEL_LEVEL_BYTES);
        const __m512 d0 = _mm512_load_ps(dm), d1 = _mm512_load_ps(dm + 16);
        __m512i a[TILE][2];
        for (int t = 0; t < T; t++) a[t][0] = a[t][1] = _mm512_setzero_si512();
        for (int p = 0; p < 16; p++) {
            const __m512i w0 = _mm512_load_si512(level + 2 * p), w1 = _mm512_load_si512(level + 2 * p + 1);
            for (int t = 0; t < T; t++) {
                int32_t pair; memcpy(&pair, xq + t * cols + b * BLOCK + 2 * p, 4);
                const __m512i xb = _mm512_set1_epi32(pair);
                a[t][0] = _mm512_dpwssd_epi32(a[t][0], xb, w0);
                a[t][1] = _mm512_dpwssd_epi32(a[t][1], xb, w1);
            }
            if (halves && p == 7) {
                // Q6_K: the first 16 values' sums, which with the last 16's could pass 2^31 (as in the row products).
                for (int t = 0; t < T; t++) {
                    const __m512 s = _mm512_set1_ps(scale[t * nb + b]);
                    f[t][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[t][0]), _mm512_mul_ps(d0, s), f[t][0]);
                    f[t][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[t][1]), _mm512_mul_ps(d1, s), f[t][1]);
                    a[t][0] = a[t][1] = _mm512_setzero_si512();
                }
            }
        }
        for (int t = 0; t < T; t++) {
            const __m512 s = _mm512_set1_ps(scale[t * nb + b]);
            f[t][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[t][0]), _mm512_mul_ps(d0, s), f[t][0]);
            f[t][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[t][1]), _mm512_mul_ps(d1, s), f[t][1]);
            if (hasMin) {
                const __m512 total = _mm512_set1_ps(sum[t * nb + b]);
                f[t][0] = _mm512_fmadd_ps(_mm512_load_ps(dm + 32), total, f[t][0]);
                f[t][1] = _mm512_fmadd_ps(_mm512_load_ps(dm + 48), total, f[t][1]);
            }
        }
    }
    const __mmask16 m0 = lanes((long)rows), m1 = lanes((long)rows - 16);
    for (int t = 0; t < T; t++) {
        float *out = y + t * yStride;
        if (accumulate) {
            f[t][0] = _mm512_add_ps(f[t][0], _mm512_maskz_loadu_ps(m0, out));
            f[t][1] = _mm512_add_ps(f[t][1], _mm512_maskz_loadu_ps(m1, out + 16));
        }
        _mm512_mask_storeu_ps(out, m0, f[t][0]);
        _mm512_mask_storeu_ps(out + 16, m1, f[t][1]);
    }
}

// Calls CALL(T) with T (≤ TILE batch rows) as a constant, so that each call compiles its own kernel.
#define WITH_CONSTANT_T(CALL) \
    switch (T) { case 6: CALL(6); break; case 5: CALL(5); break; case 4: CALL(4); break; \
                 case 3: CALL(3); break; case 2: CALL(2); break; default: CALL(1); }


// The same on AVX2 (the panel's vectors taken eight rows at a time: vpmaddwd + vpaddd for
// vpdpwssd), with each block's float operations in the same order as rows_tile's: the same bits.
LK_AVX2_INLINE void rows_tile_avx2(const int T, const int hasMin, const int halves, const uint8_t *panel, size_t nb, const int16_t *xq,
                                   size_t cols, const float *scale, const float *sum, float *y, size_t yStride, size_t rows, int accumulate) {
    for (size_t e = 0; e < 4 && 8 * e < rows; e++) { // rows 8e..8e + 7: half e / 2 of the panel's vectors, lanes 8·(e % 2)..
        const size_t part = e / 2 * 64 + e % 2 * 32;
        __m256 f[TILE];
        for (int t = 0; t < T; t++) f[t] = _mm256_setzero_ps();
        for (size_t b = 0; b < nb; b++) {
            const uint8_t *level = panel + b * PANEL_BLOCK_BYTES + part;
            const float *dm = (const float *)(panel + b * PANEL_BLOCK_BYTES + PANEL_LEVEL_BYTES) + 8 * e;
            const __m256 d = _mm256_load_ps(dm);
            __m256i a[TILE];
            for (int t = 0; t < T; t++) a[t] = _mm256_setzero_si256();
            for (int p = 0; p < 16; p++) {
                const __m256i w = _mm256_load_si256((const __m256i *)(level + 128 * p));
                for (int t = 0; t < T; t++) {
                    int32_t pair; memcpy(&pair, xq + t * cols + b * BLOCK + 2 * p, 4);
                    a[t] = _mm256_add_epi32(a[t], _mm256_madd_epi16(_mm256_set1_epi32(pair), w));
                }
                if (halves && p == 7) {
                    for (int t = 0; t < T; t++) {
                        f[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(a[t]), _mm256_mul_ps(d, _mm256_set1_ps(scale[t * nb + b])), f[t]);
                        a[t] = _mm256_setzero_si256();
                    }
                }
            }
            for (int t = 0; t < T; t++) {
                f[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(a[t]), _mm256_mul_ps(d, _mm256_set1_ps(scale[t * nb + b])), f[t]);
                if (hasMin) f[t] = _mm256_fmadd_ps(_mm256_load_ps(dm + 32), _mm256_set1_ps(sum[t * nb + b]), f[t]);
            }
        }
        const long left = (long)rows - (long)(8 * e);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(left > 8 ? 8 : (int)left), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        for (int t = 0; t < T; t++) {
            float *out = y + t * yStride + 8 * e;
            if (accumulate) f[t] = _mm256_add_ps(f[t], _mm256_maskload_ps(out, mask));
            _mm256_maskstore_ps(out, mask, f[t]);
        }
    }
}

#define TILE_WITH_MIN(T) ROWS_KERNEL(T, 1, 0, panel, nb, xq, cols, scale, sum, y, yStride, rows, accumulate)
#define TILE_HALVES(T) ROWS_KERNEL(T, 0, 1, panel, nb, xq, cols, scale, sum, y, yStride, rows, accumulate)
#define TILE_PLAIN(T) ROWS_KERNEL(T, 0, 0, panel, nb, xq, cols, scale, sum, y, yStride, rows, accumulate)
// NAME(type, T, …) runs ROWS_KERNEL with T, the minimum and Q6_K's halves as constants.
#define ROWS_TILE_ANY(NAME, TARGET)                                                                                              \
    static TARGET void NAME(uint32_t type, int T, const uint8_t *panel, size_t nb, const int16_t *xq, size_t cols, const float *scale, \
                            const float *sum, float *y, size_t yStride, size_t rows, int accumulate) {                              \
        if (has_minimum(type)) { WITH_CONSTANT_T(TILE_WITH_MIN) }                                                               \
        else if (type == T_Q6_K) { WITH_CONSTANT_T(TILE_HALVES) }                                                               \
        else { WITH_CONSTANT_T(TILE_PLAIN) }                                                                                     \
    }
#define ROWS_KERNEL rows_tile
ROWS_TILE_ANY(rows_tile_any, LK_VNNI)
#undef ROWS_KERNEL
#define ROWS_KERNEL rows_tile_avx2
ROWS_TILE_ANY(rows_tile_any_avx2, LK_AVX2)
#undef ROWS_KERNEL

static size_t panels_per_group(size_t cols) {
    const size_t bytes = cols / BLOCK * PANEL_BLOCK_BYTES;
    return bytes >= CACHE ? 1 : CACHE / bytes;
}

size_t lk_qgemm_rows_scratch(size_t rows, size_t cols) {
    const size_t panels = (rows + PANEL_ROWS - 1) / PANEL_ROWS, group = panels_per_group(cols);
    return (panels < group ? panels : group) * (cols / BLOCK) * PANEL_BLOCK_BYTES;
}

void lk_qgemm_rows(uint32_t type, const void *w, size_t rowBytes, size_t grouped, size_t row0, size_t row1, size_t cols,
                   const int16_t *xq, const float *scale, const float *sum, size_t n,
                   float *y, size_t yStride, int accumulate, void *scratch) {
    void (*const tile)(uint32_t, int, const uint8_t *, size_t, const int16_t *, size_t, const float *, const float *, float *, size_t, size_t,
                       int) = lk_cpu_level() >= LK_CPU_AVX512 ? rows_tile_any : rows_tile_any_avx2;
    const size_t nb = cols / BLOCK, panelBytes = nb * PANEL_BLOCK_BYTES, group = panels_per_group(cols) * PANEL_ROWS;
    uint8_t *panels = scratch;
    for (size_t g0 = row0; g0 < row1; g0 += group) {
        const size_t g1 = g0 + group < row1 ? g0 + group : row1;
        for (size_t r = g0; r < g1; r += PANEL_ROWS)
            pack_panel(type, w, rowBytes, grouped, r, g1 - r, nb, panels + (r - g0) / PANEL_ROWS * panelBytes);
        for (size_t t0 = 0; t0 < n; t0 += TILE) {
            const int T = n - t0 < TILE ? (int)(n - t0) : TILE;
            for (size_t r = g0; r < g1; r += PANEL_ROWS)
                tile(type, T, panels + (r - g0) / PANEL_ROWS * panelBytes, nb, xq + t0 * cols, cols,
                              scale + t0 * nb, sum + t0 * nb, y + t0 * yStride + r, yStride, g1 - r, accumulate);
        }
    }
}

// ---- dx = dy·W: batch rows against weight columns (the backward through a frozen weight) ----
//
// dx[t][c] = Σ_o dy[t][o]·(d[o][b]·level[o][c] + m[o][b]) with b = c / 32. The scale d varies
// along the sum, so it goes to the batch side: z[o] = dy[t][o]·d[o][b] is rounded to 16 bits for
// each block column b, per CHUNK rows, with the scale max|dy| · max|d| over the chunk (a bound
// that needs no pass over z: preparing z and the minimum sums already takes about a third of the
// product's time, measured). The
// minimum's part, Σ_o dy[t][o]·m[o][b], is a float sum.

// A column panel: one block column, per pair of weight rows 2 halves of 16 columns, each lane
// one column's (level[o][c], level[o+1][c]) as two int16.
enum { COLUMN_PAIR_BYTES = 2 * 64 };

typedef struct {
    size_t blocks, rows;         // block columns of this thread, weight rows per group (a multiple of CHUNK)
    uint8_t *levels;             // blocks × rows/2 pairs × COLUMN_PAIR_BYTES
    float *dn, *m, *dmax;        // blocks × rows: d / max|d| of its chunk, and m; blocks × chunks: max|d|
    float *dy;                   // TILE × rows: the tile's dy, zero past the weight rows
    float *dyScaled, *dyScale;   // TILE × rows: dy · limit / max|dy| of its chunk; TILE × chunks: max|dy| / limit
    float *minimum;              // TILE × blocks: Σ_o dy[t][o]·m[o][b]
    int16_t *z;                  // TILE × rows
} column_scratch;

static size_t column_group_rows(size_t rows, size_t blocks) {
    size_t g = CACHE / (blocks * 64) / CHUNK * CHUNK;
    if (g < CHUNK) g = CHUNK;
    const size_t whole = (rows + CHUNK - 1) / CHUNK * CHUNK;
    return g < whole ? g : whole;
}

static size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

// The parts of a thread's scratch, each on a 64-byte boundary; returns the bytes they take.
static size_t column_layout(size_t rows, size_t blocks, uint8_t *base, column_scratch *s) {
    s->blocks = blocks;
    s->rows = column_group_rows(rows, blocks);
    const size_t g = s->rows, chunks = g / CHUNK;
    size_t used = 0;
#define PART(field, type, bytes) s->field = (type *)((uintptr_t)base + used); used += align64(bytes)
    PART(levels, uint8_t, blocks * g / 2 * COLUMN_PAIR_BYTES);
    PART(dn, float, blocks * g * 4);
    PART(m, float, blocks * g * 4);
    PART(dmax, float, blocks * chunks * 4);
    PART(dy, float, TILE * g * 4);
    PART(dyScaled, float, TILE * g * 4);
    PART(dyScale, float, TILE * chunks * 4);
    PART(minimum, float, TILE * blocks * 4);
    PART(z, int16_t, TILE * g * 2);
#undef PART
    return used;
}

size_t lk_qgemm_columns_scratch(size_t rows, size_t blocks) {
    column_scratch s;
    return column_layout(rows, blocks, NULL, &s);
}

// Packs weight rows [o0, o0 + count) of block columns [b0, b0 + s->blocks) (zeros past count).
static LK_VNNI void pack_columns(uint32_t type, const uint8_t *w, size_t rowBytes, size_t grouped, size_t o0, size_t count, size_t b0,
                                 const column_scratch *s) {
    const size_t g = s->rows, chunks = g / CHUNK;
    for (size_t b = 0; b < s->blocks; b++) {
        int16_t *level = (int16_t *)(s->levels + b * g / 2 * COLUMN_PAIR_BYTES);
        float *d = s->dn + b * g, *m = s->m + b * g;
        for (size_t o = 0; o < g; o++) {
            int16_t v[32] = {0};
            d[o] = m[o] = 0;
            if (o < count) matrix_block_levels(type, w, rowBytes, grouped, o0 + o, b0 + b, v, &d[o], &m[o]);
            for (int c = 0; c < 32; c++) level[((o / 2) * 2 + c / 16) * 32 + (c % 16) * 2 + o % 2] = v[c];
        }
        for (size_t k = 0; k < chunks; k++) {
            float peak = 0;
            for (size_t o = k * CHUNK; o < (k + 1) * CHUNK; o++) peak = d[o] > peak ? d[o] : -d[o] > peak ? -d[o] : peak;
            s->dmax[b * chunks + k] = peak;
            const float inverse = peak > 0 ? 1 / peak : 0;
            for (size_t o = k * CHUNK; o < (k + 1) * CHUNK; o++) d[o] *= inverse;
        }
    }
}

// The tile's dy rows o0..<o0 + count, zero-padded, scaled per chunk, and their minimum sums.
static LK_VNNI void prepare_tile(const float *dy, size_t dyStride, int T, size_t count, int hasMin, float limit,
                                 const column_scratch *s) {
    const size_t g = s->rows, chunks = g / CHUNK, used = (count + CHUNK - 1) / CHUNK;
    const __m512 absMask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    for (int t = 0; t < T; t++) {
        float *row = s->dy + t * g, *scaled = s->dyScaled + t * g;
        for (size_t o = 0; o < used * CHUNK; o += 16)
            _mm512_store_ps(row + o, _mm512_maskz_loadu_ps(lanes((long)count - (long)o), dy + t * dyStride + o));
        for (size_t k = 0; k < used; k++) {
            __m512 peak = _mm512_setzero_ps();
            for (size_t o = k * CHUNK; o < (k + 1) * CHUNK; o += 16) peak = _mm512_max_ps(peak, _mm512_and_ps(_mm512_load_ps(row + o), absMask));
            const float top = _mm512_reduce_max_ps(peak);
            const __m512 factor = _mm512_set1_ps(top > 0 ? limit / top : 0);
            s->dyScale[t * chunks + k] = top / limit;
            for (size_t o = k * CHUNK; o < (k + 1) * CHUNK; o += 16) _mm512_store_ps(scaled + o, _mm512_mul_ps(_mm512_load_ps(row + o), factor));
        }
        for (size_t b = 0; b < s->blocks; b++) {
            float total = 0;
            if (hasMin) {
                const float *m = s->m + b * g;
                __m512 sum = _mm512_setzero_ps();
                for (size_t o = 0; o < used * CHUNK; o += 16) sum = _mm512_fmadd_ps(_mm512_load_ps(row + o), _mm512_load_ps(m + o), sum);
                total = _mm512_reduce_add_ps(sum);
            }
            s->minimum[t * s->blocks + b] = total;
        }
    }
}

// z = dy·d / (its chunk's scale) for block column b, rounded to int16: an FMA with 1.5·2^23 leaves
// the rounded integer in the low 16 bits of each float, and one word permute gathers 32 of them.
LK_VNNI_INLINE void block_column_z(int T, size_t b, size_t count, const column_scratch *s) {
    const size_t g = s->rows, used = (count + CHUNK - 1) / CHUNK * CHUNK;
    const float *dn = s->dn + b * g;
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    const __m512i lowWords = _mm512_set_epi16(62, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32,
                                              30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    for (int t = 0; t < T; t++) {
        const float *scaled = s->dyScaled + t * g;
        int16_t *z = s->z + t * g;
        for (size_t o = 0; o < used; o += 32) {
            const __m512i lo = _mm512_castps_si512(_mm512_fmadd_ps(_mm512_load_ps(scaled + o), _mm512_load_ps(dn + o), magic));
            const __m512i hi = _mm512_castps_si512(_mm512_fmadd_ps(_mm512_load_ps(scaled + o + 16), _mm512_load_ps(dn + o + 16), magic));
            _mm512_store_si512((__m512i *)(z + o), _mm512_permutex2var_epi16(lo, lowWords, hi));
        }
    }
}

LK_VNNI_INLINE void columns_tile(const int T, const column_scratch *s, size_t b, size_t count, float *dx, size_t dxStride, int accumulate) {
    const size_t g = s->rows, chunks = (count + CHUNK - 1) / CHUNK, allChunks = g / CHUNK;
    const __m512i *level = (const __m512i *)(s->levels + b * g / 2 * COLUMN_PAIR_BYTES);
    block_column_z(T, b, count, s);
    __m512 f[TILE][2];
    for (int t = 0; t < T; t++) f[t][0] = f[t][1] = _mm512_set1_ps(s->minimum[t * s->blocks + b]);
    for (size_t k = 0; k < chunks; k++) {
        __m512i a[TILE][2];
        for (int t = 0; t < T; t++) a[t][0] = a[t][1] = _mm512_setzero_si512();
        const size_t pairs = (k + 1) * CHUNK <= count ? CHUNK / 2 : (count - k * CHUNK + 1) / 2;
        for (size_t p = k * CHUNK / 2; p < k * CHUNK / 2 + pairs; p++) {
            const __m512i w0 = _mm512_load_si512(level + 2 * p), w1 = _mm512_load_si512(level + 2 * p + 1);
            for (int t = 0; t < T; t++) {
                int32_t pair; memcpy(&pair, s->z + t * g + 2 * p, 4);
                const __m512i zb = _mm512_set1_epi32(pair);
                a[t][0] = _mm512_dpwssd_epi32(a[t][0], zb, w0);
                a[t][1] = _mm512_dpwssd_epi32(a[t][1], zb, w1);
            }
        }
        const float dmax = s->dmax[b * allChunks + k];
        for (int t = 0; t < T; t++) {
            const __m512 scale = _mm512_set1_ps(s->dyScale[t * allChunks + k] * dmax);
            f[t][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[t][0]), scale, f[t][0]);
            f[t][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[t][1]), scale, f[t][1]);
        }
    }
    for (int t = 0; t < T; t++) {
        float *out = dx + t * dxStride;
        if (accumulate) {
            f[t][0] = _mm512_add_ps(f[t][0], _mm512_loadu_ps(out));
            f[t][1] = _mm512_add_ps(f[t][1], _mm512_loadu_ps(out + 16));
        }
        _mm512_storeu_ps(out, f[t][0]);
        _mm512_storeu_ps(out + 16, f[t][1]);
    }
}

#define COLUMNS_TILE(T) columns_tile(T, s, b, count, dx, dxStride, accumulate)
static LK_VNNI void columns_tile_any(int T, const column_scratch *s, size_t b, size_t count, float *dx, size_t dxStride, int accumulate) {
    WITH_CONSTANT_T(COLUMNS_TILE)
}

LK_VNNI void lk_qgemm_columns(uint32_t type, const void *w, size_t rowBytes, size_t grouped, size_t rows, size_t block0, size_t block1,
                              const float *dy, size_t dyStride, size_t n, float *dx, size_t dxStride, int accumulate, void *scratch) {
    column_scratch s;
    column_layout(rows, block1 - block0, scratch, &s);
    const size_t g = s.rows;
    for (size_t o0 = 0; o0 < rows; o0 += g) {
        const size_t count = rows - o0 < g ? rows - o0 : g;
        pack_columns(type, w, rowBytes, grouped, o0, count, block0, &s);
        for (size_t t0 = 0; t0 < n; t0 += TILE) {
            const int T = n - t0 < TILE ? (int)(n - t0) : TILE;
            prepare_tile(dy + t0 * dyStride + o0, dyStride, T, count, has_minimum(type), (float)lk_qgemm_limit(type), &s);
            for (size_t b = 0; b < s.blocks; b++)
                columns_tile_any(T, &s, b, count, dx + t0 * dxStride + (block0 + b) * BLOCK, dxStride, accumulate || o0 > 0);
        }
    }
}

#else

void lk_qgemm_quantize(const float *x, size_t xStride, size_t n, size_t cols, int limit, int16_t *xq, float *scale, float *sum) {}
size_t lk_qgemm_rows_scratch(size_t rows, size_t cols) { return 0; }
void lk_qgemm_rows(uint32_t type, const void *w, size_t rowBytes, size_t grouped, size_t row0, size_t row1, size_t cols,
                   const int16_t *xq, const float *scale, const float *sum, size_t n,
                   float *y, size_t yStride, int accumulate, void *scratch) {}
size_t lk_qgemm_columns_scratch(size_t rows, size_t blocks) { return 0; }
void lk_qgemm_columns(uint32_t type, const void *w, size_t rowBytes, size_t grouped, size_t rows, size_t block0, size_t block1,
                      const float *dy, size_t dyStride, size_t n, float *dx, size_t dxStride, int accumulate, void *scratch) {}

#endif
