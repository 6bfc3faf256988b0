--TEST--
Job::rate() is items per second between the start and the last progress report, Job::eta() the seconds left at that rate (0 once completed, null when unknown)
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('rate_eta');

$queued = $engine->get($engine->submit('t.later', [], ['queue' => 'idle']));
var_dump($queued->rate(), $queued->eta());

$seen = [];
$engine->registerType('t.count', function (KBJobs\Context $ctx) use ($engine, &$seen) {
    $job = $engine->get($ctx->id());
    $seen['started'] = [$job->rate(), $job->eta()];
    usleep(300000);
    $ctx->progress(30, 100, 'counting');
    $seen['counting'] = $engine->get($ctx->id());
    $ctx->progress(40, 0, 'open-ended');
    $seen['no total'] = $engine->get($ctx->id());
    $ctx->progress(40, 100, 'counting');
});
$engine->registerType('t.quiet', fn() => null);
$id = $engine->submit('t.count');
$quiet = $engine->submit('t.quiet');
$engine->run(['until_empty' => true]);

// Running, no progress yet: unknown.
var_dump($seen['started']);

// 30 of 100 after about 0.3 s: about 100 per second, 70 left.
$j = $seen['counting'];
$expected = 30 / ($j->progressAt - $j->startedAt);
var_dump(abs($j->rate() - $expected) < 1e-6, $j->rate() > 20 && $j->rate() <= 100.5);
var_dump(abs($j->eta() - 70 / $expected) < 1e-6);

// Without a total the rate is known but the time left is not.
$j = $seen['no total'];
var_dump($j->rate() > 0, $j->eta());

// Completed: nothing left.
$done = $engine->get($id);
var_dump($done->status, $done->progressDone, $done->eta());
var_dump(abs($done->rate() - 100 / ($done->progressAt - $done->startedAt)) < 1e-6);
// Completed without any progress: no rate, and nothing left.
$q = $engine->get($quiet);
var_dump($q->rate(), $q->eta());
// The handlers hold the engine that holds them: free that cycle now, not at shutdown
// (under valgrind, USE_ZEND_ALLOC=0, PHP does not collect cycles left at shutdown).
unset($engine);
gc_collect_cycles();
?>
--EXPECT--
NULL
NULL
array(2) {
  [0]=>
  NULL
  [1]=>
  NULL
}
bool(true)
bool(true)
bool(true)
bool(true)
NULL
string(9) "completed"
int(100)
float(0)
bool(true)
NULL
float(0)
