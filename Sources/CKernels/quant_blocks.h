// Shared by the dequantisation (kernels.c) and the integer products (qgemm.c, qdot.c): ggml block layouts.
#ifndef LOREKEEPER_QUANT_BLOCKS_H
#define LOREKEEPER_QUANT_BLOCKS_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q8_0 = 8, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14, T_BF16 = 30 };

// The 6-bit scale and minimum of sub-block j (of 8) of a Q4_K/Q5_K super-block, from its 12 packed bytes.
static inline void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) { *d = q[j] & 63; *m = q[j + 4] & 63; }
    else { *d = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4); *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4); }
}

// An IEEE half as a float, in plain C (exact, subnormals included).
static inline float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) bits = sign;
        else { // subnormal: normalise
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) { man <<= 1; exp--; }
            bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) bits = sign | 0x7f800000 | (man << 13);
    else bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    float f; memcpy(&f, &bits, 4); return f;
}

static inline float half_float(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return half_to_float(h); }

// The 32 integer levels of block b of a row (values 32b..<32b + 32), its scale d and its minimum m:
// value = d·level + m. A Q4_K/Q5_K sub-block's scale and minimum are its super-block's d and dmin
// times its 6-bit factors, as the dequantisation computes them.
static inline void block_levels(uint32_t type, const uint8_t *row, size_t b, int16_t *level, float *d, float *m) {
    switch (type) {
    case T_Q4_0: {
        const uint8_t *p = row + b * 18;
        *d = half_float(p); *m = 0;
        for (int j = 0; j < 16; j++) { level[j] = (int16_t)((p[2 + j] & 15) - 8); level[j + 16] = (int16_t)((p[2 + j] >> 4) - 8); }
        break;
    }
    case T_Q4_1: {
        const uint8_t *p = row + b * 20;
        *d = half_float(p); *m = half_float(p + 2);
        for (int j = 0; j < 16; j++) { level[j] = p[4 + j] & 15; level[j + 16] = p[4 + j] >> 4; }
        break;
    }
    case T_Q8_0: {
        const uint8_t *p = row + b * 34;
        *d = half_float(p); *m = 0;
        for (int j = 0; j < 32; j++) level[j] = (int8_t)p[2 + j];
        break;
    }
    case T_Q6_K: { // 210-byte super-blocks: value l + 32k of half h has scale sc[8h + 2k + l/16], level sc·(q − 32)
        const uint8_t *p = row + b / 8 * 210;
        const int h = (int)(b % 8) / 4, k = (int)(b % 4);
        const uint8_t *ql = p + 64 * h + 32 * (k % 2), *qh = p + 128 + 32 * h;
        const int8_t *sc = (const int8_t *)(p + 192 + 8 * h + 2 * k);
        *d = half_float(p + 208); *m = 0;
        for (int l = 0; l < 32; l++) {
            const int q = ((ql[l] >> (4 * (k / 2))) & 15) | (((qh[l] >> (2 * k)) & 3) << 4);
            level[l] = (int16_t)(sc[l / 16] * (q - 32));
        }
        break;
    }
    default: { // Q4_K (144-byte super-blocks), Q5_K (176: plus a fifth bit of each value in qh)
        const int five = type == T_Q5_K, j = (int)(b % 8), shift = 4 * (j % 2);
        const uint8_t *p = row + b / 8 * (five ? 176 : 144), *qs = p + (five ? 48 : 16) + 32 * (j / 2), *qh = p + 16;
        uint8_t sc, mn;
        scale_min_k4(j, p + 4, &sc, &mn);
        *d = half_float(p) * sc; *m = -half_float(p + 2) * mn;
        for (int l = 0; l < 32; l++) level[l] = (int16_t)(((qs[l] >> shift) & 15) | (five ? ((qh[l] >> j) & 1) << 4 : 0));
    }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
// ---- the K-quants' fields by vectors, for the row products (qdot_kernels.h) and the prompt
// panels (qgemm.c); inlined into their AVX2 and AVX-512 functions ----
#define LK_FIELDS static inline __attribute__((target("avx2"), always_inline))

// scale_min_k4 of block j on eight rows at once: lane r of sc[0..2] holds row r's three 32-bit
// scale words; lane r of *s and *m gets its 6-bit scale and minimum.
LK_FIELDS void scale_min_k4_x8(const __m256i sc[3], int j, __m256i *s, __m256i *m) {
    const int at = 8 * (j % 4);
    const __m256i six = _mm256_set1_epi32(63), four = _mm256_set1_epi32(15), two = _mm256_set1_epi32(3);
    if (j < 4) {
        *s = _mm256_and_si256(_mm256_srli_epi32(sc[0], at), six);
        *m = _mm256_and_si256(_mm256_srli_epi32(sc[1], at), six);
    } else {
        const __m256i q = _mm256_srli_epi32(sc[2], at);
        *s = _mm256_or_si256(_mm256_and_si256(q, four), _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(sc[0], at + 6), two), 4));
        *m = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(q, 4), four), _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(sc[1], at + 6), two), 4));
    }
}

// Q6_K's 6-bit values (0..63) of block 4h + k, byte for byte from its ql and qh bytes: nibble
// k / 2 of ql, bits 2k..2k+1 of qh as 16 and 32.
LK_FIELDS __m256i q6_k_values(__m256i ql, __m256i qh, int k) {
    return _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql, 4 * (k / 2)), _mm256_set1_epi8(15)),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), _mm256_set1_epi8(3)), 4));
}

// Byte `byte` (0..2) and the next of each 32-bit lane, sign-extended (Q6_K's int8 scale pairs).
LK_FIELDS void lane_int8_pair(__m256i words, int byte, __m256i *first, __m256i *second) {
    *first = _mm256_srai_epi32(_mm256_slli_epi32(words, 24 - 8 * byte), 24);
    *second = _mm256_srai_epi32(_mm256_slli_epi32(words, 16 - 8 * byte), 24);
}
#endif

// ---- rows interleaved by eight (lk_interleave8) ----
// A Q4_0, Q4_1, Q8_0, Q4_K, Q5_K or Q6_K matrix's whole groups of eight rows, block by block (K-quants:
// super-block): the eight rows' f16 d (and for Q4_1, Q4_K and Q5_K then their eight m or dmin), then
// the rest of their block in its order (Q4_K: 12 bytes of scales, then levels; Q5_K: scales, fifth
// bits, levels; Q6_K: low bits, high bits, int8 scales) four bytes at a time, row after row
// (bytes 4k..4k+3 of row i at 32k + 4i): one load gives eight rows' scales, and their levels come
// already transposed for the row products (qdot.c). Each group holds its own eight rows' bytes, so a matrix keeps its size and
// rows past the last whole group stay as they were.

static inline size_t interleave_heads(uint32_t type) { return type == T_Q4_1 || type == T_Q4_K || type == T_Q5_K ? 2 : 1; }
// Bytes of a block besides its heads.
static inline size_t interleave_levels(uint32_t type) {
    return type == T_Q8_0 ? 32 : type == T_Q4_K ? 140 : type == T_Q5_K ? 172 : type == T_Q6_K ? 208 : 16;
}
// Where a block's heads lie in ggml's layout: first, but Q6_K's d last.
static inline size_t interleave_head_at(uint32_t type) { return type == T_Q6_K ? 208 : 0; }
// Blocks of 32 values in an interleaved block.
static inline size_t interleave_blocks(uint32_t type) { return type == T_Q4_K || type == T_Q5_K || type == T_Q6_K ? 8 : 1; }
// The largest interleaved block, in bytes.
enum { INTERLEAVED_BLOCK_MAX = 210 };

// Block b of row i of a group of eight interleaved rows, copied from ggml's layout into the group
// (toGroup) or back: field by field, the heads (2 bytes each), then the rest's 4-byte words.
static inline void interleave_block(uint32_t type, uint8_t *dst, const uint8_t *src, size_t b, size_t i, int toGroup) {
    const size_t heads = interleave_heads(type), levels = interleave_levels(type), size = 2 * heads + levels;
    const size_t at = interleave_head_at(type), rest = at ? 0 : 2 * heads;
    for (size_t f = 0; f < heads + levels / 4; f++) {
        const int head = f < heads;
        const size_t n = head ? 2 : 4;
        const size_t grouped = 8 * size * b + (head ? 16 * f : 16 * heads + 32 * (f - heads)) + n * i;
        const size_t plain = head ? at + 2 * f : rest + 4 * (f - heads);
        memcpy(dst + (toGroup ? grouped : plain), src + (toGroup ? plain : grouped), n);
    }
}

// Interleaved block b of row r (r < grouped, inside an interleaved group) in ggml's layout, into
// `block` (2·heads + levels bytes).
static inline void interleaved_block(uint32_t type, const uint8_t *w, size_t rowBytes, size_t r, size_t b, uint8_t *block) {
    interleave_block(type, block, w + (r - r % 8) * rowBytes, b, r % 8, 0);
}

// block_levels of block b of row r of a matrix whose first `grouped` rows are interleaved.
static inline void matrix_block_levels(uint32_t type, const uint8_t *w, size_t rowBytes, size_t grouped, size_t r, size_t b,
                                       int16_t *level, float *d, float *m) {
    if (r >= grouped) { block_levels(type, w + r * rowBytes, b, level, d, m); return; }
    uint8_t block[INTERLEAVED_BLOCK_MAX];
    const size_t per = interleave_blocks(type);
    interleaved_block(type, w, rowBytes, r, b / per, block);
    block_levels(type, block, b % per, level, d, m);
}

#endif
