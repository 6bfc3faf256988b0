<?php
/**
 * Boots the real WordPress of the test instance (tools/test.sh starts it; its settings
 * are the KBJOBS_* variables of build/test-env/env.sh). There is no WordPress core test
 * library here: tests run against the installed site and clean up what they create.
 */
foreach ( array( 'KBJOBS_WP_DIR', 'KBJOBS_WP_URL', 'KBJOBS_ROOT', 'KBJOBS_HOME' ) as $kbjobs_var ) {
	if ( ! getenv( $kbjobs_var ) ) {
		fwrite( STDERR, "$kbjobs_var is not set: run these tests through `make test-wp`\n" );
		exit( 1 );
	}
}
if ( ! extension_loaded( 'kbjobs' ) ) {
	fwrite( STDERR, "the kbjobs extension is not loaded: run these tests through `make test-wp`\n" );
	exit( 1 );
}

$_SERVER['HTTP_HOST']   = parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_HOST ) . ':' . parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/';

require getenv( 'KBJOBS_WP_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once __DIR__ . '/TestCase.php';
require_once __DIR__ . '/jobs-sql.php';
