--TEST--
Engine::import() takes a file, a stream or an array, reports rejected lines by number, and run() hands documents to the sink, which returns post ids or error messages
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$base = getenv('KBJOBS_FIXTURE_URL') ?: die("KBJOBS_FIXTURE_URL is not set\n");
$engine = kbjobs_test_engine('import');
$engine->configureImport(['allow' => '127.0.0.1', 'retries' => 0, 'timeout_ms' => 5000]);

// An array: element n is line n.
$r = $engine->import(["$base/page/1", 'file:///etc/passwd', "$base/page/1", "$base/page/2", '# note'],
                     ['chunk_size' => 2, 'sink' => 'test']);
var_dump(strlen($r['id']), $r['lines'], $r['accepted'], $r['duplicates'], $r['rejected']);
echo json_encode($r['rejections']), "\n";
$job = $engine->get($r['id']);
echo $job->type, ' ', $job->queue, ' ', $job->status, ' ', $job->params['total'], ' ', $job->params['sink'], "\n";

// A stream (copied when it has no descriptor) and a file path.
$mem = fopen('php://memory', 'w+');
fwrite($mem, "$base/page/3\n\n$base/status/404\nhttp://user:secret@" . substr($base, 7) . "/page/4\n");
rewind($mem);
$r2 = $engine->import($mem, ['chunk_size' => 10]);
var_dump($r2['accepted']);
$file = tempnam(sys_get_temp_dir(), 'kbjobs');
file_put_contents($file, "$base/page/5\r\n$base/page/6\n");
$r3 = $engine->import($file, ['posts' => false]);
unlink($file);
var_dump($r3['accepted']);

// The sink: documents in, post ids (or messages) out.
$seen = [];
$next = 100;
$sink = function (array $docs, KBJobs\Context $ctx) use (&$seen, &$next) {
    $out = [];
    foreach ($docs as $d) {
        $seen[] = $d;
        $out[] = str_ends_with($d['url'], '/page/2') ? 'refused by the test sink' : $next++;
    }
    return $out;
};
$report = $engine->run(['queues' => ['import'], 'until_empty' => true, 'sink' => $sink]);
var_dump($report['completed']);
$keys = array_keys($seen[0]);
sort($keys);
echo implode(',', $keys), "\n";
foreach ($seen as $d) {
    echo preg_replace('#^http://(\*\*\*@)?127\.0\.0\.1:\d+#', '', $d['url']), ' ', $d['http_status'], ' ', $d['post_id'], ' ',
         strlen($d['content_hash']), ' ', $d['title'] !== '' ? 'titled' : 'untitled', "\n";
}
foreach ([$r['id'], $r2['id'], $r3['id']] as $id) {
    $j = $engine->get($id);
    echo $j->status, ' ', json_encode($j->metrics), "\n";
}
$a = $engine->artifact("$base/page/1");
var_dump($a['post_id'], $a['http_status'], str_starts_with($a['path'], 'artifacts/'));
var_dump($engine->artifact("$base/page/99"));
var_dump(str_contains(json_encode($seen), 'secret'));

// A sink that throws fails the attempt: nothing advances, the import is retried.
$r4 = $engine->import(["$base/page/7"]);
$engine->run(['queues' => ['import'], 'until_empty' => true,
              'sink' => function () { throw new RuntimeException('database gone'); }]);
$j = $engine->get($r4['id']);
echo $j->status, ' ', $j->progressDone, ' ', $j->error, "\n";

// A sink that returns the wrong number of ids.
$r5 = $engine->import(["$base/page/8"]);
$engine->run(['queues' => ['import'], 'until_empty' => true, 'sink' => fn () => []]);
echo $engine->get($r5['id'])->error, "\n";

// Bad input.
foreach ([fn () => $engine->import(42), fn () => $engine->import([1]), fn () => $engine->import(["a\nb"]),
          fn () => $engine->import(['not a url', 'ftp://x/']), fn () => $engine->import('/no/such/list'),
          fn () => $engine->configureImport(['allow' => '300.1.1.1']),
          fn () => $engine->configureImport(['no_such' => 1]),
          fn () => $engine->run(['sink' => 'no_such_function'])] as $f) {
    try {
        $f();
        echo "no error\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECTF--
int(16)
int(5)
int(2)
int(1)
int(1)
[{"line":2,"reason":"scheme must be http or https","excerpt":"file:\/\/\/etc\/passwd"}]
import import queued 2 test
int(3)
int(2)
int(3)
artifact,canonical,charset,content_hash,description,fetched_at,final_url,html,http_status,index,language,post_id,text,title,url,url_hash
/page/1 200 0 64 titled
/page/2 200 0 64 titled
/page/3 200 0 64 titled
/page/4 200 0 64 titled
completed {"fetched":2,"created":1,"updated":0,"unchanged":0,"failed":1,"bytes":%d}
completed {"fetched":2,"created":2,"updated":0,"unchanged":0,"failed":1,"bytes":%d}
completed {"fetched":2,"created":2,"updated":0,"unchanged":0,"failed":0,"bytes":%d}
int(100)
int(200)
bool(true)
NULL
bool(false)
queued 0 RuntimeException: database gone
the import sink must return a list with one post id (or error message) per document
TypeError: KBJobs\Engine::import(): Argument #1 ($list) must be a file path, a stream or a list of URLs, int given
TypeError: KBJobs\Engine::import(): Argument #1 ($list) must be a list of strings (element 1 is int)
ValueError: KBJobs\Engine::import(): Argument #1 ($list) element 1 contains a line break or a null byte
ValueError: the list has no valid URL: line 1: not a URL; line 2: scheme must be http or https
KBJobs\FilesystemException: cannot open the URL list /no/such/list: No such file or directory
ValueError: %s
ValueError: unknown import setting "no_such"
TypeError: option "sink" must be a callable
