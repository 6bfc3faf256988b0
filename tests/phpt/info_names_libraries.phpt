--TEST--
phpinfo (php --ri kbjobs) shows the version, the schema version, the libraries kbjobs links and its INI settings
--EXTENSIONS--
kbjobs
--FILE--
<?php
(new ReflectionExtension('kbjobs'))->info();
?>
--EXPECTF--
kbjobs

kbjobs support => enabled
Version => %d.%d.%d
Schema version => %d
libmariadb version => %d.%d.%d
libcurl version => %d.%d.%d
jansson version => %d.%d%A
libxml2 version => %d.%d.%d
libcrypto version => %d.%d.%d

Directive => Local Value => Master Value
kbjobs.data_dir => no value => no value
kbjobs.lease_seconds => 60 => 60
kbjobs.claim_batch => 10 => 10
kbjobs.heartbeat_seconds => 2 => 2
kbjobs.lost_after_seconds => 0 => 0
