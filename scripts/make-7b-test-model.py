#!/usr/bin/env python3
"""usage: scripts/make-7b-test-model.py [--type q4_0|q4_k_m] [--out models/llama2-7b-shape-random.TYPE.gguf] [--seed 0]

Writes a Llama-2-7B-shaped GGUF with random weights and the Llama-2 SentencePiece tokenizer, for memory and
speed tests at 7B scale: Q4_0 (about 3.8 GB), or Q4_K_M (about 4.1 GB) with the tensor types llama.cpp's
llama-quantize picks for Q4_K_M (Q6_K for output, and for attn_v and ffn_down in half of the layers; Q4_K
elsewhere). Weights are uniform with standard deviation 0.02, norms 1.0, so activations stay in a sane range.
Q4_0 blocks come from gguf-py; gguf-py cannot quantise K-quants, so Q4_K and Q6_K blocks come from the
quantisers below (min/max scales, no search). Needs numpy and gguf (pip install gguf).

The file is streamed: tensor infos are declared first, then each tensor is generated and quantised a few rows
at a time, so memory holds one tensor's quantised bytes and one chunk of floats, never a layer's worth of floats.
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
T = gguf.GGMLQuantizationType
QK_K = 256
FILE_TYPES = {"q4_0": gguf.LlamaFileType.MOSTLY_Q4_0, "q4_k_m": gguf.LlamaFileType.MOSTLY_Q4_K_M}


def more_bits(layer):
    """llama.cpp's use_more_bits: the first and last eighth of the layers and every third one between."""
    return layer < N_LAYER // 8 or layer >= 7 * N_LAYER // 8 or (layer - N_LAYER // 8) % 3 == 2


def tensor_plan(file_type):
    """(name, numpy shape (rows, cols) or (n,), type) in file order, as llama.cpp names and types them."""
    head_dim = N_EMBD // N_HEAD
    k_m = file_type == "q4_k_m"
    base = T.Q4_K if k_m else T.Q4_0

    def bumped(layer):
        return T.Q6_K if k_m and more_bits(layer) else base

    plan = [("token_embd.weight", (N_VOCAB, N_EMBD), base)]
    for i in range(N_LAYER):
        b = f"blk.{i}."
        plan += [
            (b + "attn_norm.weight", (N_EMBD,), T.F32),
            (b + "attn_q.weight", (N_HEAD * head_dim, N_EMBD), base),
            (b + "attn_k.weight", (N_HEAD_KV * head_dim, N_EMBD), base),
            (b + "attn_v.weight", (N_HEAD_KV * head_dim, N_EMBD), bumped(i)),
            (b + "attn_output.weight", (N_EMBD, N_HEAD * head_dim), base),
            (b + "ffn_norm.weight", (N_EMBD,), T.F32),
            (b + "ffn_gate.weight", (N_FF, N_EMBD), base),
            (b + "ffn_up.weight", (N_FF, N_EMBD), base),
            (b + "ffn_down.weight", (N_EMBD, N_FF), bumped(i)),
        ]
    plan += [
        ("output_norm.weight", (N_EMBD,), T.F32),
        ("output.weight", (N_VOCAB, N_EMBD), T.Q6_K if k_m else base),
    ]
    return plan


def f16_at_least(x):
    """x rounded to float16, one step up wherever rounding went below x, so scales never shrink."""
    h = x.astype(np.float16)
    low = h.astype(np.float32) < x
    h[low] = np.nextafter(h[low], np.float16(np.inf))
    return h


def ratio_up(x, unit, top):
    """ceil(x / unit) as uint8, at most top; 0 where unit is 0 (then x is 0 too)."""
    safe = np.where(unit > 0, unit, 1)
    return np.minimum(np.ceil(x / safe), top).astype(np.uint8)


def quantize_q4_k(x):
    """Q4_K blocks (144 bytes per 256 values) of x (rows, cols): per 32-value sub-block value = d*sc*q - dmin*m.
    Scales and minimums are rounded up, so every value lies in its sub-block's range and errs by at most half
    a step."""
    blocks = x.reshape(-1, 8, 32)
    lo = np.minimum(blocks.min(axis=2), 0)
    hi = blocks.max(axis=2)
    dmin = f16_at_least(-lo.min(axis=1) / 63)
    m = ratio_up(-lo, dmin.astype(np.float32)[:, None], 63)
    offset = dmin.astype(np.float32)[:, None] * m
    scale = (hi + offset) / 15
    d = f16_at_least(scale.max(axis=1) / 63)
    sc = ratio_up(scale, d.astype(np.float32)[:, None], 63)
    step = d.astype(np.float32)[:, None] * sc
    q = np.rint((blocks + offset[:, :, None]) / np.where(step > 0, step, 1)[:, :, None])
    q = np.clip(q, 0, 15).astype(np.uint8)
    packed = np.empty((blocks.shape[0], 12), dtype=np.uint8)  # the layout of gguf-py's Q4_K.get_scale_min
    packed[:, 0:4] = sc[:, :4] | ((sc[:, 4:] >> 4) << 6)
    packed[:, 4:8] = m[:, :4] | ((m[:, 4:] >> 4) << 6)
    packed[:, 8:12] = (sc[:, 4:] & 15) | ((m[:, 4:] & 15) << 4)
    pairs = q.reshape(-1, 4, 2, 32)  # sub-blocks 2k and 2k+1 share bytes: low and high nibble
    qs = (pairs[:, :, 0] | (pairs[:, :, 1] << 4)).reshape(-1, 128)
    out = np.concatenate([d.view(np.uint8).reshape(-1, 2), dmin.view(np.uint8).reshape(-1, 2), packed, qs], axis=1)
    return out.reshape(x.shape[0], -1)


def quantize_q6_k(x):
    """Q6_K blocks (210 bytes per 256 values) of x (rows, cols): per 16-value sub-block value = d*sc*(q - 32),
    symmetric (q - 32 in -31...31), scales rounded up as in quantize_q4_k."""
    blocks = x.reshape(-1, 16, 16)
    scale = np.abs(blocks).max(axis=2) / 31
    d = f16_at_least(scale.max(axis=1) / 127)
    sc = ratio_up(scale, d.astype(np.float32)[:, None], 127)
    step = d.astype(np.float32)[:, None] * sc
    q = np.rint(blocks / np.where(step > 0, step, 1)[:, :, None]) + 32
    q = np.clip(q, 0, 63).astype(np.uint8).reshape(-1, 2, 128)  # two halves of 128 values
    low = q & 15
    ql = (low[:, :, :64] | (low[:, :, 64:] << 4)).reshape(-1, 128)
    high = (q >> 4).reshape(-1, 2, 4, 32)
    qh = (high[:, :, 0] | (high[:, :, 1] << 2) | (high[:, :, 2] << 4) | (high[:, :, 3] << 6)).reshape(-1, 64)
    out = np.concatenate([ql, qh, sc.view(np.uint8), d.view(np.uint8).reshape(-1, 2)], axis=1)
    return out.reshape(x.shape[0], -1)


QUANTIZERS = {T.Q4_0: lambda x: gguf.quants.quantize(x, T.Q4_0), T.Q4_K: quantize_q4_k, T.Q6_K: quantize_q6_k}


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


def random_quantized(rng, rows, cols, qtype):
    """Blocks of type qtype of a (rows, cols) matrix of uniform values with std STD, made CHUNK_VALUES at a time."""
    half_width = np.float32(STD * np.sqrt(3.0))
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    out = np.empty((rows, cols // block_size * type_size), dtype=np.uint8)
    step = max(1, CHUNK_VALUES // cols)
    for r in range(0, rows, step):
        n = min(step, rows - r)
        x = rng.random((n, cols), dtype=np.float32)
        x *= 2 * half_width
        x -= half_width
        out[r:r + n] = QUANTIZERS[qtype](x)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--type", choices=sorted(FILE_TYPES), default="q4_0")
    ap.add_argument("--out", help="default: models/llama2-7b-shape-random.Q4_0.gguf or .Q4_K_M.gguf")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out = args.out or os.path.join(ROOT, f"models/llama2-7b-shape-random.{args.type.upper()}.gguf")
    if not os.path.exists(TOKENIZER):
        raise SystemExit(f"error: tokenizer not found at {TOKENIZER}")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)

    start = time.time()
    partial = f"{out}.partial-{os.getpid()}"
    w = gguf.GGUFWriter(partial, "llama")
    w.add_name("llama2-7b-shape-random")
    w.add_file_type(FILE_TYPES[args.type])
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

    plan = tensor_plan(args.type)
    for name, shape, qtype in plan:
        if qtype == T.F32:
            w.add_tensor_info(name, shape, np.dtype(np.float32), int(np.prod(shape)) * 4)
        else:
            byte_shape = gguf.quant_shape_to_byte_shape(shape, qtype)
            w.add_tensor_info(name, byte_shape, np.dtype(np.uint8), int(np.prod(byte_shape)), raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()

    rng = np.random.default_rng(args.seed)
    try:
        for i, (name, shape, qtype) in enumerate(plan):
            data = np.ones(shape, dtype=np.float32) if qtype == T.F32 else random_quantized(rng, *shape, qtype)
            w.write_tensor_data(data)
            if name.endswith("ffn_down.weight") or i == len(plan) - 1:
                print(f"  {name} written ({time.time() - start:.0f} s)", flush=True)
        w.close()
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    print(f"wrote {out}: {os.path.getsize(out) / 1e9:.2f} GB, {len(plan)} tensors, in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
