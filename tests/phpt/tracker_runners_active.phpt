--TEST--
JobTracker lists runners (active while running, stopped after) and the running jobs with their runner; it keeps its Engine alive
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('tracker');
$tracker = $engine->tracker();
var_dump($tracker->runners(), $tracker->activeJobs());

$inside = null;
$engine->registerType('t.watch', function (KBJobs\Context $ctx) use ($tracker, &$inside) {
    $ctx->progress(2, 8, 'looking');
    $inside = [$tracker->runners(), $tracker->activeJobs(), $ctx->id()];
});
$id = $engine->submit('t.watch', [], ['queue' => 'extra']);
$report = $engine->run(['queues' => ['default', 'extra'], 'until_empty' => true]);

[$runners, $active, $ctxId] = $inside;
var_dump(count($runners));
$r = $runners[0];
var_dump($r['id'] === $report['runner'], $r['host'] === gethostname(), $r['pid'] === getmypid(),
         $r['version'] === KBJobs\VERSION, $r['queues'], $r['state'], $r['running_jobs'],
         is_float($r['started_at']), is_float($r['heartbeat_at']), $r['stopped_at']);
// The runner's resident memory in bytes: this very process, measured by the engine at
// registration and at each heartbeat; PHP alone makes it a few MiB.
var_dump(is_int($r['memory']), $r['memory'] > 1 << 20);
var_dump(count($active));
$j = $active[0];
var_dump($j instanceof KBJobs\Job, $j->id === $id, $ctxId === $id, $j->status, $j->runner === $report['runner'],
         $j->queue, $j->progressDone, $j->progressTotal, $j->phase, $j->startedAt !== null);

// After the run: the runner is stopped, nothing is active.
$after = $tracker->runners();
var_dump(count($after), $after[0]['state'], $after[0]['running_jobs'], $after[0]['stopped_at'] >= $after[0]['started_at']);
var_dump($after[0]['memory'] > 1 << 20);
var_dump($tracker->activeJobs());

// A second run is a second runner, listed first.
$second = $engine->run(['until_empty' => true])['runner'];
$ids = array_column($tracker->runners(), 'id');
var_dump(count($ids), $ids[0] === $second, $ids[1] === $report['runner']);
var_dump(count($tracker->runners(1)));

foreach ([0, 8761] as $hours) {
    try {
        $tracker->runners($hours);
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}

// The tracker keeps its Engine (and its connection) alive.
unset($engine);
var_dump(count($tracker->runners()));
// The handlers hold the engine that holds them: free that cycle now, not at shutdown
// (under valgrind, USE_ZEND_ALLOC=0, PHP does not collect cycles left at shutdown).
unset($tracker);
gc_collect_cycles();
?>
--EXPECT--
array(0) {
}
array(0) {
}
int(1)
bool(true)
bool(true)
bool(true)
bool(true)
string(13) "default,extra"
string(6) "active"
int(1)
bool(true)
bool(true)
NULL
bool(true)
bool(true)
int(1)
bool(true)
bool(true)
bool(true)
string(7) "running"
bool(true)
string(5) "extra"
int(2)
int(8)
string(7) "looking"
bool(true)
int(1)
string(7) "stopped"
int(0)
bool(true)
bool(true)
array(0) {
}
int(2)
bool(true)
bool(true)
int(2)
KBJobs\JobTracker::runners(): Argument #1 ($hours) must be between 1 and 8760
KBJobs\JobTracker::runners(): Argument #1 ($hours) must be between 1 and 8760
int(2)
