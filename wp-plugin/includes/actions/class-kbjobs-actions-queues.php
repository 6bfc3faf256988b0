<?php
/**
 * What an operator does to queues: limits, pause, resume.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Queue actions.
 */
final class KBJobs_Actions_Queues {

	/**
	 * Sets a queue's limits for every runner; a key left out keeps its value.
	 *
	 * @param string              $name   Queue.
	 * @param array<string,mixed> $limits concurrency (0: none), rate and period_ms (0: none).
	 * @return array|WP_Error The queue as it is now.
	 */
	public static function set( string $name, array $limits ) {
		return KBJobs_Action::run(
			'queue.set',
			$name,
			static function () use ( $name, $limits ) {
				$now = KBJobs_Data_Queues::get( $name );
				$new = array();
				foreach ( array( 'concurrency', 'rate', 'period_ms' ) as $key ) {
					$value = $limits[ $key ] ?? $now[ $key ] ?? 0;
					if ( ! is_numeric( $value ) || (int) $value < 0 || (string) (int) $value !== (string) $value ) {
						throw new \ValueError( sprintf( '%s must be a whole number, 0 or more', $key ) );
					}
					$new[ $key ] = (int) $value;
				}
				if ( ( $new['rate'] > 0 ) !== ( $new['period_ms'] > 0 ) ) {
					throw new \ValueError( 'rate and period_ms go together: both above 0, or both 0 for no rate limit' );
				}
				KBJobs_Engine::get()->setQueue( $name, $new['concurrency'], $new['rate'], $new['period_ms'] );
				return KBJobs_Data_Queues::get( $name ) + array(
					'audit' => array(
						'before' => array_intersect_key( $now, $new ),
						'after'  => $new,
					),
				);
			},
			$limits
		);
	}

	/**
	 * Pauses a queue: its running jobs finish, no new one starts.
	 *
	 * @param string $name Queue.
	 * @return array|WP_Error The queue as it is now.
	 */
	public static function pause( string $name ) {
		return KBJobs_Action::run(
			'queue.pause',
			$name,
			static function () use ( $name ) {
				KBJobs_Data_Queues::get( $name );
				KBJobs_Engine::get()->pauseQueue( $name );
				return KBJobs_Data_Queues::get( $name );
			}
		);
	}

	/**
	 * Resumes a paused queue.
	 *
	 * @param string $name Queue.
	 * @return array|WP_Error The queue as it is now.
	 */
	public static function resume( string $name ) {
		return KBJobs_Action::run(
			'queue.resume',
			$name,
			static function () use ( $name ) {
				KBJobs_Data_Queues::get( $name );
				KBJobs_Engine::get()->resumeQueue( $name );
				return KBJobs_Data_Queues::get( $name );
			}
		);
	}
}
