#!/usr/bin/env python3
"""usage: bench/adapter_swap.py [--clients 8] [--swaps 20] [--interval 0.5] [--max-tokens 24] [--json FILE]

Hot-swap under load and mixed-adapter batching, as clients see them. Writes random PEFT adapters
(q/k/v/o, rank 8) for the default model into a temporary data dir (`adapters/kb/1`, `adapters/kb/2`,
`adapters/a{1..4}/1`), starts `lorekeeper serve` on it, then:

1. swap under load: --clients streaming clients ask for model "kb" (greedy) in a loop while the
   `active` file flips between versions 1 and 2 --swaps times. Every response must name exactly one
   version and carry that version's greedy text (taken beforehand with "kb@1" and "kb@2"), and no
   request may fail.
2. mixed batch: 4 concurrent greedy requests under 4 different adapters give the tokens each gives
   alone; their decode throughput is compared with 4 concurrent requests on the base model.

Prints a summary on stderr and a JSON report on stdout; exits 1 on any error or mismatch.
"""
import argparse
import json
import os
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lorekeeper_server import LorekeeperServer, default_model  # noqa: E402

from openai import OpenAI  # noqa: E402

PROMPT = [{"role": "user", "content": "Tell me about the history of tea."}]


def write_peft(folder, config, rank, seed):
    """A PEFT adapter folder with random non-zero A and B on q/k/v/o of every layer (float32)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    d, kv = config["hidden"], config["kv"]
    tensors = {}
    for layer in range(config["layers"]):
        for name, out in (("q_proj", d), ("k_proj", kv), ("v_proj", kv), ("o_proj", d)):
            prefix = f"base_model.model.model.layers.{layer}.self_attn.{name}"
            tensors[prefix + ".lora_A.weight"] = rng.uniform(-0.3, 0.3, (rank, d)).astype(np.float32)
            tensors[prefix + ".lora_B.weight"] = rng.uniform(-0.3, 0.3, (out, rank)).astype(np.float32)
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        b = t.tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    os.makedirs(folder)
    with open(os.path.join(folder, "adapter_model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump({"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": 2 * rank, "lora_dropout": 0.0,
                   "bias": "none", "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"], "use_rslora": False,
                   "fan_in_fan_out": False, "base_model_name_or_path": None}, f)


def model_shape(path):
    from gguf import GGUFReader
    r = GGUFReader(path)
    def value(key):
        f = r.fields[key]
        return int(f.parts[f.data[0]][0])
    hidden, heads, kv_heads = value("llama.embedding_length"), value("llama.attention.head_count"), value("llama.attention.head_count_kv")
    return {"hidden": hidden, "kv": hidden // heads * kv_heads, "layers": value("llama.block_count")}


def activate(data, name, version):
    tmp = os.path.join(data, "adapters", name, "active.tmp")
    with open(tmp, "w") as f:
        f.write(f"{version}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(data, "adapters", name, "active"))


def stream(client, model, max_tokens):
    """(model named by the response, text, completion tokens, seconds from first to last token)."""
    named, text, first, last, tokens = None, "", None, None, 0
    for chunk in client.chat.completions.create(model=model, messages=PROMPT, max_tokens=max_tokens, temperature=0,
                                                stream=True, stream_options={"include_usage": True}):
        if named is None:
            named = chunk.model
        elif chunk.model != named:
            raise AssertionError(f"one stream named two models: {named} and {chunk.model}")
        if chunk.usage:
            tokens = chunk.usage.completion_tokens
        for c in chunk.choices:
            if c.delta.content:
                now = time.monotonic()
                first = first or now
                last = now
                text += c.delta.content
    return named, text, tokens, (last - first) if first else 0.0


def swap_under_load(client, data, args, reference):
    stop, errors, served, lock = threading.Event(), [], {"kb@1": 0, "kb@2": 0}, threading.Lock()

    def worker():
        while not stop.is_set():
            try:
                named, text, _, _ = stream(client, "kb", args.max_tokens)
                if named not in reference:
                    raise AssertionError(f"response names {named}")
                if text != reference[named]:
                    raise AssertionError(f"{named} answered {text!r}, expected {reference[named]!r}")
                with lock:
                    served[named] += 1
            except Exception as e:  # noqa: BLE001 - every failure is reported
                with lock:
                    errors.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=worker) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for i in range(args.swaps):
        time.sleep(args.interval)
        activate(data, "kb", 1 + (i % 2))
    time.sleep(args.interval)
    stop.set()
    for t in threads:
        t.join()
    return {"swaps": args.swaps, "responses": served, "errors": len(errors), "error_samples": errors[:5]}


def mixed_batch(client, base_id, args):
    def run(models):
        results = [None] * len(models)
        def one(i):
            results[i] = stream(client, models[i], args.max_tokens)
        started = time.monotonic()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(models))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results, time.monotonic() - started

    adapters = [f"a{i}" for i in range(1, 5)]
    alone = {m: stream(client, m, args.max_tokens)[1] for m in adapters}
    best = {"mixed": 0.0, "base": 0.0}
    mismatches = []
    for _ in range(3):
        for key, models in (("mixed", adapters), ("base", [base_id] * 4)):
            results, _ = run(models)
            if key == "mixed":
                mismatches += [m for m, r in zip(models, results) if r[1] != alone[m]]
            # Decode rate of the batch: tokens after each stream's first, over the longest decode span.
            tokens = sum(max(0, r[2] - 1) for r in results)
            span = max(r[3] for r in results)
            best[key] = max(best[key], tokens / span if span > 0 else 0.0)
    return {"mixed_tokens_per_s": round(best["mixed"], 1), "base_tokens_per_s": round(best["base"], 1),
            "ratio": round(best["mixed"] / best["base"], 3) if best["base"] else None, "mismatches": mismatches}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--swaps", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between swaps (default %(default)s)")
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--json", help="also write the report to FILE")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="lorekeeper-swap-")
    shape = model_shape(str(default_model()))
    write_peft(os.path.join(data, "adapters", "kb", "1"), shape, 8, 1)
    write_peft(os.path.join(data, "adapters", "kb", "2"), shape, 8, 2)
    for i in range(1, 5):
        write_peft(os.path.join(data, "adapters", f"a{i}", "1"), shape, 8, 10 + i)
    with LorekeeperServer(data_dir=data, parallel=args.clients) as server:
        client = OpenAI(base_url=server.api_url, api_key="unused", max_retries=0, timeout=300)
        reference = {v: stream(client, v, args.max_tokens)[1] for v in ("kb@1", "kb@2")}
        if reference["kb@1"] == reference["kb@2"]:
            sys.exit("adapter_swap: the two versions answer alike; the check would prove nothing")
        swap = swap_under_load(client, data, args, reference)
        print(f"swap under load: {swap['swaps']} swaps, responses {swap['responses']}, errors {swap['errors']}", file=sys.stderr)
        mixed = mixed_batch(client, server.model_id, args)
        print(f"mixed batch: {mixed['mixed_tokens_per_s']} tok/s under 4 adapters vs {mixed['base_tokens_per_s']} on the base "
              f"(ratio {mixed['ratio']}), token mismatches: {mixed['mismatches']}", file=sys.stderr)
    report = {"swap": swap, "mixed": mixed}
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    ok = swap["errors"] == 0 and all(swap["responses"].values()) and not mixed["mismatches"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
