--TEST--
Engine::checkList() reports a list's counts and rejected lines exactly as import() does, says why import() would refuse a list, and stores and submits nothing; import() of a unique key already held returns that import with existed
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('check_list');
$dir = kbjobs_test_settings('check_list')['data_dir'];
$lines = ['http://a.example/1', '# comment', '', 'file:///etc/passwd', 'http://a.example/2', 'http://A.example/1',
          'javascript:alert(1)', '<img src=x onerror=alert(1)>'];

$check = $engine->checkList($lines);
var_dump($check['valid'], $check['error'], $check['lines'], $check['accepted'], $check['duplicates'],
         $check['rejected'], $check['rejections_truncated']);
foreach ($check['rejections'] as $r) {
    echo $r['line'], ': ', $r['reason'], ': ', $r['excerpt'], "\n";
}
// nothing stored, nothing submitted
var_dump(is_dir("$dir/lists") ? count(scandir("$dir/lists")) - 2 : 0, $engine->count());

// the same list imported: the same report
$import = $engine->import($lines, ['posts' => false]);
foreach (['lines', 'accepted', 'duplicates', 'rejected', 'rejections', 'rejections_truncated'] as $k) {
    if ($import[$k] !== $check[$k]) {
        echo "import differs on $k\n";
    }
}
var_dump($import['existed']);

// a file and a stream are read the same way
$file = tempnam(sys_get_temp_dir(), 'kbjobs-list');
file_put_contents($file, implode("\n", $lines));
var_dump($engine->checkList($file)['rejected'], $engine->checkList(fopen($file, 'r'))['accepted']);
unlink($file);

// lists import() refuses: the reason, not an exception
$wide = tempnam(sys_get_temp_dir(), 'kbjobs-list');
file_put_contents($wide, "\xFF\xFEh\0t\0t\0p\0:\0/\0/\0");
register_shutdown_function('unlink', $wide);
foreach ([['file:///etc/passwd', 'not a url'], [], $wide] as $bad) {
    $r = $engine->checkList($bad);
    var_dump($r['valid']);
    echo $r['error'], "\n";
    try {
        $engine->import($bad);
    } catch (ValueError $e) {
        echo $e->getMessage() === $r['error'] ? "import() says the same\n" : 'import() says ' . $e->getMessage() . "\n";
    }
}
try {
    $engine->checkList(42);
} catch (TypeError $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
try {
    $engine->checkList('/nonexistent/list.txt');
} catch (KBJobs\FilesystemException $e) {
    echo get_class($e), "\n";
}

// a unique key held by an import: that import, nothing new
$first = $engine->import(['http://u.example/1', 'http://u.example/2'], ['posts' => false, 'ranges' => 2], ['unique_key' => 'weekly']);
$again = $engine->import(['http://u.example/3'], ['posts' => false, 'ranges' => 2], ['unique_key' => 'weekly']);
var_dump($first['existed'], $again['existed'], $again['id'] === $first['id'], $again['accepted'], $engine->count(['type' => 'import']));
?>
--EXPECT--
bool(true)
NULL
int(8)
int(2)
int(1)
int(3)
bool(false)
4: scheme must be http or https: file:///etc/passwd
7: scheme must be http or https: javascript:alert(1)
8: not a URL: <img src=x onerror=alert(1)>
int(0)
int(0)
bool(false)
int(3)
int(2)
bool(false)
the list has no valid URL: line 1: scheme must be http or https; line 2: not a URL
import() says the same
bool(false)
the list has no valid URL: it is empty
import() says the same
bool(false)
the list is UTF-16 (little-endian); save it as UTF-8 (for example `iconv -f UTF-16 -t UTF-8 list.txt > list-utf8.txt`)
import() says the same
TypeError: KBJobs\Engine::checkList(): Argument #1 ($list) must be a file path, a stream or a list of URLs, int given
KBJobs\FilesystemException
bool(false)
bool(true)
bool(true)
int(1)
int(4)
