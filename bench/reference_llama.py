#!/usr/bin/env python3
"""usage: bench/reference_llama.py logits --model PATH --tokens 1,2,3 [--top K]
       bench/reference_llama.py generate --model PATH --tokens 1,2,3 --max-tokens N

An independent float32 numpy implementation of the Llama forward pass over a GGUF file, read with
gguf-py's GGUFReader and dequantised with gguf-py's reference `gguf.quants.dequantize`. The Swift engine is
compared with it. Needs numpy and gguf (pip install gguf).

  logits    prints {"ids": [...], "logits": [...]} for the last position: every vocabulary entry in id order,
            or with --top K the K largest, largest first.
  generate  prints the ids of N greedily chosen tokens as a JSON list (no stop at end-of-sequence).

Weights are in the GGUF (llama.cpp) layout, whose q/k rows suit RoPE on adjacent pairs:
(x[2i], x[2i+1]) rotated by pos * base^(-2i/head_dim).
"""
import argparse
import json
import sys

import numpy as np
import gguf

# Dequantised weights are kept when they fit in this many bytes; larger models are dequantised per use.
WEIGHT_CACHE_BYTES = 4 << 30


class Llama:
    def __init__(self, path):
        self.reader = gguf.GGUFReader(path)
        self.tensors = {t.name: t for t in self.reader.tensors}
        arch = self.meta("general.architecture")
        if arch != "llama":
            raise SystemExit(f"{path}: architecture '{arch}' is not llama")
        self.n_layer = self.meta("llama.block_count")
        self.n_embd = self.meta("llama.embedding_length")
        self.n_head = self.meta("llama.attention.head_count")
        self.n_head_kv = self.meta("llama.attention.head_count_kv", self.n_head)
        self.head_dim = self.meta("llama.rope.dimension_count", self.n_embd // self.n_head)
        self.eps = np.float32(self.meta("llama.attention.layer_norm_rms_epsilon"))
        self.rope_base = self.meta("llama.rope.freq_base", 10000.0)
        # Untied models have output.weight; tied ones reuse the token embedding.
        self.output_name = "output.weight" if "output.weight" in self.tensors else "token_embd.weight"
        float_bytes = sum(4 * int(np.prod(t.shape)) for t in self.reader.tensors)
        self.cache = {} if float_bytes <= WEIGHT_CACHE_BYTES else None

    def meta(self, key, default=None):
        field = self.reader.fields.get(key)
        if field is None:
            if default is None:
                raise SystemExit(f"missing metadata key {key}")
            return default
        return field.contents()

    def weight(self, name):
        """The tensor as float32, numpy shape (rows, cols) = ggml shape reversed."""
        if self.cache is not None and name in self.cache:
            return self.cache[name]
        t = self.tensors[name]
        w = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32, copy=False)
        w = w.reshape(tuple(int(d) for d in reversed(t.shape)))
        if self.cache is not None:
            self.cache[name] = w
        return w

    def rms_norm(self, x, name):
        # x: (T, C), weight: (C,)
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * self.weight(name)

    def rope(self, x, positions):
        # x: (T, H, D) with D = head_dim; rotates adjacent pairs (x[2i], x[2i+1]).
        i = np.arange(self.head_dim // 2, dtype=np.float64)
        theta = positions[:, None].astype(np.float64) * self.rope_base ** (-2.0 * i / self.head_dim)
        cos = np.cos(theta).astype(np.float32)[:, None, :]
        sin = np.sin(theta).astype(np.float32)[:, None, :]
        even, odd = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = even * cos - odd * sin
        out[..., 1::2] = even * sin + odd * cos
        return out

    def attention(self, h, layer, positions, kv):
        # h: (T, C); kv: this layer's cached (k, v), each (T_past, H_kv, D), extended in place.
        b = f"blk.{layer}."
        T = h.shape[0]
        q = (h @ self.weight(b + "attn_q.weight").T).reshape(T, self.n_head, self.head_dim)
        k = (h @ self.weight(b + "attn_k.weight").T).reshape(T, self.n_head_kv, self.head_dim)
        v = (h @ self.weight(b + "attn_v.weight").T).reshape(T, self.n_head_kv, self.head_dim)
        q, k = self.rope(q, positions), self.rope(k, positions)
        kv[0] = np.concatenate([kv[0], k]) if kv[0] is not None else k
        kv[1] = np.concatenate([kv[1], v]) if kv[1] is not None else v
        keys, values = kv
        # Grouped-query attention: query head j reads key/value head j // group.
        group = self.n_head // self.n_head_kv
        keys = np.repeat(keys, group, axis=1)       # (S, H, D)
        values = np.repeat(values, group, axis=1)
        scores = np.einsum("thd,shd->hts", q, keys) / np.float32(np.sqrt(self.head_dim))  # (H, T, S)
        S = keys.shape[0]
        causal = np.arange(S)[None, :] > positions[:, None]  # (T, S): key position after query position
        scores = np.where(causal[None], np.float32(-np.inf), scores)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs = scores / scores.sum(axis=-1, keepdims=True)
        out = np.einsum("hts,shd->thd", probs, values).reshape(T, self.n_head * self.head_dim)
        return out @ self.weight(b + "attn_output.weight").T

    def feed_forward(self, h, layer):
        # h: (T, C) -> SwiGLU: down(silu(gate h) * up h)
        b = f"blk.{layer}."
        gate = h @ self.weight(b + "ffn_gate.weight").T
        up = h @ self.weight(b + "ffn_up.weight").T
        return (gate / (np.float32(1) + np.exp(-gate)) * up) @ self.weight(b + "ffn_down.weight").T

    def forward(self, tokens, start, cache):
        """Logits (vocab,) of the last of `tokens`, which sit at positions start, start+1, ...;
        `cache` holds each layer's [k, v] for the positions before `start` and is extended."""
        positions = np.arange(start, start + len(tokens))
        x = self.weight("token_embd.weight")[np.asarray(tokens)]
        for layer in range(self.n_layer):
            x = x + self.attention(self.rms_norm(x, f"blk.{layer}.attn_norm.weight"), layer, positions, cache[layer])
            x = x + self.feed_forward(self.rms_norm(x, f"blk.{layer}.ffn_norm.weight"), layer)
        x = self.rms_norm(x[-1:], "output_norm.weight")
        return (x @ self.weight(self.output_name).T)[0]

    def new_cache(self):
        return [[None, None] for _ in range(self.n_layer)]


def parse_tokens(text):
    try:
        tokens = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise SystemExit(f"--tokens must be comma-separated integers, got '{text}'")
    if not tokens:
        raise SystemExit("--tokens is empty")
    return tokens


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    lg = sub.add_parser("logits", help="last-position logits as JSON")
    gen = sub.add_parser("generate", help="greedy token ids as JSON")
    for p in (lg, gen):
        p.add_argument("--model", required=True)
        p.add_argument("--tokens", required=True, type=parse_tokens, help="comma-separated token ids")
    lg.add_argument("--top", type=int, help="only the K largest logits, largest first")
    gen.add_argument("--max-tokens", type=int, required=True)
    args = ap.parse_args()

    model = Llama(args.model)
    vocab = model.tensors["token_embd.weight"].shape[1]
    if max(args.tokens) >= vocab or min(args.tokens) < 0:
        raise SystemExit(f"token ids must be in 0..<{vocab}")
    cache = model.new_cache()
    logits = model.forward(args.tokens, 0, cache)

    if args.command == "logits":
        if args.top is None:
            ids = np.arange(len(logits))
        else:
            ids = np.argsort(-logits, kind="stable")[:args.top]
        json.dump({"ids": ids.tolist(), "logits": logits[ids].tolist()}, sys.stdout)
    else:
        out = []
        position = len(args.tokens)
        for _ in range(args.max_tokens):
            next_id = int(np.argmax(logits))
            out.append(next_id)
            if len(out) == args.max_tokens:
                break
            logits = model.forward([next_id], position, cache)
            position += 1
        json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
