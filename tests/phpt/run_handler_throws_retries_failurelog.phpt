--TEST--
A handler that throws is retried up to max_attempts after its backoff, then lands in the FailureLog; NonRetryableException fails at once
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('throws_retries');

class PermanentError extends KBJobs\NonRetryableException {}

$attempts = [];
// A fixed 1 ms backoff without jitter: retries are due again at once.
$engine->registerType('t.flaky', function (KBJobs\Context $ctx) use (&$attempts) {
    $attempts[] = $ctx->attempt();
    throw new RuntimeException('boom ' . $ctx->attempt());
}, ['max_attempts' => 3, 'backoff' => ['kind' => 'fixed', 'base_ms' => 1, 'jitter' => -1]]);
$engine->registerType('t.fatal', function (KBJobs\Context $ctx) {
    throw new KBJobs\NonRetryableException('bad input', 42);
}, ['max_attempts' => 5]);
$engine->registerType('t.fatal_sub', function (KBJobs\Context $ctx) {
    throw new PermanentError('also permanent');
}, ['max_attempts' => 5]);

$flaky = $engine->submit('t.flaky');
$fatal = $engine->submit('t.fatal');
$sub = $engine->submit('t.fatal_sub');

// Five dispatches in all: three for t.flaky, one for each of the others.
$report = $engine->run(['max_jobs' => 5, 'max_seconds' => 10, 'idle_ms' => 5]);
var_dump($report['stop_reason'], $report['claimed'], $report['completed'], $report['retried'], $report['failed']);
var_dump($attempts);

$job = $engine->get($flaky);
var_dump($job->status, $job->attempts, $job->maxAttempts, $job->error, $job->finishedAt !== null);
foreach ($engine->attempts($flaky) as $a) {
    echo $a['attempt'], ' ', $a['outcome'], ' ', $a['error'], ' ', $a['runner'] === $report['runner'] ? 'runner' : 'other',
         ' ', $a['started_at'] <= $a['finished_at'] ? 'ordered' : 'unordered', "\n";
}

foreach ([$fatal, $sub] as $id) {
    $job = $engine->get($id);
    var_dump($job->status, $job->attempts, $job->error);
}

$log = $engine->failures();
var_dump($log->count(), $log->evicted());
foreach ($log->list() as $entry) {
    $which = [$flaky => 'flaky', $fatal => 'fatal', $sub => 'sub'][$entry['job_id']] ?? '?';
    echo $which, ' ', $entry['type'], ' ', $entry['attempts'], ' ', $entry['message'], ' ', is_float($entry['failed_at']) ? 'time' : 'no time', "\n";
}
?>
--EXPECT--
string(4) "jobs"
int(5)
int(0)
int(2)
int(3)
array(3) {
  [0]=>
  int(1)
  [1]=>
  int(2)
  [2]=>
  int(3)
}
string(6) "failed"
int(3)
int(3)
string(24) "RuntimeException: boom 3"
bool(true)
1 failed RuntimeException: boom 1 runner ordered
2 failed RuntimeException: boom 2 runner ordered
3 failed RuntimeException: boom 3 runner ordered
string(6) "failed"
int(1)
string(39) "KBJobs\NonRetryableException: bad input"
string(6) "failed"
int(1)
string(30) "PermanentError: also permanent"
int(3)
int(0)
flaky t.flaky 3 RuntimeException: boom 3 time
sub t.fatal_sub 1 PermanentError: also permanent time
fatal t.fatal 1 KBJobs\NonRetryableException: bad input time
