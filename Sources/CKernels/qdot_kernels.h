// The SIMD body of qdot.c, included once per instruction set with QDOT_NAME (a name's suffix),
// QDOT_TARGET (the function attribute) and QDOT_DOT(acc, w, x) (acc + 8 int32 sums of pairs of
// int16 products). One function per weight type and input count N ≤ 4, so that each inner loop is
// branch-free, and each block's weights are unpacked once for all N inputs and each block of x
// loaded once for the four rows of a pass (also with AVX2's 16 registers, where four rows' levels
// and sums for four inputs spill: measured 1.4x as fast as two rows per pass).

#define QI QDOT_TARGET static inline __attribute__((always_inline))

// The f16 fields at p[i] + at (d) and p[i] + at + 2 (Q4_1's m, the K-quants' dmin) of four rows,
// in lanes 0-3 of d and m. `both`: the second field exists (else it is not read).
QI void QDOT_NAME(heads)(const uint8_t *const p[4], size_t at, int both, __m128 *d, __m128 *m) {
    uint32_t h[4] = {0};
    for (int i = 0; i < 4; i++) memcpy(&h[i], p[i] + at, both ? 4 : 2);
    const __m256 f = _mm256_permutevar8x32_ps(_mm256_cvtph_ps(_mm_setr_epi32((int)h[0], (int)h[1], (int)h[2], (int)h[3])),
                                              _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
    *d = _mm256_castps256_ps128(f);
    *m = _mm256_extractf128_ps(f, 1);
}

// The 32 levels of a block as int16: values 0-15 in v[0], 16-31 in v[1], from 32 bytes.
QI void QDOT_NAME(widen_unsigned)(__m256i bytes, __m256i v[2]) {
    v[0] = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(bytes));
    v[1] = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(bytes, 1));
}
QI void QDOT_NAME(widen_signed)(__m256i bytes, __m256i v[2]) {
    v[0] = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(bytes));
    v[1] = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(bytes, 1));
}

// Block j's levels (as block_levels gives them) of a row whose block or super-block is at p.
// Q4_0's are q, not q − 8: rows_group adds −8·Σx to the integer sums. Q6_K's fold in the int8
// scales, sc[0] for values 0-15 and sc[1] for 16-31.
QI void QDOT_NAME(levels)(const uint32_t type, const uint8_t *p, int j, __m256i v[2]) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    if (type == T_Q8_0) {
        v[0] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p + 2)));
        v[1] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p + 18)));
    } else if (type == T_Q4_0 || type == T_Q4_1) { // byte j holds value j (low nibble) and value j + 16 (high nibble)
        const __m256i u = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(p + (type == T_Q4_1 ? 4 : 2))));
        v[0] = _mm256_and_si256(u, _mm256_set1_epi16(0x0f));
        v[1] = _mm256_srli_epi16(u, 4);
    } else if (type == T_Q4_K || type == T_Q5_K) { // value l of block j: nibble j % 2 of qs[32·(j/2) + l], bit j of qh[l]
        const int five = type == T_Q5_K;
        const __m256i raw = _mm256_loadu_si256((const __m256i *)(p + (five ? 48 : 16) + 32 * (j / 2)));
        __m256i u = _mm256_and_si256(j % 2 ? _mm256_srli_epi16(raw, 4) : raw, low4);
        if (five) {
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(p + 16));
            u = _mm256_or_si256(u, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, j), _mm256_set1_epi8(1)), 4));
        }
        QDOT_NAME(widen_unsigned)(u, v);
    } else { // Q6_K, value l of block j = 4h + k: ql nibble, qh pair, scale sc[8h + 2k + l/16], level sc·(q − 32)
        const int h = j / 4, k = j % 4;
        const __m256i raw = _mm256_loadu_si256((const __m256i *)(p + 64 * h + 32 * (k % 2)));
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(p + 128 + 32 * h));
        const __m256i lo = _mm256_and_si256(k / 2 ? _mm256_srli_epi16(raw, 4) : raw, low4);
        const __m256i hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), _mm256_set1_epi8(3)), 4);
        QDOT_NAME(widen_signed)(_mm256_sub_epi8(_mm256_or_si256(lo, hi), _mm256_set1_epi8(32)), v);
        const int8_t *sc = (const int8_t *)(p + 192 + 8 * h + 2 * k);
        v[0] = _mm256_mullo_epi16(v[0], _mm256_set1_epi16(sc[0]));
        v[1] = _mm256_mullo_epi16(v[1], _mm256_set1_epi16(sc[1]));
    }
}

// The four int32 totals of a[0..3]'s eight lanes each, in lanes 0-3.
QI __m128i QDOT_NAME(totals)(const __m256i a[4]) {
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a[0], a[1]), _mm256_hadd_epi32(a[2], a[3]));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

// y[t·yStride + r] (+)= row r · input t, R = 4 rows at a time and N ≤ 4 inputs. Each block's
// integer sum is exact (Q6_K's, whose 16-value halves could pass 2^31 together, per half), then
// f = fma(sum, d·d_x, f) (per half for Q6_K) and f = fma(m, sum_x, f) where blocks have a minimum,
// in block order, one lane per row: the scalar reference's float operations in its order, and the
// tiled lk_qgemm_rows's, so that a row's result depends on neither R, N, the instruction set nor
// the batch it came in.
QI void QDOT_NAME(rows_group)(const uint32_t type, const int N, const uint8_t *w, size_t rowBytes, size_t rows,
                              size_t cols, const int16_t *xq, const float *xscale, const float *xsum, float *y, size_t yStride,
                              int accumulate) {
    enum { R = 4 };
    const size_t blocks = cols / 32;
    const int superBlocks = type == T_Q4_K || type == T_Q5_K || type == T_Q6_K, halves = type == T_Q6_K;
    const int minimum = type == T_Q4_1 || type == T_Q4_K || type == T_Q5_K;
    // Bytes per (super-)block and blocks of 32 in it.
    const size_t bytes = type == T_Q8_0 ? 34 : type == T_Q4_1 ? 20 : type == T_Q4_0 ? 18 : type == T_Q4_K ? 144 : type == T_Q5_K ? 176 : 210;
    const int per = superBlocks ? 8 : 1;
    // Q4_0: −8·Σ levels of each input block, added to the rows' integer sums.
    int32_t offset[4][type == T_Q4_0 ? blocks : 1];
    if (type == T_Q4_0) {
        for (int t = 0; t < N; t++) {
            for (size_t b = 0; b < blocks; b++) {
                const int16_t *xb = xq + t * cols + 32 * b;
                const __m256i one = _mm256_set1_epi16(1), a[4] = {
                    _mm256_add_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)xb), one),
                                     _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(xb + 16)), one)),
                    _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
                offset[t][b] = -8 * _mm_cvtsi128_si32(QDOT_NAME(totals)(a));
            }
        }
    }
    for (size_t r0 = 0; r0 < rows; r0 += (size_t)R) {
        const int live = rows - r0 < (size_t)R ? (int)(rows - r0) : R;
        const uint8_t *p[4];
        for (int i = 0; i < 4; i++) p[i] = w + (r0 + (size_t)(i < live ? i : live - 1)) * rowBytes;
        __m128 f[4];
        for (int t = 0; t < N; t++) f[t] = _mm_setzero_ps();
        for (size_t sb = 0; sb < blocks / (size_t)per; sb++) {
            // The next pass's rows, at this block: the same column ahead in each of the R streams
            // kept streaming (measured against a fixed distance ahead in each row: up to 1.7x).
            for (int i = 0; i < R; i++)
                for (size_t c = 0; c < bytes; c += 64) _mm_prefetch((const char *)p[i] + (size_t)R * rowBytes + c, _MM_HINT_T0);
            __m128 d, m;
            QDOT_NAME(heads)(p, type == T_Q6_K ? 208 : 0, type != T_Q6_K && type != T_Q4_0 && type != T_Q8_0, &d, &m);
            // K-quants: each row's 6-bit scales and minimums of the 8 blocks, as floats.
            float sc[8][4], mn[8][4];
            if (type == T_Q4_K || type == T_Q5_K) {
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 8; j++) {
                        uint8_t s6, m6;
                        scale_min_k4(j, p[i] + 4, &s6, &m6);
                        sc[j][i] = s6;
                        mn[j][i] = m6;
                    }
                }
            }
            for (int j = 0; j < per; j++) {
                const size_t b = (size_t)per * sb + (size_t)j;
                __m128 db = d, mb = m; // this block's scale and minimum per row, as block_levels computes them
                if (type == T_Q4_K || type == T_Q5_K) {
                    db = _mm_mul_ps(d, _mm_loadu_ps(sc[j]));
                    mb = _mm_mul_ps(_mm_xor_ps(m, _mm_set1_ps(-0.0f)), _mm_loadu_ps(mn[j])); // −dmin·mn
                }
                __m256i v[4][2];
                for (int i = 0; i < R; i++) QDOT_NAME(levels)(type, p[i], j, v[i]);
                for (int t = 0; t < N; t++) {
                    const int16_t *xb = xq + t * cols + 32 * b;
                    const __m256i x0 = _mm256_loadu_si256((const __m256i *)xb), x1 = _mm256_loadu_si256((const __m256i *)(xb + 16));
                    const __m128 scale = _mm_mul_ps(db, _mm_set1_ps(xscale[t * blocks + b]));
                    __m256i a[4], a1[4];
                    for (int i = 0; i < 4; i++) {
                        const __m256i zero = _mm256_setzero_si256();
                        a[i] = halves ? QDOT_DOT(zero, v[i][0], x0) : QDOT_DOT(QDOT_DOT(zero, v[i][0], x0), v[i][1], x1);
                        a1[i] = halves ? QDOT_DOT(zero, v[i][1], x1) : zero;
                    }
                    __m128i sums = QDOT_NAME(totals)(a);
                    if (type == T_Q4_0) sums = _mm_add_epi32(sums, _mm_set1_epi32(offset[t][b]));
                    f[t] = _mm_fmadd_ps(_mm_cvtepi32_ps(sums), scale, f[t]);
                    if (halves) f[t] = _mm_fmadd_ps(_mm_cvtepi32_ps(QDOT_NAME(totals)(a1)), scale, f[t]);
                    if (minimum) f[t] = _mm_fmadd_ps(mb, _mm_set1_ps(xsum[t * blocks + b]), f[t]);
                }
            }
            for (int i = 0; i < 4; i++) p[i] += bytes;
        }
        for (int t = 0; t < N; t++) {
            float out[4];
            _mm_storeu_ps(out, f[t]);
            for (int i = 0; i < live; i++) {
                float *o = y + t * yStride + r0 + (size_t)i;
                *o = accumulate ? *o + out[i] : out[i];
            }
        }
    }
}

typedef void (*QDOT_NAME(rows_fn))(const uint8_t *, size_t, size_t, size_t, const int16_t *, const float *, const float *,
                                   float *, size_t, int);
#define QDOT_FN(T, S, N) \
    QDOT_TARGET static void QDOT_NAME(rows_##S##_##N)(const uint8_t *w, size_t rb, size_t rows, size_t cols, const int16_t *xq, \
        const float *xs, const float *xm, float *y, size_t ys, int acc) { \
        QDOT_NAME(rows_group)(T, N, w, rb, rows, cols, xq, xs, xm, y, ys, acc); }
#define QDOT_FNS(T, S) QDOT_FN(T, S, 1) QDOT_FN(T, S, 2) QDOT_FN(T, S, 3) QDOT_FN(T, S, 4)
QDOT_FNS(T_Q4_0, q4_0)
QDOT_FNS(T_Q4_1, q4_1)
QDOT_FNS(T_Q8_0, q8_0)
QDOT_FNS(T_Q4_K, q4_k)
QDOT_FNS(T_Q5_K, q5_k)
QDOT_FNS(T_Q6_K, q6_k)
#undef QDOT_FNS
#undef QDOT_FN

// All n inputs in groups of up to four, over runs of rows small enough to stay in L1 between groups.
QDOT_TARGET static void QDOT_NAME(rows_q)(uint32_t type, const void *w, size_t rowBytes, size_t rows, size_t cols, const int16_t *xq,
                                          const float *scale, const float *sum, size_t n, float *y, size_t yStride, int accumulate) {
#define QDOT_ROW(S) {QDOT_NAME(rows_##S##_1), QDOT_NAME(rows_##S##_2), QDOT_NAME(rows_##S##_3), QDOT_NAME(rows_##S##_4)}
    static const QDOT_NAME(rows_fn) fns[6][4] = {QDOT_ROW(q4_0), QDOT_ROW(q4_1), QDOT_ROW(q8_0), QDOT_ROW(q4_k), QDOT_ROW(q5_k), QDOT_ROW(q6_k)};
#undef QDOT_ROW
    const int ti = type == T_Q4_0 ? 0 : type == T_Q4_1 ? 1 : type == T_Q8_0 ? 2 : type == T_Q4_K ? 3 : type == T_Q5_K ? 4 : 5;
    const size_t blocks = cols / 32, run = n <= 4 ? rows : rowBytes < 16384 ? 16384 / rowBytes : 1;
    for (size_t r0 = 0; r0 < rows; r0 += run) {
        const size_t rr = rows - r0 < run ? rows - r0 : run;
        for (size_t t0 = 0; t0 < n; t0 += 4) {
            const size_t g = n - t0 < 4 ? n - t0 : 4;
            fns[ti][g - 1]((const uint8_t *)w + r0 * rowBytes, rowBytes, rr, cols, xq + t0 * cols, scale + t0 * blocks,
                           sum + t0 * blocks, y + t0 * yStride + r0, yStride, accumulate);
        }
    }
}

#undef QI
