<?php
/**
 * wp-boot.php - loads the bench instance's WordPress for the plain-PHP importers
 * (naive.php, tuned.php), as a CLI script that a WordPress developer would write:
 * wp-load.php with a host set. Settings come from the instance's env.sh.
 */
if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}
$kbb_url                = (string) getenv( 'KBJOBS_WP_URL' );
$_SERVER['HTTP_HOST']   = parse_url( $kbb_url, PHP_URL_HOST ) . ':' . parse_url( $kbb_url, PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/';
require rtrim( (string) getenv( 'KBJOBS_WP_DIR' ), '/' ) . '/wp-load.php';

/**
 * The URLs of a list file, one a line.
 *
 * @param string $path The list.
 * @return string[]
 */
function kbb_urls( string $path ): array {
	$urls = file( $path, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES );
	if ( false === $urls ) {
		fwrite( STDERR, "cannot read $path\n" );
		exit( 1 );
	}
	return $urls;
}

/**
 * Prints the importer's report as one JSON line.
 *
 * @param array<string,mixed> $report Counts and times.
 */
function kbb_report( array $report ): void {
	$report['php_peak_mib'] = round( memory_get_peak_usage( true ) / 1048576, 1 );
	echo json_encode( $report ), "\n";
}
