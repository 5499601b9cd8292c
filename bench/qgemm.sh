#!/usr/bin/env bash
# usage: bench/qgemm.sh [ROWS] [COLS] [N]   -> JSON lines: one core's prompt-product GOPS against the machine's peak
#   Builds bench/qgemm.c with the kernels of Sources/CKernels (clang -O2) into a temporary folder and runs it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k="$here/../Sources/CKernels"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
clang -O2 -I"$k/include" -I"$k" "$here/qgemm.c" "$k/qgemm.c" "$k/qdot.c" "$k/interleave.c" "$k/cpu.c" -lm -o "$out/qgemm"
"$out/qgemm" "$@"
