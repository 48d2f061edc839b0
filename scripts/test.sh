#!/usr/bin/env bash
# The full test run: set up, build Release and run every test, then build
# with ASan+UBSan and run the unit and conformance tests again under it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
source scripts/install_packages.sh

TEST_PACKAGES=(
  libgtest-dev libgmock-dev      # the C++ tests
  clang-14 libclang-rt-14-dev    # libFuzzer for the fuzz tests
  chromium fonts-wqy-microhei    # the browser test of the chat page
  prometheus logrotate           # promtool checks the alert rules; logrotate its config
  docker-compose                 # `docker-compose config` checks docker-compose.yml (no engine needed)
  systemd passwd                 # systemctl/systemd-analyze and useradd for the init script's --root test
  openssl                        # makes the certificate of the https upstream in the cloud-mode TLS test
  redis-server                   # the real Redis the Redis-store tests start
  nginx                          # the cluster test runs deploy/nginx/clawbot.conf in its own nginx (the
                                 # system nginx the package starts on port 80 is not used)
)
# Node.js 20 for the JavaScript tests; Debian's own is used only when none is there.
command -v node >/dev/null 2>&1 || TEST_PACKAGES+=(nodejs npm)
install_packages "the tests" "${TEST_PACKAGES[@]}"
JOBS=$(nproc)

cmake --preset release -DCLAWBOT_TESTS=ON >/dev/null
cmake --build --preset release -j "$JOBS"
for dir in tests/node tests/browser tests/k8s; do
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
done
ctest --preset release -j "$JOBS"

cmake --preset asan -DCLAWBOT_TESTS=ON >/dev/null
cmake --build --preset asan -j "$JOBS"
ctest --preset asan -j "$JOBS"
