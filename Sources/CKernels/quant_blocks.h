// Shared by the dequantisation (kernels.c) and the integer products (qgemm.c): ggml block layouts.
#ifndef LOREKEEPER_QUANT_BLOCKS_H
#define LOREKEEPER_QUANT_BLOCKS_H
#include <stdint.h>

enum { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q8_0 = 8, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14, T_BF16 = 30 };

// The 6-bit scale and minimum of sub-block j (of 8) of a Q4_K/Q5_K super-block, from its 12 packed bytes.
static inline void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) { *d = q[j] & 63; *m = q[j + 4] & 63; }
    else { *d = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4); *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4); }
}

#endif
