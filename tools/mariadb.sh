#!/usr/bin/env bash
# mariadb.sh start|stop|status - a private MariaDB server for one kbjobs instance.
#
# The server runs from $KBJOBS_HOME/mariadb (datadir, socket, pid file, error log),
# listens on its Unix socket and on 127.0.0.1:$KBJOBS_DB_PORT, defaults to utf8mb4,
# and holds one database and user for WordPress. No systemd: started and stopped by PID.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kbj_env_load

dir=$KBJOBS_HOME/mariadb
pidfile=$dir/mariadbd.pid

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

client() { mariadb --no-defaults --socket="$KBJOBS_DB_SOCKET" -uroot "$@"; }

start() {
  if running; then
    kbj_log "already running (pid $(cat "$pidfile"))"
    return
  fi
  mkdir -p "$dir"
  if [ ! -d "$dir/data/mysql" ]; then
    rm -rf "$dir/data"
    mariadb-install-db --no-defaults --user=root --datadir="$dir/data" \
      --auth-root-authentication-method=socket --skip-test-db > "$dir/install.log" 2>&1 \
      || { cat "$dir/install.log" >&2; kbj_die "mariadb-install-db failed"; }
  fi
  rm -f "$KBJOBS_DB_SOCKET"
  # --no-defaults must come first; without it the server reads /etc/mysql.
  mariadbd --no-defaults --user=root --datadir="$dir/data" \
    --socket="$KBJOBS_DB_SOCKET" --pid-file="$pidfile" --log-error="$dir/error.log" \
    --bind-address=127.0.0.1 --port="$KBJOBS_DB_PORT" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --default-time-zone=+00:00 --skip-log-bin --max-connections=500 \
    > /dev/null 2>&1 &
  local tries=300
  until client -e 'SELECT 1' > /dev/null 2>&1; do
    tries=$((tries - 1))
    if [ $tries -le 0 ] || ! kill -0 $! 2>/dev/null; then
      tail -n 20 "$dir/error.log" >&2
      kbj_die "mariadbd did not start"
    fi
    sleep 0.1
  done
  client <<SQL
CREATE DATABASE IF NOT EXISTS \`$KBJOBS_DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$KBJOBS_DB_USER'@'localhost' IDENTIFIED BY '$KBJOBS_DB_PASSWORD';
CREATE USER IF NOT EXISTS '$KBJOBS_DB_USER'@'127.0.0.1' IDENTIFIED BY '$KBJOBS_DB_PASSWORD';
GRANT ALL ON \`$KBJOBS_DB_NAME\`.* TO '$KBJOBS_DB_USER'@'localhost';
GRANT ALL ON \`$KBJOBS_DB_NAME\`.* TO '$KBJOBS_DB_USER'@'127.0.0.1';
GRANT PROCESS ON *.* TO '$KBJOBS_DB_USER'@'localhost';
SQL
  kbj_log "running (pid $(cat "$pidfile")), socket $KBJOBS_DB_SOCKET, port $KBJOBS_DB_PORT"
}

stop() {
  if ! running; then
    kbj_log "not running"
    return
  fi
  local pid
  pid=$(cat "$pidfile")
  kill "$pid"
  # A shutdown returns before the process has gone: wait for the PID itself.
  kbj_wait_gone "$pid" 60 || { kill -9 "$pid" 2>/dev/null || true; kbj_wait_gone "$pid" 10; }
  kbj_log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
