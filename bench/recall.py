#!/usr/bin/env python3
"""usage: bench/recall.py [--config NAME ...] [--binary PATH] [--model PATH] [--keep DIR] [--json FILE]

Does fine-tuning make a short document's facts stick? Trains adapters with `lorekeeper train` under
several configurations on the fictional-company fixtures (Tests/Fixtures/training/), serves them all
from one `lorekeeper serve`, and counts, greedily (temperature 0):

  * completions: sentence starts about the document (quillfeather-probes.jsonl) whose continuation
    contains the fact (every expected string, case-insensitive);
  * chat: the Q&A file's questions asked as a user message, whose answer contains the reference
    answer's names and numbers that the question does not give away.

Prints a table (loss at the first and last epoch, recall counts, training time) on stderr and the
JSON report (with per-epoch mean losses) on stdout. Configurations (default: all):

  qv-text       text only, LoRA r=8 on q/v, lr 1e-3, 30 steps (the PEFT baseline of the issue)
  all-text      text only, the defaults (all seven projections, r=16, lr 1e-3, 10 epochs, at least 30 steps)
  all-text-30   the same for exactly 30 steps, all-text-60 for 60
  all-qa        the Q&A file only, the defaults
  all-text-qa   text + Q&A, the defaults
  incremental   v1 = all-text-qa on Quillfeather, then v2 from v1 on Brassmoor text + Q&A with all of
                v1's data replayed; v2 is asked about both companies
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_io import finish, post
from lorekeeper_server import REPO_ROOT, LorekeeperServer, default_binary, default_model

FIXTURES = Path(REPO_ROOT) / "Tests" / "Fixtures" / "training"
QF = [str(FIXTURES / "quillfeather.md")], [str(FIXTURES / "quillfeather-qa.jsonl")]
BM = [str(FIXTURES / "brassmoor.md")], [str(FIXTURES / "brassmoor-qa.jsonl")]

CONFIGS = {
    "qv-text": (QF[0], ["--rank", "8", "--targets", "q_proj,v_proj", "--max-steps", "30", "--lr", "1e-3"]),
    "all-text": (QF[0], []),
    "all-text-30": (QF[0], ["--max-steps", "30"]),
    "all-text-60": (QF[0], ["--max-steps", "60"]),
    "all-qa": (QF[1], []),
    "all-text-qa": (QF[0] + QF[1], []),
}


def questions(path):
    out = []
    for line in open(path):
        r = json.loads(line)
        msgs = r.get("messages")
        q = next(m["content"] for m in msgs if m["role"] == "user") if msgs else r["prompt"]
        a = msgs[-1]["content"] if msgs else r["completion"]
        asked = set(re.findall(r"[\w]+", q.lower()))
        facts = [w for w in re.findall(r"[\w]+", a) if (w[0].isupper() or w[0].isdigit()) and w.lower() not in asked
                 and w not in ("The", "It", "Its", "A", "An", "In", "On")]
        if facts:
            out.append((q, facts))
    return out



def recall(api, model, probes, chat):
    hits_c = 0
    for p in probes:
        text = post(api + "/completions", {"model": model, "prompt": p["prompt"], "max_tokens": 24, "temperature": 0})["choices"][0]["text"]
        hits_c += all(e.lower() in text.lower() for e in p["expect"])
    hits_q = 0
    for q, facts in chat:
        text = post(api + "/chat/completions", {"model": model, "messages": [{"role": "user", "content": q}], "max_tokens": 48,
                                                 "temperature": 0})["choices"][0]["message"]["content"]
        hits_q += all(f.lower() in text.lower() for f in facts)
    return hits_c, hits_q


def train(binary, model, data, extra, out, parent=None):
    cmd = [binary, "train", "--model", model, "--out", out] + sum((["--data", d] for d in data), []) + extra
    if parent:
        cmd += ["--parent", parent, "--replay", "1"]
    start = time.time()
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=REPO_ROOT)
    report = json.load(open(Path(out) / "training.json"))
    epochs = {}
    for s in report["steps"]:
        epochs.setdefault(s["epoch"], []).append(s["loss"])
    return {"seconds": round(time.time() - start, 1), "steps": len(report["steps"]),
            "epoch_loss": [round(sum(v) / len(v), 4) for _, v in sorted(epochs.items())]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", action="append", choices=list(CONFIGS) + ["incremental"])
    ap.add_argument("--binary", default=str(default_binary()))
    ap.add_argument("--model", default=str(default_model()))
    ap.add_argument("--keep", help="keep the adapters in this folder")
    ap.add_argument("--json")
    args = ap.parse_args()
    names = args.config or list(CONFIGS) + ["incremental"]
    work = Path(args.keep or tempfile.mkdtemp(prefix="lorekeeper-recall-"))
    adapters = work / "data" / "adapters"
    probes = [json.loads(l) for l in open(FIXTURES / "quillfeather-probes.jsonl")]
    qf_chat, bm_chat = questions(QF[1][0]), questions(BM[1][0])
    results = {}
    for name in names:
        print(f"training {name} ...", file=sys.stderr)
        if name == "incremental":
            v1, v2 = adapters / name / "1", adapters / name / "2"
            results[name] = {"v1": train(args.binary, args.model, QF[0] + QF[1], [], str(v1)),
                             "v2": train(args.binary, args.model, BM[0] + BM[1], [], str(v2), parent=str(v1))}
        else:
            data, extra = CONFIGS[name]
            results[name] = train(args.binary, args.model, data, extra, str(adapters / name / "1"))
    with LorekeeperServer(args.binary, args.model, data_dir=str(work / "data")) as server:
        api = server.api_url
        base = recall(api, server.model_id, probes, qf_chat)
        results["base"] = {"completions": base[0], "chat": base[1], "chat_brassmoor": recall(api, server.model_id, [], bm_chat)[1]}
        for name in names:
            if name == "incremental":
                for v in ("1", "2"):
                    c, q = recall(api, f"{name}@{v}", probes, qf_chat)
                    results[name][f"v{v}"].update(completions=c, chat=q, chat_brassmoor=recall(api, f"{name}@{v}", [], bm_chat)[1])
            else:
                c, q = recall(api, f"{name}@1", probes, qf_chat)
                results[name].update(completions=c, chat=q)
    print(f"\n{'config':<16}{'steps':>6}{'loss first→last epoch':>26}{'completions':>13}{'chat':>7}{'chat (B)':>10}{'train s':>9}",
          file=sys.stderr)
    rows = [("base", results["base"])] + [(n, results[n]) for n in names if n != "incremental"]
    if "incremental" in names:
        rows += [("incremental v1", results["incremental"]["v1"]), ("incremental v2", results["incremental"]["v2"])]
    for n, r in rows:
        loss = f"{r['epoch_loss'][0]:.3f} → {r['epoch_loss'][-1]:.3f}" if "epoch_loss" in r else ""
        print(f"{n:<16}{r.get('steps', ''):>6}{loss:>26}{r['completions']:>8}/{len(probes):<4}{r['chat']:>4}/{len(qf_chat):<3}"
              f"{str(r.get('chat_brassmoor', '')) + ('/' + str(len(bm_chat)) if 'chat_brassmoor' in r else ''):>9}{r.get('seconds', ''):>9}",
              file=sys.stderr)
    finish(results, args.json, work, args.keep)


if __name__ == "__main__":
    main()
