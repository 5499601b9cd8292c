// usage: bench/row_products.sh [COLS] [TYPE] [ROWS]
//   One core's decode row products (lk_multiply_rows_quantized, one input) from memory: 24 random
//   matrices of ROWS × COLS (defaults 11008 × 4096: a 7B ffn_gate) of ggml TYPE (2 = Q4_0, 3 = Q4_1, 8 = Q8_0, 12 = Q4_K, 13 = Q5_K, 14 = Q6_K),
//   about 1 GB, in the file's layout and interleaved by eight (lk_interleave8), alternating, four
//   passes each; prints the weight GB/s of each pass as JSON lines.
#include "ckernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const size_t cols = argc > 1 ? (size_t)atol(argv[1]) : 4096, rows = argc > 3 ? (size_t)atol(argv[3]) : 11008, mats = 24;
    const uint32_t type = argc > 2 ? (uint32_t)atoi(argv[2]) : 2;
    const int kquant = type == 12 || type == 13 || type == 14;
    if ((type != 2 && type != 3 && type != 8 && !kquant) || cols % (kquant ? 256 : 32) || !rows) {
        fprintf(stderr, "usage: row_products [COLS (multiple of 32; of 256 for K-quants)] [2|3|8|12|13|14] [ROWS]\n");
        return 2;
    }
    const size_t block = type == 14 ? 210 : type == 13 ? 176 : type == 12 ? 144 : type == 8 ? 34 : type == 3 ? 20 : 18;
    const size_t rowBytes = cols / (kquant ? 256 : 32) * block, bytes = rows * rowBytes, head = type == 14 ? 208 : 0;
    uint8_t *file = aligned_alloc(64, mats * bytes), *grouped = aligned_alloc(64, mats * bytes);
    srand(1);
    for (size_t i = 0; i < mats * bytes; i++) file[i] = (uint8_t)rand();
    for (size_t i = 0; i < mats * bytes; i += block) { // scales 2^-15 (and Q4_1 minimums, Q4_K/Q5_K dmin −2^-14): finite products
        file[i + head] = 0x00, file[i + head + 1] = 0x02;
        if (type == 3 || type == 12 || type == 13) file[i + 2] = 0x00, file[i + 3] = 0x84;
    }
    for (size_t m = 0; m < mats; m++) lk_interleave8(type, file + m * bytes, rowBytes, rows, grouped + m * bytes);
    float *x = malloc(cols * sizeof(float)), *y = malloc(rows * sizeof(float)), *scale = malloc(cols / 32 * sizeof(float)),
          *sum = malloc(cols / 32 * sizeof(float));
    int16_t *q = malloc(cols * sizeof(int16_t));
    uint8_t *xbytes = malloc(2 * cols);
    for (size_t i = 0; i < cols; i++) x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    lk_quantize_rows(x, cols, 1, cols, q, xbytes, scale, sum);
    const size_t interleaved = lk_interleaved_rows(type, rows, cols);
    for (int pass = 0; pass < 4; pass++) {
        for (int layout = 0; layout < 2; layout++) {
            const double t0 = now();
            for (size_t m = 0; m < mats; m++)
                lk_multiply_rows_quantized(type, (layout ? grouped : file) + m * bytes, rowBytes, layout ? interleaved : 0, 0, rows, cols, q,
                                           xbytes, scale, sum, 1, y, rows, 0);
            printf("{\"layout\": \"%s\", \"cols\": %zu, \"type\": %u, \"gb_per_second\": %.1f}\n", layout ? "interleaved" : "file", cols, type,
                   (double)(mats * bytes) / (now() - t0) / 1e9);
        }
    }
    return 0;
}
