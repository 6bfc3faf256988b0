--TEST--
A unique_key returns the existing job instead of a new one: while it is active (scope "active") or while it is kept (scope "retained")
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('submit_unique');
$engine->registerType('t.once', fn() => 'done');

$a = $engine->submit('t.once', ['v' => 1], ['unique_key' => 'sync-site-1']);
$b = $engine->submit('t.once', ['v' => 2], ['unique_key' => 'sync-site-1']);
$c = $engine->submit('t.once', [], ['unique_key' => 'sync-site-2']);
var_dump($a === $b, $a !== $c, $engine->get($a)->params, $engine->get($a)->uniqueKey);

$r = $engine->submit('t.once', [], ['unique_key' => 'report', 'unique_scope' => 'retained']);
var_dump($engine->run(['until_empty' => true])['completed']);

// Active scope: once the job finished, the key is free again.
$d = $engine->submit('t.once', [], ['unique_key' => 'sync-site-1']);
var_dump($d !== $a, $engine->get($d)->status);

// Retained scope: the finished job still holds the key ...
var_dump($engine->submit('t.once', [], ['unique_key' => 'report', 'unique_scope' => 'retained']) === $r);
// ... until retention deletes it.
usleep(20000);
$engine->retention(0);
$e = $engine->submit('t.once', [], ['unique_key' => 'report', 'unique_scope' => 'retained']);
var_dump($e !== $r, $engine->get($e)->status);
?>
--EXPECT--
bool(true)
bool(true)
array(1) {
  ["v"]=>
  int(1)
}
string(11) "sync-site-1"
int(3)
bool(true)
string(6) "queued"
bool(true)
bool(true)
string(6) "queued"
