<?php
/**
 * How every operator action runs, whichever surface asked for it (a screen, a REST
 * route, a `wp kb` command): the capability is checked, the work done, the outcome
 * recorded in the audit log, and any failure turned into a WP_Error with a stable code
 * and an HTTP status:
 *
 * - kbjobs_invalid, 400: bad input (the engine's ValueError, or ours);
 * - kbjobs_not_logged_in, 401, and kbjobs_forbidden, 403: without the capability;
 * - kbjobs_not_found, 404: no such job, queue entry or import;
 * - kbjobs_conflict, 409: an illegal transition (cancel a finished job, ...);
 * - kbjobs_database, 503: the database refused or cannot be reached;
 * - kbjobs_error, 500: anything else.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Runs actions: capability, work, audit, errors.
 */
final class KBJobs_Action {

	/**
	 * Runs $work as $action on $target for a user with kbjobs_operate and records it.
	 *
	 * @param string   $action Audit name: job.cancel, queue.pause, failure.resubmit, ...
	 * @param string   $target What it acts on, for the audit log.
	 * @param callable $work   Returns the result (array) or a WP_Error; may throw.
	 * @param array    $detail Recorded with the outcome (the request's parameters).
	 * @return mixed|WP_Error The result, or the error.
	 */
	public static function run( string $action, string $target, callable $work, array $detail = array() ) {
		if ( ! KBJobs_Access::can( KBJobs_Access::OPERATE ) ) {
			$error = KBJobs_Access::denied( KBJobs_Access::OPERATE );
			KBJobs_Audit::record( $action, $target, 'denied', $detail );
			return $error;
		}
		try {
			$result = $work();
		} catch ( \Throwable $e ) {
			$result = self::error_from( $e );
		}
		if ( is_wp_error( $result ) ) {
			KBJobs_Audit::record( $action, $target, 'error', $detail + array( 'error' => $result->get_error_message() ) );
			return $result;
		}
		$summary = is_array( $result ) && isset( $result['audit'] ) ? (array) $result['audit'] : array();
		unset( $result['audit'] );
		$outcome = is_array( $result ) && ! empty( $result['partial'] ) ? 'partial' : 'ok';
		KBJobs_Audit::record( $action, $target, $outcome, $detail + $summary );
		return $result;
	}

	/**
	 * Runs a read for a user with kbjobs_view, turning failures into WP_Errors.
	 *
	 * @param callable $read Returns the data; may throw.
	 * @return mixed|WP_Error
	 */
	public static function read( callable $read ) {
		if ( ! KBJobs_Access::can( KBJobs_Access::VIEW ) ) {
			return KBJobs_Access::denied( KBJobs_Access::VIEW );
		}
		try {
			return $read();
		} catch ( \Throwable $e ) {
			return self::error_from( $e );
		}
	}

	/**
	 * The WP_Error for an exception from the engine or the plugin.
	 *
	 * @param \Throwable $e The exception.
	 * @return WP_Error
	 */
	public static function error_from( \Throwable $e ): WP_Error {
		if ( $e instanceof \ValueError || $e instanceof \TypeError || $e instanceof \InvalidArgumentException ) {
			return new WP_Error( 'kbjobs_invalid', $e->getMessage(), array( 'status' => 400 ) );
		}
		if ( $e instanceof \KBJobs\NotFoundException ) {
			return new WP_Error( 'kbjobs_not_found', $e->getMessage(), array( 'status' => 404 ) );
		}
		if ( $e instanceof \KBJobs\ConflictException ) {
			return new WP_Error( 'kbjobs_conflict', $e->getMessage(), array( 'status' => 409 ) );
		}
		if ( $e instanceof \KBJobs\DatabaseException ) {
			return new WP_Error( 'kbjobs_database', $e->getMessage(), array( 'status' => 503 ) );
		}
		return new WP_Error( 'kbjobs_error', $e->getMessage(), array( 'status' => 500 ) );
	}

	/**
	 * A "not found" error for a job id.
	 *
	 * @param string $id The id asked for.
	 * @return WP_Error
	 */
	public static function no_job( string $id ): WP_Error {
		/* translators: %s: job id */
		return new WP_Error( 'kbjobs_not_found', sprintf( __( 'No job %s.', 'kb-jobs' ), $id ), array( 'status' => 404 ) );
	}
}
