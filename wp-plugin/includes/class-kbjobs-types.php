<?php
/**
 * Job types registered by plugins through kbjobs_register_type(): kept until the engine
 * is made (KBJobs_Engine fires kbjobs_register_types), then registered with a handler
 * that fires the lifecycle actions around the plugin's own:
 *
 * - kbjobs_job_completed( $id, $type, $result ) after the handler returned (the engine
 *   records the completion right after; delivery is at least once: a runner killed in
 *   between runs the job again, and the action fires again);
 * - kbjobs_job_failed( $id, $type, $error ) when an attempt threw and no attempt is
 *   left (the job enters the FailureLog);
 * - kbjobs_job_retrying( $id, $type, $error, $attempt ) when an attempt threw and the
 *   job will be retried;
 * - kbjobs_job_cancelled( $id, $type ) when an operator cancelled it (screen, REST, CLI)
 *   or its handler stopped early on a cancel.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The registry of plugin job types.
 */
final class KBJobs_Types {

	/**
	 * Types waiting for the engine: name => [handler, options].
	 *
	 * @var array<string,array{0:callable,1:array}>
	 */
	private static $types = array();

	/**
	 * Hooks the registration.
	 */
	public static function init(): void {
		add_action( 'kbjobs_register_types', array( self::class, 'register_all' ) );
	}

	/**
	 * Adds a type; registered with the engine now if it is already made.
	 *
	 * @param string   $type    Name: [a-z0-9_.-], 1..64.
	 * @param callable $handler fn( KBJobs\Context $ctx ): mixed, the result.
	 * @param array    $options Engine::registerType()'s options.
	 * @return true|WP_Error
	 */
	public static function add( string $type, callable $handler, array $options ) {
		if ( 1 !== preg_match( '/^[a-z0-9_.-]{1,64}$/D', $type ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'A job type name is 1 to 64 of a-z, 0-9, "_", "." and "-".', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		self::$types[ $type ] = array( $handler, $options );
		if ( KBJobs_Engine::made() ) {
			try {
				self::register( KBJobs_Engine::get(), $type );
			} catch ( \Throwable $e ) {
				return KBJobs_Action::error_from( $e );
			}
		}
		return true;
	}

	/**
	 * The kbjobs_register_types action: registers every type added so far.
	 *
	 * @param \KBJobs\Engine $engine The engine.
	 */
	public static function register_all( \KBJobs\Engine $engine ): void {
		foreach ( array_keys( self::$types ) as $type ) {
			self::register( $engine, $type );
		}
	}

	/**
	 * Registers one type with its lifecycle wrapper.
	 *
	 * @param \KBJobs\Engine $engine The engine.
	 * @param string         $type   The type.
	 */
	private static function register( \KBJobs\Engine $engine, string $type ): void {
		list( $handler, $options ) = self::$types[ $type ];
		$engine->registerType(
			$type,
			static function ( \KBJobs\Context $ctx ) use ( $handler, $type ) {
				return self::run( $ctx, $type, $handler );
			},
			$options
		);
	}

	/**
	 * Runs a handler and fires the lifecycle actions.
	 *
	 * @param \KBJobs\Context $ctx     The job.
	 * @param string          $type    Its type.
	 * @param callable        $handler The plugin's handler.
	 * @return mixed The handler's result.
	 * @throws \Throwable What the handler threw, after the action.
	 */
	private static function run( \KBJobs\Context $ctx, string $type, callable $handler ) {
		try {
			$result = $handler( $ctx );
		} catch ( \KBJobs\LeaseLostException $e ) {
			throw $e; // The job is someone else's now: nothing happened to it here.
		} catch ( \Throwable $e ) {
			$job  = KBJobs_Engine::get()->get( $ctx->id() );
			$last = $e instanceof \KBJobs\NonRetryableException || $ctx->attempt() >= $job->maxAttempts;
			if ( $last ) {
				/**
				 * Fires when a job's last attempt failed: it enters the FailureLog.
				 *
				 * @param string $id    Job id.
				 * @param string $type  Job type.
				 * @param string $error What the handler threw.
				 */
				do_action( 'kbjobs_job_failed', $ctx->id(), $type, $e->getMessage() );
			} else {
				/**
				 * Fires when a job's attempt failed and it will be retried after its backoff.
				 *
				 * @param string $id      Job id.
				 * @param string $type    Job type.
				 * @param string $error   What the handler threw.
				 * @param int    $attempt The attempt that failed (1 for the first).
				 */
				do_action( 'kbjobs_job_retrying', $ctx->id(), $type, $e->getMessage(), $ctx->attempt() );
			}
			throw $e;
		}
		if ( $ctx->cancelled() ) {
			/**
			 * Fires when a job was cancelled: by an operator, or its handler stopping early
			 * on a cancel request.
			 *
			 * @param string $id   Job id.
			 * @param string $type Job type.
			 */
			do_action( 'kbjobs_job_cancelled', $ctx->id(), $type );
		} elseif ( ! $ctx->shouldStop() ) {
			/**
			 * Fires when a job's handler returned: the engine records the completion right
			 * after. At least once: a runner killed in between runs the job again.
			 *
			 * @param string $id     Job id.
			 * @param string $type   Job type.
			 * @param mixed  $result What the handler returned.
			 */
			do_action( 'kbjobs_job_completed', $ctx->id(), $type, $result );
		}
		return $result;
	}
}
