#!/usr/bin/env bash
# Engine speed, one table: the TinyLlama-1.1B shape (random weights) in
# Q4_0, Q4_K_M, Q8_0 and F32, 128 prompt / 32 generated tokens, and the
# 125M shape in Q8_0 batched (128 prompt + 64 generated per sequence, 1 /
# 4 / 16 / 32 sequences). Quantized files run twice, with packed weights
# (the default) and on the mapped file (--no-repack), alternating, so the
# two compare on the same host state. llama.cpp cannot be installed here;
# its figures from the engine-speed issue (release 2026-09-28, same kind of
# 2-core AVX-512 VNNI machine, 2 threads, llama-bench / llama-batched-bench
# on the very same shapes) are printed beside ours.
#
# Then the newer types (issue 12) on the same shape, packed: Q5_K_M, Q3_K_M
# and IQ4_XS, with the bytes each decoded token streams (the file size) so
# types compare per byte read; and the mixture-of-experts shape moe-bench
# (Qwen3-30B-A3B's layout scaled down: 128 experts, 8 used) against
# moe-bench-dense, a dense model of its active size, alternating.
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
for t in q8_0 q4_0 q4_k_m q5_k_m q3_k_m iq4_xs; do
  [ -f "$OUT/tinyllama-1.1b-$t.gguf" ] || "$BIN" quantize "$f32" "$OUT/tinyllama-1.1b-$t.gguf" --type "$t"
done
for shape in moe-bench moe-bench-dense; do
  [ -f "$OUT/$shape-l24-q4_k.gguf" ] || "$BIN" make-model --shape "$shape" --type q4_k --out "$OUT/$shape-l24-q4_k.gguf"
done
m125_f32="$OUT/bench-125m-f32.gguf"
m125="$OUT/bench-125m-q8_0.gguf"
[ -f "$m125_f32" ] || "$BIN" make-model --shape bench-125m --type f32 --out "$m125_f32"
[ -f "$m125" ] || "$BIN" quantize "$m125_f32" "$m125" --type q8_0

declare -A REF=([q4_0]="131-135 | 38.6-51.5" [q4_k_m]="115-128 | 42.6-51.4" [q8_0]="88-108 | 19.3-25.6" [f32]="- | -")
runs() {  # FILE EXTRA_FLAGS -> "prefill runs | decode runs | repack s"
  "$BIN" bench --model "$1" --threads "$THREADS" --prompt-tokens 128 --gen-tokens 32 --repetitions 3 --json $2 |
    node -e '
      const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const r = (a) => a.map((x) => x.toFixed(1)).join(", ");
      console.log(`${r(j.prefill_runs_tok_s)} | ${r(j.decode_runs_tok_s)} | ${j.repack_s.toFixed(2)} s`);'
}

printf '| file | weights | prefill tok/s (3 runs) | decode tok/s (3 runs) | repack | llama.cpp prefill | llama.cpp decode |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
for t in q4_0 q4_k_m q8_0; do
  file="$OUT/tinyllama-1.1b-$t.gguf"
  printf '| %s | packed | %s | %s |\n' "${t^^}" "$(runs "$file" "")" "${REF[$t]}"
  printf '| %s | mapped | %s | %s |\n' "${t^^}" "$(runs "$file" --no-repack)" "${REF[$t]}"
done
printf '| F32 | mapped | %s | %s |\n' "$(runs "$f32" "")" "${REF[f32]}"

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

echo
echo "Newer types, TinyLlama shape, packed (decode GB/s = decode tok/s x file size)"
printf '| file | prefill tok/s (3 runs) | decode tok/s (3 runs) | repack | decode GB/s (best) |\n| --- | --- | --- | --- | --- |\n'
for t in q4_k_m q5_k_m q3_k_m iq4_xs; do
  file="$OUT/tinyllama-1.1b-$t.gguf"
  row=$(runs "$file" "")
  best=$(echo "$row" | cut -d'|' -f2 | tr ',' '\n' | sort -g | tail -1)
  printf '| %s | %s | %s |\n' "${t^^}" "$row" "$(node -e "console.log((${best} * $(stat -L -c %s "$file") / 1e9).toFixed(1))")"
done

echo
echo "Mixture of experts (goal: MoE decode >= 0.8 x the dense model of its active size), alternating"
printf '| model | prefill tok/s (3 runs) | decode tok/s (3 runs) | repack |\n| --- | --- | --- | --- |\n'
for round in 1 2; do
  for shape in moe-bench moe-bench-dense; do
    printf '| %s | %s |\n' "$shape" "$(runs "$OUT/$shape-l24-q4_k.gguf" "")"
  done
done
