// usage: bench/qgemm.sh [ROWS] [COLS] [N] [TYPE]
//   One core's prompt products (lk_qgemm_rows) on a random ROWS × COLS matrix (defaults 4096 × 4096,
//   a 7B attention projection) of ggml TYPE (2 = Q4_0, interleaved by eight as at load) against N
//   batch rows (default 128): the product's integer GOPS (2 per multiply-add), the share of it spent
//   packing the weights, and the machine's peak for vpdpwssd (16-bit) and vpdpbusd (8-bit) from
//   register-only loops, as JSON lines. LOREKEEPER_CPU=avx2 takes the AVX2 kernels. Times are the thread's processor time.
#include "ckernels.h"
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); // processor time: the machine is shared
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// Multiply-adds per second of `count` instructions over 24 independent accumulators.
#define PEAK(NAME, INSTRUCTION, PER)                                                                          \
    __attribute__((target("avx512f,avx512bw,avx512vnni"))) static double NAME(long count) {                   \
        __m512i a[24], w = _mm512_set1_epi32(0x01020304), x = _mm512_set1_epi32(0x00030002);                  \
        for (int i = 0; i < 24; i++) a[i] = _mm512_set1_epi32(i);                                             \
        __asm__("" : "+v"(w), "+v"(x));                                                                       \
        const double t0 = now();                                                                              \
        for (long k = 0; k < count; k += 24) {                                                                \
            _Pragma("clang loop unroll(full)")                                                                \
            for (int i = 0; i < 24; i++) a[i] = INSTRUCTION(a[i], x, w);                                      \
            _Pragma("clang loop unroll(full)")                                                                \
            for (int i = 0; i < 24; i++) __asm__("" : "+v"(a[i]));                                            \
        }                                                                                                     \
        const double t = now() - t0;                                                                          \
        int s = 0;                                                                                            \
        for (int i = 0; i < 24; i++) s += _mm512_reduce_add_epi32(a[i]);                                      \
        if (s == 42) puts("");                                                                                \
        return (double)count * PER / t;                                                                       \
    }
PEAK(peak16, _mm512_dpwssd_epi32, 32)
PEAK(peak8, _mm512_dpbusd_epi32, 64)

int main(int argc, char **argv) {
    const size_t rows = argc > 1 ? (size_t)atol(argv[1]) : 4096, cols = argc > 2 ? (size_t)atol(argv[2]) : 4096,
                 n = argc > 3 ? (size_t)atol(argv[3]) : 128;
    const uint32_t type = argc > 4 ? (uint32_t)atoi(argv[4]) : 2;
    if (type != 2 || cols % 32 || cols < 1024 || rows % 32) { fprintf(stderr, "usage: qgemm [ROWS (multiple of 32)] [COLS (multiple of 32, at least 1024)] [N] [2]\n"); return 2; }
    if (!lk_qgemm_rows_available(type)) { fprintf(stderr, "no integer prompt products on this CPU\n"); return 1; }
    const size_t rowBytes = cols / 32 * 18, bytes = rows * rowBytes, nb = cols / 32;
    uint8_t *file = aligned_alloc(64, bytes), *w = aligned_alloc(64, bytes);
    srand(1);
    for (size_t i = 0; i < bytes; i++) file[i] = (uint8_t)rand();
    for (size_t i = 0; i < bytes; i += 18) file[i] = 0x00, file[i + 1] = 0x02;
    lk_interleave8(type, file, rowBytes, rows, w);
    const size_t grouped = lk_interleaved_rows(type, rows, cols);
    float *x = malloc(n * cols * 4), *y = aligned_alloc(64, n * rows * 4), *scale = malloc(n * nb * 4), *sum = malloc(n * nb * 4);
    int16_t *xq = malloc(n * cols * 2);
    uint8_t *xbytes = malloc(2 * n * cols);
    for (size_t i = 0; i < n * cols; i++) x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    lk_quantize_rows(x, cols, n, cols, xq, xbytes, scale, sum);
    void *scratch = aligned_alloc(64, (lk_qgemm_rows_scratch(rows, cols) + 63) / 64 * 64);
    const double macs = (double)rows * cols * n;
    printf("{\"peak_gops_16bit\": %.1f, \"peak_gops_8bit\": %.1f}\n", 2 * peak16(1L << 30) / 1e9, 2 * peak8(1L << 30) / 1e9);
    for (int pass = 0; pass < 3; pass++) {
        double t0 = now();
        lk_qgemm_rows(type, w, rowBytes, grouped, 0, rows, cols, xq, scale, sum, 0, y, rows, 0, scratch);
        const double pack = now() - t0;
        t0 = now();
        lk_qgemm_rows(type, w, rowBytes, grouped, 0, rows, cols, xq, scale, sum, n, y, rows, 0, scratch);
        const double all = now() - t0;
        printf("{\"rows\": %zu, \"cols\": %zu, \"n\": %zu, \"gops\": %.1f, \"pack_share\": %.2f, \"ms\": %.1f}\n", rows, cols, n,
               2 * macs / all / 1e9, pack / all, all * 1e3);
    }
    return 0;
}
