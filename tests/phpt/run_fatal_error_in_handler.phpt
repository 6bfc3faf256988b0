--TEST--
A fatal error inside a handler: PHP stops with the error, but first the attempt is failed and the run wound down, so no job is left running
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('fatal_handler');
$s = kbjobs_test_settings('fatal_handler');
$id = $engine->submit('t.fatal', [], ['max_attempts' => 1]);
$other = $engine->submit('t.fatal', ['n' => 2]);

// The fatal error happens in a child process, which ends with it. (PHP does not free
// what a script held when a fatal error stopped it; with Zend's allocator the child's
// heap goes at once, while under valgrind's USE_ZEND_ALLOC=0 it would all be reported
// as leaks of PHP's, not of kbjobs. So the child runs with Zend's allocator.)
file_put_contents("{$s['data_dir']}/child.php", '<?php
$s = ' . var_export($s, true) . ';
$engine = new KBJobs\Engine($s["host"], $s["user"], $s["password"], $s["database"], $s["prefix"], $s["data_dir"]);
register_shutdown_function(function () { echo "child shutdown\n"; });
$engine->registerType("t.fatal", function (KBJobs\Context $ctx) {
    echo "handler runs job ", $ctx->params()["n"] ?? 1, "\n";
    trigger_error("the handler gave up", E_USER_ERROR);
});
$engine->run();
echo "not reached\n";
');
$env = getenv();
$env['USE_ZEND_ALLOC'] = '1';
$proc = proc_open(array_merge(kbjobs_test_php_command(), ['-d', 'display_errors=1', '-d', 'html_errors=0',
                  "{$s['data_dir']}/child.php"]), [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
$out = stream_get_contents($pipes[1]);
$err = stream_get_contents($pipes[2]);
fclose($pipes[1]);
fclose($pipes[2]);
echo str_replace($s['data_dir'], 'DIR', $out), $err;
echo 'exit status ', proc_close($proc), "\n";

// What the child left behind, seen from here.
$j = $engine->get($id);
var_dump($j->status, $j->attempts, $j->error);
var_dump($engine->get($other)->status, $engine->get($other)->attempts);
var_dump($engine->tracker()->activeJobs(), $engine->tracker()->runners()[0]['state']);
var_dump(array_column($engine->failures()->list(), 'message'));
?>
--EXPECTF--
handler runs job 1

Fatal error: the handler gave up in DIR/child.php on line %d
child shutdown
exit status 255
string(6) "failed"
int(1)
string(38) "the handler stopped with a fatal error"
string(6) "queued"
int(0)
array(0) {
}
string(7) "stopped"
array(1) {
  [0]=>
  string(38) "the handler stopped with a fatal error"
}
