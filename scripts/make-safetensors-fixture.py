#!/usr/bin/env python3
"""usage: scripts/make-safetensors-fixture.py [--out Tests/Fixtures/python-written.safetensors]

Writes a tiny safetensors file with Python's reference `safetensors` package (pip install safetensors numpy):
F32, F16, BF16 and I64 tensors with known values, so the Swift reader is tested against the reference writer.
The Swift test (SafeTensorsFileTests) checks the same values; change both together.
"""
import argparse
import os

import numpy as np
from safetensors import TensorSpec, serialize_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "Tests/Fixtures/python-written.safetensors"))
    args = ap.parse_args()

    arrays = {
        "f32": np.array([[1.0, -2.5, 0.125], [3.75, -0.0, 1e-3]], dtype=np.float32),
        "f16": np.array([[0.5, -1.25], [65504.0, 2.0**-14], [-0.0, 2.0]], dtype=np.float16),
        "layers.0.cube": np.arange(24, dtype=np.float32).reshape(2, 3, 4),
        "i64": np.array([7, -1], dtype=np.int64),
    }
    specs = {k: TensorSpec(dtype=v.dtype.name, shape=list(v.shape), data_ptr=v.ctypes.data, data_len=v.nbytes)
             for k, v in arrays.items()}
    # numpy has no bfloat16: pass the raw bits (these values are exact in bfloat16).
    bf16 = (np.array([[1.0, -2.0], [0.15625, 2.0**127]], dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)
    arrays["bf16"] = bf16
    specs["bf16"] = TensorSpec(dtype="bfloat16", shape=[2, 2], data_ptr=bf16.ctypes.data, data_len=bf16.nbytes)
    serialize_file(specs, args.out, metadata={"format": "pt", "written_by": "safetensors-python"})
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
