<?php
/**
 * Runners as the JobTracker sees them (host, pid, version, state, heartbeat, memory)
 * and the jobs running now. Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects runners.
 */
final class KBJobs_Data_Runners {

	const FIELDS = array( 'id', 'host', 'pid', 'version', 'state', 'queues', 'running_jobs', 'memory', 'started_at', 'heartbeat_at', 'stopped_at' );

	/**
	 * Runners seen in the last $hours, newest first.
	 *
	 * @param int $hours Window (1..876600).
	 * @return array<int,array<string,mixed>>
	 */
	public static function all( int $hours = 24 ): array {
		$rows = array();
		foreach ( KBJobs_Engine::get()->tracker()->runners( max( 1, $hours ) ) as $runner ) {
			$runner += array( 'memory' => 0 );
			$rows[]  = KBJobs_Format::times( $runner, array( 'started_at', 'heartbeat_at', 'stopped_at' ) );
		}
		return $rows;
	}

	/**
	 * The jobs running now, oldest first.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	public static function active_jobs(): array {
		return array_map( array( 'KBJobs_Format', 'job' ), KBJobs_Engine::get()->tracker()->activeJobs() );
	}
}
