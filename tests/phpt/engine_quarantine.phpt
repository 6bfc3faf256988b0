--TEST--
Engine::quarantine() moves a file under quarantine/<date>/ with its path, never over another, and refuses paths that leave the data directory
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('quarantine');
$dir = kbjobs_test_settings('quarantine')['data_dir'];
@mkdir("$dir/logs", 0750, true);
$day = gmdate('Y-m-d');

file_put_contents("$dir/logs/stray.log", "one");
var_dump($engine->quarantine('logs/stray.log') === "quarantine/$day/logs/stray.log");
var_dump(file_exists("$dir/logs/stray.log"), file_get_contents("$dir/quarantine/$day/logs/stray.log"));
file_put_contents("$dir/logs/stray.log", "two");
var_dump($engine->quarantine('logs/stray.log') === "quarantine/$day/logs/stray.log.1");
var_dump(file_get_contents("$dir/quarantine/$day/logs/stray.log"));

foreach (['/etc/passwd', '../x', 'logs/../../x', "quarantine/$day/logs/stray.log", 'logs', "logs/a\0b"] as $bad) {
    try {
        $engine->quarantine($bad);
        echo "moved: $bad\n";
    } catch (ValueError $e) {
        echo "refused\n";
    }
}
try {
    $engine->quarantine('logs/none.log');
} catch (KBJobs\NotFoundException $e) {
    echo "not found\n";
}
?>
--EXPECT--
bool(true)
bool(false)
string(3) "one"
bool(true)
string(3) "one"
refused
refused
refused
refused
refused
refused
not found
