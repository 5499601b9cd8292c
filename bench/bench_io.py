"""What the bench scripts share: JSON over HTTP to a `lorekeeper serve`, and the end of a run.

A module, not a script: recall.py, knowledge_recall.py and methods.py import it. Standard
library only.
"""
import json
import shutil
import urllib.request
from pathlib import Path


def post(url, body, timeout=600):
    """POSTs `body` as JSON and returns the decoded JSON answer (HTTP errors raise)."""
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.load(r)


def finish(results, json_path, work, keep):
    """Prints the JSON report on stdout, writes it to `json_path` if given, and removes the
    work folder unless it is kept."""
    report = json.dumps(results, indent=1)
    print(report)
    if json_path:
        Path(json_path).write_text(report)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
