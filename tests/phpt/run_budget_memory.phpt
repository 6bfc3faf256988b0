--TEST--
Engine::run() with max_memory below what the process uses stops at once with stop_reason "memory", also when Zend's allocator is off (valgrind)
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('budget_memory');
$engine->submitMany(array_fill(0, 3, ['type' => 't.any']));
// max_seconds only keeps the test from hanging should memory go unmeasured: with
// USE_ZEND_ALLOC=0 under valgrind, Zend reports 0 bytes and mallinfo2() reports 0 too.
$r = $engine->run(['max_memory' => 1, 'max_seconds' => 5]);
echo $r['stop_reason'], ' claimed=', $r['claimed'], "\n";
var_dump(count($engine->list(['status' => 'queued'])['jobs']));

// A budget above what is used does not stop the run.
$engine->registerType('t.any', fn() => null);
$r = $engine->run(['max_memory' => 1 << 40, 'until_empty' => true]);
echo $r['stop_reason'], ' completed=', $r['completed'], "\n";
?>
--EXPECT--
memory claimed=0
int(3)
empty completed=3
