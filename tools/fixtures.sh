#!/usr/bin/env bash
# fixtures.sh start|stop|url [--port N] [--name NAME]
#
# Serves the fixture web site (tests/fixtures/site/router.php) with `php -S` on
# 127.0.0.1, for the fetcher and normaliser tests. `start` prints the base URL on
# stdout and nothing else, so a script can do
#
#   export KBJOBS_FIXTURE_URL=$(tools/fixtures.sh start)
#
# (messages go to stderr). The port defaults to a free one; the pid, log and URL files
# live in $KBJOBS_HOME when it is set, else in build/. Like tools/serve.sh, the server
# runs with PHP_CLI_SERVER_WORKERS (default 4; KBJOBS_FIXTURE_WORKERS overrides) in its
# own process group (setsid) and is stopped by that group, workers included.
# `url` prints the URL of the running server (exit 1 when not running).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=${1:-}; shift || true
name=fixtures port=
while [ $# -gt 0 ]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    *) kbj_die "unknown option $1" ;;
  esac
done
[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || kbj_die "bad name \"$name\""
[ -z "$port" ] || [[ $port =~ ^[0-9]+$ ]] || kbj_die "bad port \"$port\""

dir=${KBJOBS_HOME:-$KBJOBS_ROOT/build}
mkdir -p "$dir"
pidfile=$dir/fixtures-$name.pid
urlfile=$dir/fixtures-$name.url
logfile=$dir/fixtures-$name.log

log() { kbj_log "$@" >&2; }
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case $cmd in
  start)
    if running && [ -f "$urlfile" ]; then
      log "$name already running ($(cat "$urlfile"))"
      cat "$urlfile"
      exit 0
    fi
    [ -n "$port" ] || port=$(kbj_free_port) || kbj_die "no free port"
    cd "$KBJOBS_ROOT"
    PHP_CLI_SERVER_WORKERS=${KBJOBS_FIXTURE_WORKERS:-4} \
      setsid php -n -d extension=mbstring -d memory_limit=256M -d max_execution_time=0 \
        -d log_errors=1 -d display_errors=0 -d error_log="$logfile" \
        -S "127.0.0.1:$port" tests/fixtures/site/router.php \
        > "$logfile" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    if ! kbj_wait_port "$port" 30; then
      cat "$logfile" >&2
      kill -TERM -- "-$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
      kbj_die "php -S did not start"
    fi
    echo "http://127.0.0.1:$port" > "$urlfile"
    log "$name serving http://127.0.0.1:$port (pid $(cat "$pidfile"), log $logfile)"
    cat "$urlfile"
    ;;
  stop)
    if ! running; then log "$name not running"; rm -f "$pidfile" "$urlfile"; exit 0; fi
    pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null || true
    kbj_wait_gone "$pid" 10 || kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$pidfile" "$urlfile"
    log "$name stopped"
    ;;
  url)
    running && [ -f "$urlfile" ] || exit 1
    cat "$urlfile"
    ;;
  *) echo "usage: $0 start|stop|url [--port N] [--name NAME]" >&2; exit 2 ;;
esac
