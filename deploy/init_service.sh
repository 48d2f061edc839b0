#!/usr/bin/env bash
# Installs clawbot as the systemd service clawbot-service: the binary under
# PREFIX/bin, a `clawbot` system user, /etc/clawbot/config.env (0600),
# /var/lib/clawbot and /var/log/clawbot, the unit (enabled and started), and
# prints the URL and a first access token. Running it again changes nothing:
# an existing config, store and tokens are kept and no token is printed.
#
# With --root DIR everything goes into the tree DIR instead of /, the unit is
# enabled offline and nothing is started (this is how the tests run it).
set -euo pipefail

readonly UNIT_NAME=clawbot-service.service
readonly SERVICE_USER=clawbot
readonly CONFIG_FILE=/etc/clawbot/config.env
readonly DATA_DIR=/var/lib/clawbot
readonly LOG_DIR=/var/log/clawbot
readonly LOG_FILE=$LOG_DIR/clawbot.log
readonly PORT=18789

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  cat <<EOF
Usage: $(basename "$0") --model PATH [options]
       $(basename "$0") --api-key KEY [--upstream-url URL] [--upstream-model NAME] [options]

Installs clawbot as the systemd service $UNIT_NAME and prints the URL and a
first access token (once: a second run keeps the config and tokens).

  --api-key KEY          upstream API key; stored in $CONFIG_FILE (mode 0600)
                         and never printed. Required in cloud mode (no --model).
  --model PATH           GGUF model: the service answers with it (PROVIDER=local).
                         Without it the service runs in cloud mode (PROVIDER=openai).
  --upstream-url URL     cloud mode: OpenAI-compatible base URL
                         (default https://api.openai.com/v1)
  --upstream-model NAME  cloud mode: model to ask the upstream for (default gpt-4o-mini)
  --prefix DIR           install prefix of the binary (default /opt/clawbot)
  --binary PATH          clawbot binary to install (default: build/clawbot of this checkout)
  --root DIR             install into the directory tree DIR (created if missing)
                         instead of /; the unit is enabled there and nothing is started
  -h, --help             this help
EOF
}

die() {
  echo "init_service: error: $*" >&2
  exit 1
}

say() {
  echo "init_service: $*"
}

# --- arguments --------------------------------------------------------------

api_key=""
api_key_given=0
model=""
upstream_url=https://api.openai.com/v1
upstream_model=gpt-4o-mini
prefix=/opt/clawbot
binary="$script_dir/../build/clawbot"
root=""

need_value() {  # OPTION ARGC: the option must be followed by a value
  [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --api-key) need_value "$1" $#; api_key=$2; api_key_given=1; shift 2 ;;
    --api-key=*) api_key=${1#*=}; api_key_given=1; shift ;;
    --model) need_value "$1" $#; model=$2; shift 2 ;;
    --model=*) model=${1#*=}; shift ;;
    --upstream-url) need_value "$1" $#; upstream_url=$2; shift 2 ;;
    --upstream-url=*) upstream_url=${1#*=}; shift ;;
    --upstream-model) need_value "$1" $#; upstream_model=$2; shift 2 ;;
    --upstream-model=*) upstream_model=${1#*=}; shift ;;
    --prefix) need_value "$1" $#; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --binary) need_value "$1" $#; binary=$2; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --root) need_value "$1" $#; root=$2; shift 2 ;;
    --root=*) root=${1#*=}; shift ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# --- validation: nothing is changed before all of it passes -----------------

# Config values are single lines; a value that cannot be written faithfully is
# refused here rather than silently changed. The key itself is never echoed.
has_control_chars() {
  [[ "$1" == *[[:cntrl:]]* ]]
}

# The key is for cloud mode; with --model it is optional (kept for a later switch).
if [ -z "$model" ] && [ "$api_key_given" != 1 ]; then
  die "--api-key KEY is required in cloud mode (the upstream API key), or give --model PATH to answer with a local model; see --help"
fi
if [ "$api_key_given" = 1 ]; then
  [ -n "$api_key" ] || die "--api-key is empty"
  [[ "$api_key" != -* ]] || die "--api-key needs a value; got what looks like an option"
  ! has_control_chars "$api_key" || die "--api-key holds a line break or control character"
  [[ "$api_key" != *[[:space:]]* ]] || die "--api-key holds whitespace"
fi

[[ "$upstream_url" =~ ^https?://[^[:space:]]+$ ]] ||
  die "--upstream-url must be an http:// or https:// URL, got '$upstream_url'"
if [ -z "$upstream_model" ] || has_control_chars "$upstream_model"; then
  die "--upstream-model must be a non-empty single-line name"
fi
# Plain path characters only: the prefix goes into the unit's ExecStart=.
[[ "$prefix" =~ ^/[A-Za-z0-9._/-]*$ ]] ||
  die "--prefix must be an absolute path of letters, digits, '.', '_', '-' and '/', got '$prefix'"
prefix=$(realpath -m "$prefix")

[ -e "$binary" ] || die "clawbot binary not found: $binary (build it with scripts/setup.sh or pass --binary PATH)"
if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then die "not an executable file: $binary"; fi
"$binary" --version >/dev/null 2>&1 || die "$binary does not run (--version failed)"
binary=$(realpath "$binary")

if [ -n "$root" ]; then
  [ ! -e "$root" ] || [ -d "$root" ] || die "--root: not a directory: $root"
  root=$(realpath -m "$root")
  [ "$root" != / ] || root=""  # --root / is a normal install
fi

if [ -n "$model" ]; then
  [ -e "$model" ] || die "model file not found: $model"
  [ -f "$model" ] || die "model is not a regular file: $model"
  [ -r "$model" ] || die "model file is not readable: $model"
  [ "$(head -c 4 "$model" | tr -d '\0')" = GGUF ] || die "not a GGUF model file: $model"
  model=$(realpath "$model")
  ! has_control_chars "$model" || die "model path holds a control character"
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (it creates a system user and sets file owners)"
command -v systemctl >/dev/null 2>&1 || die "systemctl not found: this script installs a systemd service"
if [ -z "$root" ]; then
  command -v useradd >/dev/null 2>&1 || die "useradd not found (Debian package passwd)"
fi

# --- helpers ----------------------------------------------------------------

# Writes stdin to PATH atomically with MODE and OWNER (user:group) unless PATH
# already holds exactly those bytes. Prints "written" or "unchanged".
write_file() {
  local path=$1 mode=$2 owner=$3 temp
  temp=$(mktemp "$(dirname "$path")/.$(basename "$path").XXXXXX")
  cat >"$temp"
  chmod "$mode" "$temp"
  chown "$owner" "$temp"
  if [ -f "$path" ] && cmp -s "$temp" "$path"; then
    rm -f "$temp"
    chmod "$mode" "$path"
    chown "$owner" "$path"
    echo unchanged
  else
    mv -f "$temp" "$path"
    echo written
  fi
}

# The config parser trims blanks and strips one pair of outer quotes, so a
# value that would be changed by either is written inside double quotes.
config_value() {
  local value=$1
  case "$value" in
    [[:blank:]]*|*[[:blank:]]|\"*|\'*) printf '"%s"' "$value" ;;
    *) printf '%s' "$value" ;;
  esac
}

# --- paths as this script sees them (under --root) --------------------------

r=$root
bin_dir=$r$prefix/bin
installed_binary=$bin_dir/clawbot
unit_dir=$r/etc/systemd/system
unit_file=$unit_dir/$UNIT_NAME
config_path=$r$CONFIG_FILE
data_path=$r$DATA_DIR
log_path=$r$LOG_DIR
unit_template=$script_dir/systemd/$UNIT_NAME
[ -f "$unit_template" ] || die "unit template missing: $unit_template"

# A model inside the --root tree is named by its path inside the tree, as the
# installed service will see it; any other model by its absolute path.
model_setting=$model
if [ -n "$model" ] && [ -n "$r" ] && [[ "$model" == "$r"/* ]]; then
  model_setting=${model#"$r"}
fi

# --- 1. the binary ----------------------------------------------------------

mkdir -p "$bin_dir"
if [ ! -e "$installed_binary" ]; then
  install -m 0755 -o root -g root "$binary" "$installed_binary"
  say "installed $installed_binary"
elif cmp -s "$binary" "$installed_binary"; then
  say "keeping $installed_binary (same binary)"
else
  # Replacing the binary under a running service is an upgrade, which has its
  # own script that keeps the users connected.
  say "keeping $installed_binary: it differs from $binary; upgrade with deploy/upgrade.sh"
fi

# --- 2. the system user -----------------------------------------------------

if [ -n "$r" ]; then
  mkdir -p "$r/etc"
  # useradd --prefix edits existing files only; an empty tree gets them here.
  [ -e "$r/etc/passwd" ] || { echo "root:x:0:0:root:/root:/bin/bash" >"$r/etc/passwd"; chmod 0644 "$r/etc/passwd"; }
  [ -e "$r/etc/group" ] || { echo "root:x:0:" >"$r/etc/group"; chmod 0644 "$r/etc/group"; }
  [ -e "$r/etc/shadow" ] || { echo "root:*::0:99999:7:::" >"$r/etc/shadow"; chmod 0640 "$r/etc/shadow"; }
  [ -e "$r/etc/gshadow" ] || { echo "root:*::" >"$r/etc/gshadow"; chmod 0640 "$r/etc/gshadow"; }
  if grep -q "^$SERVICE_USER:" "$r/etc/passwd"; then
    say "keeping user $SERVICE_USER"
  else
    command -v useradd >/dev/null 2>&1 || die "useradd not found (Debian package passwd)"
    useradd --prefix "$r" --system --user-group --no-create-home --home-dir "$DATA_DIR" \
      --shell /usr/sbin/nologin --comment "clawbot chat service" "$SERVICE_USER"
    say "created system user $SERVICE_USER in $r/etc/passwd"
  fi
  uid=$(awk -F: -v u="$SERVICE_USER" '$1 == u { print $3 }' "$r/etc/passwd")
  gid=$(awk -F: -v u="$SERVICE_USER" '$1 == u { print $4 }' "$r/etc/passwd")
else
  if id -u "$SERVICE_USER" >/dev/null 2>&1; then
    say "keeping user $SERVICE_USER"
  else
    useradd --system --user-group --no-create-home --home-dir "$DATA_DIR" \
      --shell /usr/sbin/nologin --comment "clawbot chat service" "$SERVICE_USER"
    say "created system user $SERVICE_USER"
  fi
  uid=$(id -u "$SERVICE_USER")
  gid=$(id -g "$SERVICE_USER")
fi
[[ "$uid" =~ ^[0-9]+$ && "$gid" =~ ^[0-9]+$ ]] || die "cannot read the uid/gid of $SERVICE_USER"
# Numeric owners, so that a --root tree's user need not exist on this machine.
owner="$uid:$gid"

if [ -n "$model" ] && [ -z "$r" ] &&
  ! setpriv --reuid="$uid" --regid="$gid" --clear-groups test -r "$model" 2>/dev/null; then
  say "warning: user $SERVICE_USER cannot read $model; the service will not load it until it can"
  say "  (move it to e.g. /var/lib/clawbot/models, or make it and its directories readable)"
fi

# --- 3. directories ---------------------------------------------------------

install -d -m 0750 -o root -g "$gid" "$r/etc/clawbot"
install -d -m 0750 -o "$uid" -g "$gid" "$data_path" "$log_path"

# --- 4. the config file -----------------------------------------------------

config_text() {
  echo "# clawbot configuration (KEY=VALUE), written by deploy/init_service.sh."
  echo "# Keep this file mode 0600: it holds the API key."
  echo "HOST=0.0.0.0"
  echo "PORT=$PORT"
  echo "DATA_DIR=$DATA_DIR"
  echo "LOG_FILE=$LOG_FILE"
  echo "REUSE_PORT=1"
  echo "# SIGTERM drains replies this long; the unit's TimeoutStopSec must exceed it."
  echo "DRAIN_TIMEOUT_S=30"
  if [ -n "$model_setting" ]; then
    echo "PROVIDER=local"
    echo "MODEL_PATH=$(config_value "$model_setting")"
  else
    echo "PROVIDER=openai"
    echo "UPSTREAM_URL=$(config_value "$upstream_url")"
    echo "UPSTREAM_MODEL=$(config_value "$upstream_model")"
  fi
  if [ -n "$api_key" ]; then echo "API_KEY=$(config_value "$api_key")"; fi
}

if [ -e "$config_path" ]; then
  # An operator may have edited it: never overwrite, only say what differs
  # (by key name, so the API key is not shown).
  chmod 0600 "$config_path"
  chown "$owner" "$config_path"
  differing=$(diff <(config_text | grep -v '^#' | sort) <(grep -v '^[[:space:]]*#' "$config_path" | sort) |
    sed -n 's/^[<>] \([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' | sort -u | paste -sd' ' || true)
  if [ -n "$differing" ]; then
    say "keeping the existing $CONFIG_FILE; it differs from these options in: $differing (edit it, or remove it and run again)"
  else
    say "keeping the existing $CONFIG_FILE"
  fi
else
  config_text | write_file "$config_path" 0600 "$owner" >/dev/null
  say "wrote $CONFIG_FILE (mode 0600, owner $SERVICE_USER)"
fi

# --- 5. the store and a first token -----------------------------------------

# The installed binary, with the paths of this tree overriding the config's.
# `init` keeps the existing config and creates a token only when none is active.
init_output=$("$installed_binary" init --config "$config_path" --data-dir "$data_path" 2>&1) ||
  die "clawbot init failed: $init_output"
chown -R "$owner" "$data_path"
# init prints the new token alone on an indented line.
token=$(sed -n 's/^[[:space:]]\{1,\}\(cb_[A-Za-z0-9_-]\{1,\}\)[[:space:]]*$/\1/p' <<<"$init_output" | head -n 1)
if [ -z "$token" ] && ! grep -q "Already initialised" <<<"$init_output"; then
  die "clawbot init printed no token: $init_output"
fi

# --- 6. the unit ------------------------------------------------------------

if [ -f "$script_dir/logrotate/clawbot" ]; then
  mkdir -p "$r/etc/logrotate.d"
  result=$(write_file "$r/etc/logrotate.d/clawbot" 0644 root:root <"$script_dir/logrotate/clawbot")
  [ "$result" = unchanged ] || say "installed /etc/logrotate.d/clawbot"
fi

mkdir -p "$unit_dir"
unit_result=$(sed "s|@PREFIX@|$prefix|g" "$unit_template" | write_file "$unit_file" 0644 root:root)
if [ "$unit_result" = written ]; then
  say "installed /etc/systemd/system/$UNIT_NAME"
else
  say "keeping /etc/systemd/system/$UNIT_NAME (unchanged)"
fi

if [ -n "$r" ]; then
  if systemctl --root="$r" is-enabled --quiet "$UNIT_NAME" 2>/dev/null; then
    say "keeping $UNIT_NAME enabled in $r"
  else
    # Offline enable only creates the symlink; its notes (no multi-user.target
    # in a bare tree) matter only if it failed.
    enable_output=$(systemctl --root="$r" enable "$UNIT_NAME" 2>&1) ||
      die "systemctl --root=$r enable $UNIT_NAME failed: $enable_output"
    systemctl --root="$r" is-enabled --quiet "$UNIT_NAME" ||
      die "$UNIT_NAME is not enabled in $r after enable: $enable_output"
    say "enabled $UNIT_NAME in $r (not started: --root installs only)"
  fi
elif [ ! -d /run/systemd/system ]; then
  systemctl enable "$UNIT_NAME" >/dev/null 2>&1 || true
  say "systemd is not running here (PID 1 is $(ps -p 1 -o comm= 2>/dev/null || echo unknown)):"
  say "  the unit is installed but not started; start it with: systemctl start $UNIT_NAME"
  say "  or run it directly: sudo -u $SERVICE_USER $installed_binary serve --config $CONFIG_FILE"
else
  systemctl daemon-reload
  systemctl enable --quiet "$UNIT_NAME"
  if systemctl is-active --quiet "$UNIT_NAME"; then
    if [ "$unit_result" = written ]; then
      systemctl restart "$UNIT_NAME"
      say "restarted $UNIT_NAME (its unit changed)"
    else
      say "keeping $UNIT_NAME running"
    fi
  else
    systemctl start "$UNIT_NAME" || die "$UNIT_NAME did not start; see: journalctl -u $UNIT_NAME"
    say "started $UNIT_NAME"
  fi
  ready=0
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 &&
      head -n 1 <&3 | grep -q ' 200 ') 2>/dev/null; then
      ready=1
      break
    fi
    sleep 0.2
  done
  [ "$ready" = 1 ] || say "warning: no answer on /healthz yet; see: journalctl -u $UNIT_NAME"
fi

# --- 7. the URL and the token, once -----------------------------------------

address=$(hostname -I 2>/dev/null | awk '{ print $1 }' || true)
echo
echo "clawbot is installed as $UNIT_NAME${r:+ in $r}."
echo "  URL:          http://${address:-127.0.0.1}:$PORT"
echo "  It listens on every address (HOST=0.0.0.0 in $CONFIG_FILE) so other machines can reach it;"
echo "  every request needs an access token. Set HOST=127.0.0.1 there to keep it to this machine."
if [ -n "$token" ]; then
  echo "  Access token: $token"
  echo "  It is shown only this once: keep it safe."
else
  echo "  Access tokens: kept the existing ones (no new token printed)."
fi
echo "  More tokens: runuser -u $SERVICE_USER -- $prefix/bin/clawbot token create --name NAME --config $CONFIG_FILE"
