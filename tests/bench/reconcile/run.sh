#!/usr/bin/env bash
# tests/bench/reconcile/run.sh - reconciliation at a million artifact records (run by
# tools/bench.sh, i.e. `make bench`; see tests/bench/README.md, "Reconciliation"). Needs
# the bench instance's MariaDB running ($KBJOBS_HOME/env.sh, started by tools/bench.sh);
# installs WordPress into it (the baseline's $wpdb, loaded with SHORTINIT), seeds
# KBJOBS_BENCH_RECONCILE_RECORDS index rows and files (1,000,000) with 100 ghosts, 100
# orphans and 100 drifted files, then runs each side in its own process, the page cache
# warm for all (the seeding wrote every file; a first untimed pass reads them all):
#   shallow vs php-names   names and sizes: scandir + get_col compared in arrays
#   engine  vs php-full    and every file read, parsed and its hashes checked
# Both sides must find the same counts, or the run fails: the ratio is of equal work.
#
# Output in $KBJOBS_BENCH_OUT/reconcile/: summary.txt, results.jsonl.
set -uo pipefail
. "$(dirname "$0")/../../../tools/lib.sh"
cd "$KBJOBS_ROOT"
kbj_env_load
export KBJOBS_ROOT

OUT=${KBJOBS_BENCH_OUT:-$KBJOBS_ROOT/build/test-output/bench}/reconcile
N=${KBJOBS_BENCH_RECONCILE_RECORDS:-1000000}
export KBJOBS_BENCH_RECONCILE_DATA=$KBJOBS_HOME/reconcile-data
# KBJOBS_BENCH_RECONCILE_REUSE=1: keep the tree and rows of an earlier run of the same
# size (seeding a million takes minutes); for measuring a change, not for the figures.
REUSE=${KBJOBS_BENCH_RECONCILE_REUSE:-0}
mkdir -p "$OUT"
if [ "$REUSE" != 1 ]; then
  rm -rf "$KBJOBS_BENCH_RECONCILE_DATA"
  mkdir -p "$KBJOBS_BENCH_RECONCILE_DATA"
fi

[ -n "$(kbj_extension)" ] || kbj_die "the extension is not built (make)"
tools/wp-cli.sh > /dev/null || kbj_die "tools/wp-cli.sh failed"
[ "$REUSE" = 1 ] || tools/wordpress.sh install > "$OUT/wordpress.log" 2>&1 ||
  { cat "$OUT/wordpress.log" >&2; kbj_die "WordPress install failed"; }

bench() {
  php -d extension="$(kbj_extension)" -d memory_limit=-1 tests/bench/reconcile/bench_reconcile.php "$@"
}

: > "$OUT/results.jsonl"
if [ "$REUSE" != 1 ]; then
  echo "seeding $N records and files ..."
  bench seed "$N" | tee -a "$OUT/results.jsonl" || kbj_die "seeding failed"
fi
bench php-names > /dev/null || kbj_die "the warm-up pass failed" # untimed: every name in the page cache
for mode in shallow php-names engine php-full; do
  bench "$mode" | tee -a "$OUT/results.jsonl" || kbj_die "$mode failed"
done

php -r '
$rows = [];
foreach (file($argv[1], FILE_IGNORE_NEW_LINES) as $l) { $r = json_decode($l, true); $rows[$r["mode"]] = $r; }
$ok = true;
printf("%-10s %10s %12s  %s\n", "mode", "seconds", "peak RSS", "ghost / orphan / drift found");
foreach (["shallow", "php-names", "engine", "php-full"] as $m) {
    $r = $rows[$m]; $c = $r["counts"] ?? [];
    printf("%-10s %10.2f %9.1f MiB  %d / %d / %d%s\n", $m, $r["seconds"], $r["rss_kib"] / 1024,
        $c["ghost"] ?? -1, $c["orphan"] ?? -1, $c["drift"] ?? -1,
        isset($r["php_peak_kib"]) ? sprintf("   (PHP heap peak %.1f MiB)", $r["php_peak_kib"] / 1024) : "");
}
foreach ([["shallow", "php-names", ["ghost", "orphan"]], ["engine", "php-full", ["ghost", "orphan", "drift"]]] as [$e, $b, $kinds]) {
    foreach ($kinds as $k) {
        if (($rows[$e]["counts"][$k] ?? -1) !== ($rows[$b]["counts"][$k] ?? -2) || $rows[$e]["counts"][$k] !== 100) {
            printf("MISMATCH: %s and %s disagree on %s (or found other than the 100 seeded)\n", $e, $b, $k); $ok = false;
        }
    }
    printf("%s is %.1fx faster than %s\n", $e, $rows[$b]["seconds"] / max($rows[$e]["seconds"], 0.001), $b);
}
exit($ok ? 0 : 1);
' "$OUT/results.jsonl" | tee "$OUT/summary.txt"
exit "${PIPESTATUS[0]}"
