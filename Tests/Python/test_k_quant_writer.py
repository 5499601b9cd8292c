#!/usr/bin/env python3
"""usage: Tests/Python/test_k_quant_writer.py

Checks the Q4_K and Q6_K quantisers of scripts/make-7b-test-model.py against gguf-py's reference
dequantise: blocks of a small tensor (random values, plus sub-blocks that are all zero, all positive,
all negative or a single spike) decode to within half a quantisation step of the input, with the step
read back by gguf-py, so a misplaced nibble, scale or minimum shows as a large error. Also checks the
Q4_K_M tensor types against llama.cpp's rule. Prints one line per check, then "N passed, M failed";
exits 0 only when all passed. Needs numpy and gguf.
"""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import gguf

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("make_7b", ROOT / "scripts" / "make-7b-test-model.py")
make_7b = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_7b)
T = gguf.GGMLQuantizationType


def sample(rng):
    """8 rows of 512 values: random rows with std 0.02, and rows whose sub-blocks are edge cases."""
    x = ((rng.random((8, 512), dtype=np.float32) - 0.5) * 0.07).astype(np.float32)
    x[1, :256] = 0                                   # a whole block of zeros
    x[2, :32] = np.abs(x[2, :32]) + 0.01             # a sub-block without negative values
    x[3, :32] = -np.abs(x[3, :32]) - 0.01            # ... without positive values
    x[4, :] = 0
    x[4, 17] = 0.5                                   # one spike in a block of zeros
    x[5] *= 1e-4                                     # small scales (f16 subnormal range)
    x[6] *= 50                                       # large scales
    return x


def steps_q4_k(blocks):
    """Per 32-value sub-block step d·sc, as gguf-py decodes it."""
    d = blocks[:, 0:2].copy().view(np.float16).astype(np.float32)
    sc, _ = gguf.quants.Q4_K.get_scale_min(blocks[:, 4:16])
    return np.repeat(d * sc.astype(np.float32), 32, axis=1)


def steps_q6_k(blocks):
    """Per 16-value sub-block step d·sc, as gguf-py decodes it."""
    d = blocks[:, 208:210].copy().view(np.float16).astype(np.float32)
    sc = blocks[:, 192:208].copy().view(np.int8).astype(np.float32)
    return np.repeat(d * sc, 16, axis=1)


def check_quantizer(name, quantize, qtype, steps, x):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    q = quantize(x)
    if q.shape != (x.shape[0], x.shape[1] // block_size * type_size) or q.dtype != np.uint8:
        return f"{name}: shape {q.shape} {q.dtype}"
    y = gguf.quants.dequantize(q, qtype)
    step = steps(q.reshape(-1, type_size)).reshape(x.shape)
    error = np.abs(y - x)
    # Half a step, plus float32 rounding of the reference's own products.
    bound = step * 0.5 * (1 + 1e-5) + np.abs(x) * 1e-6
    worst = np.unravel_index(np.argmax(error - bound), x.shape)
    if (error > bound).any():
        return f"{name}: error {error[worst]:.3g} over bound {bound[worst]:.3g} at {worst}"
    rel = np.sqrt(np.mean((y[0] - x[0]) ** 2)) / x[0].std()
    limit = {T.Q4_K: 0.08, T.Q6_K: 0.02}[qtype]  # uniform values over 16 and 63 levels
    if rel > limit:
        return f"{name}: relative rms error {rel:.3f} over {limit}"
    return None


def check_plan():
    plan = {name: qtype for name, _, qtype in make_7b.tensor_plan("q4_k_m")}
    bumped = [i for i in range(make_7b.N_LAYER) if plan[f"blk.{i}.ffn_down.weight"] == T.Q6_K]
    # llama.cpp's use_more_bits at 32 layers: the first 4, the last 4, and every third between.
    expected = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]
    if bumped != expected:
        return f"ffn_down Q6_K layers {bumped}"
    if [i for i in range(make_7b.N_LAYER) if plan[f"blk.{i}.attn_v.weight"] == T.Q6_K] != expected:
        return "attn_v Q6_K layers differ from ffn_down's"
    if plan["output.weight"] != T.Q6_K or plan["token_embd.weight"] != T.Q4_K:
        return f"output {plan['output.weight']!r}, token_embd {plan['token_embd.weight']!r}"
    rest = {qtype for name, qtype in plan.items() if name.endswith(("attn_q.weight", "attn_k.weight", "attn_output.weight", "ffn_gate.weight", "ffn_up.weight"))}
    if rest != {T.Q4_K}:
        return f"other matrices {rest}"
    return None


def main():
    x = sample(np.random.default_rng(7))
    checks = {
        "Q4_K blocks decode within half a step": lambda: check_quantizer("Q4_K", make_7b.quantize_q4_k, T.Q4_K, steps_q4_k, x),
        "Q6_K blocks decode within half a step": lambda: check_quantizer("Q6_K", make_7b.quantize_q6_k, T.Q6_K, steps_q6_k, x),
        "Q4_K_M tensor types follow llama.cpp": check_plan,
    }
    failed = 0
    for name, check in checks.items():
        problem = check()
        failed += problem is not None
        print(f"{'FAIL' if problem else 'ok'}: {name}{': ' + problem if problem else ''}")
    print(f"{len(checks) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
