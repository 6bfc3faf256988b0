--TEST--
Engine::why() says why a queued job is not running (each code), null for a job that is not queued
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$e = kbjobs_test_engine('why');

function show(?array $w): void
{
    if ($w === null) {
        echo "null\n";
        return;
    }
    printf("%s | %s | until=%s holder=%s resource=%s attempt=%d running=%d limit=%s\n", $w['code'],
           $w['message'], $w['until'] === null ? 'null' : gmdate('Y-m-d\TH:i:s\Z', (int)ceil($w['until'])),
           $w['holder'] ?? 'null', $w['resource'] ?? 'null', $w['attempt'], $w['running'],
           $w['limit'] ?? 'null');
}

// ready, then paused
$ready = $e->submit('why.t', [], ['queue' => 'w']);
$w = $e->why($ready);
var_dump(array_keys($w));
show($w);
$e->pauseQueue('w');
show($e->why($ready));
$e->resumeQueue('w');

// scheduled for a fixed time (2030-01-01T00:00:00Z)
show($e->why($e->submit('why.t', [], ['queue' => 'w', 'run_at' => 1893456000])));

// retrying after a failed attempt
$e->registerType('why.fail', function () {
    throw new RuntimeException('upstream said 503');
});
$retry = $e->submit('why.fail', [], ['queue' => 'retry', 'max_attempts' => 3]);
$e->run(['queues' => ['retry'], 'max_jobs' => 1]);
$w = $e->why($retry);
var_dump($w['code'], $w['attempt'], $w['until'] > microtime(true) + 10,
         $w['message'] === 'retrying at ' . gmdate('Y-m-d\TH:i:s\Z', (int)ceil($w['until'])) . ' after attempt 1 failed');

// a held concurrency key, a held resource and a queue at its limit, seen from inside a
// running job's handler
$e->setQueue('busy', 1);
$holder = $e->submit('why.hold', [], ['queue' => 'busy', 'concurrency_key' => "site:\u{e9}'\"",
                                      'resources' => ['vectors:768']]);
$keyed = $e->submit('why.t', [], ['queue' => 'other', 'concurrency_key' => "site:\u{e9}'\""]);
$res = $e->submit('why.t', [], ['queue' => 'other', 'resources' => ['vectors:768']]);
$limited = $e->submit('why.t', [], ['queue' => 'busy']);
$seen = [];
$e->registerType('why.hold', function (KBJobs\Context $ctx) use ($e, $keyed, $res, $limited, &$seen) {
    $seen = [$ctx->id(), $e->why($ctx->id()), $e->why($keyed), $e->why($res), $e->why($limited)];
});
$e->run(['queues' => ['busy'], 'max_jobs' => 1]);
[$ran, $self, $k, $r, $l] = $seen;
var_dump($ran === $holder, $self, $k['holder'] === $holder, $r['holder'] === $holder);
show(['holder' => 'HOLDER', 'message' => str_replace($holder, 'HOLDER', $k['message'])] + $k);
show(['holder' => 'HOLDER', 'message' => str_replace($holder, 'HOLDER', $r['message'])] + $r);
show($l);
// the holder has completed: the others are free
show($e->why($keyed));
var_dump($e->why($holder));

// rate limited: one start an hour, taken by the first job
$e->setQueue('slow', 0, 1, 3_600_000);
$e->registerType('why.t', fn() => null);
$e->submit('why.t', [], ['queue' => 'slow']);
$second = $e->submit('why.t', [], ['queue' => 'slow']);
$e->run(['queues' => ['slow'], 'max_jobs' => 1]);
$w = $e->why($second);
var_dump($w['code'], $w['until'] > microtime(true) + 3500,
         $w['message'] === 'queue slow is rate limited until ' . gmdate('Y-m-d\TH:i:s\Z', (int)ceil($w['until'])));

try {
    $e->why('0123456789abcdef');
} catch (KBJobs\NotFoundException $x) {
    echo get_class($x), ': ', $x->getMessage(), "\n";
}
try {
    $e->why('nope');
} catch (ValueError $x) {
    echo get_class($x), ': ', $x->getMessage(), "\n";
}
// The handlers hold the engine that holds them: no cycle left for shutdown.
$e->registerType('why.hold', static fn() => null);
$e->registerType('why.fail', static fn() => null);
?>
--EXPECT--
array(9) {
  [0]=>
  string(4) "code"
  [1]=>
  string(7) "message"
  [2]=>
  string(5) "until"
  [3]=>
  string(5) "queue"
  [4]=>
  string(6) "holder"
  [5]=>
  string(8) "resource"
  [6]=>
  string(7) "attempt"
  [7]=>
  string(7) "running"
  [8]=>
  string(5) "limit"
}
ready | due and free to start: waiting for a runner that takes queue w | until=null holder=null resource=null attempt=0 running=0 limit=null
paused | queue w is paused | until=null holder=null resource=null attempt=0 running=0 limit=null
scheduled | scheduled for 2030-01-01T00:00:00Z | until=2030-01-01T00:00:00Z holder=null resource=null attempt=0 running=0 limit=null
string(8) "retrying"
int(1)
bool(true)
bool(true)
bool(true)
NULL
bool(true)
bool(true)
concurrency_key | its concurrency key "site:é'"" is held by running job HOLDER | until=null holder=HOLDER resource=null attempt=0 running=0 limit=null
resource | waiting for resource vectors:768, held by running job HOLDER | until=null holder=HOLDER resource=vectors:768 attempt=0 running=0 limit=null
concurrency | queue busy is at its concurrency limit 1/1 | until=null holder=null resource=null attempt=0 running=1 limit=1
ready | due and free to start: waiting for a runner that takes queue other | until=null holder=null resource=null attempt=0 running=0 limit=null
NULL
string(12) "rate_limited"
bool(true)
bool(true)
KBJobs\NotFoundException: no job 0123456789abcdef
ValueError: "nope" is not a job id (16 hex characters)
