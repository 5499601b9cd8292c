// Which instruction set the kernels use: the best the CPU has, capped by LOREKEEPER_CPU
// (scalar, avx2 or avx512) for the process and by lk_set_thread_cpu_level for one thread, so
// that the AVX2 and scalar paths run and are tested on an AVX-512 machine too.
#include "ckernels.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static int detect(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return LK_CPU_SCALAR;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni")) return LK_CPU_AVX512;
    return LK_CPU_AVX2;
#else
    return LK_CPU_SCALAR;
#endif
}

int lk_cpu_level_named(const char *name) {
    if (!name) return -1;
    if (!strcmp(name, "scalar")) return LK_CPU_SCALAR;
    if (!strcmp(name, "avx2")) return LK_CPU_AVX2;
    if (!strcmp(name, "avx512")) return LK_CPU_AVX512;
    return -1;
}

static atomic_int detected = -1, process = -1;
static _Thread_local int thread = -1;

int lk_cpu_detected(void) {
    int d = atomic_load_explicit(&detected, memory_order_relaxed);
    if (d < 0) { d = detect(); atomic_store_explicit(&detected, d, memory_order_relaxed); }
    return d;
}

int lk_set_cpu_level(int level) {
    const int d = lk_cpu_detected(), l = level < 0 || level > d ? d : level;
    atomic_store_explicit(&process, l, memory_order_relaxed);
    return l;
}

static int process_level(void) {
    int l = atomic_load_explicit(&process, memory_order_relaxed);
    if (l < 0) l = lk_set_cpu_level(lk_cpu_level_named(getenv("LOREKEEPER_CPU")));
    return l;
}

int lk_cpu_level(void) {
    const int p = process_level();
    return thread >= 0 && thread < p ? thread : p;
}

void lk_set_thread_cpu_level(int level) { thread = level; }
