#!/usr/bin/env python3
"""usage: bench/knowledge_recall.py [--doc NAME ...] [--doc-file PATH ...] [--no-incremental] [--train-arg ARG ...] [--serve-arg ARG ...] [--binary PATH] [--model PATH] [--keep DIR] [--json FILE]

Do plain documents, trained with the defaults (knowledge preparation on), answer questions in chat?
Uses the five fictional documents of Tests/Fixtures/knowledge/ (a company profile, two product manuals,
a library policy, an observatory; the grinder manual was written after the rules, to check them on
unseen text), each with 16 questions phrased as a person would ask them
(`<doc>-questions.jsonl`: every `expect` string, `a|b` for alternatives, must be in the answer,
case-insensitive, a number not glued to other digits), eight sentence-start probes (probes.jsonl, asked as raw completions) and 20 general
questions (general-questions.jsonl). Trains with `lorekeeper train --data DOC` and, for three
incremental versions, `--parent` on the previous one (its default replays all of the parent's data);
serves every adapter from one `lorekeeper serve` (chat grounded in each adapter's documents, as served
by default; `--serve-arg=--grounding-passages=0` measures the adapters alone) and asks greedily (temperature 0):

  * per document: its questions on the base model and on its adapter;
  * sentence starts: each probe on its document's adapter;
  * incremental: v3 (company -> manual -> policy) on all three documents' questions;
  * general: the questions the base model answers right, asked again of every adapter; "as before"
    counts, of all 20, those answered at least as correctly as by the base model (the issue's measure).

`--doc-file PATH.md` adds a document of your own, its questions in `PATH-questions.jsonl` beside it
(same format) and its sentence-start probes, if any, in `PATH-probes.jsonl` (`prompt` and `expect`).

Prints the table on stderr (with training seconds and minutes per 1,000 words) and the JSON on stdout.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_io import finish, post
from lorekeeper_server import REPO_ROOT, LorekeeperServer, default_binary, default_model

FIXTURES = Path(REPO_ROOT) / "Tests" / "Fixtures" / "knowledge"
DOCS = ["company-tidewell", "manual-corvane", "policy-larkspur", "place-ashgrove", "manual-halvard"]
CHAIN = ["company-tidewell", "manual-corvane", "policy-larkspur"]


def jsonl(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def correct(text, expect):
    # A number must stand alone: "12" is not found in "312 months".
    def has(alt):
        return re.search(("(?<![0-9])" if alt[:1].isdigit() else "") + re.escape(alt.lower()) + ("(?![0-9])" if alt[-1:].isdigit() else ""),
                         text.lower()) is not None
    return all(any(has(alt) for alt in e.split("|")) for e in expect)



def chat(api, model, question):
    body = {"model": model, "messages": [{"role": "user", "content": question}], "max_tokens": 64, "temperature": 0}
    return post(api + "/chat/completions", body)["choices"][0]["message"]["content"]


def complete(api, model, prompt):
    return post(api + "/completions", {"model": model, "prompt": prompt, "max_tokens": 24, "temperature": 0})["choices"][0]["text"]


def ask(api, model, questions, log):
    hits = []
    for q in questions:
        answer = chat(api, model, q["question"])
        hits.append(correct(answer, q["expect"]))
        log.append({"model": model, "question": q["question"], "answer": answer, "correct": hits[-1]})
    return hits


def train(binary, model, data, out, extra, data_dir, name, parent=None):
    """Trains into `out` (or, with --keep, reuses a finished run there) and registers it as `name`'s next version."""
    if not (Path(out) / "training.json").exists() or not json.load(open(Path(out) / "training.json")).get("completed"):
        shutil.rmtree(out, ignore_errors=True)
        cmd = [binary, "train", "--model", model, "--out", str(out), "--data", str(data)] + extra
        if parent:
            cmd += ["--parent", str(parent)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT)
    subprocess.run([binary, "adapters", "import", str(out), "--name", name, "--data-dir", str(data_dir), "--model", model],
                   check=True, stdout=subprocess.DEVNULL, cwd=REPO_ROOT)
    report = json.load(open(Path(out) / "training.json"))
    steps = report["steps"]
    return {"seconds": round(report["wallSeconds"], 1), "steps": len(steps), "first_loss": round(steps[0]["loss"], 3),
            "last_loss": round(steps[-1]["loss"], 4), "examples": (report.get("preparation") or {}).get("examples"),
            "replayed": (report.get("replay") or {}).get("examples", 0)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--doc", action="append", choices=DOCS)
    ap.add_argument("--doc-file", action="append", default=[], help="a document of your own, questions in PATH-questions.jsonl, probes in PATH-probes.jsonl")
    ap.add_argument("--no-incremental", action="store_true")
    ap.add_argument("--train-arg", action="append", default=[], help="extra `lorekeeper train` argument (repeat)")
    ap.add_argument("--serve-arg", action="append", default=[], help="extra `lorekeeper serve` argument (repeat)")
    ap.add_argument("--binary", default=str(default_binary()))
    ap.add_argument("--model", default=str(default_model()))
    ap.add_argument("--keep", help="keep the adapters (and answers.json) in this folder")
    ap.add_argument("--json")
    args = ap.parse_args()
    files = {d: FIXTURES / f"{d}.md" for d in DOCS} | {Path(f).stem: Path(f).resolve() for f in args.doc_file}
    docs = (args.doc or ([] if args.doc_file else DOCS)) + [Path(f).stem for f in args.doc_file]
    chain = [] if args.no_incremental else CHAIN
    work = Path(args.keep or tempfile.mkdtemp(prefix="lorekeeper-knowledge-"))
    adapters = work / "trained"
    questions = {d: jsonl(path.with_name(f"{d}-questions.jsonl")) for d, path in files.items()}
    probes = jsonl(FIXTURES / "probes.jsonl")
    for f in args.doc_file:
        own = Path(f).resolve().with_name(f"{Path(f).stem}-probes.jsonl")
        probes += [p | {"document": Path(f).stem} for p in (jsonl(own) if own.exists() else [])]
    general = jsonl(FIXTURES / "general-questions.jsonl")
    words = {d: len(path.read_text().split()) for d, path in files.items()}
    results = {"train_args": args.train_arg, "serve_args": args.serve_arg, "documents": {}, "incremental": {}}

    log = []
    adapters.mkdir(parents=True, exist_ok=True)
    # One server from the start: each run is registered when it ends (`lorekeeper adapters
    # import`, the registry the server reads), so every row is measured as soon as it exists.
    with LorekeeperServer(args.binary, args.model, data_dir=str(work / "data"), extra_args=args.serve_arg) as server:
        api, base = server.api_url, server.model_id
        base_general = ask(api, base, general, log)
        known = [q for q, ok in zip(general, base_general) if ok]
        results["general_base"] = sum(base_general)
        print(f"base model: general {sum(base_general)}/{len(general)}", file=sys.stderr)
        for d in sorted(set(docs) | set(chain[:1]), key=(chain + DOCS + docs).index):
            print(f"training {d} ...", file=sys.stderr)
            r = results["documents"][d] = train(args.binary, args.model, files[d], adapters / d / "1", args.train_arg,
                                                        work / "data", d)
            r["words"] = words[d]
            r["base"] = sum(ask(api, base, questions[d], log))
            r["adapter"] = sum(ask(api, f"{d}@1", questions[d], log))
            r["questions"] = len(questions[d])
            doc_probes = [p for p in probes if p["document"] == d]
            r["probes"] = sum(correct(complete(api, f"{d}@1", p["prompt"]), p["expect"]) for p in doc_probes)
            r["probe_count"] = len(doc_probes)
            r["general_kept"] = sum(ask(api, f"{d}@1", known, log))
            print(f"  {d}: {json.dumps(r)}", file=sys.stderr)
        if chain:
            subprocess.run([args.binary, "adapters", "import", str(adapters / chain[0] / "1"), "--name", "chain",
                            "--data-dir", str(work / "data"), "--model", args.model], check=True, stdout=subprocess.DEVNULL, cwd=REPO_ROOT)
            for v, d in enumerate(chain[1:], start=2):
                print(f"training chain v{v} ({d}) ...", file=sys.stderr)
                results["incremental"][f"v{v}"] = train(args.binary, args.model, files[d], adapters / "chain" / str(v),
                                                        args.train_arg, work / "data", "chain",
                                                        parent=adapters / ("chain" if v > 2 else chain[0]) / str(v - 1 if v > 2 else 1))
                print(f"  v{v}: {json.dumps(results['incremental'][f'v{v}'])}", file=sys.stderr)
            v3 = f"chain@{len(chain)}"
            per = {d: sum(ask(api, v3, questions[d], log)) for d in chain}
            results["incremental"].update(per_document=per, total=sum(per.values()), questions=sum(len(questions[d]) for d in chain),
                                          general_kept=sum(ask(api, v3, known, log)))
    (work / "answers.json").write_text(json.dumps(log, indent=1))

    unknown = len(general) - results["general_base"]
    print(f"\n{'trained on':<24}{'steps':>6}{'loss':>18}{'base':>7}{'adapter':>9}{'starts':>8}{'general kept':>14}{'as before':>11}{'train s':>9}"
          f"{'min/1k words':>14}", file=sys.stderr)
    for d in docs:
        r = results["documents"][d]
        print(f"{d:<24}{r['steps']:>6}{r['first_loss']:>9} → {r['last_loss']:<6}{r['base']:>4}/{r['questions']:<2}{r['adapter']:>6}/{r['questions']:<2}"
              f"{r['probes']:>5}/{r['probe_count']:<2}{r['general_kept']:>9}/{results['general_base']:<4}{r['general_kept'] + unknown:>7}/{len(general):<3}"
              f"{r['seconds']:>9}{r['seconds'] / 60 / r['words'] * 1000:>14.2f}", file=sys.stderr)
    if chain:
        inc = results["incremental"]
        print(f"chain v3 ({' → '.join(chain)}): {inc['total']}/{inc['questions']} questions {inc['per_document']}, "
              f"general kept {inc['general_kept']}/{results['general_base']} ({inc['general_kept'] + unknown}/{len(general)} as before), "
              f"training s {[inc[f'v{v}']['seconds'] for v in range(2, len(chain) + 1)]}", file=sys.stderr)
    starts = sum(results["documents"][d]["probes"] for d in docs)
    print(f"sentence starts: {starts}/{sum(results['documents'][d]['probe_count'] for d in docs)}", file=sys.stderr)
    finish(results, args.json, work, args.keep)


if __name__ == "__main__":
    main()
