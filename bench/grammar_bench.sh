#!/usr/bin/env bash
# Constrained decoding's cost: `clawbot bench` single-request decode tok/s
# with and without a grammar (bench/json_string.gbnf: the model writes one
# long JSON string, where the mask allows most of the vocabulary and costs
# the most), alternating ROUNDS times so host noise hits both alike. Prints
# each run and the ranges. MODEL defaults to the 125M Q8_0 bench model; pass
# ../shared/models/synth-qwen2-f16.gguf for a 152k vocabulary.
#
# usage: bench/grammar_bench.sh [MODEL] [ROUNDS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-bench/out/bench-125m-q8_0.gguf}
ROUNDS=${2:-4}
THREADS=${3:-2}
[ -f "$MODEL" ] || { mkdir -p bench/out; build/clawbot make-model --shape bench-125m --type q8_0 --out "$MODEL"; }
free=() constrained=()
for _ in $(seq "$ROUNDS"); do
  f=$(build/clawbot bench --model "$MODEL" --prompt-tokens 32 --gen-tokens 64 --threads "$THREADS" -r 3 --json \
      | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["decode_tok_s"], 1))')
  c=$(build/clawbot bench --model "$MODEL" --prompt-tokens 32 --gen-tokens 64 --threads "$THREADS" -r 3 --json \
      --grammar bench/json_string.gbnf | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["decode_tok_s"], 1))')
  echo "decode tok/s: free $f, constrained $c"
  free+=("$f") constrained+=("$c")
done
python3 - "${free[*]}" "${constrained[*]}" <<'PY'
import sys
free = [float(x) for x in sys.argv[1].split()]
con = [float(x) for x in sys.argv[2].split()]
ratios = [c / f for f, c in zip(free, con)]
print(f"free {min(free)}-{max(free)} tok/s, constrained {min(con)}-{max(con)} tok/s, "
      f"ratio per round {min(ratios):.2f}-{max(ratios):.2f}")
PY
