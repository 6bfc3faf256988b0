--TEST--
exit() inside a handler ends the script cleanly; the job is not left running (the attempt fails and retries), unstarted jobs go back, the runner is stopped
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('exit_handler');
$id = $engine->submit('t.exit');
$other = $engine->submit('t.exit', ['n' => 2]);

// Runs after exit(), with a new Engine (a new connection), as a later process would.
register_shutdown_function(function () use ($id, $other) {
    echo "shutdown\n";
    $check = kbjobs_test_engine('exit_handler');
    $j = $check->get($id);
    var_dump($j->status, $j->attempts, $j->error, $j->runner, $j->runAt > microtime(true));
    $o = $check->get($other);
    var_dump($o->status, $o->attempts);
    var_dump(array_column($check->tracker()->activeJobs(), 'id'));
    $runners = $check->tracker()->runners();
    var_dump(count($runners), $runners[0]['state'], $runners[0]['running_jobs'], $runners[0]['stopped_at'] !== null);
});

$engine->registerType('t.exit', function (KBJobs\Context $ctx) {
    echo "handler runs job ", $ctx->params()['n'] ?? 1, "\n";
    exit(3);
});
$engine->run();
echo "not reached\n";
?>
--EXPECT--
handler runs job 1
shutdown
string(6) "queued"
int(1)
string(25) "the handler called exit()"
NULL
bool(true)
string(6) "queued"
int(0)
array(0) {
}
int(1)
string(7) "stopped"
int(0)
bool(true)
