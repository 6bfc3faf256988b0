<?php
/**
 * Backlogs: named sets of jobs (submitted with the `backlog` option), each with its jobs
 * by status; held jobs wait there until the backlog is released. Every count is a
 * bounded read of the engine's (backlog, status) index. Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects backlogs.
 */
final class KBJobs_Data_Backlogs {

	const FIELDS = array( 'name', 'held', 'queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted', 'estimated' );

	/**
	 * Whether $name is a backlog name the engine accepts.
	 *
	 * @param mixed $name A value.
	 * @return bool
	 */
	public static function is_name( $name ): bool {
		return is_string( $name ) && 1 === preg_match( '/^[a-z0-9_.-]{1,64}$/D', $name );
	}

	/**
	 * Every backlog with jobs in the table, by name (at most 1,000). Counts are exact up
	 * to KBJobs_Format::COUNT_CAP, the index's estimate above (listed in `estimated`),
	 * unless $exact.
	 *
	 * @param bool $exact Count exactly (reads every matching job).
	 * @return array<int,array<string,mixed>>
	 */
	public static function all( bool $exact = false ): array {
		$rows = array();
		foreach ( KBJobs_Engine::get()->backlogs( $exact ) as $name => $counts ) {
			// A name of digits comes back as an integer key: PHP's array keys.
			$rows[] = array( 'name' => (string) $name ) + $counts;
		}
		return $rows;
	}

	/**
	 * One backlog; all zeros when no job has it.
	 *
	 * @param string $name  The backlog.
	 * @param bool   $exact Count exactly.
	 * @throws \ValueError When the name is not valid.
	 * @return array<string,mixed>
	 */
	public static function get( string $name, bool $exact = false ): array {
		if ( ! self::is_name( $name ) ) {
			throw new \ValueError( 'a backlog name is 1 to 64 of a-z, 0-9, "_", "." and "-"' );
		}
		foreach ( self::all( $exact ) as $row ) {
			if ( $row['name'] === $name ) {
				return $row;
			}
		}
		return array_fill_keys( self::FIELDS, 0 ) + array(
			'name'      => $name,
			'estimated' => array(),
		);
	}
}
