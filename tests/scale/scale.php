<?php
/**
 * The dashboard at scale: seeds the test site with many jobs (200,000 in make test), runs
 * ANALYZE, then opens every Operations screen and calls every REST list route as an
 * administrator over HTTP, with MariaDB's general log on. Every SELECT on a
 * {prefix}kbjobs_* table those requests issued is then checked: EXPLAIN must show no full
 * scan (type ALL), and running it again must read at most 10 times the page size in rows
 * (the sum of the session's Handler_read_* counters). Exits 1 naming each query that
 * breaks a rule.
 *
 *   php -d extension=modules/kbjobs.so tests/scale/scale.php [--jobs=200000] [--json=FILE] [--timings] [--keep]
 *
 * Run by `make test-scale` (tools/test.sh scale) against the test instance; the bench
 * (tests/bench/scale/run.sh) runs it with --jobs=1000000 and --timings for each screen's and
 * route's time. Needs root on the instance's MariaDB (the general log is global): the
 * unix socket of build/test-env/mariadb.
 */

if ( PHP_SAPI !== 'cli' || ! getenv( 'KBJOBS_WP_DIR' ) || ! getenv( 'KBJOBS_DB_SOCKET' ) ) {
	fwrite( STDERR, "run through `make test-scale`: KBJOBS_WP_DIR and KBJOBS_DB_SOCKET are needed\n" );
	exit( 2 );
}
$kbjobs_opts = getopt( '', array( 'jobs:', 'json:', 'timings', 'keep' ) );
$_SERVER['HTTP_HOST']   = parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_HOST ) . ':' . parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/';
require getenv( 'KBJOBS_WP_DIR' ) . '/wp-load.php';
require __DIR__ . '/lib.php';
require dirname( __DIR__ ) . '/wp/jobs-sql.php';

$scale = new KBJobs_Scale( (int) ( $kbjobs_opts['jobs'] ?? 200000 ) );
$scale->seed();
$report = $scale->measure( isset( $kbjobs_opts['timings'] ) );
$bad    = $scale->check( $report );
if ( ! isset( $kbjobs_opts['keep'] ) ) {
	$scale->unseed();
}
if ( isset( $kbjobs_opts['json'] ) ) {
	file_put_contents( $kbjobs_opts['json'], wp_json_encode( $report, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES ) );
}
foreach ( $report['requests'] as $r ) {
	if ( isset( $r['median_ms'] ) ) {
		printf(
			"%-4s %-62s %3d  server %8.1f ms  full %8.1f ms  slowest query %7.1f ms: %.120s\n",
			$r['kind'],
			$r['path'],
			$r['status'],
			$r['server_median_ms'] ?? -1,
			$r['median_ms'],
			$r['slowest_ms'] ?? 0,
			preg_replace( '/\s+/', ' ', (string) $r['slowest_sql'] )
		);
	} else {
		printf( "%-4s %-70s %3d %8.1f ms  %3d queries on kbjobs tables\n", $r['kind'], $r['path'], $r['status'], $r['ms'], $r['queries'] );
	}
}
printf( "%d distinct SELECTs on kbjobs tables checked; %d break a rule\n", count( $report['selects'] ), count( $bad ) );
foreach ( $bad as $b ) {
	printf( "\nBROKEN (%s): %s\n  from %s\n  %s\n", $b['why'], $b['sql'], implode( ', ', $b['from'] ), $b['explain'] );
}
exit( $bad || $report['errors'] ? 1 : 0 );
