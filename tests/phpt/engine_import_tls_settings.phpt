--TEST--
Engine::configureImport() takes ca_file and host_limits: a page from the fixture site's TLS endpoint fails with a certificate error without the test CA and imports with it; wrong types are TypeErrors, a host_limits list that does not parse a ValueError
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$tls = getenv('KBJOBS_FIXTURE_TLS_URL') ?: die("KBJOBS_FIXTURE_TLS_URL is not set\n");
$engine = kbjobs_test_engine('import_tls');
$sink = function (array $docs) {
    return array_map(fn ($d) => 100 + (int)$d['index'], $docs);
};

// The system's CAs do not know the test CA: the page fails, and says why.
$engine->configureImport(['allow' => '127.0.0.1', 'retries' => 0, 'timeout_ms' => 10000]);
$r = $engine->import(["$tls/page/1"]);
$engine->run(['queues' => ['import'], 'until_empty' => true, 'sink' => $sink]);
$failed = $engine->failedItems($r['id']);
echo $engine->get($r['id'])->metrics['failed'], ' ', $failed['items'][0]['class'], ' ',
     str_contains($failed['items'][0]['error'], 'certificate') ? 'certificate error' : $failed['items'][0]['error'], "\n";

// With the CA (a string made at run time: the engine keeps its own copy of it), and
// host limits for the fixture's host.
$engine->configureImport(['allow' => '127.0.0.1', 'retries' => 0, 'timeout_ms' => 10000,
                          'ca_file' => implode('', [getenv('KBJOBS_FIXTURE_CA')]),
                          'host_limits' => implode('', ['127.0.0.1=2, localhost:8443=16']),
                          'max_per_host' => 3]);
gc_collect_cycles();
$r = $engine->import(["$tls/page/2", "$tls/page/3", "$tls/page/4"]);
$engine->run(['queues' => ['import'], 'until_empty' => true, 'sink' => $sink]);
$j = $engine->get($r['id']);
echo $j->status, ' ', $j->metrics['created'], ' ', $j->metrics['failed'], "\n";

// Null is "not set", as for the other strings.
$engine->configureImport(['ca_file' => null, 'host_limits' => null]);
echo "nulls taken\n";

foreach ([['ca_file' => 42], ['ca_file' => ['/etc/ssl/ca.pem']], ['host_limits' => 2],
          ['host_limits' => ['a.example=2']], ['ca_file' => "/tmp/ca\0.pem"],
          ['host_limits' => 'a.example=0'], ['host_limits' => 'a.example=101'],
          ['host_limits' => 'a.example'], ['max_per_host' => 101]] as $settings) {
    try {
        $engine->configureImport($settings);
        echo "no error\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
1 permanent certificate error
completed 3 0
nulls taken
TypeError: option "ca_file" must be a string
TypeError: option "ca_file" must be a string
TypeError: option "host_limits" must be a string
TypeError: option "host_limits" must be a string
ValueError: option "ca_file" must not contain any null bytes
ValueError: host_limits: "a.example=0" is not host[:port]=N with N from 1 to 100
ValueError: host_limits: "a.example=101" is not host[:port]=N with N from 1 to 100
ValueError: host_limits: "a.example" is not host[:port]=N with N from 1 to 100
ValueError: option "max_per_host" must be between 0 and 100
