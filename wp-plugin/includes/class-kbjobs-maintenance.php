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
	 * @return array{cleanup_job:string,uploads:int,cron_runs:int} The cleanup job submitted
	 *         (or already waiting; '' when the engine failed) and what was removed here.
	 */
	public static function run(): array {
		$removed = array(
			'cleanup_job' => '',
			'uploads'     => KBJobs_Uploads::sweep(),
			'cron_runs'   => 0,
		);
		update_option( self::USAGE_OPTION, self::measure( KBJobs_Settings::data_dir() ), false );
		try {
			$engine                 = KBJobs_Engine::get();
			$removed['cleanup_job'] = self::submit_cleanup( $engine );
			$keep                   = KBJobs_Settings::cron_history();
			// The history is pruned whether WP-Cron is on kbjobs now or was before.
			$removed['cron_runs'] = (int) $engine->cronPrune( $keep['days'], $keep['per_hook'] );
		} catch ( \KBJobs\Exception $e ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- a WP-Cron callback has no one to answer; the next day tries again.
			error_log( 'kbjobs daily cleanup: ' . $e->getMessage() );
		}
		return $removed;
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
