<?php
/**
 * KBJobs_Scale: seeds a site with many jobs, opens every screen and REST list route, and
 * checks what those requests asked of the kbjobs tables (see scale.php).
 */

/**
 * The seed, the requests and the checks.
 */
final class KBJobs_Scale {

	/** Every seeded job's public id starts with this (hex, like the engine's ids). */
	const ID_PREFIX = '5ca1e';

	/** Rows examined by one SELECT, at most, as a multiple of the page size. */
	const PAGES_READ_MAX = 10;

	/** The page size of a query without a LIMIT (the screens' default rows per page). */
	const DEFAULT_PAGE = 20;

	/**
	 * SELECTs exempt from the rules, by a pattern of their text, with the reason. The
	 * WP-Cron adapter reads the events WordPress asks for: bounded by the number of
	 * events, not of jobs.
	 */
	const EXEMPT = array(
		'/FROM \w+kbjobs_cron_events WHERE schedule IS NOT NULL OR run_of IS NULL ORDER BY next_run, id$/' => 'the WP-Cron adapter reads every event WordPress asks for',
	);

	/**
	 * The metrics reads (Engine::stats(): ranges of resolutions and times) are held to
	 * their own rule instead of the page rule: the rows they read from the table must not
	 * exceed what the same window would hold from ONE runner (a row per minute, queue,
	 * type and bucket), plus the runners' own rows not merged yet (the last minute's, as
	 * the merge's lag leaves them). Reads that grew with runners would break it.
	 */
	const METRICS_READ = '/FROM \w+kbjobs_metrics(_hist)? WHERE \(\(res = \d+ AND t >= /';

	/** The seeded metrics: 3 queues x 5 types, each with 6 histogram rows, from 2 runners. */
	const METRIC_PAIRS     = 15;
	const METRIC_HIST_ROWS = 6;
	const METRIC_RUNNERS   = 2;

	/** WP-Cron events and runner rows seeded beside the jobs. */
	const CRON_EVENTS = 1000;
	const RUNNERS     = 300;

	/** @var int */
	private $jobs;

	/** @var mysqli Root on the instance's MariaDB (the general log is global). */
	private $root;

	/** @var string */
	private $prefix;

	/** @var string Cookie jar of the administrator's session. */
	private $jar;

	/** @var string */
	private $nonce = '';

	public function __construct( int $jobs ) {
		global $wpdb;
		$this->jobs   = max( 1000, $jobs );
		$this->prefix = $wpdb->prefix;
		$this->root   = mysqli_init();
		if ( ! $this->root->real_connect( 'localhost', 'root', '', getenv( 'KBJOBS_DB_NAME' ), 0, getenv( 'KBJOBS_DB_SOCKET' ) ) ) {
			fwrite( STDERR, "cannot connect as root through the instance's socket\n" );
			exit( 2 );
		}
	}

	private function q( string $sql ) {
		$r = $this->root->query( $sql );
		if ( false === $r ) {
			throw new RuntimeException( $this->root->error . ' in ' . substr( $sql, 0, 300 ) );
		}
		return $r;
	}

	private function t( string $table ): string {
		return $this->prefix . 'kbjobs_' . $table;
	}

	/**
	 * Seeds $this->jobs jobs: finished ones (completed, failed, cancelled) spread over 30
	 * days, 1% queued (due and future) and 100 running; a full Failure Log; audit rows
	 * (a tenth of the jobs); 48 hours of metrics by minute and 90 days by hour; WP-Cron
	 * events and runners' history; then ANALYZE. The rows are copies of a job the engine
	 * submitted, so every column is as the engine writes it.
	 */
	public function seed(): void {
		$t0 = microtime( true );
		$this->unseed(); // what a run stopped midway left
		$eng = KBJobs_Engine::get();
		$eng->submit( 'scale.seed', array( 'n' => 1 ), array( 'queue' => 'scale' ) );
		$jobs = $this->t( 'jobs' );
		$tpl  = (int) $this->q( "SELECT MAX(id) FROM $jobs WHERE type = 'scale.seed'" )->fetch_row()[0];
		$n    = $this->jobs;
		// Each seeded column: the template's value unless set here (s.seq numbers the rows).
		$queued  = max( 10, intdiv( $n, 100 ) );
		$running = 100;
		$held    = max( 10, intdiv( $n, 100 ) ); // in two backlogs, after the queued ones
		$waiting = $running + $queued + $held;
		$set     = array(
			'id'             => 'NULL',
			'public_id'      => "CONCAT('" . self::ID_PREFIX . "', LPAD(LOWER(HEX(s.seq)), 11, '0'))",
			'type'           => "ELT(1 + s.seq % 5, 'scale.fetch', 'scale.render', 'scale.index', 'scale.mail', 'import')",
			'queue'          => "ELT(1 + s.seq % 3, 'default', 'cloud', 'local')",
			'status'         => "CASE WHEN s.seq <= $running THEN 'running' WHEN s.seq <= $running + $queued THEN 'queued'"
				. " WHEN s.seq <= $waiting THEN 'held' WHEN s.seq % 50 = 0 THEN 'failed' WHEN s.seq % 97 = 0 THEN 'cancelled' ELSE 'completed' END",
			'title'          => "CONCAT('Seeded job ', s.seq)",
			'backlog'        => "CASE WHEN s.seq > $running + $queued AND s.seq <= $waiting THEN ELT(1 + s.seq % 2, 'scale-nightly', 'scale-weekly')"
				. " WHEN s.seq % 7 = 0 THEN 'scale-nightly' END",
			'attempts'       => 'CASE WHEN s.seq % 50 = 0 THEN 3 ELSE 1 END',
			'uniq_active'    => 'NULL',
			'uniq_retained'  => 'NULL',
			'unique_key'     => 'NULL',
			'concurrency_key' => 'NULL',
			'lease_owner'    => "IF(s.seq <= $running, 'feedfeedfeedfeed', NULL)",
			'lease_token'    => "IF(s.seq <= $running, s.seq, 0)",
			'lease_expires'  => "IF(s.seq <= $running, NOW(6) + INTERVAL 1 HOUR, NULL)",
			'created_at'     => "NOW(6) - INTERVAL ($n - s.seq) * 2592 / $n * 1000 SECOND",
			'run_at'         => "IF(s.seq > $running AND s.seq <= $running + $queued AND s.seq % 2 = 0, NOW(6) + INTERVAL s.seq SECOND,"
				. " NOW(6) - INTERVAL ($n - s.seq) * 2592 / $n * 1000 SECOND)",
			'started_at'     => "IF(s.seq > $running AND s.seq <= $waiting, NULL, NOW(6) - INTERVAL ($n - s.seq) * 2592 / $n * 1000 SECOND + INTERVAL 1 SECOND)",
			'finished_at'    => "IF(s.seq <= $waiting, NULL, NOW(6) - INTERVAL ($n - s.seq) * 2592 / $n * 1000 SECOND + INTERVAL 2 SECOND)",
			'updated_at'     => 'NOW(6)',
			'error'          => "IF(s.seq % 50 = 0, 'seeded failure', NULL)",
		);
		foreach ( kbjobs_test_clone_jobs_sql( $tpl, $n, $set ) as $sql ) {
			$this->q( $sql );
		}
		$this->q( kbjobs_test_jobs_sql( "DELETE FROM $jobs WHERE id = $tpl" ) );

		// A full Failure Log (the newest failed jobs) and audit rows.
		$failures = $this->t( 'failures' );
		$this->q( "INSERT IGNORE INTO $failures (job_id, public_id, kind, type, message, attempts, failed_at)"
			. " SELECT id, public_id, 'job', type, 'seeded failure', attempts, finished_at FROM $jobs"
			. " WHERE status = 'failed' AND public_id LIKE '" . self::ID_PREFIX . "%' ORDER BY id DESC LIMIT 50" );
		$audit = $this->t( 'audit' );
		$na    = intdiv( $n, 10 );
		$this->q( "INSERT INTO $audit (at, user_id, user_login, source, action, target, outcome, detail)"
			. " SELECT NOW(6) - INTERVAL ($na - s.seq) * 60 SECOND, 1, 'admin', 'rest', ELT(1 + s.seq % 3, 'job.cancel', 'job.rerun', 'queue.pause'),"
			. " CONCAT('job:', '" . self::ID_PREFIX . "', LPAD(LOWER(HEX(s.seq)), 11, '0')), 'ok', 'scale.seed' FROM seq_1_to_$na s" );
		// 48 hours of minute metrics from two runners and 90 days of hourly rollups, for
		// 3 queues and 5 types, with a wait and a run histogram of three buckets each. As
		// the runners' merge leaves them: complete minutes in runner-free rows (the two
		// runners' sums), the current minute still in each runner's own rows (res 0).
		$metrics = $this->t( 'metrics' );
		$hist    = $this->t( 'metrics_hist' );
		$combo   = "ELT(1 + c.seq % 3, 'default', 'cloud', 'local'), CONCAT('scale.', ELT(1 + (c.seq DIV 3) % 5, 'a', 'b', 'c', 'd', 'e'))";
		$pairs   = self::METRIC_PAIRS;
		$runners = self::METRIC_RUNNERS;
		$each    = array( 12, 10, 1, 1, 1200, 5000 ); // one runner's minute of one pair
		foreach ( array(
			array( 0, 1, $pairs * $runners, "CONCAT('" . self::ID_PREFIX . "', LPAD(c.seq DIV $pairs, 11, '0'))", 1, 'UNIX_TIMESTAMP() DIV 60 * 60' ),
			array( 60, 2880, $pairs, "''", $runners, '(UNIX_TIMESTAMP() DIV 60) * 60 - 60 * (1 + s.seq)' ),
			array( 3600, 2160, $pairs, "''", $runners, '(UNIX_TIMESTAMP() DIV 3600) * 3600 - 3600 * (1 + s.seq)' ),
		) as $m ) {
			list( $res, $steps, $combos, $runner, $times, $t ) = $m;
			$values = implode( ', ', array_map( static function ( $v ) use ( $times ) { return $v * $times; }, $each ) );
			$this->q( "INSERT INTO $metrics (res, t, queue, type, runner, started, completed, failed, retried, wait_sum_ms, run_sum_ms)"
				. " SELECT $res, $t, $combo, $runner, $values"
				. ' FROM seq_0_to_' . ( $steps - 1 ) . ' s JOIN seq_0_to_' . ( $combos - 1 ) . ' c' );
			$this->q( "INSERT INTO $hist (res, t, queue, type, runner, kind, bucket, n)"
				. " SELECT $res, $t, $combo, $runner, k.seq DIV 3, 10 + k.seq % 3 + 4 * (k.seq DIV 3), " . ( 4 * $times )
				. ' FROM seq_0_to_' . ( $steps - 1 ) . ' s JOIN seq_0_to_' . ( $combos - 1 ) . ' c JOIN seq_0_to_' . ( self::METRIC_HIST_ROWS - 1 ) . ' k' );
		}

		// as on a site whose hourly rollup ran: hours before the last one read as hourly rows
		$this->q( 'INSERT INTO ' . $this->t( 'meta' ) . " (name, value) VALUES ('metrics_rolled_until', (UNIX_TIMESTAMP() DIV 3600) * 3600 - 3600)"
			. ' ON DUPLICATE KEY UPDATE value = VALUES(value)' );

		// WP-Cron events (a site with many, none due for a day) and runners' history.
		$this->q( 'INSERT INTO ' . $this->t( 'cron_events' ) . ' (hook, args_key, args, args_php, schedule, interval_seconds,'
			. ' next_run, due_at, created_at, updated_at) SELECT \'kbjobs_scale_event\', MD5(s.seq), CONCAT(\'[\', s.seq, \']\'),'
			. ' CONCAT(\'a:1:{i:0;i:\', s.seq, \';}\'), NULL, 0, UNIX_TIMESTAMP() + 86400 + s.seq, UNIX_TIMESTAMP() + 86400 + s.seq,'
			. ' NOW(6), NOW(6) FROM seq_1_to_' . self::CRON_EVENTS . ' s' );
		$this->q( 'INSERT INTO ' . $this->t( 'runners' ) . ' (public_id, host, pid, version, queues, started_at, heartbeat_at, stopped_at)'
			. " SELECT CONCAT('" . self::ID_PREFIX . "', LPAD(LOWER(HEX(s.seq)), 11, '0')), 'scale-host', s.seq, '0', 'default',"
			. ' NOW(6) - INTERVAL s.seq * 10 MINUTE, NOW(6) - INTERVAL s.seq * 10 MINUTE + INTERVAL 5 MINUTE,'
			. ' NOW(6) - INTERVAL s.seq * 10 MINUTE + INTERVAL 5 MINUTE FROM seq_1_to_' . self::RUNNERS . ' s' );
		foreach ( array( 'job_state', 'job_data', 'failures', 'audit', 'attempts', 'runners', 'queues', 'cron_events', 'cron_runs', 'metrics', 'metrics_hist' ) as $table ) {
			$this->q( 'ANALYZE TABLE ' . $this->t( $table ) )->fetch_all();
		}
		printf( "seeded %d jobs (%d queued, %d running), 50 failures, %d audit rows in %.1f s\n", $n, $queued, $running, $na, microtime( true ) - $t0 );
	}

	/** Removes what seed() added. */
	public function unseed(): void {
		$like = self::ID_PREFIX . '%';
		$this->q( 'DELETE FROM ' . $this->t( 'failures' ) . " WHERE public_id LIKE '$like'" );
		$this->q( 'DELETE FROM ' . $this->t( 'audit' ) . " WHERE detail = 'scale.seed'" );
		$this->q( kbjobs_test_jobs_sql( 'DELETE FROM ' . $this->t( 'jobs' ) . " WHERE public_id LIKE '$like'" ) );
		$this->q( 'DELETE FROM ' . $this->t( 'job_data' ) . " WHERE public_id LIKE '$like'" ); // a seed stopped between its two inserts
		$this->q( 'DELETE FROM ' . $this->t( 'runners' ) . " WHERE public_id LIKE '$like'" );
		$this->q( 'DELETE FROM ' . $this->t( 'metrics' ) . " WHERE type LIKE 'scale.%'" );
		$this->q( 'DELETE FROM ' . $this->t( 'metrics_hist' ) . " WHERE type LIKE 'scale.%'" );
		$this->q( 'DELETE FROM ' . $this->t( 'cron_events' ) . " WHERE hook = 'kbjobs_scale_event'" );
	}

	/**
	 * Logs in, then opens every screen and REST list route with the general log on.
	 *
	 * @param bool $timings Also time each request ten times (median, with the slowest query).
	 * @return array{requests:array,selects:array,errors:int}
	 */
	public function measure( bool $timings ): array {
		$this->login();
		$targets = $this->targets();
		$report  = array( 'requests' => array(), 'selects' => array(), 'errors' => 0 );
		$this->q( "SET GLOBAL log_output = 'TABLE'" );
		$this->q( 'TRUNCATE mysql.general_log' );
		$this->q( 'SET GLOBAL general_log = 1' );
		$mine = (int) $this->q( 'SELECT CONNECTION_ID()' )->fetch_row()[0];
		try {
			foreach ( $targets as $target ) {
				$from = $this->q( 'SELECT NOW(6)' )->fetch_row()[0];
				$r    = $this->request( $target );
				$to   = $this->q( 'SELECT NOW(6)' )->fetch_row()[0];
				$sqls = $this->logged( $from, $to, $mine );
				$report['requests'][] = array(
					'kind'    => $target['kind'],
					'path'    => $target['path'],
					'status'  => $r['status'],
					'ms'      => $r['ms'],
					'queries' => count( $sqls ),
				);
				// GET /reconcile answers 404 until a reconciliation has run: whether one has
				// depends on what the suites before this one left; its queries are checked the same
				$no_report_yet = 404 === $r['status'] && '/wp-json/kbjobs/v1/reconcile' === $target['path']
					&& false !== strpos( $r['body'], '"kbjobs_not_found"' );
				if ( 200 !== $r['status'] && ! $no_report_yet ) {
					++$report['errors'];
					printf( "ERROR: %s answered %d: %s\n", $target['path'], $r['status'], substr( wp_strip_all_tags( $r['body'] ), 0, 300 ) );
				}
				foreach ( $sqls as $sql ) {
					$key = $this->shape( $sql );
					if ( ! isset( $report['selects'][ $key ] ) ) {
						$report['selects'][ $key ] = array( 'sql' => $sql, 'from' => array() );
					} elseif ( self::span( $sql ) > self::span( $report['selects'][ $key ]['sql'] ) ) {
						// of metrics reads of one shape (the last 15 minutes, the last hour), the widest is checked
						$report['selects'][ $key ]['sql'] = $sql;
					}
					$report['selects'][ $key ]['from'][ $target['path'] ] = true;
				}
			}
		} finally {
			$this->q( 'SET GLOBAL general_log = 0' );
		}
		if ( $timings ) {
			$this->time_requests( $targets, $report, $mine );
		}
		return $report;
	}

	/**
	 * Times each target ten times: the server's own time (a screen's from current_screen
	 * to the end of rendering, a REST route's handler; tests/bench/scale/kbb-timing.php
	 * reports them) and the full response time, medians; and the slowest statement on a
	 * kbjobs table in those ten requests, from the slow log (long_query_time 0, set
	 * globally before the server started, so every connection of the server logs).
	 */
	private function time_requests( array $targets, array &$report, int $mine ): void {
		$this->q( 'TRUNCATE mysql.slow_log' );
		$this->q( 'SET GLOBAL slow_query_log = 1' );
		try {
			foreach ( $targets as $i => $target ) {
				$full   = array();
				$server = array();
				$from   = $this->q( 'SELECT NOW(6)' )->fetch_row()[0];
				for ( $k = 0; $k < 10; $k++ ) {
					$r      = $this->request( $target );
					$full[] = $r['ms'];
					if ( preg_match( '/<!-- kbb-screen-ms ([0-9.]+) -->/', $r['body'], $m ) || preg_match( '/^x-kbb-handler-ms: *([0-9.]+)/mi', $r['head'], $m ) ) {
						$server[] = (float) $m[1];
					}
				}
				$to   = $this->q( 'SELECT NOW(6)' )->fetch_row()[0];
				$like = str_replace( '_', '\\_', $this->prefix . 'kbjobs_' );
				$slow = $this->q(
					"SELECT TIME_TO_SEC(query_time) * 1000, sql_text FROM mysql.slow_log WHERE start_time BETWEEN '$from' AND '$to'"
					. " AND thread_id <> $mine AND CONVERT(sql_text USING utf8mb4) LIKE '%$like%' ORDER BY query_time DESC LIMIT 1"
				)->fetch_row();
				$report['requests'][ $i ] += array(
					'median_ms'        => self::median( $full ),
					'server_median_ms' => $server ? self::median( $server ) : null,
					'slowest_ms'       => $slow ? (float) $slow[0] : null,
					'slowest_sql'      => $slow ? substr( (string) $slow[1], 0, 400 ) : null,
				);
			}
		} finally {
			$this->q( 'SET GLOBAL slow_query_log = 0' );
		}
	}

	private static function median( array $v ): float {
		sort( $v );
		$n = count( $v );
		return $n % 2 ? $v[ intdiv( $n, 2 ) ] : ( $v[ $n / 2 - 1 ] + $v[ $n / 2 ] ) / 2;
	}

	/**
	 * Checks each SELECT: no full scan, and at most 10 pages of rows read.
	 *
	 * @return array<int,array{why:string,sql:string,from:string[],explain:string}>
	 */
	public function check( array &$report ): array {
		$bad = array();
		foreach ( $report['selects'] as $key => $s ) {
			$sql    = $s['sql'];
			$from   = array_keys( $s['from'] );
			$exempt = null;
			foreach ( self::EXEMPT as $pattern => $why ) {
				if ( preg_match( $pattern, $sql ) ) {
					$exempt = $why;
				}
			}
			$plan = $this->q( 'EXPLAIN ' . $sql )->fetch_all( MYSQLI_ASSOC );
			$this->q( 'FLUSH STATUS' );
			$res = $this->q( $sql );
			if ( $res instanceof mysqli_result ) {
				$res->free();
			}
			$read = 0;
			foreach ( $this->q( "SHOW SESSION STATUS LIKE 'Handler_read%'" )->fetch_all() as $row ) {
				$read += (int) $row[1];
			}
			$page = preg_match( '/\bLIMIT\s+(?:\d+\s*,\s*)?(\d+)(?:\s+OFFSET\s+\d+)?\s*$/i', $sql, $m ) ? max( 1, (int) $m[1] ) : self::DEFAULT_PAGE;
			if ( 0 === strpos( $sql, 'SELECT 1 FROM ' ) ) {
				// A bounded count (kbj_store_count_upto): its LIMIT is its cap, not a page;
				// it serves a screen of the default page, so it is held to that page's rows.
				$page = self::DEFAULT_PAGE;
			}
			$full = array();
			foreach ( $plan as $p ) {
				// a scan of a table this small is the optimiser's choice, and costs no more
				// than the rows rule allows (the seeded tables are all larger)
				if ( 'ALL' === $p['type'] && ! preg_match( '/^<(derived|subquery|union)/', (string) $p['table'] )
					&& (int) $p['rows'] > self::PAGES_READ_MAX * $page ) {
					$full[] = $p['table'];
				}
			}
			$explain = implode(
				'; ',
				array_map(
					static function ( $p ) {
						return sprintf( '%s type=%s key=%s rows=%s %s', $p['table'], $p['type'], $p['key'] ?? '-', $p['rows'] ?? '-', $p['Extra'] ?? '' );
					},
					$plan
				)
			);
			$report['selects'][ $key ] += array(
				'rows_read' => $read,
				'page'      => $page,
				'explain'   => $explain,
				'exempt'    => $exempt,
			);
			if ( null !== $exempt ) {
				continue;
			}
			$why = null;
			if ( $full ) {
				$why = 'full scan of ' . implode( ', ', $full );
			} elseif ( preg_match( self::METRICS_READ, $sql, $m ) ) {
				$rows  = $this->rows_examined( $sql );
				$bound = $this->metrics_bound( $sql, empty( $m[1] ) ? 1 : self::METRIC_HIST_ROWS );
				$report['selects'][ $key ] += array(
					'rows_examined' => $rows,
					'metrics_bound' => $bound,
				);
				if ( $rows > $bound ) {
					$why = sprintf( '%d rows read from the table, above the %d one runner\'s rows of that window (and the rows not merged yet) hold', $rows, $bound );
				}
			} elseif ( $read > self::PAGES_READ_MAX * $page ) {
				$why = sprintf( '%d rows read for a page of %d', $read, $page );
			}
			if ( null === $why ) {
				continue;
			}
			$report['selects'][ $key ]['broken'] = $why;
			$bad[]                               = array( 'why' => $why, 'sql' => $sql, 'from' => $from, 'explain' => $explain );
		}
		return $bad;
	}

	/** The seconds a metrics read's ranges cover (0 for any other SELECT). */
	private static function span( string $sql ): int {
		$span = 0;
		if ( preg_match( self::METRICS_READ, $sql ) && preg_match_all( '/ AND t >= (-?\d+) AND t < (-?\d+)\)/', $sql, $m, PREG_SET_ORDER ) ) {
			foreach ( $m as $r ) {
				$span += (int) $r[2] - (int) $r[1];
			}
		}
		return $span;
	}

	/** Rows a single-table SELECT reads from its table (ANALYZE's r_rows). */
	private function rows_examined( string $sql ): int {
		$rows = 0;
		foreach ( $this->q( 'ANALYZE ' . $sql )->fetch_all( MYSQLI_ASSOC ) as $p ) {
			$rows += (int) ceil( (float) $p['r_rows'] );
		}
		return $rows;
	}

	/**
	 * What a metrics read's ranges would hold from ONE of the seeded runners: a row per
	 * pair (and histogram row) per minute or hour, plus the runners' own rows (res 0)
	 * actually there, those the merge has not reached yet.
	 *
	 * @param int $per Rows per pair: 1 for the counters, METRIC_HIST_ROWS for the histograms.
	 */
	private function metrics_bound( string $sql, int $per ): int {
		$table = preg_match( '/FROM (\w+) WHERE/', $sql, $m ) ? $m[1] : '';
		preg_match_all( '/\(res = (\d+) AND t >= (-?\d+) AND t < (-?\d+)\)/', $sql, $ranges, PREG_SET_ORDER );
		$bound = 0;
		foreach ( $ranges as $r ) {
			list( , $res, $from, $to ) = array_map( 'intval', $r );
			if ( 0 === $res ) {
				$bound += (int) $this->q( "SELECT COUNT(*) FROM $table WHERE res = 0 AND t >= $from AND t < $to" )->fetch_row()[0];
			} else {
				$bound += (int) ceil( ( $to - $from ) / $res ) * self::METRIC_PAIRS * $per;
			}
		}
		return $bound;
	}

	/**
	 * Every Operations screen (the job screen with a seeded job) and every REST GET route
	 * of kbjobs/v1 without a path parameter, plus one job's routes.
	 *
	 * @return array<int,array{kind:string,path:string}>
	 */
	private function targets(): array {
		$job = self::ID_PREFIX . str_pad( dechex( 200 ), 11, '0', STR_PAD_LEFT );
		$out = array();
		foreach ( KBJobs_Admin::SCREENS as $class_name ) {
			$screen = new $class_name();
			$slug   = 'KBJobs_Admin_Overview' === $class_name ? KBJobs_Admin::SLUG : KBJobs_Admin::SLUG . '-' . $screen->slug();
			$path   = '/wp-admin/admin.php?page=' . $slug;
			if ( 'job' === $screen->slug() ) {
				$path .= '&id=' . $job;
			}
			$out[] = array( 'kind' => 'page', 'path' => $path );
		}
		foreach ( rest_get_server()->get_routes( 'kbjobs/v1' ) as $route => $handlers ) {
			$get = false;
			foreach ( $handlers as $h ) {
				$get = $get || ! empty( $h['methods']['GET'] );
			}
			if ( ! $get || '/kbjobs/v1' === $route ) {
				continue;
			}
			if ( false === strpos( $route, '(?P<' ) ) {
				$out[] = array( 'kind' => 'rest', 'path' => '/wp-json' . $route );
			} elseif ( preg_match( '#^/kbjobs/v1/jobs/\(\?P<id>[^)]*\)(/[a-z]+)?$#', $route, $m ) ) {
				$out[] = array( 'kind' => 'rest', 'path' => '/wp-json/kbjobs/v1/jobs/' . $job . ( $m[1] ?? '' ) );
			}
		}
		return $out;
	}

	/** The SELECTs on kbjobs tables logged between two times, but this harness's own. */
	private function logged( string $from, string $to, int $mine ): array {
		$like = str_replace( '_', '\\_', $this->prefix . 'kbjobs_' );
		$r    = $this->q(
			"SELECT argument FROM mysql.general_log WHERE event_time BETWEEN '$from' AND '$to' AND thread_id <> $mine"
			. " AND command_type IN ('Query', 'Execute') AND CONVERT(argument USING utf8mb4) LIKE '%$like%'"
		);
		$out = array();
		foreach ( $r->fetch_all() as $row ) {
			$sql = trim( (string) $row[0] );
			if ( preg_match( '/^\(?\s*(SELECT|WITH)\b/i', $sql ) && ! preg_match( '/\bFOR UPDATE\b/i', $sql ) ) {
				$out[] = $sql;
			}
		}
		return $out;
	}

	/** A query's shape: its text with numbers and strings made placeholders. */
	private function shape( string $sql ): string {
		return preg_replace( array( "/'(?:[^'\\\\]|\\\\.)*'/", '/\b\d+(\.\d+)?\b/' ), array( '?', '?' ), $sql );
	}

	private function login(): void {
		$this->jar = tempnam( sys_get_temp_dir(), 'kbjobs-scale-' );
		$this->http( 'GET', '/wp-login.php' );
		$r = $this->http(
			'POST',
			'/wp-login.php',
			http_build_query(
				array(
					'log'        => getenv( 'KBJOBS_ADMIN_USER' ),
					'pwd'        => getenv( 'KBJOBS_ADMIN_PASSWORD' ),
					'testcookie' => 1,
					'wp-submit'  => 'Log In',
				)
			),
			array( 'Content-Type: application/x-www-form-urlencoded' )
		);
		if ( 302 !== $r['status'] ) {
			fwrite( STDERR, "cannot log in as the administrator: HTTP {$r['status']}\n" );
			exit( 2 );
		}
		$this->nonce = trim( $this->http( 'GET', '/wp-admin/admin-ajax.php?action=rest-nonce' )['body'] );
	}

	private function request( array $target ): array {
		$headers = 'rest' === $target['kind'] ? array( 'X-WP-Nonce: ' . $this->nonce ) : array();
		return $this->http( 'GET', $target['path'], null, $headers );
	}

	private function http( string $method, string $path, ?string $body = null, array $headers = array() ): array {
		$ch = curl_init( getenv( 'KBJOBS_WP_URL' ) . $path );
		curl_setopt_array(
			$ch,
			array(
				CURLOPT_CUSTOMREQUEST  => $method,
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_HTTPHEADER     => $headers,
				CURLOPT_TIMEOUT        => 120,
				CURLOPT_COOKIEFILE     => $this->jar,
				CURLOPT_COOKIEJAR      => $this->jar,
				CURLOPT_HEADER         => true,
			)
		);
		if ( null !== $body ) {
			curl_setopt( $ch, CURLOPT_POSTFIELDS, $body );
		}
		$t0  = microtime( true );
		$out = curl_exec( $ch );
		$ms  = ( microtime( true ) - $t0 ) * 1000;
		$st  = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
		$hl  = (int) curl_getinfo( $ch, CURLINFO_HEADER_SIZE );
		curl_close( $ch );
		return array(
			'status' => $st,
			'head'   => substr( (string) $out, 0, $hl ),
			'body'   => substr( (string) $out, $hl ),
			'ms'     => $ms,
		);
	}
}
