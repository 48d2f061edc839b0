#!/usr/bin/env bash
# Installs the Debian 12 packages clawbot needs to build and test, then
# builds the Release preset into build/. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libutf8proc-dev nlohmann-json3-dev libcli11-dev libsqlite3-dev libssl-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev   # libFuzzer for the GGUF reader fuzz test
  chromium fonts-wqy-microhei   # the browser test of the chat page
  prometheus logrotate          # promtool checks the alert rules; logrotate its config
  docker-compose                # `docker-compose config` checks docker-compose.yml (no engine needed)
  systemd passwd                # systemctl/systemd-analyze and useradd for the init script's --root test
  openssl                       # makes the certificate of the https upstream in the cloud-mode TLS test
  libhiredis-dev redis-server   # the Redis store (STORE=redis://...) and the real Redis its tests start
  nginx                         # the cluster test runs deploy/nginx/clawbot.conf in its own nginx (the
                                # system nginx the package starts on port 80 is not used)
)
# Node.js 20 for the JavaScript tests; Debian's own is used only when none is there.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake --preset release >/dev/null
cmake --build --preset release --target clawbot
echo "setup: built build/clawbot"
