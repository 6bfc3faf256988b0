<?php
/**
 * The developer API: what other plugins call to run work on kbjobs. Defined whether or
 * not the kbjobs extension is loaded; without it each function returns a WP_Error
 * (kbjobs_unavailable) that says what is missing, so a caller can fall back.
 *
 * Delivery is at least once: a job whose runner dies mid-way (or whose lease runs out)
 * is run again, from its last checkpoint if it saves any, so handlers must be safe to run
 * twice (write through kbjobs_fenced_transaction(), or check before acting).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Why the API cannot work here, or null when it can.
 *
 * @return WP_Error|null
 */
function kbjobs_unavailable() {
	if ( KBJobs_Requirements::met() ) {
		return null;
	}
	return new WP_Error( 'kbjobs_unavailable', KBJobs_Requirements::problem(), array( 'status' => 503 ) );
}

/**
 * Submits a job.
 *
 *     $id = kbjobs_enqueue( 'kb.refresh', array( 'post' => 42 ), array( 'delay' => 30, 'unique_key' => 'refresh:42' ) );
 *     if ( is_wp_error( $id ) ) { ... }
 *
 * @param string $type    A registered job type (see kbjobs_register_type()).
 * @param array  $params  Its params (checked against the type's schema).
 * @param array  $options queue, priority, run_at, delay, max_attempts, backoff,
 *                        concurrency_key, unique_key, unique_scope, resources (see
 *                        docs/php-api.md).
 * @return string|WP_Error The job id (an existing job's when its unique key matched).
 */
function kbjobs_enqueue( string $type, array $params = array(), array $options = array() ) {
	$missing = kbjobs_unavailable();
	if ( $missing ) {
		return $missing;
	}
	try {
		return KBJobs_Engine::get()->submit( $type, $params, $options );
	} catch ( \Throwable $e ) {
		return KBJobs_Action::error_from( $e );
	}
}

/**
 * Submits many jobs in one transaction: all or none.
 *
 * @param array<int,array<string,mixed>> $jobs Each: type, params, and kbjobs_enqueue()'s options.
 * @return string[]|WP_Error The ids, in order.
 */
function kbjobs_enqueue_many( array $jobs ) {
	$missing = kbjobs_unavailable();
	if ( $missing ) {
		return $missing;
	}
	try {
		return KBJobs_Engine::get()->submitMany( $jobs );
	} catch ( \Throwable $e ) {
		return KBJobs_Action::error_from( $e );
	}
}

/**
 * Registers a job type and its handler (in every request: call it on `init` or
 * `plugins_loaded`). The handler receives a KBJobs\Context and returns the job's result;
 * throwing fails the attempt (retried with backoff; KBJobs\NonRetryableException fails
 * it for good). The lifecycle actions kbjobs_job_completed, kbjobs_job_failed,
 * kbjobs_job_retrying and kbjobs_job_cancelled fire around it (see KBJobs_Types).
 *
 * @param string   $type    Name: [a-z0-9_.-], 1..64.
 * @param callable $handler fn( KBJobs\Context $ctx ): mixed.
 * @param array    $options label, category, queue, max_attempts, backoff, on_expiry,
 *                          resources, schema, rules (see docs/php-api.md).
 * @return true|WP_Error
 */
function kbjobs_register_type( string $type, callable $handler, array $options = array() ) {
	$missing = kbjobs_unavailable();
	if ( $missing ) {
		return $missing;
	}
	return KBJobs_Types::add( $type, $handler, $options );
}
