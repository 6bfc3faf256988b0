--TEST--
kbjobs loads and reports its version
--EXTENSIONS--
kbjobs
--FILE--
<?php
var_dump(extension_loaded('kbjobs'));
var_dump(KBJobs\VERSION === phpversion('kbjobs'));
var_dump(preg_match('/^\d+\.\d+\.\d+$/', KBJobs\VERSION));
?>
--EXPECT--
bool(true)
bool(true)
int(1)
