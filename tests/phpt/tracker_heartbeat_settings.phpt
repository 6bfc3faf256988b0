--TEST--
Engine options and INI settings heartbeat_seconds and lost_after_seconds: defaults (2 s and 8 s), ranges, heartbeat below lost_after, and a busy runner kept active by its heartbeat
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
var_dump(ini_get('kbjobs.heartbeat_seconds'), ini_get('kbjobs.lost_after_seconds'));
// Out of range INI values are refused and leave the setting alone.
var_dump(ini_set('kbjobs.heartbeat_seconds', '0'), ini_set('kbjobs.heartbeat_seconds', '3601'),
         ini_set('kbjobs.heartbeat_seconds', 'often'), ini_set('kbjobs.lost_after_seconds', '1'),
         ini_set('kbjobs.lost_after_seconds', '604801'));
var_dump(ini_get('kbjobs.heartbeat_seconds'), ini_get('kbjobs.lost_after_seconds'));

$s = kbjobs_test_settings('heartbeat');
$make = fn (array $o) => new KBJobs\Engine($s['host'], $s['user'], $s['password'], $s['database'], $s['prefix'], $s['data_dir'], $o);
foreach ([
    'heartbeat out of range' => ['heartbeat_seconds' => 3601],
    'lost_after out of range' => ['lost_after_seconds' => 604801],
    'heartbeat not below lost_after' => ['heartbeat_seconds' => 5, 'lost_after_seconds' => 5],
    'lost_after below the default heartbeat' => ['lost_after_seconds' => 2],
] as $case => $options) {
    try {
        $make($options);
        echo "$case: no error\n";
    } catch (Throwable $e) {
        echo "$case: ", get_class($e), ': ', $e->getMessage(), "\n";
    }
}
// The INI settings are read by new Engines; an option overrides them.
ini_set('kbjobs.heartbeat_seconds', '4');
try {
    $make([]);
} catch (ValueError $e) {
    echo 'INI heartbeat 4, default lost_after (16): ', 'unexpected ', $e->getMessage(), "\n";
}
ini_set('kbjobs.lost_after_seconds', '3');
try {
    $make([]);
} catch (ValueError $e) {
    echo 'INI heartbeat 4, lost_after 3: ', $e->getMessage(), "\n";
}
$make(['heartbeat_seconds' => 1]);
ini_restore('kbjobs.heartbeat_seconds');
ini_restore('kbjobs.lost_after_seconds');

// A handler busy for 3 s on a runner that beats every second: a reader that calls a
// runner lost after 2 s of silence still sees it active.
$engine = kbjobs_test_engine('heartbeat', ['heartbeat_seconds' => 1, 'lost_after_seconds' => 2]);
$reader = kbjobs_test_engine('heartbeat', ['heartbeat_seconds' => 1, 'lost_after_seconds' => 2]);
$seen = [];
$engine->registerType('t.busy', function () use ($reader, &$seen) {
    for ($i = 0; $i < 3; $i++) {
        usleep(1000000);
        $seen[] = $reader->tracker()->runners()[0]['state'];
    }
});
$engine->submit('t.busy');
$engine->run(['until_empty' => true]);
var_dump($seen);
unset($engine);
gc_collect_cycles();
?>
--EXPECT--
string(1) "2"
string(1) "0"
bool(false)
bool(false)
bool(false)
bool(false)
bool(false)
string(1) "2"
string(1) "0"
heartbeat out of range: ValueError: option "heartbeat_seconds" must be between 0 and 3600
lost_after out of range: ValueError: option "lost_after_seconds" must be between 0 and 604800
heartbeat not below lost_after: ValueError: heartbeat_seconds (5) must be less than lost_after_seconds (5): a runner would be shown lost between two heartbeats
lost_after below the default heartbeat: ValueError: heartbeat_seconds (2) must be less than lost_after_seconds (2): a runner would be shown lost between two heartbeats
INI heartbeat 4, lost_after 3: heartbeat_seconds (4) must be less than lost_after_seconds (3): a runner would be shown lost between two heartbeats
array(3) {
  [0]=>
  string(6) "active"
  [1]=>
  string(6) "active"
  [2]=>
  string(6) "active"
}
