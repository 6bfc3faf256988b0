<?php
/**
 * summary.php RESULTS_CSV URLS CHUNK PER_HOST - the import benchmark's table and targets, from the
 * rows tests/bench/import/run.sh appended to results.csv:
 * scenario,p,urls,seconds,pages_s,peak_rss_mib,proc_cpu_s,mariadbd_cpu_s,nginx_cpu_s,
 * others_cpu_s,host_busy_pct,stmts_per_page,db_fsyncs_per_page,note
 */
$rows = array();
foreach ( file( $argv[1], FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES ) as $line ) {
	$f      = str_getcsv( $line );
	$rows[] = array(
		'scenario' => $f[0],
		'p'        => (int) $f[1],
		'urls'     => (int) $f[2],
		'seconds'  => (float) $f[3],
		'rate'     => (float) $f[4],
		'rss'      => '' === $f[5] ? null : (float) $f[5],
		'cpu'      => $f[6],
		'db'       => $f[7],
		'nginx'    => $f[8],
		'others'   => $f[9],
		'host'     => $f[10],
		'stmts'    => $f[11],
		'fsyncs'   => $f[12],
		'note'     => $f[13] ?? '',
	);
}
$n        = (int) $argv[2];
$chunk    = (int) $argv[3];
$per_host = (int) ( $argv[4] ?? 16 );

/**
 * The row of a scenario at p processes: with $note, the one with that note (the engine's
 * chunk sizes, the remote-site rows' protocol, RTT and chunk); failed rows never.
 */
function row( array $rows, string $scenario, int $p, ?string $note = null, ?int $urls = null ): ?array {
	foreach ( $rows as $r ) {
		if ( $r['scenario'] === $scenario && $r['p'] === $p && ( null === $note || $r['note'] === $note )
			&& 0 !== strpos( $r['note'], 'FAILED' )
			&& ( null === $urls || $r['urls'] === $urls ) ) {
			return $r;
		}
	}
	return null;
}
/** The baseline of a ratio: the row with the same note when there is one (same chunk,
 * protocol, RTT), else one without a note (the plain-PHP importers that have no chunk). */
function base_row( array $rows, string $scenario, array $of ): ?array {
	return row( $rows, $scenario, $of['p'], $of['note'] ) ?? row( $rows, $scenario, $of['p'], '' );
}
function ratio( ?array $a, ?array $b ): ?float {
	return ( $a && $b && $b['rate'] > 0 ) ? $a['rate'] / $b['rate'] : null;
}
function fmt( ?float $x, string $f = '%.2f' ): string {
	return null === $x ? 'n/a' : sprintf( $f, $x );
}

// The ratio column: against the baselines the targets name, at the same p and note.
$base = array(
	'engine'         => array( 'ceiling', 'naive' ),
	'ceiling+sync'   => array( 'ceiling' ),
	'ceiling-batch'  => array( 'ceiling' ),
	'bulk'           => array( 'engine', 'tuned-same', 'naive' ),
	'compatible'     => array( 'tuned-same', 'tuned' ),
	'tuned-same'     => array( 'tuned' ),
	'tuned'          => array( 'naive' ),
	'memory'         => array(),
	'lat-engine'     => array( 'lat-ceiling', 'lat-tuned-same' ),
	'lat-bulk'       => array( 'lat-tuned-same', 'lat-engine' ),
	'lat-compatible' => array( 'lat-tuned-same', 'lat-engine' ),
);
printf( "%-14s %2s %7s %7s %8s %7s %6s %6s %6s %6s %4s %6s %6s  %-34s %s\n", 'scenario', 'p', 'URLs', 'secs', 'pages/s', 'RSS MiB',
	'proc s', 'db s', 'nginx s', 'other s', 'host', 'stmt/p', 'sync/p', 'ratio (same p, chunk, site)', 'note' );
foreach ( $rows as $r ) {
	$ratios = array();
	foreach ( $base[ $r['scenario'] ] ?? array() as $b ) {
		$other = base_row( $rows, $b, $r );
		if ( $other ) {
			$ratios[] = sprintf( '%.2fx %s', ratio( $r, $other ), preg_replace( '/^lat-/', '', $b ) );
		}
	}
	printf( "%-14s %2d %7d %7.2f %8.1f %7s %6s %6s %6s %6s %4s %6s %6s  %-34s %s\n", $r['scenario'], $r['p'], $r['urls'], $r['seconds'],
		$r['rate'], null === $r['rss'] ? '' : sprintf( '%.1f', $r['rss'] ), $r['cpu'], $r['db'], $r['nginx'], $r['others'],
		( '' === $r['host'] ? '' : $r['host'] . '%' ), $r['stmts'], $r['fsyncs'], implode( ', ', $ratios ), $r['note'] );
}

echo "\nsecs: wall time from the start of the processes until the last exited (submits and list writing before it);\n";
echo "RSS: the largest peak RSS of the run's processes; proc s: their CPU (user + system); db s, nginx s: mariadbd's\n";
echo "and the serving side's CPU meanwhile (nginx, and the delay proxy in lat-* rows); other s: the rest of the\n";
echo "machine; host: share of all cores busy; stmt/p, sync/p: statements MariaDB received (Questions) and InnoDB\n";
echo "fsyncs, per page. Ratios: pages/s against the baselines the targets name, at the same number of processes,\n";
echo "chunk size and (lat-*) protocol and RTT.\n";
echo "\nTargets (reported, not asserted)\n";
$line = static function ( string $what, ?float $value, float $min, string $unit = 'x' ): void {
	$detail = null === $value ? '' : ( 'x' === $unit ? sprintf( '%.2fx', $value ) : sprintf( '%.1f %s', $value, $unit ) );
	printf( "  %-66s %-7s %s\n", $what, null === $value ? 'n/a' : ( $value >= $min ? 'met' : 'MISSED' ), $detail );
};
// The remote-site rows, at every chunk size they ran with (the targets hold at 10 too).
$lat_chunks = array();
foreach ( $rows as $r ) {
	if ( preg_match( '/^(h1|h2), rtt 50 ms, chunk (\d+), /', $r['note'], $m ) ) {
		$lat_chunks[ (int) $m[2] ] = true;
	}
}
ksort( $lat_chunks );
$lat = static function ( string $what, string $proto, int $c ) use ( $rows, $per_host ): ?array {
	return row( $rows, $what, 1, "$proto, rtt 50 ms, chunk $c, $per_host/host" );
};
foreach ( array_keys( $lat_chunks ) as $c ) {
	$min = 0.85 * $per_host / 0.050;
	$e   = $lat( 'lat-engine', 'h1', $c );
	$line( sprintf( 'RTT 50 ms, HTTP/1.1, %d/host, chunk %d: engine >= %.0f pages/s', $per_host, $c, $min ), $e ? $e['rate'] : null, $min, 'pages/s' );
	foreach ( array( 'bulk', 'compatible' ) as $sink ) {
		$line( "RTT 50 ms, HTTP/1.1, chunk $c: $sink >= 1.5x tuned-same", ratio( $lat( "lat-$sink", 'h1', $c ), $lat( 'lat-tuned-same', 'h1', $c ) ), 1.5 );
	}
	$line( "RTT 50 ms, HTTP/2, chunk $c: engine >= 2x tuned-same", ratio( $lat( 'lat-engine', 'h2', $c ), $lat( 'lat-tuned-same', 'h2', $c ) ), 2 );
}
if ( ! $lat_chunks ) {
	$line( 'RTT 50 ms (the lat-* rows did not run)', null, 0 );
}
foreach ( array( 1, 2 ) as $p ) {
	$note = "chunk $chunk";
	$line( "local pages, chunk $chunk, p=$p: engine >= 0.9x the ceiling", ratio( row( $rows, 'engine', $p, $note ), row( $rows, 'ceiling', $p, $note ) ), 0.9 );
	$line( "local pages, chunk $chunk, p=$p: bulk >= 0.8x the engine alone", ratio( row( $rows, 'bulk', $p, $note ), row( $rows, 'engine', $p, $note ) ), 0.8 );
	$line( "local pages, chunk $chunk, p=$p: compatible >= 1.3x tuned-same", ratio( row( $rows, 'compatible', $p, $note ), row( $rows, 'tuned-same', $p, $note ) ), 1.3 );
}
$small = row( $rows, 'memory', 1, null, 1000 );
$big   = null;
foreach ( $rows as $r ) {
	if ( 'memory' === $r['scenario'] && $r['urls'] > 1000 && 0 !== strpos( $r['note'], 'FAILED' ) ) {
		$big = $r;
	}
}
// Met when the growth is at most 20 MB: reported as the margin left (20 MB - growth).
$growth = $small && $big ? ( $big['rss'] - $small['rss'] ) * 1.048576 : null;
printf(
	"  %-66s %-7s %s\n",
	'runner RSS flat (within 20 MB), 1,000 to ' . ( $big ? number_format( $big['urls'] ) : '?' ) . ' URLs',
	null === $growth ? 'n/a' : ( abs( $growth ) <= 20 ? 'met' : 'MISSED' ),
	$small && $big ? sprintf( '%.1f MiB -> %.1f MiB peak RSS', $small['rss'], $big['rss'] ) : ''
);

echo "\nEarlier targets\n";
$old = static function ( string $what, ?float $r, float $min, string $f = '%.2fx' ): void {
	printf( "  %-66s %-7s %s\n", $what, null === $r ? 'n/a' : ( $r >= $min ? 'met' : 'MISSED' ), fmt( $r, $f ) );
};
$old( "(a) engine >= 7x naive PHP (c), p=1, chunk $chunk", ratio( row( $rows, 'engine', 1, "chunk $chunk" ), row( $rows, 'naive', 1 ) ), 7, '%.1fx' );
foreach ( array( 1, 2 ) as $p ) {
	$old( "(b) bulk >= 6x naive PHP (c), p=$p", ratio( row( $rows, 'bulk', $p ), row( $rows, 'naive', $p ) ), 6, '%.1fx' );
}
$se = row( $rows, 'submit-engine', 1 );
$sw = row( $rows, 'submit-wp', 1 );
printf(
	"  %-66s %-7s %s\n",
	'a ' . ( $se ? number_format( $se['urls'] ) : '1,000,000' ) . '-URL list accepted in seconds',
	$se ? ( $se['seconds'] < 10 && ( ! $sw || $sw['seconds'] < 10 ) ? 'met' : 'MISSED' ) : 'n/a',
	( $se ? sprintf( 'kbj_import_submit %.2f s', $se['seconds'] ) : '' ) . ( $sw ? sprintf( ', tools/wp kb import %.2f s', $sw['seconds'] ) : '' )
);
