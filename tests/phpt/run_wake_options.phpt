--TEST--
Engine::run() options of the idle wait: idle_min_ms in range, wake a bool; the report counts wakeups
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('wake');

// Nothing due: a run that only polls and one that listens both end on their time budget;
// nobody else submits here, so neither is woken.
foreach ([false, true] as $wake) {
    $r = $engine->run(['max_seconds' => 0.3, 'idle_ms' => 100, 'idle_min_ms' => 20, 'wake' => $wake]);
    echo $r['stop_reason'], ' claimed=', $r['claimed'], ' wakeups=', $r['wakeups'], "\n";
}
foreach ([['idle_min_ms' => -1], ['idle_min_ms' => 3600001], ['wake' => 'no'], ['wake' => 2]] as $bad) {
    try {
        $engine->run($bad + ['max_seconds' => 0.1]);
        echo "accepted\n";
    } catch (\Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
time claimed=0 wakeups=0
time claimed=0 wakeups=0
ValueError: option "idle_min_ms" must be between 0 and 3600000
ValueError: option "idle_min_ms" must be between 0 and 3600000
TypeError: option "wake" must be a bool
TypeError: option "wake" must be a bool
