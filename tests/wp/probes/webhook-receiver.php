<?php
/**
 * A webhook receiver for AlertsTest, served by `php -S 127.0.0.1:<port>` with this file
 * as its router: appends each request (method, path, headers, body) as one JSON line to
 * the file named by KBJOBS_RECEIVER_LOG and answers 204.
 */
$kbjobs_request = array(
	'method'  => $_SERVER['REQUEST_METHOD'],
	'path'    => $_SERVER['REQUEST_URI'],
	'headers' => array_change_key_case( getallheaders(), CASE_LOWER ),
	'body'    => file_get_contents( 'php://input' ),
);
file_put_contents( getenv( 'KBJOBS_RECEIVER_LOG' ), json_encode( $kbjobs_request ) . "\n", FILE_APPEND | LOCK_EX );
http_response_code( 204 );
