<?php
/**
 * Interrupted jobs (their runner died or their lease ran out) with their checkpoints'
 * progress and age: what an operator resumes, starts fresh or discards. Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects interrupted jobs.
 */
final class KBJobs_Data_Interrupted {

	const FIELDS = array( 'job_id', 'type', 'progress_done', 'progress_total', 'checkpoint', 'checkpoint_age', 'interrupted_at' );

	/**
	 * Interrupted jobs, newest first.
	 *
	 * @param int $limit 1..1000.
	 * @return array<int,array<string,mixed>>
	 */
	public static function all( int $limit = 100 ): array {
		$rows = array();
		foreach ( KBJobs_Engine::get()->interrupted( max( 1, min( 1000, $limit ) ) ) as $row ) {
			if ( isset( $row['checkpoint_age'] ) && null !== $row['checkpoint_age'] ) {
				$row['checkpoint_age'] = (int) round( (float) $row['checkpoint_age'] );
			}
			$rows[] = KBJobs_Format::times( $row, array( 'interrupted_at' ) );
		}
		return $rows;
	}
}
