#!/usr/bin/env bash
# usage: scripts/install-deps.sh
#   Installs what building, testing and serving need on Debian (idempotent, quick when done):
#   the C libraries (OpenBLAS, SQLite, OpenSSL), Chromium and its WebDriver for the web console's
#   browser tests, the Python packages the test suite uses, and the default model (scripts/fetch-model.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(libopenblas-dev libsqlite3-dev libssl-dev pkg-config python3 python3-pip chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "install-deps: error: Swift 6.1 or later must be on PATH (https://swift.org/install)" >&2; exit 1; }

# Python is used only by tests and benchmarks (independent reference implementations), never by the server.
# openai: Tests/Python/test_openai_client.py and bench/ talk to `lorekeeper serve` through the official client.
# selenium: Tests/Python/test_web_console.py and test_web_markdown.py drive Chromium through chromium-driver.
# torch, transformers, safetensors: Tests/Python/full_finetune_step.py, the reference for full fine-tuning's first step.
# PIP_BREAK_SYSTEM_PACKAGES: Debian's own python3 refuses user installs (PEP 668) without it.
python3 - <<'PY' || PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --disable-pip-version-check "numpy>=1.26" "gguf>=0.10" "openai>=2.54" "selenium>=4.20" torch transformers safetensors 2>&1 | grep -v "^WARNING: Running pip as" || true
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(m) for m in ("numpy", "gguf", "openai", "selenium", "torch", "transformers", "safetensors")) else 1)
PY

"$root/scripts/fetch-model.sh"
