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
