#!/usr/bin/env bash
# The full test run: set up, build Release and run every test, then build
# with ASan+UBSan and run the unit and conformance tests again under it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
JOBS=$(nproc)

cmake --build --preset release -j "$JOBS"
for dir in tests/node tests/browser tests/k8s; do
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
done
ctest --preset release -j "$JOBS"

cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"
ctest --preset asan -j "$JOBS"
