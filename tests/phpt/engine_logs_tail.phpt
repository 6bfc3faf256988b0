--TEST--
Engine::log() appends JSON lines to a job's log; logs() reads them by cursor, tail() the last ones
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('logs_tail');
$id = $engine->submit('t.logged');

// A job without a log reads as empty.
var_dump($engine->logs($id));

$engine->log($id, 'info', 'first', ['step' => 1, 'path' => '/a/b']);
$engine->log($id, 'warning', 'second');
$engine->log($id, 'error', "third \u{2713}", ['nested' => ['x' => true]]);

$r = $engine->logs($id);
var_dump(count($r['lines']), $r['eof']);
foreach ($r['lines'] as $line) {
    var_dump(preg_match('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/', $line['ts']));
    echo $line['level'], ' ', $line['msg'], ' ', json_encode($line['ctx'] ?? null), "\n";
}
$end = $r['next_cursor'];
var_dump($end === filesize(kbjobs_test_settings('logs_tail')['data_dir'] . "/logs/$id.log"));

// Reading on from the cursor finds only what was appended since.
var_dump($engine->logs($id, $end)['lines']);
$engine->log($id, 'debug', 'fourth');
$more = $engine->logs($id, $end);
var_dump(count($more['lines']), $more['lines'][0]['msg'], $more['eof']);

// A byte budget returns whole lines only, with a cursor to continue from and eof false
// until the end. The engine reads at least one maximal line (64 KiB + 1), so a budget of
// 1 byte reads 64 KiB: the 100 lines of about 1 KiB here take two reads.
$big = $engine->submit('t.logged');
for ($i = 0; $i < 100; $i++) {
    $engine->log($big, 'info', sprintf('%03d', $i) . str_repeat('.', 1000));
}
$part = $engine->logs($big, 0, 1);
var_dump(count($part['lines']) > 10 && count($part['lines']) < 100, $part['eof']);
$next = $engine->logs($big, $part['next_cursor'], 1);
var_dump($next['eof']);
$msgs = array_map(fn($l) => substr($l['msg'], 0, 3), array_merge($part['lines'], $next['lines']));
var_dump($msgs === array_map(fn($i) => sprintf('%03d', $i), range(0, 99)));

// tail() gives the last n lines in order, and where a follower continues.
$t = $engine->tail($id, 2);
var_dump(array_column($t['lines'], 'msg'), $t['next_cursor'] === $more['next_cursor'], $t['eof']);
var_dump(count($engine->tail($id)['lines']));

foreach ([
    'bad level' => fn() => $engine->log($id, 'fatal', 'x'),
    'context as a list' => fn() => $engine->log($id, 'info', 'x', [1, 2]),
    'negative cursor' => fn() => $engine->logs($id, -1),
    'negative max bytes' => fn() => $engine->logs($id, 0, -1),
    'cursor past the end' => fn() => $engine->logs($id, 1 << 30),
    'cursor inside a line' => fn() => $engine->logs($id, 3),
    'tail of 0 lines' => fn() => $engine->tail($id, 0),
    'tail of 10001 lines' => fn() => $engine->tail($id, 10001),
    'malformed id' => fn() => $engine->logs('../../etc/passwd'),
] as $what => $call) {
    try {
        $call();
        echo "$what: no exception\n";
    } catch (Throwable $e) {
        echo "$what: ", get_class($e), ': ', preg_replace('/[0-9a-f]{16}/', 'ID', $e->getMessage()), "\n";
    }
}

// A data directory that cannot hold logs: FilesystemException with KBJ_EIO (-9).
$s = kbjobs_test_settings('logs_tail');
$file = $s['data_dir'] . '/not-a-dir';
touch($file);
$broken = new KBJobs\Engine($s['host'], $s['user'], $s['password'], $s['database'], $s['prefix'], $file);
try {
    $broken->log($id, 'info', 'lost');
} catch (KBJobs\FilesystemException $e) {
    echo get_class($e), ' ', $e->getCode(), "\n";
}
?>
--EXPECT--
array(3) {
  ["lines"]=>
  array(0) {
  }
  ["next_cursor"]=>
  int(0)
  ["eof"]=>
  bool(true)
}
int(3)
bool(true)
int(1)
info first {"step":1,"path":"\/a\/b"}
int(1)
warning second null
int(1)
error third ✓ {"nested":{"x":true}}
bool(true)
array(0) {
}
int(1)
string(6) "fourth"
bool(true)
bool(true)
bool(false)
bool(true)
bool(true)
array(2) {
  [0]=>
  string(9) "third ✓"
  [1]=>
  string(6) "fourth"
}
bool(true)
bool(true)
int(4)
bad level: ValueError: log level "fatal" is not one of debug, info, warning, error
context as a list: ValueError: context must be an associative array (a JSON object), not a list
negative cursor: ValueError: KBJobs\Engine::logs(): Argument #2 ($cursor) must be greater than or equal to 0
negative max bytes: ValueError: KBJobs\Engine::logs(): Argument #3 ($maxBytes) must be greater than or equal to 0
cursor past the end: ValueError: log cursor 1073741824 is past the end of the log (334 bytes)
cursor inside a line: ValueError: log cursor 3 is not at the start of a line
tail of 0 lines: ValueError: KBJobs\Engine::tail(): Argument #2 ($lines) must be between 1 and 10000
tail of 10001 lines: ValueError: KBJobs\Engine::tail(): Argument #2 ($lines) must be between 1 and 10000
malformed id: ValueError: "../../etc/passwd" is not a job id (16 hex characters)
KBJobs\FilesystemException -9
