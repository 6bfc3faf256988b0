<?php
/**
 * The jobs waiting in their queues (status queued), newest first by keyset cursor, each
 * with why it is not running (Engine::why: paused, scheduled, retrying, concurrency,
 * rate_limited, concurrency_key, resource, ready). A job that left the queue between the
 * list and its reason (it started, or was cancelled) is left out. Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects waiting jobs.
 */
final class KBJobs_Data_Waiting {

	/**
	 * A page of waiting jobs with their reasons.
	 *
	 * @param string $cursor Where the page starts ('' for the newest).
	 * @param int    $limit  1..200.
	 * @param string $queue  Only this queue's jobs ('' for every queue).
	 * @return array{jobs:array<int,array<string,mixed>>,next_cursor:?string}
	 * @throws \ValueError When the queue name is not one.
	 */
	public static function page( string $cursor = '', int $limit = 25, string $queue = '' ): array {
		if ( '' !== $queue && ! KBJobs_Data_Queues::is_name( $queue ) ) {
			throw new \ValueError( 'a queue name is 1 to 64 of a-z, 0-9, "_", "." and "-"' );
		}
		$page   = KBJobs_Data_Jobs::page(
			array(
				'status' => 'queued',
				'queue'  => $queue,
				'limit'  => max( 1, min( 200, $limit ) ),
				'cursor' => $cursor,
			)
		);
		$engine = KBJobs_Engine::get();
		$jobs   = array();
		foreach ( $page['jobs'] as $job ) {
			try {
				$why = $engine->why( $job['id'] );
			} catch ( \KBJobs\NotFoundException $e ) {
				$why = null; // Deleted since.
			}
			if ( ! is_array( $why ) ) {
				continue; // No longer queued.
			}
			$why['until']   = isset( $why['until'] ) ? KBJobs_Format::time( $why['until'] ) : null;
			$job['waiting'] = $why;
			$jobs[]         = $job;
		}
		return array(
			'jobs'        => $jobs,
			'next_cursor' => $page['next_cursor'],
		);
	}
}
