--TEST--
Strings with NUL bytes are refused with ValueError instead of being cut short at the NUL (type, queue, id, prefix)
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('nul_bytes');
$id = $engine->submit('t.a');
$s = kbjobs_test_settings('nul_bytes');

foreach ([
    'type' => fn() => $engine->submit("t.a\0evil"),
    'queue' => fn() => $engine->submit('t.a', [], ['queue' => "default\0x"]),
    'id for get' => fn() => $engine->get("$id\0junk"),
    'id for cancel' => fn() => $engine->cancel("$id\0junk"),
    'prefix' => fn() => new KBJobs\Engine($s['host'], $s['user'], $s['password'], $s['database'], "kbx_\0other", $s['data_dir']),
    'data dir' => fn() => new KBJobs\Engine($s['host'], $s['user'], $s['password'], $s['database'], $s['prefix'], $s['data_dir'] . "\0/elsewhere"),
    'type in registerType' => fn() => $engine->registerType("t.a\0b", fn() => null),
] as $what => $call) {
    try {
        $call();
        echo "$what: accepted\n";
    } catch (ValueError $e) {
        echo "$what: ValueError\n";
    }
}
// Nothing was submitted or cancelled on the way.
var_dump(count($engine->list()['jobs']), $engine->get($id)->status);
?>
--EXPECT--
type: ValueError
queue: ValueError
id for get: ValueError
id for cancel: ValueError
prefix: ValueError
data dir: ValueError
type in registerType: ValueError
int(1)
string(6) "queued"
