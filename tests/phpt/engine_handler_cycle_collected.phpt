--TEST--
An Engine whose handler closure holds the Engine is freed by the cycle collector, and its views keep it alive until then
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('cycle');
$engine->registerType('t.self', function (KBJobs\Context $ctx) use ($engine) {
    return $engine->get($ctx->id())->status;
});
$id = $engine->submit('t.self');
var_dump($engine->run(['until_empty' => true])['completed'], $engine->get($id)->result);

$weak = WeakReference::create($engine);
$failures = $engine->failures();
unset($engine);
gc_collect_cycles();
// The FailureLog view still holds the engine: it stays alive and usable.
var_dump($weak->get() instanceof KBJobs\Engine, $failures->count());

unset($failures);
var_dump(gc_collect_cycles() >= 2, $weak->get());
?>
--EXPECT--
int(1)
string(7) "running"
bool(true)
int(0)
bool(true)
NULL
