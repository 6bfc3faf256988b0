--TEST--
Engine::stats() returns the metrics of a drain in the contract's shape, and refuses bad options naming them
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('stats');

$engine->submitMany(array_fill(0, 4, ['type' => 'diag.echo', 'queue' => 'st']));
$engine->submit('diag.fail', ['retryable' => false], ['queue' => 'st', 'max_attempts' => 1]);
var_dump($engine->run(['queues' => ['st'], 'until_empty' => true])['completed']);

$s = $engine->stats(['since' => 600]);
var_dump(array_keys($s), $s['step'], $s['until'] - $s['since'] <= 660, count($s['series']) >= 10);
var_dump($s['totals']['started'], $s['totals']['completed'], $s['totals']['failed'], $s['totals']['retried']);
var_dump(array_keys($s['totals']));
var_dump(is_float($s['totals']['run_p50_ms']), array_keys($s['queues']), array_keys($s['types']));
var_dump($s['types']['diag.fail']['failed']);
var_dump(array_keys($s['series'][0])[0], $s['series'][0]['t'] === $s['since']);
var_dump(array_sum(array_column($s['series'], 'started')));
// an empty window: zeros, and null percentiles
$e = $engine->stats(['queue' => 'none']);
var_dump($e['totals']['started'], $e['totals']['wait_p95_ms'], $e['queues']);
var_dump($engine->stats(['since' => 7 * 86400])['step'], $engine->stats(['type' => null])['step']);

foreach ([['since' => 0], ['since' => 91 * 86400], ['step' => 120], ['step' => 60, 'since' => 3 * 86400],
          ['queue' => 'Bad Queue'], ['nope' => 1], ['queue' => 5]] as $bad) {
    try {
        $engine->stats($bad);
        echo "accepted\n";
    } catch (\ValueError | \TypeError $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
// the rollup: nothing to roll up on a fresh prefix, twice
var_dump($engine->rollupMetrics(), $engine->rollupMetrics()['rows']);
?>
--EXPECTF--
int(4)
array(7) {
  [0]=>
  string(5) "since"
  [1]=>
  string(5) "until"
  [2]=>
  string(4) "step"
  [3]=>
  string(6) "totals"
  [4]=>
  string(6) "queues"
  [5]=>
  string(5) "types"
  [6]=>
  string(6) "series"
}
int(60)
bool(true)
bool(true)
int(5)
int(4)
int(1)
int(0)
array(8) {
  [0]=>
  string(7) "started"
  [1]=>
  string(9) "completed"
  [2]=>
  string(6) "failed"
  [3]=>
  string(7) "retried"
  [4]=>
  string(11) "wait_p50_ms"
  [5]=>
  string(11) "wait_p95_ms"
  [6]=>
  string(10) "run_p50_ms"
  [7]=>
  string(10) "run_p95_ms"
}
bool(true)
array(1) {
  [0]=>
  string(2) "st"
}
array(2) {
  [0]=>
  string(9) "diag.echo"
  [1]=>
  string(9) "diag.fail"
}
int(1)
string(1) "t"
bool(true)
int(5)
int(0)
NULL
array(0) {
}
int(3600)
int(60)
ValueError: option "since" must be between 1 and 7776000
ValueError: option "since" must be between 1 and 7776000
ValueError: option "step" must be 60 or 3600
ValueError: option "step" 60 reaches back 48 hours at most: use 3600 for a longer "since"
ValueError: queue "Bad Queue" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
ValueError: unknown stats option "nope"
TypeError: option "queue" must be a string or null
array(1) {
  ["rows"]=>
  int(0)
}
int(0)
