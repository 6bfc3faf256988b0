--TEST--
Engine::requestStop() from a handler: run() returns with stop_reason "requested"; the job that stopped early and the claimed jobs not started go back to queued
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('request_stop');
$ran = [];
$stopped = false;
$engine->registerType('t.step', function (KBJobs\Context $ctx) use ($engine, &$ran, &$stopped) {
    $n = $ctx->params()['n'];
    $ran[] = $n;
    if ($n === 1 && !$stopped) {
        $stopped = true;
        var_dump($ctx->shouldStop());
        $ctx->progress(5, 10, 'halfway');
        $engine->requestStop();
        // The stop is seen at once (not only at the next heartbeat); it is not a cancel.
        var_dump($ctx->shouldStop(), $ctx->cancelled());
        $ctx->stopEarly();
        return 'unfinished';
    }
    return "done $n";
});
$ids = [];
for ($n = 0; $n < 5; $n++) {
    $ids[] = $engine->submit('t.step', ['n' => $n]);
}

$r = $engine->run();
echo $r['stop_reason'], ' claimed=', $r['claimed'], ' completed=', $r['completed'], ' interrupted=', $r['interrupted'],
     ' failed=', $r['failed'], "\n";
var_dump($ran);
foreach ($ids as $n => $id) {
    $j = $engine->get($id);
    echo $n, ' ', $j->status, ' attempts=', $j->attempts, ' result=', json_encode($j->result), ' runner=', json_encode($j->runner),
         ' progress=', $j->progressDone, '/', $j->progressTotal, "\n";
}
// The attempt that stopped early is on record; it does not count against max_attempts.
foreach ($engine->attempts($ids[1]) as $a) {
    echo $a['attempt'], ' ', $a['outcome'], ': ', $a['error'], "\n";
}

// The stop request ended that run only: the next one takes the jobs given back.
$ran = [];
$r = $engine->run(['until_empty' => true]);
echo $r['stop_reason'], ' completed=', $r['completed'], "\n";
sort($ran);
var_dump($ran);

// A handler that asks to stop but finishes its job: the job completes, the run stops.
$engine->registerType('t.last', function (KBJobs\Context $ctx) use ($engine) {
    $engine->requestStop();
    return 'finished anyway';
});
$last = $engine->submit('t.last');
$next = $engine->submit('t.step', ['n' => 9]);
$r = $engine->run();
echo $r['stop_reason'], ' completed=', $r['completed'], ' interrupted=', $r['interrupted'], "\n";
var_dump($engine->get($last)->status, $engine->get($last)->result, $engine->get($next)->status);
// The handlers hold the engine that holds them: free that cycle now, not at shutdown
// (under valgrind, USE_ZEND_ALLOC=0, PHP does not collect cycles left at shutdown).
unset($engine);
gc_collect_cycles();
?>
--EXPECT--
bool(false)
bool(true)
bool(false)
requested claimed=5 completed=1 interrupted=4 failed=0
array(2) {
  [0]=>
  int(0)
  [1]=>
  int(1)
}
0 completed attempts=1 result="done 0" runner=null progress=0/0
1 queued attempts=0 result=null runner=null progress=5/10
2 queued attempts=0 result=null runner=null progress=0/0
3 queued attempts=0 result=null runner=null progress=0/0
4 queued attempts=0 result=null runner=null progress=0/0
1 stopped: the runner stopped before the job finished
empty completed=4
array(4) {
  [0]=>
  int(1)
  [1]=>
  int(2)
  [2]=>
  int(3)
  [3]=>
  int(4)
}
requested completed=1 interrupted=1
string(9) "completed"
string(15) "finished anyway"
string(6) "queued"
