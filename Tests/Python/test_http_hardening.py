#!/usr/bin/env python3
"""usage: Tests/Python/test_http_hardening.py [--binary PATH] [--model PATH] [--filter TEXT] [--fuzz N] [--seed S]

The HTTP layer of `lorekeeper serve` as a careless or hostile client meets it, over raw sockets:
pipelined requests answered in order, keep-alive, a client leaving mid-generation freeing its slot
within a second, malformed and oversize chunked bodies, slow and idle sockets closed after their
timeouts, every case of issue 13's defect table with its status and OpenAI error JSON, and a seeded
fuzz of request bodies that must never get a 5xx. Starts its own server (--parallel 2, --ctx 256,
--max-body-mb 1, --header-timeout 1, --idle-timeout 2, --max-queue 0, an API key), prints one line
per check and closes with "N passed, M failed". Standard library only.
"""
import argparse
import json
import random
import re
import secrets
import select
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from lorekeeper_server import LorekeeperServer, ServerError, default_binary, default_model, exit_cleanly_on_sigterm  # noqa: E402
from checks import CheckFailed, Checks, expect  # noqa: E402

HEADER_TIMEOUT = 1.0
IDLE_TIMEOUT = 2.0
MAX_BODY = 1 << 20
STORY = "Once upon a time, in a small village by the sea,"
INTERNALS = re.compile(r"NIO|Swift\.|DecodingError|Array<|Dictionary<|Optional\(|HTTPParserError|TooManyBytes")


check = Checks()


# MARK: raw HTTP/1.1

class Connection:
    """One loopback socket: requests written as given, responses read one at a time."""

    def __init__(self, port, timeout=60.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buffer += chunk

    def _line(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buffer) < n:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def response(self, head_only=False):
        """(status, headers with lower-case names, body bytes) of the next response."""
        status = int(self._line().split(b" ")[1])
        headers = {}
        while line := self._line():
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if head_only:
            return status, headers, b""
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int(self._line().split(b";")[0], 16):
                body += self._exactly(size)
                self._exactly(2)
            self._line()
            return status, headers, body
        return status, headers, self._exactly(int(headers.get("content-length", "0")))

    def closed_within(self, seconds):
        """True if the server closes the connection (EOF or reset) within `seconds`; bytes it sends first are kept."""
        self.sock.settimeout(seconds)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buffer += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


class Harness:
    def __init__(self, server, api_key):
        self.server = server
        self.port = int(server.base_url.rsplit(":", 1)[1])
        self.api_key = api_key
        self.model = server.model_id

    def connect(self, timeout=60.0):
        return Connection(self.port, timeout)

    def request(self, method, path, body=None, headers=None, *, auth=True, chunked=False, raw_body=None):
        """The bytes of one request; `body` is JSON-encoded unless `raw_body` gives the bytes."""
        fields = {"Host": "127.0.0.1"}
        if auth:
            fields["Authorization"] = f"Bearer {self.api_key}"
        data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            fields["Content-Type"] = "application/json"
            if chunked:
                fields["Transfer-Encoding"] = "chunked"
            else:
                fields["Content-Length"] = str(len(data))
        fields.update(headers or {})
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v is not None) + "\r\n"
        if data is not None and chunked:
            data = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"
        return head.encode() + (data or b"")

    def exchange(self, method, path, body=None, headers=None, **kwargs):
        """One request on a new connection: (status, headers, body)."""
        c = self.connect()
        try:
            c.send(self.request(method, path, body, headers, **kwargs))
            return c.response(head_only=method == "HEAD")
        finally:
            c.close()

    def metrics(self):
        status, _, body = self.exchange("GET", "/metrics")
        expect(status == 200, f"/metrics answered {status}")
        return body.decode()

    def gauge(self, name):
        m = re.search(rf"^lorekeeper_{name} (\S+)$", self.metrics(), re.M)
        return float(m.group(1)) if m else None

    def completion(self, max_tokens, prompt=STORY):
        return {"model": self.model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stop": []}

    def chat(self, max_tokens, content="Tell me a long story about a dragon.", **extra):
        return {"model": self.model, "messages": [{"role": "user", "content": content}], "max_tokens": max_tokens, "temperature": 0, **extra}


def json_body(body):
    try:
        return json.loads(body)
    except ValueError:
        raise CheckFailed(f"body is not JSON: {body[:200]!r}") from None


def expect_error(response, status, param=None, code=None, what=""):
    """`response` is `status` with OpenAI's error JSON: exactly message, type, param and code."""
    got, headers, body = response
    expect(got == status, f"{what}: status {got}, expected {status}: {body[:300]!r}")
    expect(headers.get("content-type", "").startswith("application/json"), f"{what}: Content-Type {headers.get('content-type')!r}")
    error = json_body(body).get("error")
    expect(isinstance(error, dict) and set(error) == {"message", "type", "param", "code"}, f"{what}: error object {error!r}")
    expect(isinstance(error["message"], str) and error["message"] and isinstance(error["type"], str), f"{what}: {error!r}")
    expect(not INTERNALS.search(error["message"]), f"{what}: message shows internals: {error['message']!r}")
    if param is not None:
        expect(error["param"] == param, f"{what}: param {error['param']!r}, expected {param!r} ({error['message']})")
    if code is not None:
        expect(error["code"] == code, f"{what}: code {error['code']!r}, expected {code!r} ({error['message']})")
    return error


# MARK: pipelining and keep-alive

@check("pipelined completions, chats and GETs are answered in order, and the connection stays open")
def pipelined(h):
    plan = [("POST", "/v1/completions", h.completion(3)), ("POST", "/v1/completions", h.completion(5)), ("GET", "/health", None),
            ("POST", "/v1/chat/completions", h.chat(4)), ("GET", "/v1/models", None), ("POST", "/v1/completions", h.completion(7)),
            ("POST", "/v1/chat/completions", h.chat(2))]
    c = h.connect()
    c.send(b"".join(h.request(m, p, b) for m, p, b in plan))
    for i, (method, path, body) in enumerate(plan):
        status, headers, raw = c.response()
        expect(status == 200, f"answer {i} ({path}): status {status}: {raw[:200]!r}")
        expect(headers.get("connection", "").lower() != "close", f"answer {i} says Connection: close")
        data = json_body(raw)
        if path == "/health":
            expect(data == {"status": "ok"}, f"answer {i} should be /health's: {data}")
        elif path == "/v1/models":
            expect(data.get("object") == "list", f"answer {i} should be /v1/models': {data}")
        else:
            expected_object = "text_completion" if path == "/v1/completions" else "chat.completion"
            expect(data.get("object") == expected_object, f"answer {i} should be a {expected_object}: {data}")
            expect(data["usage"]["completion_tokens"] == body["max_tokens"],
                   f"answer {i} has {data['usage']['completion_tokens']} tokens, request {i} asked for {body['max_tokens']}")
    c.send(h.request("GET", "/health"))
    expect(c.response()[0] == 200, "the connection answers after the pipelined batch")
    c.close()


@check("two requests on one keep-alive connection, streaming and not")
def keep_alive(h):
    c = h.connect()
    for body in (h.chat(3), h.chat(3, stream=True), h.completion(2)):
        c.send(h.request("POST", "/v1/completions" if "prompt" in body else "/v1/chat/completions", body))
        status, headers, raw = c.response()
        expect(status == 200, f"status {status}: {raw[:200]!r}")
        expect(headers.get("connection", "").lower() != "close", "Connection: close on a keep-alive request")
    expect(not c.closed_within(0.3), "the server closed the connection after answering")
    c.close()


# MARK: clients that leave

def wait_for_gauge(h, name, predicate, seconds):
    deadline = time.monotonic() + seconds
    while True:
        value = h.gauge(name)
        if value is not None and predicate(value):
            return time.monotonic()
        if time.monotonic() > deadline:
            raise CheckFailed(f"lorekeeper_{name} is {value} after {seconds} s")
        time.sleep(0.02)


@check("a client leaving mid-stream or mid-request frees its slot within a second, counted as 499 not 500")
def disconnect_frees_slot(h):
    before = h.metrics()
    for stream in (True, False):
        c = h.connect()
        c.send(h.request("POST", "/v1/chat/completions", h.chat(2000, stream=stream, temperature=0.8)))
        if stream:
            status, headers, _ = c.response(head_only=True)
            expect(status == 200, f"stream status {status}")
        wait_for_gauge(h, "active_sequences", lambda v: v >= 1, 10)
        c.sock.close()
        left = time.monotonic()
        freed = wait_for_gauge(h, "active_sequences", lambda v: v == 0, 5)
        expect(freed - left <= 1.0, f"slot freed {freed - left:.2f} s after the client left (stream={stream})")
    route = 'route="/v1/chat/completions"'
    count = lambda text, status: sum(float(v) for v in re.findall(rf'^lorekeeper_http_requests_total\{{[^}}]*{route}[^}}]*status="{status}"[^}}]*\}} (\S+)$', text, re.M))
    # A request is counted when its handler ends, which may be just after its slot is freed.
    deadline = time.monotonic() + 5
    while count(after := h.metrics(), 499) - count(before, 499) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    expect(count(after, 499) - count(before, 499) == 2, f"499s: {count(before, 499)} -> {count(after, 499)}")
    expect(count(after, 500) == 0, "a client abort was counted as 500")


@check("429 when the queue is full carries Retry-After")
def retry_after(h):
    holders = []
    try:
        for _ in range(2):
            c = h.connect()
            c.send(h.request("POST", "/v1/chat/completions", h.chat(2000, stream=True, temperature=0.8)))
            expect(c.response(head_only=True)[0] == 200, "holder stream")
            holders.append(c)
        wait_for_gauge(h, "active_sequences", lambda v: v >= 2, 10)
        response = h.exchange("POST", "/v1/chat/completions", h.chat(2))
        expect_error(response, 429, code="queue_full", what="full queue")
        expect(response[1].get("retry-after", "").isdigit(), f"Retry-After {response[1].get('retry-after')!r}")
    finally:
        for c in holders:
            c.close()
    wait_for_gauge(h, "active_sequences", lambda v: v == 0, 5)


# MARK: bodies and protocol errors

@check("a malformed chunk size is a 400 with error JSON, and the connection closes")
def malformed_chunk(h):
    c = h.connect()
    head = h.request("POST", "/v1/chat/completions", headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    c.send(head + b"zz\r\n{}\r\n0\r\n\r\n")
    expect_error(c.response(), 400, code="malformed_request", what="bad chunk size")
    expect(c.closed_within(2), "connection still open after a malformed chunked body")


@check("a chunked body over --max-body-mb is a 413 with error JSON, as with Content-Length")
def oversize_chunked(h):
    big = json.dumps(h.chat(2, content="x" * (MAX_BODY + 10))).encode()
    expect_error(h.exchange("POST", "/v1/chat/completions", raw_body=big, chunked=True), 413, code="request_too_large", what="chunked")
    expect_error(h.exchange("POST", "/v1/chat/completions", raw_body=big), 413, code="request_too_large", what="Content-Length")
    c = h.connect()
    c.send(h.request("POST", "/v1/chat/completions", raw_body=big, chunked=True))
    expect_error(c.response(), 413, what="chunked, keep-alive")
    c.send(h.request("GET", "/health"))
    expect(c.response()[0] == 200, "the connection answers after a 413")


@check("header fields sent slowly get a 408 and the connection closes after --header-timeout")
def slow_headers(h):
    c = h.connect()
    start = time.monotonic()
    request = h.request("GET", "/health")
    try:
        for byte in request[:-2]:
            c.send(bytes([byte]))
            if select.select([c.sock], [], [], 0.25)[0]:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    expect(c.closed_within(HEADER_TIMEOUT + 3), "slow socket still open")
    elapsed = time.monotonic() - start
    expect(elapsed < HEADER_TIMEOUT + 2, f"closed after {elapsed:.1f} s")
    expect(c.buffer.startswith(b"HTTP/1.1 408"), f"expected a 408 first, got {c.buffer[:80]!r}")
    expect(b'"code":"request_timeout"' in c.buffer, f"408 body {c.buffer[-200:]!r}")


@check("idle sockets, before and after a request, close after --idle-timeout")
def idle_sockets(h):
    silent = h.connect()
    start = time.monotonic()
    expect(silent.closed_within(IDLE_TIMEOUT + 2), "a silent socket is still open")
    expect(time.monotonic() - start >= IDLE_TIMEOUT - 0.5, "closed before the idle timeout")
    used = h.connect()
    used.send(h.request("GET", "/health"))
    expect(used.response()[0] == 200, "health")
    start = time.monotonic()
    expect(used.closed_within(IDLE_TIMEOUT + 2), "an idle keep-alive socket is still open")
    expect(time.monotonic() - start >= IDLE_TIMEOUT - 0.5, "closed before the idle timeout")


def raw_exchange(h, data):
    c = h.connect()
    try:
        c.send(data)
        return c.response()
    finally:
        c.close()


# MARK: the defect table

def defect_cases(h):
    """(row of issue 13's table, what, request bytes, status, param, code)."""
    chat = lambda **kw: {**h.chat(2, "Hi"), **kw}
    body = lambda text: h.request("POST", "/v1/chat/completions", raw_body=text.encode() if isinstance(text, str) else text)
    long_prompt = "many words here " * 200
    return [
        (3, "malformed chunk size", h.request("POST", "/v1/chat/completions", headers={"Content-Type": "application/json",
                                                                                        "Transfer-Encoding": "chunked"}) + b"1x\r\n{\r\n0\r\n\r\n",
         400, None, "malformed_request"),
        (3, "chunked body over --max-body-mb", h.request("POST", "/v1/completions", raw_body=b"[" + b"1," * MAX_BODY + b"1]", chunked=True),
         413, None, "request_too_large"),
        (4, "GET /v1/chat/completions", h.request("GET", "/v1/chat/completions"), 405, None, "method_not_allowed"),
        (4, "POST /v1/models", h.request("POST", "/v1/models", {}), 405, None, "method_not_allowed"),
        (4, "DELETE /v1/completions", h.request("DELETE", "/v1/completions"), 405, None, "method_not_allowed"),
        (5, "wrong key", h.request("GET", "/v1/models", headers={"Authorization": "Bearer nope"}), 401, None, "invalid_api_key"),
        (7, "invalid UTF-8 in content", body(b'{"model":"%s","messages":[{"role":"user","content":"\xff\xfe"}]}' % h.model.encode()),
         400, "messages[0].content", None),
        (7, "max_tokens 4.5", body(json.dumps(chat(max_tokens=4.5))), 400, "max_tokens", "invalid_type"),
        (7, "seed 2^70", body(json.dumps(chat(seed=2 ** 70))), 400, "seed", "invalid_type"),
        (7, "prompt too long on /v1/completions", h.request("POST", "/v1/completions", h.completion(2, long_prompt)),
         400, "prompt", "context_length_exceeded"),
        (7, "prompt too long on /v1/chat/completions", body(json.dumps(chat(messages=[{"role": "user", "content": long_prompt}]))),
         400, "messages", "context_length_exceeded"),
        (7, "trailing comma", body('{"model": "x",}'), 400, None, "invalid_json"),
        (8, "response_format nonsense", body(json.dumps(chat(response_format={"type": "nonsense"}))), 400, "response_format.type", None),
        (8, "response_format json_object", body(json.dumps(chat(response_format={"type": "json_object"}))), 400, "response_format.type", None),
        (8, "tools: \"x\"", body(json.dumps(chat(tools="x"))), 400, "tools", "invalid_type"),
        (8, "tools given", body(json.dumps(chat(tools=[{"type": "function", "function": {"name": "f"}}]))), 400, "tools", None),
        (8, "user content null", body(json.dumps(chat(messages=[{"role": "user", "content": None}]))), 400, "messages[0].content", None),
        (8, "user content missing", body(json.dumps(chat(messages=[{"role": "user"}]))), 400, "messages[0].content", None),
        (8, "text/plain body", h.request("POST", "/v1/chat/completions", chat(), headers={"Content-Type": "text/plain"}),
         415, None, "unsupported_media_type"),
        (8, "duplicate key", body('{"model": "%s", "model": "gpt-4", "messages": [{"role": "user", "content": "Hi"}]}' % h.model),
         400, "model", None),
        (10, "huge header fields", h.request("GET", "/health", headers={f"X-Pad-{i}": "y" * 1000 for i in range(100)}),
         431, None, "malformed_request"),
        (10, "huge URL", h.request("GET", "/health?" + "q" * 100_000), 414, None, "malformed_request"),
        (10, "bad Content-Length", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}", 400, None, "malformed_request"),
        (10, "HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, None, "malformed_request"),
    ]


@check("every case of the defect table gets its status and OpenAI error JSON")
def defect_table(h):
    failures = []
    for row, what, data, status, param, code in defect_cases(h):
        try:
            expect_error(raw_exchange(h, data), status, param, code, what=f"row {row}, {what}")
        except (CheckFailed, OSError, EOFError, ValueError) as e:
            failures.append(str(e) or f"row {row}, {what}: {type(e).__name__}")
    expect(not failures, "; ".join(failures))
    for what, headers in [("bearer in lower case", {"Authorization": f"bearer {h.api_key}"}),
                          ("BEARER in upper case", {"Authorization": f"BEARER {h.api_key}"})]:
        expect(h.exchange("GET", "/v1/models", headers=headers)[0] == 200, what)
    status, headers, body = h.exchange("HEAD", "/health")
    expect(status == 405 and "GET" in headers.get("allow", ""), f"HEAD /health: {status} Allow {headers.get('allow')!r}")
    status, headers, _ = h.exchange("GET", "/v1/chat/completions")
    expect(headers.get("allow") == "POST", f"GET /v1/chat/completions: Allow {headers.get('allow')!r}")


@check("metrics are labelled by route template, not by the raw path")
def metrics_labels(h):
    token = secrets.token_hex(6)
    expect(h.exchange("GET", f"/v1/nope-{token}")[0] == 404, "unknown path")
    text = h.metrics()
    expect(token not in text, "an unknown URL made its own series")
    expect(re.search(r'lorekeeper_http_requests_total\{[^}]*route="unmatched"[^}]*status="404"', text), "no unmatched 404 series")
    expect(re.search(r'lorekeeper_http_requests_total\{[^}]*route="/v1/chat/completions"', text), "no chat route series")


# MARK: fuzz

VALUES = [None, True, False, 0, -1, 1, 2 ** 31, 2 ** 63, 2 ** 70, -(2 ** 70), 0.5, 4.5, -1e308, 1e400, "", "x", "\u0000", "\ud800",
          "é" * 3, [], [1], ["a"], [[1, 2]], {}, {"type": "text"}, {"a": {"b": {"c": []}}}]


def fuzz_body(rng, h):
    """A request body near the valid ones: fields dropped, retyped or added, then sometimes its bytes mangled."""
    path = rng.choice(["/v1/chat/completions", "/v1/completions"])
    body = h.chat(1, "Hi") if path.endswith("chat/completions") else h.completion(1, "Hi")
    body.update({k: rng.choice([1, 0.5, 2, None]) for k in rng.sample(["temperature", "top_p", "n", "seed", "top_k"], rng.randint(0, 3))})
    for _ in range(rng.randint(0, 4)):
        op = rng.random()
        key = rng.choice(list(body) + ["stream", "logprobs", "top_logprobs", "stop", "logit_bias", "response_format", "tools",
                                       "echo", "suffix", "best_of", "stream_options", "max_completion_tokens", "messages", "prompt"])
        if op < 0.2:
            body.pop(key, None)
        elif op < 0.6:
            body[key] = rng.choice(VALUES)
        elif op < 0.8 and isinstance(body.get("messages"), list) and body["messages"]:
            body["messages"][0] = rng.choice([{"role": rng.choice(["user", "system", "assistant", "tool", ""]), "content": rng.choice(VALUES)},
                                              {"content": "x"}, {"role": "user", "content": [{"type": rng.choice(["text", "image_url"]),
                                                                                                "text": rng.choice(VALUES)}]}])
        else:
            body[key] = {"nested": rng.choice(VALUES)}
    data = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
    mangle = rng.random()
    if mangle < 0.15 and data:
        i = rng.randrange(len(data))
        data = data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    elif mangle < 0.25:
        data = data[:rng.randrange(len(data) + 1)]
    elif mangle < 0.3:
        data = data.replace(b"}", b",}", 1)
    elif mangle < 0.35:
        data = b"[" * rng.randint(1, 200) + data
    return path, data


@check("fuzz: mangled request bodies never get a 5xx, and the server lives on")
def fuzz(h):
    rng = random.Random(h.seed)
    c = h.connect()
    statuses = {}
    for i in range(h.fuzz):
        path, data = fuzz_body(rng, h)
        request = h.request("POST", path, raw_body=data)
        try:
            c.send(request)
            status, headers, body = c.response()
        except (EOFError, OSError):
            c.close()
            c = h.connect()
            c.send(request)
            status, headers, body = c.response()
        statuses[status] = statuses.get(status, 0) + 1
        expect(status < 500, f"input {i} (seed {h.seed}) got {status}: {data[:300]!r} -> {body[:300]!r}")
        if status >= 400:
            expect_error((status, headers, body), status, what=f"input {i} (seed {h.seed}): {data[:200]!r}")
        if headers.get("connection", "").lower() == "close":
            c.close()
            c = h.connect()
    c.close()
    expect(h.exchange("GET", "/health")[0] == 200, "server alive after the fuzz")
    print(f"      fuzz: {h.fuzz} inputs (seed {h.seed}), statuses {dict(sorted(statuses.items()))}", flush=True)



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=default_binary(), help="lorekeeper executable (default %(default)s)")
    parser.add_argument("--model", type=Path, default=default_model(), help="model file (default %(default)s)")
    parser.add_argument("--filter", default="", help="run only the checks whose name contains this text")
    parser.add_argument("--fuzz", type=int, default=2000, help="fuzz inputs (default %(default)s)")
    parser.add_argument("--seed", type=int, default=13, help="fuzz seed (default %(default)s)")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()

    api_key = "lk-test-" + secrets.token_hex(8)
    server = LorekeeperServer(args.binary, args.model, ctx=256, parallel=2, api_key=api_key,
                              extra_args=["--max-body-mb", "1", "--max-queue", "0", "--header-timeout", str(HEADER_TIMEOUT),
                                          "--idle-timeout", str(IDLE_TIMEOUT)])
    try:
        server.start()
    except ServerError as e:
        print(f"FAIL  start the server: {e}")
        print("0 passed, 1 failed")
        return 1
    print(f"ok    start the server: {' '.join(server.command())}", flush=True)
    harness = Harness(server, api_key)
    harness.fuzz, harness.seed = args.fuzz, args.seed
    failed = ["(interrupted)"]
    try:
        passed, failed, _ = check.run(harness, args.filter)
    finally:
        server.stop(keep_log=bool(failed))
        if failed:
            print(f"--- last lines of the server log {server.log_path} ---\n{server.log_tail()}---")
    print(f"{passed + 1} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
