--TEST--
Engine::cronSchedule() and the event methods: core's duplicate window, recurring replacement, args_php with NUL bytes both ways, reading, changes, and errors naming the key
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$e = kbjobs_test_engine('cron_events');
$now = 2000000000;
$key = md5(serialize(['a', 1]));
$php = serialize(["a\0b", 1]);

// A single event, then core's window: 600 s either side is a duplicate, 601 s is not.
$first = $e->cronSchedule(['hook' => 'kb_single', 'timestamp' => $now + 3600, 'args_key' => $key,
                           'args_json' => '["a\u0000b",1]', 'args_php' => $php], 'single', $now);
var_dump($first['duplicate'], is_int($first['id']));
foreach ([-601, -600, 600, 601] as $i => $d) {
    $hook = "kb_window_$i";
    $in = $e->cronSchedule(['hook' => $hook, 'timestamp' => $now + 3600, 'args_key' => $key], 'single', $now);
    $r = $e->cronSchedule(['hook' => $hook, 'timestamp' => $now + 3600 + $d, 'args_key' => $key], 'single', $now);
    echo "$d: ", $r['duplicate'] ? "duplicate of " . ($r['id'] === $in['id'] ? 'the first' : $r['id']) : 'added', "\n";
    $e->cronClear($hook);
}
// Other arguments or another hook (case counts) are other events.
var_dump($e->cronSchedule(['hook' => 'kb_single', 'timestamp' => $now + 3600, 'args_key' => md5('x')],
                          'single', $now)['duplicate']);
var_dump($e->cronSchedule(['hook' => 'KB_single', 'timestamp' => $now + 3600, 'args_key' => $key],
                          'single', $now)['duplicate']);

// args_php comes back byte for byte, NUL included; the JSON as given.
$ev = $e->cronEvent($first['id']);
var_dump($ev['args_php'] === $php, $ev['args_json'], $ev['hook'], $ev['args_key'] === $key, $ev['timestamp'] - $now);
var_dump($ev['schedule'], $ev['interval'], $ev['due_at'] === $ev['timestamp'], $ev['visible'], $ev['running'],
         $ev['paused'], $ev['run_of'], $ev['runner'], $ev['last_run_at'], $ev['last_outcome'], $ev['fail_streak'],
         is_float($ev['created_at']));

// Recurring: the same hook, args and time replace in place; another time adds.
$r1 = $e->cronSchedule(['hook' => 'kb_hourly', 'timestamp' => $now, 'args_key' => $key, 'schedule' => 'hourly',
                        'interval' => 3600], 'recurring', $now);
$e->cronUpdate($r1['id'], ['paused' => true]);
$r2 = $e->cronSchedule(['hook' => 'kb_hourly', 'timestamp' => $now, 'args_key' => $key, 'schedule' => 'daily',
                        'interval' => 86400, 'args_php' => "x\0y"], 'recurring', $now);
$r3 = $e->cronSchedule(['hook' => 'kb_hourly', 'timestamp' => $now + 60, 'args_key' => $key,
                        'schedule' => 'hourly', 'interval' => 3600], 'recurring', $now);
$ev = $e->cronEvent($r1['id']);
var_dump($r2 === $r1, $r3['id'] !== $r1['id'], $ev['schedule'], $ev['interval'], bin2hex($ev['args_php']),
         $ev['paused']);
// A recurring event blocks a single one in its window, as in core.
var_dump($e->cronSchedule(['hook' => 'kb_hourly', 'timestamp' => $now + 300, 'args_key' => $key], 'single',
                          $now) === ['id' => $r1['id'], 'duplicate' => true]);
// Exact: importing the same twice changes nothing.
$x = ['hook' => 'kb_import', 'timestamp' => $now - 50, 'args_key' => $key, 'paused' => true];
var_dump($e->cronSchedule($x, 'exact') === $e->cronSchedule($x, 'exact'));

// Reading.
echo implode(',', array_map(fn($v) => $v['hook'] . '@' . ($v['timestamp'] - $now),
                            $e->cronEvents(['hook_prefix' => 'kb_']))), "\n";
echo count($e->cronEvents(['hook_prefix' => 'kb%'])), ' ', count($e->cronEvents(['hook' => 'kb_hourly',
    'args_key' => $key])), ' ', count($e->cronEvents(['limit' => 2, 'order' => 'id'])), "\n";
$ids = array_column($e->cronEvents(['order' => 'id']), 'id');
var_dump(array_column($e->cronEvents(['order' => 'id', 'after' => $ids[1]]), 'id') === array_slice($ids, 2));
var_dump(array_column($e->cronEvents(['due_only' => true]), 'hook'));
print_r($e->cronCounts());
var_dump($e->cronEvent(999999));

// Changes.
$e->cronUpdate($r3['id'], ['timestamp' => $now + 120, 'schedule' => null]);
$ev = $e->cronEvent($r3['id']);
var_dump($ev['timestamp'] - $now, $ev['due_at'] - $now, $ev['schedule'], $ev['interval']);
$e->cronUpdate($r3['id'], ['schedule' => 'twicedaily', 'interval' => 43200, 'paused' => false]);
var_dump($e->cronEvent($r3['id'])['schedule']);
$e->cronRunNow($r3['id']);
var_dump(abs($e->cronEvent($r3['id'])['due_at'] - time()) < 5);

// Unschedule and clear count what they delete.
var_dump($e->cronUnschedule('kb_hourly', $key, $now + 120), $e->cronUnschedule('kb_hourly', $key, $now + 120));
var_dump($e->cronClear('kb_single', md5('x')), $e->cronClear('kb_single'), $e->cronClear('kb_single'));
$e->cronDelete($r1['id']);
var_dump($e->cronEvent($r1['id']));

// Errors: ValueError/TypeError naming the key; NotFoundException for a missing event.
$good = ['hook' => 'kb_err', 'timestamp' => $now, 'args_key' => $key];
foreach ([
    [['timestamp' => $now, 'args_key' => $key], 'single'],
    [$good + ['color' => 'red'], 'single'],
    [['hook' => 'kb_err', 'timestamp' => 0, 'args_key' => $key], 'single'],
    [['hook' => 'kb_err', 'timestamp' => $now, 'args_key' => 'ABC'], 'single'],
    [['hook' => str_repeat('h', 192), 'timestamp' => $now, 'args_key' => $key], 'single'],
    [['hook' => "bad\xff", 'timestamp' => $now, 'args_key' => $key], 'single'],
    [['hook' => "nul\0", 'timestamp' => $now, 'args_key' => $key], 'single'],
    [$good + ['args_json' => '{"a":'], 'single'],
    [$good + ['args_json' => '"text"'], 'single'],
    [$good + ['schedule' => 'hourly'], 'recurring'],
    [$good + ['schedule' => 'hourly', 'interval' => 0], 'recurring'],
    [$good + ['schedule' => str_repeat('s', 65), 'interval' => 60], 'recurring'],
    [$good + ['interval' => 60], 'single'],
    [$good + ['max_attempts' => 101], 'single'],
    [$good + ['retry_seconds' => 86401], 'single'],
    [$good + ['args_php' => 5], 'single'],
    [array_merge($good, ['hook' => 5]), 'single'],
    [$good, 'sometimes'],
] as [$event, $mode]) {
    try {
        $e->cronSchedule($event, $mode, $now);
        echo "accepted\n";
    } catch (Throwable $t) {
        echo get_class($t), ': ', $t->getMessage(), "\n";
    }
}
foreach ([fn() => $e->cronDelete(999999), fn() => $e->cronRunNow(999999),
          fn() => $e->cronUpdate(999999, ['paused' => true]), fn() => $e->cronUpdate(1, ['interval' => 5]),
          fn() => $e->cronEvents(['hook_prefix' => 5]), fn() => $e->cronEvents(['order' => 'hook']),
          fn() => $e->cronEvents(['args_key' => $key]), fn() => $e->cronUnschedule('kb', 'nohex', $now),
          fn() => $e->cronClear("a\0b")] as $f) {
    try {
        $f();
        echo "accepted\n";
    } catch (Throwable $t) {
        echo get_class($t), ': ', $t->getMessage(), "\n";
    }
}
?>
--EXPECTF--
bool(false)
bool(true)
-601: added
-600: duplicate of the first
600: duplicate of the first
601: added
bool(false)
bool(false)
bool(true)
string(14) "["a\u0000b",1]"
string(9) "kb_single"
bool(true)
int(3600)
NULL
int(0)
bool(true)
bool(true)
bool(false)
bool(false)
NULL
NULL
NULL
NULL
int(0)
bool(true)
bool(true)
bool(true)
string(5) "daily"
int(86400)
string(6) "780079"
bool(true)
bool(true)
bool(true)
kb_import@-50,kb_hourly@0,kb_hourly@60,kb_single@3600,kb_single@3600
0 2 2
bool(true)
array(0) {
}
Array
(
    [events] => 6
    [paused] => 2
    [due] => 0
    [running] => 0
    [failing] => 0
    [estimated] => Array
        (
            [events] => 
            [paused] => 
            [due] => 
            [running] => 
            [failing] => 
        )

)
NULL
int(120)
int(120)
NULL
int(0)
string(10) "twicedaily"
bool(true)
int(1)
int(0)
int(1)
int(1)
int(0)
NULL
ValueError: cron event "hook" is required
ValueError: unknown cron event key "color"
ValueError: option "timestamp" must be between 1 and %d
ValueError: cron event args_key "ABC" must be 32 lowercase hex digits (an md5)
ValueError: cron event hook must be 1 to 191 bytes of valid UTF-8 (192 bytes given)
ValueError: cron event hook must be 1 to 191 bytes of valid UTF-8 (4 bytes given)
ValueError: option "hook" must not contain any null bytes
ValueError: cron event args_json is not valid JSON: %s
ValueError: cron event args_json is not valid JSON: '[' or '{' expected near '"text"' at line 1 column 6
ValueError: cron event interval 0 of schedule "hourly" must be from 1 to 315360000 seconds
ValueError: cron event interval 0 of schedule "hourly" must be from 1 to 315360000 seconds
ValueError: cron event schedule must be at most 64 bytes of valid UTF-8 (65 bytes given)
ValueError: cron event interval must be 0 for a single event (no schedule), 60 given
ValueError: option "max_attempts" must be between 0 and 100
ValueError: option "retry_seconds" must be between 0 and 86400
TypeError: option "args_php" must be a string, int given
TypeError: option "hook" must be a string
ValueError: KBJobs\Engine::cronSchedule(): Argument #2 ($mode) must be "single", "recurring" or "exact"
KBJobs\NotFoundException: no cron event 999999
KBJobs\NotFoundException: no cron event 999999
KBJobs\NotFoundException: no cron event 999999
ValueError: option "interval" goes with "schedule"
TypeError: option "hook_prefix" must be a string
ValueError: option "order" must be "next_run" or "id"
ValueError: cron filter args_key needs a hook
ValueError: cron unschedule args_key "nohex" must be 32 lowercase hex digits (an md5)
ValueError: KBJobs\Engine::cronClear(): Argument #1 ($hook) must not contain any null bytes
