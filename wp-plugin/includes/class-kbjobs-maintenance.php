<?php
/**
 * The daily cleanup (WP-Cron hook kbjobs_daily): audit entries older than 90 days, list
 * uploads left unfinished for a day, WP-Cron run history past its retention (30 days and
 * 100 runs per hook by default: KBJobs_Settings::cron_history()); and the data directory's size by folder, measured
 * once a day (walking a million artifact files is work for cron, not for a page view)
 * and shown on the Overview with the time it was measured.
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
	 * The option keeping the data directory's last measured size.
	 */
	const USAGE_OPTION = 'kbjobs_data_usage';

	/**
	 * Hooks the cleanup and schedules it.
	 */
	public static function init(): void {
		add_action( self::HOOK, array( self::class, 'run' ) );
		add_action( 'init', array( self::class, 'schedule' ) );
	}

	/**
	 * Schedules the cleanup when it is not scheduled yet.
	 */
	public static function schedule(): void {
		if ( ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', self::HOOK );
		}
	}

	/**
	 * Runs the cleanup.
	 *
	 * @return array{audit:int,uploads:int,cron_runs:int} What was removed.
	 */
	public static function run(): array {
		$removed = array(
			'audit'     => 0,
			'uploads'   => KBJobs_Uploads::sweep(),
			'cron_runs' => 0,
		);
		update_option( self::USAGE_OPTION, self::measure( KBJobs_Settings::data_dir() ), false );
		try {
			$engine           = KBJobs_Engine::get();
			$removed['audit'] = (int) $engine->auditRetention( KBJobs_Audit::KEEP_DAYS );
			$keep             = KBJobs_Settings::cron_history();
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
