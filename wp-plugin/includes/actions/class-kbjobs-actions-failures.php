<?php
/**
 * What an operator does with the FailureLog and alerts: resubmit entries (a failed job
 * runs again; a partial import's failed URLs are imported again as a new import),
 * delete (acknowledge) them, acknowledge alerts.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * FailureLog actions.
 */
final class KBJobs_Actions_Failures {

	const MAX_IDS = 1000;

	/**
	 * Resubmits entries by job id; with $all, every entry in the log.
	 *
	 * @param string[] $ids Job ids (ignored with $all).
	 * @param bool     $all Every entry.
	 * @return array|WP_Error ['requested' => n, 'done' => n]
	 */
	public static function resubmit( array $ids, bool $all = false ) {
		return self::apply( 'resubmit', $ids, $all );
	}

	/**
	 * Deletes (acknowledges) entries by job id; with $all, every entry. The jobs keep
	 * their failed status.
	 *
	 * @param string[] $ids Job ids (ignored with $all).
	 * @param bool     $all Every entry.
	 * @return array|WP_Error ['requested' => n, 'done' => n]
	 */
	public static function delete( array $ids, bool $all = false ) {
		return self::apply( 'delete', $ids, $all );
	}

	/**
	 * Resubmits or deletes.
	 *
	 * @param string   $verb resubmit or delete.
	 * @param string[] $ids  Job ids.
	 * @param bool     $all  Every entry.
	 * @return array|WP_Error
	 */
	private static function apply( string $verb, array $ids, bool $all ) {
		return KBJobs_Action::run(
			'failure.' . $verb,
			$all ? 'all' : implode( ',', array_slice( array_map( 'strval', $ids ), 0, 5 ) ) . ( count( $ids ) > 5 ? ',...' : '' ),
			static function () use ( $verb, $ids, $all ) {
				$log = KBJobs_Engine::get()->failures();
				if ( $all ) {
					$ids = array();
					do {
						$page = $log->list( 1000, count( $ids ) );
						$ids  = array_merge( $ids, array_column( $page, 'job_id' ) );
						$full = 1000 === count( $page );
					} while ( $full );
				}
				$ids = array_values( array_unique( array_map( 'strval', $ids ) ) );
				if ( ! $ids && ! $all ) {
					throw new \ValueError( 'ids must name at least one job' );
				}
				if ( count( $ids ) > self::MAX_IDS && ! $all ) {
					throw new \ValueError( sprintf( 'ids must name at most %d jobs', self::MAX_IDS ) );
				}
				foreach ( $ids as $id ) {
					KBJobs_Data_Jobs::require_id( $id );
				}
				$done = 0;
				foreach ( array_chunk( $ids, self::MAX_IDS ) as $chunk ) {
					$done += 'resubmit' === $verb ? $log->resubmit( $chunk ) : $log->delete( $chunk );
				}
				return array(
					'requested' => count( $ids ),
					'done'      => $done,
					'partial'   => $done > 0 && $done < count( $ids ),
					'audit'     => array(
						'requested' => count( $ids ),
						'done'      => $done,
					),
				);
			},
			array( 'ids' => array_slice( $ids, 0, 50 ) )
		);
	}

	/**
	 * Acknowledges an alert.
	 *
	 * @param int $id Alert id.
	 * @return array|WP_Error ['id' => ..., 'acknowledged' => true]
	 */
	public static function acknowledge_alert( int $id ) {
		return KBJobs_Action::run(
			'alert.ack',
			(string) $id,
			static function () use ( $id ) {
				KBJobs_Engine::get()->failures()->acknowledgeAlert( $id );
				return array(
					'id'           => $id,
					'acknowledged' => true,
				);
			}
		);
	}
}
