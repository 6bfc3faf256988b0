#!/usr/bin/env bash
# tests/bench/import/run.sh - the import benchmark (run by tools/bench.sh, i.e. `make bench`;
# see tests/bench/README.md, "Import"). Needs the bench instance's MariaDB running
# ($KBJOBS_HOME/env.sh, started by tools/bench.sh); installs WordPress with the plugin into
# it, starts its own nginx serving Debian's postgresql-doc-15 HTML pages on free ports of
# 127.0.0.1 (plain HTTP, and two TLS listeners: h2, and HTTP/1.1 only, with a CA made here
# by openssl), and measures, in one run, pages/s and peak RSS of:
#
#   wrk         nginx alone (wrk, 16 connections, the same paths)             context
#   ceiling     bare C: the engine's streaming pipeline (kbj_pipeline_*: fetch and
#               normalise two chunks of CHUNK ahead) + one write() per page, no database
#               (also "ceiling+sync": fsync per chunk)                           (d)
#   ceiling-batch  the ceiling before the pipeline (kbj_fetch_many per batch); only when
#               named in KBJOBS_BENCH_IMPORT_ONLY
#   engine      the engine alone: kbj_import_submit {"posts": false, chunk_size}, kbj_run
#               on queue import until empty (chunk CHUNK, and the other of 10 and 50)  (a)
#   bulk        tools/wp kb import --sink=bulk, then tools/wp kb work --queues=import --until-empty  (b)
#   compatible  the same with --sink=compatible                                (b)
#   tuned-same  plain PHP doing the compatible sink's work (tuned-same.php)    (c'')
#   tuned       plain PHP as an expert writes it (tuned.php)                   (c')
#   naive       plain PHP as a developer first writes it (naive.php)           (c)
#   memory      the engine alone at 1,000 URLs and at MEMORY_URLS: peak RSS
#   submit      a 1,000,000-URL list accepted: kbj_import_submit and tools/wp kb import
#   latency     a remote site: the TLS listeners behind the delay proxy (build/tools/
#               delayproxy, RTT per round trip), at each RTT of LATENCY_RTTS, over
#               HTTP/1.1 and HTTP/2, at chunk 10 and 50, PER_HOST requests per host, one
#               process each: rows lat-ceiling, lat-engine, lat-bulk, lat-compatible,
#               lat-tuned-same (each also selectable alone by that name)
#
# Every fetcher of every row (engine, plugin, ceiling, tuned-same) makes at most PER_HOST
# requests at once to the one host (the engine: KBJOBS_BENCH_MAX_PER_HOST read by
# bench_import, KBJOBS_FETCH_MAX_PER_HOST in the site's wp-config.php for the plugin);
# tuned.php keeps its own 16.
#
# With 1 and 2 processes (2: the list split in halves, two imports, two runners started
# together, each claiming one job at a time). Every scenario starts from the same state:
# no kb_article posts (nor their meta), no artifact index rows, no artifacts/ files.
#
#   KBJOBS_BENCH_IMPORT_ONLY=engine,ceiling   only some scenarios (names above)
#   KBJOBS_BENCH_IMPORT_URLS=5000             URLs per scenario (naive: NAIVE_URLS)
#   KBJOBS_BENCH_IMPORT_NAIVE_URLS=1000
#   KBJOBS_BENCH_IMPORT_MEMORY_URLS=100000    the large run of the memory check
#   KBJOBS_BENCH_IMPORT_SUBMIT_URLS=1000000
#   KBJOBS_BENCH_IMPORT_CHUNK=10              chunk size of the local engine and plugin runs
#   KBJOBS_BENCH_IMPORT_PER_HOST=16           requests at once per host, every row
#   KBJOBS_BENCH_IMPORT_WRK_SECONDS=10
#   KBJOBS_BENCH_IMPORT_LATENCY_RTTS=50,200   round-trip times of the remote-site rows (ms)
#   KBJOBS_BENCH_IMPORT_LATENCY_PROTOS=h1,h2  their protocols
#   KBJOBS_BENCH_IMPORT_LATENCY_CHUNKS=10,50  their chunk sizes
#   KBJOBS_BENCH_IMPORT_LATENCY_URLS=         URLs per remote-site row; empty: what PER_HOST
#                                             requests at once would fetch in
#   KBJOBS_BENCH_IMPORT_LATENCY_SECONDS=4     seconds at that RTT (1,300 URLs at 50 ms,
#                                             300 at 200 ms: rows of about 5-15 s)
#   KBJOBS_BENCH_IMPORT_NGINX_WORKERS=auto
#   KBJOBS_BENCH_IMPORT_NO_EXT_BUILD=1        do not run `make ext` (see below)
#
# Output in $KBJOBS_BENCH_OUT/import/: summary.txt (table, targets), results.csv, and per
# process the command's stdout/stderr and /usr/bin/time figures.
set -uo pipefail
. "$(dirname "$0")/../../../tools/lib.sh"
cd "$KBJOBS_ROOT"
kbj_env_load
export KBJOBS_ROOT

OUT=${KBJOBS_BENCH_OUT:-$KBJOBS_ROOT/build/test-output/bench}/import
N=${KBJOBS_BENCH_IMPORT_URLS:-5000}
NAIVE_N=${KBJOBS_BENCH_IMPORT_NAIVE_URLS:-1000}
MEM_N=${KBJOBS_BENCH_IMPORT_MEMORY_URLS:-100000}
SUBMIT_N=${KBJOBS_BENCH_IMPORT_SUBMIT_URLS:-1000000}
CHUNK=${KBJOBS_BENCH_IMPORT_CHUNK:-10}
PER_HOST=${KBJOBS_BENCH_IMPORT_PER_HOST:-16}
WRK_SECONDS=${KBJOBS_BENCH_IMPORT_WRK_SECONDS:-10}
LAT_RTTS=${KBJOBS_BENCH_IMPORT_LATENCY_RTTS:-50,200}
LAT_PROTOS=${KBJOBS_BENCH_IMPORT_LATENCY_PROTOS:-h1,h2}
LAT_CHUNKS=${KBJOBS_BENCH_IMPORT_LATENCY_CHUNKS:-10,50}
LAT_N=${KBJOBS_BENCH_IMPORT_LATENCY_URLS:-}
LAT_SECONDS=${KBJOBS_BENCH_IMPORT_LATENCY_SECONDS:-4}
NGINX_WORKERS=${KBJOBS_BENCH_IMPORT_NGINX_WORKERS:-auto}
ONLY=${KBJOBS_BENCH_IMPORT_ONLY:-}
HTML=/usr/share/doc/postgresql-doc-15/html
WORK=$KBJOBS_HOME/import
BIN=$KBJOBS_ROOT/build/bench/bench_import
NGINX_DIR=$KBJOBS_HOME/nginx
TLS_DIR=$KBJOBS_HOME/tls
PROXY=$KBJOBS_ROOT/build/tools/delayproxy
PREFIX=$KBJOBS_DB_PREFIX

for v in N NAIVE_N MEM_N SUBMIT_N CHUNK PER_HOST WRK_SECONDS LAT_SECONDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || kbj_die "$v must be a positive integer (got \"${!v}\")"
done
[ -z "$LAT_N" ] || [[ $LAT_N =~ ^[1-9][0-9]*$ ]] || kbj_die "LATENCY_URLS must be a positive integer (got \"$LAT_N\")"
[[ $LAT_RTTS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || kbj_die "LATENCY_RTTS must be milliseconds, comma-separated"
[[ $LAT_PROTOS =~ ^(h1|h2)(,(h1|h2))*$ ]] || kbj_die "LATENCY_PROTOS must be h1, h2 or both"
[[ $LAT_CHUNKS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || kbj_die "LATENCY_CHUNKS must be chunk sizes, comma-separated"
[ "$PER_HOST" -le 100 ] || kbj_die "PER_HOST must be 1..100"
# Every fetcher bench_import makes (runner, ceiling) takes these two.
export KBJOBS_BENCH_MAX_PER_HOST=$PER_HOST KBJOBS_BENCH_CA_FILE=$TLS_DIR/ca.pem

RUN_START=$SECONDS
log() { echo "[import] $*"; }
wanted() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
named() { [[ ",$ONLY," == *",$1,"* ]]; }
# A remote-site row: "latency" selects them all, "lat-engine" (and so on) one kind.
wanted_lat() { [ -z "$ONLY" ] || named latency || named "$1"; }
any_lat() {
  local s
  for s in lat-ceiling lat-engine lat-bulk lat-compatible lat-tuned-same; do
    wanted_lat "$s" && return 0
  done
  return 1
}

# ---- provisioning ------------------------------------------------------------------------

# Debian packages of this benchmark (not needed by the tests, so not in install-deps.sh).
# Installing nginx does not start the system's nginx here (policy-rc.d); if it does on
# another machine, that server is left alone: ours has its own config, port and PID.
install_packages() {
  local missing=() p SUDO=
  for p in nginx openssl wrk postgresql-doc-15; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
    $SUDO apt-get update -qq
  fi
  $SUDO apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" > /dev/null
}

build_bench() {
  local deps="libmariadb libcurl jansson libxml-2.0 libcrypto" src=tests/bench/import/bench_import.c
  mkdir -p "$(dirname "$BIN")"
  if [ -x "$BIN" ] && [ -z "$(find "$src" engine -newer "$BIN" -name '*.[ch]' 2>/dev/null | head -n1)" ]; then
    return 0
  fi
  log "building ${BIN#"$KBJOBS_ROOT"/} (-O2, the engine's sources linked in)"
  # shellcheck disable=SC2046
  cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -O2 -Iengine -Iengine/util -Iengine/core -Iengine/import \
    -Iengine/jobtypes $(pkg-config --cflags $deps) \
    -o "$BIN" "$src" engine/*/*.c $(pkg-config --libs $deps) -lpthread -lm
}

# The bench's own CA and a certificate for 127.0.0.1 signed by it (P-256 keys: cheap
# handshakes, as most sites have now), made once per bench instance under $TLS_DIR. The
# fetchers trust the CA through their CA-file settings, never through the system's store.
make_tls() {
  [ -s "$TLS_DIR/ca.pem" ] && [ -s "$TLS_DIR/server.pem" ] && return 0
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR"
  (
    cd "$TLS_DIR" || exit 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
      -subj "/CN=kbjobs bench CA" -keyout ca.key -out ca.pem \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
      -keyout server.key -out server.csr &&
    printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=CA:FALSE' \
      'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' > server.ext &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile server.ext -out server.pem
  ) > "$TLS_DIR/openssl.log" 2>&1 || { cat "$TLS_DIR/openssl.log" >&2; return 1; }
}

NGINX_PID=
start_nginx() {
  local port h2 h1
  port=$(kbj_free_port) || kbj_die "no free port"
  h2=$(kbj_free_port) || kbj_die "no free port"
  h1=$(kbj_free_port) || kbj_die "no free port"
  [ "$h2" != "$port" ] || h2=$(kbj_free_port)
  while [ "$h1" = "$port" ] || [ "$h1" = "$h2" ]; do h1=$(kbj_free_port); done
  rm -rf "$NGINX_DIR"
  mkdir -p "$NGINX_DIR/tmp"
  sed -e "s|@PREFIX@|$NGINX_DIR|g" -e "s|@PORT@|$port|g" -e "s|@TLS_H2_PORT@|$h2|g" -e "s|@TLS_H1_PORT@|$h1|g" \
      -e "s|@TLS_DIR@|$TLS_DIR|g" -e "s|@ROOT@|$HTML|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" \
      tests/bench/import/nginx.conf.in > "$NGINX_DIR/nginx.conf"
  nginx -t -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -g 'daemon off;' > "$NGINX_DIR/check.log" 2>&1 \
    || { cat "$NGINX_DIR/check.log" >&2; kbj_die "nginx config check failed"; }
  setsid nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -g 'daemon off;' \
    > "$NGINX_DIR/stdout.log" 2>&1 < /dev/null &
  NGINX_PID=$!
  kbj_wait_port "$port" 30 && kbj_wait_port "$h2" 30 && kbj_wait_port "$h1" 30 \
    || { cat "$NGINX_DIR/error.log" >&2; kbj_die "nginx did not start"; }
  FAST_BASE=http://127.0.0.1:$port
  TLS_H2_PORT=$h2
  TLS_H1_PORT=$h1
  BASE=$FAST_BASE
  LIST_TAG=local
  log "nginx $(nginx -v 2>&1 | sed 's|.*/||') serving $HTML at $FAST_BASE, over TLS with h2 on port $h2 and" \
      "HTTP/1.1 only on port $h1 (pid $NGINX_PID)"
}

# start_proxy PORT RTT_MS: a delay proxy in front of 127.0.0.1:PORT; sets PROXY_PORT. It
# prints its port once listening; it runs until SIGTERM (stop_proxies).
PROXY_PIDS=()
start_proxy() {
  local out=$WORK/proxy-$1-$2.port i
  : > "$out"
  setsid "$PROXY" --listen 127.0.0.1:0 --upstream "127.0.0.1:$1" --rtt-ms "$2" > "$out" 2> "$out.err" < /dev/null &
  PROXY_PIDS+=($!)
  for ((i = 0; i < 100; i++)); do
    PROXY_PORT=$(head -n1 "$out")
    [[ $PROXY_PORT =~ ^[0-9]+$ ]] && return 0
    kill -0 "${PROXY_PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  cat "$out.err" >&2
  return 1
}
stop_proxies() {
  local pid
  for pid in "${PROXY_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  PROXY_PIDS=()
}

# nginx is this shell's child: TERM (nginx's fast shutdown: the master stops its workers
# and exits), then reap it.
stop_nginx() {
  [ -n "$NGINX_PID" ] || return 0
  kill -TERM "$NGINX_PID" 2>/dev/null
  wait "$NGINX_PID" 2>/dev/null
  NGINX_PID=
}

# Every process this script started and still runs (runners, importers, wrk: each in a
# session of its own with its /usr/bin/time) gets a SIGTERM by its process group (a
# runner finishes its chunk and gives its import back), then a SIGKILL after 30 s. The
# MariaDB server is left to tools/bench.sh, which stops it after this script has exited.
CHILDREN=()
cleanup() {
  local pid deadline=$((SECONDS + 30))
  for pid in "${CHILDREN[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null
  done
  for pid in "${CHILDREN[@]}"; do
    while pgrep -g "$pid" > /dev/null && [ $SECONDS -lt $deadline ]; do
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  CHILDREN=()
  stop_proxies
  stop_nginx
  rm -rf "$WORK/trash"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sql() { mariadb --no-defaults --socket="$KBJOBS_DB_SOCKET" -uroot -N -B "$KBJOBS_DB_NAME" -e "$1"; }

# The php flags tools/wp uses, for the plain-PHP importers.
php_flags() {
  echo "-d extension=$(kbj_extension) -d auto_prepend_file=$KBJOBS_ROOT/tools/php/prepend.php"
}

# ---- lists -------------------------------------------------------------------------------

mkdir -p "$WORK" "$OUT"
# make_list FILE COUNT [FIRST]: COUNT distinct URLs cycling through the pages, each copy
# with its own query string (page.html?c=1, ?c=2, ...), starting at list position FIRST.
make_list() {
  awk -v base="$BASE" -v n="$2" -v first="${3:-0}" '
    { page[NR - 1] = $0 } END {
      m = NR
      for (i = first; i < first + n; i++) printf "%s/%s?c=%d\n", base, page[i % m], int(i / m) + 1
    }' "$WORK/pages.txt" > "$1"
}

# ---- measuring ---------------------------------------------------------------------------

# CPU seconds (user + system) used so far by the processes whose PIDs are given.
cpu_of() {
  local hz total=0 pid
  hz=$(getconf CLK_TCK)
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")))
  done
  awk -v t="$total" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'
}
# The serving side: nginx (master and workers), and the delay proxies while they run.
nginx_pids() { echo "$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ') ${PROXY_PIDS[*]}"; }
mariadb_pid() { cat "$KBJOBS_HOME/mariadb/mariadbd.pid"; }

# Starts one measured process in the background: launch TAG CMD... (its stdout, stderr
# and /usr/bin/time figures go to $OUT/TAG.*).
launch() {
  local tag=$1; shift
  setsid /usr/bin/time -f '%e %M %U %S' -o "$OUT/$tag.time" "$@" > "$OUT/$tag.out" 2> "$OUT/$tag.err" < /dev/null &
  CHILDREN+=($!)
  LAUNCHED+=("$tag")
}

# MariaDB's counters: statements received (Questions) and InnoDB fsyncs.
db_counters() {
  sql "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Innodb_data_fsyncs')" \
    | awk '{ v[$1] = $2 } END { print v["Questions"] + 0, v["Innodb_data_fsyncs"] + 0 }'
}

# CPU seconds all cores have been busy since boot (/proc/stat: everything but idle and
# iowait).
host_busy() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat
}

# Before and after a measured run: wall clock, the CPU of mariadbd, of nginx and of the
# whole machine, and MariaDB's counters.
begin_run() {
  LAUNCHED=()
  read -r Q0 F0 <<< "$(db_counters)"
  DB0=$(cpu_of "$(mariadb_pid)")
  NG0=$(cpu_of $(nginx_pids))
  HB0=$(host_busy)
  T0=$(date +%s.%N)
}

# Appends one row to results.csv and shows it:
# row SCENARIO P URLS SECONDS RSS_KIB PROC_CPU NOTE (the rest from the begin_run snapshots)
# columns: scenario,p,urls,seconds,pages_s,peak_rss_mib,proc_cpu_s,mariadbd_cpu_s,
#          nginx_cpu_s,others_cpu_s,host_busy_pct,stmts_per_page,db_fsyncs_per_page,note
# (others: CPU the rest of the machine used meanwhile; host: share of all cores busy)
snap_end() {
  T1=$(date +%s.%N)
  HB1=$(host_busy)
  DB1=$(cpu_of "$(mariadb_pid)")
  NG1=$(cpu_of $(nginx_pids))
  read -r Q1 F1 <<< "$(db_counters)"
}
row() {
  local scenario=$1 p=$2 urls=$3 secs=$4 rss=$5 cpu=$6 note=$7 db ng hb wall others= host=
  db=$(awk -v a="$DB0" -v b="$DB1" 'BEGIN { printf "%.2f", b - a }')
  ng=$(awk -v a="$NG0" -v b="$NG1" 'BEGIN { printf "%.2f", b - a }')
  hb=$(awk -v a="$HB0" -v b="$HB1" 'BEGIN { printf "%.2f", b - a }')
  wall=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.3f", b - a }')
  if [ -n "$cpu" ]; then
    others=$(awk -v h="$hb" -v a="$cpu" -v b="$db" -v c="$ng" 'BEGIN { o = h - a - b - c; printf "%.2f", o < 0 ? 0 : o }')
    host=$(awk -v h="$hb" -v s="$wall" -v n="$(nproc)" 'BEGIN { printf "%.0f", 100 * h / (s * n) }')
  fi
  printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,"%s"\n' "$scenario" "$p" "$urls" "$secs" \
    "$(awk -v n="$urls" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')" \
    "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" "$cpu" "$db" "$ng" \
    "$others" "$host" \
    "$(awk -v a="$Q0" -v b="$Q1" -v n="$urls" 'BEGIN { printf "%.2f", (b - a - 1) / n }')" \
    "$(awk -v a="$F0" -v b="$F1" -v n="$urls" 'BEGIN { printf "%.3f", (b - a) / n }')" \
    "$note" >> "$OUT/results.csv"
  log "$(tail -n1 "$OUT/results.csv")"
}

# end_run SCENARIO P URLS [NOTE]: waits for every launched process and writes the row:
# wall time from begin_run until the last process exited, the largest peak RSS of the
# processes, their CPU time together. Fails the scenario (returns 1) when a process failed.
end_run() {
  local scenario=$1 p=$2 urls=$3 note=${4:-} rc=0 pid secs rss=0 cpu=0 tag line
  for pid in "${CHILDREN[@]}"; do
    wait "$pid" || rc=1
  done
  CHILDREN=()
  snap_end
  secs=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }')
  for tag in "${LAUNCHED[@]}"; do
    line=$(tail -n1 "$OUT/$tag.time")
    rss=$(awk -v r="$rss" -v l="$line" 'BEGIN { split(l, f, " "); print (f[2] > r ? f[2] : r) }')
    cpu=$(awk -v c="$cpu" -v l="$line" 'BEGIN { split(l, f, " "); printf "%.2f", c + f[3] + f[4] }')
  done
  [ $rc -eq 0 ] || note="FAILED${note:+ ($note)}"
  row "$scenario" "$p" "$urls" "$secs" "$rss" "$cpu" "$note"
  [ $rc -eq 0 ] || { log "$scenario p=$p: a process failed (see $OUT/*.err)"; FAILED+=("$scenario/p$p"); }
  return $rc
}

# Empties what a scenario writes: kb_article posts and their meta, the artifact index,
# artifacts/ and the ceiling's files; then waits for InnoDB's purge so no background
# work of one scenario runs into the next. The files are moved aside, not deleted, until
# the end: on ext4 without a journal (this machine's disk) a new inode skips every inode
# deleted in the last 30 s, a scan that made file creation a measurable part of the next
# scenario's CPU time (perf: ext4_create -> find_inode_bit -> recently_deleted).
TRASH=0
reset_state() {
  local d
  sql "DELETE pm FROM ${PREFIX}postmeta pm JOIN ${PREFIX}posts p ON p.ID = pm.post_id WHERE p.post_type = 'kb_article';
       DELETE FROM ${PREFIX}posts WHERE post_type = 'kb_article';
       TRUNCATE TABLE ${PREFIX}kbjobs_artifacts;" || kbj_die "reset failed"
  mkdir -p "$WORK/trash"
  for d in "$KBJOBS_DATA_DIR/artifacts" "$WORK/ceiling-out"; do
    [ -e "$d" ] || continue
    TRASH=$((TRASH + 1))
    mv "$d" "$WORK/trash/$TRASH"
  done
  sql "SET GLOBAL innodb_max_purge_lag_wait = 0" > /dev/null 2>&1 || true
  sync
  sleep 1
}

# The posts and artifact rows a scenario left.
count_posts() { sql "SELECT COUNT(*) FROM ${PREFIX}posts WHERE post_type = 'kb_article' AND post_status = 'publish'"; }
count_artifacts() { sql "SELECT COUNT(*) FROM ${PREFIX}kbjobs_artifacts"; }

# check_jobs ID...: every import completed with as many fetched as URLs and none failed.
check_jobs() {
  local out
  out=$("$BIN" status "$@") || return 1
  echo "$out" >> "$OUT/jobs.jsonl"
  php -r '
    $bad = 0;
    foreach (file("php://stdin", FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $l) {
      $j = json_decode($l, true);
      $m = $j["metrics"] ?? [];
      if ($j["status"] !== "completed" || ($m["failed"] ?? 0) > 0 || ($m["fetched"] ?? -1) !== $j["total"]) {
        fwrite(STDERR, "[import] job not clean: $l\n"); $bad = 1;
      }
    }
    exit($bad);' <<< "$out"
}

FAILED=()

# ---- scenarios ---------------------------------------------------------------------------

# lists_for COUNT P: writes P lists that split one COUNT-URL list of $BASE (the local
# server, or a proxy: $LIST_TAG names which) in equal parts, and sets LISTS to their paths.
lists_for() {
  local count=$1 p=$2 i per first n tag=$LIST_TAG
  LISTS=()
  per=$(( (count + p - 1) / p ))
  for ((i = 0; i < p; i++)); do
    first=$((i * per))
    n=$per
    [ $((first + n)) -le "$count" ] || n=$((count - first))
    make_list "$WORK/list-$tag-$count-$p-$i.txt" "$n" "$first"
    LISTS+=("$WORK/list-$tag-$count-$p-$i.txt")
  done
}

run_wrk() {
  local conns=16 reqs secs line
  sed "s|^$BASE||" "$WORK/list-local-$N-1-0.txt" > "$WORK/paths.txt"
  log "wrk: ${WRK_SECONDS}s, 2 threads, $conns connections, the $N paths of the import"
  begin_run
  BENCH_PATHS=$WORK/paths.txt launch wrk-p1 wrk -t2 -c$conns -d"${WRK_SECONDS}s" \
    -s tests/bench/import/paths.lua "$BASE/"
  wait "${CHILDREN[@]}"
  CHILDREN=()
  snap_end
  cat "$OUT/wrk-p1.out"
  reqs=$(awk '/requests in/ { print $1 }' "$OUT/wrk-p1.out")
  secs=$(awk '/requests in/ { sub(/s,$/, "", $4); print $4 }' "$OUT/wrk-p1.out")
  line=$(tail -n1 "$OUT/wrk-p1.time")
  row wrk 1 "$reqs" "$secs" "$(echo "$line" | cut -d' ' -f2)" \
    "$(awk -v l="$line" 'BEGIN { split(l, f, " "); printf "%.2f", f[3] + f[4] }')" \
    "requests, 2 threads, $conns connections, $(awk '/Transfer\/sec/ { print $2 }' "$OUT/wrk-p1.out")/s"
}

# ceiling P [sync|batch] [COUNT CHUNK SCENARIO NOTE]: the pipeline ceiling (with "sync":
# its files synced per chunk; "batch": the ceiling before the pipeline, ceiling-batch)
run_ceiling() {
  local p=$1 mode=${2:-} count=${3:-$N} chunk=${4:-$CHUNK} name=${5:-ceiling} note=${6:-chunk ${4:-$CHUNK}} i
  local cmd=ceiling sync=
  case $mode in
    sync) sync=sync; name=ceiling+sync ;;
    batch) cmd=ceiling-batch; name=ceiling-batch; note="batch $chunk" ;;
  esac
  lists_for "$count" "$p"
  reset_state
  begin_run
  for ((i = 0; i < p; i++)); do
    launch "$name-c$chunk-n$count-p$p-$LIST_TAG-$i" "$BIN" "$cmd" "${LISTS[$i]}" "$WORK/ceiling-out" "$chunk" $sync
  done
  end_run "$name" "$p" "$count" "$note"
}

# engine P CHUNK COUNT [SCENARIO [NOTE]]
run_engine() {
  local p=$1 chunk=$2 count=$3 scenario=${4:-engine} note=${5:-chunk $2} i ids=() id
  lists_for "$count" "$p"
  reset_state
  for ((i = 0; i < p; i++)); do
    # max_per_host as an import param too: the runner's setting (KBJOBS_BENCH_MAX_PER_HOST)
    # and the import's are the same number, so either way the row gets PER_HOST
    id=$("$BIN" submit "${LISTS[$i]}" "{\"posts\": false, \"chunk_size\": $chunk, \"max_per_host\": $PER_HOST}" \
         | tee -a "$OUT/submits.jsonl" \
         | php -r 'echo json_decode(stream_get_contents(STDIN), true)["id"];') || { FAILED+=("$scenario/submit"); return 1; }
    ids+=("$id")
  done
  begin_run
  for ((i = 0; i < p; i++)); do
    launch "$scenario-c$chunk-n$count-p$p-$LIST_TAG-$i" "$BIN" run 1
  done
  end_run "$scenario" "$p" "$count" "$note" || return 1
  check_jobs "${ids[@]}" || FAILED+=("$scenario/p$p/check")
  [ "$(count_artifacts)" -eq "$count" ] || { log "expected $count artifact rows, found $(count_artifacts)"; FAILED+=("$scenario/p$p/artifacts"); }
}

# wp SINK P [COUNT [SCENARIO [CHUNK [NOTE]]]]
run_wp() {
  local sink=$1 p=$2 count=${3:-$N} scenario=${4:-$1} chunk=${5:-$CHUNK} note=${6:-chunk ${5:-$CHUNK}} i ids=() id
  lists_for "$count" "$p"
  reset_state
  for ((i = 0; i < p; i++)); do
    id=$(tools/wp kb import "${LISTS[$i]}" --sink="$sink" --chunk-size="$chunk" "${WP_IMPORT_ARGS[@]}" --porcelain \
           2>> "$OUT/wp-import.err") \
      || { cat "$OUT/wp-import.err" >&2; FAILED+=("$scenario/import"); return 1; }
    ids+=("$id")
  done
  begin_run
  for ((i = 0; i < p; i++)); do
    # one import per runner: claim one job at a time (the default claims up to 10)
    WP_CLI_PHP_ARGS="-d kbjobs.claim_batch=1" \
      launch "$scenario-c$chunk-n$count-p$p-$LIST_TAG-$i" tools/wp kb work --queues=import --until-empty --format=json
  done
  end_run "$scenario" "$p" "$count" "$note" || return 1
  check_jobs "${ids[@]}" || FAILED+=("$scenario/p$p/check")
  [ "$(count_posts)" -eq "$count" ] || { log "expected $count posts, found $(count_posts)"; FAILED+=("$scenario/p$p/posts"); }
}

# php SCRIPT P COUNT [SCENARIO [NOTE [SCRIPT_OPTION...]]]
run_php() {
  local script=$1 p=$2 count=$3 scenario=${4:-$1} note=${5:-} i tag
  shift $(($# < 5 ? $# : 5))
  lists_for "$count" "$p"
  reset_state
  begin_run
  TAGS=()
  for ((i = 0; i < p; i++)); do
    tag="$scenario-n$count-p$p-$LIST_TAG-$i"
    [ -z "$note" ] || tag+="-$(tr -c 'a-z0-9\n' '-' <<< "$note" | tr -s '-')"
    TAGS+=("$tag")
    # shellcheck disable=SC2046
    launch "$tag" php $(php_flags) tests/bench/import/$script.php "$@" "${LISTS[$i]}"
  done
  end_run "$scenario" "$p" "$count" "$note" || return 1
  [ "$(count_posts)" -eq "$count" ] || { log "expected $count posts, found $(count_posts)"; FAILED+=("$scenario/p$p/posts"); }
}

# tuned-same P COUNT CHUNK PROTO [SCENARIO [NOTE]]: tuned-same.php at PER_HOST, and a check
# that it used the protocol asked for (its report counts the pages that came over HTTP/2).
run_tuned_same() {
  local p=$1 count=$2 chunk=$3 proto=$4 scenario=${5:-tuned-same} note=${6:-chunk $3} args tag h2
  args=(--per-host="$PER_HOST" --chunk="$chunk" --ca-file="$TLS_DIR/ca.pem")
  [ "$proto" = h2 ] && args+=(--h2)
  run_php tuned-same "$p" "$count" "$scenario" "$note" "${args[@]}" || return 1
  for tag in "${TAGS[@]}"; do
    h2=$(php -r '$r = json_decode((string) file_get_contents($argv[1]), true); echo $r["http2_pages"] ?? -1;' "$OUT/$tag.out")
    if { [ "$proto" = h2 ] && [ "$h2" -eq 0 ]; } || { [ "$proto" != h2 ] && [ "$h2" -ne 0 ]; }; then
      log "$scenario ($note): $h2 pages over HTTP/2, asked for $proto"
      FAILED+=("$scenario/$proto/protocol")
    fi
  done
}

# The URLs of a remote-site row at RTT_MS: LAT_N, or what PER_HOST requests at once
# would fetch in LAT_SECONDS at one request per round trip (hundreds, at least 100).
lat_count() {
  [ -n "$LAT_N" ] && { echo "$LAT_N"; return; }
  awk -v h="$PER_HOST" -v s="$LAT_SECONDS" -v rtt="$1" \
    'BEGIN { n = int(h * s * 1000 / rtt / 100 + 0.5) * 100; print n < 100 ? 100 : n }'
}

# The remote-site rows: for each RTT, a delay proxy in front of each TLS listener; for
# each protocol and chunk size, every importer once (one process), in the same order.
run_latency() {
  local rtt proto chunk count note h1_port h2_port
  [ -x "$PROXY" ] || make --no-print-directory tools > "$OUT/make-tools.log" 2>&1
  [ -x "$PROXY" ] || { cat "$OUT/make-tools.log" >&2; log "no $PROXY (make tools): no remote-site rows"; FAILED+=(latency/proxy); return 1; }
  IFS=, read -ra rtts <<< "$LAT_RTTS"
  IFS=, read -ra protos <<< "$LAT_PROTOS"
  IFS=, read -ra chunks <<< "$LAT_CHUNKS"
  for rtt in "${rtts[@]}"; do
    start_proxy "$TLS_H1_PORT" "$rtt" || { FAILED+=("latency/proxy"); return 1; }
    h1_port=$PROXY_PORT
    start_proxy "$TLS_H2_PORT" "$rtt" || { FAILED+=("latency/proxy"); return 1; }
    h2_port=$PROXY_PORT
    count=$(lat_count "$rtt")
    log "remote site at RTT $rtt ms: HTTP/1.1 through 127.0.0.1:$h1_port, h2 through 127.0.0.1:$h2_port, $count URLs a row"
    for proto in "${protos[@]}"; do
      if [ "$proto" = h2 ]; then BASE=https://127.0.0.1:$h2_port; else BASE=https://127.0.0.1:$h1_port; fi
      LIST_TAG=$proto-$rtt
      for chunk in "${chunks[@]}"; do
        note="$proto, rtt $rtt ms, chunk $chunk, $PER_HOST/host"
        wanted_lat lat-ceiling && run_ceiling 1 "" "$count" "$chunk" lat-ceiling "$note"
        wanted_lat lat-engine && run_engine 1 "$chunk" "$count" lat-engine "$note"
        wanted_lat lat-bulk && run_wp bulk 1 "$count" lat-bulk "$chunk" "$note"
        wanted_lat lat-compatible && run_wp compatible 1 "$count" lat-compatible "$chunk" "$note"
        wanted_lat lat-tuned-same && run_tuned_same 1 "$count" "$chunk" "$proto" lat-tuned-same "$note"
      done
    done
    stop_proxies
  done
  BASE=$FAST_BASE
  LIST_TAG=local
}

# The acceptance of a big list: kbj_import_submit, then `wp kb import`, of SUBMIT_N URLs.
# Both jobs are cancelled at once and their lists removed.
run_submit() {
  local list=$WORK/list-submit.txt id secs line
  make_list "$list" "$SUBMIT_N"
  log "submit: a $SUBMIT_N-line list ($(du -h "$list" | cut -f1))"
  begin_run
  line=$("$BIN" submit "$list" '{"posts": false}') || { FAILED+=("submit/engine"); return 1; }
  snap_end
  echo "$line" >> "$OUT/submits.jsonl"
  id=$(php -r 'echo json_decode($argv[1], true)["id"];' "$line")
  secs=$(php -r 'echo json_decode($argv[1], true)["seconds"];' "$line")
  row submit-engine 1 "$SUBMIT_N" "$secs" "$(php -r 'echo json_decode($argv[1], true)["maxrss_kib"];' "$line")" "" \
    "the kbj_import_submit call alone"
  "$BIN" cancel "$id"
  rm -f "$KBJOBS_DATA_DIR/lists/$id".*

  begin_run
  launch submit-wp tools/wp kb import "$list" --porcelain
  end_run submit-wp 1 "$SUBMIT_N" "tools/wp kb import: the whole process" || return 1
  id=$(tail -n1 "$OUT/submit-wp.out")
  "$BIN" cancel "$id"
  rm -f "$KBJOBS_DATA_DIR/lists/$id".* "$list"
}

# ---- main --------------------------------------------------------------------------------

install_packages || kbj_die "cannot install nginx, openssl, wrk, postgresql-doc-15"
[ -d "$HTML" ] || kbj_die "$HTML is missing"
build_bench || kbj_die "cannot build $BIN"
# KBJOBS_BENCH_IMPORT_NO_EXT_BUILD=1 uses modules/kbjobs.so as it is (beside a `make
# test` run, whose processes have that file mapped: rebuilding it in place under them
# would crash them).
if [ -z "${KBJOBS_BENCH_IMPORT_NO_EXT_BUILD:-}" ]; then
  make --no-print-directory ext > /dev/null || kbj_die "make ext failed"
fi
[ -n "$(kbj_extension)" ] || kbj_die "the extension is not built (make)"
tools/wp-cli.sh > /dev/null || kbj_die "tools/wp-cli.sh failed"
tools/wordpress.sh install > "$OUT/wordpress.log" 2>&1 || { cat "$OUT/wordpress.log" >&2; kbj_die "WordPress install failed"; }
# No WP-Cron on the bench site: a cron spawn from any WordPress load would run the
# plugin's tick (imports!) inside a web request during the measurements.
sed -i "s/define( 'DISABLE_WP_CRON', false );/define( 'DISABLE_WP_CRON', true );/" "$KBJOBS_WP_DIR/wp-config.php"
grep -q "define( 'DISABLE_WP_CRON', true );" "$KBJOBS_WP_DIR/wp-config.php" || kbj_die "cannot turn WP-Cron off"
make_tls || kbj_die "cannot make the bench's CA and certificate with openssl"
# The plugin's fetcher: PER_HOST requests per host (as every row) and the bench's CA.
if ! grep -q KBJOBS_FETCH_MAX_PER_HOST "$KBJOBS_WP_DIR/wp-config.php"; then
  sed -i "s|^define( 'DISABLE_WP_CRON', true );|&\ndefine( 'KBJOBS_FETCH_MAX_PER_HOST', $PER_HOST );\ndefine( 'KBJOBS_FETCH_CA_FILE', '$TLS_DIR/ca.pem' );|" \
    "$KBJOBS_WP_DIR/wp-config.php"
fi
grep -q "define( 'KBJOBS_FETCH_MAX_PER_HOST', $PER_HOST );" "$KBJOBS_WP_DIR/wp-config.php" \
  || kbj_die "cannot set KBJOBS_FETCH_MAX_PER_HOST in wp-config.php"
# ... and that the plugin reads them: otherwise its rows would quietly fetch at the
# engine's default per host, or fail on the CA, and compare unequal work.
cat > "$WORK/settings.php" <<'PHP'
<?php
require getenv( 'KBJOBS_ROOT' ) . '/tests/bench/import/wp-boot.php';
echo json_encode( KBJobs_Settings::import_settings() ), "\n";
PHP
# shellcheck disable=SC2046
PLUGIN_FETCH=$(php $(php_flags) "$WORK/settings.php") || kbj_die "cannot read the plugin's import settings"
if ! php -r '$s = json_decode($argv[1], true); exit((int) ($s["max_per_host"] ?? 0) === (int) $argv[2] && ($s["ca_file"] ?? "") === $argv[3] ? 0 : 1);' \
    "$PLUGIN_FETCH" "$PER_HOST" "$TLS_DIR/ca.pem"; then
  log "the plugin's fetch settings lack max_per_host $PER_HOST or the bench's ca_file: $PLUGIN_FETCH"
  FAILED+=(plugin-settings)
fi
# The per-import setting too, where `wp kb import` has it (as the engine's imports get it).
WP_IMPORT_ARGS=()
tools/wp help kb import 2>/dev/null | grep -q -- '--max-per-host' && WP_IMPORT_ARGS+=(--max-per-host="$PER_HOST")
"$BIN" migrate || kbj_die "cannot create the engine's tables"
ls "$HTML" | grep '\.html$' | sort > "$WORK/pages.txt"
start_nginx

: > "$OUT/results.csv"
{
  echo "pages:   $(wc -l < "$WORK/pages.txt") HTML pages of postgresql-doc-15 $(dpkg-query -W -f='${Version}' postgresql-doc-15), $(du -sh "$HTML" | cut -f1)"
  echo "nginx:   $(nginx -v 2>&1 | sed 's|.*/||'), worker_processes $NGINX_WORKERS, access log off"
  echo "sizes:   URLS=$N NAIVE_URLS=$NAIVE_N MEMORY_URLS=$MEM_N SUBMIT_URLS=$SUBMIT_N CHUNK=$CHUNK PER_HOST=$PER_HOST"
  echo "remote:  RTT ${LAT_RTTS//,/ and } ms through build/tools/delayproxy, ${LAT_PROTOS//,/ and }, chunk ${LAT_CHUNKS//,/ and },"\
       "URLs a row: ${LAT_N:-PER_HOST x $LAT_SECONDS s / RTT}"
} | tee "$OUT/setup.txt"

# Warm-up, not reported: one pass of the ceiling over the list fills the page cache and
# nginx's open-file cache; and no scenario starts within 35 s of this script's start, so
# none pays for the inodes tools/bench.sh deleted when it made a fresh instance (see
# reset_state).
lists_for "$N" 1
log "warm-up: the ceiling over $N URLs (not reported)"
"$BIN" ceiling "${LISTS[0]}" "$WORK/ceiling-out" "$CHUNK" > "$OUT/warmup.out" 2>&1 || kbj_die "warm-up failed: $(cat "$OUT/warmup.out")"
reset_state
while [ $((SECONDS - RUN_START)) -lt 35 ]; do sleep 1; done

wanted wrk && run_wrk
# The engine's other chunk size: 50 when the rows run at 10, else 10.
OTHER_CHUNK=10
[ "$CHUNK" -ne 10 ] || OTHER_CHUNK=50
if wanted ceiling || wanted engine || named ceiling-batch; then
  for p in 1 2; do
    wanted ceiling && run_ceiling "$p"
    wanted engine && run_engine "$p" "$CHUNK" "$N"
    wanted ceiling && run_ceiling "$p" sync
    named ceiling-batch && run_ceiling "$p" batch
    wanted engine && run_engine "$p" "$OTHER_CHUNK" "$N"
  done
fi
for p in 1 2; do
  wanted bulk && run_wp bulk "$p"
  wanted compatible && run_wp compatible "$p"
  wanted tuned-same && run_tuned_same "$p" "$N" "$CHUNK" h1
  wanted tuned && run_php tuned "$p" "$N"
done
for p in 1 2; do
  wanted naive && run_php naive "$p" "$NAIVE_N"
done
if wanted memory; then
  run_engine 1 "$CHUNK" 1000 memory
  run_engine 1 "$CHUNK" "$MEM_N" memory
fi
wanted submit && run_submit
# A remote site: the TLS listeners behind the delay proxy (one process each).
any_lat && run_latency
reset_state

php tests/bench/import/summary.php "$OUT/results.csv" "$N" "$CHUNK" "$PER_HOST" | tee "$OUT/summary.txt"
if [ ${#FAILED[@]} -gt 0 ]; then
  log "FAILED: ${FAILED[*]}"
  exit 1
fi
