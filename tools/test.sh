#!/usr/bin/env bash
# test.sh [all|lint|engine|phpt|wp|browser|asan|valgrind|scale] - provisions what the tests need
# and runs them: a fresh test instance under build/test-env (private MariaDB,
# WordPress, php -S on free ports), torn down at the end whatever happens. Output
# (logs, screenshots) goes to build/test-output. Exits non-zero if any suite fails.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KBJOBS_ROOT"

what=${1:-all}
case $what in
  all) suites=(lint engine asan phpt valgrind wp browser scale) ;;
  lint|engine|phpt|wp|browser|asan|valgrind|scale) suites=("$what") ;;
  *) echo "usage: $0 [all|lint|engine|phpt|wp|browser|asan|valgrind|scale]" >&2; exit 2 ;;
esac

# The plugin's code against the WordPress Coding Standards (wp-plugin/phpcs.xml.dist).
# It reads files only: run alone, it provisions nothing and leaves a test instance be.
suite_lint() {
  local rc=0
  tools/checksrc.sh || rc=1
  tools/phpcs.sh > /dev/null || return 1
  tools/phpcs/vendor/bin/phpcs --standard=wp-plugin/phpcs.xml.dist || rc=1
  return $rc
}
[ "$what" = lint ] && { suite_lint; exit; }

export KBJOBS_HOME=$KBJOBS_ROOT/build/test-env
export KBJOBS_TEST_OUTPUT=$KBJOBS_ROOT/build/test-output
mkdir -p "$KBJOBS_TEST_OUTPUT"

tools/install-deps.sh || exit 1
make --no-print-directory ext || exit 1
so=$(kbj_extension)

# A fresh instance every run: stop what an earlier run may have left, then start over.
[ -f "$KBJOBS_HOME/env.sh" ] && tools/down.sh > /dev/null 2>&1
rm -rf "$KBJOBS_HOME"
trap 'tools/down.sh > "$KBJOBS_TEST_OUTPUT/teardown.log" 2>&1' EXIT
tools/up.sh test || exit 1
. "$KBJOBS_HOME/env.sh"
export KBJOBS_ROOT

failed=()
times=()
banner() { printf '\n==== %s ====\n' "$*"; }

# A skipped engine test fails the suite unless tests/engine/skips.allow names it (binary,
# test, reason): like a skipped phpt, a skip hides a missing part of the environment.
# $1: the test binary's name, $2: its output. Prints every skip and whether it may.
check_skips() {
  local bin=$1 out=$2 rc=0 t reason
  while read -r t; do
    reason=$(awk -v b="$bin" -v t="$t" '$1 == b && $2 == t { $1 = $2 = ""; sub(/^ +/, ""); print; exit }' \
      tests/engine/skips.allow)
    if [ -n "$reason" ]; then
      echo "$bin: $t skipped, allowed: $reason"
    else
      echo "$bin: $t skipped, and tests/engine/skips.allow does not name it"
      rc=1
    fi
  done < <(sed -n 's/^\[  SKIPPED \] \([A-Za-z0-9_]*\)$/\1/p' "$out" | sort -u)
  return $rc
}

run_engine() { # $1: build dir (engine or engine-asan)
  local dir=$1 rc=0 out
  make --no-print-directory "engine-tests${dir#engine}" > "$KBJOBS_TEST_OUTPUT/$dir-build.log" 2>&1 \
    || { cat "$KBJOBS_TEST_OUTPUT/$dir-build.log"; return 1; }
  for t in build/$dir/test_*; do
    out=$KBJOBS_TEST_OUTPUT/$dir-$(basename "$t").log
    "$t" 2>&1 | tee "$out" || rc=1
    check_skips "$(basename "$t")" "$out" || rc=1
  done
  return $rc
}

# The engine's structure (no call cycles, layers, no PHP headers) from its built objects.
suite_engine() {
  local rc=0
  run_engine engine || rc=1
  php tools/check-engine-deps.php build/engine/obj || rc=1
  return $rc
}

suite_asan() {
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_engine engine-asan
}

# run-tests.php runs php with -n: the extension is passed by absolute path.
run_phpt() {
  local log=$KBJOBS_TEST_OUTPUT/phpt$1.log
  NO_INTERACTION=1 TEST_PHP_EXECUTABLE=$(command -v php) \
    php run-tests.php -q $2 -d extension="$so" tests/phpt > "$log" 2>&1
  local rc=$?
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(TEST|Tests|Number of tests)' | grep -v '\]PASS '
  grep -A 30 -E '^FAILED TEST SUMMARY' "$log"
  # In CI no phpt may skip: a skip hides a missing part of the environment.
  if grep -qE '^Tests skipped +: +[1-9]' "$log"; then echo "phpt: tests were skipped"; return 1; fi
  grep -qE '^Tests passed +: +[1-9]' "$log" || return 1
  return $rc
}

suite_phpt() {
  # No startup warnings: a PHP that loads kbjobs prints nothing for an empty script.
  local out
  out=$(php -d extension="$so" -r ';' 2>&1)
  [ -z "$out" ] || { echo "php prints at startup with kbjobs loaded: $out"; return 1; }
  run_phpt "" ""
}

suite_valgrind() {
  # run-tests.php reports a leak only when valgrind prints one: ask for every definite leak.
  VALGRIND_OPTS="--leak-check=full --errors-for-leak-kinds=definite" \
    USE_ZEND_ALLOC=0 ZEND_DONT_UNLOAD_MODULES=1 run_phpt "-valgrind" "-m"
}

suite_wp() {
  php -d extension="$so" -d auto_prepend_file="$KBJOBS_ROOT/tools/php/prepend.php" \
    "$(command -v phpunit)" -c tests/wp/phpunit.xml.dist --log-junit "$KBJOBS_TEST_OUTPUT/wp-junit.xml" \
    ${KBJOBS_WP_FILTER:+--filter "$KBJOBS_WP_FILTER"}
}

suite_browser() {
  local port
  port=$(kbj_free_port)
  tools/serve.sh start --name noext --port "$port" --no-extension > /dev/null || return 1
  (cd tests/browser && npm ci --silent --no-audit --no-fund > "$KBJOBS_TEST_OUTPUT/npm.log" 2>&1) \
    || { cat "$KBJOBS_TEST_OUTPUT/npm.log"; return 1; }
  (cd tests/browser && KBJOBS_NOEXT_URL=http://127.0.0.1:$port timeout 1500 node --test --test-reporter=spec)
}

# The dashboard at 200,000 jobs: every SELECT on kbjobs tables that the screens and REST
# list routes issue, from the general log, checked for full scans and rows read.
suite_scale() {
  php -d extension="$so" -d auto_prepend_file="$KBJOBS_ROOT/tools/php/prepend.php" \
    tests/scale/scale.php --jobs="${KBJOBS_SCALE_JOBS:-200000}" --json="$KBJOBS_TEST_OUTPUT/scale.json"
}

for s in "${suites[@]}"; do
  # The wp suite and the browser suite's front-end test run the real WP-CLI.
  case $s in wp|browser) tools/wp-cli.sh > /dev/null || { failed+=("$s"); continue; } ;; esac
  banner "$s"
  start=$SECONDS
  if ! "suite_$s"; then failed+=("$s"); fi
  times+=("$s $((SECONDS - start)) s")
done

# The PHP error logs of the test servers must hold nothing from the plugin.
for log in "$KBJOBS_HOME"/php-error-*.log "$KBJOBS_HOME/wp-debug.log"; do
  [ -s "$log" ] || continue
  if grep -q 'kb-jobs\|kbjobs' "$log"; then
    banner "errors logged in $(basename "$log")"
    cat "$log"
    failed+=("$(basename "$log")")
  fi
done

banner "summary"
printf 'time: %s\n' "${times[@]}"
if [ ${#failed[@]} -eq 0 ]; then
  echo "all suites passed: ${suites[*]}"
  exit 0
fi
echo "FAILED: ${failed[*]}"
exit 1
