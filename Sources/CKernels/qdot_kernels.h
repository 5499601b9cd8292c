// The SIMD body of qdot.c, included once per instruction set with QDOT_NAME (a name's suffix),
// QDOT_TARGET (the function attribute), QDOT_DOT(acc, w, x) (acc + 8 int32 sums of pairs of int16
// products), QDOT_DOTB2(acc, u0, s0, u1, s1) (acc + 8 int32 sums of four u8 × s8 products of each
// pair) and QDOT_Q8_0 (which kernel takes Q8_0). One function per weight type and input count
// N ≤ 4, so that each inner loop is branch-free, and each block's weights are unpacked once for
// all N inputs. Two kernels: rows8 (eight rows a pass, the input's bytes against the levels) for
// interleaved rows and rows of 1024 values or more whose levels fit a byte, rows_group (four rows a pass, 16-bit
// products; with AVX2's 16 registers, where four rows' levels and sums for four inputs spill,
// measured 1.4x as fast as two rows a pass) for shorter rows, Q6_K, whose levels carry their int8
// scales, and Q8_0 on AVX2.

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
        const __m256i q = q6_k_values(_mm256_loadu_si256((const __m256i *)(p + 64 * h + 32 * (k % 2))),
                                      _mm256_loadu_si256((const __m256i *)(p + 128 + 32 * h)), k);
        QDOT_NAME(widen_signed)(_mm256_sub_epi8(q, _mm256_set1_epi8(32)), v);
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

// ---- eight rows per pass, one row per 32-bit lane ----
// Each 16-bit input level is split in its two bytes, q = 256·hi + lo (hi signed, lo unsigned:
// lk_quantize_rows's `bytes`), so that the weights' levels meet the input in u8 × s8 products
// (vpdpbusd): hi meets the levels as their unsigned operand, lo as their signed one. The rows'
// bytes are transposed in registers so that lane r of a vector holds four levels of row r: a
// block's sums then land one row per lane, exact, with no horizontal reductions.

// 16 bytes at p[i] + at of rows i (low half) and i + 4 (high half), i < 4.
QI void QDOT_NAME(load8)(const uint8_t *const p[8], size_t at, __m256i v[4]) {
    for (int i = 0; i < 4; i++) v[i] = _mm256_loadu2_m128i((const __m128i *)(p[i + 4] + at), (const __m128i *)(p[i] + at));
}

// Lane r of t[k] = 32-bit word k of row r's 16 bytes (v from load8).
QI void QDOT_NAME(transpose8)(const __m256i v[4], __m256i t[4]) {
    const __m256i a = _mm256_unpacklo_epi32(v[0], v[1]), b = _mm256_unpackhi_epi32(v[0], v[1]);
    const __m256i c = _mm256_unpacklo_epi32(v[2], v[3]), d = _mm256_unpackhi_epi32(v[2], v[3]);
    t[0] = _mm256_unpacklo_epi64(a, c);
    t[1] = _mm256_unpackhi_epi64(a, c);
    t[2] = _mm256_unpacklo_epi64(b, d);
    t[3] = _mm256_unpackhi_epi64(b, d);
}

// The f16 pair at p[r] + at of eight rows as floats: the first in *d, the second in *m (lane r).
QI void QDOT_NAME(heads8)(const uint8_t *const p[8], size_t at, __m256 *d, __m256 *m) {
    __m256i v[4];
    QDOT_NAME(load8)(p, at, v);
    const __m256i h = _mm256_unpacklo_epi64(_mm256_unpacklo_epi32(v[0], v[1]), _mm256_unpacklo_epi32(v[2], v[3]));
    const __m256i order = _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15,
                                           0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
    const __m256i f = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(h, order), 0xd8); // firsts, then seconds
    *d = _mm256_cvtph_ps(_mm256_castsi256_si128(f));
    *m = _mm256_cvtph_ps(_mm256_extracti128_si256(f, 1));
}

// The exact integer sum Σ level·q of one block of eight rows for input bytes (hi, lo) of the
// block: L[k] lane r = row r's levels of values 4k..4k+3, unsigned (0-31: vpmaddubsw's pairs of
// products and their sums over two values of k stay within int16) or, `signedLevels`,
// int8 (Q8_0: hi meets level + 128, and the caller adds −128·256·Σhi).
// K = 4 sums the first 16 values only (Q6_K's halves).
QI __m256i QDOT_NAME(block8)(const __m256i L[8], const int K, const int signedLevels, const int8_t *hi, const uint8_t *lo) {
    __m256i h[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()}, l[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    const __m256i flip = _mm256_set1_epi8(-128);
    for (int k = 0; k < K; k += 2) {
        int32_t a[2], b[2];
        memcpy(a, hi + 4 * k, 8);
        memcpy(b, lo + 4 * k, 8);
        const __m256i u0 = signedLevels ? _mm256_xor_si256(L[k], flip) : L[k], u1 = signedLevels ? _mm256_xor_si256(L[k + 1], flip) : L[k + 1];
        h[k / 2 % 2] = QDOT_DOTB2(h[k / 2 % 2], u0, _mm256_set1_epi32(a[0]), u1, _mm256_set1_epi32(a[1]));
        l[k / 2 % 2] = QDOT_DOTB2(l[k / 2 % 2], _mm256_set1_epi32(b[0]), L[k], _mm256_set1_epi32(b[1]), L[k + 1]);
    }
    return _mm256_add_epi32(_mm256_slli_epi32(_mm256_add_epi32(h[0], h[1]), 8), _mm256_add_epi32(l[0], l[1]));
}

#ifdef QDOT_VNNI_INTER
// q6_k_values in two to four operations where AVX-512VL is there (interleaved Q6_K only runs
// there): one shift puts qh's pair at bits 4-5 and a bit select merges the nibble, against five to
// seven operations. One core over 10 MB of matrices (bench/row_products.sh 4096 14 128): 12 -> 13.5
// GB/s; from memory the host's noise hid any change.
QI __m256i QDOT_NAME(q6_k_values_vl)(__m256i ql, __m256i qh, int k) {
    const __m256i lo = k / 2 ? _mm256_srli_epi16(ql, 4) : ql;
    const __m256i hi = k == 0 ? _mm256_slli_epi16(qh, 4) : k == 1 ? _mm256_slli_epi16(qh, 2) : k == 2 ? qh : _mm256_srli_epi16(qh, 2);
    // 0xE4: lo where the third operand's bit is set, else the second's (already masked to bits 4-5).
    return _mm256_ternarylogic_epi32(lo, _mm256_and_si256(hi, _mm256_set1_epi8(0x30)), _mm256_set1_epi8(0x0f), 0xE4);
}
#define QDOT_Q6_K_VALUES QDOT_NAME(q6_k_values_vl)
#else
#define QDOT_Q6_K_VALUES q6_k_values
#endif

// y[t·yStride + r] (+)= row r · input t for Q4_0, Q4_1, Q8_0, Q4_K and Q5_K, and interleaved Q6_K
// (on AVX-512 VNNI: its 6-bit levels overflow vpmaddubsw's pairs), eight rows a pass and N ≤ 4
// inputs: each block's exact integer sum (Q6_K's per half, as sc·(Σ q·x − 32·Σx), the same
// integer as Σ sc·(q − 32)·x), then the scalar reference's float operations in its order, one lane
// per row (so the same bits as rows_group and lk_qgemm_rows). `inter`: rows interleaved by eight
// (lk_interleave8; whole groups only), whose scales are one load and whose levels need no transposing.
QI void QDOT_NAME(rows8)(const uint32_t type, const int N, const int inter, const uint8_t *w, size_t rowBytes, size_t rows, size_t cols,
                         const uint8_t *xbytes, const float *xscale, const float *xsum, float *y, size_t yStride, int accumulate) {
    enum { R = 8 };
    const size_t blocks = cols / 32;
    const int kquant = type == T_Q4_K || type == T_Q5_K, five = type == T_Q5_K, minimum = type == T_Q4_1 || kquant;
    const int eight = type == T_Q8_0, six = type == T_Q6_K;
    const size_t bytes = eight ? 34 : type == T_Q4_1 ? 20 : type == T_Q4_0 ? 18 : five ? 176 : six ? 210 : 144;
    const size_t heads = type == T_Q4_1 || kquant ? 2 : 1;
    const int per = kquant || six ? 8 : 1;
    // Per input and block, what the rows' sums lack: −8·Σq for Q4_0 (its levels are q − 8, the
    // kernel's q), −32768·Σhi for Q8_0 (its hi products took level + 128); for Q6_K −32·Σq per half.
    int32_t offset[4][type == T_Q4_0 || eight ? blocks : six ? 2 * blocks : 1];
    if (type == T_Q4_0 || eight || six) {
        for (int t = 0; t < N; t++) {
            const int8_t *hi = (const int8_t *)xbytes + 2 * cols * (size_t)t;
            const uint8_t *lo = xbytes + 2 * cols * (size_t)t + cols;
            for (size_t b = 0; b < (six ? 2 : 1) * blocks; b++) {
                const size_t count = six ? 16 : 32;
                int32_t h = 0, l = 0;
                for (size_t i = 0; i < count; i++) { h += hi[count * b + i]; l += lo[count * b + i]; }
                offset[t][b] = eight ? -32768 * h : six ? -32 * (256 * h + l) : -8 * (256 * h + l);
            }
        }
    }
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    for (size_t r0 = 0; r0 < rows; r0 += R) {
        const int live = rows - r0 < (size_t)R ? (int)(rows - r0) : R;
        const uint8_t *p[R];
        for (int i = 0; i < R; i++) p[i] = w + (r0 + (size_t)(i < live ? i : live - 1)) * rowBytes;
        __m256 f[4];
        for (int t = 0; t < N; t++) f[t] = _mm256_setzero_ps();
        const uint8_t *group = w + r0 * rowBytes; // inter: this pass's eight rows, block after block
        for (size_t sb = 0; sb < blocks / (size_t)per; sb++) {
            const uint8_t *q = group + R * bytes * sb;
            __m256 d, m;
            if (inter) {
                // One stream, 16 KB ahead, into L2. On an Intel Xeon (bench/row_products.sh, one core
                // from memory) 1.3-1.8x as fast as the same stream with the non-temporal hint, which
                // fills L1 only, starves the L2 streamer and evicts the lines early from a last-level
                // cache that could hold a small model whole (SmolLM2's decode went from 8 to 23 GB/s
                // there); 16 KB beat 4, 8, 24 and 32 KB on the 7B at 2 threads. On Zen 4 a 4 KB stream
                // was 1.3-1.4x as fast as prefetching the next group (as below) and 1.0-1.15x as fast as none.
                for (size_t c = 0; c < R * bytes; c += 64) _mm_prefetch((const char *)q + 16384 + c, _MM_HINT_T1);
                d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)q));
                m = heads == 2 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(q + 16))) : d;
            } else {
                // The next pass's rows at this block, as rows_group prefetches (every other block of
                // Q4_0, Q4_1 and Q8_0 measured 0.9x from memory).
                for (int i = 0; i < R; i++)
                    for (size_t c = 0; c < bytes; c += 64) _mm_prefetch((const char *)p[i] + (size_t)R * rowBytes + c, _MM_HINT_T0);
                QDOT_NAME(heads8)(p, 0, &d, &m);
            }
            __m256i sc[4], H[8]; // K-quants: the 12 bytes of 6-bit scales and minimums (three words a row), Q6_K's 16 int8 scales (four); Q5_K's fifth bits
            if (six) {
                for (int k = 0; k < 4; k++) sc[k] = _mm256_loadu_si256((const __m256i *)(q + 16 + 32 * (48 + (size_t)k)));
            } else if (kquant && inter) {
                for (int k = 0; k < 3; k++) sc[k] = _mm256_loadu_si256((const __m256i *)(q + 32 + 32 * k));
            } else if (kquant) {
                __m256i v[4], t4[4];
                QDOT_NAME(load8)(p, 0, v);
                QDOT_NAME(transpose8)(v, t4);
                sc[0] = t4[1], sc[1] = t4[2], sc[2] = t4[3];
            }
            if (five && inter) {
                for (int k = 0; k < 8; k++) H[k] = _mm256_loadu_si256((const __m256i *)(q + 128 + 32 * k));
            } else if (five) {
                __m256i v[4];
                QDOT_NAME(load8)(p, 16, v);
                QDOT_NAME(transpose8)(v, H);
                QDOT_NAME(load8)(p, 32, v);
                QDOT_NAME(transpose8)(v, H + 4);
            }
            __m256i T[8];
            for (int j = 0; j < per; j++) {
                const size_t b = (size_t)per * sb + (size_t)j;
                __m256 db = d, mb = m;
                __m256i L[8];
                if (six) { // value l of block j = 4h + k: ql nibble k / 2, qh bits 2k..2k+1, scale sc[8h + 2k + l/16]
                    const size_t h = (size_t)j / 4, k = (size_t)j % 4;
                    for (size_t i = 0; i < 8; i++)
                        L[i] = QDOT_Q6_K_VALUES(_mm256_loadu_si256((const __m256i *)(q + 16 + 32 * (16 * h + 8 * (k % 2) + i))),
                                           _mm256_loadu_si256((const __m256i *)(q + 16 + 32 * (32 + 8 * h + i))), (int)k);
                    __m256i s0, s1;
                    lane_int8_pair(sc[2 * h + k / 2], (int)(2 * (k % 2)), &s0, &s1);
                    for (int t = 0; t < N; t++) {
                        const int8_t *hi = (const int8_t *)xbytes + 2 * cols * (size_t)t + 32 * b;
                        const uint8_t *lo = (const uint8_t *)hi + cols;
                        const __m256i a0 = _mm256_add_epi32(QDOT_NAME(block8)(L, 4, 0, hi, lo), _mm256_set1_epi32(offset[t][2 * b]));
                        const __m256i a1 = _mm256_add_epi32(QDOT_NAME(block8)(L + 4, 4, 0, hi + 16, lo + 16), _mm256_set1_epi32(offset[t][2 * b + 1]));
                        const __m256 scale = _mm256_mul_ps(d, _mm256_set1_ps(xscale[t * blocks + b]));
                        f[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(s0, a0)), scale, f[t]);
                        f[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(s1, a1)), scale, f[t]);
                    }
                    continue;
                }
                if (kquant) {
                    if (j % 2 == 0 && inter) { // after the heads, scales (and fifth bits), qs's 32-byte runs four bytes a row at a time
                        const size_t qs = five ? 384 : 128;
                        for (int k = 0; k < 8; k++) T[k] = _mm256_loadu_si256((const __m256i *)(q + qs + 32 * (8 * (size_t)(j / 2) + (size_t)k)));
                    } else if (j % 2 == 0) {
                        __m256i v[4];
                        const size_t qs = (five ? 48 : 16) + 16 * (size_t)j;
                        QDOT_NAME(load8)(p, qs, v);
                        QDOT_NAME(transpose8)(v, T);
                        QDOT_NAME(load8)(p, qs + 16, v);
                        QDOT_NAME(transpose8)(v, T + 4);
                    }
                    // Value l of block j: nibble j % 2 of qs[32·(j/2) + l], for Q5_K plus bit j of qh[l] as 16.
                    for (int k = 0; k < 8; k++) {
                        L[k] = _mm256_and_si256(j % 2 ? _mm256_srli_epi16(T[k], 4) : T[k], low4);
                        if (five) L[k] = _mm256_or_si256(L[k], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(H[k], j), _mm256_set1_epi8(1)), 4));
                    }
                    __m256i sj, mj;
                    scale_min_k4_x8(sc, j, &sj, &mj);
                    db = _mm256_mul_ps(d, _mm256_cvtepi32_ps(sj));
                    mb = _mm256_mul_ps(_mm256_xor_ps(m, _mm256_set1_ps(-0.0f)), _mm256_cvtepi32_ps(mj)); // −dmin·mn
                } else if (eight && inter) {
                    for (int k = 0; k < 8; k++) L[k] = _mm256_loadu_si256((const __m256i *)(q + 16 + 32 * (size_t)k));
                } else if (eight) {
                    __m256i v[4];
                    QDOT_NAME(load8)(p, 2, v);
                    QDOT_NAME(transpose8)(v, L);
                    QDOT_NAME(load8)(p, 18, v);
                    QDOT_NAME(transpose8)(v, L + 4);
                } else { // Q4_0, Q4_1: byte j holds value j (low nibble) and value j + 16 (high nibble)
                    if (inter) {
                        for (int k = 0; k < 4; k++) T[k] = _mm256_loadu_si256((const __m256i *)(q + 16 * heads + 32 * (size_t)k));
                    } else {
                        __m256i v[4];
                        QDOT_NAME(load8)(p, type == T_Q4_1 ? 4 : 2, v);
                        QDOT_NAME(transpose8)(v, T);
                    }
                    for (int k = 0; k < 4; k++) {
                        L[k] = _mm256_and_si256(T[k], low4);
                        L[k + 4] = _mm256_and_si256(_mm256_srli_epi16(T[k], 4), low4);
                    }
                }
                for (int t = 0; t < N; t++) {
                    const int8_t *hi = (const int8_t *)xbytes + 2 * cols * (size_t)t + 32 * b;
                    __m256i sums = QDOT_NAME(block8)(L, 8, eight, hi, (const uint8_t *)hi + cols);
                    if (type == T_Q4_0 || eight) sums = _mm256_add_epi32(sums, _mm256_set1_epi32(offset[t][b]));
                    f[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(db, _mm256_set1_ps(xscale[t * blocks + b])), f[t]);
                    if (minimum) f[t] = _mm256_fmadd_ps(mb, _mm256_set1_ps(xsum[t * blocks + b]), f[t]);
                }
            }
            for (int i = 0; i < R; i++) p[i] += bytes;
        }
        for (int t = 0; t < N; t++) {
            float out[R];
            _mm256_storeu_ps(out, f[t]);
            for (int i = 0; i < live; i++) {
                float *o = y + t * yStride + r0 + (size_t)i;
                *o = accumulate ? *o + out[i] : out[i];
            }
        }
    }
}

typedef void (*QDOT_NAME(rows_fn))(const uint8_t *, size_t, size_t, size_t, const int16_t *, const uint8_t *, const float *,
                                   const float *, float *, size_t, int);
#define QDOT_GROUP(T, N) QDOT_NAME(rows_group)(T, N, w, rb, rows, cols, xq, xs, xm, y, ys, acc)
#define QDOT_EIGHT(T, N) QDOT_NAME(rows8)(T, N, 0, w, rb, rows, cols, xb, xs, xm, y, ys, acc)
#define QDOT_INTER(T, N) QDOT_NAME(rows8)(T, N, 1, w, rb, rows, cols, xb, xs, xm, y, ys, acc)
#define QDOT_FN(T, S, N, K, SUFFIX) \
    QDOT_TARGET static void QDOT_NAME(rows_##S##_##N##SUFFIX)(const uint8_t *w, size_t rb, size_t rows, size_t cols, const int16_t *xq, \
        const uint8_t *xb, const float *xs, const float *xm, float *y, size_t ys, int acc) { (void)xq; (void)xb; K(T, N); }
#define QDOT_FNS(T, S, K, SUFFIX) QDOT_FN(T, S, 1, K, SUFFIX) QDOT_FN(T, S, 2, K, SUFFIX) QDOT_FN(T, S, 3, K, SUFFIX) QDOT_FN(T, S, 4, K, SUFFIX)
QDOT_FNS(T_Q4_0, q4_0, QDOT_EIGHT, _long)
QDOT_FNS(T_Q4_1, q4_1, QDOT_EIGHT, _long)
QDOT_FNS(T_Q8_0, q8_0, QDOT_Q8_0, _long)
QDOT_FNS(T_Q4_K, q4_k, QDOT_EIGHT, _long)
QDOT_FNS(T_Q5_K, q5_k, QDOT_EIGHT, _long)
QDOT_FNS(T_Q4_0, q4_0, QDOT_GROUP, )
QDOT_FNS(T_Q4_1, q4_1, QDOT_GROUP, )
QDOT_FNS(T_Q8_0, q8_0, QDOT_GROUP, )
QDOT_FNS(T_Q4_K, q4_k, QDOT_GROUP, )
QDOT_FNS(T_Q5_K, q5_k, QDOT_GROUP, )
QDOT_FNS(T_Q6_K, q6_k, QDOT_GROUP, )
QDOT_FNS(T_Q4_0, q4_0, QDOT_INTER, _inter)
QDOT_FNS(T_Q4_1, q4_1, QDOT_INTER, _inter)
QDOT_FNS(T_Q4_K, q4_k, QDOT_INTER, _inter)
QDOT_FNS(T_Q5_K, q5_k, QDOT_INTER, _inter)
#ifdef QDOT_VNNI_INTER
QDOT_FNS(T_Q8_0, q8_0, QDOT_INTER, _inter)
QDOT_FNS(T_Q6_K, q6_k, QDOT_INTER, _inter)
#endif
#undef QDOT_FNS
#undef QDOT_FN
#undef QDOT_Q6_K_VALUES
#undef QDOT_GROUP
#undef QDOT_EIGHT
#undef QDOT_INTER

// All n inputs in groups of up to four, over runs of whole passes of rows small enough to stay in
// L1 (or, for rows past 2 KB, L2) between groups. `inter`: the rows are whole groups interleaved by eight.
QDOT_TARGET static void QDOT_NAME(rows_q)(uint32_t type, int inter, const void *w, size_t rowBytes, size_t rows, size_t cols, const int16_t *xq,
                                          const uint8_t *xbytes, const float *scale, const float *sum, size_t n, float *y,
                                          size_t yStride, int accumulate) {
#define QDOT_ROW(S, X) {QDOT_NAME(rows_##S##_1##X), QDOT_NAME(rows_##S##_2##X), QDOT_NAME(rows_##S##_3##X), QDOT_NAME(rows_##S##_4##X)}
    static const QDOT_NAME(rows_fn) fns[2][6][4] = {
        {QDOT_ROW(q4_0, ), QDOT_ROW(q4_1, ), QDOT_ROW(q8_0, ), QDOT_ROW(q4_k, ), QDOT_ROW(q5_k, ), QDOT_ROW(q6_k, )},
        {QDOT_ROW(q4_0, _long), QDOT_ROW(q4_1, _long), QDOT_ROW(q8_0, _long), QDOT_ROW(q4_k, _long), QDOT_ROW(q5_k, _long), QDOT_ROW(q6_k, )}};
#ifdef QDOT_VNNI_INTER
    static const QDOT_NAME(rows_fn) interleaved[6][4] = {QDOT_ROW(q4_0, _inter), QDOT_ROW(q4_1, _inter), QDOT_ROW(q8_0, _inter), QDOT_ROW(q4_k, _inter),
                                                         QDOT_ROW(q5_k, _inter), QDOT_ROW(q6_k, _inter)};
#else
    static const QDOT_NAME(rows_fn) interleaved[6][4] = {QDOT_ROW(q4_0, _inter), QDOT_ROW(q4_1, _inter), {0}, QDOT_ROW(q4_k, _inter), QDOT_ROW(q5_k, _inter), {0}};
#endif
#undef QDOT_ROW
    const int ti = type == T_Q4_0 ? 0 : type == T_Q4_1 ? 1 : type == T_Q8_0 ? 2 : type == T_Q4_K ? 3 : type == T_Q5_K ? 4 : 5;
    // Rows in the file's layout of fewer than 1024 values take four rows a pass: from memory, eight
    // such short rows streamed slower (576 values: 0.85x), longer ones faster (4096: 1.15-1.2x;
    // 1024-1536: the same). Interleaved ones take eight at any length (576: 1.9x Q4_1, 2.6x Q8_0).
    const int longRows = cols >= 1024;
    const size_t blocks = cols / 32, passes = 16384 / (8 * rowBytes), run = n <= 4 ? rows : 8 * (passes ? passes : 1);
    for (size_t r0 = 0; r0 < rows; r0 += run) {
        const size_t rr = rows - r0 < run ? rows - r0 : run;
        for (size_t t0 = 0; t0 < n; t0 += 4) {
            const size_t g = n - t0 < 4 ? n - t0 : 4;
            (inter ? interleaved[ti] : fns[longRows][ti])[g - 1]((const uint8_t *)w + r0 * rowBytes, rowBytes, rr, cols, xq + t0 * cols, xbytes + 2 * t0 * cols,
                           scale + t0 * blocks, sum + t0 * blocks, y + t0 * yStride + r0, yStride, accumulate);
        }
    }
}

#undef QI
