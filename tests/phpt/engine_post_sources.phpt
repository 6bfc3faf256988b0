--TEST--
Engine::postSources() says where imported posts came from (URL without credentials, fetch time, HTTP status, the imports that made and last wrote them, ranges resolved to their import); Engine::importPostIds() pages an import's posts by post id
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$base = getenv('KBJOBS_FIXTURE_URL') ?: die("KBJOBS_FIXTURE_URL is not set\n");
$host = parse_url($base, PHP_URL_HOST) . ':' . parse_url($base, PHP_URL_PORT);
$engine = kbjobs_test_engine('post_sources');
$engine->configureImport(['allow' => '127.0.0.1', 'retries' => 0, 'timeout_ms' => 5000]);

// posts 501.. for the documents, by list index
$sink = fn (array $docs) => array_map(fn ($d) => 501 + $d['index'], $docs);
$urls = ["http://user:s3cret@$host/page/901"];
for ($i = 902; $i <= 906; $i++) {
    $urls[] = "$base/page/$i";
}
$import = $engine->import($urls, ['ranges' => 2])['id'];
$before = microtime(true);
for ($i = 0; $i < 3 && $engine->get($import)->status !== 'completed'; $i++) {
    $engine->run(['queues' => ['import'], 'until_empty' => true, 'sink' => $sink]);
}
echo $engine->get($import)->status, "\n";

$sources = $engine->postSources([506, 501, 999, 503]);
var_dump(array_keys($sources));
$s = $sources[501];
echo str_replace($host, 'HOST', $s['url']), "\n";
var_dump($s['http_status'], is_float($s['fetched_at']), $s['fetched_at'] <= microtime(true) && $s['fetched_at'] > $before - 60,
         $s['import_id'] === $import, $s['created_import'] === $import, $s['job_id'] !== $import, strlen($s['job_id']));

// every post of the import, two a page
$all = [];
$after = 0;
do {
    $page = $engine->importPostIds($import, 'created', $after, 2);
    $all = array_merge($all, $page['post_ids']);
    $after = $page['next_cursor'];
} while ($after !== null);
echo implode(',', $all), "\n";
echo implode(',', $engine->importPostIds($import)['post_ids']), "\n";
// a range's own posts
echo count($engine->importPostIds($s['job_id'], 'written')['post_ids']), "\n";
var_dump($engine->importPostIds('0123456789abcdef'), $engine->postSources([]));

foreach ([
    fn () => $engine->postSources([0]),
    fn () => $engine->postSources(['12']),
    fn () => $engine->postSources(range(1, 1001)),
    fn () => $engine->importPostIds('nope'),
    fn () => $engine->importPostIds($import, 'made'),
    fn () => $engine->importPostIds($import, 'any', -1),
    fn () => $engine->importPostIds($import, 'any', 0, 1001),
] as $f) {
    try {
        $f();
        echo "no error\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
completed
array(3) {
  [0]=>
  int(501)
  [1]=>
  int(503)
  [2]=>
  int(506)
}
http://***@HOST/page/901
int(200)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
int(16)
501,502,503,504,505,506
501,502,503,504,505,506
3
array(2) {
  ["post_ids"]=>
  array(0) {
  }
  ["next_cursor"]=>
  NULL
}
array(0) {
}
ValueError: KBJobs\Engine::postSources(): Argument #1 ($postIds) must be a list of positive post ids (element 1 is not)
ValueError: KBJobs\Engine::postSources(): Argument #1 ($postIds) must be a list of positive post ids (element 1 is not)
ValueError: KBJobs\Engine::postSources(): Argument #1 ($postIds) must hold at most 1000 post ids
ValueError: "nope" is not a job id
ValueError: by must be "any", "created" or "written", got "made"
ValueError: KBJobs\Engine::importPostIds(): Argument #3 ($after) must be greater than or equal to 0
ValueError: KBJobs\Engine::importPostIds(): Argument #4 ($limit) must be between 1 and 1000
