#!/usr/bin/env python3
"""usage: bench/knowledge_reading.py --keep DIR --doc-file PATH.md [...] [--binary PATH] [--model PATH] [--json FILE]

How well do adapters read, and how well does grounding rank? Over the adapters that
`bench/knowledge_recall.py --keep DIR` trained and registered (DIR/trained/<doc>/1, DIR/data),
each question of `PATH-questions.jsonl` is asked of its document's adapter three ways, greedily:

  * ranked: as served (grounded in the passages the server ranks first);
  * given: with the first of the adapter's own passages (knowledge.json) that holds the expected
    answer put beside it, as the server puts passages (`Document: S\\n\\nQuestion: Q`), the
    server's own grounding off. The gap to ranked is what ranking costs; the gap to all
    questions is what reading costs;
  * plain: ungrounded, from what the adapter learned alone.

A question none of whose passages holds its answer counts as missed in `given`.
Prints a table on stderr and the JSON on stdout.
"""
import argparse
import json
import sys
from pathlib import Path

from knowledge_recall import chat, correct, jsonl
from lorekeeper_server import LorekeeperServer, default_binary, default_model


def grounded(sentence, question):
    return f"Document: {sentence}\n\nQuestion: {question}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", required=True, help="the folder `knowledge_recall.py --keep` wrote")
    ap.add_argument("--doc-file", action="append", required=True)
    ap.add_argument("--binary", default=str(default_binary()))
    ap.add_argument("--model", default=str(default_model()))
    ap.add_argument("--json")
    args = ap.parse_args()
    work = Path(args.keep)
    results = {}
    answers = []
    for mode, extra in (("ranked", []), ("given", ["--grounding-passages=0"]), ("plain", ["--grounding-passages=0"])):
        with LorekeeperServer(args.binary, args.model, data_dir=str(work / "data"), extra_args=["--threads=1"] + extra) as server:
            for f in map(Path, args.doc_file):
                d = f.stem
                passages = [p["text"] for p in json.load(open(work / "trained" / d / "1" / "knowledge.json"))["passages"]]
                r = results.setdefault(d, {"questions": 0, "ranked": 0, "given": 0, "plain": 0, "no_passage": 0})
                for q in jsonl(f.with_name(f"{d}-questions.jsonl")):
                    gold = next((p for p in passages if correct(p, q["expect"])), None)
                    if mode == "ranked":
                        r["questions"] += 1
                        r["no_passage"] += gold is None
                    if mode == "given" and gold is None:
                        continue
                    answer = chat(server.api_url, f"{d}@1", grounded(gold, q["question"]) if mode == "given" else q["question"])
                    r[mode] += correct(answer, q["expect"])
                    answers.append({"document": d, "mode": mode, "question": q["question"], "answer": answer, "correct": correct(answer, q["expect"])})
    total = {k: sum(r[k] for r in results.values()) for k in ("questions", "ranked", "given", "plain", "no_passage")}
    print(f"{'document':<44}{'ranked':>8}{'given':>8}{'plain':>8}{'no passage':>12}", file=sys.stderr)
    for d, r in list(results.items()) + [("all", total)]:
        print(f"{d:<44}{r['ranked']:>5}/{r['questions']:<2}{r['given']:>5}/{r['questions']:<2}{r['plain']:>5}/{r['questions']:<2}{r['no_passage']:>9}", file=sys.stderr)
    report = json.dumps({"documents": results, "total": total, "answers": answers}, indent=1)
    print(report)
    if args.json:
        Path(args.json).write_text(report)


if __name__ == "__main__":
    main()
