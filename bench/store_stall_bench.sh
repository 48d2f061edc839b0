#!/usr/bin/env bash
# Serving while the store is busy: the 125M Q8_0 model (serve_bench.sh's),
# USERS users x 3 turns x 48 tokens, once quietly and once while another
# process runs `clawbot token create` in a loop (each holds SQLite's write
# lock for a commit). Prints tok/s, TTFT p95 per turn and the inter-token
# p95 / p99 for each. BIN picks the binary, so two builds can be compared
# by alternating runs (the load always comes from build/clawbot loadtest).
#
# usage: [BIN=build/clawbot] bench/store_stall_bench.sh [USERS] [THREADS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-16}
THREADS=${2:-2}
OUT=${3:-bench/out}
BIN=${BIN:-build/clawbot}
mkdir -p "$OUT"
model="$OUT/bench-125m-q8_0.gguf"
[ -f "$model" ] || build/clawbot make-model --shape bench-125m --type q8_0 --out "$model"

dir=$(mktemp -d)
server= creator=
cleanup() {
  [ -n "$creator" ] && kill "$creator" 2>/dev/null || true
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
token=$("$BIN" init --config "$dir/config.env" --data-dir "$dir/data" | grep -o 'cb_[A-Za-z0-9_-]*' | head -1)
"$BIN" serve --config "$dir/config.env" --model-path "$model" --port 0 --threads "$THREADS" \
  --max-batch-size 16 --ctx-size 2048 2>"$dir/server.log" &
server=$!
for _ in $(seq 600); do grep -q 'listening on' "$dir/server.log" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.]*:[0-9]*' "$dir/server.log" | head -1)

run() {  # LABEL
  build/clawbot loadtest --url "$url" --token "$token" --users "$USERS" --turns 3 --max-tokens 48 --json --max-error-rate 1 > "$dir/run.json"
  python3 - "$1" "$dir/run.json" <<'PY'
import json, sys
label, d = sys.argv[1], json.load(open(sys.argv[2]))
t = d["ttft_s"]
turns = sorted(k for k in t if k.startswith("turn_"))
p95 = "/".join(f'{t[k]["p95"]:.2f}' for k in turns)
ms = lambda v: f'{1000 * v:.0f} ms' if v is not None else '-'
print(f'| {label} | {d["tokens_per_s"]:.0f} | {p95} s | {ms(d["inter_token_p95_s"])} | {ms(d["inter_token_p99_s"]) if "inter_token_p99_s" in d else "-"} | {sum(d["errors"].values())} |')
PY
}

printf '| %s users, %s | tok/s | TTFT p95 per turn | inter-token p95 | inter-token p99 | errors |\n| --- | --- | --- | --- | --- | --- |\n' "$USERS" "$BIN"
run "quiet"
( while :; do "$BIN" token create --name "bench-$RANDOM" --config "$dir/config.env" >/dev/null 2>&1; done ) &
creator=$!
run "token create loop"
kill "$creator" 2>/dev/null || true
creator=
