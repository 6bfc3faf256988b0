--TEST--
A pcntl signal handler that calls requestStop() stops a run that is idle, waiting for jobs
--EXTENSIONS--
kbjobs
pcntl
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$e = kbjobs_test_engine('signal');
// The extension installs no signal handlers itself: the application maps SIGTERM (here
// SIGALRM, to stay in-process) to requestStop(), as `wp kb work` does.
pcntl_async_signals(true);
pcntl_signal(SIGALRM, function () use ($e) {
    echo "signal\n";
    $e->requestStop();
});
pcntl_alarm(1);
$t = microtime(true);
$r = $e->run(['queues' => 'nothing-here', 'idle_ms' => 200, 'max_seconds' => 30]);
$took = microtime(true) - $t;
echo $r['stop_reason'], ' ', $r['claimed'], "\n";
var_dump($took > 0.5 && $took < 5);
?>
--EXPECT--
signal
requested 0
bool(true)
