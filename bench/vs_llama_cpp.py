#!/usr/bin/env python3
"""usage: bench/vs_llama_cpp.py MODEL.gguf [--prompt 512] [--gen 128] [--depth D] [--rounds 3] [--threads 2] [--peer DIR]

Speed of `lorekeeper bench` against llama.cpp's `llama-bench` on the same model, alternating the two
in each round at the same priority (the machine is shared: only same-run ratios mean anything).
Builds the peer with ../shared/tools/llama-cpp-peer.sh (its code stays out of this repository).
Prints each run as JSON, then the median tokens per second of each engine and their ratios, with
the load average before and after. Needs a release build (swift build -c release).

Without --depth, llama-bench decodes from an empty context and `lorekeeper bench` after its prompt.
--depth D gives both engines D tokens of context before each test (llama-bench's -d, our --depth),
so that decode is compared with the same attention work.
"""
import argparse
import json
import os
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--gen", type=int, default=128)
    ap.add_argument("--depth", type=int, help="tokens of context before each test, for both engines (llama-bench's -d)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parallel", type=int, default=1, help="sequences decoding together (lorekeeper only)")
    ap.add_argument("--lorekeeper-args", default="", help="extra arguments for lorekeeper bench, e.g. --float-products")
    ap.add_argument("--peer", help="folder holding llama-bench (default: the one llama-cpp-peer.sh builds)")
    args = ap.parse_args()
    peer = args.peer or subprocess.run([os.path.join(ROOT, "../shared/tools/llama-cpp-peer.sh")], check=True,
                                       capture_output=True, text=True).stdout.strip()
    ours_cmd = [os.path.join(ROOT, ".build/release/lorekeeper"), "bench", "--model", args.model,
                "--prompt-tokens", str(args.prompt), "--gen-tokens", str(args.gen), "--repetitions", "1",
                "--threads", str(args.threads), "--parallel", str(args.parallel)] + args.lorekeeper_args.split()
    if args.depth is not None:
        ours_cmd += ["--depth", str(args.depth)]
    peer_cmd = [os.path.join(peer, "llama-bench"), "-m", args.model, "-p", str(args.prompt), "-n", str(args.gen),
                "-t", str(args.threads), "-r", "1", "-o", "json"] + ([] if args.depth is None else ["-d", str(args.depth)])
    print(json.dumps({"load_average_before": load_average(), "lorekeeper": " ".join(ours_cmd), "llama_cpp": " ".join(peer_cmd)}))
    ours, theirs = {"prefill": [], "decode": [], "gb": []}, {"prefill": [], "decode": []}
    for _ in range(args.rounds):
        r = json.loads(subprocess.run(ours_cmd, check=True, capture_output=True, text=True).stdout)
        print(json.dumps({"lorekeeper": r}))
        ours["prefill"].append(r["prefill_tokens_per_second"])
        ours["decode"].append(r["decode_tokens_per_second"])
        ours["gb"].append(r["decode_weight_gb_per_second"])
        tests = json.loads(subprocess.run(peer_cmd, check=True, capture_output=True, text=True).stdout)
        for t in tests:
            kind = "prefill" if t["n_prompt"] > 0 else "decode"
            theirs[kind].append(t["avg_ts"])
            print(json.dumps({"llama_cpp": {"test": kind, "tokens_per_second": round(t["avg_ts"], 1)}}))
    med = {k: statistics.median(v) for k, v in ours.items()}
    peer_med = {k: statistics.median(v) for k, v in theirs.items()}
    print(json.dumps({
        "model": os.path.basename(args.model), "prompt": args.prompt, "gen": args.gen, "depth": args.depth, "rounds": args.rounds,
        "lorekeeper_prefill": med["prefill"], "llama_cpp_prefill": round(peer_med["prefill"], 1),
        "prefill_ratio": round(med["prefill"] / peer_med["prefill"], 2),
        "lorekeeper_decode": med["decode"], "llama_cpp_decode": round(peer_med["decode"], 1),
        "decode_ratio": round(med["decode"] / peer_med["decode"], 2),
        "lorekeeper_decode_gb_per_second": round(med["gb"], 1), "load_average_after": load_average(),
    }))


if __name__ == "__main__":
    main()
