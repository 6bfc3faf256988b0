<?php
/**
 * summary.php RESULTS_CSV URLS CHUNK DELAY_MS - the import benchmark's table and targets, from the
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
$n     = (int) $argv[2];
$chunk = (int) $argv[3];

/** The row of a scenario at p processes (and a note, for the engine's chunk sizes). */
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
function ratio( ?array $a, ?array $b ): ?float {
	return ( $a && $b && $b['rate'] > 0 ) ? $a['rate'] / $b['rate'] : null;
}
function fmt( ?float $x, string $f = '%.2f' ): string {
	return null === $x ? 'n/a' : sprintf( $f, $x );
}

// The ratio column: against the baseline each target names.
$base = array(
	'engine'       => array( 'ceiling', 'naive' ),
	'ceiling+sync' => array( 'ceiling' ),
	'bulk'         => array( 'naive', 'tuned' ),
	'compatible'   => array( 'tuned', 'naive' ),
	'tuned'        => array( 'naive' ),
	'memory'       => array(),
	'lat-engine'     => array( 'lat-naive' ),
	'lat-bulk'       => array( 'lat-naive', 'lat-tuned' ),
	'lat-compatible' => array( 'lat-tuned', 'lat-naive' ),
	'lat-tuned'      => array( 'lat-naive' ),
);
printf( "%-14s %2s %7s %7s %8s %7s %6s %6s %6s %6s %4s %6s %6s  %-28s %s\n", 'scenario', 'p', 'URLs', 'secs', 'pages/s', 'RSS MiB',
	'proc s', 'db s', 'nginx s', 'other s', 'host', 'stmt/p', 'sync/p', 'ratio (same p)', 'note' );
foreach ( $rows as $r ) {
	$ratios = array();
	foreach ( $base[ $r['scenario'] ] ?? array() as $b ) {
		$other = row( $rows, $b, $r['p'], 'ceiling' === $b ? 'batch ' . $chunk : null );
		if ( $other ) {
			$ratios[] = sprintf( '%.2fx %s', ratio( $r, $other ), preg_replace( '/^lat-/', '', $b ) );
		}
	}
	printf( "%-14s %2d %7d %7.2f %8.1f %7s %6s %6s %6s %6s %4s %6s %6s  %-28s %s\n", $r['scenario'], $r['p'], $r['urls'], $r['seconds'],
		$r['rate'], null === $r['rss'] ? '' : sprintf( '%.1f', $r['rss'] ), $r['cpu'], $r['db'], $r['nginx'], $r['others'],
		( '' === $r['host'] ? '' : $r['host'] . '%' ), $r['stmts'], $r['fsyncs'], implode( ', ', $ratios ), $r['note'] );
}

echo "\nsecs: wall time from the start of the processes until the last exited (submits and list writing before it);\n";
echo "RSS: the largest peak RSS of the run's processes; proc s: their CPU (user + system); db s, nginx s: mariadbd's\n";
echo "and nginx's CPU meanwhile; other s: the rest of the machine; host: share of all cores busy; stmt/p, sync/p:\n";
echo "statements MariaDB received (Questions) and InnoDB fsyncs, per page. Ratios: pages/s against the baselines the\n";
echo "targets name, at the same number of processes.\n";
echo "\nTargets\n";
$line = static function ( string $what, ?bool $met, string $detail ): void {
	printf( "  %-58s %-7s %s\n", $what, null === $met ? 'n/a' : ( $met ? 'met' : 'MISSED' ), $detail );
};
foreach ( array( 1, 2 ) as $p ) {
	$r = ratio( row( $rows, 'engine', $p, "chunk $chunk" ), row( $rows, 'ceiling', $p ) );
	$line( "(a) engine within 25% of the ceiling (d), p=$p", null === $r ? null : $r >= 0.75, fmt( $r ) . ' of (d)' );
}
$r = ratio( row( $rows, 'engine', 1, "chunk $chunk" ), row( $rows, 'naive', 1 ) );
$line( '(a) engine >= 7x naive PHP (c), p=1', null === $r ? null : $r >= 7, fmt( $r, '%.1fx' ) );
foreach ( array( 1, 2 ) as $p ) {
	$r = ratio( row( $rows, 'bulk', $p ), row( $rows, 'naive', $p ) );
	$line( "(b) bulk >= 6x naive PHP (c), p=$p", null === $r ? null : $r >= 6, fmt( $r, '%.1fx' ) );
}
foreach ( array( 1, 2 ) as $p ) {
	$r = ratio( row( $rows, 'compatible', $p ), row( $rows, 'tuned', $p ) );
	$line( "(b) compatible >= 1.3x tuned PHP (c'), p=$p", null === $r ? null : $r >= 1.3, fmt( $r, '%.2fx' ) );
}
$small = row( $rows, 'memory', 1, null, 1000 );
$big   = null;
foreach ( $rows as $r ) {
	if ( 'memory' === $r['scenario'] && $r['urls'] > 1000 && 0 !== strpos( $r['note'], 'FAILED' ) ) {
		$big = $r;
	}
}
$line(
	'runner memory flat (within 20 MB), 1,000 to ' . ( $big ? number_format( $big['urls'] ) : '?' ) . ' URLs',
	$small && $big ? abs( $big['rss'] - $small['rss'] ) * 1.048576 <= 20 : null,
	$small && $big ? sprintf( '%.1f MiB -> %.1f MiB peak RSS', $small['rss'], $big['rss'] ) : ''
);
$le = row( $rows, 'lat-engine', 1 );
$ln = row( $rows, 'lat-naive', 1 );
$lb = row( $rows, 'lat-bulk', 1 );
$lc = row( $rows, 'lat-compatible', 1 );
$lt = row( $rows, 'lat-tuned', 1 );
if ( $le || $lb || $lc ) {
	$delay = $argv[4] ?? '?';
	$r     = ratio( $le, $ln );
	$line( "with $delay ms per page: (a) engine >= 7x naive, p=1", null === $r ? null : $r >= 7, fmt( $r, '%.1fx' ) );
	$r = ratio( $lb, $ln );
	$line( "with $delay ms per page: (b) bulk >= 6x naive, p=1", null === $r ? null : $r >= 6, fmt( $r, '%.1fx' ) );
	$r = ratio( $lc, $lt );
	$line( "with $delay ms per page: (b) compatible >= 1.3x tuned, p=1", null === $r ? null : $r >= 1.3, fmt( $r, '%.2fx' ) );
}
$se = row( $rows, 'submit-engine', 1 );
$sw = row( $rows, 'submit-wp', 1 );
$line(
	'a ' . ( $se ? number_format( $se['urls'] ) : '1,000,000' ) . '-URL list accepted in seconds',
	$se ? $se['seconds'] < 10 && ( ! $sw || $sw['seconds'] < 10 ) : null,
	( $se ? sprintf( 'kbj_import_submit %.2f s', $se['seconds'] ) : '' ) . ( $sw ? sprintf( ', tools/wp kb import %.2f s', $sw['seconds'] ) : '' )
);
