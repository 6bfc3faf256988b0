--TEST--
FailureLog keeps at most failure_cap entries (counting the evicted) and raises one alert per type past alert_threshold until acknowledged
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('failure_cap', ['failure_cap' => 3, 'alert_threshold' => 3, 'alert_window_seconds' => 600]);
$fail = function (KBJobs\Context $ctx) {
    throw new KBJobs\NonRetryableException('bad ' . $ctx->params()['n']);
};
$engine->registerType('t.bad', $fail);
$engine->registerType('t.other', $fail);
for ($n = 0; $n < 5; $n++) {
    $engine->submit('t.bad', ['n' => $n]);
}
$engine->submit('t.other', ['n' => 9]);
var_dump($engine->run(['until_empty' => true])['failed']);

$log = $engine->failures();
var_dump($log->count(), $log->evicted(), array_column($log->list(), 'message'));

// Three t.bad failures raised one alert; later ones did not add another while it is open.
$alerts = $log->alerts();
var_dump(count($alerts));
$a = $alerts[0];
var_dump(is_int($a['id']), $a['type'], $a['failures'], $a['window_seconds'], $a['message'], is_float($a['created_at']));

$log->acknowledgeAlert($a['id']);
var_dump($log->alerts());
try {
    $log->acknowledgeAlert($a['id']);
} catch (KBJobs\NotFoundException $e) {
    echo get_class($e), ' ', $e->getCode(), ': ', $e->getMessage() === "no open alert {$a['id']}" ? 'no open alert' : $e->getMessage(), "\n";
}

// Once acknowledged, the next failure of the type raises a new alert.
$engine->submit('t.bad', ['n' => 5]);
$engine->run(['until_empty' => true]);
$alerts = $log->alerts();
var_dump(count($alerts), $alerts[0]['id'] > $a['id'], $alerts[0]['failures']);
var_dump($log->count(), $log->evicted());
?>
--EXPECT--
int(6)
int(3)
int(3)
array(3) {
  [0]=>
  string(35) "KBJobs\NonRetryableException: bad 9"
  [1]=>
  string(35) "KBJobs\NonRetryableException: bad 4"
  [2]=>
  string(35) "KBJobs\NonRetryableException: bad 3"
}
int(1)
bool(true)
string(5) "t.bad"
int(3)
int(600)
string(95) "3 jobs of type t.bad failed within 600 seconds; the latest: KBJobs\NonRetryableException: bad 2"
bool(true)
array(0) {
}
KBJobs\NotFoundException -6: no open alert
int(1)
bool(true)
int(6)
int(3)
int(4)
