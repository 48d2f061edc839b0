#!/usr/bin/env bash
# deploy/upgrade.sh and deploy/rollback.sh in process mode, under steady
# streaming load: v1 serves, upgrade.sh hands the port to v2; failed upgrades
# (a binary that does not run, one that dies when serving, one that never
# listens, a stale pid file) leave v2 serving; upgrade.sh to v2 again
# restarts it; rollback.sh hands the port back to v1. Three `clawbot loadtest`
# loops (a new connection per request) stream the whole time; every request
# must complete without an error, and the old instance of each handover must
# have had replies in flight, finished them and stopped within its drain.
#
# Usage: upgrade_test.sh CLAWBOT_BINARY [SHARED_DIR]
set -euo pipefail

BIN=$(realpath -e -- "${1:?usage: upgrade_test.sh CLAWBOT_BINARY [SHARED_DIR]}")
HERE=$(dirname -- "$(readlink -f -- "$0")")
ROOT=$(realpath -- "$HERE/../..")
SHARED=$(realpath -e -- "${2:-$ROOT/../shared}")
MODEL=$SHARED/models/stories260K.gguf
UPGRADE=$ROOT/deploy/upgrade.sh
ROLLBACK=$ROOT/deploy/rollback.sh
# hv_alive, hv_listens_on, hv_connections_on, hv_service_properties
# shellcheck source-path=SCRIPTDIR source=../../deploy/lib/handover.sh
source "$ROOT/deploy/lib/handover.sh"

LOAD_LOOPS=3
USERS_PER_LOOP=4
TURNS=2
MAX_TOKENS=128

WORK=$(mktemp -d "${TMPDIR:-/tmp}/clawbot-upgrade-test.XXXXXX")
PREFIX=$WORK/prefix
HV_PREFIX=$PREFIX  # for hv_previous_release
PID_FILE=$WORK/clawbot.pid
LOG_DIR=$WORK/log
CONFIG=$WORK/config.env
STARTED=$SECONDS
# upgrade.sh sets it (for the network namespace); put it back afterwards.
MIGRATE_REQ=/proc/sys/net/ipv4/tcp_migrate_req
MIGRATE_REQ_BEFORE=$(cat "$MIGRATE_REQ" 2>/dev/null || true)
V1_PID=
LOAD_PIDS=()
SEEN_PIDS=()

cleanup() {
    local status=$? pid
    set +e
    touch "$WORK/stop-load"
    for pid in "${LOAD_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; done
    [[ -s $PID_FILE ]] && SEEN_PIDS+=("$(cat "$PID_FILE")")
    for pid in "${SEEN_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    wait 2>/dev/null
    [[ -n $MIGRATE_REQ_BEFORE ]] && echo "$MIGRATE_REQ_BEFORE" >"$MIGRATE_REQ" 2>/dev/null
    if ((status != 0)); then
        echo "--- upgrade_test failed after $((SECONDS - STARTED))s; logs:" >&2
        for f in "$WORK"/*.log "$LOG_DIR"/*.log "$WORK"/load-*; do
            [[ -f $f ]] || continue
            echo "--- $f" >&2
            tail -n 25 "$f" >&2
        done
    fi
    if [[ -n ${KEEP_WORK:-} ]]; then echo "kept $WORK" >&2; else rm -rf -- "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() { echo "[$((SECONDS - STARTED))s] $*"; }

wait_until() {  # SECONDS COMMAND...: polls the command every 0.1 s
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

free_port() {  # below the ephemeral range, so no client socket takes it meanwhile
    local port i
    for ((i = 0; i < 100; i++)); do
        port=$((20000 + RANDOM % 12000))
        if [[ -z $(ss -Htan "sport = :$port" 2>/dev/null) ]]; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

serving_pid() { cat "$PID_FILE"; }
exe_of() { readlink "/proc/$1/exe"; }

# The binary a pid runs, as a release of PREFIX, and its content.
expect_serving() {  # PID SHA12 WHAT
    local pid=$1 sha=$2 what=$3 exe
    hv_alive "$pid" || fail "$what (pid $pid) is not running"
    hv_listens_on "$pid" "$PORT" || fail "$what (pid $pid) does not listen on port $PORT"
    exe=$(exe_of "$pid")
    [[ $exe == "$PREFIX"/releases/*/clawbot ]] || fail "$what runs $exe, not a release under $PREFIX"
    [[ $(hv_sha12 "$exe") == "$sha" ]] || fail "$what runs $exe, which is not the expected binary"
    [[ $(readlink -f "$PREFIX/bin/clawbot") == "$exe" ]] || fail "$PREFIX/bin/clawbot does not point at $exe"
}

# The old instance of a handover drained and stopped in time ("stopped", not
# "stopped (drain timed out)"). Counts the chat replies that were streaming
# when it began to drain and ran to their end after (a request is logged when
# its reply ends). How many there are at one handover is chance (the new
# instance shares the port for a moment, and the engine's batches make the
# users' requests start and end together), so the test asserts on the total.
FINISHED_DURING_DRAINS=0
expect_drained() {  # LOG WHAT
    local log=$1 what=$2 finished
    grep -q '"message":"draining"' "$log" || fail "$what never started draining ($log)"
    grep -q '"message":"stopped"' "$log" || fail "$what did not finish its drain in time ($log)"
    finished=$(sed -n '/"message":"draining"/,$p' "$log" | grep '"route":"/v1/chat/completions"' |
        grep -c '"status":200' || true)
    FINISHED_DURING_DRAINS=$((FINISHED_DURING_DRAINS + finished))
    echo "$what: $finished streamed replies finished during its drain"
}

handover_options() {
    printf '%s\n' --pid-file "$PID_FILE" --config "$CONFIG" --prefix "$PREFIX" --log-dir "$LOG_DIR" --ready-timeout 30
}

# ---------------------------------------------------------------------------
step "setting up in $WORK"
mapfile -t OPTS < <(handover_options)
mkdir -p "$PREFIX/bin" "$LOG_DIR" "$WORK/v2" "$WORK/fake"
cp "$BIN" "$PREFIX/bin/clawbot"  # installed as deploy/init_service.sh does
V1_SHA=$(hv_sha12 "$PREFIX/bin/clawbot")
cp "$BIN" "$WORK/v2/clawbot"
printf 'v2' >>"$WORK/v2/clawbot"  # runs the same, but another file with another hash
V2_SHA=$(hv_sha12 "$WORK/v2/clawbot")

PORT=$(free_port) || fail "no free port"
"$BIN" init --config "$CONFIG" --data-dir "$WORK/data" >"$WORK/init.out"
TOKEN=$(sed -n '/shown only this once/{n;p;}' "$WORK/init.out" | tr -d '[:space:]')
[[ -n $TOKEN ]] || fail "no token in the output of clawbot init"
cat >>"$CONFIG" <<EOF
PORT=$PORT
MODEL_PATH=$MODEL
REUSE_PORT=1
THREADS=1
DRAIN_TIMEOUT_S=20
EOF

step "starting v1 on port $PORT"
# Its own session, as a daemon would be; still this shell's child, so its
# exit status can be collected.
setsid "$PREFIX/bin/clawbot" serve --config "$CONFIG" </dev/null >"$WORK/v1.log" 2>&1 &
V1_PID=$!
SEEN_PIDS+=("$V1_PID")
echo "$V1_PID" >"$PID_FILE"
wait_until 30 hv_listens_on "$V1_PID" "$PORT" || fail "v1 did not start listening"

# The steady load: loops of `clawbot loadtest`, each run one JSON line.
load_loop() {
    local n=$1
    while [[ ! -e $WORK/stop-load ]]; do
        if ! "$BIN" loadtest --url "http://127.0.0.1:$PORT" --token "$TOKEN" --users "$USERS_PER_LOOP" \
            --turns "$TURNS" --max-tokens "$MAX_TOKENS" --seed "$RANDOM" --timeout-s 60 --json \
            >>"$WORK/load-$n.jsonl" 2>>"$WORK/load-$n.err"; then
            echo '{"loadtest_failed":true}' >>"$WORK/load-$n.jsonl"
        fi
    done
}
export -f load_loop
export WORK BIN PORT TOKEN USERS_PER_LOOP TURNS MAX_TOKENS
for ((n = 1; n <= LOAD_LOOPS; n++)); do
    setsid bash -c "load_loop $n" </dev/null &  # its own process group, for the cleanup
    LOAD_PIDS+=($!)
    sleep 0.3  # staggered, so that the loops' pauses between runs do not coincide
done
runs_done() {
    local f
    for f in "$WORK"/load-*.jsonl; do [[ -s $f ]] || return 1; done
}
several_connections() { (($(hv_connections_on "$1" "$PORT") >= 2)); }
wait_until 30 runs_done || fail "the load never got going"
wait_until 20 several_connections "$V1_PID" || fail "the load never reached v1"
step "load running: $LOAD_LOOPS loops of $USERS_PER_LOOP streaming users"

# ---------------------------------------------------------------------------
step "upgrade to v2 under load"
"$UPGRADE" "${OPTS[@]}" "$WORK/v2/clawbot" 2>"$WORK/upgrade.log" || fail "upgrade.sh failed"
cat "$WORK/upgrade.log"
V2_PID=$(serving_pid)
SEEN_PIDS+=("$V2_PID")
[[ $V2_PID != "$V1_PID" ]] || fail "the pid file still names v1"
expect_serving "$V2_PID" "$V2_SHA" "v2"
hv_alive "$V1_PID" && fail "v1 still runs after the upgrade"
V1_STATUS=0
wait "$V1_PID" || V1_STATUS=$?
((V1_STATUS == 0)) || fail "v1 exited with status $V1_STATUS"
expect_drained "$WORK/v1.log" "v1"
grep -q 'tcp_migrate_req' "$WORK/upgrade.log" || fail "upgrade.sh said nothing of tcp_migrate_req"
if [[ -w $MIGRATE_REQ && $(cat "$MIGRATE_REQ") != 1 ]]; then fail "upgrade.sh did not set tcp_migrate_req"; fi
[[ -n $(hv_previous_release) ]] || fail "no previous release recorded"

wait_until 20 several_connections "$V2_PID" || fail "the load never reached v2"

# ---------------------------------------------------------------------------
step "failed upgrades leave v2 serving"
printf '#!/bin/sh\nexit 1\n' >"$WORK/fake/broken"
cat >"$WORK/fake/dies" <<'EOF'
#!/bin/sh
[ "$1" = --version ] && { echo "clawbot 9.9 (fake)"; exit 0; }
echo "fake: cannot serve" >&2
exit 1
EOF
cat >"$WORK/fake/hangs" <<'EOF'
#!/bin/sh
[ "$1" = --version ] && { echo "clawbot 9.9 (fake)"; exit 0; }
exec sleep 300
EOF
chmod +x "$WORK/fake/broken" "$WORK/fake/dies" "$WORK/fake/hangs"
releases_before=$(ls "$PREFIX/releases")
for fake in broken dies hangs; do
    status=0
    "$UPGRADE" "${OPTS[@]}" --ready-timeout 3 "$WORK/fake/$fake" 2>"$WORK/upgrade-$fake.log" || status=$?
    ((status != 0)) || fail "upgrade.sh to a binary that $fake succeeded"
    case $fake in
        broken) grep -q 'does not run' "$WORK/upgrade-$fake.log" || fail "no clear refusal for $fake" ;;
        dies) grep -q 'exited before it listened' "$WORK/upgrade-$fake.log" || fail "no clear error for $fake" ;;
        hangs) grep -q 'did not listen on port' "$WORK/upgrade-$fake.log" || fail "no clear error for $fake" ;;
    esac
    grep -q 'error:' "$WORK/upgrade-$fake.log" || fail "upgrade.sh printed no error for $fake"
    [[ $(serving_pid) == "$V2_PID" ]] || fail "a failed upgrade ($fake) rewrote the pid file"
    expect_serving "$V2_PID" "$V2_SHA" "v2 after a failed upgrade ($fake)"
done
# A stale pid file naming some other process: refused, and nothing signalled.
sleep 300 &
stale=$!
SEEN_PIDS+=("$stale")
echo "$stale" >"$WORK/stale.pid"
status=0
"$UPGRADE" --pid-file "$WORK/stale.pid" --config "$CONFIG" --prefix "$PREFIX" --log-dir "$LOG_DIR" \
    "$PREFIX/releases/$(hv_previous_release)/clawbot" 2>"$WORK/upgrade-stale.log" || status=$?
if ((status == 0)) || ! grep -q 'does not listen on port' "$WORK/upgrade-stale.log"; then
    fail "upgrade.sh with a stale pid file did not refuse"
fi
hv_alive "$stale" || fail "upgrade.sh signalled the process of a stale pid file"
kill "$stale"
for log in "$LOG_DIR"/clawbot-*.log; do
    pid=${log##*/clawbot-}
    pid=${pid%.log}
    [[ $pid == "$V2_PID" ]] || ! hv_alive "$pid" || fail "a failed new instance (pid $pid) still runs"
done
[[ $(ls "$PREFIX/releases") == "$releases_before" ]] || fail "failed upgrades left releases behind"
cat "$WORK/upgrade-dies.log" "$WORK/upgrade-hangs.log"

status=0
"$ROLLBACK" --pid-file "$PID_FILE" --prefix "$WORK/empty-prefix" 2>"$WORK/rollback-none.log" || status=$?
if ((status == 0)) || ! grep -q 'no previous release' "$WORK/rollback-none.log"; then
    fail "rollback.sh without a previous release did not refuse clearly"
fi

# ---------------------------------------------------------------------------
step "upgrade to the same v2 under load: a restart (to apply a config change)"
previous_before=$(hv_previous_release)
"$UPGRADE" "${OPTS[@]}" "$WORK/v2/clawbot" 2>"$WORK/restart.log" || fail "upgrade.sh to the same binary failed"
cat "$WORK/restart.log"
V2B_PID=$(serving_pid)
SEEN_PIDS+=("$V2B_PID")
[[ $V2B_PID != "$V2_PID" ]] || fail "the pid file still names the v2 that was restarted"
expect_serving "$V2B_PID" "$V2_SHA" "v2 after its restart"
hv_alive "$V2_PID" && fail "the first v2 still runs after the restart"
expect_drained "$LOG_DIR/clawbot-$V2_PID.log" "v2 (restarted)"
[[ $(hv_previous_release) == "$previous_before" ]] || fail "a restart changed the release to roll back to"
V2_PID=$V2B_PID
wait_until 20 several_connections "$V2_PID" || fail "the load never reached the restarted v2"

# ---------------------------------------------------------------------------
step "rollback to v1 under load"
"$ROLLBACK" "${OPTS[@]}" 2>"$WORK/rollback.log" || fail "rollback.sh failed"
cat "$WORK/rollback.log"
V3_PID=$(serving_pid)
SEEN_PIDS+=("$V3_PID")
[[ $V3_PID != "$V2_PID" ]] || fail "the pid file still names v2"
expect_serving "$V3_PID" "$V1_SHA" "v1 after the rollback"
hv_alive "$V2_PID" && fail "v2 still runs after the rollback"
expect_drained "$LOG_DIR/clawbot-$V2_PID.log" "v2"
wait_until 20 several_connections "$V3_PID" || fail "the load never reached v1 after the rollback"

# ---------------------------------------------------------------------------
step "stopping the load"
touch "$WORK/stop-load"
for pid in "${LOAD_PIDS[@]}"; do wait "$pid" || fail "a load loop failed"; done
LOAD_PIDS=()
runs=0
requests=0
for f in "$WORK"/load-*.jsonl; do
    while IFS= read -r line; do
        runs=$((runs + 1))
        [[ $line == *'"errors":{}'* ]] || fail "a loadtest run had errors: $line"
        [[ $line == *"\"requests\":$((USERS_PER_LOOP * TURNS)),"* ]] ||
            fail "a loadtest run did not complete every request: $line"
        requests=$((requests + USERS_PER_LOOP * TURNS))
    done <"$f"
done
((runs >= 2 * LOAD_LOOPS)) || fail "only $runs loadtest runs"
((FINISHED_DURING_DRAINS > 0)) || fail "no reply was in flight at any handover: the test proved nothing"
step "ok: $requests streamed requests in $runs loadtest runs, none failed;" \
    "$FINISHED_DURING_DRAINS were in flight at a handover and finished"

# The transient unit of systemd mode gets the unit's settings, minus how
# it starts and restarts.
hv_service_properties <<'EOF'
[Unit]
Description=x
[Service]
Type=exec
User=clawbot
ExecStart=/opt/clawbot/bin/clawbot serve --config /etc/clawbot/config.env
Restart=on-failure
# a comment
NoNewPrivileges=yes
ReadWritePaths=/var/lib/clawbot /var/log/clawbot
[Install]
WantedBy=multi-user.target
EOF
expected=(-p User=clawbot -p NoNewPrivileges=yes -p "ReadWritePaths=/var/lib/clawbot /var/log/clawbot")
[[ "${HV_UNIT_PROPS[*]}" == "${expected[*]}" && ${#HV_UNIT_PROPS[@]} == "${#expected[@]}" ]] ||
    fail "systemd properties: ${HV_UNIT_PROPS[*]}"
[[ "${HV_EXEC_ARGS[*]}" == "serve --config /etc/clawbot/config.env" ]] || fail "ExecStart arguments: ${HV_EXEC_ARGS[*]}"
step "passed in $((SECONDS - STARTED))s"
