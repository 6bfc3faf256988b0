<?php
/**
 * The FailureLog (jobs that failed for good, and imports that finished with failed
 * items: kind "partial") and the alerts raised by repeated failures. Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects failures and alerts.
 */
final class KBJobs_Data_Failures {

	const FIELDS       = array( 'job_id', 'kind', 'type', 'message', 'attempts', 'failed_items', 'total_items', 'failed_at' );
	const ALERT_FIELDS = array( 'id', 'type', 'message', 'failures', 'window_seconds', 'created_at', 'acknowledged_at' );

	/**
	 * A page of entries, newest first.
	 *
	 * @param int $limit  1..1000.
	 * @param int $offset Entries to skip.
	 * @return array{failures:array<int,array<string,mixed>>,total:int,evicted:int}
	 */
	public static function page( int $limit = 50, int $offset = 0 ): array {
		$log  = KBJobs_Engine::get()->failures();
		$rows = array();
		foreach ( $log->list( max( 1, min( 1000, $limit ) ), max( 0, $offset ) ) as $entry ) {
			$entry += array(
				'kind'         => 'job',
				'failed_items' => 0,
				'total_items'  => 0,
			);
			$rows[] = KBJobs_Format::times( $entry, array( 'failed_at' ) );
		}
		return array(
			'failures' => $rows,
			'total'    => $log->count() + $log->count( 'partial' ),
			'evicted'  => $log->evicted(),
		);
	}

	/**
	 * Every alert, the open ones first as the engine lists them.
	 *
	 * @param bool $open_only Only those not acknowledged.
	 * @return array<int,array<string,mixed>>
	 */
	public static function alerts( bool $open_only = false ): array {
		$rows = array();
		foreach ( KBJobs_Engine::get()->failures()->alerts() as $alert ) {
			$alert += array( 'acknowledged_at' => null );
			if ( $open_only && ! empty( $alert['acknowledged_at'] ) ) {
				continue;
			}
			$rows[] = KBJobs_Format::times( $alert, array( 'created_at', 'acknowledged_at' ) );
		}
		return $rows;
	}
}
