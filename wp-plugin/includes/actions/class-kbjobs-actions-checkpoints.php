<?php
/**
 * What an operator does with interrupted jobs and their checkpoints: resume from the
 * checkpoint, start fresh (drop the checkpoint and run again from the start), discard
 * (drop the checkpoint and cancel the job), and clean old checkpoint files. REST's
 * /interrupted routes and `wp kb checkpoint` mean the same by each word.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Checkpoint actions.
 */
final class KBJobs_Actions_Checkpoints {

	/**
	 * Resumes an interrupted job from its checkpoint.
	 *
	 * @param string $id Job id.
	 * @return array|WP_Error
	 */
	public static function resume( string $id ) {
		return self::act( 'resume', $id );
	}

	/**
	 * Drops the checkpoint and runs the job again from the start.
	 *
	 * @param string $id Job id.
	 * @return array|WP_Error
	 */
	public static function fresh( string $id ) {
		return self::act( 'fresh', $id );
	}

	/**
	 * Drops the checkpoint and cancels the job.
	 *
	 * @param string $id Job id.
	 * @return array|WP_Error
	 */
	public static function discard( string $id ) {
		return self::act( 'discard', $id );
	}

	/**
	 * One of the three.
	 *
	 * @param string $verb resume, fresh or discard.
	 * @param string $id   Job id.
	 * @return array|WP_Error
	 */
	private static function act( string $verb, string $id ) {
		return KBJobs_Action::run(
			'checkpoint.' . $verb,
			$id,
			static function () use ( $verb, $id ) {
				KBJobs_Data_Jobs::require_id( $id );
				$engine = KBJobs_Engine::get();
				$job    = $engine->get( $id );
				if ( 'interrupted' !== $job->status ) {
					return new WP_Error(
						'kbjobs_conflict',
						/* translators: 1: job id, 2: status */
						sprintf( __( 'Job %1$s is %2$s, not interrupted.', 'kb-jobs' ), $id, $job->status ),
						array( 'status' => 409 )
					);
				}
				if ( 'resume' !== $verb ) {
					$engine->discardCheckpoint( $id );
				}
				if ( 'discard' === $verb ) {
					$engine->cancel( $id );
					/** This action is documented in includes/class-kbjobs-types.php */
					do_action( 'kbjobs_job_cancelled', $id, $job->type );
				} else {
					$engine->resume( $id );
				}
				return array(
					'id'  => $id,
					'job' => KBJobs_Format::job( $engine->get( $id ) ),
				);
			}
		);
	}

	/**
	 * Removes checkpoint files older than $days of jobs no longer queued or running.
	 *
	 * @param int $days Age in days (1..3650).
	 * @return array|WP_Error ['removed' => n]
	 */
	public static function clean( int $days = 7 ) {
		return KBJobs_Action::run(
			'checkpoint.clean',
			sprintf( '%d days', $days ),
			static function () use ( $days ) {
				if ( $days < 1 || $days > 3650 ) {
					throw new \ValueError( 'days must be between 1 and 3650' );
				}
				$removed = KBJobs_Engine::get()->cleanupCheckpoints( $days );
				return array(
					'removed' => $removed,
					'audit'   => array( 'removed' => $removed ),
				);
			}
		);
	}
}
