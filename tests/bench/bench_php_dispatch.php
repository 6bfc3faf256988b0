<?php
/**
 * bench_php_dispatch.php - the PHP dispatch path of Engine::run against the engine's
 * native no-op handler, in one process, on the same tables (run by tools/bench.sh after
 * bench_queue; see tests/bench/README.md).
 *
 * For N jobs each way: submitMany() in chunks, then run(until_empty) with a claim batch
 * of 100; jobs/s of the drain, and peak memory (memory_get_peak_usage(true) and the
 * process's VmHWM) after N/10 and after N jobs of the PHP path.
 */
$n = (int) (getenv('KBJOBS_BENCH_JOBS') ?: 100000);
$engine = new KBJobs\Engine('localhost:' . getenv('KBJOBS_DB_SOCKET'), getenv('KBJOBS_DB_USER'),
    getenv('KBJOBS_DB_PASSWORD'), getenv('KBJOBS_DB_NAME'), 'kbd_', getenv('KBJOBS_BENCH_DATA'),
    ['claim_batch' => 100]);
$engine->migrate();

function submit_n(KBJobs\Engine $e, string $type, int $n, string $queue): void
{
    for ($done = 0; $done < $n; $done += 1000) {
        $jobs = [];
        for ($i = $done; $i < min($n, $done + 1000); $i++) {
            $jobs[] = ['type' => $type, 'params' => ['i' => $i], 'queue' => $queue];
        }
        $e->submitMany($jobs);
    }
}

function hwm_kib(): int
{
    return preg_match('/VmHWM:\s+(\d+) kB/', (string) file_get_contents('/proc/self/status'), $m) ? (int) $m[1] : 0;
}

$engine->registerType('bench.php_noop', static fn(KBJobs\Context $ctx) => null);

$rows = [];
// native: diag.echo with empty params is the engine's no-op
submit_n($engine, 'diag.echo', $n, 'native');
$t = microtime(true);
$r = $engine->run(['queues' => 'native', 'until_empty' => true]);
$native = $r['completed'] / (microtime(true) - $t);
$rows[] = sprintf("native diag.echo      %8d jobs  %9.0f jobs/s", $r['completed'], $native);

// PHP: first a tenth, then the rest, to see memory at N/10 and at N
submit_n($engine, 'bench.php_noop', $n, 'php');
$t = microtime(true);
$r1 = $engine->run(['queues' => 'php', 'max_jobs' => intdiv($n, 10)]);
$peak_tenth = memory_get_peak_usage(true);
$hwm_tenth = hwm_kib();
$r2 = $engine->run(['queues' => 'php', 'until_empty' => true]);
$php = ($r1['completed'] + $r2['completed']) / (microtime(true) - $t);
$rows[] = sprintf("PHP callable          %8d jobs  %9.0f jobs/s", $r1['completed'] + $r2['completed'], $php);
$rows[] = sprintf("PHP / native          %.2f  (target >= 0.80)", $php / $native);
$rows[] = sprintf("zend peak after N/10  %.1f MiB; after N %.1f MiB",
    $peak_tenth / 1048576, memory_get_peak_usage(true) / 1048576);
$rows[] = sprintf("VmHWM after N/10      %.1f MiB; after N %.1f MiB", $hwm_tenth / 1024, hwm_kib() / 1024);
echo implode("\n", $rows), "\n";
if ($r1['completed'] + $r2['completed'] !== $n || $r['completed'] !== $n) {
    fwrite(STDERR, "not every job completed\n");
    exit(1);
}
