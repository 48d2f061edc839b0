#!/usr/bin/env bash
# Serving throughput under many users (issue 4): a random-weight 125M model
# (dim 768, 12 layers, 12 heads, 4 KV heads, FFN 2048, SPM vocab 32000) in
# Q8_0, `clawbot serve` with 16 running sequences, and `clawbot loadtest`
# with 16 and 50 users x 3 turns x 48 tokens, streaming. llama.cpp's
# llama-server cannot be installed here; its figures from the issue (same
# kind of 2-core machine, -np 16, 2 threads) are printed beside ours.
#
# usage: bench/serve_bench.sh [THREADS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
OUT=${2:-bench/out}
BIN=build/clawbot
mkdir -p "$OUT"
[ -x "$BIN" ] || scripts/setup.sh

model="$OUT/bench-125m-q8_0.gguf"
[ -f "$model" ] || "$BIN" make-model --shape bench-125m --type q8_0 --out "$model"

dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
token=$("$BIN" init --config "$dir/config.env" --data-dir "$dir/data" | grep -o 'cb_[A-Za-z0-9_-]*' | head -1)
"$BIN" serve --config "$dir/config.env" --model-path "$model" --port 0 --threads "$THREADS" \
  --max-batch-size 16 --max-queue 64 --ctx-size 2048 2>"$dir/server.log" &
server=$!
for _ in $(seq 100); do grep -q 'listening on' "$dir/server.log" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.]*:[0-9]*' "$dir/server.log" | head -1)

declare -A REF=([16]="143 | 3.0 s | 3.1 s" [50]="141 | 12.2 s | 18.2 s")
printf '| load | tok/s (ours) | TTFT p50 turn 1/2/3 (ours) | TTFT p95 turn 1/2/3 (ours) | errors | llama.cpp tok/s, TTFT p50, p95 |\n'
printf '| --- | --- | --- | --- | --- | --- |\n'
for users in 16 50; do
  json=$("$BIN" loadtest --url "$url" --token "$token" --users "$users" --turns 3 --max-tokens 48 --json)
  echo "$json" > "$OUT/serve-$users.json"
  python3 - "$users" "${REF[$users]}" "$OUT/serve-$users.json" <<'PY'
import json, sys
users, ref, path = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.load(open(path))
t = d["ttft_s"]
p = lambda q: "/".join(f'{t[f"turn_{i}"][q]:.1f}' if t.get(f"turn_{i}") else "-" for i in (1, 2, 3))
print(f'| {users} users | {d["tokens_per_s"]:.0f} | {p("p50")} s | {p("p95")} s | {sum(d["errors"].values())} | {ref} |')
PY
done
