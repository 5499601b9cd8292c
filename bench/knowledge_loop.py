#!/usr/bin/env python3
"""usage: bench/knowledge_loop.py [--binary PATH] [--model PATH] [--data FILE] [--epochs N] [--seconds S]

Measures the knowledge loop on one `lorekeeper serve` (started here, on a temporary data folder):

1. swap latency: from the job's `succeeded` event on its SSE stream to the first chat response
   served by the new NAME@VERSION, and from an activation to the first response by that version;
2. chat while training: one client streams chat completions back to back (128 tokens, greedy),
   first with the server idle, then while a fine-tuning job runs; decode tokens/s and TTFT p50;
3. training speed: the job's tokens/s with no chat traffic, against `lorekeeper train` alone on
   the same file and settings.

Goals (issue 12): (1) under 1 s; (2) at least 70 % of idle tokens/s, TTFT p50 at most 1.5x idle;
(3) at least 90 % of `lorekeeper train`. Prints one table; nothing here is a pass/fail test.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from lorekeeper_server import LorekeeperServer, default_binary, default_model, exit_cleanly_on_sigterm  # noqa: E402

KEY = "bench-" + uuid.uuid4().hex


def call(base, method, path, body=None, raw=None, headers=None):
    h = {"Authorization": f"Bearer {KEY}", **(headers or {})}
    data = raw
    if body is not None:
        data, h["Content-Type"] = json.dumps(body).encode(), "application/json"
    with urllib.request.urlopen(urllib.request.Request(base + path, data=data, method=method, headers=h), timeout=600) as r:
        return json.loads(r.read())


def upload(base, path):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--{boundary}\r\n"
            f"Content-Disposition: form-data; name=\"file\"; filename=\"{Path(path).name}\"\r\n\r\n").encode()
    body += Path(path).read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return call(base, "POST", "/v1/files", raw=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def stream_chat(base, model, question, max_tokens=128):
    """(TTFT seconds, decode tokens/s after the first token, tokens) of one streamed chat."""
    body = {"model": model, "messages": [{"role": "user", "content": question}], "temperature": 0, "max_tokens": max_tokens,
            "stream": True, "stream_options": {"include_usage": True}}
    start = time.perf_counter()
    first = last = None
    tokens = 0
    request = urllib.request.Request(base + "/v1/chat/completions", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as r:
        for line in r:
            line = line.decode().strip()
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            elif chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                now = time.perf_counter()
                first = first or now
                last = now
    return first - start, (tokens - 1) / (last - first) if last > first else 0.0, tokens


def chat_for(base, model, seconds, until=None):
    samples, deadline = [], time.time() + seconds
    questions = ["Write a short story about a lighthouse keeper.", "Explain how bread rises.", "Describe a walk in a forest."]
    while time.time() < deadline and not (until and until()):
        samples.append(stream_chat(base, model, questions[len(samples) % len(questions)]))
    return samples


def job_events(base, job_id):
    out, after = [], None
    while True:
        page = call(base, "GET", f"/v1/fine_tuning/jobs/{job_id}/events?limit=100" + (f"&after={after}" if after else ""))
        out += page["data"]
        if not page["has_more"]:
            return out
        after = page["data"][-1]["id"]


def job_tokens_per_second(base, job_id):
    metrics = [e["data"] for e in job_events(base, job_id) if e["type"] == "metrics"]
    tokens = sum(m["tokens"] for m in metrics)
    seconds = sum(m["tokens"] / m["tokens_per_second"] for m in metrics if m["tokens_per_second"] > 0)
    return tokens / seconds


def wait(base, job_id):
    while (job := call(base, "GET", f"/v1/fine_tuning/jobs/{job_id}"))["status"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(0.2)
    return job


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=default_binary())
    p.add_argument("--model", default=default_model())
    p.add_argument("--data", default=str(ROOT / "Tests/Fixtures/training/quillfeather-qa.jsonl"))
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seconds", type=float, default=40, help="idle chat measurement length")
    args = p.parse_args()
    exit_cleanly_on_sigterm()
    server = LorekeeperServer(args.binary, args.model, parallel=4, extra_args=["--admin-key", KEY])
    server.start()
    base, model = server.base_url, server.model_id
    try:
        file_id = upload(base, args.data)["id"]
        settings = {"training_file": file_id, "hyperparameters": {"n_epochs": args.epochs}, "seed": 1}

        # 3. training speed alone: a job with no chat, and `lorekeeper train` on the same data.
        quiet = wait(base, call(base, "POST", "/v1/fine_tuning/jobs", {"model": model, "suffix": "quiet", **settings})["id"])
        job_speed = job_tokens_per_second(base, quiet["id"])
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([args.binary, "train", "--model", args.model, "--data", args.data, "--out", out + "/a",
                                  "--epochs", str(args.epochs), "--seed", "1"], capture_output=True, text=True, check=True)
            report = json.loads(Path(out + "/a/training.json").read_text())
        steps = report["steps"]
        train_speed = sum(s["tokens"] for s in steps) / sum(s["seconds"] for s in steps)

        # 2. one chat stream idle, then while a job trains.
        idle = chat_for(base, model, args.seconds)
        busy_job = call(base, "POST", "/v1/fine_tuning/jobs", {"model": model, "suffix": "busy", **settings})
        while call(base, "GET", f"/v1/fine_tuning/jobs/{busy_job['id']}")["status"] != "running":
            time.sleep(0.1)
        busy = chat_for(base, model, 3600, until=lambda: call(base, "GET", f"/v1/fine_tuning/jobs/{busy_job['id']}")["status"] != "running")

        # 1. swap latency: the success event, then the first response by the new version.
        job = call(base, "POST", "/v1/fine_tuning/jobs", {"model": "quiet", "suffix": "quiet", **settings})
        request = urllib.request.Request(f"{base}/admin/jobs/{job['id']}/stream", headers={"Authorization": f"Bearer {KEY}"})
        with urllib.request.urlopen(request, timeout=3600) as r:
            for line in r:
                if b'"status":"succeeded"' in line:
                    break
        seen = time.perf_counter()
        answer = call(base, "POST", "/v1/chat/completions", {"model": "quiet", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
        swap = time.perf_counter() - seen
        assert answer["model"] == "quiet@2", answer["model"]
        seen = time.perf_counter()
        call(base, "POST", "/admin/adapters/quiet/rollback")
        answer = call(base, "POST", "/v1/chat/completions", {"model": "quiet", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
        rollback = time.perf_counter() - seen
        assert answer["model"] == "quiet@1", answer["model"]
    finally:
        server.stop()

    def summary(samples):
        return statistics.median(s[1] for s in samples), statistics.median(s[0] for s in samples) * 1000
    (idle_tps, idle_ttft), (busy_tps, busy_ttft) = summary(idle), summary(busy)
    print(f"{'measure':<48} {'value':>12}  goal")
    print(f"{'job success -> first response by NAME@2 (s)':<48} {swap:>12.3f}  < 1")
    print(f"{'rollback -> first response by NAME@1 (s)':<48} {rollback:>12.3f}  < 1")
    print(f"{'chat decode tok/s idle (median of %d)' % len(idle):<48} {idle_tps:>12.1f}")
    print(f"{'chat decode tok/s during a job (median of %d)' % len(busy):<48} {busy_tps:>12.1f}  >= 0.7x idle: {busy_tps / idle_tps:.2f}x")
    print(f"{'chat TTFT p50 idle (ms)':<48} {idle_ttft:>12.1f}")
    print(f"{'chat TTFT p50 during a job (ms)':<48} {busy_ttft:>12.1f}  <= 1.5x idle: {busy_ttft / idle_ttft:.2f}x")
    print(f"{'job training tok/s, no chat':<48} {job_speed:>12.1f}")
    print(f"{'lorekeeper train tok/s, same data':<48} {train_speed:>12.1f}  job >= 0.9x: {job_speed / train_speed:.2f}x")


if __name__ == "__main__":
    main()
