--TEST--
A KBJobs\Context kept after its handler returned throws Error on every use, and cannot be cloned
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('context_after');
$kept = [];
$engine->registerType('t.keep', function (KBJobs\Context $ctx) use (&$kept) {
    $kept[] = $ctx;
    try {
        clone $ctx;
    } catch (Error $e) {
        echo $e->getMessage(), "\n";
    }
    return $ctx->id();
});
$a = $engine->submit('t.keep');
$b = $engine->submit('t.keep');
var_dump($engine->run(['until_empty' => true])['completed']);
// Each job had its own Context; both ran and completed with their own id.
var_dump(count($kept), $kept[0] !== $kept[1], $engine->get($a)->result === $a, $engine->get($b)->result === $b);

$ctx = $kept[0];
foreach ([
    'id' => fn() => $ctx->id(),
    'type' => fn() => $ctx->type(),
    'attempt' => fn() => $ctx->attempt(),
    'params' => fn() => $ctx->params(),
    'progress' => fn() => $ctx->progress(1, 2),
    'title' => fn() => $ctx->title('late'),
    'log' => fn() => $ctx->log('info', 'late'),
    'metrics' => fn() => $ctx->metrics(['n' => 1]),
    'shouldStop' => fn() => $ctx->shouldStop(),
    'cancelled' => fn() => $ctx->cancelled(),
    'stopEarly' => fn() => $ctx->stopEarly(),
] as $method => $call) {
    try {
        $call();
        echo "$method: no exception\n";
    } catch (Error $e) {
        echo "$method: ", get_class($e), ': ', $e->getMessage(), "\n";
    }
}
// Nothing reached the job after it completed.
$j = $engine->get($a);
var_dump($j->title, $j->metrics, $engine->logs($a)['lines']);
?>
--EXPECT--
Trying to clone an uncloneable object of class KBJobs\Context
Trying to clone an uncloneable object of class KBJobs\Context
int(2)
int(2)
bool(true)
bool(true)
bool(true)
id: Error: KBJobs\Context is only valid while its handler runs
type: Error: KBJobs\Context is only valid while its handler runs
attempt: Error: KBJobs\Context is only valid while its handler runs
params: Error: KBJobs\Context is only valid while its handler runs
progress: Error: KBJobs\Context is only valid while its handler runs
title: Error: KBJobs\Context is only valid while its handler runs
log: Error: KBJobs\Context is only valid while its handler runs
metrics: Error: KBJobs\Context is only valid while its handler runs
shouldStop: Error: KBJobs\Context is only valid while its handler runs
cancelled: Error: KBJobs\Context is only valid while its handler runs
stopEarly: Error: KBJobs\Context is only valid while its handler runs
NULL
array(0) {
}
array(0) {
}
