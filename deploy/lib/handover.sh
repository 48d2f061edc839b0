# shellcheck shell=bash
# Zero-drop handover of the clawbot port from a running instance to another
# binary: what deploy/upgrade.sh and deploy/rollback.sh share. Sourced, never
# run; the caller has `set -euo pipefail`.
#
# How no user is dropped:
#   1. The new process starts beside the old one on the same port: both set
#      SO_REUSEPORT (REUSE_PORT=1), so the kernel spreads new connections
#      over both listeners while the old one keeps serving.
#   2. It is ready when that very pid owns a listening socket on the port
#      (a probe of /readyz over the shared port could be answered by the old
#      process). The service loads its model and opens its store before it
#      listens, so listening means ready.
#   3. The old process gets SIGTERM and drains: it closes its listening
#      socket first (from then on every new connection goes to the new
#      process; with net.ipv4.tcp_migrate_req=1 the kernel also moves the
#      ones still queued in the old backlog instead of resetting them), lets
#      every reply in flight, SSE streams included, run to its end, closes
#      idle keep-alive connections, and exits 0.
# A new process that does not become ready is stopped again and the old one
# never notices: a failed upgrade drops nothing.
#
# The one request a handover can lose: the old process closes idle keep-alive
# connections when it begins to drain, and a client that sends a request on
# such a connection at that very instant finds it closed. Browsers and most
# HTTP clients retry idempotent requests on a reused connection that closes;
# a POST may fail. Clients that open a connection per request (as
# `clawbot loadtest` does, and nginx without upstream keepalive), and every
# request already received, are never affected.
#
# Releases: PREFIX/releases/<UTC time>-<sha256 prefix>/clawbot, with
# PREFIX/bin/clawbot a relative symlink to the current one and
# PREFIX/releases/previous a symlink to the release to roll back to.
#
# Two ways to run the service:
#   systemd (default): the unit clawbot-service.service. Its port is handed
#     to a transient unit (clawbot-upgrade.service: the new binary with the
#     unit's own [Service] settings, hardening included), the unit is
#     restarted on the new binary beside it, and the transient unit is
#     drained in turn. Two handovers, each as above.
#   process (--pid-file FILE): a plain background process, for hosts without
#     systemd and for the tests. One handover; the pid file is rewritten.

HV_PROG=${HV_PROG:-handover}

# Settings, from hv_parse_args.
HV_PREFIX=/opt/clawbot
HV_PID_FILE=
HV_UNIT=clawbot-service.service
HV_TRANSIENT_UNIT=clawbot-upgrade.service
HV_CONFIG=/etc/clawbot/config.env
HV_LOG_DIR=
HV_PORT=
HV_READY_TIMEOUT=120
HV_DRAIN_TIMEOUT=
HV_KEEP=5
HV_SERVE_ARGS=()
HV_BINARY=

# State of a handover in progress, for the interrupt trap.
HV_NEW_PID=
HV_NEW_LOG=
HV_COMMITTED=0
HV_ADDED_RELEASE=  # removed again if the handover fails

hv_log() { printf '%s: %s\n' "$HV_PROG" "$*" >&2; }
hv_warn() { printf '%s: WARNING: %s\n' "$HV_PROG" "$*" >&2; }
hv_die() {
    printf '%s: error: %s\n' "$HV_PROG" "$*" >&2
    exit 1
}

hv_usage_options() {
    cat <<'EOF'
Options:
  --prefix DIR          install prefix holding bin/ and releases/ (default /opt/clawbot)
  --pid-file FILE       process mode: FILE holds the running instance's pid; the
                        new instance is started in the background and FILE rewritten.
                        Without it: systemd mode.
  --config FILE         process mode: config file passed to `clawbot serve --config`
                        (default /etc/clawbot/config.env)
  --log-dir DIR         process mode: each instance writes its stdout/stderr to
                        DIR/clawbot-PID.log (default PREFIX/log)
  --unit NAME           systemd mode: the service unit (default clawbot-service.service)
  --port N              the port handed over (default: the one the running
                        instance listens on, else PORT in the config, else 18789)
  --ready-timeout S     seconds the new instance has to start listening (default 120)
  --drain-timeout S     seconds to wait for the old instance to drain, as set by its
                        DRAIN_TIMEOUT_S (default: from the environment or config,
                        else 30); 15 s more and it is killed
  --keep N              releases kept in PREFIX/releases (default 5)
  -- ARGS...            process mode: more arguments for `clawbot serve`
  -h, --help            this help
EOF
}

# Parses the shared options; the first non-option word (if `takes_binary`)
# is the binary. Sets the HV_* settings.
hv_parse_args() {
    local takes_binary=$1
    shift
    while (($#)); do
        case $1 in
            --prefix) HV_PREFIX=${2:?--prefix needs a value}; shift 2 ;;
            --pid-file) HV_PID_FILE=${2:?--pid-file needs a value}; shift 2 ;;
            --config) HV_CONFIG=${2:?--config needs a value}; shift 2 ;;
            --log-dir) HV_LOG_DIR=${2:?--log-dir needs a value}; shift 2 ;;
            --unit) HV_UNIT=${2:?--unit needs a value}; shift 2 ;;
            --port) HV_PORT=${2:?--port needs a value}; shift 2 ;;
            --ready-timeout) HV_READY_TIMEOUT=${2:?--ready-timeout needs a value}; shift 2 ;;
            --drain-timeout) HV_DRAIN_TIMEOUT=${2:?--drain-timeout needs a value}; shift 2 ;;
            --keep) HV_KEEP=${2:?--keep needs a value}; shift 2 ;;
            --) shift; HV_SERVE_ARGS=("$@"); break ;;
            -*) hv_die "unknown option $1 (see --help)" ;;
            *)
                [[ $takes_binary == yes && -z $HV_BINARY ]] || hv_die "unexpected argument $1 (see --help)"
                HV_BINARY=$1
                shift
                ;;
        esac
    done
    [[ $takes_binary == no || -n $HV_BINARY ]] || hv_die "which binary? (see --help)"
    [[ $HV_PORT =~ ^[0-9]*$ && $HV_READY_TIMEOUT =~ ^[0-9]+$ && $HV_KEEP =~ ^[0-9]+$ ]] ||
        hv_die "--port, --ready-timeout and --keep take whole numbers"
    [[ $HV_DRAIN_TIMEOUT =~ ^[0-9]*$ ]] || hv_die "--drain-timeout takes a whole number"
    ((HV_KEEP >= 2)) || hv_die "--keep must be at least 2 (the current and the previous release)"
    HV_PREFIX=$(realpath -m -- "$HV_PREFIX")
    [[ -n $HV_LOG_DIR ]] || HV_LOG_DIR=$HV_PREFIX/log
    HV_LOG_DIR=$(realpath -m -- "$HV_LOG_DIR")
    HV_CONFIG=$(realpath -m -- "$HV_CONFIG")
    [[ -z $HV_PID_FILE ]] || HV_PID_FILE=$(realpath -m -- "$HV_PID_FILE")
    if [[ -z $HV_PID_FILE && ! -d /run/systemd/system ]]; then
        hv_die "systemd is not running here: run the service as a process and pass --pid-file FILE"
    fi
    if ((${#HV_SERVE_ARGS[@]})) && [[ -z $HV_PID_FILE ]]; then
        hv_die "arguments after -- are for process mode (--pid-file); systemd mode takes them from the unit"
    fi
}

# A value of KEY from the config file, if readable and set ("" otherwise).
hv_config_value() {
    local key=$1 file=${2:-$HV_CONFIG}
    [[ -r $file ]] || return 0
    sed -n "s/^[[:space:]]*${key}[[:space:]]*=[[:space:]]*//p" "$file" | tail -n 1 | tr -d '"'"'"
}

# ---------------------------------------------------------------------------
# Processes and sockets, read from /proc (no dependency on ss or lsof).

# True while PID runs (a zombie, exited but not yet reaped, does not count).
hv_alive() {
    local pid=$1 stat
    [[ -n $pid ]] && stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# Inodes of the sockets PID holds, space-separated ("" when it is gone).
# Never fails: a process may exit, or close a descriptor, while it is read.
hv_socket_inodes() {
    { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' -printf '%l\n' 2>/dev/null || true; } |
        sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' '
}

# TCP sockets PID holds, as "STATE PORT" lines (state in hex as in
# /proc/net/tcp: 0A listening, 01 established; port in decimal). Never fails.
hv_tcp_sockets() {
    local pid=$1 inodes table
    local -a tables=()
    inodes=$(hv_socket_inodes "$pid")
    [[ -n ${inodes// /} ]] || return 0
    for table in "/proc/$pid/net/tcp" "/proc/$pid/net/tcp6"; do
        [[ -r $table ]] && tables+=("$table")
    done
    ((${#tables[@]})) || return 0
    awk -v inodes="$inodes" '
        function hex(s,   v, i) {
            v = 0
            s = toupper(s)
            for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1
            return v
        }
        BEGIN { n = split(inodes, list, " "); for (i = 1; i <= n; i++) mine[list[i]] = 1 }
        FNR > 1 && ($10 in mine) { k = split($2, address, ":"); printf "%s %d\n", $4, hex(address[k]) }
    ' "${tables[@]}" 2>/dev/null || true
}

hv_listens_on() {  # PID PORT
    local sockets
    sockets=$(hv_tcp_sockets "$1")
    [[ $'\n'$sockets$'\n' == *$'\n'"0A $2"$'\n'* ]]
}

hv_listening_ports() {  # PID
    hv_tcp_sockets "$1" | awk '$1 == "0A" { print $2 }' | sort -un
}

hv_connections_on() {  # PID PORT: established connections to the port
    hv_tcp_sockets "$1" | awk -v port="$2" '$1 == "01" && $2 == port { n++ } END { print n + 0 }'
}

# Waits until PID listens on PORT. On failure says why (with the end of its
# log, if any) and returns 1; the caller stops it.
hv_wait_ready() {
    local pid=$1 port=$2 timeout=$3 log=${4:-}
    local deadline=$((SECONDS + timeout))
    while ! hv_listens_on "$pid" "$port"; do
        if ! hv_alive "$pid"; then
            hv_log "the new instance (pid $pid) exited before it listened on port $port"
            hv_show_log_tail "$log"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            hv_log "the new instance (pid $pid) did not listen on port $port within ${timeout}s"
            hv_show_log_tail "$log"
            return 1
        fi
        sleep 0.1
    done
}

hv_show_log_tail() {
    local log=$1
    [[ -n $log && -s $log ]] || return 0
    hv_log "last lines of $log:"
    tail -n 15 "$log" | sed 's/^/    /' >&2
    if grep -q 'Address already in use' "$log"; then
        hv_log "hint: the running instance must have been started with REUSE_PORT=1 (and as the same user) to share its port"
    fi
}

# Waits until PID has exited; false after TIMEOUT seconds.
hv_wait_exit() {
    local pid=$1 timeout=$2
    local deadline=$((SECONDS + timeout))
    while hv_alive "$pid"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# SIGTERM (the service drains), then SIGKILL if it outlives `timeout`.
hv_stop_pid() {
    local pid=$1 timeout=$2
    hv_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    hv_wait_exit "$pid" "$timeout" && return 0
    hv_warn "pid $pid still runs ${timeout}s after SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    hv_wait_exit "$pid" 5 || true
    return 1
}

# Lets the kernel move connections queued in a closing listener's backlog to
# another listener of its SO_REUSEPORT group, instead of resetting them.
# Linux >= 5.14; per network namespace; root only.
hv_enable_migrate_req() {
    local knob=/proc/sys/net/ipv4/tcp_migrate_req
    if [[ ! -e $knob ]]; then
        hv_warn "this kernel has no net.ipv4.tcp_migrate_req (Linux >= 5.14): connections queued in the old" \
            "instance's backlog at the instant it stops listening may be reset"
        return 0
    fi
    if [[ $(cat "$knob") == 1 ]]; then
        hv_log "net.ipv4.tcp_migrate_req is 1: connections queued in the old instance's backlog move to the new one"
    elif { echo 1 >"$knob"; } 2>/dev/null; then
        hv_log "set net.ipv4.tcp_migrate_req=1 (queued connections move to the new instance;" \
            "add it to /etc/sysctl.d to keep it across reboots)"
    else
        hv_warn "cannot set net.ipv4.tcp_migrate_req=1 (not root?): connections queued in the old" \
            "instance's backlog at the instant it stops listening may be reset"
    fi
}

# ---------------------------------------------------------------------------
# Releases.

hv_sha12() { sha256sum -- "$1" | cut -c1-12; }

# The binary must run: `--version` answers within 10 seconds.
hv_check_binary() {
    local bin=$1 out
    [[ -f $bin ]] || hv_die "$bin: no such file"
    [[ -x $bin ]] || hv_die "$bin is not executable"
    if ! out=$(timeout 10 "$bin" --version 2>&1 </dev/null); then
        hv_die "$bin does not run ('$bin --version' failed: ${out:-no output}); nothing was changed"
    fi
    hv_log "binary $bin: ${out%%$'\n'*}"
}

hv_current_release() {  # the release id PREFIX/bin/clawbot points to, or ""
    local link
    link=$(readlink -- "$HV_PREFIX/bin/clawbot" 2>/dev/null) || return 0
    [[ $link == ../releases/*/clawbot ]] || return 0
    link=${link#../releases/}
    printf '%s\n' "${link%/clawbot}"
}

hv_previous_release() {
    local id
    id=$(readlink -- "$HV_PREFIX/releases/previous" 2>/dev/null) || return 0
    [[ -x $HV_PREFIX/releases/$id/clawbot ]] && printf '%s\n' "$id"
    return 0
}

# Copies a binary in as a new release; prints its id.
hv_add_release() {
    local bin=$1 stamp=${2:-}
    local id
    [[ -n $stamp ]] || stamp=$(date -u +%Y%m%dT%H%M%SZ)
    id=$stamp-$(hv_sha12 "$bin")
    if [[ ! -x $HV_PREFIX/releases/$id/clawbot ]]; then
        mkdir -p -- "$HV_PREFIX/releases/$id"
        cp -- "$bin" "$HV_PREFIX/releases/$id/.clawbot.tmp"
        chmod 0755 -- "$HV_PREFIX/releases/$id/.clawbot.tmp"
        mv -f -- "$HV_PREFIX/releases/$id/.clawbot.tmp" "$HV_PREFIX/releases/$id/clawbot"
    fi
    printf '%s\n' "$id"
}

# Points `link` at `target` atomically (rename over the old link or file).
hv_atomic_symlink() {
    local target=$1 link=$2
    ln -sfn -- "$target" "$link.tmp"
    mv -fT -- "$link.tmp" "$link"
}

hv_set_current() { hv_atomic_symlink "../releases/$1/clawbot" "$HV_PREFIX/bin/clawbot"; }
hv_set_previous() { hv_atomic_symlink "$1" "$HV_PREFIX/releases/previous"; }

# Before the first upgrade PREFIX/bin/clawbot is the installed file itself:
# it becomes the first release, so that there is something to roll back to.
# With no PREFIX/bin/clawbot at all, the running binary is taken (`running_pid`).
hv_adopt_installed_binary() {
    local running_pid=$1 bin=$HV_PREFIX/bin/clawbot id source
    [[ -n $(hv_current_release) ]] && return 0
    mkdir -p -- "$HV_PREFIX/bin" "$HV_PREFIX/releases"
    if [[ -f $bin && ! -L $bin ]]; then
        source=$bin
    elif [[ -n $running_pid ]] && hv_alive "$running_pid" && [[ -r /proc/$running_pid/exe ]]; then
        source=/proc/$running_pid/exe
    else
        return 0
    fi
    id=$(hv_add_release "$source" "$(date -u -r "$source" +%Y%m%dT%H%M%SZ 2>/dev/null || date -u +%Y%m%dT%H%M%SZ)")
    hv_set_current "$id"
    hv_log "kept the installed binary as release $id"
}

# Keeps the newest `HV_KEEP` releases, and always the current and previous.
hv_prune_releases() {
    local current previous id
    current=$(hv_current_release)
    previous=$(hv_previous_release)
    local -a ids=()
    while IFS= read -r id; do ids+=("$id"); done < <(
        find "$HV_PREFIX/releases" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -r)
    local kept=0
    for id in "${ids[@]}"; do
        if [[ $id == "$current" || $id == "$previous" ]] || ((kept < HV_KEEP)); then
            kept=$((kept + 1))
            continue
        fi
        rm -rf -- "${HV_PREFIX:?}/releases/$id"
    done
}

# One upgrade or rollback at a time.
hv_lock() {
    mkdir -p -- "$HV_PREFIX"
    exec 9>"$HV_PREFIX/.handover.lock"
    flock -n 9 || hv_die "another upgrade or rollback is running (lock $HV_PREFIX/.handover.lock)"
}

# ---------------------------------------------------------------------------
# Process mode.

hv_read_pid_file() {
    local pid=
    if [[ -r $HV_PID_FILE ]]; then read -r pid <"$HV_PID_FILE" || true; fi
    [[ $pid =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
    return 0
}

hv_write_pid_file() {
    printf '%s\n' "$1" >"$HV_PID_FILE.tmp"
    mv -f -- "$HV_PID_FILE.tmp" "$HV_PID_FILE"
}

# Starts `bin serve` in the background, in its own session, as the user the
# old instance runs as (SO_REUSEPORT shares a port only within one user), with
# stdout and stderr in HV_LOG_DIR/clawbot-PID.log. Sets HV_NEW_PID.
hv_process_start() {
    local bin=$1 old_pid=$2
    local -a as_user=()
    if [[ -n $old_pid ]] && hv_alive "$old_pid"; then
        local uid gid
        uid=$(awk '/^Uid:/ { print $3 }' "/proc/$old_pid/status")
        gid=$(awk '/^Gid:/ { print $3 }' "/proc/$old_pid/status")
        if [[ $uid != "$(id -u)" ]]; then
            [[ $(id -u) == 0 ]] || hv_die "the running instance belongs to uid $uid: run this as root or as that user"
            as_user=(setpriv "--reuid=$uid" "--regid=$gid" --clear-groups)
        fi
    fi
    # The old instance's working directory, so that relative paths in the
    # config (DATA_DIR=./data) name the same files.
    local cwd=.
    [[ -n $old_pid ]] && cwd=$(readlink "/proc/$old_pid/cwd" 2>/dev/null) && [[ -d $cwd ]] || cwd=.
    mkdir -p -- "$HV_LOG_DIR"
    local pid_note
    pid_note=$(mktemp)
    # `exec` keeps the pid, so the pid written is the server's. Flags beat
    # the environment and the environment beats the config file, so
    # REUSE_PORT=1 holds unless a flag after -- says otherwise. Descriptor 9
    # is the lock (hv_lock): the server must not hold it for its lifetime.
    # shellcheck disable=SC2016 # expanded by the inner sh
    (cd -- "$cwd" && exec setsid sh -c \
        'note=$1 dir=$2; shift 2; echo $$ >"$note"; exec "$@" >>"$dir/clawbot-$$.log" 2>&1' \
        sh "$pid_note" "$HV_LOG_DIR" "${as_user[@]}" env REUSE_PORT=1 \
        "$bin" serve --config "$HV_CONFIG" "${HV_SERVE_ARGS[@]}") </dev/null >/dev/null 2>&1 9>&- &
    local launcher=$! i
    for ((i = 0; i < 100; i++)); do
        [[ -s $pid_note ]] && break
        sleep 0.05
    done
    HV_NEW_PID=$(cat "$pid_note")
    rm -f -- "$pid_note"
    [[ -n $HV_NEW_PID ]] || HV_NEW_PID=$launcher
    HV_NEW_LOG=$HV_LOG_DIR/clawbot-$HV_NEW_PID.log
}

# ---------------------------------------------------------------------------
# systemd mode.

hv_unit_main_pid() {
    local pid
    pid=$(systemctl show -p MainPID --value -- "$1" 2>/dev/null) || true
    [[ $pid =~ ^[1-9][0-9]*$ ]] && printf '%s\n' "$pid"
    return 0
}

# Reads a unit file on stdin (as `systemctl cat` prints it, drop-ins
# included). Sets HV_UNIT_PROPS to its [Service] settings as `systemd-run`
# arguments (-p KEY=VALUE), minus what the transient unit sets itself (how
# it starts and restarts), and HV_EXEC_ARGS to the arguments of its last
# ExecStart (after the binary).
hv_service_properties() {
    local section='' line key value
    HV_UNIT_PROPS=()
    HV_EXEC_ARGS=()
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*$ || $line =~ ^[[:space:]]*[\#\;] ]] && continue
        if [[ $line =~ ^\[(.*)\][[:space:]]*$ ]]; then
            section=${BASH_REMATCH[1]}
            continue
        fi
        [[ $section == Service && $line == *=* ]] || continue
        key=${line%%=*}
        key=${key//[[:space:]]/}
        value=${line#*=}
        value=${value#"${value%%[![:space:]]*}"}
        case $key in
            ExecStart)
                # word-split: the unit's command line has no quoting
                [[ -n $value ]] && read -r -a HV_EXEC_ARGS <<<"$value" && HV_EXEC_ARGS=("${HV_EXEC_ARGS[@]:1}")
                ;;
            Type | ExecStartPre | ExecStartPost | ExecCondition | ExecReload | ExecStop | ExecStopPost | \
                Restart | RestartSec | RestartSteps | RestartMaxDelaySec | PIDFile | RemainAfterExit) ;;
            *) HV_UNIT_PROPS+=(-p "$key=$value") ;;
        esac
    done
}

# Starts `bin` as the transient unit with the service unit's settings.
# Sets HV_NEW_PID.
hv_transient_start() {
    local bin=$1 unit_text
    if systemctl is-active --quiet -- "$HV_TRANSIENT_UNIT"; then
        hv_die "$HV_TRANSIENT_UNIT is running (left by an interrupted upgrade?): stop it first" \
            "(systemctl stop $HV_TRANSIENT_UNIT) once $HV_UNIT serves"
    fi
    systemctl reset-failed -- "$HV_TRANSIENT_UNIT" 2>/dev/null || true
    unit_text=$(systemctl cat -- "$HV_UNIT") || hv_die "cannot read the unit $HV_UNIT"
    hv_service_properties <<<"$unit_text"
    ((${#HV_EXEC_ARGS[@]})) || HV_EXEC_ARGS=(serve --config "$HV_CONFIG")
    systemd-run --quiet --collect --unit="$HV_TRANSIENT_UNIT" -p Type=exec "${HV_UNIT_PROPS[@]}" \
        --setenv=REUSE_PORT=1 -- "$bin" "${HV_EXEC_ARGS[@]}" ||
        hv_die "systemd-run could not start $bin as $HV_TRANSIENT_UNIT; $HV_UNIT still serves, nothing was changed"
    HV_NEW_PID=$(hv_unit_main_pid "$HV_TRANSIENT_UNIT")
    HV_NEW_LOG=
    [[ -n $HV_NEW_PID ]] || hv_transient_failed "it has no main process"
}

hv_transient_failed() {
    hv_log "the new binary failed as $HV_TRANSIENT_UNIT: $1"
    journalctl -u "$HV_TRANSIENT_UNIT" -n 15 --no-pager 2>/dev/null | sed 's/^/    /' >&2 || true
    systemctl stop -- "$HV_TRANSIENT_UNIT" 2>/dev/null || true
    hv_die "${HV_PROG%.sh} abandoned: $HV_UNIT still serves on the old binary, nothing was changed"
}

# ---------------------------------------------------------------------------
# The handover.

# If the script ends before the old instance was told to drain (a failure,
# an interrupt): stops the new instance it started and forgets the release
# it added.
hv_on_exit() {
    local status=$?
    ((HV_COMMITTED)) && return "$status"
    if [[ -n $HV_NEW_PID ]] && hv_alive "$HV_NEW_PID"; then
        hv_log "stopping the new instance (pid $HV_NEW_PID); the old one still serves"
        if [[ -n $HV_PID_FILE ]]; then
            hv_stop_pid "$HV_NEW_PID" "$(hv_drain_timeout)" || true
        else
            systemctl stop -- "$HV_TRANSIENT_UNIT" 2>/dev/null || true
        fi
    fi
    if [[ -n $HV_ADDED_RELEASE && $HV_ADDED_RELEASE != "$(hv_current_release)" &&
        $HV_ADDED_RELEASE != "$(hv_previous_release)" ]]; then
        rm -rf -- "${HV_PREFIX:?}/releases/$HV_ADDED_RELEASE"
    fi
    return "$status"
}

hv_drain_timeout() {
    local t=${HV_DRAIN_TIMEOUT:-${DRAIN_TIMEOUT_S:-}}
    [[ -n $t ]] || t=$(hv_config_value DRAIN_TIMEOUT_S)
    [[ $t =~ ^[0-9]+$ ]] || t=30
    printf '%s\n' "$t"
}

hv_resolve_port() {
    local old_pid=$1 ports
    [[ -n $HV_PORT ]] && return 0
    if [[ -n $old_pid ]]; then
        ports=$(hv_listening_ports "$old_pid")
        if [[ $(wc -w <<<"$ports") -gt 1 ]]; then
            hv_die "pid $old_pid listens on several ports (${ports//$'\n'/ }): say which with --port"
        fi
        HV_PORT=$ports
    fi
    [[ -n $HV_PORT ]] || HV_PORT=$(hv_config_value PORT)
    [[ -n $HV_PORT ]] || HV_PORT=18789
}

# Tells the old instance to drain and waits until it has exited: SIGTERM
# in process mode, `systemctl stop UNIT` (which waits up to the unit's
# TimeoutStopSec) in systemd mode.
hv_drain_old() {
    local old_pid=$1 unit=${2:-} drain started=$SECONDS
    drain=$(hv_drain_timeout)
    hv_log "old instance (pid $old_pid) has $(hv_connections_on "$old_pid" "$HV_PORT") connection(s) open;" \
        "draining it (up to ${drain}s)"
    if [[ -z $unit ]]; then
        # + 15 s: after the drain the service stops its I/O and its engine
        hv_stop_pid "$old_pid" $((drain + 15)) || return 0
    else
        systemctl stop -- "$unit" || hv_warn "systemctl stop $unit failed"
    fi
    hv_log "old instance (pid $old_pid) drained and exited after $((SECONDS - started))s"
}

# Hands the port over to release `target` and records it as current, the
# release it replaces as previous (unless it is the same release: a
# restart). `what` is "upgrade", "rollback" or "restart".
hv_switch_to() {
    local target=$1 what=$2
    local bin=$HV_PREFIX/releases/$target/clawbot
    local from old_pid
    from=$(hv_current_release)
    if [[ -n $HV_PID_FILE ]]; then
        old_pid=$(hv_read_pid_file)
        if [[ -n $old_pid ]] && ! hv_alive "$old_pid"; then
            hv_warn "pid $old_pid (from $HV_PID_FILE) is not running: starting $target without a handover"
            old_pid=
        fi
    else
        old_pid=$(hv_unit_main_pid "$HV_UNIT")
        [[ -n $old_pid ]] || hv_warn "$HV_UNIT is not running: starting it on $target without a handover"
    fi
    hv_resolve_port "$old_pid"
    if [[ -n $old_pid ]]; then
        # Never signal a process that is not the service (a stale pid file).
        hv_listens_on "$old_pid" "$HV_PORT" ||
            hv_die "pid $old_pid does not listen on port $HV_PORT: is it clawbot, and ready? (nothing was changed)"
        hv_enable_migrate_req
    fi
    trap hv_on_exit EXIT

    if [[ -n $HV_PID_FILE ]]; then
        hv_switch_process "$target" "$bin" "$old_pid"
    else
        hv_switch_systemd "$target" "$bin" "$old_pid"
    fi
    [[ -n $from && $from != "$target" ]] && hv_set_previous "$from"
    hv_prune_releases
    local previous
    previous=$(hv_previous_release)
    hv_log "$what done: release $target serves on port $HV_PORT (pid $HV_NEW_PID)${previous:+; rollback.sh returns to $previous}"
}

hv_switch_process() {
    local target=$1 bin=$2 old_pid=$3
    hv_process_start "$bin" "$old_pid"
    hv_log "started $target as pid $HV_NEW_PID (log $HV_NEW_LOG); waiting until it listens on port $HV_PORT"
    hv_wait_ready "$HV_NEW_PID" "$HV_PORT" "$HV_READY_TIMEOUT" "$HV_NEW_LOG" ||
        hv_die "${old_pid:+pid $old_pid still serves; }nothing was changed"
    HV_COMMITTED=1
    hv_write_pid_file "$HV_NEW_PID"
    hv_set_current "$target"
    hv_log "pid $HV_NEW_PID listens on port $HV_PORT"
    [[ -z $old_pid ]] || hv_drain_old "$old_pid"
}

hv_switch_systemd() {
    local target=$1 bin=$2 old_pid=$3 from
    from=$(hv_current_release)
    if [[ -z $old_pid ]]; then
        hv_set_current "$target"
        systemctl restart -- "$HV_UNIT"
        HV_NEW_PID=$(hv_unit_main_pid "$HV_UNIT")
        if [[ -z $HV_NEW_PID ]] || ! hv_wait_ready "$HV_NEW_PID" "$HV_PORT" "$HV_READY_TIMEOUT"; then
            hv_die "$HV_UNIT did not start on $target (journalctl -u $HV_UNIT)"
        fi
        return 0
    fi
    # 1. The new binary serves beside the unit as a transient unit.
    hv_transient_start "$bin"
    hv_log "started $target as $HV_TRANSIENT_UNIT (pid $HV_NEW_PID); waiting until it listens on port $HV_PORT"
    hv_wait_ready "$HV_NEW_PID" "$HV_PORT" "$HV_READY_TIMEOUT" || hv_transient_failed "it did not become ready"
    local bridge_pid=$HV_NEW_PID
    HV_COMMITTED=1
    # 2. The unit drains (systemctl stop waits for it) and comes back on the
    #    new binary beside the transient unit.
    hv_set_current "$target"
    hv_drain_old "$old_pid" "$HV_UNIT"
    systemctl start -- "$HV_UNIT" || true
    HV_NEW_PID=$(hv_unit_main_pid "$HV_UNIT")
    hv_log "started $HV_UNIT on $target (pid ${HV_NEW_PID:-none}); waiting until it listens on port $HV_PORT"
    if [[ -z $HV_NEW_PID ]] || ! hv_wait_ready "$HV_NEW_PID" "$HV_PORT" "$HV_READY_TIMEOUT"; then
        # The transient unit still serves; put the unit back on the old binary.
        hv_warn "$HV_UNIT did not start on $target; returning it to ${from:-the old binary}"
        [[ -n $from ]] && hv_set_current "$from"
        systemctl restart -- "$HV_UNIT" || true
        HV_NEW_PID=$(hv_unit_main_pid "$HV_UNIT")
        if [[ -z $HV_NEW_PID ]] || ! hv_wait_ready "$HV_NEW_PID" "$HV_PORT" "$HV_READY_TIMEOUT"; then
            hv_die "$HV_UNIT does not start at all; $HV_TRANSIENT_UNIT (pid $bridge_pid, $target) still serves:" \
                "fix the unit, start it, then stop $HV_TRANSIENT_UNIT"
        fi
        systemctl stop -- "$HV_TRANSIENT_UNIT" || true
        hv_die "${HV_PROG%.sh} abandoned: $HV_UNIT serves on ${from:-the old binary} again"
    fi
    # 3. The transient unit drains in turn.
    hv_log "$HV_UNIT (pid $HV_NEW_PID) listens on port $HV_PORT; $HV_TRANSIENT_UNIT goes"
    hv_drain_old "$bridge_pid" "$HV_TRANSIENT_UNIT"
}
