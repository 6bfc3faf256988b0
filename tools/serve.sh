#!/usr/bin/env bash
# serve.sh start|stop [--name NAME] [--port PORT] [--no-extension]
#
# Serves the instance's WordPress with `php -S` on 127.0.0.1 with several workers, so a
# long request never blocks the dashboard's polling. The server runs in its own process
# group (setsid) and is stopped by that group: killing only the master would leave its
# workers holding the port. --no-extension serves the same site without kbjobs.so
# (the tests use it to check the plugin's "extension missing" notice).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kbj_env_load

cmd=${1:-}; shift || true
name=main port=$KBJOBS_WP_PORT load_ext=1
while [ $# -gt 0 ]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --no-extension) load_ext=0; shift ;;
    *) kbj_die "unknown option $1" ;;
  esac
done
pidfile=$KBJOBS_HOME/serve-$name.pid

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case $cmd in
  start)
    if running; then kbj_log "$name already running on port $port"; exit 0; fi
    args=(-d auto_prepend_file="$KBJOBS_ROOT/tools/php/prepend.php"
          -d error_log="$KBJOBS_HOME/php-error-$name.log" -d log_errors=1 -d display_errors=0
          -d max_execution_time=60 -d memory_limit=256M)
    # more php -d settings, space-separated (the scale bench turns opcache on)
    [ -n "${KBJOBS_SERVE_PHP_ARGS:-}" ] && read -ra extra <<< "$KBJOBS_SERVE_PHP_ARGS" && args+=("${extra[@]}")
    if [ $load_ext = 1 ]; then
      ext=$(kbj_extension) || kbj_die "the extension is not built (make)"
      args+=(-d extension="$ext")
    fi
    cd "$KBJOBS_WP_DIR"
    KBJOBS_WP_DIR=$KBJOBS_WP_DIR PHP_CLI_SERVER_WORKERS=${KBJOBS_SERVER_WORKERS:-4} \
      setsid php "${args[@]}" -S "127.0.0.1:$port" -t "$KBJOBS_WP_DIR" \
      > "$KBJOBS_HOME/serve-$name.log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    kbj_wait_port "$port" 30 || { cat "$KBJOBS_HOME/serve-$name.log" >&2; kbj_die "php -S did not start"; }
    kbj_log "$name serving http://127.0.0.1:$port/ (pid $(cat "$pidfile"))"
    ;;
  stop)
    if ! running; then kbj_log "$name not running"; rm -f "$pidfile"; exit 0; fi
    pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null || true
    kbj_wait_gone "$pid" 10 || kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$pidfile"
    kbj_log "$name stopped"
    ;;
  *) echo "usage: $0 start|stop [--name NAME] [--port PORT] [--no-extension]" >&2; exit 2 ;;
esac
