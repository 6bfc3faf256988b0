<?php
/**
 * Throughput, failures, and wait and run times from the engine's metrics
 * (KBJobs\Engine::stats()), for the Overview's charts, `GET /kbjobs/v1/stats` and
 * `wp kb status`, so the three show the same numbers. Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects the metrics.
 */
final class KBJobs_Data_Stats {

	/**
	 * The numbers of a row, in the order they are shown.
	 */
	const ROW_FIELDS = array( 'started', 'completed', 'failed', 'retried', 'wait_p50_ms', 'wait_p95_ms', 'run_p50_ms', 'run_p95_ms' );

	/**
	 * The longest window the engine keeps (its hourly rollups: 90 days).
	 */
	const MAX_SINCE = 90 * DAY_IN_SECONDS;

	/**
	 * The two windows the Overview and `wp kb status` show: the last hour by minute and
	 * the last day by hour.
	 */
	const WINDOWS = array(
		'hour' => array(
			'since' => HOUR_IN_SECONDS,
			'step'  => 60,
		),
		'day'  => array(
			'since' => DAY_IN_SECONDS,
			'step'  => 3600,
		),
	);

	/**
	 * The metrics of a window as the engine gives them (Unix times).
	 *
	 * @param array<string,mixed> $options since (seconds back), step (60 or 3600), queue,
	 *                                     type: see KBJobs\Engine::stats().
	 * @return array<string,mixed>
	 */
	public static function get( array $options = array() ): array {
		$options = array_filter(
			$options,
			static function ( $value ) {
				return null !== $value && '' !== $value;
			}
		);
		return KBJobs_Engine::get()->stats( $options );
	}

	/**
	 * The metrics as REST and WP-CLI give them: times as ISO 8601 UTC.
	 *
	 * @param array<string,mixed> $stats get().
	 * @return array<string,mixed>
	 */
	public static function format( array $stats ): array {
		$stats['since'] = KBJobs_Format::time( $stats['since'] );
		$stats['until'] = KBJobs_Format::time( $stats['until'] );
		foreach ( $stats['series'] as $i => $point ) {
			$stats['series'][ $i ]['t'] = KBJobs_Format::time( $point['t'] );
		}
		// An empty map is an object in JSON, as when it has names.
		$stats['queues'] = (object) $stats['queues'];
		$stats['types']  = (object) $stats['types'];
		return $stats;
	}

	/**
	 * The totals of the last hour and the last day.
	 *
	 * @return array{hour:array<string,mixed>,day:array<string,mixed>}
	 */
	public static function totals(): array {
		$totals = array();
		foreach ( self::WINDOWS as $name => $window ) {
			$totals[ $name ] = self::get( $window )['totals'];
		}
		return $totals;
	}
}
