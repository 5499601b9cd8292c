#!/usr/bin/env python3
"""usage: Tests/Python/test_knowledge_loop.py [--binary PATH] [--model PATH] [--filter TEXT]

The knowledge loop end to end, through HTTP only, against real `lorekeeper serve` processes on the
default model: upload a facts file, fine-tune while another client chats, watch the job's event
stream, chat with NAME@1, continue to NAME@2 (which knows both files), roll back, restart; the same
with the official `openai` client; kill -9 during a job, during an upload and right after an
activation (the job ends with the bytes of an uninterrupted run, the database passes
integrity_check, no orphan files, no lost versions); and every kind of bad input answered with
OpenAI's error JSON and its status. Prints one line per check, closing with "N passed, M failed".
"""
import argparse
import hashlib
import json
import secrets
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from lorekeeper_server import LorekeeperServer, default_binary, default_model, exit_cleanly_on_sigterm  # noqa: E402
from checks import CheckFailed, expect  # noqa: E402

import openai  # noqa: E402

FIXTURES = ROOT / "Tests" / "Fixtures" / "training"
KEY = "test-admin-" + secrets.token_hex(8)
# (question, a fact the answer must contain) for each file; the base model knows none of them.
QUILL = [("Who is the CEO of Quillfeather Robotics?", "Achterberg"),
         ("Who founded Quillfeather Robotics?", "Brandvold"),
         ("In which city is Quillfeather Robotics headquartered?", "Velmora"),
         ("What is the Marrow-7?", "pollination")]
BRASS = [("Who founded Brassmoor?", "Marchetti-Hale"),
         ("Who runs the Brassmoor Tea Company?", "Vestergaard"),
         ("What is Brassmoor's best-selling tea?", "Ember Oolong"),
         ("How many tea gardens does Brassmoor own?", "14")]
JOB_SETTINGS = {"hyperparameters": {"n_epochs": 6}, "seed": 7}


class Client:
    """Plain HTTP with the admin key, as curl would send it."""

    def __init__(self, server, key=KEY):
        self.base = server.base_url
        self.key = key

    def call(self, method, path, body=None, headers=None, raw=None, timeout=120):
        h = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                payload = r.read()
                return r.status, (json.loads(payload) if r.headers.get("Content-Type", "").startswith("application/json") else payload)
        except urllib.error.HTTPError as e:
            payload = e.read()
            try:
                return e.code, json.loads(payload)
            except ValueError:
                return e.code, payload

    def upload(self, name, content, purpose="fine-tune"):
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n{purpose}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.call("POST", "/v1/files", raw=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def chat(self, model, question, max_tokens=48):
        status, body = self.call("POST", "/v1/chat/completions", {
            "model": model, "messages": [{"role": "user", "content": question}], "temperature": 0, "max_tokens": max_tokens})
        expect(status == 200, f"chat with {model}: {status} {body}")
        return body["model"], body["choices"][0]["message"]["content"]

    def create_job(self, model, file_id, suffix, **extra):
        status, job = self.call("POST", "/v1/fine_tuning/jobs", {"model": model, "training_file": file_id, "suffix": suffix, **JOB_SETTINGS, **extra})
        expect(status == 200, f"create job: {status} {job}")
        return job

    def wait(self, job_id, timeout=900):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, job = self.call("GET", f"/v1/fine_tuning/jobs/{job_id}")
            expect(status == 200, f"job {job_id}: {status} {job}")
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return job
            time.sleep(0.5)
        raise CheckFailed(f"job {job_id} did not finish in {timeout} s")

    def stream(self, job_id):
        """The job's SSE stream, read to its end: [(event, data)]."""
        request = urllib.request.Request(f"{self.base}/admin/jobs/{job_id}/stream", headers={"Authorization": f"Bearer {self.key}"})
        events, kind = [], None
        with urllib.request.urlopen(request, timeout=900) as r:
            expect(r.headers.get("Content-Type") == "text/event-stream", f"stream content type {r.headers.get('Content-Type')}")
            for line in r:
                line = line.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line[6:])))
        return events


def recall(client, model, facts):
    """How many of `facts` the model's greedy answer contains."""
    hits = 0
    for question, fact in facts:
        _, answer = client.chat(model, question)
        hits += fact.lower() in answer.lower()
    return hits


def adapter_bytes(data_dir, job_id):
    return (Path(data_dir) / "jobs" / job_id / "adapter_model.safetensors").read_bytes()


def check_store(data_dir):
    """integrity_check, foreign keys, no orphan blobs and every version's files present."""
    db = sqlite3.connect(f"file:{Path(data_dir) / 'lorekeeper.sqlite'}?mode=ro", uri=True)
    try:
        expect(db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], "integrity_check failed")
        expect(db.execute("PRAGMA foreign_key_check").fetchall() == [], "foreign key violations")
        files = {r[0] for r in db.execute("SELECT id FROM files")}
        jobs = {r[0] for r in db.execute("SELECT id FROM jobs")}
        on_disk = {p.name.split(".")[0] for p in (Path(data_dir) / "files").iterdir()}
        expect(on_disk == files, f"files on disk {sorted(on_disk)} != rows {sorted(files)}")
        folders = {p.name for p in (Path(data_dir) / "jobs").iterdir()}
        expect(folders <= jobs, f"job folders without a job: {sorted(folders - jobs)}")
        for adapter, number, path in db.execute("SELECT adapter, number, path FROM adapter_versions"):
            expect((Path(path) / "adapter_model.safetensors").exists() or Path(path).is_file(), f"{adapter}@{number}: {path} is missing")
        return {r[0]: r[1] for r in db.execute("SELECT name, active_version FROM adapters")}
    finally:
        db.close()


def kill9(server):
    """SIGKILL, as a crash or an OOM kill would end it: no shutdown code runs."""
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    server.process = None


def start(binary, model, data_dir, *extra):
    server = LorekeeperServer(binary, model, ctx=1024, parallel=2, data_dir=str(data_dir),
                              extra_args=["--admin-key", KEY, "--max-upload-mb", "1", *extra])
    server.start()
    return server


# ---------------------------------------------------------------- checks

class State:
    """What the checks hand on to each other."""
    reference = None  # (data dir, job id) of the uninterrupted v1 run


def check_whole_loop_over_http(binary, model, workdir):
    data = workdir / "loop"
    server = start(binary, model, data)
    client = Client(server)
    base = server.model_id
    try:
        expect(recall(client, base, QUILL + BRASS) <= 1, "the base model already knows the facts")
        status, f1 = client.upload("quillfeather-qa.jsonl", (FIXTURES / "quillfeather-qa.jsonl").read_bytes())
        expect(status == 200 and f1["examples"] == 20 and f1["sha256"] == hashlib.sha256((FIXTURES / "quillfeather-qa.jsonl").read_bytes()).hexdigest(),
               f"upload: {status} {f1}")
        # Another client chats the whole time the job runs; its answers must keep coming.
        stop, chats, failures = threading.Event(), [], []

        def chatter():
            while not stop.is_set():
                try:
                    chats.append(client.chat(base, "Name a colour.", max_tokens=8))
                except Exception as e:  # noqa: BLE001
                    failures.append(e)
                time.sleep(0.3)
        t = threading.Thread(target=chatter, daemon=True)
        t.start()
        job = client.create_job(base, f1["id"], "quill")
        events = client.stream(job["id"])
        stop.set()
        t.join()
        expect(not failures and len(chats) >= 3, f"chat during the job: {len(chats)} answers, failures {failures[:2]}")
        kinds = [k for k, _ in events]
        progress = [d for k, d in events if k == "progress"]
        expect(len(progress) >= 30 and progress[-1]["step"] == progress[-1]["total_steps"], f"progress events: {len(progress)}")
        expect(all(k in progress[0] for k in ("step", "total_steps", "loss", "learning_rate", "tokens_per_second", "eta_seconds")), f"progress fields {progress[0]}")
        expect(progress[-1]["loss"] < progress[0]["loss"], "the loss did not fall")
        expect(kinds[-1] == "status" and events[-1][1]["status"] == "succeeded" and events[-1][1]["fine_tuned_model"] == "quill@1", f"last event {events[-1]}")
        job = client.wait(job["id"])
        State.reference = (data, job["id"])
        status, models = client.call("GET", "/v1/models")
        ids = {m["id"] for m in models["data"]}
        expect({"quill", "quill@1"} <= ids, f"models: {sorted(ids)}")
        served, _ = client.chat("quill", QUILL[0][0])
        expect(served == "quill@1", f"'quill' served by {served}")
        v1_quill = recall(client, "quill", QUILL)
        expect(v1_quill >= 3, f"quill@1 knows {v1_quill}/4 of its facts")

        status, f2 = client.upload("brassmoor-qa.jsonl", (FIXTURES / "brassmoor-qa.jsonl").read_bytes())
        expect(status == 200, f"upload 2: {status} {f2}")
        job2 = client.wait(client.create_job("quill", f2["id"], "quill")["id"])
        expect(job2["status"] == "succeeded" and job2["fine_tuned_model"] == "quill@2", f"job 2: {job2}")
        status, adapter = client.call("GET", "/admin/adapters/quill")
        expect(adapter["active_version"] == 2 and [v["parent_version"] for v in adapter["versions"]] == [None, 1], f"adapter: {adapter}")
        expect(recall(client, "quill", QUILL) >= 3 and recall(client, "quill", BRASS) >= 3, "quill@2 does not know both files")
        expect(recall(client, "quill@1", BRASS) <= 1, "quill@1 knows the second file")

        status, adapter = client.call("POST", "/admin/adapters/quill/rollback")
        expect(status == 200 and adapter["active_version"] == 1, f"rollback: {status} {adapter}")
        served, _ = client.chat("quill", BRASS[0][0])
        expect(served == "quill@1" and recall(client, "quill", BRASS) <= 1, "after the rollback 'quill' still answers as v2")
        before = client.call("GET", "/admin/adapters/quill")[1]
    finally:
        server.stop()
    server = start(binary, model, data)
    try:
        client = Client(server)
        after = client.call("GET", "/admin/adapters/quill")[1]
        expect(after == before, "the adapter changed across a restart")
        expect(len(client.call("GET", "/v1/files")[1]["data"]) == 2, "files lost across a restart")
        served, _ = client.chat("quill", QUILL[0][0])
        expect(served == "quill@1", f"after the restart 'quill' is {served}")
        expect(check_store(data) == {"quill": 1}, "store check")
    finally:
        server.stop()


def check_official_openai_client(binary, model, workdir):
    server = start(binary, model, workdir / "openai")
    try:
        client = openai.OpenAI(base_url=server.base_url + "/v1", api_key=KEY, max_retries=0, timeout=120)
        with open(FIXTURES / "quillfeather-qa.jsonl", "rb") as f:
            uploaded = client.files.create(file=f, purpose="fine-tune")
        expect(uploaded.id.startswith("file-") and uploaded.bytes > 0, f"files.create: {uploaded}")
        expect(client.files.retrieve(uploaded.id).filename == "quillfeather-qa.jsonl", "files.retrieve")
        expect(client.files.content(uploaded.id).read() == (FIXTURES / "quillfeather-qa.jsonl").read_bytes(), "files.content")
        job = client.fine_tuning.jobs.create(model=server.model_id, training_file=uploaded.id, suffix="oai",
                                             hyperparameters={"n_epochs": 6}, seed=7)
        expect(job.status in ("validating_files", "queued", "running"), f"jobs.create: {job.status}")
        expect(any(j.id == job.id for j in client.fine_tuning.jobs.list(limit=5)), "jobs.list")
        while (job := client.fine_tuning.jobs.retrieve(job.id)).status not in ("succeeded", "failed", "cancelled"):
            time.sleep(0.5)
        expect(job.status == "succeeded" and job.fine_tuned_model == "oai@1", f"job: {job.status} {job.error}")
        events = list(client.fine_tuning.jobs.list_events(job.id, limit=100))
        metrics = [e for e in events if e.type == "metrics"]
        expect(metrics and "train_loss" in metrics[0].data, f"events: {events[:2]}")
        checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
        expect(checkpoints and checkpoints[0].fine_tuned_model_checkpoint == "oai@1", f"checkpoints: {checkpoints[:1]}")
        answer = client.chat.completions.create(model="oai", messages=[{"role": "user", "content": QUILL[0][0]}], temperature=0, max_tokens=40)
        expect(answer.model == "oai@1" and "Achterberg" in answer.choices[0].message.content, f"chat: {answer.model} {answer.choices[0].message.content!r}")
        # A second job, cancelled while it runs: it stops within a step or two of the cancel, not at its end.
        # Counted in steps, not seconds, so that a loaded machine cannot fail it.
        job2 = client.fine_tuning.jobs.create(model="oai", training_file=uploaded.id, hyperparameters={"n_epochs": 50}, seed=7)
        def last_step():
            """The last step a metrics event reports, and the steps in all (the job's own progress is saved every few seconds)."""
            steps = [e.data for e in client.fine_tuning.jobs.list_events(job2.id, limit=100) if e.type == "metrics"]
            last = max(steps, key=lambda d: d["step"], default={"step": 0, "total_steps": 0})
            return last["step"], last["total_steps"]
        # Cancelled once it trains: before its first step it is still preparing.
        deadline = time.monotonic() + 600
        while (progress := last_step())[0] < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        before, total = progress
        client.fine_tuning.jobs.cancel(job2.id)
        while (job2 := client.fine_tuning.jobs.retrieve(job2.id)).status == "running":
            time.sleep(0.2)
        after = last_step()[0]
        expect(job2.status == "cancelled" and after <= before + 2 < total, f"cancel: {job2.status} at step {after}, cancelled after step {before} of {total}")
        try:
            client.fine_tuning.jobs.cancel(job2.id)
            raise CheckFailed("cancelling a cancelled job succeeded")
        except openai.BadRequestError:
            pass
        expect("oai@2" not in {m.id for m in client.models.list()}, "a cancelled job made a version")
    finally:
        server.stop()


def check_kill_during_job(binary, model, workdir):
    expect(State.reference is not None, "needs the uninterrupted run of the whole-loop check")
    data = workdir / "kill-job"
    server = start(binary, model, data)
    client = Client(server)
    _, f1 = client.upload("quillfeather-qa.jsonl", (FIXTURES / "quillfeather-qa.jsonl").read_bytes())
    job = client.create_job(server.model_id, f1["id"], "quill")
    deadline = time.time() + 600
    while client.call("GET", f"/v1/fine_tuning/jobs/{job['id']}")[1]["progress"]["step"] < 14 and time.time() < deadline:
        time.sleep(0.2)
    kill9(server)
    server = start(binary, model, data)
    try:
        client = Client(server)
        done = client.wait(job["id"])
        expect(done["status"] == "succeeded" and done["fine_tuned_model"] == "quill@1", f"resumed job: {done['status']} {done['error']}")
        status, events = client.call("GET", f"/v1/fine_tuning/jobs/{job['id']}/events?limit=100")
        expect(any("Resuming" in e["message"] for e in events["data"]), "no resume event")
        ref_dir, ref_job = State.reference
        expect(adapter_bytes(data, job["id"]) == adapter_bytes(ref_dir, ref_job), "the resumed job's adapter differs from the uninterrupted run's")
    finally:
        server.stop()
    expect(check_store(data) == {"quill": 1}, "store after the killed job")


def check_kill_during_upload_and_after_activation(binary, model, workdir):
    data = workdir / "kill-upload"
    server = start(binary, model, data)
    client = Client(server)
    _, f1 = client.upload("quillfeather-qa.jsonl", (FIXTURES / "quillfeather-qa.jsonl").read_bytes())
    for _ in range(2):
        client.wait(client.create_job(server.model_id, f1["id"], "kb", hyperparameters={"n_epochs": 1}, seed=7)["id"])
    expect(client.call("GET", "/admin/adapters/kb")[1]["active_version"] == 2, "two versions")
    # Half an upload: headers and part of the body, then the server dies.
    s = socket.create_connection((server.host, server.port))
    boundary = "b" * 16
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n\r\n").encode()
    s.sendall((f"POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
               f"Content-Length: {len(head) + 500000}\r\n\r\n").encode() + head + b"word " * 40000)
    time.sleep(0.5)
    partial = [p for p in (data / "files").iterdir() if p.name.startswith(".upload-")]
    expect(partial, "the upload was not being streamed to disk")
    status, adapter = client.call("POST", "/admin/adapters/kb/activate", {"version": 1})
    expect(status == 200 and adapter["active_version"] == 1, f"activate: {status} {adapter}")
    kill9(server)
    s.close()
    server = start(binary, model, data)
    try:
        client = Client(server)
        expect(len(client.call("GET", "/v1/files")[1]["data"]) == 1, "the interrupted upload left a row")
        adapter = client.call("GET", "/admin/adapters/kb")[1]
        expect(adapter["active_version"] == 1 and [v["version"] for v in adapter["versions"]] == [1, 2], f"after the kill: {adapter}")
        expect(client.chat("kb", "Hello")[0] == "kb@1", "'kb' is not served by the activated version")
    finally:
        server.stop()
    expect(check_store(data) == {"kb": 1}, "store after the kills")


def check_bad_input(binary, model, workdir):
    data = workdir / "bad"
    server = start(binary, model, data)
    try:
        client, anon, wrong = Client(server), Client(server, key=None), Client(server, key="nope")
        _, good = client.upload("facts.jsonl", (FIXTURES / "quillfeather-qa.jsonl").read_bytes())
        job = client.wait(client.create_job(server.model_id, good["id"], "kb", hyperparameters={"n_epochs": 1})["id"])
        # Another base model's adapter, as a second server on another model would have registered it.
        db = sqlite3.connect(data / "lorekeeper.sqlite")
        with db:
            db.execute("INSERT INTO adapters (name, base_model, base_model_sha256, created_at) VALUES ('alien', 'Other-7B', 'ff', 1)")
            db.execute("INSERT INTO adapter_versions (adapter, number, training_files, method, path, sha256, created_at) "
                       "VALUES ('alien', 1, '[]', 'lora', ?, 'x', 1)", (str(data / "jobs" / job["id"]),))
            db.execute("UPDATE adapters SET active_version = 1, next_version = 2 WHERE name = 'alien'")
        db.close()
        big = b"The quick brown fox. " * 60000
        cases = [
            ("no admin key", anon.call("GET", "/admin/adapters"), 401, None),
            ("wrong admin key", wrong.call("GET", "/v1/files"), 401, None),
            ("wrong key on jobs", wrong.call("POST", "/v1/fine_tuning/jobs", {}), 401, None),
            ("unknown file", client.call("GET", "/v1/files/file-doesnotexist000000000000"), 404, None),
            ("unknown job", client.call("GET", "/v1/fine_tuning/jobs/ftjob-nope"), 404, None),
            ("unknown adapter", client.call("GET", "/admin/adapters/nope"), 404, None),
            ("unknown version", client.call("DELETE", "/admin/adapters/kb/versions/9"), 404, None),
            ("activate unknown version", client.call("POST", "/admin/adapters/kb/activate", {"version": 9}), 404, None),
            ("job on unknown file", client.call("POST", "/v1/fine_tuning/jobs", {"model": server.model_id, "training_file": "file-x", "suffix": "a"}), 404, "training_file"),
            ("job on unknown model", client.call("POST", "/v1/fine_tuning/jobs", {"model": "nope@3", "training_file": good["id"]}), 404, "model"),
            ("another base model", client.call("POST", "/v1/fine_tuning/jobs", {"model": "alien", "training_file": good["id"]}), 400, "model"),
            ("invalid suffix", client.call("POST", "/v1/fine_tuning/jobs", {"model": server.model_id, "training_file": good["id"], "suffix": "../x"}), 400, "suffix"),
            ("suffix too long", client.call("POST", "/v1/fine_tuning/jobs", {"model": server.model_id, "training_file": good["id"], "suffix": "a" * 65}), 400, "suffix"),
            ("bad hyperparameter", client.call("POST", "/v1/fine_tuning/jobs", {"model": server.model_id, "training_file": good["id"], "suffix": "b", "hyperparameters": {"n_epochs": 0}}), 400, "hyperparameters.n_epochs"),
            ("other rank than the parent", client.call("POST", "/v1/fine_tuning/jobs", {"model": "kb", "training_file": good["id"], "lora": {"rank": 4}}), 400, "lora.rank"),
            ("unknown method", client.call("POST", "/v1/fine_tuning/jobs", {"model": server.model_id, "training_file": good["id"], "suffix": "m", "method": "adapters"}), 400, "method"),
            ("LoRA shape for prompt tuning", client.call("POST", "/v1/fine_tuning/jobs", {"model": server.model_id, "training_file": good["id"], "suffix": "m", "method": "prompt", "lora": {"rank": 4}}), 400, "lora"),
            ("too many virtual tokens", client.call("POST", "/v1/fine_tuning/jobs", {"model": server.model_id, "training_file": good["id"], "suffix": "m", "method": "prefix", "virtual_tokens": 9999}), 400, "virtual_tokens"),
            ("another method than the parent", client.call("POST", "/v1/fine_tuning/jobs", {"model": "kb", "training_file": good["id"], "method": "prefix"}), 400, "method"),
            ("full fine-tuning is the CLI's", client.call("POST", "/v1/fine_tuning/jobs", {"model": server.model_id, "training_file": good["id"], "suffix": "m", "method": "full"}), 400, "method"),
            ("empty upload", client.upload("empty.txt", b""), 400, "file"),
            ("blank upload", client.upload("blank.md", b"  \n\n"), 400, "file"),
            ("binary upload", client.upload("blob.txt", bytes(range(256)) * 4), 400, "file"),
            ("NUL bytes", client.upload("nul.txt", b"abc\x00def"), 400, "file"),
            ("oversize upload", client.upload("big.txt", big), 413, None),
            ("malformed JSONL", client.upload("bad.jsonl", b'{"prompt": "a", "completion": "b"}\n{"prompt": \n'), 400, "file"),
            ("unknown JSONL shape", client.upload("odd.jsonl", b'{"prompt": "a", "completion": "b"}\n{"question": "x"}\n'), 400, "file"),
            ("path in the filename", client.upload("../../etc/passwd.txt", b"hello"), 400, "file"),
            ("folder in the filename", client.upload("a/b.txt", b"hello"), 400, "file"),
            ("unsupported type", client.upload("facts.pdf", b"hello"), 400, "file"),
            ("other purpose", client.upload("facts.txt", b"hello", purpose="assistants"), 400, "purpose"),
            ("not multipart", client.call("POST", "/v1/files", {"file": "x"}), 400, None),
            ("delete the active version", client.call("DELETE", "/admin/adapters/kb/versions/1"), 409, None),
            ("rollback with no history", client.call("POST", "/admin/adapters/kb/rollback"), 409, None),
            ("cancel a finished job", client.call("POST", f"/v1/fine_tuning/jobs/{job['id']}/cancel"), 400, None),
            ("bad page size", client.call("GET", "/v1/fine_tuning/jobs?limit=0"), 400, "limit"),
        ]
        failed = []
        for name, (status, body), expected, param in cases:
            error = body.get("error") if isinstance(body, dict) else None
            ok = status == expected and isinstance(error, dict) and isinstance(error.get("message"), str) and error["message"] and "type" in error
            if param is not None:
                ok = ok and error.get("param") == param
            if not ok:
                failed.append(f"{name}: expected {expected} (param {param}), got {status} {str(body)[:200]}")
        status, body = client.upload("bad.jsonl", b'{"prompt": "a", "completion": "b"}\n{"prompt": \n')
        expect("line 2" in body["error"]["message"], f"the JSONL error does not name line 2: {body['error']['message']}")
        expect("/files/" not in body["error"]["message"], f"the error shows a server path: {body['error']['message']}")
        status, body = client.call("POST", "/v1/fine_tuning/jobs", {"model": server.model_id, "training_file": good["id"], "suffix": "m", "method": "full"})
        expect("lorekeeper train --method full" in body["error"]["message"], f"the full fine-tuning refusal does not point to the CLI: {body['error']['message']}")
        expect(not failed, "\n    ".join([""] + failed))
        expect(len(client.call("GET", "/v1/files")[1]["data"]) == 1, "a refused upload left a row")
        expect(sorted(p.name for p in (data / "files").iterdir()) == [good["id"] + ".jsonl"], "a refused upload left a file")
        status, deleted = client.call("DELETE", f"/v1/files/{good['id']}")
        expect(status == 200 and deleted["deleted"], f"delete file: {status} {deleted}")
        expect(not (data / "files" / (good["id"] + ".jsonl")).exists(), "the deleted file's bytes are still there")
    finally:
        server.stop()


def check_prompt_and_prefix_tuning_jobs(binary, model, workdir):
    """A prefix-tuning and a prompt-tuning job over HTTP: each version records its method, and
    chats name the version that answered."""
    server = start(binary, model, workdir / "methods")
    client = Client(server)
    try:
        _, qa = client.upload("quillfeather-qa.jsonl", (FIXTURES / "quillfeather-qa.jsonl").read_bytes())
        for method in ("prefix", "prompt"):
            job = client.wait(client.create_job(server.model_id, qa["id"], f"qf-{method}", method=method, virtual_tokens=16,
                                                hyperparameters={"n_epochs": 6, "learning_rate_multiplier": 10})["id"])
            expect(job["status"] == "succeeded" and job["fine_tuned_model"] == f"qf-{method}@1", f"{method} job: {job}")
            status, adapter = client.call("GET", f"/admin/adapters/qf-{method}")
            expect(status == 200 and adapter["versions"][0]["method"] == method, f"{method} version: {adapter}")
            served, _ = client.chat(f"qf-{method}", QUILL[0][0], max_tokens=8)
            expect(served == f"qf-{method}@1", f"served {served}")
    finally:
        server.stop()


def check_generated_admin_key(binary, model, workdir):
    data = workdir / "genkey"
    server = LorekeeperServer(binary, model, ctx=256, parallel=1, data_dir=str(data))
    server.start()
    try:
        key_file = data / "admin-key"
        expect(key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600, "no private admin-key file")
        key = key_file.read_text().strip()
        expect(Client(server, key=None).call("GET", "/admin/adapters")[0] == 401, "admin routes open without a key")
        expect(Client(server, key=key).call("GET", "/admin/adapters")[0] == 200, "the saved key is refused")
    finally:
        server.stop()


CHECKS = [check_whole_loop_over_http, check_official_openai_client, check_kill_during_job,
          check_kill_during_upload_and_after_activation, check_bad_input, check_prompt_and_prefix_tuning_jobs, check_generated_admin_key]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=default_binary())
    parser.add_argument("--model", default=default_model())
    parser.add_argument("--filter", default="")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    workdir = Path(tempfile.mkdtemp(prefix="lorekeeper-loop-"))
    passed = failed = 0
    for check in CHECKS:
        if args.filter not in check.__name__:
            continue
        start_time = time.time()
        try:
            check(args.binary, args.model, workdir)
            passed += 1
            print(f"ok   {check.__name__} ({time.time() - start_time:.0f} s)", flush=True)
        except Exception as e:  # noqa: BLE001
            failed += 1
            detail = str(e) if isinstance(e, CheckFailed) else traceback.format_exc()
            print(f"FAIL {check.__name__}: {detail}", flush=True)
    # Each run leaves adapters and servers' data worth hundreds of megabytes: kept only to debug a failure.
    if failed:
        print(f"work files kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
