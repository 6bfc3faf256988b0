#!/usr/bin/env bash
# tests/bench/cron/run.sh - the WP-Cron benchmark (run by tools/bench.sh, i.e. `make bench`;
# see tests/bench/README.md, "WP-Cron"). Needs the bench instance's MariaDB running
# ($KBJOBS_HOME/env.sh, started by tools/bench.sh); installs WordPress with the plugin into
# it, serves it with php -S, and measures in one run:
#
#   core     N due no-op events drained by core's wp-cron.php (requests one after another,
#            as a system cron calling it in a loop), WP-Cron left to core
#   kbjobs   the same N drained by `wp kb work --until-empty` with WP-Cron on kbjobs, with
#            1 and 2 runners started together
#   page     the hot path of a page view: 50 wp_next_scheduled() checks of 50 scheduled
#            hooks in a fresh process, queries and milliseconds of those checks alone,
#            WP-Cron on core and on kbjobs (median of PAGE_RUNS processes each)
#
#   KBJOBS_BENCH_CRON_EVENTS=1000,10000   the N of each drain (comma-separated)
#   KBJOBS_BENCH_CRON_PAGE_RUNS=30
#   KBJOBS_BENCH_CRON_CORE_MAX_SECONDS=300  core's drain stops after this long (its cost per
#            event grows with the number of events: every run rewrites the whole `cron`
#            option); its rate is then what it drained in that time, and the row says so
#
# Every drain is checked: no kbb_cron_noop event left, and with kbjobs N runs recorded ok.
# Output in $KBJOBS_BENCH_OUT/cron/: summary.txt, results.csv, the runners' reports.
set -uo pipefail
. "$(dirname "$0")/../../../tools/lib.sh"
cd "$KBJOBS_ROOT"
kbj_env_load
export KBJOBS_ROOT

OUT=${KBJOBS_BENCH_OUT:-$KBJOBS_ROOT/build/test-output/bench}/cron
EVENTS=${KBJOBS_BENCH_CRON_EVENTS:-1000,10000}
PAGE_RUNS=${KBJOBS_BENCH_CRON_PAGE_RUNS:-30}
CORE_MAX=${KBJOBS_BENCH_CRON_CORE_MAX_SECONDS:-300}
mkdir -p "$OUT"
log() { echo "[cron] $*"; }
php_wp() { php -d extension="$(kbj_extension)" -d auto_prepend_file="$KBJOBS_ROOT/tools/php/prepend.php" \
  -d memory_limit=1G tests/bench/cron/bench_cron.php "$@"; }
now() { date +%s.%N; }

[ -n "$(kbj_extension)" ] || kbj_die "the extension is not built (make)"
tools/wp-cli.sh > /dev/null || kbj_die "tools/wp-cli.sh failed"
tools/wordpress.sh install > "$OUT/wordpress.log" 2>&1 || { cat "$OUT/wordpress.log" >&2; kbj_die "WordPress install failed"; }
# Page views in this script must not spawn loopbacks of their own: the drains are driven
# explicitly (wp-cron.php requests, runners).
sed -i "s/define( 'DISABLE_WP_CRON', false );/define( 'DISABLE_WP_CRON', true );/" "$KBJOBS_WP_DIR/wp-config.php"
mkdir -p "$KBJOBS_WP_DIR/wp-content/mu-plugins"
cat > "$KBJOBS_WP_DIR/wp-content/mu-plugins/kbb-cron.php" <<'PHP'
<?php
// The benchmark's no-op event.
add_action( 'kbb_cron_noop', '__return_null' );
PHP
tools/serve.sh start > "$OUT/serve.log" 2>&1 || kbj_die "php -S did not start"
trap 'tools/serve.sh stop > /dev/null 2>&1' EXIT

: > "$OUT/results.csv"
row() { echo "\"$1\",$2,$3,$4" >> "$OUT/results.csv"; printf '%-34s %8s events %9.2f s %10.1f events/s\n' "$1" "$2" "$3" "$4" | tee -a "$OUT/summary.txt"; }
: > "$OUT/summary.txt"

drain_core() {
  local n=$1 t0 t1 left done_n label="core wp-cron.php"
  php_wp mode off && php_wp clear && php_wp schedule "$n" || kbj_die "cannot schedule $n events"
  t0=$(now)
  left=$n
  while [ "$left" -gt 0 ]; do
    # wp-cron.php runs every due event in one request: cut it off at the time limit.
    curl -s -o /dev/null --max-time "$CORE_MAX" "$KBJOBS_WP_URL/wp-cron.php"
    left=$(php_wp remaining)
    if [ "$(echo "$(now) - $t0 >= $CORE_MAX" | bc)" = 1 ]; then
      break
    fi
  done
  t1=$(now)
  done_n=$((n - left))
  [ "$left" -gt 0 ] && label="core wp-cron.php (cut at ${CORE_MAX} s: $done_n of $n)"
  # php -S may still be running the cut-off request: stop and start it again.
  tools/serve.sh stop > /dev/null 2>&1; tools/serve.sh start > /dev/null 2>&1 || kbj_die "php -S did not restart"
  row "$label" "$n" "$(echo "$t1 - $t0" | bc)" "$(echo "$done_n / ($t1 - $t0)" | bc -l)"
}

drain_kbjobs() {
  local n=$1 p=$2 t0 t1 i pids=() ran
  php_wp mode on && php_wp clear && php_wp schedule "$n" || kbj_die "cannot schedule $n events"
  t0=$(now)
  for ((i = 0; i < p; i++)); do
    tools/wp kb work --until-empty --due-within=0 --format=json > "$OUT/kbjobs-$n-p$p-$i.json" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || kbj_die "a runner failed: $(cat "$OUT"/kbjobs-"$n"-p"$p"-*.json)"; done
  t1=$(now)
  [ "$(php_wp remaining)" = 0 ] || kbj_die "kbjobs left events behind"
  ran=$(php_wp runs)
  [ "$ran" = "$n" ] || kbj_die "kbjobs recorded $ran runs of $n events"
  row "kbjobs, $p runner(s)" "$n" "$(echo "$t1 - $t0" | bc)" "$(echo "$n / ($t1 - $t0)" | bc -l)"
}

page() {
  local mode=$1 i
  php_wp mode "$mode" && php_wp clear && php_wp page > /dev/null || kbj_die "page setup failed"
  for ((i = 0; i < PAGE_RUNS; i++)); do php_wp page; done > "$OUT/page-$mode.jsonl"
  php -r '
    $rows = array_map( fn( $l ) => json_decode( $l, true ), file( $argv[1], FILE_IGNORE_NEW_LINES ) );
    $med = function ( $k ) use ( $rows ) { $v = array_column( $rows, $k ); sort( $v ); return $v[ intdiv( count( $v ), 2 ) ]; };
    printf( "page view, WP-Cron on %-6s 50 checks: median %.3f ms, %d queries; whole process: median %.1f ms, %d queries\n",
      $argv[2] === "on" ? "kbjobs" : "core", $med( "ms" ), $med( "queries" ), $med( "total_ms" ), $med( "total_queries" ) );
  ' "$OUT/page-$mode.jsonl" "$mode" | tee -a "$OUT/summary.txt"
}

IFS=, read -ra SIZES <<< "$EVENTS"
for n in "${SIZES[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || kbj_die "KBJOBS_BENCH_CRON_EVENTS: \"$n\" is not a count"
  log "draining $n events"
  drain_core "$n"
  drain_kbjobs "$n" 1
  drain_kbjobs "$n" 2
done
page off
page on
php_wp mode on > /dev/null
log "results: ${OUT#"$KBJOBS_ROOT"/}/summary.txt"
