--TEST--
Engine::submitMany() submits a list of jobs in one transaction: ids in order, all or none
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('submit_many');

var_dump($engine->submitMany([]));

$ids = $engine->submitMany([
    ['type' => 'mail.send', 'params' => ['to' => 'a@example.org']],
    ['type' => 'mail.send', 'params' => ['to' => 'b@example.org'], 'priority' => 3, 'queue' => 'mail'],
    ['type' => 'index.page', 'max_attempts' => 1],
]);
var_dump(count($ids), count(array_unique($ids)), array_keys($ids));
foreach ($ids as $id) {
    $j = $engine->get($id);
    echo $j->type, ' ', $j->queue, ' ', $j->priority, ' ', $j->maxAttempts, ' ', json_encode($j->params), "\n";
}

// One bad job refuses the whole batch, naming the bad element; nothing is stored.
$bad = [
    'not an array' => [['type' => 't.a'], 'oops'],
    'no type' => [['type' => 't.a'], ['params' => []]],
    'params not an array' => [['type' => 't.a'], ['type' => 't.a', 'params' => 'x']],
    'unknown option' => [['type' => 't.a'], ['type' => 't.a', 'colour' => 'red']],
    'bad type name (engine)' => [['type' => 't.a'], ['type' => 't.a'], ['type' => 'NO']],
];
foreach ($bad as $what => $jobs) {
    try {
        $engine->submitMany($jobs);
        echo "$what: no exception\n";
    } catch (Throwable $e) {
        echo "$what: ", get_class($e), ': ', $e->getMessage(), "\n";
    }
}
var_dump(count($engine->list()['jobs']));

// A unique key already taken returns the existing job's id.
$first = $engine->submit('t.uniq', [], ['unique_key' => 'only-one']);
$again = $engine->submitMany([['type' => 't.uniq', 'unique_key' => 'only-one'], ['type' => 't.other']]);
var_dump($again[0] === $first, $again[1] !== $first);
var_dump(count($engine->list()['jobs']));
?>
--EXPECT--
array(0) {
}
int(3)
int(3)
array(3) {
  [0]=>
  int(0)
  [1]=>
  int(1)
  [2]=>
  int(2)
}
mail.send default 0 5 {"to":"a@example.org"}
mail.send mail 3 5 {"to":"b@example.org"}
index.page default 0 1 []
not an array: TypeError: KBJobs\Engine::submitMany(): Argument #1 ($jobs) must be a list of arrays, element 1 is string
no type: ValueError: KBJobs\Engine::submitMany(): Argument #1 ($jobs) element 1 must have a string "type"
params not an array: TypeError: KBJobs\Engine::submitMany(): Argument #1 ($jobs) element 1: "params" must be an array
unknown option: ValueError: unknown submit option "colour"
bad type name (engine): ValueError: job 2: type "NO" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
int(3)
bool(true)
bool(true)
int(5)
