<?php
/**
 * Queues (limits, pause, depth, why they are not starting jobs) and resources (which
 * job holds each). Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects queues and resources.
 */
final class KBJobs_Data_Queues {

	const FIELDS          = array( 'name', 'paused', 'concurrency', 'rate', 'period_ms', 'backlog', 'queued', 'running', 'due', 'oldest_due_age', 'started_last_minute', 'blocked', 'rate_limited_until', 'reason', 'reason_until', 'estimated' );
	const RESOURCE_FIELDS = array( 'name', 'state', 'job_id', 'op', 'waiting' );

	/**
	 * Whether $name is a queue name the engine accepts.
	 *
	 * @param mixed $name A value.
	 * @return bool
	 */
	public static function is_name( $name ): bool {
		return is_string( $name ) && 1 === preg_match( '/^[a-z0-9_.-]{1,64}$/D', $name );
	}

	/**
	 * Every queue with settings or unfinished jobs. Its queued, running and due counts
	 * are exact up to KBJobs_Format::COUNT_CAP and the index's estimate above, listed in
	 * its `estimated`, unless $exact.
	 *
	 * @param bool $exact Count exactly (reads every matching job).
	 * @return array<int,array<string,mixed>>
	 */
	public static function all( bool $exact = false ): array {
		return array_map( array( self::class, 'row' ), KBJobs_Engine::get()->queues( $exact ) );
	}

	/**
	 * One queue (a queue nobody configured and without jobs has the defaults).
	 *
	 * @param string $name  The queue.
	 * @param bool   $exact Count exactly (see all()).
	 * @throws \ValueError When a value is not valid.
	 * @return array<string,mixed>
	 */
	public static function get( string $name, bool $exact = false ): array {
		if ( ! self::is_name( $name ) ) {
			throw new \ValueError( 'a queue name is 1 to 64 of a-z, 0-9, "_", "." and "-"' );
		}
		return self::row( KBJobs_Engine::get()->queue( $name, $exact ) + array( 'name' => $name ) );
	}

	/**
	 * A queue row with its times in ISO 8601.
	 *
	 * @param array<string,mixed> $queue The engine's row.
	 * @return array<string,mixed>
	 */
	private static function row( array $queue ): array {
		return KBJobs_Format::times( $queue, array( 'rate_limited_until', 'reason_until' ) );
	}

	/**
	 * Every resource, busy or idle: those unfinished jobs hold or wait for (the engine's
	 * list), and those the registered job types declare, idle when no job has them (the
	 * engine lists only resources in use), sorted by name.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	public static function resources(): array {
		$engine = KBJobs_Engine::get();
		$rows   = array_column( $engine->resources(), null, 'name' );
		foreach ( $engine->types() as $type ) {
			foreach ( $type['resources'] as $resource ) {
				if ( ! isset( $rows[ $resource['name'] ] ) ) {
					$rows[ $resource['name'] ] = array(
						'name'            => $resource['name'],
						'state'           => 'idle',
						'job_id'          => null,
						'op'              => null,
						'concurrency_key' => null,
						'waiting'         => 0,
					);
				}
			}
		}
		ksort( $rows, SORT_STRING );
		return array_values( $rows );
	}
}
