#!/usr/bin/env bash
# Returns clawbot to the release deploy/upgrade.sh replaced, the same way it
# upgrades: the previous binary starts beside the running one on the same
# port, and once it listens the running one drains and exits. No request is
# dropped; if the previous binary does not start, nothing changes. Rolling
# back twice returns to where it started.
set -euo pipefail
HV_PROG=rollback.sh
# shellcheck source-path=SCRIPTDIR source=lib/handover.sh
source "$(dirname -- "$(readlink -f -- "$0")")/lib/handover.sh"

usage() {
    cat <<'EOF_USAGE'
Usage: rollback.sh [OPTIONS] [-- SERVE_ARGS...]

Hands the port back to the previous release (PREFIX/releases/previous) without
dropping a request, and points PREFIX/bin/clawbot at it. Takes the options
upgrade.sh was given.

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
hv_parse_args no "$@"
hv_lock
previous=$(hv_previous_release)
[[ -n $previous ]] ||
    hv_die "no previous release to roll back to under $HV_PREFIX/releases (upgrade.sh records one when it upgrades)"
hv_check_binary "$HV_PREFIX/releases/$previous/clawbot"
hv_switch_to "$previous" rollback
