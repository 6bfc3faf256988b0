<?php
/**
 * INTERIM (part U's stand-in, replaced at merge by part R's class): the repair's dry run
 * lists each finding of the chosen kinds with the action its kind implies (ghosts and
 * drift: refetch; orphans: quarantine) without re-checking anything; apply() does
 * nothing and answers zeros.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Repairs of a reconciliation's findings (interim).
 */
final class KBJobs_Reconcile_Repair {

	/**
	 * Repair kind (CLI/REST name) => [finding kind, action].
	 */
	const KINDS = array(
		'ghosts'  => array( 'ghost', 'refetch' ),
		'orphans' => array( 'orphan', 'quarantine' ),
		'drift'   => array( 'drift', 'refetch' ),
	);

	/**
	 * The dry run.
	 *
	 * @param string $job_id A finished reconciliation.
	 * @param array  $kinds  ghosts, orphans, drift.
	 * @param int    $limit  Actions listed at most.
	 * @return array|WP_Error
	 */
	public static function plan( string $job_id, array $kinds, int $limit = 200 ) {
		$error = self::check( $job_id, $kinds );
		if ( is_wp_error( $error ) ) {
			return $error;
		}
		$by_kind = array();
		$counts  = array();
		foreach ( $kinds as $kind ) {
			$by_kind[ self::KINDS[ $kind ][0] ] = $kind;
			$counts[ $kind ]                    = array(
				'refetch'    => 0,
				'quarantine' => 0,
				'skip'       => 0,
			);
		}
		$actions = array();
		$cursor  = 0;
		do {
			$page = KBJobs_Reconcile::findings( $job_id, $cursor, 500 );
			if ( is_wp_error( $page ) ) {
				return $page;
			}
			foreach ( $page['findings'] as $finding ) {
				$kind = $by_kind[ $finding['kind'] ?? '' ] ?? null;
				if ( null === $kind ) {
					continue;
				}
				$action = self::KINDS[ $kind ][1];
				++$counts[ $kind ][ $action ];
				if ( count( $actions ) < $limit ) {
					$actions[] = array(
						'kind'    => (string) $finding['kind'],
						'reason'  => (string) ( $finding['reason'] ?? '' ),
						'action'  => $action,
						'path'    => $finding['path'] ?? null,
						'url'     => $finding['url'] ?? null,
						'post_id' => $finding['post_id'] ?? null,
						'to'      => 'quarantine' === $action && isset( $finding['path'] ) ? 'quarantine/' . gmdate( 'Y-m-d' ) . '/' . $finding['path'] : null,
						'why'     => '',
					);
				}
			}
			$cursor = $page['next_cursor'];
		} while ( null !== $cursor );
		return array(
			'job'     => $job_id,
			'kinds'   => array_values( $kinds ),
			'counts'  => $counts,
			'stale'   => 0,
			'actions' => $actions,
		);
	}

	/**
	 * The repair (interim: does nothing).
	 *
	 * @param string $job_id A finished reconciliation.
	 * @param array  $kinds  ghosts, orphans, drift.
	 * @return array|WP_Error
	 */
	public static function apply( string $job_id, array $kinds ) {
		$error = self::check( $job_id, $kinds );
		if ( is_wp_error( $error ) ) {
			return $error;
		}
		return array(
			'refetch_job' => null,
			'quarantined' => 0,
			'skipped'     => 0,
			'stale'       => 0,
		);
	}

	/**
	 * The capability, the kinds, a finished report.
	 *
	 * @param string $job_id The job.
	 * @param array  $kinds  The kinds.
	 * @return true|WP_Error
	 */
	private static function check( string $job_id, array $kinds ) {
		if ( ! KBJobs_Access::can( KBJobs_Access::OPERATE ) ) {
			return KBJobs_Access::denied( KBJobs_Access::OPERATE );
		}
		if ( ! $kinds || array_diff( $kinds, array_keys( self::KINDS ) ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'Kinds are ghosts, orphans and drift.', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		$report = KBJobs_Data_Jobs::is_id( $job_id ) ? KBJobs_Reconcile::report( $job_id ) : null;
		if ( null === $report ) {
			return KBJobs_Action::no_job( $job_id );
		}
		if ( 'completed' !== $report['status'] ) {
			return new WP_Error( 'kbjobs_conflict', __( 'Only a finished reconciliation can be repaired.', 'kb-jobs' ), array( 'status' => 409 ) );
		}
		return true;
	}
}
