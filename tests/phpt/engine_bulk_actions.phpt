--TEST--
Engine::applyToJobs() cancels, resumes, reruns and resubmits by id with done/skipped/missing counts; a kbjobs.bulk job applies an action to a filter's jobs in the background
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('bulk');
$engine->registerType('t.bad', function () {
    throw new KBJobs\NonRetryableException('bad');
});

// Three failed jobs (two with a FailureLog entry), two completed, two queued.
$failed = [];
for ($i = 0; $i < 3; $i++) {
    $failed[] = $engine->submit('t.bad');
}
$done = [$engine->submit('diag.echo'), $engine->submit('diag.echo')];
$engine->run(['until_empty' => true]);
$engine->failures()->delete($failed[2]);   // as if the cap had evicted its entry
$queued = [$engine->submit('diag.echo', [], ['queue' => 'later']), $engine->submit('diag.echo', [], ['queue' => 'later'])];
$status = fn ($ids) => implode(' ', array_map(fn ($id) => $engine->get($id)->status, $ids));

// Cancel: the queued ones; the finished ones are skipped, an unknown id is missing.
var_dump($engine->applyToJobs('cancel', [...$queued, $done[0], '0123456789abcdef', $queued[0]]));
echo $status($queued), "\n";
// Resume the cancelled ones; rerun the completed ones.
var_dump($engine->applyToJobs('resume', [...$queued, $done[0]]));
echo $status($queued), "\n";
var_dump($engine->applyToJobs('rerun', [...$done, $queued[0]]));
$reruns = array_filter($engine->list(['type' => 'diag.echo', 'limit' => 100])['jobs'], fn ($j) => $j->rerunOf !== null);
echo count($reruns), ' reruns of ', implode(',', array_map(fn ($j) => array_search($j->rerunOf, $done), $reruns)), "\n";
// Resubmit: failed jobs with or without an entry.
var_dump($engine->failures()->count());
var_dump($engine->applyToJobs('resubmit', [...$failed, $done[1]]));
echo $status($failed), ' ', $engine->get($failed[0])->attempts, ' ', $engine->failures()->count(), "\n";
var_dump($engine->applyToJobs('cancel', []));

// A kbjobs.bulk job: every failed t.bad job, found by a filter, in the background.
$engine->run(['until_empty' => true]);                     // they fail again
$bulk = $engine->submit('kbjobs.bulk', ['action' => 'resubmit', 'filter' => ['status' => 'failed', 'search' => 't.b']]);
$job = $engine->get($bulk);
echo $job->type, ' ', $job->queue, ' ', $job->status, "\n";
$report = $engine->run(['queues' => ['kbjobs'], 'until_empty' => true]);
$job = $engine->get($bulk);
echo $report['completed'], ' ', $job->status, ' ', $job->progressDone, '/', $job->progressTotal, "\n";
var_dump($job->result);
echo $status($failed), "\n";
// An empty filter is every job (an empty PHP array is accepted as one).
$all = $engine->submit('kbjobs.bulk', ['action' => 'cancel', 'filter' => []]);
$engine->run(['queues' => ['kbjobs'], 'until_empty' => true]);
echo json_encode($engine->get($all)->result), ' ', $status($failed), "\n";

foreach ([
    'unknown action' => fn () => $engine->applyToJobs('delete', [$failed[0]]),
    'malformed id' => fn () => $engine->applyToJobs('cancel', ['nope']),
    'an int among ids' => fn () => $engine->applyToJobs('cancel', [5]),
    'too many ids' => fn () => $engine->applyToJobs('cancel', array_fill(0, 1001, $failed[0])),
    'bulk without filter' => fn () => $engine->submit('kbjobs.bulk', ['action' => 'cancel']),
    'bulk with a bad action' => fn () => $engine->submit('kbjobs.bulk', ['action' => 'purge', 'filter' => []]),
    'bulk with a bad filter' => fn () => $engine->submit('kbjobs.bulk', ['action' => 'cancel', 'filter' => ['limit' => 5]]),
] as $what => $call) {
    try {
        $call();
        echo "$what: no exception\n";
    } catch (Throwable $e) {
        echo "$what: ", get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECTF--
array(3) {
  ["done"]=>
  int(2)
  ["skipped"]=>
  int(1)
  ["missing"]=>
  int(1)
}
cancelled cancelled
array(3) {
  ["done"]=>
  int(2)
  ["skipped"]=>
  int(1)
  ["missing"]=>
  int(0)
}
queued queued
array(3) {
  ["done"]=>
  int(2)
  ["skipped"]=>
  int(1)
  ["missing"]=>
  int(0)
}
2 reruns of 1,0
int(2)
array(3) {
  ["done"]=>
  int(3)
  ["skipped"]=>
  int(1)
  ["missing"]=>
  int(0)
}
queued queued queued 0 0
array(3) {
  ["done"]=>
  int(0)
  ["skipped"]=>
  int(0)
  ["missing"]=>
  int(0)
}
kbjobs.bulk kbjobs queued
1 completed 3/3
array(5) {
  ["action"]=>
  string(8) "resubmit"
  ["matched"]=>
  int(3)
  ["done"]=>
  int(3)
  ["skipped"]=>
  int(0)
  ["missing"]=>
  int(0)
}
queued queued queued
{"action":"cancel","matched":%d,"done":%d,"skipped":%d,"missing":0} cancelled cancelled cancelled
unknown action: ValueError: unknown action "delete": cancel, resume, rerun or resubmit
malformed id: ValueError: "nope" is not a job id (16 hex characters)
an int among ids: TypeError: KBJobs\Engine::applyToJobs(): Argument #2 ($ids) must be a list of strings, int given among them
too many ids: ValueError: KBJobs\Engine::applyToJobs(): Argument #2 ($ids) must hold at most 1000 ids (submit a kbjobs.bulk job for more)
bulk without filter: ValueError: params: "filter" is required
bulk with a bad action: ValueError: params/action: must be one of %s
bulk with a bad filter: ValueError: params/filter/limit: is not an allowed property
