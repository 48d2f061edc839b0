#!/usr/bin/env bash
# Builds the GGUF reader fuzzer with clang's libFuzzer (+ ASan, UBSan) and
# runs it for a bounded time from a small seed corpus. Exits non-zero if it
# cannot build or if the fuzzer finds a crash, leak, timeout or UB.
# usage: run_gguf_fuzzer.sh SOURCE_DIR BUILD_OUT_DIR SECONDS
set -euo pipefail

source "$(dirname "$0")/fuzz_setup.sh"

reader_sources=("$source_dir"/src/engine/gguf/*.cpp "$source_dir"/src/engine/tensor/dtype.cpp)
common_flags=(-std=c++20 -g -Wall -Wextra -Werror -I"$source_dir/src")

echo "building fuzzer with $cxx"
"$cxx" "${common_flags[@]}" -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    "$source_dir/tests/fuzz/gguf_reader_fuzzer.cpp" "${reader_sources[@]}" \
    -o "$out_dir/gguf_reader_fuzzer"
"$cxx" "${common_flags[@]}" -O1 \
    "$source_dir/tests/fuzz/gguf_seed_writer.cpp" "${reader_sources[@]}" \
    -o "$out_dir/gguf_seed_writer"

# Seeds: small files from the writer, plus the first 64 KiB of each shared
# model and vocabulary (their metadata, mostly) — whole files are too big.
seeds=$out_dir/seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$out_dir/corpus"
"$out_dir/gguf_seed_writer" "$seeds"
shared_dir=$source_dir/../shared
for f in "$shared_dir"/models/*.gguf "$shared_dir"/vocab/*.gguf; do
    [[ -f $f ]] || continue
    head -c 65536 "$f" >"$seeds/prefix-$(basename "$f")"
done
echo "seed corpus: $(ls "$seeds" | wc -l) files"

# -max_len 65536: large enough for a few KV pairs and tensors, small enough
# for many executions per second. The working corpus persists across runs.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$out_dir/gguf_reader_fuzzer" "$out_dir/corpus" "$seeds" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
    -artifact_prefix="$out_dir/" -print_final_stats=1
echo "fuzzing for ${seconds}s found nothing"
