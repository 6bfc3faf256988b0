#!/usr/bin/env bash
# fixtures.sh start|stop|url|env [--port N] [--name NAME]
#
# Serves the fixture web site (tests/fixtures/site/router.php) with `php -S` on
# 127.0.0.1, for the fetcher and normaliser tests. `start` prints the base URL on
# stdout and nothing else, so a script can do
#
#   export KBJOBS_FIXTURE_URL=$(tools/fixtures.sh start)
#
# (messages go to stderr). The port defaults to a free one; the pid, log and URL files
# live in $KBJOBS_HOME when it is set, else in build/. Like tools/serve.sh, the server
# runs with PHP_CLI_SERVER_WORKERS (default 16, as many transfers as the tests run at
# once; KBJOBS_FIXTURE_WORKERS overrides) in its own process group (setsid) and is
# stopped by that group, workers included.
# `url` prints the URL of the running server (exit 1 when not running).
#
# With the site, `start` also starts nginx (Debian's; its own config, pid and logs under
# $KBJOBS_HOME/nginx-NAME, from tests/fixtures/tls/nginx.conf.in) in front of it, with
# three TLS listeners on free ports: HTTP/2 (ALPN h2), HTTP/1.1 only, and HTTP/2 sending
# GOAWAY after 5 requests per connection. Their certificate is signed by a test CA made
# with openssl once per instance ($KBJOBS_HOME/tls; reused when present). `stop` stops
# nginx too. `env` prints, for env.sh, the exports the TLS tests read:
# KBJOBS_FIXTURE_TLS_URL (h2), KBJOBS_FIXTURE_TLS_H1_URL, KBJOBS_FIXTURE_TLS_GOAWAY_URL,
# KBJOBS_FIXTURE_CA (the CA's PEM) and KBJOBS_FIXTURE_TLS_LOG (nginx's access log:
# "PORT CONNECTION REQUESTS PROTOCOL STATUS URI" per request). The ports are kept in
# fixtures-NAME.tls-ports and reused at the next start.
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
tlsdir=$dir/tls
ngxdir=$dir/nginx-$name
ngxpid=$dir/fixtures-$name.nginx.pid
portsfile=$dir/fixtures-$name.tls-ports

log() { kbj_log "$@" >&2; }
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
nginx_running() { [ -f "$ngxpid" ] && kill -0 "$(cat "$ngxpid")" 2>/dev/null; }

# The test CA and the server certificate (SAN IP:127.0.0.1, DNS:localhost), made once:
# in a temporary folder renamed into place, so a half-made set is never taken for one.
tls_certs() {
  [ -f "$tlsdir/ca.pem" ] && [ -f "$tlsdir/server.pem" ] && [ -f "$tlsdir/server.key" ] && return 0
  command -v openssl > /dev/null || kbj_die "openssl is missing (tools/install-deps.sh)"
  local tmp
  tmp=$(mktemp -d "$dir/tls.XXXXXX")
  (
    cd "$tmp"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -keyout ca.key -out ca.pem -subj "/CN=kbjobs fixture test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout server.key -out server.csr -subj "/CN=localhost"
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" \
      -days 825 -extfile server.ext -out server.pem
    rm -f server.csr server.ext
  ) > "$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log" >&2; rm -rf "$tmp"; kbj_die "openssl failed"; }
  chmod 600 "$tmp/ca.key" "$tmp/server.key"
  rm -rf "$tlsdir"
  mv "$tmp" "$tlsdir"
  log "made a test CA and a certificate for 127.0.0.1 in $tlsdir"
}

# nginx in front of the php -S site on port $1.
nginx_start() {
  local upstream=$1 h2 h1 goaway
  command -v nginx > /dev/null || kbj_die "nginx is missing (tools/install-deps.sh)"
  tls_certs
  if [ -s "$portsfile" ]; then
    read -r h2 h1 goaway < "$portsfile"
  else
    h2=$(kbj_free_port) && h1=$(kbj_free_port) && goaway=$(kbj_free_port) || kbj_die "no free port"
    # Three calls may return the same port: it was free each time.
    while [ "$h1" = "$h2" ]; do h1=$(kbj_free_port); done
    while [ "$goaway" = "$h2" ] || [ "$goaway" = "$h1" ]; do goaway=$(kbj_free_port); done
    echo "$h2 $h1 $goaway" > "$portsfile"
  fi
  mkdir -p "$ngxdir"/tmp/{body,proxy,fastcgi,uwsgi,scgi}
  sed -e "s|@PREFIX@|$ngxdir|g" -e "s|@CERT@|$tlsdir/server.pem|g" -e "s|@KEY@|$tlsdir/server.key|g" \
      -e "s|@H2_PORT@|$h2|g" -e "s|@H1_PORT@|$h1|g" -e "s|@GOAWAY_PORT@|$goaway|g" \
      -e "s|@UPSTREAM_PORT@|$upstream|g" \
      "$KBJOBS_ROOT/tests/fixtures/tls/nginx.conf.in" > "$ngxdir/nginx.conf"
  nginx -t -q -p "$ngxdir" -e "$ngxdir/error.log" -c "$ngxdir/nginx.conf" -g 'daemon off;' \
      > "$ngxdir/check.log" 2>&1 || { cat "$ngxdir/check.log" >&2; return 1; }
  setsid nginx -p "$ngxdir" -e "$ngxdir/error.log" -c "$ngxdir/nginx.conf" -g 'daemon off;' \
    > "$ngxdir/stdout.log" 2>&1 < /dev/null &
  echo $! > "$ngxpid"
  if ! { kbj_wait_port "$h2" 30 && kbj_wait_port "$h1" 30 && kbj_wait_port "$goaway" 30; }; then
    cat "$ngxdir/error.log" "$ngxdir/stdout.log" >&2
    nginx_stop
    return 1
  fi
  log "$name over TLS: h2 https://127.0.0.1:$h2, http/1.1 https://127.0.0.1:$h1," \
      "h2 with GOAWAY after 5 requests https://127.0.0.1:$goaway (nginx pid $(cat "$ngxpid"))"
}

# nginx's fast shutdown (TERM) to the group: the master and its workers.
nginx_stop() {
  if nginx_running; then
    local pid
    pid=$(cat "$ngxpid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    kbj_wait_gone "$pid" 10 || kill -KILL -- "-$pid" 2>/dev/null || true
    log "$name nginx stopped"
  fi
  rm -f "$ngxpid"
}

case $cmd in
  proxy) proxy_cmd ;;
  start)
    if running && [ -f "$urlfile" ]; then
      log "$name already running ($(cat "$urlfile"))"
      nginx_running || nginx_start "$(sed 's/.*://' "$urlfile")" || kbj_die "nginx did not start"
      cat "$urlfile"
      exit 0
    fi
    [ -n "$port" ] || port=$(kbj_free_port) || kbj_die "no free port"
    cd "$KBJOBS_ROOT"
    PHP_CLI_SERVER_WORKERS=${KBJOBS_FIXTURE_WORKERS:-16} \
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
    if ! nginx_start "$port"; then
      kill -TERM -- "-$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile" "$urlfile"
      kbj_die "nginx did not start"
    fi
    log "$name serving http://127.0.0.1:$port (pid $(cat "$pidfile"), log $logfile)"
    cat "$urlfile"
    ;;
  stop)
    nginx_stop
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
  env)
    [ -s "$portsfile" ] || kbj_die "$name has not been started"
    read -r h2 h1 goaway < "$portsfile"
    echo "export KBJOBS_FIXTURE_TLS_URL=https://127.0.0.1:$h2"
    echo "export KBJOBS_FIXTURE_TLS_H1_URL=https://127.0.0.1:$h1"
    echo "export KBJOBS_FIXTURE_TLS_GOAWAY_URL=https://127.0.0.1:$goaway"
    echo "export KBJOBS_FIXTURE_CA=$tlsdir/ca.pem"
    echo "export KBJOBS_FIXTURE_TLS_LOG=$ngxdir/access.log"
    ;;
  *) echo "usage: $0 start|stop|url|env [--port N] [--name NAME] | proxy start|stop ..." >&2; exit 2 ;;
esac
