--TEST--
Queue limits, pause and stats; resources busy and idle
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$e = kbjobs_test_engine('queues');
$e->setQueue('cloud', 2, 10, 1000);
$e->pauseQueue('cloud');
$q = $e->queue('cloud');
var_dump($q['concurrency'], $q['rate'], $q['period_ms'], $q['paused'], $q['blocked']);
$e->resumeQueue('cloud');
var_dump($e->queue('cloud')['blocked']);
try { $e->setQueue('cloud', -1); } catch (ValueError $x) { echo $x->getMessage(), "\n"; }
try { $e->setQueue('cloud', 1, 5); } catch (ValueError $x) { echo $x->getMessage(), "\n"; }
try { $e->setQueue('Bad Name'); } catch (ValueError $x) { echo $x->getMessage(), "\n"; }

$a = $e->submit('kb.embed', [], ['queue' => 'cloud', 'resources' => [['name' => 'vectors:768', 'op' => 'index']]]);
$b = $e->submit('kb.embed', [], ['queue' => 'cloud', 'resources' => ['vectors:768']]);
var_dump($e->get($a)->resources);
$e->registerType('kb.embed', function (KBJobs\Context $ctx) use ($e, $a) {
    if ($ctx->id() === $a) {
        $r = $e->resources()[0];
        echo "while running: ", $r['name'], ' ', $r['state'], ' ', $r['op'], ' waiting=', $r['waiting'], "\n";
    }
    return null;
});
$report = $e->run(['queues' => 'cloud', 'until_empty' => true]);
var_dump($report['completed']);
var_dump($e->resources());
var_dump(array_column($e->queues(), 'name'));
// The handler closure holds the engine and the engine holds it: replace it, so no
// cycle is left for shutdown (PHP without its allocator, as under valgrind, leaks those).
$e->registerType('kb.embed', static fn() => null);
?>
--EXPECT--
int(2)
int(10)
int(1000)
bool(true)
string(6) "paused"
NULL
KBJobs\Engine::setQueue(): Argument #2 ($concurrency) must be between 0 and 100000
KBJobs\Engine::setQueue(): Argument #4 ($periodMs) must be between 1 and 86400000 when a rate is given
queue "Bad Name" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
array(1) {
  [0]=>
  array(2) {
    ["name"]=>
    string(11) "vectors:768"
    ["op"]=>
    string(5) "index"
  }
}
while running: vectors:768 busy index waiting=1
int(2)
array(0) {
}
array(1) {
  [0]=>
  string(5) "cloud"
}
