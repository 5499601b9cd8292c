#!/usr/bin/env bash
# usage: bench/compare_reference.sh [MODEL.gguf] [MAX_TOKENS]
#   Greedy generation of lorekeeper against bench/reference_llama.py (an independent numpy
#   implementation over gguf-py's dequantisation) on a few prompts, token for token.
#   Exits non-zero on the first mismatch. Needs a release build (swift build -c release).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-$root/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
max="${2:-24}"
lk="$root/.build/release/lorekeeper"
[[ -x "$lk" ]] || { echo "compare_reference: build first: swift build -c release" >&2; exit 1; }

prompts=("Hello, my name is" "The capital of France is" "def fibonacci(n):" "Once upon a time, in a small village,")
status=0
for prompt in "${prompts[@]}"; do
    ids=$("$lk" tokenize --model "$model" --text "$prompt" | tr ' ' ',')
    ours=$("$lk" generate --model "$model" --prompt "$prompt" --temperature 0 --max-tokens "$max" --ignore-eos --token-ids)
    ref=$(python3 "$root/bench/reference_llama.py" generate --model "$model" --tokens "$ids" --max-tokens "$max")
    if [[ "$(echo "$ours" | tr -d ' ')" == "$(echo "$ref" | tr -d ' ')" ]]; then
        echo "same   $prompt"
    else
        echo "DIFFER $prompt"; echo "  lorekeeper: $ours"; echo "  reference:  $ref"; status=1
    fi
done
exit $status
