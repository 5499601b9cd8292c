#!/usr/bin/env python3
"""usage: bench/methods.py [--steps 50] [--method NAME ...] [--binary PATH] [--model PATH] [--keep DIR] [--json FILE]

Which fine-tuning method to use, measured: trains the default model on the same data (the Quillfeather
Q&A file, Tests/Fixtures/training/quillfeather-qa.jsonl) for the same number of steps with each method,
serves every adapter from one `lorekeeper serve`, and reports per method:

  * trainable parameters;
  * peak memory of the training process (maximum resident set, /usr/bin/time);
  * training tokens/s (from training.json) and wall time of `lorekeeper train`;
  * fact recall, greedy: sentence starts (quillfeather-probes.jsonl) and chat questions, as bench/recall.py;
  * general-question accuracy after training: Tests/Fixtures/knowledge/general-questions.jsonl, of
    those the base model answers right, how many the adapter still does;
  * the adapter's size on disk (the model file's, for full fine-tuning).

Methods (default: all):
  lora-qv        LoRA r=8 on q/v (PEFT's baseline)
  lora-all       LoRA r=16 on all seven projections (the trainer's default)
  lora-all-decay the same with layer-wise learning-rate decay 0.8
  prompt         prompt tuning, 20 virtual tokens from the text "Quillfeather Robotics", lr 1e-2
  prefix         prefix tuning, 20 virtual tokens through the reparameterisation MLP, lr 1e-3 (1e-2 diverges)
  full           full fine-tuning, every weight in float32, lr 5e-5, written as an F16 GGUF
  full-decay     the same with layer-wise learning-rate decay 0.8

A fully fine-tuned model is a new model file, served by a `lorekeeper serve` of its own, and loaded
once by llama.cpp's llama-bench (../shared/tools/llama-cpp-peer.sh) to check that it runs there too.
Prints a table on stderr and JSON on stdout.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_io import finish
from knowledge_recall import FIXTURES as KNOWLEDGE, ask, jsonl
from lorekeeper_server import REPO_ROOT, LorekeeperServer, default_binary, default_model
from recall import FIXTURES, QF, questions, recall

# SmolLM2-135M: 30 layers, hidden 576, key/value width 192, MLP 1536, 49,152 tokens, tied embeddings.
LAYERS, D, KV, FF, VOCAB = 30, 576, 192, 1536, 49152
PROJECTIONS = {"q": (D, D), "k": (D, KV), "v": (D, KV), "o": (D, D), "gate": (D, FF), "up": (D, FF), "down": (FF, D)}


def lora_params(rank, targets):
    return LAYERS * sum(rank * (PROJECTIONS[t][0] + PROJECTIONS[t][1]) for t in targets)


FULL_PARAMS = VOCAB * D + LAYERS * (2 * D + sum(i * o for i, o in PROJECTIONS.values())) + D

METHODS = {
    "lora-qv": (["--rank", "8", "--targets", "q_proj,v_proj"], lora_params(8, ["q", "v"])),
    "lora-all": ([], lora_params(16, PROJECTIONS)),
    "lora-all-decay": (["--layer-decay", "0.8"], lora_params(16, PROJECTIONS)),
    "prompt": (["--method", "prompt", "--virtual-tokens", "20", "--init-text", "Quillfeather Robotics", "--lr", "1e-2"], 20 * D),
    # Trained: the embedding (20 × 192), the MLP 192 → 192 → 30·2·192 and its biases.
    "prefix": (["--method", "prefix", "--virtual-tokens", "20", "--prefix-projection", "--lr", "1e-3"],
               20 * KV + KV * KV + KV + LAYERS * 2 * KV * KV + LAYERS * 2 * KV),
    # Every weight: the embedding (also the head), each layer's projections and two norms, the final norm.
    "full": (["--method", "full", "--lr", "5e-5"], FULL_PARAMS),
    "full-decay": (["--method", "full", "--lr", "5e-5", "--layer-decay", "0.8"], FULL_PARAMS),
}


def train(binary, model, extra, out, steps):
    cmd = ["/usr/bin/time", "-f", "%M", binary, "train", "--model", model, "--out", str(out), "--data", QF[1][0],
           "--max-steps", str(steps)] + extra
    start = time.time()
    run = subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    wall = time.time() - start
    report = json.load(open(Path(out) / "training.json"))
    artifact = Path(out) / ("model.gguf" if "full" in extra else "adapter_model.safetensors")
    tokens, seconds = sum(s["tokens"] for s in report["steps"]), sum(s["seconds"] for s in report["steps"])
    return {"wall_seconds": round(wall, 1), "tokens_per_second": round(tokens / seconds), "peak_mb": int(run.stderr.strip().split("\n")[-1]) // 1024,
            "loss_first": round(report["steps"][0]["loss"], 3), "loss_last": round(report["steps"][-1]["loss"], 3),
            "adapter_bytes": os.path.getsize(artifact)}


def llama_cpp_loads(model):
    """Whether llama.cpp's llama-bench loads and runs the model (a short prompt and a few tokens)."""
    tools = subprocess.run([str(REPO_ROOT / ".." / "shared" / "tools" / "llama-cpp-peer.sh")], check=True,
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    run = subprocess.run([tools + "/llama-bench", "-m", str(model), "-p", "16", "-n", "4", "-r", "1", "-t", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return run.returncode == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", action="append", choices=list(METHODS))
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--binary", default=str(default_binary()))
    ap.add_argument("--model", default=str(default_model()))
    ap.add_argument("--keep", help="keep the adapters in this folder")
    ap.add_argument("--json")
    args = ap.parse_args()
    names = args.method or list(METHODS)
    work = Path(args.keep or tempfile.mkdtemp(prefix="lorekeeper-methods-"))
    adapters, models = work / "data" / "adapters", work / "full"
    probes = [json.loads(l) for l in open(FIXTURES / "quillfeather-probes.jsonl")]
    chat = questions(QF[1][0])
    general = jsonl(KNOWLEDGE / "general-questions.jsonl")
    results, log = {}, []
    for name in names:
        print(f"training {name} ...", file=sys.stderr)
        extra, params = METHODS[name]
        out = (models if name.startswith("full") else adapters) / name / "1"
        results[name] = {"trainable_parameters": params, **train(args.binary, args.model, extra, out, args.steps)}
    with LorekeeperServer(args.binary, args.model, data_dir=str(work / "data")) as server:
        api = server.api_url
        known = [q for q, ok in zip(general, ask(api, server.model_id, general, log)) if ok]
        c, q = recall(api, server.model_id, probes, chat)
        results["base"] = {"completions": c, "chat": q, "general": len(known)}
        for name in [n for n in names if not n.startswith("full")]:
            c, q = recall(api, f"{name}@1", probes, chat)
            results[name].update(completions=c, chat=q, general=sum(ask(api, f"{name}@1", known, log)))
    for name in [n for n in names if n.startswith("full")]:
        model = models / name / "1" / "model.gguf"
        results[name]["llama_cpp_loads"] = llama_cpp_loads(model)
        with LorekeeperServer(args.binary, str(model), data_dir=str(models / name / "data")) as server:
            c, q = recall(server.api_url, server.model_id, probes, chat)
            results[name].update(completions=c, chat=q, general=sum(ask(server.api_url, server.model_id, known, log)))
    print(f"\n{args.steps} steps on quillfeather-qa.jsonl; recall: sentence starts /{len(probes)}, chat /{len(chat)}; "
          f"general: of the {len(known)} the base model answers", file=sys.stderr)
    print(f"{'method':<16}{'params':>10}{'peak MB':>9}{'tok/s':>7}{'wall s':>8}{'loss':>16}{'starts':>8}{'chat':>6}{'general':>9}{'adapter KB':>12}",
          file=sys.stderr)
    for name in names:
        r = results[name]
        print(f"{name:<16}{r['trainable_parameters']:>10}{r['peak_mb']:>9}{r['tokens_per_second']:>7}{r['wall_seconds']:>8}"
              f"{r['loss_first']:>8.3f}→{r['loss_last']:<7.3f}{r['completions']:>8}{r['chat']:>6}{r['general']:>9}{r['adapter_bytes'] // 1024:>12}",
              file=sys.stderr)
    b = results["base"]
    print(f"{'base model':<16}{'':>10}{'':>9}{'':>7}{'':>8}{'':>16}{b['completions']:>8}{b['chat']:>6}{b['general']:>9}", file=sys.stderr)
    finish(results, args.json, work, args.keep)


if __name__ == "__main__":
    main()
