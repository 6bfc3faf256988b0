--TEST--
A running job cancelled through another connection: the handler sees shouldStop()/cancelled() within a heartbeat, stops early, and the job ends cancelled
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
// A 2 s lease: the heartbeat thread looks for cancel requests every 2/3 s.
$engine = kbjobs_test_engine('cancel_seen', ['lease_seconds' => 2]);

$engine->registerType('t.long', function (KBJobs\Context $ctx) {
    // Another Engine object is another connection to the same tables, as an admin
    // screen in another process would be.
    $admin = kbjobs_test_engine('cancel_seen');
    var_dump($ctx->shouldStop(), $ctx->cancelled());
    var_dump($admin->cancel($ctx->id()));
    $job = $admin->get($ctx->id());
    var_dump($job->status, $job->cancelRequested);

    $t0 = microtime(true);
    $loops = 0;
    while (!$ctx->shouldStop() && microtime(true) - $t0 < 10) {
        $ctx->progress(++$loops);
        usleep(20000);
    }
    $waited = microtime(true) - $t0;
    echo 'seen within a lease: ', var_export($waited < 2.0, true), "\n";
    var_dump($ctx->shouldStop(), $ctx->cancelled());
    $ctx->stopEarly();
    return 'must not become the result';
});
$id = $engine->submit('t.long');
$other = $engine->submit('t.long', [], ['queue' => 'elsewhere']);

$report = $engine->run(['until_empty' => true]);
var_dump($report['claimed'], $report['cancelled'], $report['completed'], $report['failed'], $report['stop_reason']);
$job = $engine->get($id);
var_dump($job->status, $job->result, $job->error, $job->finishedAt !== null, $job->progressDone > 0);
// Cancelling one job does not stop the runner or touch other jobs.
var_dump($engine->get($other)->status);
// A cancelled job can be resumed.
$engine->resume($id);
var_dump($engine->get($id)->status, $engine->get($id)->cancelRequested);
?>
--EXPECT--
bool(false)
bool(false)
bool(true)
string(7) "running"
bool(true)
seen within a lease: true
bool(true)
bool(true)
int(1)
int(1)
int(0)
int(0)
string(5) "empty"
string(9) "cancelled"
NULL
NULL
bool(true)
bool(true)
string(6) "queued"
string(6) "queued"
bool(false)
