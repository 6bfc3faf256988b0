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
#
# fixtures.sh proxy start --upstream URL --rtt-ms N [--name NAME]
# fixtures.sh proxy stop [--name NAME]
#
# puts the delay proxy (build/tools/delayproxy, tests/tools/delayproxy.c; built here if
# missing) in front of URL (http:// or https://127.0.0.1:PORT; TLS passes through it), so
# each new connection and each response pays N ms of round trip as from a remote site.
# `start` prints the proxied base URL (same scheme, the proxy's port) and nothing else.
# NAME defaults to "proxy"; pid, log and connection log (one line per connection:
# proxy-NAME.conns) sit beside the fixture site's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=${1:-}; shift || true
sub=
if [ "$cmd" = proxy ]; then sub=${1:-}; shift || true; fi
name= port= upstream= rtt=
while [ $# -gt 0 ]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --upstream) upstream=$2; shift 2 ;;
    --rtt-ms) rtt=$2; shift 2 ;;
    *) kbj_die "unknown option $1" ;;
  esac
done
[ -n "$name" ] || { [ "$cmd" = proxy ] && name=proxy || name=fixtures; }
[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || kbj_die "bad name \"$name\""
[ -z "$port" ] || [[ $port =~ ^[0-9]+$ ]] || kbj_die "bad port \"$port\""

dir=${KBJOBS_HOME:-$KBJOBS_ROOT/build}
mkdir -p "$dir"

# The delay proxy: a process of its own (not a group), stopped by its pid.
proxy_cmd() {
  local pidfile=$dir/proxy-$name.pid urlfile=$dir/proxy-$name.url logfile=$dir/proxy-$name.log
  local bin=$KBJOBS_ROOT/build/tools/delayproxy pid
  case $sub in
    start)
      [[ $upstream =~ ^(https?)://127\.0\.0\.1:([0-9]+)/?$ ]] \
        || kbj_die "--upstream must be http(s)://127.0.0.1:PORT, not \"$upstream\""
      local scheme=${BASH_REMATCH[1]} up_port=${BASH_REMATCH[2]}
      [[ $rtt =~ ^[0-9]+$ ]] || kbj_die "--rtt-ms N is required (milliseconds)"
      if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        kbj_die "proxy $name is already running ($(cat "$urlfile")); stop it first"
      fi
      [ -x "$bin" ] || make -C "$KBJOBS_ROOT" --no-print-directory tools >&2
      rm -f "$logfile.port"
      : > "$dir/proxy-$name.conns"
      "$bin" --listen 127.0.0.1:0 --upstream "127.0.0.1:$up_port" --rtt-ms "$rtt" \
        --conn-log "$dir/proxy-$name.conns" > "$logfile.port" 2> "$logfile" < /dev/null &
      pid=$!
      echo "$pid" > "$pidfile"
      # It prints its port once it listens.
      local tries=100
      until [ -s "$logfile.port" ]; do
        kill -0 "$pid" 2>/dev/null || { cat "$logfile" >&2; rm -f "$pidfile"; kbj_die "delayproxy did not start"; }
        tries=$((tries - 1))
        [ $tries -gt 0 ] || { kill "$pid"; rm -f "$pidfile"; kbj_die "delayproxy printed no port"; }
        sleep 0.05
      done
      echo "$scheme://127.0.0.1:$(head -n1 "$logfile.port")" > "$urlfile"
      rm -f "$logfile.port"
      log "proxy $name: $(cat "$urlfile") -> $upstream with ${rtt} ms round trips (pid $pid)"
      cat "$urlfile"
      ;;
    stop)
      if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null || true
        kbj_wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
        log "proxy $name stopped"
      else
        log "proxy $name not running"
      fi
      rm -f "$pidfile" "$urlfile"
      ;;
    *) echo "usage: $0 proxy start --upstream URL --rtt-ms N [--name NAME] | proxy stop [--name NAME]" >&2; exit 2 ;;
  esac
}
pidfile=$dir/fixtures-$name.pid
urlfile=$dir/fixtures-$name.url
logfile=$dir/fixtures-$name.log

log() { kbj_log "$@" >&2; }
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case $cmd in
  proxy) proxy_cmd ;;
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
  *) echo "usage: $0 start|stop|url [--port N] [--name NAME] | proxy start|stop ..." >&2; exit 2 ;;
esac
