<?php
/**
 * The daily cleanup (WP-Cron hook kbjobs_daily): audit entries older than 90 days, and
 * list uploads left unfinished for a day.
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
	 * @return array{audit:int,uploads:int} What was removed.
	 */
	public static function run(): array {
		$removed = array(
			'audit'   => 0,
			'uploads' => KBJobs_Uploads::sweep(),
		);
		try {
			$removed['audit'] = (int) KBJobs_Engine::get()->auditRetention( KBJobs_Audit::KEEP_DAYS );
		} catch ( \KBJobs\Exception $e ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- a WP-Cron callback has no one to answer; the next day tries again.
			error_log( 'kbjobs daily cleanup: ' . $e->getMessage() );
		}
		return $removed;
	}
}
