// Weights re-laid for decode (quant_blocks.h, "rows interleaved by eight"), and back.
#include "ckernels.h"
#include "quant_blocks.h"

size_t lk_interleaved_rows(uint32_t type, size_t rows, size_t cols) {
    // Q8_0 and Q6_K only where their eight-row kernels exist (AVX-512 VNNI: AVX2's vpmaddubsw pairs
    // overflow on their levels); other CPUs read them faster as they lie.
    const int vnni = (type == T_Q8_0 || type == T_Q6_K) && lk_cpu_level() >= LK_CPU_AVX512;
    return (type == T_Q4_0 || type == T_Q4_1 || type == T_Q4_K || type == T_Q5_K || vnni) && cols % (32 * interleave_blocks(type)) == 0 ? rows / 8 * 8 : 0;
}

void lk_interleave8(uint32_t type, const void *src, size_t rowBytes, size_t rows, void *dst) {
    const size_t size = 2 * interleave_heads(type) + interleave_levels(type), blocks = rowBytes / size;
    const size_t grouped = lk_interleaved_rows(type, rows, blocks * 32 * interleave_blocks(type));
    const uint8_t *s = src;
    uint8_t *d = dst;
    for (size_t g = 0; g < grouped; g += 8) {
        for (size_t b = 0; b < blocks; b++) {
            for (size_t i = 0; i < 8; i++) interleave_block(type, d + g * rowBytes, s + (g + i) * rowBytes + size * b, b, i, 1);
        }
    }
    memcpy(d + grouped * rowBytes, s + grouped * rowBytes, (rows - grouped) * rowBytes);
}

void lk_deinterleave_rows(uint32_t type, const void *w, size_t rowBytes, size_t grouped, size_t row0, size_t row1, void *dst) {
    const size_t size = 2 * interleave_heads(type) + interleave_levels(type), blocks = rowBytes / size;
    uint8_t *d = dst;
    for (size_t r = row0; r < row1; r++) {
        uint8_t *row = d + (r - row0) * rowBytes;
        if (r >= grouped) { memcpy(row, (const uint8_t *)w + r * rowBytes, rowBytes); continue; }
        for (size_t b = 0; b < blocks; b++) interleaved_block(type, w, rowBytes, r, b, row + size * b);
    }
}
