--TEST--
new KBJobs\Engine refuses bad settings (ValueError), unreachable servers (DatabaseException -4), and hides the password in traces
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
kbjobs.data_dir=
zend.exception_ignore_args=0
--FILE--
<?php
require __DIR__ . '/connect.inc';
$s = kbjobs_test_settings('construct');
$dir = $s['data_dir'];

function engine(array $over): KBJobs\Engine
{
    global $s;
    $a = array_merge($s, $over);
    return new KBJobs\Engine($a['host'], $a['user'], $a['password'], $a['database'], $a['prefix'],
                             array_key_exists('dir', $a) ? $a['dir'] : $a['data_dir'], $a['options'] ?? []);
}

$cases = [
    'host with a bad port' => ['host' => 'localhost:notaport'],
    'host with a space' => ['host' => 'data base'],
    'empty host' => ['host' => ''],
    'unclosed IPv6 host' => ['host' => '[::1:3306'],
    'prefix with a dash' => ['prefix' => 'wp-'],
    'prefix too long' => ['prefix' => str_repeat('p', 33)],
    'no data dir, empty INI' => ['dir' => null],
    'relative data dir' => ['dir' => 'relative/dir'],
    'unknown option' => ['options' => ['lease' => 5]],
    'option out of range' => ['options' => ['lease_seconds' => 86401]],
    'option not an integer' => ['options' => ['claim_batch' => 'many']],
    'option with an integer key' => ['options' => [5]],
    'unreachable socket' => ['host' => 'localhost:/nonexistent/kbjobs/mysqld.sock'],
    'wrong password' => ['password' => 'not the password'],
];
foreach ($cases as $what => $over) {
    try {
        engine($over);
        echo "$what: connected\n";
    } catch (Throwable $e) {
        // Server messages vary by version: show what comes before them only.
        $msg = str_replace($s['host'], 'HOST', $e->getMessage());
        if (str_starts_with($msg, 'cannot connect to ')) {
            $msg = substr($msg, 0, strpos($msg, ': ')) . ': ...';
        }
        printf("%s: %s (%d): %s\n", $what, get_class($e), $e->getCode(), $msg);
    }
}

// The password is a #[\SensitiveParameter]: traces show a SensitiveParameterValue.
try {
    new KBJobs\Engine('localhost:/nonexistent/kbjobs/mysqld.sock', 'someone', 'hunter2-secret', 'db', 'wp_', $dir);
} catch (KBJobs\DatabaseException $e) {
    $frame = $e->getTrace()[0];
    echo $frame['class'], '->', $frame['function'], "\n";
    var_dump($frame['args'][1], $frame['args'][2] instanceof SensitiveParameterValue);
    var_dump($frame['args'][2]->getValue());
    var_dump(str_contains($e->getTraceAsString(), 'Object(SensitiveParameterValue)'));
    var_dump(str_contains($e->getTraceAsString() . print_r($e->getTrace(), true), 'hunter2'));
}

// The INI setting stands in for the data directory argument.
ini_set('kbjobs.data_dir', $dir);
var_dump(engine(['dir' => null]) instanceof KBJobs\Engine);
?>
--EXPECT--
host with a bad port: ValueError (-1): malformed database host "localhost:notaport": expected host, host:port, host:/socket/path or [ipv6]:port
host with a space: ValueError (-1): malformed database host "data base": expected host, host:port, host:/socket/path or [ipv6]:port
empty host: ValueError (-1): malformed database host "": expected host, host:port, host:/socket/path or [ipv6]:port
unclosed IPv6 host: ValueError (-1): malformed database host "[::1:3306": expected host, host:port, host:/socket/path or [ipv6]:port
prefix with a dash: ValueError (-1): table prefix "wp-" must be 1 to 32 letters, digits or underscores
prefix too long: ValueError (-1): table prefix "ppppppppppppppppppppppppppppppppp" must be 1 to 32 letters, digits or underscores
no data dir, empty INI: ValueError (0): KBJobs\Engine::__construct(): Argument #6 ($dataDir) must be given when the kbjobs.data_dir INI setting is empty
relative data dir: ValueError (-1): the data directory must be an absolute path, got "relative/dir"
unknown option: ValueError (0): unknown engine option "lease"
option out of range: ValueError (0): option "lease_seconds" must be between 0 and 86400
option not an integer: ValueError (0): option "claim_batch" must be an integer
option with an integer key: ValueError (0): engine option must be an array with string keys
unreachable socket: KBJobs\DatabaseException (-4): cannot connect to localhost:/nonexistent/kbjobs/mysqld.sock: ...
wrong password: KBJobs\DatabaseException (-4): cannot connect to HOST: ...
KBJobs\Engine->__construct
string(7) "someone"
bool(true)
string(14) "hunter2-secret"
bool(true)
bool(false)
bool(true)
