--TEST--
Two PHP processes scheduling the same event at the same instant, 100 times (single) and 100 times (recurring): one row each time
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('cron_race');
$s = kbjobs_test_settings('cron_race');
const ROUNDS = 100;
$now = 2000000000;
$key = md5(serialize([]));

// Each round, the parent sends a moment 10 ms ahead; both processes sleep until it and
// schedule the same event (a new hook per round), then the child reports what it got.
// (time_sleep_until() warns about a moment already past, as under valgrind: its warning
// would take the place of the child's answer.)
$dir = $s['data_dir'];
file_put_contents("$dir/child.php", '<?php
$s = ' . var_export($s, true) . ';
$engine = new KBJobs\Engine($s["host"], $s["user"], $s["password"], $s["database"], $s["prefix"], $s["data_dir"]);
echo "ready\n";
while (($line = fgets(STDIN)) !== false) {
    [$mode, $round, $at] = explode(" ", trim($line));
    $event = ["hook" => "race_{$mode}_$round", "timestamp" => ' . $now . ' + (int)$round, "args_key" => ' .
        var_export($key, true) . '];
    if ($mode === "recurring") {
        $event += ["schedule" => "hourly", "interval" => 3600];
    }
    if (($wait = (float)$at - microtime(true)) > 0) { /* a slow start (valgrind) goes at once */
        usleep((int)($wait * 1e6));
    }
    echo json_encode($engine->cronSchedule($event, $mode, ' . $now . ')), "\n";
}
');
$proc = proc_open(array_merge(kbjobs_test_php_command(), ["$dir/child.php"]),
                  [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$ready = fgets($pipes[1]);
if ($ready !== "ready\n") {
    echo "child did not start: ", $ready, stream_get_contents($pipes[2]), "\n";
}

foreach (['single', 'recurring'] as $mode) {
    $bad = [];
    for ($i = 0; $i < ROUNDS; $i++) {
        $at = microtime(true) + 0.01;
        fwrite($pipes[0], "$mode $i $at\n");
        $event = ['hook' => "race_{$mode}_$i", 'timestamp' => $now + $i, 'args_key' => $key];
        if ($mode === 'recurring') {
            $event += ['schedule' => 'hourly', 'interval' => 3600];
        }
        if (($wait = $at - microtime(true)) > 0) {
            usleep((int)($wait * 1e6));
        }
        $mine = $engine->cronSchedule($event, $mode, $now);
        $theirs = json_decode((string)fgets($pipes[1]), true);
        $rows = count($engine->cronEvents(['hook' => "race_{$mode}_$i"]));
        // one row; both answers name it; single: one of them made it, the other met it
        $winners = ($mine['duplicate'] ? 0 : 1) + (($theirs['duplicate'] ?? true) ? 0 : 1);
        if ($rows !== 1 || $mine['id'] !== ($theirs['id'] ?? null) || $winners !== ($mode === 'single' ? 1 : 2)) {
            $bad[] = "round $i: $rows rows, " . json_encode([$mine, $theirs]);
        }
    }
    echo "$mode: ", $bad ? implode("\n", array_slice($bad, 0, 5)) : 'one row in every round', "\n";
}
fclose($pipes[0]);
$err = stream_get_contents($pipes[2]);
fclose($pipes[1]);
fclose($pipes[2]);
var_dump(proc_close($proc), $err, $engine->cronCounts()['events']);
?>
--EXPECT--
single: one row in every round
recurring: one row in every round
int(0)
string(0) ""
int(200)
