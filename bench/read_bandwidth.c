// usage: bench/read_bandwidth.sh [THREADS] [MIB]
//   The machine's read bandwidth: THREADS threads (default 2) each sum their part of a MIB-MiB
//   buffer (default 2048, well past the caches) with 256-bit loads, best of 7 passes. The limit a
//   decode step that streams the weights once is compared with (lorekeeper bench prints its GB/s).
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { const __m256i *p; size_t n; __m256i sum; } part;
static pthread_barrier_t start;

static void *reader(void *arg) {
    part *w = arg;
    pthread_barrier_wait(&start);
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    for (size_t i = 0; i + 4 <= w->n; i += 4) {
        a = _mm256_add_epi64(a, _mm256_load_si256(w->p + i));
        b = _mm256_add_epi64(b, _mm256_load_si256(w->p + i + 1));
        c = _mm256_add_epi64(c, _mm256_load_si256(w->p + i + 2));
        d = _mm256_add_epi64(d, _mm256_load_si256(w->p + i + 3));
    }
    w->sum = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
    pthread_barrier_wait(&start);
    return NULL;
}

static volatile uint64_t sink; // keeps the sums, so the loads stay

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 2;
    const size_t bytes = (size_t)(argc > 2 ? atoi(argv[2]) : 2048) << 20, vectors = bytes / 32;
    if (threads < 1 || threads > 256 || bytes == 0) { fprintf(stderr, "usage: read_bandwidth [THREADS] [MIB]\n"); return 2; }
    __m256i *buffer = aligned_alloc(64, bytes);
    if (!buffer) { fprintf(stderr, "read_bandwidth: cannot allocate %zu bytes\n", bytes); return 1; }
    memset(buffer, 1, bytes);
    double best = 1e30;
    for (int pass = 0; pass < 7; pass++) {
        pthread_t tid[256];
        part parts[256];
        pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
        for (int t = 0; t < threads; t++) {
            parts[t] = (part){buffer + vectors * t / threads, vectors * (t + 1) / threads - vectors * t / threads};
            pthread_create(&tid[t], NULL, reader, &parts[t]);
        }
        pthread_barrier_wait(&start);
        const double t0 = now();
        pthread_barrier_wait(&start);
        const double seconds = now() - t0;
        for (int t = 0; t < threads; t++) { pthread_join(tid[t], NULL); sink += (uint64_t)_mm256_extract_epi64(parts[t].sum, 0); }
        pthread_barrier_destroy(&start);
        if (seconds < best) best = seconds;
    }
    printf("{\"threads\": %d, \"mib\": %zu, \"read_gb_per_second\": %.1f}\n", threads, bytes >> 20, bytes / best / 1e9);
    free(buffer);
    return 0;
}
