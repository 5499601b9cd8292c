#!/usr/bin/env bash
# usage: bench/llama-cpp-peer-noamx.sh   -> prints the folder holding llama-bench and llama-server
#   The shared peer script builds llama.cpp with GGML_NATIVE, which on CPUs that advertise AMX under a
#   hypervisor that does not grant AMX tile state (Xeon model 207 here) dies with SIGILL at its first
#   tileloadd. This builds the same source with every AVX-512 extension the CPU reports and AMX off,
#   in a separate build folder, so the peer runs at its best non-AMX speed. Its code stays out of the repo.
set -euo pipefail
root=${LOREKEEPER_PEER_DIR:-$HOME/.cache/lorekeeper-peer}
src=$root/llama_cpp_python-0.3.36/vendor/llama.cpp
[[ -d $src ]] || { echo "run ../shared/tools/llama-cpp-peer.sh first: it downloads the source" >&2; exit 1; }
build=$src/build-noamx
bin=$build/bin
has() { grep -qw "$1" /proc/cpuinfo && echo ON || echo OFF; }
if [[ ! -x $bin/llama-bench ]]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
    -DGGML_AVX512=$(has avx512f) -DGGML_AVX512_VBMI=$(has avx512vbmi) -DGGML_AVX512_VNNI=$(has avx512_vnni) \
    -DGGML_AVX512_BF16=$(has avx512_bf16) -DGGML_AVX_VNNI=$(has avx_vnni) \
    -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF >&2
  cmake --build "$build" -j"$(nproc)" --target llama-bench llama-server >&2
fi
echo "$bin"
