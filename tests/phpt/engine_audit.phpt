--TEST--
Engine::audit(), auditLog() and auditRetention(): record, filter, page, keep hostile text intact, refuse bad input naming the key
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$e = kbjobs_test_engine('audit');

$t0 = microtime(true);
$first = $e->audit(['user_id' => 1, 'user_login' => 'alice', 'source' => 'screen', 'action' => 'job.cancel',
                    'target' => 'job:0123456789abcdef', 'outcome' => 'ok', 'detail' => ['was_running' => true]]);
$second = $e->audit(['source' => 'cron', 'action' => 'audit.retention', 'outcome' => 'partial']);
var_dump(is_int($first), $second > $first);

$log = $e->auditLog();
var_dump(array_keys($log), $log['next_cursor'], count($log['entries']));
[$newest, $oldest] = $log['entries'];
var_dump($newest['id'] === $second, $newest['user_id'], $newest['user_login'], $newest['target'], $newest['detail']);
var_dump($oldest['at'] >= $t0 - 5 && $oldest['at'] <= microtime(true) + 5);
unset($oldest['at']);
var_dump($oldest);

// Hostile text comes back as it went in; ill-formed UTF-8 as U+FFFD.
$target = "<script>alert('x')</script>\"\\%_\r\n\u{202e}\u{1f4a5}";
$login = "o'brien\"; DROP TABLE wp_users;--";
$detail = ['html' => '<b onmouseover="x">', 'nul' => "a\0b", 'nested' => ['list' => [1, 2.5, null, "\u{1f4a5}"]],
           'empty' => []];
$id = $e->audit(['user_id' => 2, 'user_login' => $login, 'source' => 'rest', 'action' => 'queue.pause',
                 'target' => $target, 'outcome' => 'denied', 'detail' => $detail]);
$got = $e->auditLog(['target' => $target])['entries'];
var_dump(count($got), $got[0]['id'] === $id, $got[0]['target'] === $target, $got[0]['user_login'] === $login,
         $got[0]['detail'] === $detail);
$e->audit(['source' => 'api', 'action' => 'x', 'outcome' => 'error', 'target' => "bad\xff"]);
var_dump(bin2hex($e->auditLog(['source' => 'api'])['entries'][0]['target']));
var_dump(count($e->auditLog(['target' => "bad\xff"])['entries']), count($e->auditLog(['target' => '%'])['entries']));

// Each filter key.
foreach ([['user_id' => 1], ['user_login' => 'alice'], ['action' => 'queue.pause'], ['target' => 'job:0123456789abcdef'],
          ['source' => 'cron'], ['outcome' => 'error'], ['after' => $t0 - 60], ['before' => $t0 - 60],
          ['after' => time() + 3600], ['before' => 4102444800], ['user_id' => 2, 'outcome' => 'denied'],
          ['user_id' => 2, 'outcome' => 'ok']] as $filter) {
    $entries = $e->auditLog($filter)['entries'];
    echo json_encode($filter), ' => ', implode(',', array_map(fn($x) => $x['action'], $entries)), "\n";
}

// Paging: 7 more entries, 3 to a page, newest first and none twice.
for ($i = 0; $i < 7; $i++) {
    $e->audit(['source' => 'cli', 'action' => 'page.test', 'outcome' => 'ok', 'target' => "n$i"]);
}
$cursor = null;
$pages = [];
do {
    $page = $e->auditLog(['action' => 'page.test', 'limit' => 3, 'cursor' => $cursor]);
    $pages[] = implode(',', array_column($page['entries'], 'target'));
    $cursor = $page['next_cursor'];
} while ($cursor !== null);
var_dump($pages);
var_dump(count($e->auditLog()['entries']), count($e->auditLog(['limit' => 2])['entries']));

// Retention: nothing here is old enough.
var_dump($e->auditRetention(), $e->auditRetention(1));

// Bad input throws ValueError naming the key.
$ok = ['source' => 'cli', 'action' => 'job.rerun', 'outcome' => 'ok'];
foreach ([
    ['color' => 'red'] + $ok,
    [0 => 'x'] + $ok,
    array_diff_key($ok, ['source' => 1]),
    ['source' => 'web'] + $ok,
    ['action' => 'Job Cancel'] + $ok,
    ['action' => str_repeat('a', 65)] + $ok,
    ['outcome' => 'failed'] + $ok,
    ['user_id' => -1] + $ok,
    ['user_id' => '7'] + $ok,
    ['user_login' => str_repeat('l', 61)] + $ok,
    ['target' => str_repeat('t', 192)] + $ok,
    ['target' => "a\0b"] + $ok,
    ['target' => 5] + $ok,
    ['detail' => 'text'] + $ok,
    ['detail' => [1, 2]] + $ok,
    ['detail' => ['big' => str_repeat('x', 65536)]] + $ok,
    ['detail' => ['bad' => "\xff"]] + $ok,
] as $bad) {
    try {
        $e->audit($bad);
        echo "recorded!\n";
    } catch (ValueError $x) {
        echo get_class($x), ': ', $x->getMessage(), "\n";
    }
}
foreach ([['colour' => 'x'], ['limit' => 0], ['limit' => 1001], ['source' => 'web'], ['outcome' => 'x'],
          ['cursor' => 'abc'], ['after' => -1], ['before' => 'yesterday'], ['user_id' => 1.5],
          ['target' => str_repeat('t', 192)]] as $bad) {
    try {
        $e->auditLog($bad);
        echo "listed!\n";
    } catch (ValueError $x) {
        echo get_class($x), ': ', $x->getMessage(), "\n";
    }
}
foreach ([0, 36501] as $days) {
    try {
        $e->auditRetention($days);
    } catch (ValueError $x) {
        echo get_class($x), ': ', $x->getMessage(), "\n";
    }
}
// nothing bad was recorded
var_dump(count($e->auditLog(['action' => 'job.rerun'])['entries']));
?>
--EXPECTF--
bool(true)
bool(true)
array(2) {
  [0]=>
  string(7) "entries"
  [1]=>
  string(11) "next_cursor"
}
NULL
int(2)
bool(true)
int(0)
string(0) ""
string(0) ""
NULL
bool(true)
array(8) {
  ["id"]=>
  int(1)
  ["user_id"]=>
  int(1)
  ["user_login"]=>
  string(5) "alice"
  ["source"]=>
  string(6) "screen"
  ["action"]=>
  string(10) "job.cancel"
  ["target"]=>
  string(20) "job:0123456789abcdef"
  ["outcome"]=>
  string(2) "ok"
  ["detail"]=>
  array(1) {
    ["was_running"]=>
    bool(true)
  }
}
int(1)
bool(true)
bool(true)
bool(true)
bool(true)
string(12) "626164efbfbd"
int(1)
int(0)
{"user_id":1} => job.cancel
{"user_login":"alice"} => job.cancel
{"action":"queue.pause"} => queue.pause
{"target":"job:0123456789abcdef"} => job.cancel
{"source":"cron"} => audit.retention
{"outcome":"error"} => x
{"after":%f} => x,queue.pause,audit.retention,job.cancel
{"before":%f} => 
{"after":%d} => 
{"before":4102444800} => x,queue.pause,audit.retention,job.cancel
{"user_id":2,"outcome":"denied"} => queue.pause
{"user_id":2,"outcome":"ok"} => 
array(3) {
  [0]=>
  string(8) "n6,n5,n4"
  [1]=>
  string(8) "n3,n2,n1"
  [2]=>
  string(2) "n0"
}
int(11)
int(2)
int(0)
int(0)
ValueError: unknown audit entry key "color"
ValueError: audit entry keys must be strings
ValueError: audit source "" must be one of screen, rest, cli, cron or api
ValueError: audit source "web" must be one of screen, rest, cli, cron or api
ValueError: audit action "Job Cancel" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
ValueError: audit action "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
ValueError: audit outcome "failed" must be one of ok, error, denied or partial
ValueError: audit entry "user_id" must be an integer from 0 to 9223372036854775807
ValueError: audit entry "user_id" must be an integer from 0 to 9223372036854775807
ValueError: audit user_login is 61 bytes; at most 60 are allowed
ValueError: audit target is 192 bytes; at most 191 are allowed
ValueError: audit entry "target" must not contain any null bytes
ValueError: audit entry "target" must be a string, int given
ValueError: audit entry "detail" must be an array or null, string given
ValueError: audit entry "detail" must be an associative array (a JSON object), not a list
ValueError: audit detail is 65546 bytes; at most 65535 are allowed
ValueError: audit entry "detail" cannot be encoded as JSON: malformed UTF-8 characters
ValueError: unknown audit filter key "colour"
ValueError: audit filter "limit" must be an integer from 1 to 1000
ValueError: audit filter "limit" must be an integer from 1 to 1000
ValueError: audit filter source "web" must be one of screen, rest, cli, cron or api
ValueError: audit filter outcome "x" must be one of ok, error, denied or partial
ValueError: malformed audit cursor "abc"
ValueError: audit filter "after" must be a Unix time (a number of 0 or more)
ValueError: audit filter "before" must be a Unix time (a number of 0 or more)
ValueError: audit filter "user_id" must be an integer from 0 to 9223372036854775807
ValueError: audit filter target is 192 bytes; at most 191 are allowed
ValueError: KBJobs\Engine::auditRetention(): Argument #1 ($days) must be between 1 and 36500
ValueError: KBJobs\Engine::auditRetention(): Argument #1 ($days) must be between 1 and 36500
int(0)
