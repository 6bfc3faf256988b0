--TEST--
Engine::list(), count() and statusCounts() with search (a job id exactly, else a type or unique-key prefix, '%' and '_' taken literally) and unique_key_prefix; the counts agree with the list
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('search');

$job = fn ($type, $key = null) => $engine->submit($type, [], $key === null ? [] : ['unique_key' => $key]);
$a = $job('content.import', 'site:example.com/1');
$b = $job('content.index');
$c = $job('maint.vacuum', 'content-weekly');
$d = $job('diag.echo', '50%_off');
$e = $job('diag.echo', '50xyoff');
$engine->cancel($b);
$engine->cancel($e);

$names = [$a => 'a', $b => 'b', $c => 'c', $d => 'd', $e => 'e'];
$show = function (array $filter) use ($engine, $names, $c) {
    $ids = array_map(fn ($j) => $names[$j->id], $engine->list($filter)['jobs']);
    sort($ids);
    $counts = $engine->statusCounts($filter);
    printf("%-40s %-10s count %d  queued %d cancelled %d\n", strtr(json_encode($filter), [$c => "CID"]), implode(',', $ids),
           $engine->count($filter), $counts['queued'], $counts['cancelled']);
};
$show(['search' => $c]);
$show(['search' => 'content']);
$show(['search' => 'content', 'status' => 'queued']);
$show(['search' => 'SITE:EXAMPLE']);
$show(['search' => '50%_']);
$show(['search' => '50%']);
$show(['search' => '%']);
$show(['search' => '_']);
$show(['search' => 'import']);
$show(['search' => '']);
$show(['unique_key_prefix' => '50']);
$show(['unique_key_prefix' => 'content']);
$show(['unique_key_prefix' => 'content', 'type' => 'content.import']);

// Every status key is there, in order, also for a filter matching nothing.
var_dump($engine->statusCounts(['type' => 'nothing.here']));
// The count ignores limit and cursor; the counts by status ignore the status.
var_dump($engine->count(['limit' => 1, 'cursor' => '1']), $engine->statusCounts(['status' => 'failed'])['queued']);
// The counts add up to count() and to the pages of list().
$total = array_sum($engine->statusCounts());
$listed = 0;
$cursor = null;
do {
    $page = $engine->list(['limit' => 2] + ($cursor === null ? [] : ['cursor' => $cursor]));
    $listed += count($page['jobs']);
    $cursor = $page['next_cursor'];
} while ($cursor !== null);
var_dump($total, $engine->count(), $listed);

foreach ([
    ['status' => 'sleeping'],
    ['search' => str_repeat('x', 192)],
    ['unique_key_prefix' => "\xff"],
    ['search' => 5],
    ['colour' => 'red'],
] as $filter) {
    try {
        $engine->count($filter);
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
{"search":"CID"}                         c          count 1  queued 1 cancelled 0
{"search":"content"}                     a,b,c      count 3  queued 2 cancelled 1
{"search":"content","status":"queued"}   a,c        count 2  queued 2 cancelled 1
{"search":"SITE:EXAMPLE"}                a          count 1  queued 1 cancelled 0
{"search":"50%_"}                        d          count 1  queued 1 cancelled 0
{"search":"50%"}                         d          count 1  queued 1 cancelled 0
{"search":"%"}                                      count 0  queued 0 cancelled 0
{"search":"_"}                                      count 0  queued 0 cancelled 0
{"search":"import"}                                 count 0  queued 0 cancelled 0
{"search":""}                            a,b,c,d,e  count 5  queued 3 cancelled 2
{"unique_key_prefix":"50"}               d,e        count 2  queued 1 cancelled 1
{"unique_key_prefix":"content"}          c          count 1  queued 1 cancelled 0
{"unique_key_prefix":"content","type":"content.import"}            count 0  queued 0 cancelled 0
array(7) {
  ["queued"]=>
  int(0)
  ["running"]=>
  int(0)
  ["completed"]=>
  int(0)
  ["failed"]=>
  int(0)
  ["cancelled"]=>
  int(0)
  ["interrupted"]=>
  int(0)
  ["held"]=>
  int(0)
}
int(5)
int(3)
int(5)
int(5)
int(5)
ValueError: unknown status "sleeping"
ValueError: search must be at most 191 bytes of UTF-8
ValueError: unique_key_prefix must be at most 191 bytes of UTF-8
TypeError: option "search" must be a string
ValueError: unknown filter "colour"
