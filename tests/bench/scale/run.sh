#!/usr/bin/env bash
# tests/bench/scale/run.sh - the dashboard at a million jobs (run by tools/bench.sh, i.e.
# `make bench`; see tests/bench/README.md, "Dashboard at scale"). Needs the bench
# instance's MariaDB running ($KBJOBS_HOME/env.sh, started by tools/bench.sh); installs
# WordPress with the plugin into it, serves it with php -S and opcache on, seeds
# KBJOBS_BENCH_SCALE_JOBS finished jobs (1,000,000) with 1% of them queued or running, a
# full Failure Log, 48 hours of metrics, audit rows (a tenth of the jobs), WP-Cron events
# and runners' history (tests/scale/lib.php), then times every Operations screen (from
# current_screen to the end of rendering) and every REST list route (the handler),
# median of 10, with the full response time beside it and the slowest query on a kbjobs
# table in those requests (from the slow log). The query rules of `make test-scale` are
# checked too and reported, not asserted.
#
# Output in $KBJOBS_BENCH_OUT/scale/: summary.txt, scale.json.
set -uo pipefail
. "$(dirname "$0")/../../../tools/lib.sh"
cd "$KBJOBS_ROOT"
kbj_env_load
export KBJOBS_ROOT

OUT=${KBJOBS_BENCH_OUT:-$KBJOBS_ROOT/build/test-output/bench}/scale
JOBS=${KBJOBS_BENCH_SCALE_JOBS:-1000000}
mkdir -p "$OUT"

[ -n "$(kbj_extension)" ] || kbj_die "the extension is not built (make)"
tools/wp-cli.sh > /dev/null || kbj_die "tools/wp-cli.sh failed"
tools/wordpress.sh install > "$OUT/wordpress.log" 2>&1 || { cat "$OUT/wordpress.log" >&2; kbj_die "WordPress install failed"; }
mkdir -p "$KBJOBS_WP_DIR/wp-content/mu-plugins"
cp tests/bench/scale/kbb-timing.php "$KBJOBS_WP_DIR/wp-content/mu-plugins/"
# Every connection the server opens from now on logs every statement once the harness
# turns the slow log on (only while it times).
mariadb -S "$KBJOBS_DB_SOCKET" -uroot -e "SET GLOBAL long_query_time = 0" || kbj_die "cannot set long_query_time"
KBJOBS_SERVE_PHP_ARGS="-d opcache.enable_cli=1 -d opcache.memory_consumption=128" \
  tools/serve.sh start > "$OUT/serve.log" 2>&1 || kbj_die "php -S did not start"
trap 'tools/serve.sh stop > /dev/null 2>&1' EXIT

php -d extension="$(kbj_extension)" -d auto_prepend_file="$KBJOBS_ROOT/tools/php/prepend.php" -d memory_limit=1G \
  tests/scale/scale.php --jobs="$JOBS" --timings --json="$OUT/scale.json" 2>&1 | tee "$OUT/summary.txt"
rc=${PIPESTATUS[0]}
# a broken query rule is reported here, not a failed benchmark
[ $rc -le 1 ] && exit 0
exit $rc
