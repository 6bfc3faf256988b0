--TEST--
After pcntl_fork() a child reconnects instead of sharing the parent's connection
--EXTENSIONS--
kbjobs
pcntl
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$e = kbjobs_test_engine('fork');
$id = $e->submit('diag.echo', ['from' => 'parent']);

$pid = pcntl_fork();
if ($pid === 0) {
    // the child uses the same object: it must get its own connection
    $child = $e->submit('diag.echo', ['from' => 'child']);
    $ok = $e->get($child)->params['from'] === 'child' && $e->get($id)->status === 'queued';
    exit($ok ? 0 : 1);
}
pcntl_waitpid($pid, $status);
var_dump(pcntl_wexitstatus($status));
// the parent's connection still works after the child exited
var_dump($e->get($id)->params);
var_dump(count($e->list(['type' => 'diag.echo'])['jobs']));
?>
--EXPECT--
int(0)
array(1) {
  ["from"]=>
  string(6) "parent"
}
int(2)
