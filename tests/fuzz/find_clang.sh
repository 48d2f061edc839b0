# Sourced by the fuzz runners: sets $cxx to a clang++ that has libFuzzer,
# or exits with what to install.
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
