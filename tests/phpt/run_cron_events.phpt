--TEST--
Engine::run() with a "cron" runner: each due event's run array reaches the PHP callable (binary-safe args_php), its returned outcome is recorded and listed by cronRuns(), the report counts events
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/cron_fixture.inc';
$engine = kbjobs_test_engine('cron_events');
$ok = kbjobs_test_cron_event('cron_events', 'ev_ok', ['a', "x\0y"], -30);
$tick = kbjobs_test_cron_event('cron_events', 'ev_tick', [], -20, ['schedule' => 'hourly', 'interval' => 3600]);
kbjobs_test_cron_event('cron_events', 'ev_error', [], -10);
kbjobs_test_cron_event('cron_events', 'ev_throws', [], -5);
kbjobs_test_cron_event('cron_events', 'ev_later', [], 3600);

foreach ([['cron' => 'no_such_function'], ['cron_only' => true], ['cron' => fn () => null, 'cron_trigger' => 'Bad!']]
         as $bad) {
    try {
        $engine->run($bad + ['until_empty' => true]);
    } catch (TypeError | ValueError $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}

$report = $engine->run([
    'until_empty' => true,
    'until_empty_wait' => 0.1,
    'cron_only' => true,
    'cron_trigger' => 'cli',
    'cron' => function (array $run) use ($engine) {
        echo $run['hook'], ' attempt ', $run['attempt'], ' trigger ', $run['trigger'], ' schedule ',
             var_export($run['schedule'], true), ' alive ', var_export($engine->cronRunnerAlive(), true), "\n";
        switch ($run['hook']) {
            case 'ev_ok':
                var_dump(unserialize($run['args_php']) === ['a', "x\0y"], $run['args_json'], $run['due'] < time());
                return ['output' => str_repeat('o', 5000), 'memory_peak' => 1234, 'queries' => 3,
                        'http_requests' => 0];
            case 'ev_tick':
                return null;
            case 'ev_error':
                return ['error' => 'it went wrong', 'output' => 'half done'];
            case 'ev_throws':
                throw new RuntimeException('thrown here');
        }
    },
]);
foreach (['claimed', 'cron_ran', 'cron_failed', 'cron_lost', 'stop_reason'] as $k) {
    echo "$k: ", $report[$k], "\n";
}
var_dump($engine->cronRunnerAlive());

foreach (array_reverse($engine->cronRuns()) as $r) {
    printf("%s %s %s error=%s output=%d memory=%s queries=%s http=%s runner=%d ended=%d\n", $r['hook'],
           $r['outcome'], $r['trigger'], var_export($r['error'], true), strlen((string)$r['output']),
           var_export($r['memory_peak'], true), var_export($r['queries'], true), var_export($r['http_requests'], true),
           $r['runner'] !== null, $r['ended_at'] >= $r['started_at']);
}
echo count($engine->cronRuns(['outcome' => 'failed'])), " failed, ",
     count($engine->cronRuns(['event_id' => $ok])), " of ev_ok, ",
     count($engine->cronRuns(['hook' => 'ev_tick', 'limit' => 1])), " of ev_tick\n";
$page = $engine->cronRuns(['limit' => 3]);
echo count($page), ' then ', count($engine->cronRuns(['before' => end($page)['id']])), "\n";
try {
    $engine->cronRuns(['colour' => 'red']);
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}
// the recurring event stays, scheduled within the hour; the later one waits
var_dump(kbjobs_test_sql('cron_events', "SELECT COUNT(*) FROM {p}kbjobs_cron_events"));
var_dump($engine->cronPrune(30, 1));
?>
--EXPECT--
TypeError: option "cron" must be a callable
ValueError: options "cron_trigger", "cron_batch", "cron_event" and "cron_only" need the "cron" option
ValueError: option "cron_trigger" must be 1 to 15 characters of a-z and '-'
ev_ok attempt 1 trigger cli schedule NULL alive true
bool(true)
string(16) "["a","x\u0000y"]"
bool(true)
ev_tick attempt 1 trigger cli schedule 'hourly' alive true
ev_error attempt 1 trigger cli schedule NULL alive true
ev_throws attempt 1 trigger cli schedule NULL alive true
claimed: 0
cron_ran: 4
cron_failed: 2
cron_lost: 0
stop_reason: empty
bool(false)
ev_ok ok cli error=NULL output=4096 memory=1234 queries=3 http=0 runner=1 ended=1
ev_tick ok cli error=NULL output=0 memory=NULL queries=NULL http=NULL runner=1 ended=1
ev_error failed cli error='it went wrong' output=9 memory=NULL queries=NULL http=NULL runner=1 ended=1
ev_throws failed cli error='RuntimeException: thrown here' output=0 memory=NULL queries=NULL http=NULL runner=1 ended=1
2 failed, 1 of ev_ok, 1 of ev_tick
3 then 1
unknown cron runs filter "colour"
array(1) {
  [0]=>
  string(1) "2"
}
int(0)
