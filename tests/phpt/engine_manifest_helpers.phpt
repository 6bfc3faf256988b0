--TEST--
Manifest helpers: checkParams against a type's schema without submitting; jobsByUniqueKeys reads many keys at once
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$e = kbjobs_test_engine('manifest');
$e->registerType('kb.meta', fn(KBJobs\Context $c) => [],
    ['schema' => ['type' => 'object', 'properties' => ['lang' => ['type' => 'string', 'default' => 'en'],
                  'n' => ['type' => 'integer', 'minimum' => 1]], 'required' => ['n']]]);

var_dump($e->checkParams('kb.meta', ['n' => 3]));
var_dump($e->checkParams('kb.meta', ['n' => 0]));
var_dump($e->checkParams('kb.meta', []));
var_dump($e->checkParams('kb.nope', []));
var_dump($e->checkParams('diag.echo', ['anything' => [1, 2]]));
var_dump($e->count(['type' => 'kb.meta']));
try {
    $e->checkParams('combined', []);
} catch (ValueError $x) {
    echo $x->getMessage(), "\n";
}

$a = $e->submit('diag.echo', [], ['unique_key' => 'm/k1', 'unique_scope' => 'retained']);
$b = $e->submit('diag.echo', [], ['unique_key' => 'm/k10', 'unique_scope' => 'retained']);
$got = $e->jobsByUniqueKeys(['m/k1', 'm/k10', 'm/k', 'M/K1']);
var_dump(array_keys($got));
var_dump($got['m/k1']->id === $a, $got['m/k10']->id === $b, $got['M/K1']->id === $a);
var_dump($e->jobsByUniqueKeys([]));
try {
    $e->jobsByUniqueKeys(['']);
} catch (ValueError $x) {
    echo $x->getMessage(), "\n";
}
try {
    $e->jobsByUniqueKeys(array_fill(0, 1001, 'k'));
} catch (ValueError $x) {
    echo $x->getMessage(), "\n";
}
?>
--EXPECT--
NULL
string(28) "params/n: must be at least 1"
string(23) "params: "n" is required"
string(26) "unknown job type "kb.nope""
NULL
int(0)
KBJobs\Engine::checkParams(): Argument #1 ($type) must be a job type other than "combined"
array(3) {
  [0]=>
  string(4) "m/k1"
  [1]=>
  string(5) "m/k10"
  [2]=>
  string(4) "M/K1"
}
bool(true)
bool(true)
bool(true)
array(0) {
}
KBJobs\Engine::jobsByUniqueKeys(): Argument #1 ($keys) element 0 must be a unique key of 1 to 191 bytes
KBJobs\Engine::jobsByUniqueKeys(): Argument #1 ($keys) must hold at most 1000 keys
