--TEST--
Engine::submit() refuses bad types, params and options with ValueError or TypeError, and stores nothing
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('submit_errors');

$cases = [
    'bad type name' => fn() => $engine->submit('Bad Type'),
    'empty type' => fn() => $engine->submit(''),
    'params as a list' => fn() => $engine->submit('t.a', [1, 2, 3]),
    'params with INF' => fn() => $engine->submit('t.a', ['x' => INF]),
    'params over 1 MiB' => fn() => $engine->submit('t.a', ['blob' => str_repeat('x', 1 << 20)]),
    'unknown option' => fn() => $engine->submit('t.a', [], ['queu' => 'x']),
    'type among options' => fn() => $engine->submit('t.a', [], ['type' => 't.b']),
    'bad queue name' => fn() => $engine->submit('t.a', [], ['queue' => 'No Spaces']),
    'queue not a string' => fn() => $engine->submit('t.a', [], ['queue' => 5]),
    'priority out of range' => fn() => $engine->submit('t.a', [], ['priority' => 101]),
    'priority not an integer' => fn() => $engine->submit('t.a', [], ['priority' => 'high']),
    'max_attempts out of range' => fn() => $engine->submit('t.a', [], ['max_attempts' => 1001]),
    'negative delay' => fn() => $engine->submit('t.a', [], ['delay' => -1]),
    'unknown backoff' => fn() => $engine->submit('t.a', [], ['backoff' => 'random']),
    'unknown backoff key' => fn() => $engine->submit('t.a', [], ['backoff' => ['kind' => 'fixed', 'base' => 1]]),
    'bad on_expiry' => fn() => $engine->submit('t.a', [], ['on_expiry' => 'explode']),
    'bad unique_scope' => fn() => $engine->submit('t.a', [], ['unique_key' => 'k', 'unique_scope' => 'forever']),
    'unique_scope without key' => fn() => $engine->submit('t.a', [], ['unique_scope' => 'active']),
];
foreach ($cases as $what => $call) {
    try {
        $call();
        echo "$what: no exception\n";
    } catch (Throwable $e) {
        echo $what, ': ', get_class($e), ': ', $e->getMessage(), "\n";
    }
}
var_dump(count($engine->list()['jobs']));
?>
--EXPECT--
bad type name: ValueError: type "Bad Type" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
empty type: ValueError: type "" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
params as a list: ValueError: params must be an associative array (a JSON object), not a list
params with INF: ValueError: params cannot be encoded as JSON: INF or NAN
params over 1 MiB: ValueError: params are 1048587 bytes; at most 1048576 are allowed
unknown option: ValueError: unknown submit option "queu"
type among options: ValueError: KBJobs\Engine::submit(): Argument #3 ($options) must not contain "type" or "params"
bad queue name: ValueError: queue "No Spaces" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
queue not a string: TypeError: option "queue" must be a string
priority out of range: ValueError: option "priority" must be between -100 and 100
priority not an integer: ValueError: option "priority" must be an integer
max_attempts out of range: ValueError: option "max_attempts" must be between 0 and 1000
negative delay: ValueError: option "delay" must be between 0 and 3.1536e+8
unknown backoff: ValueError: backoff kind "random" must be fixed, linear, exponential or polynomial
unknown backoff key: ValueError: unknown backoff option "base"
bad on_expiry: ValueError: option "on_expiry" must be "interrupt" or "requeue"
bad unique_scope: ValueError: option "unique_scope" must be "active" or "retained"
unique_scope without key: ValueError: a unique scope needs a unique key
int(0)
