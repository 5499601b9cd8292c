#!/usr/bin/env python3
"""usage: Tests/Python/test_web_markdown.py

Unit test of the web console's Markdown rendering (web/js/markdown.js) in headless Chromium: serves
web/js and Tests/Web from a loopback port, imports the module and Tests/Web/markdown_cases.js into a
blank page, and runs the cases, which check that model output with <script>, HTML, attributes or
entities comes out as text and that code blocks are code. Prints one line per case, then
"N passed, M failed"; exits 0 only when all passed. Needs chromium, chromium-driver and selenium
(scripts/install-deps.sh).
"""
import http.server
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Browser  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MOUNTS = {"/js/": ROOT / "web" / "js", "/test/": ROOT / "Tests" / "Web"}
BLANK = b"<!doctype html><html><head><title>markdown cases</title><link rel=\"icon\" href=\"data:,\"></head><body></body></html>"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/":
            return self.reply(200, "text/html", BLANK)
        for prefix, folder in MOUNTS.items():
            name = self.path[len(prefix):]
            if self.path.startswith(prefix) and "/" not in name and (folder / name).is_file():
                return self.reply(200, "text/javascript", (folder / name).read_bytes())
        self.reply(404, "text/plain", b"not found")

    def reply(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


RUN_CASES = """
const done = arguments[arguments.length - 1];
Promise.all([import("/js/markdown.js"), import("/test/markdown_cases.js")])
  .then(([markdown, cases]) => cases.run(markdown.renderMarkdown))
  .then(done, (e) => done([{ name: "load the modules", problems: [String(e)] }]));
"""


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    passed, failed = 0, 0
    try:
        with Browser(800, 600) as browser:
            browser.driver.get(f"http://127.0.0.1:{server.server_port}/")
            for result in browser.driver.execute_async_script(RUN_CASES):
                if result["problems"]:
                    failed += 1
                    print(f"FAIL  {result['name']}: {'; '.join(result['problems'])}")
                else:
                    passed += 1
                    print(f"ok    {result['name']}")
            problems = browser.problems()
            if problems:
                failed += 1
                print("FAIL  no browser errors: " + "; ".join(problems))
    finally:
        server.shutdown()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
