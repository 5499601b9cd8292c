#ifndef LOREKEEPER_CKERNELS_H
#define LOREKEEPER_CKERNELS_H
#include <stddef.h>
#include <stdint.h>

// Quantised-block kernels in ggml's block layouts (ggml-common.h). Type ids are ggml's.
// Swift's SIMD integer-to-float conversions compile to scalar code, so these few loops are
// in C with AVX2 intrinsics (and a portable fallback).

/// Converts n values (whole blocks) of ggml type `type` at src to floats. Returns 0, or -1 for an unsupported type.
int lk_dequantize_row(uint32_t type, const void *src, float *dst, size_t n);

/// y[t·yStride + r] (+)= Σ_c W[r, c] · x[t·xStride + c] for r < rows, t < n, where row r of W is
/// `cols` values (whole blocks) at w + r·rowBytes. Q4_0/Q4_1/Q8_0 blocks are read once for up to four
/// inputs and meet them in float FMAs; other types go through a float copy of each row. `scratch` holds cols floats.
void lk_multiply_rows(uint32_t type, const void *w, size_t rowBytes, size_t rows, size_t cols,
                      const float *x, size_t xStride, size_t n, float *y, size_t yStride, int accumulate, float *scratch);

/// out_h = softmax(scale · K·q_h) · V for `heads` queries sharing one key/value head (grouped-query
/// attention), over `len` keys whose rows in k and v are kvStride floats apart. q_h and out_h are
/// `hd` floats at q + h·hd and out + h·hd; `scores` holds heads·len floats.
void lk_attention_row(const float *q, size_t heads, const float *k, const float *v, size_t kvStride, size_t len,
                      size_t hd, float scale, float *out, float *scores);

/// x[i] = e^(x[i] − max x) over n values (a vectorised e^x, about 1 ulp); returns their sum.
float lk_softmax_numerators(float *x, size_t n);

/// gate[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + e^−g), with a vectorised e^x (about 1 ulp).
void lk_swiglu(float *gate, const float *up, size_t n);

/// Σ a[i] · b[i].
float lk_dot_f32(const float *a, const float *b, size_t n);

#endif
