<?php
/**
 * Runs PHP against the test site for the browser tests (the WP-CLI here has no `eval`):
 * loads the instance's WordPress (KBJOBS_* of build/test-env/env.sh), runs the code given
 * as the first argument as a function body, with the JSON of the second argument decoded
 * in $args, and prints what it returns as JSON.
 *
 *   php -d extension=modules/kbjobs.so tests/browser/eval.php 'return kbjobs_enqueue( $args[0] );' '["diag.echo"]'
 *
 * lib.mjs's php() calls it with the extension and tools/php/prepend.php loaded.
 */

if ( PHP_SAPI !== 'cli' || ! getenv( 'KBJOBS_WP_DIR' ) || ! getenv( 'KBJOBS_WP_URL' ) ) {
	fwrite( STDERR, "run from the browser tests: KBJOBS_WP_DIR and KBJOBS_WP_URL are needed\n" );
	exit( 2 );
}
$_SERVER['HTTP_HOST']   = parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_HOST ) . ':' . parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/';
require getenv( 'KBJOBS_WP_DIR' ) . '/wp-load.php';
require dirname( __DIR__ ) . '/wp/jobs-sql.php';

$kbjobs_eval_result = ( static function ( string $code, $args ) {
	return eval( $code ); // phpcs:ignore Squiz.PHP.Eval.Discouraged -- test helper: runs the test's own code.
} )( (string) ( $argv[1] ?? 'return null;' ), json_decode( (string) ( $argv[2] ?? 'null' ), true ) );
echo wp_json_encode( $kbjobs_eval_result, JSON_UNESCAPED_SLASHES ), "\n";
