<?php
/**
 * Reconciliation as the site runs it: one combined job of two phases, `files` (the
 * engine's native `reconcile`, weight 70: the artifact index against artifacts/, job rows
 * against their files) then `posts` (the plugin's `reconcile.posts`, weight 30: posts
 * and import records; see KBJobs_Reconcile_Posts). Both phases run under the combined
 * job's id and write one report, `logs/<job>.reconcile.jsonl`: the native phase's lines,
 * then the posts phase's.
 *
 * One at a time: the job's unique key (scope active) and concurrency key are
 * `kbjobs.reconcile`, and it holds the resource of that name the native type uses, so
 * neither a second combined job nor a bare `reconcile` job runs beside it. A daily
 * WP-Cron event (kbjobs_reconcile_daily) starts one, quietly skipping a day when one is
 * still queued or running.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Starts reconciliations and reads their reports.
 */
final class KBJobs_Reconcile {

	const HOOK = 'kbjobs_reconcile_daily';

	/**
	 * The unique key, concurrency key and resource of the job.
	 */
	const KEY = 'kbjobs.reconcile';

	/**
	 * The sources start() accepts.
	 */
	const SOURCES = array( 'manual', 'cron', 'cli', 'rest' );

	/**
	 * Findings a page of findings() may hold at most.
	 */
	const MAX_PAGE = 1000;

	/**
	 * Hooks the daily event and the posts phase's type.
	 */
	public static function init(): void {
		KBJobs_Reconcile_Posts::register();
		add_action( self::HOOK, array( self::class, 'daily' ) );
		add_action( 'init', array( self::class, 'schedule' ) );
	}

	/**
	 * Schedules the daily reconciliation when it is not scheduled yet.
	 */
	public static function schedule(): void {
		if ( ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + 2 * HOUR_IN_SECONDS, 'daily', self::HOOK );
		}
	}

	/**
	 * The daily event: starts one, unless one is queued or running (then nothing).
	 *
	 * @return string The job started, or '' when none was.
	 */
	public static function daily(): string {
		$made = self::start( array( 'source' => 'cron' ) );
		if ( is_wp_error( $made ) ) {
			if ( 'kbjobs_reconcile_running' !== $made->get_error_code() ) {
				// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- a WP-Cron callback has no one to answer; tomorrow tries again.
				error_log( 'kbjobs daily reconcile: ' . $made->get_error_message() );
			}
			return '';
		}
		return $made['id'];
	}

	/**
	 * Submits a reconciliation.
	 *
	 * @param array<string,mixed> $args grace_seconds (1..86400), shallow (bool), keep
	 *                                  (1..1000), source (manual|cron|cli|rest), page
	 *                                  (posts a page in the posts phase, 1..1000).
	 * @return array{id:string}|WP_Error kbjobs_reconcile_running (409, data id) when one is
	 *                                   queued or running; kbjobs_invalid (400).
	 */
	public static function start( array $args = array() ) {
		$source = (string) ( $args['source'] ?? 'manual' );
		if ( ! in_array( $source, self::SOURCES, true ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'The source must be manual, cron, cli or rest.', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		$files = array();
		foreach ( array( 'grace_seconds', 'keep' ) as $key ) {
			if ( isset( $args[ $key ] ) ) {
				$files[ $key ] = (int) $args[ $key ];
			}
		}
		if ( isset( $args['shallow'] ) ) {
			$files['shallow'] = (bool) $args['shallow'];
		}
		// The token tells this call's job from one the unique key already held: submitting
		// while one is active returns that job's id, whose token is another.
		$token = wp_generate_password( 24, false );
		$posts = array(
			'token'         => $token,
			'grace_seconds' => (int) ( $files['grace_seconds'] ?? 600 ),
		);
		if ( isset( $args['page'] ) ) {
			$posts['page'] = (int) $args['page'];
		}
		try {
			$engine = KBJobs_Engine::get();
			$made   = $engine->submitCombined(
				array(
					array(
						'name'   => 'files',
						'type'   => 'reconcile',
						'params' => $files,
						'weight' => 70,
					),
					array(
						'name'   => 'posts',
						'type'   => KBJobs_Reconcile_Posts::TYPE,
						'params' => $posts,
						'weight' => 30,
					),
				),
				array(
					'queue'           => 'default',
					'concurrency_key' => self::KEY,
					'unique_key'      => self::KEY,
					'unique_scope'    => 'active',
					'resources'       => array(
						array(
							'name' => self::KEY,
							'op'   => 'scan',
						),
					),
				)
			);
			$job    = $engine->get( $made['id'] );
		} catch ( \ValueError $e ) {
			return new WP_Error( 'kbjobs_invalid', $e->getMessage(), array( 'status' => 400 ) );
		} catch ( \Throwable $e ) {
			return KBJobs_Action::error_from( $e );
		}
		$phases = $job->params['phases'] ?? array();
		if ( ( $phases[1]['params']['token'] ?? '' ) !== $token ) {
			return new WP_Error(
				'kbjobs_reconcile_running',
				/* translators: %s: job id */
				sprintf( __( 'A reconciliation is already queued or running (job %s).', 'kb-jobs' ), $made['id'] ),
				array(
					'status' => 409,
					'id'     => $made['id'],
				)
			);
		}
		if ( 'cron' === $source ) {
			// An operator's start (screen, REST, CLI) is audited by KBJobs_Action::run
			// around this call (KBJobs_Actions_Reconcile::start); the daily event has no such wrapper.
			KBJobs_Audit::record( 'reconcile.start', $made['id'], 'ok', array( 'source' => $source ) + $files );
		}
		return array( 'id' => $made['id'] );
	}

	/**
	 * The newest reconciliation's id, or null when none was ever run (or retention
	 * removed them all).
	 *
	 * @return string|null
	 */
	public static function latest_id(): ?string {
		$jobs = KBJobs_Engine::get()->list(
			array(
				'type'              => 'combined',
				'unique_key_prefix' => self::KEY,
				'limit'             => 1,
			)
		)['jobs'];
		return $jobs ? $jobs[0]->id : null;
	}

	/**
	 * The report of a reconciliation.
	 *
	 * @param string|null $job_id A reconciliation's id; null for the newest.
	 * @return array<string,mixed>|null Null when there is none (or $job_id is not one).
	 */
	public static function report( ?string $job_id = null ): ?array {
		$job_id = null === $job_id ? self::latest_id() : $job_id;
		if ( null === $job_id || ! self::valid_id( $job_id ) ) {
			return null;
		}
		try {
			$job = KBJobs_Engine::get()->get( $job_id );
		} catch ( \KBJobs\NotFoundException $e ) {
			return null;
		}
		if ( ! self::is_reconcile( $job ) ) {
			return null;
		}
		$row     = $job->toArray();
		$counts  = array_fill_keys( KBJobs_Reconcile_Posts::KINDS, 0 );
		$scanned = 0;
		$results = is_array( $row['result'] ) ? (array) ( $row['result']['phase_results'] ?? array() ) : array();
		foreach ( array( 'files', 'posts' ) as $phase ) {
			$result = $results[ $phase ] ?? null;
			if ( ! is_array( $result ) ) {
				continue;
			}
			foreach ( (array) ( $result['counts'] ?? array() ) as $kind => $n ) {
				if ( isset( $counts[ $kind ] ) ) {
					$counts[ $kind ] += (int) $n;
				}
			}
			$scanned += 'files' === $phase ? (int) ( $result['scanned']['items'] ?? 0 ) : (int) array_sum( (array) ( $result['scanned'] ?? array() ) );
		}
		$total = (int) $row['progress_total'];
		$first = self::findings( $job_id, 0, 50 );
		return array(
			'id'          => $job_id,
			'status'      => (string) $row['status'],
			'created_at'  => self::unix( $row['created_at'] ),
			'finished_at' => self::unix( $row['finished_at'] ),
			'progress'    => $total > 0 ? (int) min( 100, floor( 100 * (int) $row['progress_done'] / $total ) ) : ( 'completed' === $row['status'] ? 100 : 0 ),
			'eta'         => in_array( $row['status'], array( 'queued', 'running' ), true ) && null !== $job->eta() ? (int) ceil( $job->eta() ) : null,
			'counts'      => $counts,
			'total'       => array_sum( $counts ),
			'scanned'     => $scanned,
			'first'       => is_wp_error( $first ) ? array() : $first['findings'],
			'error'       => null === $row['error'] || '' === $row['error'] ? null : (string) $row['error'],
		);
	}

	/**
	 * A page of a reconciliation's findings, from a byte offset of its report.
	 *
	 * @param string      $job_id A reconciliation's id.
	 * @param int         $cursor Byte offset of a line's start (0: the first line).
	 * @param int         $limit  Lines read at most (1..1000); with $kind, fewer may match.
	 * @param string|null $kind   Only findings of this kind.
	 * @return array{findings:array<int,array<string,mixed>>,next_cursor:?int}|WP_Error
	 *         next_cursor null once the end is read; kbjobs_not_found (404),
	 *         kbjobs_invalid (400).
	 */
	public static function findings( string $job_id, int $cursor = 0, int $limit = 100, ?string $kind = null ) {
		if ( ! self::valid_id( $job_id ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'A job id is 16 hexadecimal characters.', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		if ( null !== $kind && ! in_array( $kind, KBJobs_Reconcile_Posts::KINDS, true ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'The kind must be ghost, orphan, drift, dangling or unsafe.', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		$limit = max( 1, min( self::MAX_PAGE, $limit ) );
		$path  = KBJobs_Reconcile_Posts::report_path( $job_id );
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fopen -- a report of the data directory, read from a byte offset.
		$file = is_file( $path ) ? fopen( $path, 'rb' ) : false;
		if ( false === $file ) {
			/* translators: %s: job id */
			return new WP_Error( 'kbjobs_not_found', sprintf( __( 'Reconciliation %s has no report.', 'kb-jobs' ), $job_id ), array( 'status' => 404 ) );
		}
		try {
			$size = (int) fstat( $file )['size'];
			if ( $cursor < 0 || $cursor > $size ) {
				return new WP_Error( 'kbjobs_invalid', __( 'The cursor is not in the report.', 'kb-jobs' ), array( 'status' => 400 ) );
			}
			if ( $cursor > 0 ) {
				// A cursor is where a line starts: the byte before it ends a line.
				fseek( $file, $cursor - 1 );
				if ( "\n" !== fread( $file, 1 ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fread
					return new WP_Error( 'kbjobs_invalid', __( 'The cursor is not at the start of a line.', 'kb-jobs' ), array( 'status' => 400 ) );
				}
			}
			fseek( $file, $cursor );
			$out = array();
			$at  = $cursor;
			for ( $read = 0; $read < $limit; $read++ ) {
				$line = fgets( $file, 1 << 20 );
				if ( false === $line || "\n" !== substr( $line, -1 ) ) {
					break; // The end, or a torn last line (a phase writing it now).
				}
				$at     += strlen( $line );
				$finding = json_decode( $line, true );
				if ( is_array( $finding ) && ( null === $kind || ( $finding['kind'] ?? '' ) === $kind ) ) {
					$out[] = $finding;
				}
			}
			return array(
				'findings'    => $out,
				'next_cursor' => $at < $size && $read >= $limit ? $at : null,
			);
		} finally {
			fclose( $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fclose
		}
	}

	/**
	 * Whether a job is a reconciliation started here.
	 *
	 * @param \KBJobs\Job $job A job.
	 * @return bool
	 */
	private static function is_reconcile( \KBJobs\Job $job ): bool {
		return 'combined' === $job->type && self::KEY === $job->uniqueKey;
	}

	/**
	 * Whether a string is a job id (so it can name a file).
	 *
	 * @param string $id The id.
	 * @return bool
	 */
	private static function valid_id( string $id ): bool {
		return 1 === preg_match( '/^[0-9a-f]{16}$/D', $id );
	}

	/**
	 * A time of Job::toArray() as Unix seconds, or null.
	 *
	 * @param mixed $t The time.
	 * @return int|null
	 */
	private static function unix( $t ): ?int {
		return null === $t ? null : (int) $t;
	}
}
