#!/usr/bin/env python3
"""usage: scripts/make-quant-fixture.py [--out Tests/Fixtures/quant-blocks.gguf] [--seed 0]

Writes the independent reference for the engine's dequantise and dot-product kernels: for each of
Q4_0, Q4_1, Q8_0, Q4_K, Q5_K, Q6_K a tensor `<TYPE>.q` of 2 rows x 512 columns made of random bytes that form
valid blocks (the f16 scale fields overwritten with finite random values), and `<TYPE>.f32`, the same values
dequantised to float32 by gguf-py's reference `gguf.quants.dequantize`. `F16.q` / `BF16.q` hold random values
over a wide range (subnormals, signed zeros, large magnitudes) with their `.f32` conversions.
Needs numpy and gguf (pip install gguf).
"""
import argparse
import os

import numpy as np
import gguf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T = gguf.GGMLQuantizationType
ROWS, COLS = 2, 512

# Byte offsets of each block's f16 fields, and the range their values are drawn from.
# Symmetric formats take either sign; formats with a minimum need positive scales
# (value = d * scale * q - dmin * min), as their quantisers produce.
F16_FIELDS = {
    T.Q4_0: [(0, (-0.05, 0.05))],                                   # d, qs[16]
    T.Q4_1: [(0, (0.0, 0.05)), (2, (-0.4, 0.4))],                    # d, m, qs[16]
    T.Q8_0: [(0, (-0.05, 0.05))],                                   # d, qs[32]
    T.Q4_K: [(0, (0.0, 0.005)), (2, (0.0, 0.005))],                  # d, dmin, scales[12], qs[128]
    T.Q5_K: [(0, (0.0, 0.005)), (2, (0.0, 0.005))],                  # d, dmin, scales[12], qh[32], qs[128]
    T.Q6_K: [(208, (-0.005, 0.005))],                                # ql[128], qh[64], scales[16], d
}


def random_blocks(rng, qtype):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(ROWS * COLS // block_size, type_size), dtype=np.uint8)
    for offset, (lo, hi) in F16_FIELDS[qtype]:
        values = rng.uniform(lo, hi, size=blocks.shape[0]).astype(np.float16)
        blocks[:, offset:offset + 2] = values.view(np.uint8).reshape(-1, 2)
    return blocks.reshape(ROWS, -1)


def wide_range_floats(rng):
    """Values from 1e-8 (f16 subnormals) to 3e4, both signs, with a few exact zeros of each sign."""
    x = rng.standard_normal((ROWS, COLS)) * 10.0 ** rng.uniform(-8, 4, size=(ROWS, COLS))
    x[0, :4] = [0.0, -0.0, 65504.0, -65504.0]
    return x.astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "Tests/Fixtures/quant-blocks.gguf"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)

    w = gguf.GGUFWriter(args.out, "quant-fixture")
    w.add_description("random valid blocks <TYPE>.q and their gguf-py dequantisation <TYPE>.f32; "
                      "written by scripts/make-quant-fixture.py")
    w.add_uint32("fixture.seed", args.seed)
    for qtype in F16_FIELDS:
        q = random_blocks(rng, qtype)
        f = gguf.quants.dequantize(q, qtype)
        assert f.shape == (ROWS, COLS) and f.dtype == np.float32 and np.isfinite(f).all(), qtype.name
        w.add_tensor(f"{qtype.name}.q", q, raw_dtype=qtype)
        w.add_tensor(f"{qtype.name}.f32", f)

    x = wide_range_floats(rng)
    f16 = x.astype(np.float16)
    w.add_tensor("F16.q", f16)
    w.add_tensor("F16.f32", f16.astype(np.float32))
    bf16 = gguf.quants.quantize(x, T.BF16)  # round-to-nearest-even bytes, as ggml converts
    w.add_tensor("BF16.q", bf16, raw_dtype=T.BF16)
    w.add_tensor("BF16.f32", gguf.quants.dequantize(bf16, T.BF16))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
