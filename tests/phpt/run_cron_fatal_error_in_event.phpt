--TEST--
A fatal error inside an event runner: PHP stops with the error, but first the run is recorded as failed with PHP's message and the run wound down, so no event is left running
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/cron_fixture.inc';
$engine = kbjobs_test_engine('cron_fatal');
$s = kbjobs_test_settings('cron_fatal');
$id = kbjobs_test_cron_event('cron_fatal', 'ev_fatal', [], -20, ['schedule' => 'daily', 'interval' => 86400]);
kbjobs_test_cron_event('cron_fatal', 'ev_other', [], -10);

// The fatal error happens in a child process, which ends with it (with Zend's allocator:
// see run_fatal_error_in_handler.phpt).
file_put_contents("{$s['data_dir']}/child.php", '<?php
$s = ' . var_export($s, true) . ';
$engine = new KBJobs\Engine($s["host"], $s["user"], $s["password"], $s["database"], $s["prefix"], $s["data_dir"]);
register_shutdown_function(function () { echo "child shutdown\n"; });
$engine->run(["cron_only" => true, "cron" => function (array $run) {
    echo "event ", $run["hook"], " runs\n";
    trigger_error("the event gave up", E_USER_ERROR);
}]);
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
foreach ($engine->cronRuns() as $r) {
    echo $r['hook'], ' ', $r['outcome'], ': ', $r['error'], "\n";
}
var_dump(kbjobs_test_sql('cron_fatal', "SELECT CONCAT(hook, ' ', lease_token IS NULL, ' ', due_at = next_run)"
                                     . " FROM {p}kbjobs_cron_events ORDER BY id"));
var_dump($engine->tracker()->runners()[0]['state']);
?>
--EXPECTF--
event ev_fatal runs

Fatal error: the event gave up in DIR/child.php on line %d
child shutdown
exit status 255
ev_fatal failed: fatal error: the event gave up
array(2) {
  [0]=>
  string(12) "ev_fatal 1 1"
  [1]=>
  string(12) "ev_other 1 1"
}
string(7) "stopped"
