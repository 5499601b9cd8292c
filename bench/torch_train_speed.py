#!/usr/bin/env python3
"""usage: bench/torch_train_speed.py [--model PATH] [--binary PATH] [--rank 8] [--targets q_proj,v_proj]
                                    [--batch 4] [--seq-len 256] [--steps 5] [--threads 2] [--seed 0]
                                    [--rounds 1] [--skip-ours] [--float-products] [--json FILE]

LoRA training speed of `lorekeeper bench-train` against PyTorch + PEFT on the CPU, same model and
settings. The reference: the GGUF model dequantised into a float32 transformers LlamaForCausalLM
(peft_compare.huggingface_model), PEFT LoraConfig(r, lora_alpha=2r, target_modules, lora_dropout=0),
torch.optim.AdamW(lr=1e-4) on the LoRA parameters, torch.set_num_threads(--threads); random token
batches of --batch x --seq-len with labels = input_ids (every token a target, as in bench-train); one
untimed warm-up step, then --steps timed steps of forward, backward, optimizer.step and zero_grad.

Two child processes, so that the reported peak resident memory is training's alone: the first builds
the model (the dequantisation goes through float64) and saves it with save_pretrained into a temporary
folder; the second loads it in float32, trains and reports its own getrusage peak. Then (unless
--skip-ours) `BINARY bench-train` runs with the same settings.

The machine's speed drifts by ±20 % within minutes, so one pair of runs can land on a fast and a slow
spell: --rounds N runs N such pairs back to back, alternating which goes first, and reports the ratio
of each pair and their median.

Prints a summary on stderr (tokens/s, best step, tokens per processor-second and peak resident memory
of each, and the ratios lorekeeper / PyTorch) and a JSON report on stdout (and into --json FILE):
"rounds", one {"pytorch", "lorekeeper", "ratio"} per pair, and "median_ratio".
Memory is in MB of 10^6 bytes, as bench-train reports it. Needs torch, transformers, peft, numpy and
gguf (pip install torch transformers peft); not part of scripts/install-deps.sh.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resident_mb():
    """The current resident set in MB (10^6 bytes)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1_000_000


def export_model(gguf_path, folder):
    """Child 1: the dequantised model, saved in float32 (the float64 copy never reaches the timed process)."""
    from transformers.utils import logging

    from peft_compare import huggingface_model

    logging.disable_progress_bar()
    huggingface_model(gguf_path).float().save_pretrained(folder)


def train(args, folder):
    """Child 2: PEFT training steps on random tokens; prints one JSON line."""
    import peft
    import torch
    import transformers
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaForCausalLM
    from transformers.utils import logging

    logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning)
    after_imports = resident_mb()
    torch.set_num_threads(args.threads)
    model = LlamaForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model.config.use_cache = False
    config = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.0,
                        target_modules=args.targets.split(","), task_type="CAUSAL_LM")
    model = get_peft_model(model, config)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    vocab = model.config.vocab_size
    generator = torch.Generator().manual_seed(args.seed)
    tokens_per_step = args.batch * args.seq_len

    after_load = resident_mb()
    seconds, losses, cpu_start = [], [], 0.0
    for step in range(1 + args.steps):
        ids = torch.randint(vocab, (args.batch, args.seq_len), generator=generator)
        if step == 1:
            cpu_start = time.process_time()
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids, use_cache=False).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        elapsed = time.perf_counter() - start
        if step >= 1:
            seconds.append(elapsed)
            losses.append(loss.item())
    cpu_seconds = time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    report = {
        "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
        "attn_implementation": model.base_model.model.config._attn_implementation,
        "threads": torch.get_num_threads(), "rank": args.rank, "targets": args.targets,
        "batch": args.batch, "seq_len": args.seq_len,
        "trainable_parameters": sum(p.numel() for p in trainable),
        "tokens_per_second": round(tokens_per_step * len(seconds) / sum(seconds), 1),
        "best_step_tokens_per_second": round(tokens_per_step / min(seconds), 1),
        "tokens_per_cpu_second": round(tokens_per_step * len(seconds) / cpu_seconds, 1),
        "step_seconds": [round(s, 3) for s in seconds],
        "losses": [round(l, 4) for l in losses],
        "peak_rss_mb": peak // 1_000_000,
        # For scale: what the imports (torch, transformers, peft) and the loaded model already hold.
        "rss_after_imports_mb": after_imports, "rss_after_load_mb": after_load,
    }
    print(json.dumps(report, sort_keys=True))


def child(extra, args, threads=None):
    env = dict(os.environ)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cmd = [sys.executable, os.path.abspath(__file__), "--model", args.model, "--rank", str(args.rank),
           "--targets", args.targets, "--batch", str(args.batch), "--seq-len", str(args.seq_len),
           "--steps", str(args.steps), "--threads", str(args.threads), "--seed", str(args.seed)] + extra
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout


def ratio(a, b):
    return round(a / b, 3) if b else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=os.path.join(ROOT, "models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    p.add_argument("--binary", default=os.path.join(ROOT, ".build/release/lorekeeper"))
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--targets", default="q_proj,v_proj", help="comma-separated module names")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--steps", type=int, default=5, help="timed steps, after one untimed warm-up step")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0, help="of PyTorch's random tokens")
    p.add_argument("--rounds", type=int, default=1, help="pairs of runs, alternating which goes first")
    p.add_argument("--skip-ours", action="store_true", help="run the PyTorch reference only")
    p.add_argument("--float-products", action="store_true", help="lorekeeper multiplies the frozen weights in float32 only")
    p.add_argument("--json", help="also write the JSON report into this file")
    p.add_argument("--export-to", help=argparse.SUPPRESS)   # internal: child 1
    p.add_argument("--train-from", help=argparse.SUPPRESS)  # internal: child 2
    args = p.parse_args()
    if args.export_to:
        return export_model(args.model, args.export_to)
    if args.train_from:
        return train(args, args.train_from)
    if min(args.rank, args.batch, args.steps, args.threads, args.rounds) <= 0 or args.seq_len <= 1:
        p.error("--rank, --batch, --steps, --threads, --rounds must be positive, --seq-len above 1")
    if args.targets == "all":
        args.targets = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"

    def ours():
        cmd = [args.binary, "bench-train", "--model", args.model, "--rank", str(args.rank), "--targets", args.targets,
               "--batch", str(args.batch), "--seq-len", str(args.seq_len), "--steps", str(args.steps),
               "--threads", str(args.threads)] + (["--float-products"] if args.float_products else [])
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    keys = ["tokens_per_second", "best_step_tokens_per_second", "tokens_per_cpu_second", "peak_rss_mb"]
    rounds = []
    work = tempfile.mkdtemp(prefix="torch-train-speed-")
    try:
        folder = os.path.join(work, "model")
        print("exporting the dequantised model to float32 ...", file=sys.stderr)
        child(["--export-to", folder], args)
        for n in range(args.rounds):
            runs = {}
            order = ["pytorch", "lorekeeper"] if n % 2 == 0 else ["lorekeeper", "pytorch"]
            for name in order:
                if name == "lorekeeper" and args.skip_ours:
                    continue
                print(f"round {n + 1}/{args.rounds}: {name}, {args.steps} + 1 steps ...", file=sys.stderr)
                runs[name] = (ours() if name == "lorekeeper" else
                              json.loads(child(["--train-from", folder], args, threads=args.threads).strip().splitlines()[-1]))
            if "lorekeeper" in runs:
                runs["ratio"] = {key: ratio(runs["lorekeeper"][key], runs["pytorch"][key]) for key in keys}
            rounds.append(runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report = {"settings": {"model": os.path.basename(args.model), "rank": args.rank, "alpha": 2 * args.rank,
                           "targets": args.targets, "batch": args.batch, "seq_len": args.seq_len,
                           "steps": args.steps, "threads": args.threads},
              "rounds": rounds}
    first = rounds[0]["pytorch"]
    print(f"\nr={args.rank} on {args.targets}, {args.batch} x {args.seq_len} tokens a step, {args.steps} timed steps, "
          f"{args.threads} threads (torch {first['torch']}, transformers {first['transformers']}, "
          f"peft {first['peft']}, attention {first['attn_implementation']})", file=sys.stderr)
    if not args.skip_ours:
        ours_first = rounds[0]["lorekeeper"]
        print("lorekeeper's frozen products: " + ("16-bit integers" if ours_first.get("integer_products") else "float32"), file=sys.stderr)
    print(f"{'':24} {'tokens/s':>9} {'best step':>10} {'tok/cpu-s':>10} {'peak RSS MB':>12}", file=sys.stderr)
    for n, runs in enumerate(rounds):
        for label, name in [("PyTorch + PEFT", "pytorch"), ("lorekeeper", "lorekeeper")]:
            if name in runs:
                r = runs[name]
                print(f"{label + f' ({n + 1})':24} {r['tokens_per_second']:9.1f} {r['best_step_tokens_per_second']:10.1f} "
                      f"{r['tokens_per_cpu_second']:10.1f} {r['peak_rss_mb']:12d}", file=sys.stderr)
        if "ratio" in runs:
            r = runs["ratio"]
            print(f"{f'ours / PyTorch ({n + 1})':24} {r['tokens_per_second']:8.2f}x {r['best_step_tokens_per_second']:9.2f}x "
                  f"{r['tokens_per_cpu_second']:9.2f}x {r['peak_rss_mb']:11.2f}x", file=sys.stderr)
    if not args.skip_ours:
        report["median_ratio"] = r = {key: round(statistics.median(runs["ratio"][key] for runs in rounds), 3) for key in keys}
        print(f"{'median ratio':24} {r['tokens_per_second']:8.2f}x {r['best_step_tokens_per_second']:9.2f}x "
              f"{r['tokens_per_cpu_second']:9.2f}x {r['peak_rss_mb']:11.2f}x", file=sys.stderr)
    text = json.dumps(report, sort_keys=True)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
