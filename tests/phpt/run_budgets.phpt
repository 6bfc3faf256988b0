--TEST--
Engine::run() stops at its budgets: max_jobs ("jobs"), max_seconds ("time"), until_empty ("empty"); claimed jobs it did not start go back
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('budgets');
$ran = 0;
$starts = [];
$engine->registerType('t.slow', function (KBJobs\Context $ctx) use (&$ran, &$starts) {
    $ran++;
    $starts[] = microtime(true);
    usleep($ctx->params()['us'] ?? 0);
});
function queued(KBJobs\Engine $engine): int
{
    return count($engine->list(['status' => 'queued'])['jobs']);
}
$engine->submitMany(array_fill(0, 10, ['type' => 't.slow']));

// max_jobs: exactly that many are claimed and run.
$r = $engine->run(['max_jobs' => 3]);
echo $r['stop_reason'], ' claimed=', $r['claimed'], ' completed=', $r['completed'], ' ran=', $ran, ' queued=', queued($engine), "\n";

// max_seconds with 100 ms jobs: the batch of 10 is claimed, a few run, the rest go back.
// Each job takes 100 ms at least and none starts once the 0.6 s are up: 6 at most; two
// at least, unless handing over to the next job took the runner more than 100 ms.
$engine->submitMany(array_fill(0, 7, ['type' => 't.slow', 'params' => ['us' => 100000], 'priority' => -1]));
$ran = 0;
$starts = [];
$r = $engine->run(['max_seconds' => 0.6]);
echo $r['stop_reason'], ' claimed=', $r['claimed'], "\n";
var_dump($r['completed'] >= 2 && $r['completed'] <= 6, $r['completed'] + $r['interrupted'] === $r['claimed'],
         $ran === $r['completed'], $r['elapsed'] >= 0.6 && $r['elapsed'] < 3,
         max($starts) - min($starts) < 0.6);
var_dump(queued($engine) === 14 - $r['completed']);
// The jobs given back were not counted as attempts.
var_dump(array_sum(array_map(fn($j) => $j->attempts, $engine->list(['status' => 'queued'])['jobs'])));

// until_empty: everything left runs, then the run returns.
$r = $engine->run(['until_empty' => true]);
echo $r['stop_reason'], ' queued=', queued($engine), ' completed=', count($engine->list(['status' => 'completed'])['jobs']), "\n";

// Nothing due: max_seconds ends an idle run.
$t = microtime(true);
$r = $engine->run(['max_seconds' => 0.2, 'idle_ms' => 50]);
echo $r['stop_reason'], ' claimed=', $r['claimed'], "\n";
var_dump(microtime(true) - $t >= 0.2);

// Only the named queues are claimed from.
$engine->submit('t.slow', [], ['queue' => 'other']);
$r = $engine->run(['queues' => ['default', 'third'], 'until_empty' => true]);
echo $r['stop_reason'], ' claimed=', $r['claimed'], "\n";
$r = $engine->run(['queues' => 'other', 'until_empty' => true]);
echo $r['stop_reason'], ' claimed=', $r['claimed'], "\n";

foreach ([
    ['colour' => 'red'],
    ['queues' => [1]],
    ['queues' => 5],
    ['queues' => ['Bad Queue']],
    ['max_seconds' => -1],
    ['max_jobs' => -1],
    ['until_empty' => 2],
    ['idle_ms' => 'soon'],
] as $opts) {
    try {
        $engine->run($opts);
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}

// run() cannot be re-entered from a handler of the same engine.
$engine->registerType('t.nested', function () use ($engine) {
    try {
        $engine->run();
    } catch (Error $e) {
        return $e->getMessage();
    }
});
$id = $engine->submit('t.nested');
$engine->run(['until_empty' => true]);
var_dump($engine->get($id)->result);
// The handlers hold the engine that holds them: free that cycle now, not at shutdown
// (under valgrind, USE_ZEND_ALLOC=0, PHP does not collect cycles left at shutdown).
unset($engine);
gc_collect_cycles();
?>
--EXPECT--
jobs claimed=3 completed=3 ran=3 queued=7
time claimed=10
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
int(0)
empty queued=0 completed=17
time claimed=0
bool(true)
empty claimed=0
empty claimed=1
ValueError: unknown run option "colour"
ValueError: option "queues" must be a string or a list of strings
TypeError: option "queues" must be a string or a list of strings
ValueError: queue "Bad Queue" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
ValueError: option "max_seconds" must be between 0 and 3.1536e+7
ValueError: option "max_jobs" must be between 0 and 9223372036854775807
ValueError: option "until_empty" must be between 0 and 1
ValueError: option "idle_ms" must be an integer
string(54) "KBJobs\Engine::run() is already running on this engine"
