--TEST--
Engine::statusCounts(), queue() and queues(): counts exact up to 190, estimated above it (reported in $estimated and in a queue's 'estimated'), 'more' under a filter no index serves, exact on request
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('counts');

// 300 jobs in queue "counts": 100 cancelled, 200 queued (above the cap of 190).
$ids = $engine->submitMany(array_fill(0, 300, ['type' => 'diag.echo', 'params' => [], 'queue' => 'counts']));
$engine->applyToJobs('cancel', array_slice($ids, 0, 100));

$counts = $engine->statusCounts([], false, $estimated);
var_dump(array_keys($counts) === ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted', 'held']);
var_dump(array_map('gettype', $counts) === array_fill_keys(array_keys($counts), 'integer'));
var_dump($estimated);
var_dump($counts['queued'] > 190 && $counts['queued'] < 2000, $counts['cancelled'], $counts['running']);

// Without the third argument nothing changes for callers that sum the counts.
var_dump(array_sum($engine->statusCounts()) > 290);

// Exact: every row counted, nothing estimated.
$counts = $engine->statusCounts([], true, $estimated);
var_dump($counts['queued'], $estimated);

// A type filter: no index serves status and type together, so only "more than 190".
$counts = $engine->statusCounts(['type' => 'diag.echo'], false, $estimated);
var_dump($counts['queued'], $estimated, $counts['cancelled']);
// A queue filter is served by the claim index: an estimate.
$engine->statusCounts(['queue' => 'counts'], false, $estimated);
var_dump($estimated);

$q = $engine->queue('counts');
var_dump($q['estimated'], $q['queued'] > 190, $q['running']);
$q = $engine->queue('counts', true);
var_dump($q['estimated'], $q['queued'], $q['due']);
$all = $engine->queues(true);
var_dump(count($all), $all[0]['name'], $all[0]['queued'], $all[0]['estimated']);
var_dump($engine->queues()[0]['estimated']);
?>
--EXPECT--
bool(true)
bool(true)
array(1) {
  ["queued"]=>
  string(8) "estimate"
}
bool(true)
int(100)
int(0)
bool(true)
int(200)
array(0) {
}
int(191)
array(1) {
  ["queued"]=>
  string(4) "more"
}
int(100)
array(1) {
  ["queued"]=>
  string(8) "estimate"
}
array(2) {
  [0]=>
  string(6) "queued"
  [1]=>
  string(3) "due"
}
bool(true)
int(0)
array(0) {
}
int(200)
int(200)
int(1)
string(6) "counts"
int(200)
array(0) {
}
array(2) {
  [0]=>
  string(6) "queued"
  [1]=>
  string(3) "due"
}
