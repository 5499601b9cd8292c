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

// The two f16 values at the head of a Q4_0/Q4_1/Q8_0 block, in one 32-bit load (the block has more
// bytes after them): a 16-bit load becomes a vpinsrw that merges into a live register.
QI __m128 QDOT_NAME(head)(const uint8_t *p) {
    uint32_t v; memcpy(&v, p, 4);
    return _mm_cvtph_ps(_mm_cvtsi32_si128((int)v));
}

// Block b of a Q4_0, Q4_1 or Q8_0 row, at p, into acc and mins.
QI void QDOT_NAME(block32)(const uint32_t type, const int N, const uint8_t *p, size_t b, const int16_t *xq, size_t cols,
                           const float *xscale, const float *xsum, size_t blocks, __m256 *acc, float *mins) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    _mm_prefetch((const char *)p + QDOT_NAME(PREFETCH), _MM_HINT_T0);
    const __m128 dm = QDOT_NAME(head)(p);
    __m256i v[2];
    if (type == T_Q8_0) {
        QDOT_NAME(widen_signed)(_mm256_loadu_si256((const __m256i *)(p + 2)), v);
    } else {
        // Byte j holds value j (low nibble) and value j + 16 (high nibble).
        const __m128i raw = _mm_loadu_si128((const __m128i *)(p + (type == T_Q4_1 ? 4 : 2)));
        const __m256i u = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), low4);
        if (type == T_Q4_0) QDOT_NAME(widen_signed)(_mm256_sub_epi8(u, _mm256_set1_epi8(8)), v); // q − 8
        else QDOT_NAME(widen_unsigned)(u, v);
    }
    QDOT_NAME(block)(N, v, xq + 32 * b, cols, xscale + b, blocks, _mm256_broadcastss_ps(dm), 0, _mm256_setzero_ps(), acc);
    if (type == T_Q4_1) {
        const float m = _mm_cvtss_f32(_mm_movehdup_ps(dm)); // value = d·level + m
        for (int t = 0; t < N; t++) mins[t] += m * xsum[t * blocks + b];
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
        if (type == T_Q4_0 || type == T_Q4_1 || type == T_Q8_0) {
            const size_t bytes = type == T_Q8_0 ? 34 : type == T_Q4_1 ? 20 : 18;
            size_t b = 0;
            // Two blocks per iteration into the two sets: an index that varies at run time would
            // keep the accumulators in memory, each FMA waiting on the last one's store.
            for (; b + 2 <= blocks; b += 2, p += 2 * bytes) {
                QDOT_NAME(block32)(type, N, p, b, xq, cols, xscale, xsum, blocks, acc[0], mins[0]);
                QDOT_NAME(block32)(type, N, p + bytes, b + 1, xq, cols, xscale, xsum, blocks, acc[1], mins[1]);
            }
            if (b < blocks) QDOT_NAME(block32)(type, N, p, b, xq, cols, xscale, xsum, blocks, acc[0], mins[0]);
        } else if (type == T_Q4_K || type == T_Q5_K) {
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
#define QDOT_FN(T, S, N) \
    QDOT_TARGET static void QDOT_NAME(rows_##S##_##N)(const uint8_t *w, size_t rb, size_t rows, size_t cols, const int16_t *xq, \
        const float *xs, const float *xm, float *y, size_t ys, int acc) { QDOT_NAME(rows_n)(T, N, w, rb, rows, cols, xq, xs, xm, y, ys, acc); }
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
