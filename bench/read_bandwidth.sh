#!/usr/bin/env bash
# usage: bench/read_bandwidth.sh [THREADS] [MIB]   -> one JSON line with read_gb_per_second
#   Builds bench/read_bandwidth.c (cc -O2 -mavx2) into a temporary folder and runs it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cc -O2 -mavx2 -pthread "$here/read_bandwidth.c" -o "$out/read_bandwidth"
"$out/read_bandwidth" "$@"
