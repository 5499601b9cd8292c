#!/usr/bin/env python3
"""usage: scripts/make-7b-test-model.py [--out models/llama2-7b-shape-random.Q4_0.gguf] [--seed 0]

Writes a Llama-2-7B-shaped GGUF with random Q4_0 weights (about 3.8 GB) and the Llama-2 SentencePiece
tokenizer, for memory and speed tests at 7B scale. Weights are uniform with standard deviation 0.02, norms 1.0,
so activations stay in a sane range. Needs numpy and gguf (pip install gguf).

The file is streamed: tensor infos are declared first, then each tensor is generated and quantised a few rows
at a time, so memory holds one tensor's Q4_0 bytes and one chunk of floats, never a layer's worth of floats.
"""
import argparse
import os
import time

import numpy as np
import gguf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER = os.path.join(ROOT, "../shared/testdata/tokenizers/ggml-vocab-llama-spm.gguf")

# Llama-2-7B hyper-parameters.
N_LAYER, N_EMBD, N_HEAD, N_HEAD_KV, N_FF, N_VOCAB, N_CTX = 32, 4096, 32, 32, 11008, 32000, 4096
ROPE_BASE, RMS_EPS, STD = 10000.0, 1e-5, 0.02
CHUNK_VALUES = 1 << 23  # floats generated and quantised at a time (32 MiB)
Q4_0 = gguf.GGMLQuantizationType.Q4_0


def tensor_plan():
    """(name, numpy shape (rows, cols) or (n,), type) in file order, as llama.cpp names them."""
    head_dim = N_EMBD // N_HEAD
    plan = [("token_embd.weight", (N_VOCAB, N_EMBD), Q4_0)]
    for i in range(N_LAYER):
        b = f"blk.{i}."
        plan += [
            (b + "attn_norm.weight", (N_EMBD,), gguf.GGMLQuantizationType.F32),
            (b + "attn_q.weight", (N_HEAD * head_dim, N_EMBD), Q4_0),
            (b + "attn_k.weight", (N_HEAD_KV * head_dim, N_EMBD), Q4_0),
            (b + "attn_v.weight", (N_HEAD_KV * head_dim, N_EMBD), Q4_0),
            (b + "attn_output.weight", (N_EMBD, N_HEAD * head_dim), Q4_0),
            (b + "ffn_norm.weight", (N_EMBD,), gguf.GGMLQuantizationType.F32),
            (b + "ffn_gate.weight", (N_FF, N_EMBD), Q4_0),
            (b + "ffn_up.weight", (N_FF, N_EMBD), Q4_0),
            (b + "ffn_down.weight", (N_EMBD, N_FF), Q4_0),
        ]
    plan += [
        ("output_norm.weight", (N_EMBD,), gguf.GGMLQuantizationType.F32),
        ("output.weight", (N_VOCAB, N_EMBD), Q4_0),
    ]
    return plan


def copy_tokenizer(writer):
    reader = gguf.GGUFReader(TOKENIZER)
    copied = 0
    for key, field in reader.fields.items():
        if not key.startswith("tokenizer."):
            continue
        vtype = gguf.GGUFValueType(field.types[0])
        sub_type = gguf.GGUFValueType(field.types[1]) if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), vtype, sub_type=sub_type)
        copied += 1
    if copied == 0:
        raise SystemExit(f"error: no tokenizer.* keys in {TOKENIZER}")


def random_q4_0(rng, rows, cols):
    """Q4_0 bytes of a (rows, cols) matrix of uniform values with std STD, made CHUNK_VALUES at a time."""
    half_width = np.float32(STD * np.sqrt(3.0))
    row_bytes = cols // 32 * 18
    out = np.empty((rows, row_bytes), dtype=np.uint8)
    step = max(1, CHUNK_VALUES // cols)
    for r in range(0, rows, step):
        n = min(step, rows - r)
        x = rng.random((n, cols), dtype=np.float32)
        x *= 2 * half_width
        x -= half_width
        out[r:r + n] = gguf.quants.quantize(x, Q4_0)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "models/llama2-7b-shape-random.Q4_0.gguf"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not os.path.exists(TOKENIZER):
        raise SystemExit(f"error: tokenizer not found at {TOKENIZER}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)

    start = time.time()
    partial = f"{args.out}.partial-{os.getpid()}"
    w = gguf.GGUFWriter(partial, "llama")
    w.add_name("llama2-7b-shape-random")
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_0)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_context_length(N_CTX)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD_KV)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_rope_freq_base(ROPE_BASE)
    w.add_layer_norm_rms_eps(RMS_EPS)
    w.add_vocab_size(N_VOCAB)
    copy_tokenizer(w)

    plan = tensor_plan()
    for name, shape, qtype in plan:
        if qtype == Q4_0:
            byte_shape = gguf.quant_shape_to_byte_shape(shape, qtype)
            w.add_tensor_info(name, byte_shape, np.dtype(np.uint8), int(np.prod(byte_shape)), raw_dtype=qtype)
        else:
            w.add_tensor_info(name, shape, np.dtype(np.float32), int(np.prod(shape)) * 4)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()

    rng = np.random.default_rng(args.seed)
    try:
        for i, (name, shape, qtype) in enumerate(plan):
            data = random_q4_0(rng, *shape) if qtype == Q4_0 else np.ones(shape, dtype=np.float32)
            w.write_tensor_data(data)
            if name.endswith("ffn_down.weight") or i == len(plan) - 1:
                print(f"  {name} written ({time.time() - start:.0f} s)", flush=True)
        w.close()
        os.replace(partial, args.out)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    print(f"wrote {args.out}: {os.path.getsize(args.out) / 1e9:.2f} GB, {len(plan)} tensors, in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
