--TEST--
Context::checkpoint() and lastCheckpoint(): a stopped handler resumes where it left off
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$e = kbjobs_test_engine('ckpt');
$id = $e->submit('kb.count', [], ['queue' => 'ck']);
$first = true;
$e->registerType('kb.count', function (KBJobs\Context $ctx) use ($e, &$first) {
    $last = $ctx->lastCheckpoint();
    $from = $last ? $last['cursor']['next'] : 1;
    echo "starting at $from\n";
    for ($i = $from; $i <= 10; $i++) {
        $ctx->progress($i, 10, 'count');
        if ($first && $i === 4) {
            var_dump($ctx->checkpoint(['next' => 5], ['seen' => 4], ['note' => 'x'], true));
            var_dump($ctx->checkpoint(['next' => 5])); // not due yet
            $first = false;
            $e->requestStop();
        }
        if ($ctx->shouldStop()) {
            $ctx->stopEarly();
            return null;
        }
    }
    return ['counted' => 10 - $from + 1];
});
$r = $e->run(['queues' => 'ck', 'until_empty' => true]);
echo $r['stop_reason'], ' ', $e->get($id)->status, "\n";
$c = $e->checkpoint($id);
var_dump($c['cursor'], $c['counts'], $c['state'], $c['progress_done']);
var_dump($e->interrupted());  // stopped jobs are queued again, not interrupted

$e->run(['queues' => 'ck', 'until_empty' => true]);
$job = $e->get($id);
echo $job->status, ' ', json_encode($job->result), "\n";
var_dump($e->checkpoint($id)); // deleted on success
try { $e->discardCheckpoint($id); } catch (KBJobs\ConflictException $x) { echo get_class($x), "\n"; }
var_dump($e->cleanupCheckpoints(7));
// The handler closure holds the engine and the engine holds it: replace it, so no
// cycle is left for shutdown (PHP without its allocator, as under valgrind, leaks those).
$e->registerType('kb.count', static fn() => null);
?>
--EXPECT--
starting at 1
bool(true)
bool(false)
requested queued
array(1) {
  ["next"]=>
  int(5)
}
array(1) {
  ["seen"]=>
  int(4)
}
array(1) {
  ["note"]=>
  string(1) "x"
}
int(4)
array(0) {
}
starting at 5
completed {"counted":6}
NULL
KBJobs\ConflictException
int(0)
