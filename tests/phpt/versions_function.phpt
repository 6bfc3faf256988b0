--TEST--
KBJobs\versions() returns the engine and library versions, and takes no arguments
--EXTENSIONS--
kbjobs
--FILE--
<?php
$v = KBJobs\versions();
var_dump(array_keys($v));
var_dump($v['kbjobs'] === KBJobs\VERSION);
foreach ($v as $name => $version) {
    if (!preg_match('/^\d+\.\d+/', $version)) {
        echo "bad version for $name: $version\n";
    }
}
try {
    KBJobs\versions('extra');
} catch (ArgumentCountError $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
$f = new ReflectionFunction('KBJobs\versions');
echo $f->getReturnType(), "\n";
?>
--EXPECT--
array(6) {
  [0]=>
  string(6) "kbjobs"
  [1]=>
  string(10) "libmariadb"
  [2]=>
  string(7) "libcurl"
  [3]=>
  string(7) "jansson"
  [4]=>
  string(7) "libxml2"
  [5]=>
  string(9) "libcrypto"
}
bool(true)
ArgumentCountError: KBJobs\versions() expects exactly 0 arguments, 1 given
array
