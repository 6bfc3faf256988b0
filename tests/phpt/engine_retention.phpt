--TEST--
Engine::retention() deletes finished jobs older than the given days, with their logs, and keeps the rest
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('retention');
$logs = kbjobs_test_settings('retention')['data_dir'] . '/logs';

$done = $engine->submitMany(array_fill(0, 3, ['type' => 't.done']));
$cancelled = $engine->submit('t.later');
$queued = $engine->submit('t.later', [], ['delay' => 3600]);
$engine->cancel($cancelled);
$engine->registerType('t.done', function (KBJobs\Context $ctx) {
    $ctx->log('info', 'ran');
    return 'ok';
});
var_dump($engine->run(['until_empty' => true])['completed']);
$engine->log($queued, 'info', 'waiting');
var_dump(count(glob("$logs/*.log")));

// Nothing finished more than a day ago yet.
var_dump($engine->retention(1), $engine->retention());

// With 0 days every finished job goes (completed and cancelled), logs included; the
// queued job and its log stay.
usleep(20000);
var_dump($engine->retention(0));
foreach (array_merge($done, [$cancelled]) as $id) {
    try {
        $engine->get($id);
        echo "still there: $id\n";
    } catch (KBJobs\NotFoundException $e) {
        echo "gone\n";
    }
}
var_dump($engine->get($queued)->status, array_map('basename', glob("$logs/*.log")) === ["$queued.log"]);
var_dump($engine->retention(0));

foreach ([-1, 36501] as $days) {
    try {
        $engine->retention($days);
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
int(3)
int(4)
int(0)
int(0)
int(4)
gone
gone
gone
gone
string(6) "queued"
bool(true)
int(0)
KBJobs\Engine::retention(): Argument #1 ($days) must be between 0 and 36500
KBJobs\Engine::retention(): Argument #1 ($days) must be between 0 and 36500
