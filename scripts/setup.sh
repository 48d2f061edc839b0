#!/usr/bin/env bash
# Installs the Debian 12 packages clawbot needs to build and run (compiler,
# CMake, and the libraries it links), then builds the Release binary into
# build/clawbot. Test-only packages (GoogleTest, Chromium, Redis, nginx, ...)
# are scripts/test.sh's. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install_packages.sh

install_packages "building clawbot" \
  build-essential cmake ninja-build pkg-config \
  libutf8proc-dev nlohmann-json3-dev libcli11-dev libsqlite3-dev libssl-dev libboost-dev libhiredis-dev \
  ca-certificates   # cloud mode and `clawbot pull` check https certificates against them

# The tests are scripts/test.sh's: a build here needs none of their packages.
cmake --preset release -DCLAWBOT_TESTS=OFF >/dev/null
cmake --build --preset release --target clawbot
echo "setup: built build/clawbot"
