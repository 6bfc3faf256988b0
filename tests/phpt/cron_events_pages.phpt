--TEST--
Engine::cronEvents() by state and a page at a time (a keyset cursor forward and backward, in time and id order), and cronCounts() exact up to its cap, then estimated and flagged
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/cron_fixture.inc';
$e = kbjobs_test_engine('cron_pages');
$now = time();
$ids = [];
// Seven events, three of them at one second: pages must cross the tie without a gap.
foreach ([300, 100, 100, 100, -50, 200, -500] as $i => $d) {
    $ids[$i] = $e->cronSchedule(['hook' => "kb_page_$i", 'timestamp' => $now + $d, 'args_key' => md5("$i"),
                                 'paused' => (int) ($i === 5)], 'single', $now)['id'];
}
$names = fn(array $rows) => implode(',', array_map(fn($v) => substr($v['hook'], 8), $rows));

// Forward in time order, two at a time, each page from the last row of the one before.
$pages = [];
$cursor = [];
do {
    $page = $e->cronEvents(['limit' => 2] + $cursor);
    $pages[] = $names($page);
    $last = end($page);
    $cursor = $last ? ['after' => $last['id'], 'after_time' => $last['timestamp']] : [];
} while ($page);
echo implode(' | ', $pages), "\n";
// Backward from the last page's first row: the page before it, in the list's order.
$third = $e->cronEvents(['limit' => 2, 'after' => $ids[2], 'after_time' => $now + 100]);
echo $names($third), "\n";
echo $names($e->cronEvents(['limit' => 2, 'backward' => true, 'after' => $third[0]['id'],
                            'after_time' => $third[0]['timestamp']])), "\n";
// In id order.
echo $names($e->cronEvents(['order' => 'id', 'limit' => 3, 'after' => $ids[1]])), "\n";
echo $names($e->cronEvents(['order' => 'id', 'limit' => 3, 'after' => $ids[5], 'backward' => true])), "\n";

// States.
kbjobs_test_sql('cron_pages', "UPDATE {p}kbjobs_cron_events SET fail_streak = 2 WHERE id = {$ids[3]}");
kbjobs_test_sql('cron_pages', "UPDATE {p}kbjobs_cron_events SET due_at = NULL, lease_token = 1,"
                . " lease_expires = NOW(6) + INTERVAL 1 MINUTE WHERE id = {$ids[0]}");
foreach (['due', 'paused', 'running', 'failing'] as $state) {
    echo "$state: ", $names($e->cronEvents(['state' => $state])), "\n";
}
$c = $e->cronCounts();
echo json_encode($c), "\n";

// Above the cap the counts are estimates, flagged.
kbjobs_test_sql('cron_pages', "INSERT INTO {p}kbjobs_cron_events (hook, args_key, args, args_php, next_run, due_at,"
                . " paused, created_at, updated_at) SELECT 'kb_many', MD5(s.seq), '[]', '', $now + 1000 + s.seq,"
                . " $now + 1000 + s.seq, 1, NOW(6), NOW(6) FROM seq_1_to_300 s");
kbjobs_test_sql('cron_pages', 'ANALYZE TABLE {p}kbjobs_cron_events');
$c = $e->cronCounts();
var_dump($c['estimated'], $c['events'] > 150, $c['paused'] > 50, $c['due']);

// The schedules in use, each counted.
$e->cronSchedule(['hook' => 'kb_rec', 'timestamp' => $now, 'args_key' => md5('r1'), 'schedule' => 'hourly',
                  'interval' => 3600], 'recurring', $now);
$e->cronSchedule(['hook' => 'kb_rec', 'timestamp' => $now, 'args_key' => md5('r2'), 'schedule' => 'hourly',
                  'interval' => 3600], 'recurring', $now);
echo json_encode($e->cronScheduleUses()), "\n";

// Errors.
foreach ([['state' => 'late'], ['backward' => true], ['after_time' => -1], ['state' => 5]] as $bad) {
    try {
        $e->cronEvents($bad);
        echo "accepted\n";
    } catch (Throwable $t) {
        echo get_class($t), ': ', $t->getMessage(), "\n";
    }
}
?>
--EXPECTF--
6,4 | 1,2 | 3,5 | 0 | 
3,5
1,2
2,3,4
2,3,4
due: 6,4
paused: 5
running: 0
failing: 3
{"events":7,"paused":1,"due":2,"running":1,"failing":1,"estimated":{"events":false,"paused":false,"due":false,"running":false,"failing":false}}
array(5) {
  ["events"]=>
  bool(true)
  ["paused"]=>
  bool(true)
  ["due"]=>
  bool(false)
  ["running"]=>
  bool(false)
  ["failing"]=>
  bool(false)
}
bool(true)
bool(true)
int(2)
[{"schedule":"hourly","events":2,"estimated":false}]
ValueError: option "state" must be "due", "paused", "running" or "failing"
ValueError: option "backward" needs "after" (the first row of the page after)
ValueError: option "after_time" must be %s
TypeError: option "state" must be %s
