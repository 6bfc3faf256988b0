--TEST--
Engine::cleanup() removes old finished jobs with their files, a dry run first counting the same, and refuses bad options naming them
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('cleanup');
$dir = kbjobs_test_settings('cleanup')['data_dir'];

$done = $engine->submitMany(array_fill(0, 3, ['type' => 'diag.echo', 'queue' => 'cl']));
$queued = $engine->submit('diag.echo', [], ['queue' => 'cl', 'delay' => 3600]);
$engine->run(['queues' => ['cl'], 'until_empty' => true]);
foreach (array_merge($done, [$queued]) as $id) {
    $engine->log($id, 'info', 'a line');
}
// Finished 0 days ago: jobs_days 1 keeps them all.
$r = $engine->cleanup(['jobs_days' => 1]);
var_dump($r['jobs'], $r['more']);
var_dump(array_keys($r));

// The smallest retention is a day: the finished rows are moved back 2 days with the
// mariadb client (the engine has no raw SQL, rightly).
$db = kbjobs_test_settings('cleanup');
$cmd = ['mariadb', '--no-defaults', '--socket=' . getenv('KBJOBS_DB_SOCKET'), '-u', $db['user'],
        '-p' . $db['password'], $db['database'], '-e',
        "UPDATE {$db['prefix']}kbjobs_jobs SET finished_at = finished_at - INTERVAL 2 DAY WHERE status = 'completed'"];
$p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
if (proc_close($p) !== 0) {
    echo "mariadb: $out\n";
}
$dry = $engine->cleanup(['jobs_days' => 1, 'dry_run' => true]);
var_dump($dry['jobs'], $dry['logs'], $dry['dry_run'], count(glob("$dir/logs/*.log")));
$real = $engine->cleanup(['jobs_days' => 1, 'batch' => 2]);
var_dump($real['jobs'], $real['logs'], $real['dry_run'], $real['bytes_freed'] === $dry['bytes_freed']);
var_dump(count(glob("$dir/logs/*.log")), $engine->get($queued)->status);

foreach ([['jobs_days' => 0], ['audit_days' => 40000], ['batch' => 0], ['batch' => 10001], ['max_seconds' => 0],
          ['max_seconds' => 'x'], ['dry_run' => 'yes'], ['days' => 3]] as $bad) {
    try {
        $engine->cleanup($bad);
        echo "accepted\n";
    } catch (\ValueError | \TypeError $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
int(0)
bool(false)
array(12) {
  [0]=>
  string(4) "jobs"
  [1]=>
  string(4) "logs"
  [2]=>
  string(11) "checkpoints"
  [3]=>
  string(5) "lists"
  [4]=>
  string(12) "failed_items"
  [5]=>
  string(17) "metrics_rolled_up"
  [6]=>
  string(15) "metrics_deleted"
  [7]=>
  string(5) "audit"
  [8]=>
  string(10) "quarantine"
  [9]=>
  string(11) "bytes_freed"
  [10]=>
  string(4) "more"
  [11]=>
  string(7) "dry_run"
}
int(3)
int(3)
bool(true)
int(4)
int(3)
int(3)
bool(false)
bool(true)
int(1)
string(6) "queued"
ValueError: option "jobs_days" must be between 1 and 36500
ValueError: option "audit_days" must be between 1 and 36500
ValueError: option "batch" must be between 1 and 10000
ValueError: option "batch" must be between 1 and 10000
ValueError: option "max_seconds" must be between 0.001 and 3600
ValueError: option "max_seconds" must be a number
TypeError: option "dry_run" must be a bool
ValueError: unknown cleanup option "days"
