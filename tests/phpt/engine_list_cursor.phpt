--TEST--
Engine::list() pages newest first with a stable cursor, filters by type, queue and status, and refuses bad filters
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('list_cursor');

$ids = [];
for ($i = 0; $i < 7; $i++) {
    $ids[] = $engine->submit($i % 2 ? 'odd.job' : 'even.job', ['i' => $i], ['queue' => $i < 5 ? 'default' : 'late']);
}

// Pages of three: 3 + 3 + 1, newest first; the last page has no cursor.
$seen = [];
$cursor = null;
do {
    $page = $engine->list(['limit' => 3] + ($cursor === null ? [] : ['cursor' => $cursor]));
    $cursor = $page['next_cursor'];
    echo count($page['jobs']), ' ', $cursor === null ? 'last' : (is_string($cursor) ? 'more' : 'bad'), "\n";
    foreach ($page['jobs'] as $job) {
        $seen[] = $job->id;
    }
} while ($cursor !== null);
var_dump($seen === array_reverse($ids));

// A job submitted after the first page was read does not shift the later pages.
$first = $engine->list(['limit' => 4]);
$engine->submit('even.job');
$rest = $engine->list(['limit' => 4, 'cursor' => $first['next_cursor']]);
var_dump(array_map(fn($j) => $j->params['i'], $rest['jobs']), $rest['next_cursor']);

// Filters.
var_dump(count($engine->list(['type' => 'odd.job'])['jobs']));
var_dump(array_map(fn($j) => $j->params['i'], $engine->list(['queue' => 'late'])['jobs']));
var_dump(count($engine->list(['status' => 'queued'])['jobs']), count($engine->list(['status' => 'completed'])['jobs']));
var_dump(count($engine->list(['type' => 'odd.job', 'queue' => 'late'])['jobs']));
var_dump(count($engine->list(['created_after' => time() + 3600])['jobs']));

foreach ([
    ['cursor' => 'abc'],
    ['cursor' => '-5'],
    ['status' => 'sleeping'],
    ['limit' => 1001],
    ['colour' => 'red'],
    ['type' => 42],
] as $filter) {
    try {
        $engine->list($filter);
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
3 more
3 more
1 last
bool(true)
array(3) {
  [0]=>
  int(2)
  [1]=>
  int(1)
  [2]=>
  int(0)
}
NULL
int(3)
array(2) {
  [0]=>
  int(6)
  [1]=>
  int(5)
}
int(8)
int(0)
int(1)
int(0)
ValueError: malformed cursor "abc"
ValueError: malformed cursor "-5"
ValueError: unknown status "sleeping"
ValueError: option "limit" must be between 0 and 1000
ValueError: unknown filter "colour"
TypeError: option "type" must be a string
