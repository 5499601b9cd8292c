// usage: bench/qgemm.sh [ROWS] [COLS] [N] [TYPE]
//   One core's prompt products (lk_qgemm_rows) on a random ROWS × COLS matrix (defaults 4096 × 4096,
//   a 7B attention projection) of ggml TYPE (2 = Q4_0, interleaved by eight as at load) against N
//   batch rows (default 128): the product's integer GOPS (2 per multiply-add), the share of it spent
//   packing the weights, and the machine's peak for vpdpwssd (16-bit) and vpdpbusd (8-bit) from
//   register-only loops, and the ceiling of the products' inner loop with the float scaling per block
//   and per 8 blocks (see SCALED), as JSON lines. LOREKEEPER_CPU=avx2 takes the AVX2 kernels. Times are the thread's processor time.
#include "ckernels.h"
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

// The prompt products' inner loop alone (qgemm.c's rows_tile: 6 batch rows × 32 weight rows, a
// panel of `nb` blocks in the cache), with the float scaling (convert, scale, FMA) after every
// PER blocks of integer sums instead of after each: what folding the weights' and the inputs'
// per-block scales into one per PER blocks could gain at most. Multiply-adds per second.
#define SCALED(PER)                                                                                                          \
    __attribute__((target("avx512f,avx512bw,avx512vnni,tune=znver4"))) static double scaled##PER(const int16_t *level,     \
                                                                                                const int16_t *xq, size_t nb) { \
        enum { T = 6 };                                                                                                     \
        __m512 f[T][2];                                                                                                     \
        for (int t = 0; t < T; t++) f[t][0] = f[t][1] = _mm512_setzero_ps();                                                \
        const __m512 d = _mm512_set1_ps(0.01f);                                                                             \
        const double t0 = now();                                                                                            \
        for (int pass = 0; pass < 2000; pass++) {                                                                           \
            for (size_t b0 = 0; b0 + PER <= nb; b0 += PER) {                                                                \
                __m512i a[T][2];                                                                                            \
                for (int t = 0; t < T; t++) a[t][0] = a[t][1] = _mm512_setzero_si512();                                    \
                for (size_t b = b0; b < b0 + PER; b++) {                                                                    \
                    const __m512i *w = (const __m512i *)(level + b * 1024);                                                 \
                    for (int p = 0; p < 16; p++) {                                                                          \
                        const __m512i w0 = _mm512_load_si512(w + 2 * p), w1 = _mm512_load_si512(w + 2 * p + 1);            \
                        for (int t = 0; t < T; t++) {                                                                       \
                            int32_t pair;                                                                                   \
                            memcpy(&pair, xq + t * nb * 32 + b * 32 + 2 * p, 4);                                            \
                            a[t][0] = _mm512_dpwssd_epi32(a[t][0], _mm512_set1_epi32(pair), w0);                            \
                            a[t][1] = _mm512_dpwssd_epi32(a[t][1], _mm512_set1_epi32(pair), w1);                            \
                        }                                                                                                   \
                    }                                                                                                       \
                }                                                                                                           \
                for (int t = 0; t < T; t++) {                                                                               \
                    const __m512 s = _mm512_mul_ps(d, _mm512_set1_ps((float)(t + 1)));                                      \
                    f[t][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[t][0]), s, f[t][0]);                                     \
                    f[t][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a[t][1]), s, f[t][1]);                                     \
                }                                                                                                           \
            }                                                                                                               \
        }                                                                                                                   \
        const double t = now() - t0;                                                                                        \
        float s = 0;                                                                                                        \
        for (int i = 0; i < T; i++) s += _mm512_reduce_add_ps(_mm512_add_ps(f[i][0], f[i][1]));                             \
        if (s == 42) puts("");                                                                                              \
        return 2000.0 * (double)(nb / PER * PER) * 32 * 32 * T / t;                                                         \
    }
SCALED(1)
SCALED(8)

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
    int16_t *levels = aligned_alloc(64, nb * 2048);
    for (size_t i = 0; i < nb * 1024; i++) levels[i] = (int16_t)(rand() % 16 - 8);
    for (int pass = 0; n >= 6 && pass < 3; pass++) // the loop's six batch rows
        printf("{\"inner_loop_gops_scaled_per_block\": %.1f, \"inner_loop_gops_scaled_per_8_blocks\": %.1f}\n", 2 * scaled1(levels, xq, nb) / 1e9,
               2 * scaled8(levels, xq, nb) / 1e9);
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
