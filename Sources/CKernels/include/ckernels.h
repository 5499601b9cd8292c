#ifndef LOREKEEPER_CKERNELS_H
#define LOREKEEPER_CKERNELS_H
#include <stddef.h>
#include <stdint.h>

// Quantised-block kernels in ggml's block layouts (ggml-common.h). Type ids are ggml's.
// Swift's SIMD integer-to-float conversions compile to scalar code, so these few loops are
// in C with AVX2 and AVX-512 intrinsics, each next to the plain C it is tested against.

// ---- instruction sets (cpu.c) ----

enum { LK_CPU_SCALAR = 0, LK_CPU_AVX2 = 1, LK_CPU_AVX512 = 2 /* AVX-512 with VNNI */ };

/// The best level this CPU runs.
int lk_cpu_detected(void);
/// The level the kernels use on the calling thread: lk_cpu_detected(), capped by the process's
/// (LOREKEEPER_CPU=scalar|avx2|avx512, or lk_set_cpu_level) and by the thread's.
int lk_cpu_level(void);
/// Caps the process's level (−1: none); returns the level now in force.
int lk_set_cpu_level(int level);
/// Caps the calling thread's level below the process's (−1: none), for tests of each path.
void lk_set_thread_cpu_level(int level);
/// The level named "scalar", "avx2" or "avx512", or −1.
int lk_cpu_level_named(const char *name);

/// Converts n values (whole blocks) of ggml type `type` at src to floats. Returns 0, or -1 for an unsupported type.
int lk_dequantize_row(uint32_t type, const void *src, float *dst, size_t n);

/// y[t·yStride + r] (+)= Σ_c W[r, c] · x[t·xStride + c] for r < rows, t < n, where row r of W is
/// `cols` values (whole blocks) at w + r·rowBytes. Q4_0/Q4_1/Q8_0 blocks are read once for up to four
/// inputs and meet them in float FMAs; other types go through a float copy of each row. `scratch` holds cols floats.
void lk_multiply_rows(uint32_t type, const void *w, size_t rowBytes, size_t rows, size_t cols,
                      const float *x, size_t xStride, size_t n, float *y, size_t yStride, int accumulate, float *scratch);

// ---- matrix-vector products with 16-bit integer inputs (qdot.c), for Q4_0, Q4_1, Q8_0, Q4_K, Q5_K and Q6_K weights ----

/// The largest level lk_quantize_rows rounds to, and lk_qgemm_rows's x for every type.
#define LK_ROWS_LIMIT 32767

/// Rounds n rows of `cols` floats (xStride apart) to int16 per block of 32: q (n × cols) holds
/// levels within ±LK_ROWS_LIMIT, `bytes` (n × 2·cols) the same levels split as 256·hi + lo, row t's
/// hi (int8) at bytes + 2·cols·t and its lo (uint8) cols further, and per row and block `scale` the
/// step d (value ≈ d·level) and `sum` d·Σ levels: a weight's minimum m then meets the rounded
/// values as its d·level does. The levels, scales and sums are lk_qgemm_quantize's with the same limit.
void lk_quantize_rows(const float *x, size_t xStride, size_t n, size_t cols, int16_t *q, uint8_t *bytes, float *scale, float *sum);

/// Rows of a `type` matrix of `rows` × `cols` values that lk_interleave8 re-lays (whole groups of
/// eight, for the eight-row products: Q4_0 and Q4_1, and Q8_0 where the CPU has AVX-512 VNNI), 0 if none.
size_t lk_interleaved_rows(uint32_t type, size_t rows, size_t cols);

/// Writes src (`rows` rows, rowBytes apart) to dst (as many bytes) with its first
/// lk_interleaved_rows rows interleaved by eight: per block of 32 values the eight rows' scales
/// side by side, then their levels four bytes of a row at a time. The other rows are copied as they are.
void lk_interleave8(uint32_t type, const void *src, size_t rowBytes, size_t rows, void *dst);

/// Rows [row0, row1) of w, whose first `grouped` rows are interleaved, in ggml's layout into dst.
void lk_deinterleave_rows(uint32_t type, const void *w, size_t rowBytes, size_t grouped, size_t row0, size_t row1, void *dst);

/// Whether lk_multiply_rows_quantized takes weights of ggml type `type`.
int lk_rows_available(uint32_t type);

/// y[t·yStride + r − row0] (+)= Σ_c W[r, c] · x[t, c] for row0 ≤ r < row1, t < n, with x from
/// lk_quantize_rows (xq, xbytes, scale, sum): the weights' levels times the input's in integers, each
/// block's sum scaled in float. Row r of W is at w + r·rowBytes, or for r < grouped interleaved
/// (lk_interleave8; grouped is lk_interleaved_rows or 0). The kernels take eight rows a pass: rows
/// in multiples of 8 keep every lane busy. Each row's result is the same bits in either layout.
void lk_multiply_rows_quantized(uint32_t type, const void *w, size_t rowBytes, size_t grouped, size_t row0, size_t row1, size_t cols, const int16_t *xq,
                                const uint8_t *xbytes, const float *scale, const float *sum, size_t n, float *y, size_t yStride,
                                int accumulate);

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

// ---- large-batch products in 16-bit integers (qgemm.c), for Q4_0, Q4_1, Q8_0, Q4_K, Q5_K and Q6_K weights ----
// The weights' integer levels are used exactly; the float operand is rounded to integers of at
// most LK_ROWS_LIMIT (y = x·Wᵀ) or lk_qgemm_limit(type) (dx = dy·W) per 32 values: to 1/65534 of
// the largest of them (1/32766 for Q6_K's dx). lk_qgemm_rows gives lk_multiply_rows_quantized's bits.

/// Whether the lk_qgemm functions run on this CPU (AVX-512 with VNNI) for ggml type `type`.
int lk_qgemm_available(uint32_t type);

/// Whether lk_qgemm_rows runs on this CPU (AVX2 or better) for `type` (lk_qgemm_quantize needs AVX-512: on
/// AVX2 its x is lk_quantize_rows's, the same numbers).
int lk_qgemm_rows_available(uint32_t type);

/// The largest integer lk_qgemm_columns rounds dy·W's scales to for weights of `type`: 32767, or 16383 for Q6_K.
int lk_qgemm_limit(uint32_t type);

/// The batch side of lk_qgemm_rows: x (n rows of `cols` floats, xStride apart) as int16 values
/// xq (n × cols) within ±limit with, per row and block of 32, the scale (value ≈ scale · xq) and the sum of the rounded values (scale · Σ xq).
void lk_qgemm_quantize(const float *x, size_t xStride, size_t n, size_t cols, int limit, int16_t *xq, float *scale, float *sum);

/// Bytes of scratch (64-byte aligned) lk_qgemm_rows needs for up to `rows` weight rows of `cols` values.
size_t lk_qgemm_rows_scratch(size_t rows, size_t cols);

/// y[t·yStride + r] (+)= Σ_c W[r, c] · x[t, c] for weight rows r in [row0, row1) and t < n, with
/// x from lk_qgemm_quantize; row r of W is `cols` values (whole blocks) at w + r·rowBytes, or for
/// r < grouped interleaved (lk_interleave8).
void lk_qgemm_rows(uint32_t type, const void *w, size_t rowBytes, size_t grouped, size_t row0, size_t row1, size_t cols,
                   const int16_t *xq, const float *scale, const float *sum, size_t n,
                   float *y, size_t yStride, int accumulate, void *scratch);

/// Bytes of scratch (64-byte aligned) lk_qgemm_columns needs for `blocks` block columns of a `rows`-row W.
size_t lk_qgemm_columns_scratch(size_t rows, size_t blocks);

/// dx[t·dxStride + c] (+)= Σ_o dy[t·dyStride + o] · W[o, c] for c in block columns [block0, block1)
/// (c / 32), o < rows and t < n: the product with the transpose. Rows before `grouped` are
/// interleaved (lk_interleave8).
void lk_qgemm_columns(uint32_t type, const void *w, size_t rowBytes, size_t grouped, size_t rows, size_t block0, size_t block1,
                      const float *dy, size_t dyStride, size_t n, float *dx, size_t dxStride, int accumulate, void *scratch);

#endif
