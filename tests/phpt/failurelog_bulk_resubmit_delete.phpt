--TEST--
FailureLog pages its entries, resubmits failed jobs (queued again, attempts reset) and deletes entries (jobs stay failed), one id or many
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('failurelog');
$engine->registerType('t.bad', function (KBJobs\Context $ctx) {
    throw new KBJobs\NonRetryableException('bad ' . $ctx->params()['n']);
});
$ids = [];
for ($n = 0; $n < 5; $n++) {
    $ids[] = $engine->submit('t.bad', ['n' => $n]);
}
var_dump($engine->run(['until_empty' => true])['failed']);

$log = $engine->failures();
var_dump($log->count());
// Newest first, paged by limit and offset.
var_dump(array_column($log->list(2), 'message'), array_column($log->list(2, 4), 'message'), $log->list(10, 5));

// Resubmit two (and an id without an entry, which is skipped).
var_dump($log->resubmit([$ids[0], $ids[1], '0000000000000000']));
foreach ([$ids[0], $ids[1]] as $id) {
    $j = $engine->get($id);
    echo $j->status, ' ', $j->attempts, ' ', var_export($j->finishedAt, true), "\n";
}
var_dump($log->count());
// One id as a string.
var_dump($log->resubmit($ids[2]), $engine->get($ids[2])->status, $log->count());
// Again: no entry any more.
var_dump($log->resubmit($ids[2]));

// Delete acknowledges the entries; the jobs stay failed.
var_dump($log->delete([$ids[3], $ids[4]]), $log->count());
var_dump($engine->get($ids[3])->status, $engine->get($ids[4])->status);
var_dump($log->delete($ids[3]), $log->delete([]));

// The resubmitted jobs run again (and fail again).
var_dump($engine->run(['until_empty' => true])['failed'], $log->count());

foreach ([
    'limit 0' => fn() => $log->list(0),
    'limit 1001' => fn() => $log->list(1001),
    'negative offset' => fn() => $log->list(10, -1),
    'an int among ids' => fn() => $log->resubmit([$ids[0], 5]),
    'too many ids' => fn() => $log->delete(array_fill(0, 1001, $ids[0])),
    'malformed id' => fn() => $log->resubmit('nope'),
    'wrong type' => fn() => $log->delete(3.5),
] as $what => $call) {
    try {
        $call();
        echo "$what: no exception\n";
    } catch (Throwable $e) {
        echo "$what: ", get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
int(5)
int(5)
array(2) {
  [0]=>
  string(35) "KBJobs\NonRetryableException: bad 4"
  [1]=>
  string(35) "KBJobs\NonRetryableException: bad 3"
}
array(1) {
  [0]=>
  string(35) "KBJobs\NonRetryableException: bad 0"
}
array(0) {
}
int(2)
queued 0 NULL
queued 0 NULL
int(3)
int(1)
string(6) "queued"
int(2)
int(0)
int(2)
int(0)
string(6) "failed"
string(6) "failed"
int(0)
int(0)
int(3)
int(3)
limit 0: ValueError: KBJobs\FailureLog::list(): Argument #1 ($limit) must be between 1 and 1000
limit 1001: ValueError: KBJobs\FailureLog::list(): Argument #1 ($limit) must be between 1 and 1000
negative offset: ValueError: KBJobs\FailureLog::list(): Argument #2 ($offset) must be greater than or equal to 0
an int among ids: TypeError: KBJobs\FailureLog::resubmit(): Argument #1 ($ids) must be a string or a list of strings
too many ids: ValueError: KBJobs\FailureLog::delete(): Argument #1 ($ids) must hold at most 1000 ids
malformed id: ValueError: "nope" is not a job id (16 hex characters)
wrong type: ValueError: "3.5" is not a job id (16 hex characters)
