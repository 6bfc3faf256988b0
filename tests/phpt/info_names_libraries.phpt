--TEST--
phpinfo (php --ri kbjobs) shows the version and the libraries kbjobs links
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
libmariadb version => %d.%d.%d
libcurl version => %d.%d.%d
jansson version => %d.%d%A
libxml2 version => %d.%d.%d
