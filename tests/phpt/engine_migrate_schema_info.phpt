--TEST--
Engine::schemaInfo() reports no schema before migrate(), the current version after; migrate() is idempotent and needed before use
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$s = kbjobs_test_settings('migrate');
$engine = new KBJobs\Engine($s['host'], $s['user'], $s['password'], $s['database'], $s['prefix'], $s['data_dir']);
$info = $engine->schemaInfo();
// "code" is the schema version this build creates (KBJ_SCHEMA_VERSION).
var_dump($info['version'], $info['min_code'], is_int($info['code']) && $info['code'] >= 1);
$code = $info['code'];

var_dump($info['oldest'] <= $code, $info['behind']);
// Without tables every method but migrate() and schemaInfo() says to migrate first
// (KBJ_EUNSUPPORTED, -5).
try {
    $engine->submit('t.a');
} catch (KBJobs\Exception $e) {
    echo $e->getCode() === -5 ? 'KBJ_EUNSUPPORTED' : '?', ': ', $e->getMessage(), "\n";
}
// A new site's tables are made in one go, the move of rows (14) included: none to move.
$m = $engine->migrate();
var_dump($m['from'], $m['to'] === $code, $m['behind']);
$info = $engine->schemaInfo();
var_dump($info['version'] === $code, $info['min_code'] >= 1 && $info['min_code'] <= $code, $info['code'] === $code);
$id = $engine->submit('t.a');
$engine->migrate();
var_dump($engine->schemaInfo() === $info, $engine->get($id)->status);

// Another Engine on the same prefix sees the schema and the job.
$again = kbjobs_test_engine('migrate');
var_dump($again->schemaInfo() === $info, $again->get($id)->id === $id);
?>
--EXPECT--
int(0)
int(0)
bool(true)
bool(true)
bool(true)
KBJ_EUNSUPPORTED: the kbjobs tables are not made yet: migrate first
int(0)
bool(true)
bool(false)
bool(true)
bool(true)
bool(true)
bool(true)
string(6) "queued"
bool(true)
bool(true)
