--TEST--
INI settings kbjobs.data_dir, kbjobs.lease_seconds and kbjobs.claim_batch: defaults, range checks, phpinfo, and their effect on new Engines
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
var_dump(ini_get('kbjobs.data_dir'), ini_get('kbjobs.lease_seconds'), ini_get('kbjobs.claim_batch'));
var_dump((new ReflectionExtension('kbjobs'))->getINIEntries());

// Out of range values are refused and leave the setting alone.
var_dump(ini_set('kbjobs.lease_seconds', '0'), ini_set('kbjobs.lease_seconds', '86401'), ini_set('kbjobs.lease_seconds', 'soon'));
var_dump(ini_set('kbjobs.claim_batch', '0'), ini_set('kbjobs.claim_batch', '1001'));
var_dump(ini_get('kbjobs.lease_seconds'), ini_get('kbjobs.claim_batch'));
var_dump(ini_set('kbjobs.lease_seconds', '86400'), ini_get('kbjobs.lease_seconds'));
ini_restore('kbjobs.lease_seconds');
var_dump(ini_get('kbjobs.lease_seconds'));

// phpinfo lists the directives with their local and master values.
$dir = kbjobs_test_settings('ini_settings')['data_dir'];
ini_set('kbjobs.data_dir', $dir);
ob_start();
(new ReflectionExtension('kbjobs'))->info();
$info = ob_get_clean();
foreach (explode("\n", $info) as $line) {
    if (str_starts_with($line, 'kbjobs.') || str_starts_with($line, 'Directive')) {
        echo str_replace($dir, 'DIR', $line), "\n";
    }
}

// A new Engine takes claim_batch from the INI setting (seen in how many jobs one claim
// takes), and its data directory when none is given; the option overrides the INI.
ini_set('kbjobs.claim_batch', '3');
$s = kbjobs_test_settings('ini_settings');
$engine = new KBJobs\Engine($s['host'], $s['user'], $s['password'], $s['database'], $s['prefix']);
$engine->migrate();
$engine->registerType('t.stop', function (KBJobs\Context $ctx) use (&$engine) {
    $engine->requestStop();
    $ctx->log('info', 'ran');
});
$ids = $engine->submitMany(array_fill(0, 8, ['type' => 't.stop']));
$r = $engine->run();
var_dump($r['claimed'], $r['completed'], $r['interrupted']);
var_dump(file_exists("$dir/logs/{$ids[0]}.log"));

$other = kbjobs_test_engine('ini_settings', ['claim_batch' => 5]);
$other->registerType('t.stop', function () use (&$other) {
    $other->requestStop();
});
var_dump($other->run()['claimed']);
// The handlers hold the engine that holds them: free that cycle now, not at shutdown
// (under valgrind, USE_ZEND_ALLOC=0, PHP does not collect cycles left at shutdown).
unset($engine, $other);
gc_collect_cycles();
?>
--EXPECT--
string(0) ""
string(2) "60"
string(2) "10"
array(5) {
  ["kbjobs.data_dir"]=>
  string(0) ""
  ["kbjobs.lease_seconds"]=>
  string(2) "60"
  ["kbjobs.claim_batch"]=>
  string(2) "10"
  ["kbjobs.heartbeat_seconds"]=>
  string(1) "2"
  ["kbjobs.lost_after_seconds"]=>
  string(1) "0"
}
bool(false)
bool(false)
bool(false)
bool(false)
bool(false)
string(2) "60"
string(2) "10"
string(2) "60"
string(5) "86400"
string(2) "60"
Directive => Local Value => Master Value
kbjobs.data_dir => DIR => no value
kbjobs.lease_seconds => 60 => 60
kbjobs.claim_batch => 10 => 10
kbjobs.heartbeat_seconds => 2 => 2
kbjobs.lost_after_seconds => 0 => 0
int(3)
int(1)
int(2)
bool(true)
int(5)
