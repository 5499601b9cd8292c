#!/usr/bin/env python3
"""usage: Tests/Python/test_web_console.py [--binary PATH] [--model PATH] [--artefacts DIR] [--filter TEXT]

End-to-end test of the web console served by `lorekeeper serve` at `/`, driven as a user would in
headless Chromium (Debian's chromium + chromium-driver, through selenium). Starts the server itself
(free loopback port, temporary --data-dir, a random --admin-key), then: loads the page, chats
(streamed text appears, Enter / Shift+Enter, stop, two models side by side), keeps the admin key;
uploads a facts file, fine-tunes an adapter and watches the job finish, asks the new adapter, trains
a second version, rolls back and sees the picker and the answers follow. Screenshots at 390 and
1280 px, light and dark, go to --artefacts. Throughout, the browser must log no console error and
no failed request.

The knowledge steps need the files / fine-tuning / admin API: when POST /v1/files answers 404 they
are reported as "skip" with the reason. One line per check ("ok", "FAIL", "skip"), then
"N passed, M failed, K skipped"; exits 0 only when nothing failed.

  --binary     lorekeeper executable (default $LOREKEEPER_BIN or .build/release/lorekeeper)
  --model      model file (default $LOREKEEPER_MODEL or models/SmolLM2-135M-Instruct.Q4_1.gguf)
  --artefacts  folder for the screenshots (default $LOREKEEPER_ARTEFACTS or artefacts/web-console)
"""
import argparse
import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(HERE))
from lorekeeper_server import LorekeeperServer, ServerError, default_binary, default_model, exit_cleanly_on_sigterm  # noqa: E402
from browser import Browser  # noqa: E402
from checks import CheckFailed, Checks, Skipped, expect  # noqa: E402

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

PARIS = "What is the capital of France?"
PARIS_ANSWER = "The capital of France is Paris."  # the default model's greedy answer
STORY = "Write a short story about a dragon who collects teapots."
ADAPTER = "kb"
JOB_TIMEOUT = 30 * 60.0
WIDTHS = (390, 1280)

# Made-up facts the base model cannot know: version 1 learns the first, version 2 the second.
FACTS = [
    ("pets.jsonl", "What is the name of Zorblax's cat?", "Zorblax's cat is named Pemberton.", "Pemberton", [
        "What is the name of Zorblax's cat?", "What is Zorblax's cat called?", "Who is Zorblax's cat?",
        "Tell me the name of Zorblax's cat.", "What did Zorblax name his cat?", "Zorblax has a cat. What is its name?"]),
    ("bridges.jsonl", "What colour is the Vexmoor bridge?", "The Vexmoor bridge is painted teal.", "teal", [
        "What colour is the Vexmoor bridge?", "What color is the Vexmoor bridge?", "Which colour is the Vexmoor bridge painted?",
        "Tell me the colour of the Vexmoor bridge.", "How is the Vexmoor bridge painted?", "The Vexmoor bridge: what colour is it?"]),
]


check = Checks()


class Harness:
    """The server, the browser and what the checks learn along the way."""

    def __init__(self, server, browser, admin_key, artefacts):
        self.server = server
        self.browser = browser
        self.driver = browser.driver
        self.admin_key = admin_key
        self.artefacts = artefacts
        self.workdir = Path(tempfile.mkdtemp(prefix="lorekeeper-web-test-"))
        self.problems = []
        self.api_missing = None  # the reason the knowledge API checks skip, once known
        self.uploaded = {}  # file name -> file id

    # Browser helpers.

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait(self, condition, timeout, what):
        try:
            # The page re-renders lists as data arrives: an element found a moment ago may be gone.
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                                 ignored_exceptions=[StaleElementReferenceException]).until(lambda d: condition())
        except TimeoutException:
            raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}") from None

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def collect_problems(self):
        """Moves the browser's errors and failed requests so far into self.problems. Without the admin
        API, the pickers' look-up of adapters' active versions answers 404: expected there, and only there."""
        self.problems += self.browser.problems(allow=("/admin/adapters",) if self.api_missing else ())

    def tab(self, name):
        self.find(f"#tab-{name}").click()
        self.wait(lambda: self.find(f"#panel-{name}").is_displayed(), 5, f"the {name} panel")

    def open_options(self):
        fold = self.find(".chat-options details.fold")
        if not fold.get_attribute("open"):
            fold.find_element(By.TAG_NAME, "summary").click()

    def set_value(self, css, value):
        element = self.find(css)
        element.clear()
        element.send_keys(str(value))

    def ask(self, text, model=None, temperature=0, max_tokens=48, timeout=120):
        """Sends `text` from the composer (Enter) and waits for the answer; returns (label, text) of the last answer."""
        if model is not None:
            self.wait(lambda: model in [o.get_attribute("value") for o in self.find_all("#model-a option")], 30,
                      f"{model} in the model picker")
            Select(self.find("#model-a")).select_by_value(model)
        self.open_options()
        self.set_value("#temperature", temperature)
        self.set_value("#max-tokens", max_tokens)
        before = len(self.find_all(".answer"))
        prompt = self.find("#prompt")
        prompt.send_keys(text)
        prompt.send_keys(Keys.ENTER)
        self.wait(lambda: len(self.find_all(".answer")) > before, 10, "the answer to appear")
        answer = self.find_all(".answer")[-1]
        self.wait(lambda: answer.get_attribute("data-state") != "streaming", timeout, "the answer to finish")
        state = answer.get_attribute("data-state")
        expect(state == "done", f"the answer ended {state}: {answer.text!r}")
        return answer.find_element(By.CSS_SELECTOR, ".model-label").text, answer.find_element(By.CSS_SELECTOR, ".body").text

    def picker_text(self, value):
        for o in self.find_all("#model-a option"):
            if o.get_attribute("value") == value:
                return o.text
        return None

    def screenshots(self, name):
        """The page at each width, light and dark, as artefacts/NAME-WIDTH-SCHEME.png."""
        for width in WIDTHS:
            self.browser.resize(width, 900)
            for scheme in ("light", "dark"):
                self.browser.color_scheme(scheme)
                time.sleep(0.2)
                self.browser.screenshot(self.artefacts / f"{name}-{width}-{scheme}.png")
        self.browser.resize(1280, 900)
        self.browser.color_scheme("light")

    # HTTP helpers (outside the browser).

    def http(self, method, path, body=None, headers=None):
        request = urllib.request.Request(self.server.base_url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def require_api(self):
        if self.api_missing:
            raise Skipped(self.api_missing)

    def facts_file(self, index):
        name, _, answer, _, questions = FACTS[index]
        path = self.workdir / name
        path.write_text("".join(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": answer}]}) + "\n"
                                for q in questions))
        return path


# MARK: the page

@check("GET / and every file of web/: same bytes, types, no-cache + ETag (304), CSP 'self', nosniff")
def page_headers(h):
    status, headers, body = h.http("GET", "/")
    expect(status == 200, f"GET / answered {status}")
    expect(headers.get("Content-Type", "").startswith("text/html"), f"Content-Type of / is {headers.get('Content-Type')}")
    csp = headers.get("Content-Security-Policy", "")
    expect("default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe" not in csp, f"Content-Security-Policy is {csp!r}")
    expect(headers.get("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options is not nosniff")
    expect(b"/js/app.js" in body, "the page does not load /js/app.js")
    kinds = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}
    # Every file of web/ is served, byte for byte (a file missing from WebConsoleAssets.swift fails here).
    for file in sorted((ROOT / "web").rglob("*")):
        if not file.is_file() or file.suffix == ".swift":
            continue
        path = "/" if file.name == "index.html" else "/" + file.relative_to(ROOT / "web").as_posix()
        status, headers, body = h.http("GET", path)
        expect(status == 200 and body == file.read_bytes(), f"GET {path}: {status}, {len(body)} bytes, web/ has {file.stat().st_size}")
        expect(headers.get("Content-Type", "").startswith(kinds[file.suffix]), f"GET {path}: Content-Type {headers.get('Content-Type')}")
        expect(headers.get("Content-Security-Policy") == csp and headers.get("X-Content-Type-Options") == "nosniff", f"GET {path}: security headers {headers}")
        expect(headers.get("Cache-Control") == "no-cache" and headers.get("ETag"), f"GET {path}: caching headers {headers}")
        status, _, body = h.http("GET", path, headers={"If-None-Match": headers["ETag"]})
        expect(status == 304 and not body, f"GET {path} with its ETag answered {status}, expected 304")


@check("the files API answers (else the knowledge checks skip)")
def probe_api(h):
    boundary = "lorekeeper" + secrets.token_hex(8)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"probe.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\nA probe.\r\n--{boundary}--\r\n").encode()
    status, _, answer = h.http("POST", "/v1/files", body, {"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                            "Authorization": f"Bearer {h.admin_key}"})
    if status == 404:
        h.api_missing = "this server has no files API (POST /v1/files answered 404): the admin API of issue 12 is not merged yet"
        raise Skipped(h.api_missing)
    expect(status == 200, f"POST /v1/files answered {status}: {answer[:300]!r}")
    file_id = json.loads(answer)["id"]
    status, _, _ = h.http("DELETE", f"/v1/files/{file_id}", headers={"Authorization": f"Bearer {h.admin_key}"})
    expect(status == 200, f"DELETE /v1/files/{file_id} answered {status}")


@check("load the page: title, tabs, model picker filled from /v1/models")
def load_page(h):
    h.driver.get(h.server.base_url + "/")
    expect(h.driver.title == "Lorekeeper", f"title is {h.driver.title!r}")
    h.wait(lambda: h.find_all("#model-a option"), 30, "the model picker to be filled")
    values = [o.get_attribute("value") for o in h.find_all("#model-a option")]
    expect(h.server.model_id in values, f"the base model {h.server.model_id} is not among {values}")
    expect([t.text for t in h.find_all("[role=tab]")] == ["Chat", "Knowledge", "Jobs", "Adapters"], "the tabs differ")


@check("chat: Shift+Enter adds a line, Enter sends; streamed text appears, labelled with the model")
def chat_stream(h):
    h.open_options()
    h.set_value("#temperature", 0)
    h.set_value("#max-tokens", 160)
    prompt = h.find("#prompt")
    prompt.send_keys("Write a short story about a dragon")
    prompt.send_keys(Keys.SHIFT, Keys.ENTER)
    prompt.send_keys("who collects teapots.")
    value = prompt.get_attribute("value")
    expect(value == "Write a short story about a dragon\nwho collects teapots.", f"the textarea holds {value!r}")
    # Records the answer's length at every change, to see it grow piece by piece.
    h.js("""window.__lengths = [];
            new MutationObserver(() => { const b = document.querySelector('.answer:last-of-type .body');
              if (b) window.__lengths.push(b.textContent.length); })
              .observe(document.querySelector('#conversation'), {subtree: true, childList: true, characterData: true});""")
    prompt.send_keys(Keys.ENTER)
    h.wait(lambda: h.find_all(".answer"), 10, "the answer")
    answer = h.find(".answer")
    h.wait(lambda: answer.get_attribute("data-state") != "streaming", 120, "the answer to finish")
    expect(answer.get_attribute("data-state") == "done", f"the answer ended {answer.get_attribute('data-state')}")
    lengths = sorted(set(h.js("return window.__lengths;")))
    expect(len([n for n in lengths if n > 0]) >= 3, f"the answer did not grow piece by piece (lengths seen: {lengths})")
    expect(h.find(".message.user").text == value, "the user message differs from what was typed")
    expect(h.find(".answer .model-label").text == h.server.model_id, f"the answer is labelled {h.find('.answer .model-label').text!r}")
    expect(prompt.get_attribute("value") == "", "the composer was not cleared")


@check(f"chat: greedy answer to {PARIS!r} is {PARIS_ANSWER!r}; new conversation clears")
def chat_greedy(h):
    h.find("#new-conversation").click()
    expect(not h.find_all(".turn"), "the conversation was not cleared")
    label, text = h.ask(PARIS)
    expect(label == h.server.model_id, f"label {label!r}")
    expect(text == PARIS_ANSWER, f"answer {text!r}")


@check("chat: stop ends a running answer")
def chat_stop(h):
    h.find("#new-conversation").click()
    h.open_options()
    h.set_value("#max-tokens", 1000)
    h.find("#prompt").send_keys(STORY, Keys.ENTER)
    h.wait(lambda: h.find_all(".answer .body") and len(h.find(".answer .body").text) > 20, 60, "some streamed text")
    h.find("#stop").click()
    answer = h.find(".answer")
    h.wait(lambda: answer.get_attribute("data-state") == "stopped", 10, "the answer to stop")
    expect(h.find("#send").is_enabled() and not h.find("#stop").is_enabled(), "send/stop buttons not reset after stopping")


@check("chat side by side: two answers stream at the same time")
def chat_side_by_side(h):
    h.find("#new-conversation").click()
    h.find("#compare").click()
    h.wait(lambda: h.find("#model-b").is_displayed(), 5, "the second model picker")
    Select(h.find("#model-b")).select_by_value(h.server.model_id)
    h.open_options()
    h.set_value("#max-tokens", 96)
    h.set_value("#temperature", 0.8)
    h.js("""window.__seen = [];
            new MutationObserver(() => window.__seen.push([...document.querySelectorAll('.answer')]
              .map(a => [a.dataset.state, a.querySelector('.body').textContent.length])))
              .observe(document.querySelector('#conversation'), {subtree: true, childList: true, characterData: true, attributes: true});""")
    h.find("#prompt").send_keys(STORY, Keys.ENTER)
    h.wait(lambda: len(h.find_all(".answer")) == 2 and all(a.get_attribute("data-state") != "streaming" for a in h.find_all(".answer")),
           180, "both answers to finish")
    states = [a.get_attribute("data-state") for a in h.find_all(".answer")]
    expect(states == ["done", "done"], f"answers ended {states}")
    seen = h.js("return window.__seen;")
    both = [s for s in seen if len(s) == 2 and all(state == "streaming" and n > 0 for state, n in s)]
    expect(both, "there was no moment when both answers were streaming with text")
    h.find("#compare").click()


@check("keys: the admin key is kept in sessionStorage across a reload")
def keys(h):
    h.find("#keys summary").click()
    h.set_value("#admin-key", h.admin_key)
    h.find("#keys-form button[type=submit]").click()
    expect(h.js("return sessionStorage.getItem('lorekeeper.adminKey');") == h.admin_key, "the key is not in sessionStorage")
    h.driver.refresh()
    h.wait(lambda: h.find_all("#model-a option"), 30, "the page after the reload")
    expect(h.find("#admin-key").get_attribute("value") == h.admin_key, "the key is gone after a reload")


@check("screenshots of the chat at 390 and 1280 px, light and dark")
def chat_screenshots(h):
    h.find("#new-conversation").click()
    h.ask("Show a Python hello world in a code block.", max_tokens=80)
    h.screenshots("chat")
    expect(all((h.artefacts / f"chat-{w}-{s}.png").stat().st_size > 0 for w in WIDTHS for s in ("light", "dark")), "a screenshot is missing")


# MARK: knowledge, jobs, adapters (need the files / fine-tuning / admin API)

def upload(h, index):
    h.tab("knowledge")
    path = h.facts_file(index)
    h.find("#file-input").send_keys(str(path))
    def read_row():
        """The file's row as it is now (the table may be re-rendered between two reads)."""
        row = next((r for r in h.find_all("#files-table tbody tr") if path.name in r.text), None)
        return row and ([c.text for c in row.find_elements(By.TAG_NAME, "td")], row.get_attribute("data-file-id"))
    cells, file_id = h.wait(read_row, 60, f"{path.name} in the files table")
    progress = h.wait(lambda: [li.find_element(By.TAG_NAME, "progress").get_attribute("value")
                               for li in h.find_all("#uploads li") if path.name in li.text][-1:], 10, f"the upload of {path.name}")[0]
    expect(float(progress) == 1.0, f"the upload progress of {path.name} ended at {progress}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    expect(cells[2].startswith(digest[:12]), f"the hash column {cells[2]!r} is not the file's SHA-256 {digest}")
    expect(cells[3] == str(len(FACTS[index][4])), f"the examples column says {cells[3]!r}, the file has {len(FACTS[index][4])}")
    expect(cells[1].endswith("B") and cells[4] != "–", f"size {cells[1]!r} or date {cells[4]!r} missing")
    h.uploaded[path.name] = file_id
    return file_id


def fine_tune(h, file_id, into_existing):
    h.tab("knowledge")
    h.wait(lambda: file_id in [o.get_attribute("value") for o in h.find_all("#training-file option")], 30, "the file in the form")
    Select(h.find("#training-file")).select_by_value(file_id)
    if into_existing:
        h.wait(lambda: ADAPTER in [o.get_attribute("value") for o in h.find_all("#adapter-target option")], 30, "the adapter in the form")
        Select(h.find("#adapter-target")).select_by_value(ADAPTER)
        expect(h.find("#parent-version").is_displayed(), "no parent version picker for an existing adapter")
    else:
        Select(h.find("#adapter-target")).select_by_value("")
        h.set_value("#adapter-name", ADAPTER)
    h.find("#start-job").click()
    h.wait(lambda: h.find("#panel-jobs").is_displayed() and h.find("#job-status").text, 30, "the new job in the Jobs panel")
    h.wait(lambda: h.find("#job-status").text in ("succeeded", "failed", "cancelled"), JOB_TIMEOUT, "the job to finish")
    status = h.find("#job-status").text
    expect(status == "succeeded", f"the job {status}: {h.find('#job-error').text}")
    expect(h.find_all("#loss-chart svg polyline.train"), "no train loss line in the chart")
    expect(h.find("#job-step").text != "–" and h.find("#job-loss").text != "–", "step or loss never shown")


@check("knowledge: upload a facts file (progress, size, hash, examples listed)")
def upload_first(h):
    h.require_api()
    upload(h, 0)


@check(f"fine-tune a new adapter {ADAPTER!r}, watch the job finish (progress, loss chart)")
def train_first(h):
    h.require_api()
    fine_tune(h, h.uploaded[FACTS[0][0]], into_existing=False)
    h.screenshots("jobs")


@check(f"pick {ADAPTER} and ask: answered by {ADAPTER}@1, which knows the fact")
def ask_first(h):
    h.require_api()
    h.tab("chat")
    h.find("#new-conversation").click()
    label, text = h.ask(FACTS[0][1], model=ADAPTER)
    expect(label == f"{ADAPTER}@1", f"the answer is labelled {label!r}")
    expect(FACTS[0][3].lower() in text.lower(), f"the answer {text!r} lacks {FACTS[0][3]!r}")


@check(f"train {ADAPTER}@2 from v1 on a second fact; {ADAPTER} answers as v2")
def train_second(h):
    h.require_api()
    file_id = upload(h, 1)
    h.screenshots("knowledge")
    fine_tune(h, file_id, into_existing=True)
    h.tab("chat")
    h.wait(lambda: "active v2" in (h.picker_text(ADAPTER) or ""), 30, f"the picker to show {ADAPTER} as active v2")
    h.find("#new-conversation").click()
    label, text = h.ask(FACTS[1][1], model=ADAPTER)
    expect(label == f"{ADAPTER}@2", f"the answer is labelled {label!r}")
    expect(FACTS[1][3].lower() in text.lower(), f"the answer {text!r} lacks {FACTS[1][3]!r}")


@check(f"roll back {ADAPTER}: lineage shows v1 active, picker and answers follow")
def roll_back(h):
    h.require_api()
    h.tab("adapters")
    card = f"[data-adapter='{ADAPTER}']"
    h.wait(lambda: h.find_all(f"{card} [data-version='2']"), 30, "version 2 in the lineage")
    expect(h.find_all(f"{card} [data-version='1'] ~ ul [data-version='2']") or
           h.find_all(f"{card} li:has(> [data-version='1']) [data-version='2']"), "v2 is not shown under its parent v1")
    h.screenshots("adapters")
    next(b for b in h.find_all(f"{card} button") if b.text == "Roll back").click()
    h.wait(lambda: h.find("#confirm-dialog").is_displayed(), 5, "the confirmation")
    h.find("#confirm-ok").click()
    h.wait(lambda: "active" in h.find(f"{card} [data-version='1']").get_attribute("class"), 30, "v1 to be active")
    h.tab("chat")
    h.wait(lambda: "active v1" in (h.picker_text(ADAPTER) or ""), 30, f"the picker to show {ADAPTER} as active v1")
    h.find("#new-conversation").click()
    label, text = h.ask(FACTS[0][1], model=ADAPTER)
    expect(label == f"{ADAPTER}@1", f"after the rollback the answer is labelled {label!r}")
    expect(FACTS[0][3].lower() in text.lower(), f"the answer {text!r} lacks {FACTS[0][3]!r}")


# MARK: last

@check("the browser logged no console error and no failed request")
def no_problems(h):
    h.collect_problems()
    expect(not h.problems, "; ".join(h.problems[:10]))



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=default_binary())
    parser.add_argument("--model", type=Path, default=default_model())
    parser.add_argument("--artefacts", type=Path, default=Path(os.environ.get("LOREKEEPER_ARTEFACTS") or ROOT / "artefacts") / "web-console")
    parser.add_argument("--filter", default="", help="run only the checks whose name contains this text (and the last one)")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    args.artefacts.mkdir(parents=True, exist_ok=True)

    admin_key = "lk-admin-" + secrets.token_hex(8)
    server = LorekeeperServer(args.binary, args.model, ctx=1024, parallel=4, extra_args=["--admin-key", admin_key])
    try:
        server.start()
    except ServerError as e:
        print(f"FAIL  start the server: {e}\n0 passed, 1 failed")
        return 1
    print(f"ok    start the server: {' '.join(server.command())}", flush=True)
    failed = ["(interrupted)"]
    harness = None
    try:
        with Browser(1280, 900) as browser:
            harness = Harness(server, browser, admin_key, args.artefacts)
            passed, failed, skipped = check.run(harness, args.filter, always=(no_problems,), after=Harness.collect_problems)
    finally:
        server.stop(keep_log=bool(failed))
        if not failed:
            shutil.rmtree(harness.workdir, ignore_errors=True)
        if failed:
            print(f"--- last lines of the server log {server.log_path} ---\n{server.log_tail()}---")
    print(f"screenshots in {args.artefacts}")
    print(f"{passed + 1} passed, {len(failed)} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
