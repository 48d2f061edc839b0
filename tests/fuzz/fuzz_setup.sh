# Sourced by the fuzz runners with their arguments SOURCE_DIR BUILD_OUT_DIR
# SECONDS: sets $source_dir, $out_dir (created, absolute) and $seconds, and
# $cxx to a clang++ that has libFuzzer, or exits saying what is missing.
if [[ $# -ne 3 ]]; then
    echo "usage: $0 SOURCE_DIR BUILD_OUT_DIR SECONDS" >&2
    exit 2
fi
source_dir=$(cd "$1" && pwd)
mkdir -p "$2"
out_dir=$(cd "$2" && pwd)
seconds=$3

cxx=""
for candidate in clang++-14 clang++; do
    if command -v "$candidate" >/dev/null 2>&1; then
        cxx=$candidate
        break
    fi
done
if [[ -z $cxx ]]; then
    echo "FATAL: clang++ (clang++-14 or clang++) not found; the fuzzer needs clang with libFuzzer" >&2
    echo "       (Debian: apt-get install clang-14 libclang-rt-14-dev)" >&2
    exit 1
fi

# fuzz_build OUTPUT HARNESS SOURCE... [-- EXTRA_FLAG...]: compiles a
# libFuzzer target with ASan and UBSan (warnings are errors) into
# $out_dir/OUTPUT.
fuzz_build() {
    local output=$1 harness=$2
    shift 2
    local sources=() extra=()
    while (($#)); do
        if [[ $1 == -- ]]; then
            shift
            extra=("$@")
            break
        fi
        sources+=("$1")
        shift
    done
    echo "building $output with $cxx"
    "$cxx" -std=c++20 -g -Wall -Wextra -Werror -I"$source_dir/src" -O1 -fno-omit-frame-pointer "${extra[@]}" \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        "$harness" "${sources[@]}" -o "$out_dir/$output"
}
