--TEST--
Engine::import() skips a UTF-8 byte-order mark, refuses UTF-16, binary and all-bad lists saying why, and applies configureImport()'s list caps (range-checked), also to a stream without end
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('import_lists');

function attempt(callable $f): void
{
    try {
        $r = $f();
        echo 'accepted ', $r['accepted'], ' of ', $r['lines'], ' lines, ', $r['rejected'], " rejected\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}

function list_file(string $bytes): string
{
    $file = tempnam(sys_get_temp_dir(), 'kbjobs-list');
    file_put_contents($file, $bytes);
    register_shutdown_function('unlink', $file);
    return $file;
}

/* A stream wrapper without a descriptor that never ends: import() copies it, up to the cap. */
final class EndlessList
{
    public $context;
    public static int $read = 0;
    public function stream_open(string $path, string $mode, int $options, ?string &$opened): bool
    {
        return true;
    }
    public function stream_read(int $count): string
    {
        self::$read += $count;
        return str_repeat("http://endless.example/\n", intdiv($count, 24) ?: 1);
    }
    public function stream_eof(): bool
    {
        return false;
    }
    public function stream_cast(int $as)
    {
        return false;
    }
}
stream_wrapper_register('endless', EndlessList::class);

echo "-- byte-order mark\n";
attempt(fn () => $engine->import(list_file("\xEF\xBB\xBFhttp://bom.example/1\nhttp://bom.example/2\n")));
attempt(fn () => $engine->import(["\xEF\xBB\xBFhttp://bom.example/3", 'http://bom.example/4']));

echo "-- UTF-16\n";
$text = "http://wide.example/1\nhttp://wide.example/2\n";
$le = implode('', array_map(fn ($c) => "$c\0", str_split($text)));
$be = implode('', array_map(fn ($c) => "\0$c", str_split($text)));
attempt(fn () => $engine->import(list_file("\xFF\xFE" . $le)));
attempt(fn () => $engine->import(list_file($be)));

echo "-- nothing valid\n";
attempt(fn () => $engine->import(['not a url', 'ftp://example.com/', '# note', 'http:///x', 'mailto:a@b.example',
                                  'gopher://x/', 'http://a b/', 'javascript:void(0)']));
attempt(fn () => $engine->import(list_file(str_repeat("\0", 20000))));
attempt(fn () => $engine->import(list_file(str_repeat('a', 3 << 20))));

echo "-- caps\n";
$engine->configureImport(['max_list_bytes' => 100, 'max_list_lines' => 3]);
attempt(fn () => $engine->import(list_file(str_repeat("http://cap.example/\n", 6))));
attempt(fn () => $engine->import(['http://cap.example/1', '', 'http://cap.example/2', 'http://cap.example/3']));
attempt(fn () => $engine->import(['http://cap.example/1', '', 'http://cap.example/2']));
$engine->configureImport(['max_list_bytes' => 1 << 20]);
attempt(fn () => $engine->import(fopen('endless://list', 'r')));
var_dump(EndlessList::$read <= (1 << 20) + 65536);
$mem = fopen('php://memory', 'w+');
fwrite($mem, str_repeat("http://mem.example/\n", 60000));
rewind($mem);
attempt(fn () => $engine->import($mem));
$engine->configureImport([]);
rewind($mem);
attempt(fn () => $engine->import($mem));

echo "-- cap values\n";
foreach ([['max_list_bytes' => 0], ['max_list_bytes' => -1], ['max_list_bytes' => (1 << 40) + 1],
          ['max_list_lines' => 0], ['max_list_lines' => 100000001], ['max_list_lines' => 'many']] as $set) {
    attempt(fn () => $engine->configureImport($set));
}
$engine->configureImport(['max_list_bytes' => 1 << 40, 'max_list_lines' => 100000000]);
echo "largest caps taken\n";
?>
--EXPECT--
-- byte-order mark
accepted 2 of 2 lines, 0 rejected
accepted 2 of 2 lines, 0 rejected
-- UTF-16
ValueError: the list is UTF-16 (little-endian); save it as UTF-8 (for example `iconv -f UTF-16 -t UTF-8 list.txt > list-utf8.txt`)
ValueError: the list looks like UTF-16 (big-endian, no byte-order mark); save it as UTF-8 (for example `iconv -f UTF-16BE -t UTF-8 list.txt > list-utf8.txt`)
-- nothing valid
ValueError: the list has no valid URL: line 1: not a URL; line 2: scheme must be http or https; line 4: no host; line 5: scheme must be http or https; line 6: scheme must be http or https; 2 more lines rejected
ValueError: the list looks binary: 8000 of its first 8000 bytes are NUL or other control bytes
ValueError: the list has no valid URL: line 1: line longer than 2048 bytes
-- caps
ValueError: the list is larger than 100 bytes (the max_list_bytes setting)
ValueError: the list has more than 3 lines (the max_list_lines setting)
accepted 2 of 3 lines, 0 rejected
ValueError: the list is larger than 1048576 bytes (the max_list_bytes setting)
bool(true)
ValueError: the list is larger than 1048576 bytes (the max_list_bytes setting)
accepted 1 of 60000 lines, 0 rejected
-- cap values
ValueError: option "max_list_bytes" must be between 1 and 1099511627776
ValueError: option "max_list_bytes" must be between 1 and 1099511627776
ValueError: option "max_list_bytes" must be between 1 and 1099511627776
ValueError: option "max_list_lines" must be between 1 and 100000000
ValueError: option "max_list_lines" must be between 1 and 100000000
ValueError: option "max_list_lines" must be an integer
largest caps taken
