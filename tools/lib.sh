# lib.sh - shared helpers for the tools/ scripts (sourced, not run).
#
# Every script works on one instance directory, $KBJOBS_HOME (the demo uses .demo/, the
# tests build/test-env/). The instance's settings live in $KBJOBS_HOME/env.sh, written
# once by kbj_env_init and sourced by every later script, so ports and passwords stay
# the same across restarts of one instance.

KBJOBS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export KBJOBS_ROOT

kbj_die() { echo "error: $*" >&2; exit 1; }
kbj_log() { echo "[$(basename "$0" .sh)] $*"; }

# Prints a TCP port on 127.0.0.1 that is free right now.
kbj_free_port() {
  php -r '$s = stream_socket_server("tcp://127.0.0.1:0", $e, $m) or exit(1);
          echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1), "\n";'
}

kbj_random() { head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c "${1:-20}"; }

# kbj_env_init MODE [WP_PORT]: MODE is "demo" or "test". Creates $KBJOBS_HOME/env.sh
# unless it exists, then sources it.
kbj_env_init() {
  local mode=$1 wp_port=${2:-}
  [ -n "${KBJOBS_HOME:-}" ] || kbj_die "KBJOBS_HOME is not set"
  mkdir -p "$KBJOBS_HOME"
  KBJOBS_HOME=$(cd "$KBJOBS_HOME" && pwd)
  if [ ! -f "$KBJOBS_HOME/env.sh" ]; then
    local sock="$KBJOBS_HOME/mariadb/mysqld.sock"
    # Unix socket paths are limited to about 100 bytes.
    if [ ${#sock} -gt 100 ]; then
      sock="/tmp/kbjobs-$(printf '%s' "$KBJOBS_HOME" | md5sum | head -c 12).sock"
    fi
    [ -n "$wp_port" ] || wp_port=$(kbj_free_port)
    cat > "$KBJOBS_HOME/env.sh" <<ENV
# Settings of this kbjobs instance ($mode), written by tools/lib.sh.
export KBJOBS_MODE=$mode
export KBJOBS_HOME=$KBJOBS_HOME
export KBJOBS_DB_SOCKET=$sock
export KBJOBS_DB_PORT=$(kbj_free_port)
export KBJOBS_DB_NAME=kbjobs_wp
export KBJOBS_DB_USER=kbjobs
export KBJOBS_DB_PASSWORD=$(kbj_random 20)
export KBJOBS_DB_PREFIX=wp_
export KBJOBS_WP_DIR=$KBJOBS_HOME/wordpress
export KBJOBS_WP_PORT=$wp_port
export KBJOBS_WP_URL=http://127.0.0.1:$wp_port
export KBJOBS_DATA_DIR=$KBJOBS_HOME/data
export KBJOBS_ADMIN_USER=admin
export KBJOBS_ADMIN_PASSWORD=$(kbj_random 16)
ENV
  fi
  # shellcheck disable=SC1091
  . "$KBJOBS_HOME/env.sh"
}

# Loads an existing instance's env.sh or dies.
kbj_env_load() {
  [ -n "${KBJOBS_HOME:-}" ] || kbj_die "KBJOBS_HOME is not set"
  [ -f "$KBJOBS_HOME/env.sh" ] || kbj_die "no instance at $KBJOBS_HOME (run tools/up.sh first)"
  # shellcheck disable=SC1091
  . "$KBJOBS_HOME/env.sh"
}

# The built extension, or empty when it has not been built.
kbj_extension() {
  local so="$KBJOBS_ROOT/modules/kbjobs.so"
  [ -f "$so" ] && echo "$so"
}

# kbj_wait_gone PID [SECONDS]: waits until PID has exited.
kbj_wait_gone() {
  local pid=$1 tries=$(( ${2:-30} * 10 ))
  while kill -0 "$pid" 2>/dev/null; do
    tries=$((tries - 1))
    [ $tries -gt 0 ] || return 1
    sleep 0.1
  done
}

# kbj_wait_port PORT [SECONDS]: waits until something listens on 127.0.0.1:PORT.
kbj_wait_port() {
  local port=$1 tries=$(( ${2:-30} * 10 ))
  until php -r 'exit(@fsockopen("127.0.0.1", (int)$argv[1]) ? 0 : 1);' "$port"; do
    tries=$((tries - 1))
    [ $tries -gt 0 ] || return 1
    sleep 0.1
  done
}
