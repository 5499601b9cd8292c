"""Starting, waiting for and stopping a `lorekeeper serve` process, for the Python clients.

A module, not a script: Tests/Python/test_openai_client.py, bench/load.py and bench/prefix_reuse.py
import it (they put bench/ on sys.path). Standard library only, so that it works before the
`openai` package is installed.

    with LorekeeperServer(ctx=1024, api_key="k") as server:
        client = OpenAI(base_url=server.api_url, api_key="k")

The server gets a free loopback port, its own temporary --data-dir and a log file; it is stopped
(SIGTERM, then SIGKILL) when the `with` block ends, however it ends, and on Linux also when this
Python process dies, since the child is asked to get SIGTERM when its parent goes away.
"""
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_binary():
    """$LOREKEEPER_BIN, else the release build under the repository root."""
    return Path(os.environ.get("LOREKEEPER_BIN") or REPO_ROOT / ".build" / "release" / "lorekeeper")


def default_model():
    """$LOREKEEPER_MODEL, else the default model under the repository's models/."""
    return Path(os.environ.get("LOREKEEPER_MODEL") or REPO_ROOT / "models" / DEFAULT_MODEL_NAME)


def model_id(model_path):
    """The id the server gives a model: its file or folder name without `.gguf`."""
    name = Path(model_path).name
    return name[: -len(".gguf")] if name.endswith(".gguf") else name


class ServerError(RuntimeError):
    pass


def free_port(host="127.0.0.1"):
    """A port that nothing listens on right now (the caller binds it soon after; see the retry in start)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def health(base_url, timeout=2.0):
    """(HTTP status, decoded JSON body or raw text) of GET /health; (None, reason) if nothing answers."""
    try:
        with urllib.request.urlopen(base_url + "/health", timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
        return None, str(e)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def wait_until_ready(base_url, timeout, process=None, poll=0.1):
    """Polls /health until it answers 200 {"status":"ok"}. 503 (loading) and refused connections mean
    "not yet"; any other answer, `process` exiting, or `timeout` seconds passing raise ServerError."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        if process is not None and process.poll() is not None:
            raise ServerError(f"the server exited with status {process.returncode} before it was ready")
        status, body = health(base_url)
        if status == 200 and isinstance(body, dict) and body.get("status") == "ok":
            return
        if status is not None and status != 503:
            raise ServerError(f"GET {base_url}/health answered {status}: {body}")
        last = (status, body)
        if time.monotonic() > deadline:
            raise ServerError(f"{base_url} not ready after {timeout:.0f} s (last /health: {last})")
        time.sleep(poll)


def _die_with_parent():
    # Runs in the child between fork and exec: PR_SET_PDEATHSIG (1) makes the kernel send SIGTERM
    # to the server when the process that started it dies, even by SIGKILL.
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class LorekeeperServer:
    """One `lorekeeper serve` child process. Use as a context manager, or call start() and stop()."""

    def __init__(self, binary=None, model=None, *, host="127.0.0.1", port=0, parallel=None, ctx=None,
                 api_key=None, data_dir=None, extra_args=(), startup_timeout=180.0, stop_timeout=15.0):
        self.binary = Path(binary or default_binary())
        self.model = Path(model or default_model())
        self.host = host
        self.port = port
        self.parallel = parallel
        self.ctx = ctx
        self.api_key = api_key
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.process = None
        self.workdir = None
        self.log_path = None
        self._log = None

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self):
        return self.base_url + "/v1"

    @property
    def model_id(self):
        return model_id(self.model)

    def command(self):
        cmd = [str(self.binary), "serve", "--model", str(self.model), "--host", self.host, "--port", str(self.port)]
        for flag, value in (("--parallel", self.parallel), ("--ctx", self.ctx), ("--api-key", self.api_key),
                            ("--data-dir", self.data_dir)):
            if value is not None:
                cmd += [flag, str(value)]
        return cmd + self.extra_args

    def start(self):
        if not (self.binary.is_file() and os.access(self.binary, os.X_OK)):
            raise ServerError(f"no lorekeeper executable at {self.binary}: build it with `swift build -c release` "
                              "or set LOREKEEPER_BIN")
        if not self.model.exists():
            raise ServerError(f"no model at {self.model}: run scripts/fetch-model.sh or set LOREKEEPER_MODEL")
        self.workdir = Path(tempfile.mkdtemp(prefix="lorekeeper-serve-"))
        if self.data_dir is None:
            self.data_dir = self.workdir / "data"
        self.log_path = self.workdir / "server.log"
        self._log = open(self.log_path, "ab")
        choose_port = self.port == 0
        for attempt in range(3):
            if choose_port:
                self.port = free_port(self.host)
            self._log.write(f"### {' '.join(self.command())}\n".encode())
            self._log.flush()
            self.process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
            try:
                wait_until_ready(self.base_url, self.startup_timeout, self.process)
                return self
            except ServerError as e:
                # Another process may have taken the port between free_port() and the server's bind.
                if choose_port and attempt < 2 and "already in use" in self.log_tail().lower():
                    self._terminate()
                    continue
                self.stop(keep_log=True)
                raise ServerError(f"{e}\n--- {self.log_path} (last lines) ---\n{self.log_tail()}") from None

    def log_tail(self, lines=40):
        if self.log_path is None or not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as f:
            return b"".join(f.readlines()[-lines:]).decode("utf-8", "replace")

    def _terminate(self):
        p, self.process = self.process, None
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def stop(self, keep_log=False):
        """Stops the server (gracefully if it can within stop_timeout) and removes its temporary
        directory, unless keep_log (then the log and data stay for a post-mortem)."""
        self._terminate()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.workdir is not None and not keep_log:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.stop(keep_log=exc_type is not None)


def exit_cleanly_on_sigterm():
    """Turns SIGTERM into SystemExit so that `with` blocks (and so the server's stop) run."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def add_server_arguments(parser):
    """The options of the bench scripts that choose between a running server and one they start."""
    g = parser.add_argument_group("server")
    g.add_argument("--base-url", default=os.environ.get("LOREKEEPER_URL", "http://127.0.0.1:8080"),
                   help="a running server (with or without /v1; default $LOREKEEPER_URL or %(default)s)")
    g.add_argument("--api-key", default=os.environ.get("LOREKEEPER_API_KEY"),
                   help="its API key, if it has one (default $LOREKEEPER_API_KEY)")
    g.add_argument("--start-server", action="store_true",
                   help="start `lorekeeper serve` on a free loopback port instead of using --base-url")
    g.add_argument("--binary", type=Path, default=default_binary(), help="with --start-server (default %(default)s)")
    g.add_argument("--model-path", type=Path, default=default_model(), help="with --start-server (default %(default)s)")
    g.add_argument("--parallel", type=int, help="with --start-server: its --parallel")
    g.add_argument("--ctx", type=int, help="with --start-server: its --ctx")


@contextlib.contextmanager
def server_from_args(args, startup_timeout=180.0):
    """Yields (API base URL ending in /v1, API key) of the server chosen by add_server_arguments'
    options, after /health says it is ready; a started server is stopped on exit."""
    if args.start_server:
        with LorekeeperServer(args.binary, args.model_path, parallel=args.parallel, ctx=args.ctx,
                              api_key=args.api_key, startup_timeout=startup_timeout) as server:
            print(f"started {' '.join(server.command())} (log {server.log_path})", file=sys.stderr)
            yield server.api_url, args.api_key
        return
    base = args.base_url.rstrip("/")
    base = base[: -len("/v1")] if base.endswith("/v1") else base
    wait_until_ready(base, startup_timeout)
    yield base + "/v1", args.api_key
