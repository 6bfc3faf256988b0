#!/usr/bin/env bash
# bench.sh - the benchmarks (make bench): a fresh private MariaDB under build/bench-env,
# results in build/test-output/bench/. See tests/bench/README.md for what the figures mean.
# Servers and processes the run starts are stopped at the end whatever happens.
#
#   engine:  the bench program (tests/bench/bench_queue.c) built with -O2 and run against
#            that MariaDB (no WordPress): summary.txt, results.csv, bench.log; then the PHP
#            dispatch path (php.txt)
#   import:  tests/bench/import/run.sh: WordPress with the plugin installed into the same
#            instance, a private nginx serving Debian's postgresql-doc-15 HTML pages, and
#            the import pipeline measured against plain-PHP importers and a bare C ceiling
#            (import/summary.txt, import/results.csv)
#   cron:    tests/bench/cron/run.sh: WordPress with the plugin in the same instance,
#            served by php -S; due no-op events drained by core's wp-cron.php and by
#            kbjobs runners, and the page view's hot path (cron/summary.txt)
#   scale:   tests/bench/scale/run.sh: the dashboard at a million jobs: every screen and
#            REST list route timed (scale/summary.txt)
#   reconcile: tests/bench/reconcile/run.sh: reconciliation of a million artifact records
#            against their files, the native job against plain PHP (reconcile/summary.txt)
#   pickup:  build/bench/bench_pickup: pickup latency with an idle runner, woken locally
#            and polling only, and the idle runner's queries a second (pickup.txt)
#
#   KBJOBS_BENCH_JOBS=20000 make bench     a quick engine run (default 100,000 jobs)
#   KBJOBS_BENCH_ONLY=engine,batched ...   only some sections, comma-separated:
#       engine benchmark:  enqueue engine noop memory naive batched batched-engine php
#       import benchmark:  import (all of it), or some of import-wrk import-ceiling
#                          import-engine import-bulk import-compatible import-tuned-same
#                          import-tuned import-naive import-memory import-submit
#                          import-ceiling-batch, import-latency (every lat-* row) or
#                          import-lat-{ceiling,engine,bulk,compatible,tuned-same}
#       WP-Cron benchmark: cron (KBJOBS_BENCH_CRON_EVENTS=1000,10000)
#       dashboard at scale: scale (KBJOBS_BENCH_SCALE_JOBS=1000000)
#       reconciliation: reconcile (KBJOBS_BENCH_RECONCILE_RECORDS=1000000)
#       pickup latency: pickup (KBJOBS_BENCH_PICKUPS=30, KBJOBS_BENCH_IDLE_MS=1000)
#   Import sizes: KBJOBS_BENCH_IMPORT_URLS=5000, KBJOBS_BENCH_IMPORT_NAIVE_URLS=1000,
#   KBJOBS_BENCH_IMPORT_MEMORY_URLS=100000, KBJOBS_BENCH_IMPORT_SUBMIT_URLS=1000000,
#   KBJOBS_BENCH_IMPORT_CHUNK=10, KBJOBS_BENCH_IMPORT_PER_HOST=16, and the remote-site
#   rows' KBJOBS_BENCH_IMPORT_LATENCY_{RTTS,PROTOS,CHUNKS,URLS,SECONDS}
#   (see tests/bench/import/run.sh)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KBJOBS_ROOT"

export KBJOBS_HOME=$KBJOBS_ROOT/build/bench-env
export KBJOBS_BENCH_OUT=$KBJOBS_ROOT/build/test-output/bench
export KBJOBS_BENCH_JOBS=${KBJOBS_BENCH_JOBS:-100000}

# Which parts run: everything without KBJOBS_BENCH_ONLY; otherwise the engine benchmark
# when a name of its sections is given, the import benchmark when import or import-* is.
only=${KBJOBS_BENCH_ONLY:-}
run_engine=1 run_import=1 run_cron=1 run_scale=1 run_reconcile=1 run_pickup=1
import_only=
if [ -n "$only" ]; then
  run_engine=0 run_import=0 run_cron=0 run_scale=0 run_reconcile=0 run_pickup=0
  IFS=, read -ra names <<< "$only"
  for name in "${names[@]}"; do
    case $name in
      import) run_import=1 ;;
      cron) run_cron=1 ;;
      scale) run_scale=1 ;;
      reconcile) run_reconcile=1 ;;
      pickup) run_pickup=1 ;;
      import-*) run_import=1; import_only+=${import_only:+,}${name#import-} ;;
      '') ;;
      *) run_engine=1 ;;
    esac
  done
  [[ ",$only," == *,import,* ]] && import_only=
fi

tools/install-deps.sh || exit 1
if [ $run_engine -eq 1 ]; then
  make --no-print-directory build/bench/bench_queue > /dev/null || exit 1
fi
if [ $run_pickup -eq 1 ]; then
  make --no-print-directory build/bench/bench_pickup > /dev/null || exit 1
fi

# A fresh instance every run: stop what an earlier run may have left, then start over.
[ -f "$KBJOBS_HOME/env.sh" ] && tools/mariadb.sh stop > /dev/null 2>&1
rm -rf "$KBJOBS_HOME" "$KBJOBS_BENCH_OUT"
mkdir -p "$KBJOBS_BENCH_OUT"
kbj_env_init bench
trap 'tools/mariadb.sh stop > "$KBJOBS_BENCH_OUT/teardown.log" 2>&1' EXIT
# On Ctrl-C or a SIGTERM to the group, bash runs these once the script in hand (the
# import benchmark stops its runners and nginx) has exited; then MariaDB is stopped.
trap 'exit 130' INT
trap 'exit 143' TERM
tools/mariadb.sh start || exit 1

{
  echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),"\
       "$(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
  echo "server:  $(mariadbd --version)"
  echo "engine:  $(git describe --always --dirty 2>/dev/null || echo unknown) (the engine sources built into the bench)"
} | tee "$KBJOBS_BENCH_OUT/machine.txt"

rc=0
if [ $run_engine -eq 1 ]; then
  build/bench/bench_queue 2>&1 | tee "$KBJOBS_BENCH_OUT/bench.log"
  rc=${PIPESTATUS[0]}
fi

# The PHP dispatch path of Engine::run against the native no-op (issue: extension bridge).
if [ $rc -eq 0 ] && [ $run_engine -eq 1 ] && { [ -z "$only" ] || [[ ",$only," == *,php,* ]]; }; then
  make --no-print-directory ext > /dev/null || exit 1
  mkdir -p "$KBJOBS_HOME/php-data"
  echo "== PHP dispatch (Engine::run) ==" | tee "$KBJOBS_BENCH_OUT/php.txt"
  KBJOBS_BENCH_DATA=$KBJOBS_HOME/php-data php -d extension="$(kbj_extension)" -d memory_limit=512M \
    tests/bench/bench_php_dispatch.php 2>&1 | tee -a "$KBJOBS_BENCH_OUT/php.txt"
  rc=${PIPESTATUS[0]}
fi

# The import pipeline (tests/bench/import/run.sh stops its nginx and runners itself).
if [ $rc -eq 0 ] && [ $run_import -eq 1 ]; then
  echo "== Import =="
  KBJOBS_BENCH_IMPORT_ONLY=$import_only tests/bench/import/run.sh
  rc=$?
fi
# WP-Cron: core's wp-cron.php against kbjobs runners (run.sh stops its php -S itself).
if [ $rc -eq 0 ] && [ $run_cron -eq 1 ]; then
  echo "== WP-Cron =="
  make --no-print-directory ext > /dev/null || exit 1
  tests/bench/cron/run.sh
  rc=$?
fi
# The dashboard at a million jobs (run.sh stops its php -S itself).
if [ $rc -eq 0 ] && [ $run_scale -eq 1 ]; then
  echo "== Dashboard at scale =="
  make --no-print-directory ext > /dev/null || exit 1
  tests/bench/scale/run.sh
  rc=$?
fi
# Pickup latency with an idle runner (local wake-up and poll only) and its idle cost.
if [ $rc -eq 0 ] && [ $run_pickup -eq 1 ]; then
  build/bench/bench_pickup 2>&1 | tee "$KBJOBS_BENCH_OUT/pickup.txt"
  rc=${PIPESTATUS[0]}
fi
# Reconciliation at a million artifact records.
if [ $rc -eq 0 ] && [ $run_reconcile -eq 1 ]; then
  echo "== Reconciliation =="
  make --no-print-directory ext > /dev/null || exit 1
  tests/bench/reconcile/run.sh
  rc=$?
fi
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end" | tee -a "$KBJOBS_BENCH_OUT/machine.txt"
if [ $rc -eq 0 ]; then
  [ $run_engine -eq 1 ] && echo "results: ${KBJOBS_BENCH_OUT#"$KBJOBS_ROOT"/}/summary.txt, results.csv"
  [ $run_import -eq 1 ] && echo "results: ${KBJOBS_BENCH_OUT#"$KBJOBS_ROOT"/}/import/summary.txt, import/results.csv"
  [ $run_cron -eq 1 ] && echo "results: ${KBJOBS_BENCH_OUT#"$KBJOBS_ROOT"/}/cron/summary.txt, cron/results.csv"
  [ $run_scale -eq 1 ] && echo "results: ${KBJOBS_BENCH_OUT#"$KBJOBS_ROOT"/}/scale/summary.txt, scale/scale.json"
  [ $run_reconcile -eq 1 ] && echo "results: ${KBJOBS_BENCH_OUT#"$KBJOBS_ROOT"/}/reconcile/summary.txt, reconcile/results.jsonl"
fi
exit $rc
