<?php
/**
 * The hourly metrics rollup (kbjobs_hourly) and the daily cleanup (WP-Cron hook
 * kbjobs_daily): submits the engine's native `cleanup` job
 * (finished jobs with their files, logs, metrics rollup, audit entries, quarantine, stale
 * checkpoints: its retentions from KBJobs_Settings), and itself removes list uploads left
 * unfinished for a day and WP-Cron run history past its retention (30 days and 100 runs
 * per hook by default: KBJobs_Settings::cron_history()); and measures the data
 * directory's size by folder once a day (walking a million artifact files is work for
 * cron, not for a page view), shown on the Overview with the time it was measured.
 *
 * The cleanup runs as a job, not in the WP-Cron request: a runner (or the next WP-Cron
 * tick) takes it under a lease and its time budget, a site that fell behind catches up
 * over several runs (each stops at its max_seconds with `more`), and its concurrency key
 * keeps two from running at once. `wp kb cleanup` runs the same work in the terminal.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Daily cleanup.
 */
final class KBJobs_Maintenance {

	const HOOK = 'kbjobs_daily';

	/**
	 * The hourly metrics rollup: complete hours of minute metrics become hourly rows, so
	 * the Overview's last-day charts read 24 rows per queue and type rather than 1,440.
	 */
	const HOURLY_HOOK = 'kbjobs_hourly';

	/**
	 * The option keeping the data directory's last measured size.
	 */
	const USAGE_OPTION = 'kbjobs_data_usage';

	/**
	 * The option keeping mark_expired_imports()'s cursor.
	 */
	const EXPIRED_CURSOR = 'kbjobs_expired_imports_cursor';

	/**
	 * Hooks the cleanup and schedules it.
	 */
	public static function init(): void {
		add_action( self::HOOK, array( self::class, 'run' ) );
		add_action( self::HOURLY_HOOK, array( self::class, 'rollup' ) );
		add_action( 'init', array( self::class, 'schedule' ) );
	}

	/**
	 * Schedules the cleanup and the rollup when they are not scheduled yet.
	 */
	public static function schedule(): void {
		if ( ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', self::HOOK );
		}
		if ( ! wp_next_scheduled( self::HOURLY_HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'hourly', self::HOURLY_HOOK );
		}
	}

	/**
	 * The hourly hook: rolls up the metrics' complete hours (Engine::rollupMetrics, one
	 * short transaction per hour; an hour once it ended 10 minutes ago).
	 *
	 * @return int The minute rows rolled up.
	 */
	public static function rollup(): int {
		return (int) KBJobs_Engine::get()->rollupMetrics()['rows'];
	}

	/**
	 * The concurrency and unique key of the cleanup job: one at a time, and one waiting.
	 */
	const JOB_KEY = 'cleanup';

	/**
	 * The cleanup's options from the settings (each a constant, an option or its
	 * default): what Engine::cleanup() and the `cleanup` job take.
	 *
	 * @return array<string,int>
	 */
	public static function cleanup_options(): array {
		return array(
			'jobs_days'       => (int) KBJobs_Settings::get( 'retention_jobs_days' ),
			'logs_days'       => (int) KBJobs_Settings::get( 'retention_logs_days' ),
			'metrics_days'    => (int) KBJobs_Settings::get( 'retention_metrics_days' ),
			'audit_days'      => (int) KBJobs_Settings::get( 'retention_audit_days' ),
			'quarantine_days' => (int) KBJobs_Settings::get( 'retention_quarantine_days' ),
			'checkpoint_days' => (int) KBJobs_Settings::get( 'checkpoint_stale_days' ),
		);
	}

	/**
	 * Submits the cleanup job, unless one is already queued or running (then its id is
	 * returned).
	 *
	 * @param \KBJobs\Engine $engine The engine.
	 * @return string The job's id.
	 */
	public static function submit_cleanup( \KBJobs\Engine $engine ): string {
		return $engine->submit(
			'cleanup',
			self::cleanup_options(),
			array(
				'queue'           => 'default',
				'concurrency_key' => self::JOB_KEY,
				'unique_key'      => self::JOB_KEY,
				'unique_scope'    => 'active',
			)
		);
	}

	/**
	 * Runs the daily maintenance.
	 *
	 * @return array{cleanup_job:string,uploads:int,cron_runs:int,expired_imports:int} The
	 *         cleanup job submitted (or already waiting; '' when the engine failed), what
	 *         was removed here, and the import records marked expired.
	 */
	public static function run(): array {
		$removed = array(
			'cleanup_job'     => '',
			'uploads'         => KBJobs_Uploads::sweep(),
			'cron_runs'       => 0,
			'expired_imports' => 0,
		);
		update_option( self::USAGE_OPTION, self::measure( KBJobs_Settings::data_dir() ), false );
		try {
			$engine                 = KBJobs_Engine::get();
			$removed['cleanup_job'] = self::submit_cleanup( $engine );
			$keep                   = KBJobs_Settings::cron_history();
			// The history is pruned whether WP-Cron is on kbjobs now or was before.
			$removed['cron_runs'] = (int) $engine->cronPrune( $keep['days'], $keep['per_hook'] );
			// Records of imports whose jobs an earlier cleanup removed.
			$removed['expired_imports'] = self::mark_expired_imports();
		} catch ( \KBJobs\Exception $e ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- a WP-Cron callback has no one to answer; the next day tries again.
			error_log( 'kbjobs daily cleanup: ' . $e->getMessage() );
		}
		return $removed;
	}

	/**
	 * Marks the kb_import_job records whose import job retention removed: meta
	 * META_EXPIRED = the time it was noticed. The record stays, with its list's name and
	 * counts, and screens show it as expired rather than as an import whose job is
	 * missing; reconciliation does not report it (dangling/job_gone skips it). The engine
	 * cannot touch WordPress's tables, so the plugin looks: records older than the jobs'
	 * retention and not marked yet, $limit a call, each job looked up by id (a missing
	 * one is gone). A cursor (the last record id looked at) moves on over records whose
	 * jobs are still there (a long rerun chain), starting over once it reaches the end.
	 *
	 * @param int $limit Records looked at (1..1000).
	 * @return int How many were marked.
	 */
	public static function mark_expired_imports( int $limit = 200 ): int {
		global $wpdb;
		$limit  = max( 1, min( 1000, $limit ) );
		$days   = max( 1, (int) KBJobs_Settings::get( 'retention_jobs_days' ) );
		$after  = (int) get_option( self::EXPIRED_CURSOR, 0 );
		$cutoff = gmdate( 'Y-m-d H:i:s', time() - $days * DAY_IN_SECONDS );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a keyset page over posts by id (get_posts() has no "ID > n"), on WordPress's own tables.
		$rows   = (array) $wpdb->get_results(
			$wpdb->prepare(
				"SELECT p.ID, m.meta_value AS job FROM {$wpdb->posts} p
				JOIN {$wpdb->postmeta} m ON m.post_id = p.ID AND m.meta_key = %s
				LEFT JOIN {$wpdb->postmeta} x ON x.post_id = p.ID AND x.meta_key = %s
				WHERE p.post_type = %s AND p.post_date_gmt < %s AND p.ID > %d AND x.meta_id IS NULL
				ORDER BY p.ID LIMIT %d",
				KBJobs_Import::META_JOB,
				KBJobs_Import::META_EXPIRED,
				KBJobs_Post_Types::IMPORT_JOB,
				$cutoff,
				$after,
				$limit
			)
		);
		$engine = KBJobs_Engine::get();
		$marked = 0;
		$last   = 0;
		foreach ( $rows as $row ) {
			$last = (int) $row->ID;
			if ( ! KBJobs_Data_Jobs::is_id( (string) $row->job ) ) {
				continue;
			}
			try {
				$engine->get( (string) $row->job );
			} catch ( \KBJobs\NotFoundException $e ) {
				update_post_meta( $last, KBJobs_Import::META_EXPIRED, time() );
				++$marked;
			}
		}
		update_option( self::EXPIRED_CURSOR, count( $rows ) < $limit ? 0 : $last, false );
		return $marked;
	}

	/**
	 * The size of a directory's files, by top-level folder.
	 *
	 * @param string $dir The directory.
	 * @return array{at:int,bytes:int,files:int,folders:array<string,int>}
	 */
	public static function measure( string $dir ): array {
		$usage = array(
			'at'      => time(),
			'bytes'   => 0,
			'files'   => 0,
			'folders' => array(),
		);
		if ( ! is_dir( $dir ) ) {
			return $usage;
		}
		$files = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $dir, FilesystemIterator::SKIP_DOTS ) );
		foreach ( $files as $file ) {
			if ( ! $file->isFile() ) {
				continue;
			}
			$relative                 = substr( $file->getPathname(), strlen( $dir ) + 1 );
			$top                      = false === strpos( $relative, '/' ) ? '.' : strstr( $relative, '/', true );
			$size                     = (int) $file->getSize();
			$usage['bytes']          += $size;
			$usage['files']          += 1;
			$usage['folders'][ $top ] = ( $usage['folders'][ $top ] ?? 0 ) + $size;
		}
		return $usage;
	}
}
