--TEST--
Dispatching many jobs through a PHP handler does not grow memory: a second round of jobs leaves usage where the first left it
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
/*
 * Sizes. The engine dispatches about 3,000 PHP jobs a second against the dev database,
 * so three rounds of 10,000 would take some 10 s; 3,000 a round keeps the test near 3 s
 * and still shows a leak of 2 bytes a job in Zend's heap (memory_get_usage() is exact).
 * KBJOBS_TEST_MEMORY_JOBS sets another size (e.g. 10000 for a longer check).
 * Under valgrind (run-tests -m sets USE_ZEND_ALLOC=0) every call is some 50 times slower,
 * memory_get_usage() is not tracked without Zend's allocator and the resident size is
 * valgrind's; valgrind itself reports leaks there, so 200 jobs a round exercise the paths.
 */
$valgrind = getenv('USE_ZEND_ALLOC') === '0';
$per_round = (int)(getenv('KBJOBS_TEST_MEMORY_JOBS') ?: ($valgrind ? 200 : 3000));
$engine = kbjobs_test_engine('memory_flat', ['claim_batch' => 100]);
$engine->registerType('t.noop', function (KBJobs\Context $ctx) {
    $p = $ctx->params();
    return ['n' => $p['n'], 'attempt' => $ctx->attempt()];
});

function rss(): int
{
    return preg_match('/^VmRSS:\s+(\d+) kB/m', (string)file_get_contents('/proc/self/status'), $m) ? (int)$m[1] * 1024 : 0;
}

function round_of(KBJobs\Engine $engine, int $jobs): array
{
    $batch = [];
    for ($i = 0; $i < $jobs; $i++) {
        $batch[] = ['type' => 't.noop', 'params' => ['n' => $i]];
    }
    $engine->submitMany($batch);
    unset($batch);
    $r = $engine->run(['until_empty' => true]);
    gc_collect_cycles();
    return [$r['completed'], memory_get_usage(), rss()];
}

// A first round of the same size warms up what grows once to a steady size: statement
// caches, client buffers, the malloc arena of the heartbeat thread, PHP's own caches.
[$done0] = round_of($engine, $per_round);
[$done1, $mem1, $rss1] = round_of($engine, $per_round);
[$done2, $mem2, $rss2] = round_of($engine, $per_round);
[$done3, , $rss3] = round_of($engine, $per_round);
var_dump($done0 === $per_round, $done1 === $per_round, $done2 === $per_round, $done3 === $per_round);

$growth = $valgrind ? 0 : $mem2 - $mem1;
echo 'Zend heap growth within 4 KiB: ', var_export($growth <= 4096, true), "\n";
if ($growth > 4096) {
    echo "memory_get_usage() grew by $growth bytes over $per_round jobs\n";
}
// The engine's allocations are outside Zend's heap: the resident size must not grow with
// the number of jobs either. It moves by steps of about 1 MiB either way on a loaded
// machine (measured: +1,048,576 and -1,064,960 bytes between two rounds, Zend's heap
// unchanged), so it is measured over two rounds (6,000 jobs) within 1.5 MiB: one such
// step passes, a leak of 256 bytes a job does not.
$rss_growth = $valgrind ? 0 : $rss3 - $rss1;
echo 'RSS growth within 1.5 MiB: ', var_export($rss_growth <= 1536 * 1024, true), "\n";
if ($rss_growth > 1536 * 1024) {
    echo "the resident size grew by $rss_growth bytes over " . (2 * $per_round) . " jobs\n";
}
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
Zend heap growth within 4 KiB: true
RSS growth within 1.5 MiB: true
