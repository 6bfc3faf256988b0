--TEST--
Engine::submit() stores a job with its params and options, and get() returns it as a KBJobs\Job
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('submit_get');

$before = microtime(true);
$id = $engine->submit('report.build', ['site' => 7, 'tags' => ['a', 'b'], 'name' => "caf\u{e9}"], [
    'queue' => 'reports',
    'priority' => -5,
    'delay' => 60,
    'max_attempts' => 3,
    'concurrency_key' => 'site-7',
]);
var_dump(preg_match('/^[0-9a-f]{16}$/', $id));

$job = $engine->get($id);
var_dump($job instanceof KBJobs\Job, $job->id === $id);
var_dump($job->type, $job->queue, $job->status, $job->priority, $job->params);
var_dump($job->result, $job->error, $job->metrics, $job->title, $job->phase);
var_dump($job->progressDone, $job->progressTotal, $job->attempts, $job->maxAttempts);
var_dump($job->concurrencyKey, $job->uniqueKey, $job->cancelRequested, $job->runner, $job->rerunOf);
var_dump($job->startedAt, $job->finishedAt);
// Times are Unix seconds from the database clock; the delay pushes run_at a minute out.
var_dump(abs($job->createdAt - $before) < 5, round($job->runAt - $job->createdAt));

// Defaults: queue "default", priority 0, five attempts, empty params.
$plain = $engine->get($engine->submit('report.build'));
var_dump($plain->queue, $plain->priority, $plain->maxAttempts, $plain->params, $plain->concurrencyKey);

// toArray() holds every property under its snake_case name, with the same value.
$a = $job->toArray();
$props = array_map(fn($p) => $p->getName(), (new ReflectionClass($job))->getProperties());
$missing = [];
foreach ($props as $name) {
    $key = strtolower(preg_replace('/[A-Z]/', '_$0', $name));
    if (!array_key_exists($key, $a) || $a[$key] !== $job->$name) {
        $missing[] = $name;
    }
}
var_dump(count($a) === count($props), $missing, $a['max_attempts'], $a['concurrency_key'], $a['progress_done']);

// A Job is a read-only snapshot.
try {
    $job->status = 'completed';
} catch (Error $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
?>
--EXPECT--
int(1)
bool(true)
bool(true)
string(12) "report.build"
string(7) "reports"
string(6) "queued"
int(-5)
array(3) {
  ["site"]=>
  int(7)
  ["tags"]=>
  array(2) {
    [0]=>
    string(1) "a"
    [1]=>
    string(1) "b"
  }
  ["name"]=>
  string(5) "café"
}
NULL
NULL
array(0) {
}
NULL
NULL
int(0)
int(0)
int(0)
int(3)
string(6) "site-7"
NULL
bool(false)
NULL
NULL
NULL
NULL
bool(true)
float(60)
string(7) "default"
int(0)
int(5)
array(0) {
}
NULL
bool(true)
array(0) {
}
int(3)
string(6) "site-7"
int(0)
Error: Cannot modify readonly property KBJobs\Job::$status
