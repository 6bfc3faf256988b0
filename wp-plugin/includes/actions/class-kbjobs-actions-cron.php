<?php
/**
 * What an operator does to WP-Cron events kept by kbjobs: run now, pause, resume, edit
 * (next run, schedule), delete. Each is audited (cron.run, cron.pause, cron.resume,
 * cron.edit, cron.delete) with the event's hook and id as the target.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Cron event actions.
 */
final class KBJobs_Actions_Cron {

	/**
	 * Makes an event due now as a "run now": a runner, or the wp-cron.php loopback fired
	 * at once when no runner takes events, runs it; a recurring event keeps its schedule.
	 *
	 * @param int $id The event.
	 * @return array|WP_Error The event as it is now.
	 */
	public static function run_now( int $id ) {
		return self::act(
			'cron.run',
			$id,
			static function ( \KBJobs\Engine $engine ) use ( $id ) {
				$engine->cronRunNow( $id );
				if ( ! $engine->cronRunnerAlive() && ! ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) ) {
					KBJobs_Cron_Runner::spawn( microtime( true ) );
				}
			}
		);
	}

	/**
	 * Runs an event in this process, now (`wp kb cron event run`), whatever its due time;
	 * a recurring event keeps its schedule.
	 *
	 * @param int $id The event.
	 * @return array|WP_Error The run as recorded.
	 */
	public static function run_here( int $id ) {
		return KBJobs_Action::run(
			'cron.run',
			self::target( $id ),
			static function () use ( $id ) {
				KBJobs_Data_Cron::event( $id, 0 );
				$report = KBJobs_Runner::run(
					array(
						'cron_event' => $id,
						'cron_only'  => true,
					) + KBJobs_Cron_Runner::run_options( 'cli' )
				);
				KBJobs_Cron_Store::invalidate();
				$runs = KBJobs_Data_Cron::runs(
					array(
						'event_id' => $id,
						'limit'    => 1,
					)
				);
				if ( empty( $runs['runs'] ) || 0 === (int) $report['cron_ran'] ) {
					/* translators: %d: event id */
					throw new \KBJobs\ConflictException( sprintf( __( 'WP-Cron event %d did not run: it is running elsewhere, or was deleted meanwhile.', 'kb-jobs' ), $id ) );
				}
				$run = $runs['runs'][0];
				return $run + array(
					'audit' => array(
						'run'     => $run['id'],
						'outcome' => $run['outcome'],
					),
				);
			}
		);
	}

	/**
	 * Pauses an event: it stays scheduled (wp_next_scheduled() still sees it, so plugins
	 * do not schedule it again) and does not run until resumed.
	 *
	 * @param int $id The event.
	 * @return array|WP_Error The event as it is now.
	 */
	public static function pause( int $id ) {
		return self::act(
			'cron.pause',
			$id,
			static function ( \KBJobs\Engine $engine ) use ( $id ) {
				$engine->cronUpdate( $id, array( 'paused' => true ) );
			}
		);
	}

	/**
	 * Resumes a paused event; one whose time passed meanwhile runs once, then keeps its
	 * schedule.
	 *
	 * @param int $id The event.
	 * @return array|WP_Error The event as it is now.
	 */
	public static function resume( int $id ) {
		return self::act(
			'cron.resume',
			$id,
			static function ( \KBJobs\Engine $engine ) use ( $id ) {
				$engine->cronUpdate( $id, array( 'paused' => false ) );
			}
		);
	}

	/**
	 * Changes an event's next run and/or schedule.
	 *
	 * @param int                 $id      The event.
	 * @param array<string,mixed> $changes next_run (a time: epoch seconds or ISO 8601),
	 *                                     schedule (a registered schedule's name, or
	 *                                     '' for a single event).
	 * @return array|WP_Error The event as it is now.
	 */
	public static function edit( int $id, array $changes ) {
		return self::act(
			'cron.edit',
			$id,
			static function ( \KBJobs\Engine $engine ) use ( $id, $changes ) {
				$update = array();
				if ( isset( $changes['next_run'] ) && '' !== (string) $changes['next_run'] ) {
					$time = KBJobs_Format::parse_time( $changes['next_run'] );
					if ( null === $time || $time <= 0 ) {
						throw new \ValueError( 'next_run must be a time: seconds since 1970 or ISO 8601' );
					}
					$update['timestamp'] = (int) $time;
				}
				if ( array_key_exists( 'schedule', $changes ) && null !== $changes['schedule'] ) {
					$name = (string) $changes['schedule'];
					if ( '' === $name ) {
						$update['schedule'] = null;
					} else {
						$schedules = wp_get_schedules();
						if ( ! isset( $schedules[ $name ] ) ) {
							throw new \ValueError( sprintf( 'schedule must be one of: %s (or empty for a single event)', implode( ', ', array_keys( $schedules ) ) ) );
						}
						$update['schedule'] = $name;
						$update['interval'] = (int) $schedules[ $name ]['interval'];
					}
				}
				if ( ! $update ) {
					throw new \ValueError( 'give next_run or schedule' );
				}
				$engine->cronUpdate( $id, $update );
				return array( 'changes' => $changes );
			},
			$changes
		);
	}

	/**
	 * Deletes an event (its runs stay in the history); a run in progress finishes.
	 *
	 * @param int $id The event.
	 * @return array|WP_Error The event as it was.
	 */
	public static function delete( int $id ) {
		return KBJobs_Action::run(
			'cron.delete',
			self::target( $id ),
			static function () use ( $id ) {
				$event = KBJobs_Data_Cron::event( $id, 0 );
				KBJobs_Engine::get()->cronDelete( $id );
				KBJobs_Cron_Store::invalidate();
				return $event;
			}
		);
	}

	/**
	 * Runs an action on an event that must exist, and answers with the event after it.
	 *
	 * @param string              $action The audit name.
	 * @param int                 $id     The event.
	 * @param callable            $work   Given the engine; may return an audit summary.
	 * @param array<string,mixed> $detail Recorded with the outcome.
	 * @return array|WP_Error
	 */
	private static function act( string $action, int $id, callable $work, array $detail = array() ) {
		return KBJobs_Action::run(
			$action,
			self::target( $id ),
			static function () use ( $id, $work ) {
				KBJobs_Data_Cron::event( $id, 0 );
				$summary = $work( KBJobs_Engine::get() );
				KBJobs_Cron_Store::invalidate();
				$event = KBJobs_Data_Cron::event( $id, 0 );
				return is_array( $summary ) ? $event + array( 'audit' => $summary ) : $event;
			},
			$detail
		);
	}

	/**
	 * The audit target of an event: its hook and id (the hook alone is ambiguous, the id
	 * alone says nothing once the event is gone).
	 *
	 * @param int $id The event.
	 * @return string
	 */
	private static function target( int $id ): string {
		try {
			$event = KBJobs_Engine::get()->cronEvent( $id );
		} catch ( \Throwable $e ) {
			$event = null;
		}
		return ( null === $event ? '' : $event['hook'] ) . '#' . $id;
	}
}
