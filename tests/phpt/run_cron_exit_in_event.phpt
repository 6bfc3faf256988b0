--TEST--
exit() inside an event runner ends the script cleanly; the run is recorded as failed ("the event called exit()"), the event is not left running and the events not started stay due
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/cron_fixture.inc';
$engine = kbjobs_test_engine('cron_exit');
$first = kbjobs_test_cron_event('cron_exit', 'ev_exit', [1], -20, ['schedule' => 'hourly', 'interval' => 3600]);
$second = kbjobs_test_cron_event('cron_exit', 'ev_exit', [2], -10);

// Runs after exit(), with a new Engine (a new connection), as a later process would.
register_shutdown_function(function () use ($first, $second) {
    echo "shutdown\n";
    $check = kbjobs_test_engine('cron_exit');
    foreach ($check->cronRuns() as $r) {
        echo $r['event_id'] === $first ? 'first' : 'second', ' ', $r['outcome'], ': ', $r['error'], "\n";
    }
    var_dump(kbjobs_test_sql('cron_exit', "SELECT CONCAT(id = $first, ' ', lease_token IS NULL, ' ', due_at = next_run,"
                                        . " ' ', COALESCE(last_outcome, '-'), ' ', fail_streak) FROM {p}kbjobs_cron_events ORDER BY id"));
    $runners = $check->tracker()->runners();
    var_dump(count($runners), $runners[0]['state'], $check->cronRunnerAlive());
});

$engine->run(['cron_only' => true, 'cron' => function (array $run) {
    echo "event ", $run['args_json'], " runs\n";
    exit(3);
}]);
echo "not reached\n";
?>
--EXPECT--
event [1] runs
shutdown
first failed: the event called exit()
array(2) {
  [0]=>
  string(14) "1 1 1 failed 1"
  [1]=>
  string(9) "0 1 1 - 0"
}
int(1)
string(7) "stopped"
bool(false)
