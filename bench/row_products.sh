#!/usr/bin/env bash
# usage: bench/row_products.sh [COLS] [TYPE] [ROWS]   -> JSON lines: one core's row-product GB/s, file layout and interleaved
#   TYPE: 2 = Q4_0, 3 = Q4_1, 8 = Q8_0, 12 = Q4_K, 13 = Q5_K, 14 = Q6_K. Builds bench/row_products.c with the kernels of Sources/CKernels (clang -O2) into a temporary folder and runs it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k="$here/../Sources/CKernels"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
clang -O2 -I"$k/include" -I"$k" "$here/row_products.c" "$k/qdot.c" "$k/interleave.c" "$k/cpu.c" -lm -o "$out/row_products"
"$out/row_products" "$@"
