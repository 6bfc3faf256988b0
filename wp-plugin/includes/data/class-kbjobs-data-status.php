<?php
/**
 * The health summary an operator reads first (`wp kb status`, `GET /kbjobs/v1/status`,
 * the Overview screen): jobs by status, queues and what holds them, runners alive and
 * lost, open failures and alerts (the engine's rows, and the alerts raised by
 * KBJobs_Alerts), whether the WP-Cron tick runs, and the data
 * directory's disk. Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects the health summary.
 */
final class KBJobs_Data_Status {

	/**
	 * The option the WP-Cron tick stamps with the time it last ran.
	 */
	const LAST_TICK_OPTION = 'kbjobs_last_tick';

	/**
	 * The summary. Job and queue counts are exact up to KBJobs_Format::COUNT_CAP and
	 * estimated above it (`jobs_estimated`, each queue's `estimated`), unless $exact.
	 *
	 * @param bool $exact Count every job exactly (reads every row: for `wp kb status --exact`).
	 * @return array<string,mixed>
	 */
	public static function summary( bool $exact = false ): array {
		$runners = KBJobs_Data_Runners::all( 24 );
		$states  = array_count_values( array_column( $runners, 'state' ) );
		$queues  = KBJobs_Data_Queues::all( $exact );
		$jobs    = KBJobs_Data_Jobs::counts_flagged( array(), $exact );
		$alerts  = KBJobs_Data_Failures::alerts( true );
		$log     = KBJobs_Engine::get()->failures();
		$dir     = KBJobs_Settings::data_dir();
		$tick    = self::last_tick();
		$free    = is_dir( $dir ) ? @disk_free_space( $dir ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a data directory on a vanished mount reads as unknown.
		$total   = is_dir( $dir ) ? @disk_total_space( $dir ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged
		return array(
			'jobs'           => $jobs['counts'],
			// The statuses whose count is not exact: 'estimate' or 'more' (a JSON object).
			'jobs_estimated' => (object) $jobs['estimated'],
			'queues'         => $queues,
			'runners'        => array(
				'active'  => (int) ( $states['active'] ?? 0 ),
				'lost'    => (int) ( $states['lost'] ?? 0 ),
				'stopped' => (int) ( $states['stopped'] ?? 0 ),
			),
			'failures'       => array(
				'jobs'    => (int) $log->count(),
				'partial' => (int) $log->count( 'partial' ),
				'evicted' => (int) $log->evicted(),
			),
			'open_alerts'    => count( $alerts ),
			'alerts'         => KBJobs_Alerts::active(),
			'cron'           => self::cron( $tick ),
			'disk'           => array(
				'used'        => self::usage(),
				'data_dir'    => $dir,
				'free_bytes'  => false === $free ? null : (int) $free,
				'total_bytes' => false === $total ? null : (int) $total,
			),
		);
	}

	/**
	 * When WP-Cron last ticked (Unix time, 0: never). With WP-Cron on kbjobs there is no
	 * tick event: the last tick is the later of the last wp-cron.php loopback and the
	 * last event a runner or the loopback ran.
	 *
	 * @return int
	 */
	public static function last_tick(): int {
		$tick = (int) get_option( self::LAST_TICK_OPTION, 0 );
		if ( KBJobs_Cron::active() ) {
			$runs = KBJobs_Engine::get()->cronRuns( array( 'limit' => 1 ) );
			$tick = max( $tick, isset( $runs[0] ) ? (int) $runs[0]['started_at'] : 0 );
		}
		return $tick;
	}

	/**
	 * Whether WP-Cron ticks. With WP-Cron on kbjobs the next tick is the soonest event.
	 *
	 * @param int $tick When it last ticked (last_tick()).
	 * @return array<string,mixed>
	 */
	private static function cron( int $tick ): array {
		$on   = KBJobs_Cron::active();
		$next = wp_next_scheduled( KBJobs_Runner::TICK );
		if ( $on ) {
			$crons = _get_cron_array();
			$next  = $crons ? (int) array_key_first( $crons ) : false;
		}
		return array(
			'on_kbjobs' => $on,
			'last_tick' => KBJobs_Format::time( $tick ),
			'next_tick' => KBJobs_Format::time( $next ),
			'disabled'  => defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON,
			'ticking'   => $tick > time() - 180,
		);
	}

	/**
	 * The data directory's size as last measured by the daily cleanup, or null.
	 *
	 * @return array{bytes:int,files:int,measured_at:?string,folders:array<string,int>}|null
	 */
	private static function usage(): ?array {
		$usage = get_option( KBJobs_Maintenance::USAGE_OPTION );
		if ( ! is_array( $usage ) || ! isset( $usage['bytes'] ) ) {
			return null;
		}
		return array(
			'bytes'       => (int) $usage['bytes'],
			'files'       => (int) $usage['files'],
			'measured_at' => KBJobs_Format::time( $usage['at'] ?? 0 ),
			'folders'     => array_map( 'intval', (array) ( $usage['folders'] ?? array() ) ),
		);
	}
}
