--TEST--
Engine::failedItems() pages an import's failed items by list index: the last record of an item wins, a torn last line is ignored, an unknown job throws NotFoundException
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$base = getenv('KBJOBS_FIXTURE_URL') ?: die("KBJOBS_FIXTURE_URL is not set\n");
$s = kbjobs_test_settings('failed');
$engine = kbjobs_test_engine('failed');
$engine->configureImport(['allow' => '127.0.0.1', 'retries' => 0, 'timeout_ms' => 5000]);

// A real import: two pages fail, one of them behind credentials.
$host = substr($base, 7);
$r = $engine->import(["$base/page/1", "$base/status/404", "http://user:secret@$host/status/410", "$base/page/2"],
                     ['posts' => false, 'chunk_size' => 2]);
$engine->run(['queues' => ['import'], 'until_empty' => true]);
echo $engine->get($r['id'])->status, "\n";
$page = $engine->failedItems($r['id']);
foreach ($page['items'] as $it) {
    echo $it['index'], ' ', str_replace($host, 'HOST', $it['url']), ' ', $it['class'], ' ',
         $it['error'], ' ', $it['http_status'], ' ', $it['tries'], ' ', is_float($it['at']) ? 'at' : 'no time', "\n";
}
var_dump($page['next_cursor']);

// The file as a crash leaves it: an item recorded twice, then a torn line.
$r = $engine->import(array_map(fn ($i) => "$base/page/$i", range(1, 10)), ['posts' => false]);
$file = $s['data_dir'] . "/lists/{$r['id']}.failed.jsonl";
$line = fn ($i, $e) => json_encode(['index' => $i, 'url' => "http://example.com/$i", 'class' => 'transient',
                                    'error' => $e, 'http_status' => 503, 'tries' => 3, 'at' => 1.5]) . "\n";
file_put_contents($file, $line(5, 'first') . $line(1, 'one') . $line(8, 'eight') . $line(5, 'replayed')
                         . $line(3, 'three') . '{"index":9,"url":"http://exa');
$ids = fn ($p) => implode(',', array_map(fn ($it) => $it['index'] . ':' . $it['error'], $p['items']))
                  . ' next ' . var_export($p['next_cursor'], true);
echo $ids($engine->failedItems($r['id'])), "\n";
// Pages of two, by index.
$cursor = 0;
do {
    $p = $engine->failedItems($r['id'], $cursor, 2);
    echo $ids($p), "\n";
    $cursor = $p['next_cursor'];
} while ($cursor !== null);
echo $ids($engine->failedItems($r['id'], 6)), "\n";
echo $ids($engine->failedItems($r['id'], 9)), "\n";

// Other jobs and bad arguments.
echo $ids($engine->failedItems($engine->submit('diag.echo'))), "\n";
foreach ([['0123456789abcdef'], [$r['id'], -1], [$r['id'], 0, 0], [$r['id'], 0, 1001], ['nope']] as $args) {
    try {
        $engine->failedItems(...$args);
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
completed
1 http://HOST/status/404 permanent HTTP 404 404 1 at
2 http://***@HOST/status/410 permanent HTTP 410 410 1 at
NULL
1:one,3:three,5:replayed,8:eight next NULL
1:one,3:three next 4
5:replayed,8:eight next NULL
8:eight next NULL
 next NULL
 next NULL
KBJobs\NotFoundException: no job 0123456789abcdef
ValueError: KBJobs\Engine::failedItems(): Argument #2 ($cursor) must be greater than or equal to 0
ValueError: limit must be between 1 and 1000
ValueError: limit must be between 1 and 1000
ValueError: "nope" is not a job id (16 hex characters)
