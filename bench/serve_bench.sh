#!/usr/bin/env bash
# Serving throughput under many users, streaming, whole history each turn:
#   1. a random-weight 125M model (dim 768, 12 layers, 12/4 heads, FFN 2048,
#      SPM vocab 32000) in Q8_0, 16 running sequences, 16 and 50 users x 3
#      turns x 48 tokens;
#   2. the TinyLlama-1.1B shape in Q4_0 (the model size users serve), 16
#      running sequences, 50 users x 2 turns x 32 tokens; prefill is most of
#      this load (~8,000 prompt tokens against 3,200 generated).
# llama.cpp's llama-server cannot be installed here; its figures from the
# engine-speed issue (same kind of 2-core machine, -np 16, 2 threads) are
# printed beside ours. The server's peak RSS (VmHWM) is reported per load.
#
# usage: bench/serve_bench.sh [THREADS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
OUT=${2:-bench/out}
BIN=build/clawbot
mkdir -p "$OUT"
[ -x "$BIN" ] || scripts/setup.sh

small="$OUT/bench-125m-q8_0.gguf"
[ -f "$small" ] || "$BIN" make-model --shape bench-125m --type q8_0 --out "$small"
tiny_f32="$OUT/tinyllama-1.1b-f32.gguf"
tiny="$OUT/tinyllama-1.1b-q4_0.gguf"
if [ ! -f "$tiny" ]; then
  [ -f "$tiny_f32" ] || "$BIN" make-model --shape tinyllama-1.1b --type f32 --out "$tiny_f32"
  "$BIN" quantize "$tiny_f32" "$tiny" --type q4_0
fi

dir=$(mktemp -d)
server=
stop_server() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  server=
}
trap 'stop_server; rm -rf "$dir"' EXIT
token=$("$BIN" init --config "$dir/config.env" --data-dir "$dir/data" | grep -o 'cb_[A-Za-z0-9_-]*' | head -1)

start_server() {  # MODEL CTX
  : > "$dir/server.log"
  "$BIN" serve --config "$dir/config.env" --model-path "$1" --port 0 --threads "$THREADS" \
    --max-batch-size 16 --max-queue 64 --max-concurrent-requests 128 --ctx-size "$2" 2>"$dir/server.log" &
  server=$!
  for _ in $(seq 600); do grep -q 'listening on' "$dir/server.log" && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.]*:[0-9]*' "$dir/server.log" | head -1)
}

report() {  # LABEL JSON_FILE REFERENCE
  local rss_kb
  rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
  python3 - "$1" "$2" "$3" "$rss_kb" <<'PY'
import json, sys
label, path, ref, rss_kb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = json.load(open(path))
t = d["ttft_s"]
turns = sorted(k for k in t if k.startswith("turn_"))
p = lambda q: "/".join(f'{t[k][q]:.1f}' for k in turns)
print(f'| {label} | {d["tokens_per_s"]:.0f} | {p("p50")} s | {p("p95")} s | {sum(d["errors"].values())} | {rss_kb / 1e6:.2f} GB | {ref} |')
PY
}

printf '| load | tok/s (ours) | TTFT p50 per turn (ours) | TTFT p95 per turn (ours) | errors | peak RSS | llama.cpp tok/s, TTFT p95 (, p50, RSS) |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
start_server "$small" 2048
declare -A REF=([16]="231, 2.0 s" [50]="262, 10.4 s")
for users in 16 50; do
  "$BIN" loadtest --url "$url" --token "$token" --users "$users" --turns 3 --max-tokens 48 --json --max-error-rate 1 \
    > "$OUT/serve-125m-$users.json"
  report "125M Q8_0, $users users x 3 turns x 48" "$OUT/serve-125m-$users.json" "${REF[$users]}"
done
stop_server

start_server "$tiny" 1024  # the reference: -c 16384 shared by -np 16
"$BIN" loadtest --url "$url" --token "$token" --users 50 --turns 2 --max-tokens 32 --timeout-s 600 --json --max-error-rate 1 \
  > "$OUT/serve-tinyllama-q4_0-50.json"
report "TinyLlama Q4_0, 50 users x 2 turns x 32" "$OUT/serve-tinyllama-q4_0-50.json" "40.4, 41.7 s (p50 21.8 s, RSS 1.78 GB)"
stop_server
