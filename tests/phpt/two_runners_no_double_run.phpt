--TEST--
Two PHP processes running the same queue: 500 jobs, each runs exactly once, and both processes take part
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('two_runners');
$s = kbjobs_test_settings('two_runners');
$s['out'] = $s['data_dir'] . '/ran.txt';
const JOBS = 500;

// Both processes run the same handler: it appends "<job id> <pid>" to one file.
$dir = $s['data_dir'];
file_put_contents("$dir/handler.php", '<?php
function kbjobs_test_append(KBJobs\Context $ctx): void
{
    file_put_contents(' . var_export($s['out'], true) . ', $ctx->id() . " " . getmypid() . "\n", FILE_APPEND | LOCK_EX);
    usleep(1000);
}
');
file_put_contents("$dir/child.php", '<?php
require __DIR__ . "/handler.php";
$s = ' . var_export($s, true) . ';
$engine = new KBJobs\Engine($s["host"], $s["user"], $s["password"], $s["database"], $s["prefix"], $s["data_dir"]);
$engine->registerType("t.append", "kbjobs_test_append");
echo "ready\n";
fgets(STDIN); // wait for the parent: both start claiming together
echo json_encode($engine->run(["until_empty" => true])), "\n";
');
require "$dir/handler.php";
$engine->registerType('t.append', 'kbjobs_test_append');
$ids = $engine->submitMany(array_fill(0, JOBS, ['type' => 't.append']));

$proc = proc_open(array_merge(kbjobs_test_php_command(), ["$dir/child.php"]),
                  [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$ready = fgets($pipes[1]);
if ($ready !== "ready\n") {
    echo "child did not start: ", $ready, stream_get_contents($pipes[2]), "\n";
}
fwrite($pipes[0], "go\n");
$mine = $engine->run(['until_empty' => true]);
$theirs = json_decode((string)fgets($pipes[1]), true);
$err = stream_get_contents($pipes[2]);
foreach ($pipes as $p) {
    fclose($p);
}
var_dump(proc_close($proc), $err);

// Every job ran exactly once, all completed, with one attempt each.
$lines = file($s['out'], FILE_IGNORE_NEW_LINES);
$ran = array_map(fn($l) => explode(' ', $l)[0], $lines);
$counts = array_count_values($ran);
var_dump(count($lines), count($counts), max($counts), array_diff($ids, $ran));
var_dump($mine['completed'] + $theirs['completed'], $mine['lost'] + $theirs['lost'], $mine['runner'] !== $theirs['runner']);
$done = $engine->list(['status' => 'completed', 'limit' => 1000])['jobs'];
var_dump(count($done), array_unique(array_map(fn($j) => $j->attempts, $done)));

// Both processes took part.
$pids = array_count_values(array_map(fn($l) => explode(' ', $l)[1], $lines));
var_dump(count($pids), $pids[getmypid()] === $mine['completed']);
?>
--EXPECT--
int(0)
string(0) ""
int(500)
int(500)
int(1)
array(0) {
}
int(500)
int(0)
bool(true)
int(500)
array(1) {
  [0]=>
  int(1)
}
int(2)
bool(true)
