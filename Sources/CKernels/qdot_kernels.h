// The SIMD body of qdot.c, included once per instruction set with QDOT_NAME (a name's suffix),
// QDOT_TARGET (the function attribute) and QDOT_DOT(acc, w, x) (acc + 8 int32 sums of pairs of
// int16 products). One function per weight type and input count N ≤ 4, so that each inner loop is
// branch-free and each block's weights are unpacked once for all N inputs.

#define QI QDOT_TARGET static inline __attribute__((always_inline))

QI float QDOT_NAME(hsum)(__m256 t) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

// An f16 field with F16C (half_float's plain C, with its branches, cost a third of a block's time).
QI float QDOT_NAME(half)(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return _cvtsh_ss(h); }

// The 32 levels of a block as int16: values 0-15 in w[0], 16-31 in w[1], from 32 bytes.
QI void QDOT_NAME(widen_unsigned)(__m256i bytes, __m256i w[2]) {
    w[0] = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(bytes));
    w[1] = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(bytes, 1));
}
QI void QDOT_NAME(widen_signed)(__m256i bytes, __m256i w[2]) {
    w[0] = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(bytes));
    w[1] = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(bytes, 1));
}

// acc[t] += (levels · x_t, in 8 lanes) · scale · d_x for N inputs (x_t at x + t·cols, its scale at
// xd[t·xdStride]). With `split`, the two halves' sums take their own scales (Q6_K: 16 values per scale).
QI void QDOT_NAME(block)(const int N, const __m256i w[2], const int16_t *x, size_t cols, const float *xd, size_t xdStride,
                         __m256 scale, const int split, __m256 scale1, __m256 *acc) {
    for (int t = 0; t < N; t++) {
        const int16_t *xt = x + t * cols;
        const __m256 dx = _mm256_set1_ps(xd[t * xdStride]);
        const __m256i x0 = _mm256_loadu_si256((const __m256i *)xt), x1 = _mm256_loadu_si256((const __m256i *)(xt + 16));
        if (split) {
            const __m256i s0 = QDOT_DOT(_mm256_setzero_si256(), w[0], x0), s1 = QDOT_DOT(_mm256_setzero_si256(), w[1], x1);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_mul_ps(scale, dx), acc[t]);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s1), _mm256_mul_ps(scale1, dx), acc[t]);
        } else {
            const __m256i s = QDOT_DOT(QDOT_DOT(_mm256_setzero_si256(), w[0], x0), w[1], x1);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(scale, dx), acc[t]);
        }
    }
}

// Bytes ahead of the current block to prefetch: the hardware prefetcher alone left bandwidth unused.
enum { QDOT_NAME(PREFETCH) = 1024 };

// The f16 pairs at the heads of four rows' blocks (d, and m for Q4_1), in lanes 0-3 of d and m.
QI void QDOT_NAME(heads)(const uint8_t *const p[4], __m128 *d, __m128 *m) {
    uint32_t h[4];
    for (int i = 0; i < 4; i++) memcpy(&h[i], p[i], 4);
    const __m256 f = _mm256_permutevar8x32_ps(_mm256_cvtph_ps(_mm_setr_epi32((int)h[0], (int)h[1], (int)h[2], (int)h[3])),
                                              _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
    *d = _mm256_castps256_ps128(f);
    *m = _mm256_extractf128_ps(f, 1);
}

// The 32 levels of a Q4_0/Q4_1/Q8_0 block at p: values 0-15 in v[0], 16-31 in v[1]. Q4_0's are
// q, not q − 8: rows32 adds −8·Σx to the integer sums.
QI void QDOT_NAME(levels32)(const uint32_t type, const uint8_t *p, __m256i v[2]) {
    if (type == T_Q8_0) {
        v[0] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p + 2)));
        v[1] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p + 18)));
    } else { // byte j holds value j (low nibble) and value j + 16 (high nibble)
        const __m256i u = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(p + (type == T_Q4_1 ? 4 : 2))));
        v[0] = _mm256_and_si256(u, _mm256_set1_epi16(0x0f));
        v[1] = _mm256_srli_epi16(u, 4);
    }
}

// The four int32 totals of a[0..3]'s eight lanes each, in lanes 0-3.
QI __m128i QDOT_NAME(totals)(const __m256i a[4]) {
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a[0], a[1]), _mm256_hadd_epi32(a[2], a[3]));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

// y[t·yStride + r] (+)= row r · input t for Q4_0/Q4_1/Q8_0 rows, R ≤ 4 rows at a time (each block
// of x loaded once for them) and N ≤ 4 inputs. Each block's integer sum is exact, then
// f = fma(sum, d·d_x, f) (and f = fma(m, sum_x, f) for Q4_1) in block order, one lane per row: the
// same float operations, in the same order, as the scalar reference and the tiled lk_qgemm_rows,
// so a row's result does not depend on R, N, the instruction set or the batch it came in.
QI void QDOT_NAME(rows32)(const uint32_t type, const int N, const int R, const uint8_t *w, size_t rowBytes, size_t rows,
                          size_t cols, const int16_t *xq, const float *xscale, const float *xsum, float *y, size_t yStride,
                          int accumulate) {
    const size_t blocks = cols / 32, bytes = type == T_Q8_0 ? 34 : type == T_Q4_1 ? 20 : 18;
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
        for (size_t b = 0; b < blocks; b++) {
            // The next pass's rows, at this block: the same column ahead in each of the R streams
            // kept streaming (measured against a fixed distance ahead in each row: up to 1.7x).
            for (int i = 0; i < R; i++) _mm_prefetch((const char *)p[i] + (size_t)R * rowBytes, _MM_HINT_T0);
            __m128 d, m;
            QDOT_NAME(heads)(p, &d, &m);
            __m256i v[4][2];
            for (int i = 0; i < R; i++) QDOT_NAME(levels32)(type, p[i], v[i]);
            for (int t = 0; t < N; t++) {
                const int16_t *xb = xq + t * cols + 32 * b;
                const __m256i x0 = _mm256_loadu_si256((const __m256i *)xb), x1 = _mm256_loadu_si256((const __m256i *)(xb + 16));
                __m256i a[4];
                for (int i = 0; i < 4; i++) a[i] = i < R ? QDOT_DOT(QDOT_DOT(_mm256_setzero_si256(), v[i][0], x0), v[i][1], x1) : _mm256_setzero_si256();
                __m128i sums = QDOT_NAME(totals)(a);
                if (type == T_Q4_0) sums = _mm_add_epi32(sums, _mm_set1_epi32(offset[t][b]));
                const __m128 total = _mm_cvtepi32_ps(sums);
                f[t] = _mm_fmadd_ps(total, _mm_mul_ps(d, _mm_set1_ps(xscale[t * blocks + b])), f[t]);
                if (type == T_Q4_1) f[t] = _mm_fmadd_ps(m, _mm_set1_ps(xsum[t * blocks + b]), f[t]);
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

// y[t·yStride + r] (+)= row r · input t for r < rows, t < N. Two sets of accumulators (even and
// odd blocks, or low and high halves) so that consecutive blocks' FMAs do not wait on each other.
QI void QDOT_NAME(rows_n)(const uint32_t type, const int N, const uint8_t *w, size_t rowBytes, size_t rows, size_t cols,
                          const int16_t *xq, const float *xscale, const float *xsum, float *y, size_t yStride, int accumulate) {
    const size_t blocks = cols / 32;
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256 none = _mm256_setzero_ps();
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *p = w + r * rowBytes;
        __m256 acc[2][4];
        float mins[2][4] = {{0}};
        for (int t = 0; t < N; t++) acc[0][t] = acc[1][t] = _mm256_setzero_ps();
        if (type == T_Q4_K || type == T_Q5_K) {
            const int five = type == T_Q5_K;
            for (size_t sb = 0; sb < blocks / 8; sb++, p += five ? 176 : 144) {
                for (int c = 0; c < 176; c += 64) _mm_prefetch((const char *)p + QDOT_NAME(PREFETCH) + c, _MM_HINT_T0);
                const float d = QDOT_NAME(half)(p), dmin = QDOT_NAME(half)(p + 2);
                const uint8_t *qs = p + (five ? 48 : 16);
                const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)(p + 16)) : _mm256_setzero_si256();
                for (int g = 0; g < 4; g++) {
                    const __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * g));
                    for (int h = 0; h < 2; h++) {
                        const int j = 2 * g + h;
                        const size_t b = 8 * sb + (size_t)j;
                        uint8_t sc, mn;
                        scale_min_k4(j, p + 4, &sc, &mn);
                        __m256i u = _mm256_and_si256(h ? _mm256_srli_epi16(raw, 4) : raw, low4), v[2];
                        if (five) u = _mm256_or_si256(u, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, j), _mm256_set1_epi8(1)), 4));
                        QDOT_NAME(widen_unsigned)(u, v);
                        QDOT_NAME(block)(N, v, xq + 32 * b, cols, xscale + b, blocks, _mm256_set1_ps(d * sc), 0, none, acc[h]);
                        const float m = -dmin * mn;
                        for (int t = 0; t < N; t++) mins[h][t] += m * xsum[t * blocks + b];
                    }
                }
            }
        } else { // Q6_K: level sc·(q − 32), q six bits from ql's nibbles and qh's pairs, sc per 16 values
            for (size_t sb = 0; sb < blocks / 8; sb++, p += 210) {
                for (int c = 0; c < 210; c += 64) _mm_prefetch((const char *)p + QDOT_NAME(PREFETCH) + c, _MM_HINT_T0);
                const float d = QDOT_NAME(half)(p + 208);
                for (int half = 0; half < 2; half++) {
                    const uint8_t *ql = p + 64 * half;
                    const int8_t *sc = (const int8_t *)(p + 192 + 8 * half);
                    const __m256i qh = _mm256_loadu_si256((const __m256i *)(p + 128 + 32 * half));
                    for (int k = 0; k < 4; k++) {
                        const size_t b = 8 * sb + 4 * (size_t)half + (size_t)k;
                        const __m256i raw = _mm256_loadu_si256((const __m256i *)(ql + 32 * (k % 2)));
                        const __m256i lo = _mm256_and_si256(k / 2 ? _mm256_srli_epi16(raw, 4) : raw, low4);
                        const __m256i hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), _mm256_set1_epi8(3)), 4);
                        __m256i v[2];
                        QDOT_NAME(widen_signed)(_mm256_sub_epi8(_mm256_or_si256(lo, hi), _mm256_set1_epi8(32)), v);
                        QDOT_NAME(block)(N, v, xq + 32 * b, cols, xscale + b, blocks, _mm256_set1_ps(d * sc[2 * k]), 1,
                                         _mm256_set1_ps(d * sc[2 * k + 1]), acc[k & 1]);
                    }
                }
            }
        }
        for (int t = 0; t < N; t++) {
            const float v = QDOT_NAME(hsum)(_mm256_add_ps(acc[0][t], acc[1][t])) + (mins[0][t] + mins[1][t]);
            float *o = y + t * yStride + r;
            *o = accumulate ? *o + v : v;
        }
    }
}

typedef void (*QDOT_NAME(rows_fn))(const uint8_t *, size_t, size_t, size_t, const int16_t *, const float *, const float *,
                                   float *, size_t, int);
#define QDOT_FN(T, S, N, BODY) \
    QDOT_TARGET static void QDOT_NAME(rows_##S##_##N)(const uint8_t *w, size_t rb, size_t rows, size_t cols, const int16_t *xq, \
        const float *xs, const float *xm, float *y, size_t ys, int acc) { BODY; }
#define QDOT_FNS32(T, S) \
    QDOT_FN(T, S, 1, QDOT_NAME(rows32)(T, 1, QDOT_GROUP(1), w, rb, rows, cols, xq, xs, xm, y, ys, acc)) \
    QDOT_FN(T, S, 2, QDOT_NAME(rows32)(T, 2, QDOT_GROUP(2), w, rb, rows, cols, xq, xs, xm, y, ys, acc)) \
    QDOT_FN(T, S, 3, QDOT_NAME(rows32)(T, 3, QDOT_GROUP(3), w, rb, rows, cols, xq, xs, xm, y, ys, acc)) \
    QDOT_FN(T, S, 4, QDOT_NAME(rows32)(T, 4, QDOT_GROUP(4), w, rb, rows, cols, xq, xs, xm, y, ys, acc))
#define QDOT_FNS(T, S) \
    QDOT_FN(T, S, 1, QDOT_NAME(rows_n)(T, 1, w, rb, rows, cols, xq, xs, xm, y, ys, acc)) \
    QDOT_FN(T, S, 2, QDOT_NAME(rows_n)(T, 2, w, rb, rows, cols, xq, xs, xm, y, ys, acc)) \
    QDOT_FN(T, S, 3, QDOT_NAME(rows_n)(T, 3, w, rb, rows, cols, xq, xs, xm, y, ys, acc)) \
    QDOT_FN(T, S, 4, QDOT_NAME(rows_n)(T, 4, w, rb, rows, cols, xq, xs, xm, y, ys, acc))
QDOT_FNS32(T_Q4_0, q4_0)
QDOT_FNS32(T_Q4_1, q4_1)
QDOT_FNS32(T_Q8_0, q8_0)
QDOT_FNS(T_Q4_K, q4_k)
QDOT_FNS(T_Q5_K, q5_k)
QDOT_FNS(T_Q6_K, q6_k)
#undef QDOT_FNS
#undef QDOT_FNS32
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
