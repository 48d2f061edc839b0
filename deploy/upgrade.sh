#!/usr/bin/env bash
# Upgrades clawbot to NEW_BINARY without dropping a user: the new version
# starts beside the running one on the same port (SO_REUSEPORT), and once it
# listens the old one drains (replies in flight, streams included, run to
# their end) and exits. The binary it replaces is kept for deploy/rollback.sh.
# If the new version does not start, it is stopped and the old one serves on
# as if nothing happened. See deploy/lib/handover.sh for how.
set -euo pipefail
HV_PROG=upgrade.sh
# shellcheck source-path=SCRIPTDIR source=lib/handover.sh
source "$(dirname -- "$(readlink -f -- "$0")")/lib/handover.sh"

usage() {
    cat <<'EOF_USAGE'
Usage: upgrade.sh [OPTIONS] NEW_BINARY [-- SERVE_ARGS...]

Installs NEW_BINARY as a release under PREFIX/releases, hands the port over
to it without dropping a request, and points PREFIX/bin/clawbot at it. With
the binary already current, restarts it the same way (to apply a config change).

  systemd (default):  upgrade.sh /tmp/clawbot
  process mode:       upgrade.sh --pid-file /run/clawbot.pid --config ./clawbot.env \
                                 --prefix ./clawbot-install /tmp/clawbot

The running instance must have REUSE_PORT=1. In process mode the new instance
runs `NEW_BINARY serve --config FILE SERVE_ARGS...` with this environment plus
REUSE_PORT=1, in the old one's working directory, as its user.
A request sent on an idle keep-alive connection at the instant the old instance
begins to drain can meet a closed connection (see deploy/lib/handover.sh).

EOF_USAGE
    hv_usage_options
}

for arg in "$@"; do
    [[ $arg == -- ]] && break
    if [[ $arg == -h || $arg == --help ]]; then
        usage
        exit 0
    fi
done
hv_parse_args yes "$@"
new_binary=$(realpath -e -- "$HV_BINARY" 2>/dev/null) || hv_die "$HV_BINARY: no such file"
hv_check_binary "$new_binary"
hv_lock

if [[ -n $HV_PID_FILE ]]; then
    running_pid=$(hv_read_pid_file)
else
    running_pid=$(hv_unit_main_pid "$HV_UNIT")
fi
hv_adopt_installed_binary "$running_pid"
current=$(hv_current_release)
if [[ -n $current ]] && cmp -s -- "$new_binary" "$HV_PREFIX/releases/$current/clawbot"; then
    # The same binary: a restart beside itself, e.g. to apply a config
    # change without dropping anyone. The previous release stays as it was.
    hv_log "$new_binary is the current release $current: restarting it without dropping anyone"
    hv_switch_to "$current" restart
    exit 0
fi
trap hv_on_exit EXIT
target=$(hv_add_release "$new_binary")
HV_ADDED_RELEASE=$target
hv_log "installed $new_binary as release $target"
hv_switch_to "$target" upgrade
