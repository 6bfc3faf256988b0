<?php
/**
 * What an operator does to jobs: submit, cancel, rerun, resume, and the same for many
 * at once (by ids in the request, or by a filter as a background job). Every method runs
 * through KBJobs_Action (capability, audit, errors) and returns an array or a WP_Error.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Job actions.
 */
final class KBJobs_Actions_Jobs {

	const BULK_ACTIONS = array( 'cancel', 'resume', 'rerun', 'resubmit' );
	const BULK_MAX_IDS = 1000;
	const BULK_TYPE    = 'kbjobs.bulk';

	/**
	 * Submits a job. When its unique key already belongs to an interrupted job with a
	 * checkpoint (or with progress: an import's cursor), nothing is submitted and the
	 * answer is a 409 kbjobs_interrupted_exists with the checkpoint's (or the job's)
	 * progress and age, unless $existing says what to do with it: "resume" it from its
	 * checkpoint, or start it "fresh".
	 *
	 * @param string $type     Job type.
	 * @param array  $params   Its params.
	 * @param array  $options  Engine::submit() options.
	 * @param string $existing '', 'resume' or 'fresh'.
	 * @return array|WP_Error ['id' => ..., 'job' => ...]
	 */
	public static function submit( string $type, array $params = array(), array $options = array(), string $existing = '' ) {
		return KBJobs_Action::run(
			'job.submit',
			$type,
			static function () use ( $type, $params, $options, $existing ) {
				$engine = KBJobs_Engine::get();
				$id     = $engine->submit( $type, $params, $options );
				return self::after_submit( $id, $existing );
			},
			array_filter(
				array(
					'unique_key' => $options['unique_key'] ?? null,
					'existing'   => $existing,
				)
			)
		);
	}

	/**
	 * What a submit (or an import) whose unique key matched an interrupted job answers.
	 * A new job is never interrupted, so an interrupted job here is one that existed.
	 *
	 * @param string $id       The id the engine returned.
	 * @param string $existing '', 'resume' or 'fresh'.
	 * @return array|WP_Error
	 */
	public static function after_submit( string $id, string $existing ) {
		$engine = KBJobs_Engine::get();
		$job    = $engine->get( $id );
		if ( 'interrupted' !== $job->status ) {
			return array(
				'id'  => $id,
				'job' => KBJobs_Format::job( $job ),
			);
		}
		$checkpoint = $engine->checkpoint( $id );
		if ( 'resume' === $existing || 'fresh' === $existing ) {
			if ( 'fresh' === $existing ) {
				$engine->discardCheckpoint( $id );
			}
			$engine->resume( $id );
			return array(
				'id'    => $id,
				'audit' => array( 'resumed' => $existing ),
				'job'   => KBJobs_Format::job( $engine->get( $id ) ),
			);
		}
		if ( null === $checkpoint ) {
			if ( $job->progressDone <= 0 ) {
				return array(
					'id'  => $id,
					'job' => KBJobs_Format::job( $job ),
				);
			}
			// No checkpoint file yet (the cadence had not come), but its progress is its
			// cursor (an import resumes from it): ask all the same, from the job's numbers.
			$checkpoint = array(
				'progress_done'  => $job->progressDone,
				'progress_total' => $job->progressTotal,
				'saved_at'       => $job->progressAt ?? $job->updatedAt,
			);
		}
		return new WP_Error(
			'kbjobs_interrupted_exists',
			sprintf(
				/* translators: 1: job id, 2: items done, 3: items in all */
				__( 'Job %1$s with this key was interrupted at %2$d of %3$d items: resume it, or start it fresh.', 'kb-jobs' ),
				$id,
				(int) $checkpoint['progress_done'],
				(int) $checkpoint['progress_total']
			),
			array(
				'status'         => 409,
				'job_id'         => $id,
				'progress_done'  => (int) $checkpoint['progress_done'],
				'progress_total' => (int) $checkpoint['progress_total'],
				'checkpoint_age' => isset( $checkpoint['saved_at'] ) ? (int) round( microtime( true ) - (float) $checkpoint['saved_at'] ) : null,
				'saved_at'       => KBJobs_Format::time( $checkpoint['saved_at'] ?? null ),
			)
		);
	}

	/**
	 * Cancels a job: at once when queued or interrupted, at its next check when running.
	 *
	 * @param string $id Job id.
	 * @return array|WP_Error ['id' => ..., 'was_running' => bool, 'job' => ...]
	 */
	public static function cancel( string $id ) {
		return KBJobs_Action::run(
			'job.cancel',
			$id,
			static function () use ( $id ) {
				KBJobs_Data_Jobs::require_id( $id );
				$engine      = KBJobs_Engine::get();
				$was_running = $engine->cancel( $id );
				$job         = $engine->get( $id );
				if ( 'cancelled' === $job->status ) {
					/** This action is documented in includes/class-kbjobs-types.php */
					do_action( 'kbjobs_job_cancelled', $id, $job->type );
				}
				return array(
					'id'          => $id,
					'was_running' => $was_running,
					'job'         => KBJobs_Format::job( $job ),
				);
			}
		);
	}

	/**
	 * Runs a finished job again as a new job (rerun_of links them).
	 *
	 * @param string $id Job id.
	 * @return array|WP_Error ['id' => new id, 'rerun_of' => $id]
	 */
	public static function rerun( string $id ) {
		return KBJobs_Action::run(
			'job.rerun',
			$id,
			static function () use ( $id ) {
				KBJobs_Data_Jobs::require_id( $id );
				$new = KBJobs_Engine::get()->rerun( $id );
				return array(
					'id'       => $new,
					'rerun_of' => $id,
					'audit'    => array( 'new_id' => $new ),
				);
			}
		);
	}

	/**
	 * Puts an interrupted, cancelled or failed job back in its queue (from its
	 * checkpoint, if it has one).
	 *
	 * @param string $id Job id.
	 * @return array|WP_Error ['id' => ..., 'job' => ...]
	 */
	public static function resume( string $id ) {
		return KBJobs_Action::run(
			'job.resume',
			$id,
			static function () use ( $id ) {
				KBJobs_Data_Jobs::require_id( $id );
				$engine = KBJobs_Engine::get();
				$engine->resume( $id );
				return array(
					'id'  => $id,
					'job' => KBJobs_Format::job( $engine->get( $id ) ),
				);
			}
		);
	}

	/**
	 * One action on many jobs named by id, done in the request (at most 1,000).
	 *
	 * @param string   $action One of BULK_ACTIONS.
	 * @param string[] $ids    Job ids.
	 * @return array|WP_Error ['action', 'done', 'skipped', 'missing']
	 */
	public static function bulk_ids( string $action, array $ids ) {
		return KBJobs_Action::run(
			'job.bulk.' . $action,
			sprintf( '%d ids', count( $ids ) ),
			static function () use ( $action, $ids ) {
				self::check_bulk_action( $action );
				$ids = array_values( array_unique( array_map( 'strval', $ids ) ) );
				if ( ! $ids || count( $ids ) > self::BULK_MAX_IDS ) {
					throw new \ValueError( sprintf( 'ids must name 1 to %d jobs', self::BULK_MAX_IDS ) );
				}
				foreach ( $ids as $id ) {
					KBJobs_Data_Jobs::require_id( $id );
				}
				$counts = KBJobs_Engine::get()->applyToJobs( $action, $ids );
				return array( 'action' => $action ) + $counts + array(
					'audit'   => $counts + array( 'ids' => array_slice( $ids, 0, 50 ) ),
					'partial' => ( $counts['skipped'] + $counts['missing'] ) > 0 && $counts['done'] > 0,
				);
			}
		);
	}

	/**
	 * How many jobs a bulk action by filter would touch (nothing is changed: a read).
	 *
	 * @param string              $action One of BULK_ACTIONS.
	 * @param array<string,mixed> $filter KBJobs_Data_Jobs::FILTER_KEYS.
	 * @return array|WP_Error ['action', 'filter', 'matched', 'preview' => true]
	 */
	public static function bulk_preview( string $action, array $filter ) {
		return KBJobs_Action::read(
			static function () use ( $action, $filter ) {
				self::check_bulk_action( $action );
				$query = KBJobs_Data_Jobs::engine_filter( $filter );
				return array(
					'preview' => true,
					'action'  => $action,
					'filter'  => $query,
					'matched' => (int) KBJobs_Engine::get()->count( $query ),
				);
			}
		);
	}

	/**
	 * Starts a bulk action by filter as a background job (native, chunked, cancellable,
	 * with progress): the request returns at once with the job's id.
	 *
	 * @param string              $action One of BULK_ACTIONS.
	 * @param array<string,mixed> $filter KBJobs_Data_Jobs::FILTER_KEYS.
	 * @return array|WP_Error ['job_id', 'action', 'filter', 'matched']
	 */
	public static function bulk_filter( string $action, array $filter ) {
		$query = array();
		return KBJobs_Action::run(
			'job.bulk.' . $action,
			'filter',
			static function () use ( $action, $filter, &$query ) {
				self::check_bulk_action( $action );
				$query   = KBJobs_Data_Jobs::engine_filter( $filter );
				$engine  = KBJobs_Engine::get();
				$matched = (int) $engine->count( $query );
				$job_id  = $engine->submit(
					self::BULK_TYPE,
					array(
						'action' => $action,
						'filter' => (object) $query,
					)
				);
				return array(
					'job_id'  => $job_id,
					'action'  => $action,
					'filter'  => $query,
					'matched' => $matched,
					'audit'   => array(
						'filter'  => $query,
						'matched' => $matched,
						'job_id'  => $job_id,
					),
				);
			}
		);
	}

	/**
	 * Refuses an unknown bulk action.
	 *
	 * @param string $action The action.
	 * @throws \ValueError When it is not one of BULK_ACTIONS.
	 */
	private static function check_bulk_action( string $action ): void {
		if ( ! in_array( $action, self::BULK_ACTIONS, true ) ) {
			throw new \ValueError( sprintf( 'action must be one of %s', implode( ', ', self::BULK_ACTIONS ) ) );
		}
	}
}
