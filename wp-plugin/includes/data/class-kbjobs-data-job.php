<?php
/**
 * One job as `wp kb job` shows it: its fields and, for an import, its failed items.
 * Collects only, each caller renders.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects a job and its failed items.
 */
final class KBJobs_Data_Job {

	/**
	 * The fields of a failed item.
	 */
	const FAILED_ITEM_FIELDS = array( 'index', 'url', 'class', 'error', 'http_status' );

	/**
	 * The job.
	 *
	 * @param string $id The job id.
	 * @return \KBJobs\Job
	 * @throws \ValueError When the id is malformed.
	 * @throws \KBJobs\Exception When there is no such job or the database refuses.
	 */
	public static function get( string $id ): \KBJobs\Job {
		return KBJobs_Engine::get()->get( $id );
	}

	/**
	 * The job's fields by name (KBJobs\Job::toArray()).
	 *
	 * @param \KBJobs\Job $job The job.
	 * @return array<string,mixed>
	 */
	public static function fields( \KBJobs\Job $job ): array {
		return $job->toArray();
	}

	/**
	 * An import's failed items, in list order (none for other jobs).
	 *
	 * @param \KBJobs\Job $job   The job.
	 * @param int         $limit At most this many.
	 * @return array<int,array<string,mixed>> Items with the FAILED_ITEM_FIELDS.
	 */
	public static function failed_items( \KBJobs\Job $job, int $limit = 1000 ): array {
		return KBJobs_Import::failed_items( $job->id, $limit );
	}
}
