#ifndef LOREKEEPER_CKERNELS_H
#define LOREKEEPER_CKERNELS_H
#include <stddef.h>
#include <stdint.h>

// Quantised-block kernels in ggml's block layouts (ggml-common.h). Type ids are ggml's.
// Swift's SIMD integer-to-float conversions compile to scalar code, so these few loops are
// in C with AVX2 intrinsics (and a portable fallback).

/// Converts n values (whole blocks) of ggml type `type` at src to floats. Returns 0, or -1 for an unsupported type.
int lk_dequantize_row(uint32_t type, const void *src, float *dst, size_t n);

/// Σ dequantised(row)[i] · x[i] over n values (whole blocks). `scratch` holds 256 floats.
float lk_dot_row(uint32_t type, const void *row, const float *x, size_t n, float *scratch);

/// Σ a[i] · b[i].
float lk_dot_f32(const float *a, const float *b, size_t n);

#endif
