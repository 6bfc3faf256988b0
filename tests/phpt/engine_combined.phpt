--TEST--
Combined jobs: chain validation, type schemas with defaults, weighted phases and their report
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$e = kbjobs_test_engine('combined');
$e->registerType('kb.metadata', fn(KBJobs\Context $c) => ['lang' => $c->params()['lang']],
    ['schema' => ['type' => 'object', 'properties' => ['lang' => ['type' => 'string', 'default' => 'en']],
                  'additionalProperties' => false]]);
$e->registerType('kb.index', fn(KBJobs\Context $c) => ['indexed' => true],
    ['rules' => [['before' => 'kb.metadata', 'after' => 'kb.index', 'severity' => 'warning',
                  'message' => 'the index reads the metadata']]]);

$report = $e->validateChain([
    ['name' => 'index', 'type' => 'kb.index', 'weight' => 50],
    ['name' => 'meta', 'type' => 'kb.metadata', 'params' => ['lang' => 7], 'weight' => 40],
    ['name' => 'x', 'type' => 'no.such', 'weight' => 5],
]);
var_dump($report['valid']);
echo implode("\n", $report['errors']), "\n--\n", implode("\n", $report['warnings']), "\n";

try {
    $e->submitCombined([['name' => 'a', 'type' => 'kb.index', 'weight' => 99]]);
} catch (ValueError $x) {
    echo $x->getMessage(), "\n";
}
try {
    $e->submit('kb.metadata', ['lang' => 'fr', 'extra' => 1]);
} catch (ValueError $x) {
    echo $x->getMessage(), "\n";
}

$r = $e->submitCombined([
    ['name' => 'meta', 'type' => 'kb.metadata', 'weight' => 30],
    ['name' => 'index', 'type' => 'kb.index', 'weight' => 70],
], ['queue' => 'combo']);
var_dump($r['warnings']);
$e->run(['queues' => 'combo', 'until_empty' => true]);
$job = $e->get($r['id']);
echo $job->type, ' ', $job->status, ' ', $job->progressDone, '/', $job->progressTotal, "\n";
echo json_encode($job->result), "\n";
?>
--EXPECT--
bool(false)
phase 3 (no.such): unknown job type
phase 2 (meta): params/lang: must be a string
the phases' weights sum to 95; they must sum to 100
--
phase 1 (kb.index) runs before phase 2 (kb.metadata): kb.metadata should run before kb.index; the index reads the metadata
the chain is invalid: the phases' weights sum to 99; they must sum to 100
params/extra: is not an allowed property
array(0) {
}
combined completed 10000/10000
{"success":true,"status":"success","phases_completed":2,"phase_results":{"meta":{"lang":"en"},"index":{"indexed":true}},"message":"2 phases completed","resumed":false,"phases_skipped":0}
