#!/usr/bin/env bash
# Engine speed on the TinyLlama-1.1B shape (random weights): writes it in
# F32, quantizes to Q8_0 and Q4_0 with `clawbot quantize`, and runs
# `clawbot bench` on each. llama.cpp cannot be installed here, so its
# figures (release 2026-09-28, same kind of 2-core AVX-512 VNNI machine,
# 128 prompt / 32 generated tokens, 2 threads) are printed beside ours.
#
# usage: bench/engine_bench.sh [THREADS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
OUT=${2:-bench/out}
BIN=build/clawbot
mkdir -p "$OUT"
[ -x "$BIN" ] || scripts/setup.sh

f32="$OUT/tinyllama-1.1b-f32.gguf"
[ -f "$f32" ] || "$BIN" make-model --shape tinyllama-1.1b --type f32 --out "$f32"
for t in q8_0 q4_0; do
  [ -f "$OUT/tinyllama-1.1b-$t.gguf" ] || "$BIN" quantize "$f32" "$OUT/tinyllama-1.1b-$t.gguf" --type "$t"
done

declare -A REF_PREFILL=([q4_0]=81 [q8_0]=52 [f32]=57)
declare -A REF_DECODE=([q4_0]=20.7 [q8_0]=13.9 [f32]=5.0)
declare -A DECODE

printf '| type | prefill tok/s (ours) | prefill tok/s (llama.cpp) | decode tok/s (ours) | decode tok/s (llama.cpp) |\n'
printf '| --- | --- | --- | --- | --- |\n'
for t in q4_0 q8_0 f32; do
  json=$("$BIN" bench --model "$OUT/tinyllama-1.1b-$t.gguf" --threads "$THREADS" \
         --prompt-tokens 128 --gen-tokens 32 --repetitions 3 --json)
  echo "$json" > "$OUT/bench-$t.json"
  prefill=$(echo "$json" | sed -E 's/.*"prefill_tok_s":([0-9.eE+-]+).*/\1/')
  decode=$(echo "$json" | sed -E 's/.*"decode_tok_s":([0-9.eE+-]+).*/\1/')
  DECODE[$t]=$decode
  printf '| %s | %.1f | %s | %.2f | %s |\n' "${t^^}" "$prefill" "${REF_PREFILL[$t]}" "$decode" "${REF_DECODE[$t]}"
done
awk -v q="${DECODE[q8_0]}" -v f="${DECODE[f32]}" 'BEGIN { printf "\nQ8_0/F32 decode ratio: %.2f (llama.cpp: %.2f)\n", q / f, 13.9 / 5.0 }'

# Batched decode on the 125M shape in Q8_0, 128 prompt + 64 generated per
# sequence; llama.cpp's llama-batched-bench figures (issue 11, same machine
# kind) beside ours.
m125_f32="$OUT/bench-125m-f32.gguf"
m125="$OUT/bench-125m-q8_0.gguf"
[ -f "$m125_f32" ] || "$BIN" make-model --shape bench-125m --type f32 --out "$m125_f32"
[ -f "$m125" ] || "$BIN" quantize "$m125_f32" "$m125" --type q8_0
json=$("$BIN" bench --model "$m125" --threads "$THREADS" --prompt-tokens 128 --gen-tokens 64 \
       --repetitions 3 --batch 1,4,16,32 --json)
echo "$json" > "$OUT/bench-125m-batched.json"
echo
echo "125M Q8_0, batched (llama.cpp: prefill ~940 tok/s; decode 160 / 285 / 492 / 548 tok/s at 1 / 4 / 16 / 32)"
echo "$json" | node -e '
  const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log("| batch | prefill tok/s | aggregate decode tok/s | same tokens as alone |\n| --- | --- | --- | --- |");
  for (const b of j.batches) console.log(`| ${b.batch} | ${b.prefill_tok_s.toFixed(0)} | ${b.decode_tok_s.toFixed(0)} | ${b.same_tokens_as_alone} |`);
  console.log(`thread pool barrier: ${j.barrier_us.toFixed(2)} us per run`);'
