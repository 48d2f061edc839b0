#!/usr/bin/env bash
# The Docker files without a Docker engine: `docker-compose config` resolves
# docker-compose.yml (plain and with --profile gpu) and the result is checked;
# the Dockerfile is checked statically (stages, setup.sh, runtime libraries
# against ldd of the binary, non-root user, port, volumes, health check); and
# its ENTRYPOINT and HEALTHCHECK commands are run here against the real binary.
#
# Usage: compose_test.sh CLAWBOT_BIN SHARED_DIR
set -euo pipefail
export LC_ALL=C

[ $# -eq 2 ] || { echo "usage: $0 CLAWBOT_BIN SHARED_DIR" >&2; exit 2; }
clawbot_bin=$(realpath "$1")
model=$(realpath "$2/models/stories260K.gguf")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for tool in docker-compose python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (scripts/test.sh installs docker-compose)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/clawbot-compose-test.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT
trap "exit 143" TERM

checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok - $*"; }

# --- docker-compose.yml ------------------------------------------------------

# A clean environment: only the variables under test, an empty env file (so a
# developer's .env cannot leak in) and a HOME of its own.
: >"$work/empty.env"
compose() {
  env -i PATH="$PATH" HOME="$work" "$@"
}
compose_config() {  # VAR=VALUE... -- docker-compose options
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  compose "${vars[@]}" docker-compose -f "$repo/docker-compose.yml" --env-file "$work/empty.env" "$@" config
}

compose_config API_KEY=sk-compose-test-key MODEL_PATH=/models/stories260K.gguf -- \
  >"$work/local.yml" 2>"$work/local.err" || fail "docker-compose config: $(cat "$work/local.err")"
compose_config API_KEY=sk-compose-test-key MODEL_PATH=/models/stories260K.gguf -- --profile gpu \
  >"$work/gpu.yml" 2>"$work/gpu.err" || fail "docker-compose --profile gpu config: $(cat "$work/gpu.err")"
compose_config API_KEY=sk-cloud-key PROVIDER=openai UPSTREAM_URL=https://llm.example/v1 UPSTREAM_MODEL=m1 -- \
  >"$work/cloud.yml" 2>"$work/cloud.err" || fail "docker-compose config (cloud): $(cat "$work/cloud.err")"
compose_config -- >"$work/defaults.yml" 2>"$work/defaults.err" || fail "docker-compose config (defaults): $(cat "$work/defaults.err")"
ok "docker-compose config resolves (plain, --profile gpu, cloud, defaults)"

grep -q 'published: 18789' "$work/local.yml" || fail "no published port 18789 in the resolved file"
grep -q 'target: 18789' "$work/local.yml" || fail "no target port 18789 in the resolved file"
grep -q 'API_KEY: sk-compose-test-key' "$work/local.yml" || fail "API_KEY not taken from the environment"
grep -q '/healthz' "$work/local.yml" || fail "no /healthz health check"
grep -q 'driver: nvidia' "$work/gpu.yml" || fail "no NVIDIA reservation with --profile gpu"
ok "resolved output has the port, the API key, the health check and the NVIDIA reservation"

# The resolved files, checked field by field (python3-yaml comes with docker-compose).
python3 - "$work" "$repo" <<'EOF' || fail "resolved compose file: see above"
import sys, yaml

work, repo = sys.argv[1], sys.argv[2]
def load(name):
    with open(f"{work}/{name}.yml") as f:
        return yaml.safe_load(f)

problems = []
def expect(cond, what):
    if not cond:
        problems.append(what)

def check_service(svc, name, env):
    expect(svc.get("build", {}).get("context") == repo, f"{name}: build context is not the repository")
    ports = [(p.get("published"), p.get("target")) for p in svc.get("ports", [])]
    expect(ports == [(18789, 18789)], f"{name}: ports {ports}, want 18789:18789")
    for key, value in env.items():
        got = svc.get("environment", {}).get(key)
        expect(got == value, f"{name}: {key}={got!r}, want {value!r}")
    volumes = svc.get("volumes", [])
    for want in (f"{repo}/models:/models:ro", f"{repo}/logs:/var/log/clawbot:rw",
                 "clawbot-data:/var/lib/clawbot:rw"):
        expect(want in volumes, f"{name}: volume {want} missing from {volumes}")
    expect(svc.get("restart") == "unless-stopped", f"{name}: restart {svc.get('restart')!r}")
    test = " ".join(svc.get("healthcheck", {}).get("test", []))
    expect("/healthz" in test and "18789" in test, f"{name}: health check {test!r}")

local_env = {"API_KEY": "sk-compose-test-key", "MODEL_PATH": "/models/stories260K.gguf",
             "PROVIDER": "local", "UPSTREAM_URL": "https://api.openai.com/v1",
             "UPSTREAM_MODEL": "gpt-4o-mini"}
for file in ("local", "gpu"):
    doc = load(file)
    services = doc.get("services", {})
    expect(set(services) == {"clawbot", "clawbot-gpu"}, f"{file}: services {sorted(services)}")
    expect("clawbot-data" in (doc.get("volumes") or {}), f"{file}: no named volume clawbot-data")
    check_service(services["clawbot"], f"{file}/clawbot", local_env)
    check_service(services["clawbot-gpu"], f"{file}/clawbot-gpu", local_env)
    plain = services["clawbot"]
    expect(not plain.get("profiles"), f"{file}: the default service must have no profile")
    expect("deploy" not in plain, f"{file}: the default service must not reserve devices")
    gpu = services["clawbot-gpu"]
    expect(gpu.get("profiles") == ["gpu"], f"{file}: clawbot-gpu profiles {gpu.get('profiles')}")
    devices = gpu.get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", [])
    expect(any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devices),
           f"{file}: clawbot-gpu devices {devices}")

check_service(load("cloud")["services"]["clawbot"], "cloud/clawbot",
              {"API_KEY": "sk-cloud-key", "PROVIDER": "openai",
               "UPSTREAM_URL": "https://llm.example/v1", "UPSTREAM_MODEL": "m1"})
check_service(load("defaults")["services"]["clawbot"], "defaults/clawbot",
              {"API_KEY": "", "MODEL_PATH": "/models/model.gguf", "PROVIDER": "local"})

for p in problems:
    print("  " + p)
sys.exit(1 if problems else 0)
EOF
ok "services: port, environment (given and defaults), volumes, restart, health check; gpu only under its profile"

# --- Dockerfile, statically ----------------------------------------------------

dockerfile=$repo/Dockerfile
# One instruction a line: continuation lines joined, comments dropped.
sed -e '/^[[:space:]]*#/d' -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile" >"$work/Dockerfile.flat"
mapfile -t froms < <(grep -iE '^FROM ' "$work/Dockerfile.flat")
[ "${#froms[@]}" = 2 ] || fail "want two FROM stages, got: ${froms[*]}"
[[ "${froms[0]}" =~ ^FROM\ debian:12\ [Aa][Ss]\ ([a-z0-9_-]+)$ ]] || fail "build stage is not 'FROM debian:12 AS name': ${froms[0]}"
build_stage=${BASH_REMATCH[1]}
[ "${froms[1]}" = "FROM debian:12-slim" ] || fail "runtime stage is not debian:12-slim: ${froms[1]}"
build_part=$(sed -n '1,/^FROM debian:12-slim/p' "$work/Dockerfile.flat")
runtime_part=$(sed -n '/^FROM debian:12-slim/,$p' "$work/Dockerfile.flat")
grep -qE '^COPY \. ' <<<"$build_part" || fail "build stage does not copy the repository"
grep -qE '^RUN (\./)?scripts/setup\.sh' <<<"$build_part" || fail "build stage does not run scripts/setup.sh"
grep -qE "^COPY --from=$build_stage /[^ ]*/build/clawbot " <<<"$runtime_part" || fail "runtime stage does not copy build/clawbot"
ok "two stages: debian:12 running scripts/setup.sh, debian:12-slim with the binary"

# Every shared library the binary links must come from a package the runtime
# stage installs (or one debian:12-slim already has).
install_line=$(grep -E '^RUN .*apt-get install' <<<"$runtime_part") || fail "runtime stage installs no packages"
base_packages=" libc6 libstdc++6 libgcc-s1 "
while read -r lib; do
  package=$(dpkg -S "$(realpath "$lib")" 2>/dev/null | head -n 1 | cut -d: -f1) ||
    package=$(dpkg -S "$lib" 2>/dev/null | head -n 1 | cut -d: -f1) || true
  [ -n "$package" ] || fail "no Debian package owns $lib"
  # A sanitizer build (ctest --preset asan) links its runtime; the image is
  # built with the release preset, which does not.
  [[ "$package" =~ ^lib(a|ub|l|t|hwa)san[0-9]+$ ]] && continue
  [[ "$base_packages" == *" $package "* ]] && continue
  [[ " $install_line " == *" $package "* ]] || fail "runtime stage lacks $package (for $lib)"
done < <(ldd "$clawbot_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
[[ "$install_line" == *--no-install-recommends* ]] || fail "runtime apt-get install without --no-install-recommends"
[[ "$install_line" == *"rm -rf /var/lib/apt/lists"* ]] || fail "runtime stage keeps the apt lists"
ok "runtime packages cover every library in ldd of the binary"

user=$(grep -E '^USER ' <<<"$runtime_part" | tail -n 1 | awk '{ print $2 }')
case "${user%%:*}" in
  ""|root|0) fail "runtime stage does not switch to a non-root USER" ;;
esac
grep -qE '^EXPOSE 18789$' <<<"$runtime_part" || fail "no EXPOSE 18789"
grep -qE '^HEALTHCHECK .*/healthz' <<<"$runtime_part" || fail "no HEALTHCHECK on /healthz"
env_line=$(grep -E '^ENV ' <<<"$runtime_part" | tr -s ' ')
for setting in HOST=0.0.0.0 PORT=18789 DATA_DIR=/var/lib/clawbot LOG_FILE=/var/log/clawbot/clawbot.log; do
  [[ " $env_line " == *" $setting "* ]] || fail "ENV lacks $setting"
done
grep -qE '^VOLUME \["/var/lib/clawbot", "/var/log/clawbot"\]$' <<<"$runtime_part" || fail "DATA_DIR and the log directory are not volumes"
grep -qE '^CMD \["serve"\]$' <<<"$runtime_part" || fail "CMD is not serve"
ok "non-root USER $user, EXPOSE 18789, HEALTHCHECK /healthz, HOST=0.0.0.0, data and logs on volumes, serve"

for pattern in build 'build-*' '**/node_modules' bench/out .git '**/*.gguf'; do
  grep -qxF -- "$pattern" "$repo/.dockerignore" || fail ".dockerignore lacks $pattern"
done
ok ".dockerignore keeps build dirs, node_modules, bench/out, .git and models out of the context"

# --- ENTRYPOINT and HEALTHCHECK, run here against the real binary ------------

# Writes the JSON array of instruction $1 as NUL-separated words.
json_words() {
  python3 -c '
import json, re, sys
name, path = sys.argv[1], sys.argv[2]
for line in open(path):
    m = re.match(name + r"\s+(?:--\S+\s+)*(?:CMD\s+)?(\[.*\])\s*$", line)
    if m:
        words = json.loads(m.group(1))
print("\0".join(words), end="")
' "$1" "$work/Dockerfile.flat"
}
mapfile -d '' -t entrypoint < <(json_words ENTRYPOINT)
mapfile -d '' -t healthcheck < <(json_words HEALTHCHECK)
[ "${#entrypoint[@]}" -ge 3 ] || fail "cannot read ENTRYPOINT"
[ "${#healthcheck[@]}" -ge 1 ] || fail "cannot read HEALTHCHECK"

mkdir -p "$work/bin" "$work/data" "$work/logs"
ln -s "$clawbot_bin" "$work/bin/clawbot"
# The image's environment, but loopback and a free port.
container_env=(PATH="$work/bin:/usr/bin:/bin" HOME="$work" LANG=C.UTF-8 HOST=127.0.0.1 PORT=0
  DATA_DIR="$work/data" LOG_FILE="$work/logs/clawbot.log" MODEL_PATH="$model")

run_entrypoint() {  # LOG EXTRA_ENV...: starts `ENTRYPOINT serve`; sets $server_pid, $port
  local log=$1; shift
  : >"$log"  # exists before the server opens it, so the wait below can read it
  env -i "${container_env[@]}" "$@" "${entrypoint[@]}" serve >"$log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 1 150); do
    port=$(sed -n 's|^clawbot: listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$log")
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  fail "the entrypoint did not start the server: $(cat "$log")"
}
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}
healthcheck_passes() {  # PORT
  env -i PATH=/usr/bin:/bin PORT="$1" timeout 10 "${healthcheck[@]}" >/dev/null 2>&1
}

healthcheck_passes 1 && fail "the health check passes with no server"
run_entrypoint "$work/first.log"
[ "$(grep -cE '^  cb_[A-Za-z0-9_-]+$' "$work/first.log")" = 1 ] || fail "first start printed no token: $(cat "$work/first.log")"
healthcheck_passes "$port" || fail "the HEALTHCHECK command fails against the running server"
compose_health=$(python3 -c 'import sys, yaml; print("\0".join(yaml.safe_load(open(sys.argv[1]))["services"]["clawbot"]["healthcheck"]["test"][1:]), end="")' "$work/local.yml" |
  sed "s|/18789 |/$port |" | tr '\0' '\n')
mapfile -t compose_health_words <<<"$compose_health"
timeout 10 "${compose_health_words[@]}" || fail "the compose health check fails against the running server"
[ -s "$work/logs/clawbot.log" ] || fail "no request log in LOG_FILE"
stop_server
ok "ENTRYPOINT serves and prints a first token once; both health checks pass only with a server"

run_entrypoint "$work/second.log"
grep -q 'cb_' "$work/second.log" && fail "second start printed another token"
stop_server
ok "second start keeps the token"

run_entrypoint "$work/readonly-logs.log" LOG_FILE=/nonexistent-dir/clawbot.log
grep -q 'not writable' "$work/readonly-logs.log" || fail "no warning for an unwritable log directory"
healthcheck_passes "$port" || fail "server with logs on stderr is not healthy"
stop_server
ok "an unwritable log directory falls back to stderr with a warning"

echo "PASS: $checks checks"
