--TEST--
Engine::run() calls a PHP handler with a Context: params, progress, title, log and metrics reach the job, the return value is its result
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('php_handler');

$seen = [];
$engine->registerType('t.work', function (KBJobs\Context $ctx) use ($engine, &$seen) {
    $p = $ctx->params();
    $job = $engine->get($ctx->id());
    $seen[] = [$ctx->type(), $ctx->attempt(), $job->status, $job->runner !== null];
    switch ($p['kind']) {
        case 'full':
            $ctx->title("Importing {$p['n']} items");
            $ctx->progress(3, $p['n'], 'fetch');
            $ctx->progress(7, $p['n'], 'store');
            $ctx->log('info', 'stored', ['items' => 7]);
            $ctx->log('debug', 'no context');
            $ctx->metrics(['bytes' => 100]);
            $ctx->metrics(['bytes' => 50, 'cost' => 0.5]);
            try {
                $ctx->progress(-1);
            } catch (ValueError $e) {
                $ctx->log('warning', $e->getMessage());
            }
            return ['imported' => 7, 'ids' => [1, 2], 'ratio' => 1.0];
        case 'string':
            return 'plain text';
        case 'none':
            return null;
        case 'unencodable':
            return ['x' => NAN];
    }
});
$ids = [];
foreach (['full', 'string', 'none', 'unencodable'] as $kind) {
    $ids[$kind] = $engine->submit('t.work', ['kind' => $kind, 'n' => 10]);
}

$report = $engine->run(['until_empty' => true]);
var_dump(preg_match('/^[0-9a-f]{16}$/', $report['runner']), $report['claimed'], $report['completed'], $report['failed'],
         $report['retried'], $report['stop_reason'], is_float($report['elapsed']));
var_dump($seen[0]);

$full = $engine->get($ids['full']);
var_dump($full->status, $full->result, $full->title, $full->phase, $full->progressDone, $full->progressTotal,
         $full->metrics, $full->attempts, $full->runner, $full->error);
var_dump($full->startedAt <= $full->progressAt && $full->progressAt <= $full->finishedAt);
foreach ($engine->logs($ids['full'])['lines'] as $line) {
    echo $line['level'], ': ', $line['msg'], ' ', json_encode($line['ctx'] ?? null), "\n";
}

var_dump($engine->get($ids['string'])->result, $engine->get($ids['string'])->status);
var_dump($engine->get($ids['none'])->result, $engine->get($ids['none'])->status);

// A result JSON cannot hold fails the job at once (it would fail the same way again).
$bad = $engine->get($ids['unencodable']);
var_dump($bad->status, $bad->error, $bad->attempts);
// The handlers hold the engine that holds them: free that cycle now, not at shutdown
// (under valgrind, USE_ZEND_ALLOC=0, PHP does not collect cycles left at shutdown).
unset($engine);
gc_collect_cycles();
?>
--EXPECT--
int(1)
int(4)
int(3)
int(1)
int(0)
string(5) "empty"
bool(true)
array(4) {
  [0]=>
  string(6) "t.work"
  [1]=>
  int(1)
  [2]=>
  string(7) "running"
  [3]=>
  bool(true)
}
string(9) "completed"
array(3) {
  ["imported"]=>
  int(7)
  ["ids"]=>
  array(2) {
    [0]=>
    int(1)
    [1]=>
    int(2)
  }
  ["ratio"]=>
  float(1)
}
string(18) "Importing 10 items"
string(5) "store"
int(10)
int(10)
array(2) {
  ["bytes"]=>
  int(150)
  ["cost"]=>
  float(0.5)
}
int(1)
NULL
NULL
bool(true)
info: stored {"items":7}
debug: no context null
warning: KBJobs\Context::progress(): Argument #1 ($done) must be greater than or equal to 0 null
string(10) "plain text"
string(9) "completed"
NULL
string(9) "completed"
string(6) "failed"
string(76) "ValueError: the handler's return value cannot be encoded as JSON: INF or NAN"
int(1)
