#!/usr/bin/env bash
# bench.sh - the engine benchmark (make bench): a fresh private MariaDB under
# build/bench-env (no WordPress), the bench program built with -O2 and run against it,
# results in build/test-output/bench/ (summary.txt, results.csv, bench.log). The server is
# stopped at the end whatever happens. See tests/bench/README.md for what the figures mean.
#
#   KBJOBS_BENCH_JOBS=20000 make bench     a quick run (default 100,000 jobs)
#   KBJOBS_BENCH_ONLY=engine,batched ...   only some sections (enqueue engine noop memory
#                                          naive batched batched-engine php)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KBJOBS_ROOT"

export KBJOBS_HOME=$KBJOBS_ROOT/build/bench-env
export KBJOBS_BENCH_OUT=$KBJOBS_ROOT/build/test-output/bench
export KBJOBS_BENCH_JOBS=${KBJOBS_BENCH_JOBS:-100000}

tools/install-deps.sh || exit 1
make --no-print-directory build/bench/bench_queue > /dev/null || exit 1

# A fresh instance every run: stop what an earlier run may have left, then start over.
[ -f "$KBJOBS_HOME/env.sh" ] && tools/mariadb.sh stop > /dev/null 2>&1
rm -rf "$KBJOBS_HOME" "$KBJOBS_BENCH_OUT"
mkdir -p "$KBJOBS_BENCH_OUT"
kbj_env_init bench
trap 'tools/mariadb.sh stop > "$KBJOBS_BENCH_OUT/teardown.log" 2>&1' EXIT
tools/mariadb.sh start || exit 1

{
  echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),"\
       "$(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
  echo "server:  $(mariadbd --version)"
  echo "engine:  $(git describe --always --dirty 2>/dev/null || echo unknown) (the engine/*.c built into the bench)"
} | tee "$KBJOBS_BENCH_OUT/machine.txt"

build/bench/bench_queue 2>&1 | tee "$KBJOBS_BENCH_OUT/bench.log"
rc=${PIPESTATUS[0]}

# The PHP dispatch path of Engine::run against the native no-op (issue: extension bridge).
if [ $rc -eq 0 ] && { [ -z "${KBJOBS_BENCH_ONLY:-}" ] || [[ ",$KBJOBS_BENCH_ONLY," == *,php,* ]]; }; then
  make --no-print-directory ext > /dev/null || exit 1
  mkdir -p "$KBJOBS_HOME/php-data"
  echo "== PHP dispatch (Engine::run) ==" | tee "$KBJOBS_BENCH_OUT/php.txt"
  KBJOBS_BENCH_DATA=$KBJOBS_HOME/php-data php -d extension="$(kbj_extension)" -d memory_limit=512M \
    tests/bench/bench_php_dispatch.php 2>&1 | tee -a "$KBJOBS_BENCH_OUT/php.txt"
  rc=${PIPESTATUS[0]}
fi
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end" | tee -a "$KBJOBS_BENCH_OUT/machine.txt"
[ $rc -eq 0 ] && echo "results: ${KBJOBS_BENCH_OUT#"$KBJOBS_ROOT"/}/summary.txt, results.csv"
exit $rc
