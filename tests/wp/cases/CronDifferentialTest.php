<?php
/**
 * The same seeded sequence of 200 random cron API calls run on core (the adapter off:
 * the `cron` option) and on kbjobs (the adapter on: the engine's table), call by call:
 * every answer must be the same, and so must _get_cron_array() and
 * wp_get_ready_cron_jobs() at checkpoints and at the end.
 *
 * Core reads time() itself. Each call runs on both sides within one second of the clock
 * (a call is started early in a second), so the duplicate window and the rescheduled
 * times see the same `now` on both sides; times are also drawn right at the window's
 * edges of existing events (0, 599, 600 and 601 seconds away).
 */

namespace KBJobs\Tests;

final class CronDifferentialTest extends TestCase {

	const HOOKS     = array( 'kbjobs_diff_a', 'kbjobs_diff_b', 'kbjobs_diff_c', 'kbjobs_diff_d' );
	const SCHEDULES = array( 'hourly', 'daily', 'twicedaily', 'kbjobs_diff_5min' );
	const CALLS     = 200;
	const SEED      = 15;

	/**
	 * Arguments drawn from, including none and nested ones.
	 *
	 * @return array[]
	 */
	private static function arg_sets(): array {
		return array(
			array(),
			array( 'x' ),
			array( 1, 2 ),
			array( 'a' => array( 'b' => array( 1, 'c' ) ) ),
			array( true, null ),
			array( 'ü', 1.5 ),
			array( array() ),
		);
	}

	public static function five_minutes( array $schedules ): array {
		$schedules['kbjobs_diff_5min'] = array(
			'interval' => 300,
			'display'  => 'Every five minutes (test)',
		);
		return $schedules;
	}

	protected function setUp(): void {
		$this->assertTrue( \KBJobs_Cron::active() );
		add_filter( 'cron_schedules', array( self::class, 'five_minutes' ) );
		$this->clean();
	}

	protected function tearDown(): void {
		$this->clean();
		remove_filter( 'cron_schedules', array( self::class, 'five_minutes' ) );
		\KBJobs_Cron_Adapter::add();
	}

	/**
	 * Removes the test's hooks from both sides.
	 */
	private function clean(): void {
		$this->on_core(
			static function () {
				$crons = _get_cron_array();
				foreach ( $crons as $timestamp => $hooks ) {
					foreach ( self::HOOKS as $hook ) {
						unset( $crons[ $timestamp ][ $hook ] );
					}
					if ( empty( $crons[ $timestamp ] ) ) {
						unset( $crons[ $timestamp ] );
					}
				}
				_set_cron_array( $crons );
			}
		);
		foreach ( self::HOOKS as $hook ) {
			wp_unschedule_hook( $hook );
		}
	}

	/**
	 * Runs a callback with the adapter off: core on the `cron` option.
	 */
	private function on_core( callable $callback ) {
		\KBJobs_Cron_Adapter::remove();
		try {
			return $callback();
		} finally {
			\KBJobs_Cron_Adapter::add();
		}
	}

	/**
	 * Waits, when needed, until the clock is early in a second, so the next few
	 * milliseconds see one time().
	 */
	private static function early_in_a_second(): void {
		$fraction = microtime( true ) - floor( microtime( true ) );
		if ( $fraction > 0.6 ) {
			usleep( (int) ( ( 1.0 - $fraction ) * 1e6 ) + 20000 );
		}
	}

	/**
	 * The test's events on one side, as core's array holds them.
	 */
	private static function test_events( array $crons ): array {
		$mine = array();
		foreach ( $crons as $timestamp => $hooks ) {
			foreach ( $hooks as $hook => $entries ) {
				if ( in_array( $hook, self::HOOKS, true ) ) {
					$mine[ $timestamp ][ $hook ] = $entries;
				}
			}
		}
		return $mine;
	}

	/**
	 * An answer made comparable: a WP_Error by its code and message, an event object
	 * as an array (with the types kept).
	 */
	private static function answer( $result ) {
		if ( is_wp_error( $result ) ) {
			return array( 'WP_Error' => $result->get_error_code() . ': ' . $result->get_error_message() );
		}
		if ( is_object( $result ) ) {
			return array( 'object' => get_object_vars( $result ) );
		}
		return $result;
	}

	/**
	 * Draws the next call from core's current events.
	 *
	 * @return array{0:string,1:array} The function and its arguments.
	 */
	private function draw( int $base ): array {
		$events = array();
		foreach ( $this->on_core( '_get_cron_array' ) as $timestamp => $hooks ) {
			foreach ( self::test_events( array( $timestamp => $hooks ) ) as $t => $by_hook ) {
				foreach ( $by_hook as $hook => $entries ) {
					foreach ( $entries as $entry ) {
						$events[] = array( $t, $hook, $entry['args'], $entry['schedule'] );
					}
				}
			}
		}
		$args_sets = self::arg_sets();
		$hook      = self::HOOKS[ mt_rand( 0, count( self::HOOKS ) - 1 ) ];
		$args      = $args_sets[ mt_rand( 0, count( $args_sets ) - 1 ) ];
		$schedule  = self::SCHEDULES[ mt_rand( 0, count( self::SCHEDULES ) - 1 ) ];
		$wp_error  = 1 === mt_rand( 0, 1 );
		$existing  = $events ? $events[ mt_rand( 0, count( $events ) - 1 ) ] : null;
		$pick      = mt_rand( 1, 100 );
		if ( $existing && $pick <= 30 ) {
			// At an existing event's window edges (or on it).
			$edges = array( 0, 599, 600, 601, -599, -600, -601 );
			$time  = $existing[0] + $edges[ mt_rand( 0, count( $edges ) - 1 ) ];
			$hook  = mt_rand( 0, 3 ) ? $existing[1] : $hook;
			$args  = mt_rand( 0, 3 ) ? $existing[2] : $args;
		} elseif ( $pick <= 70 ) {
			// Near now, past or future.
			$time = $base + mt_rand( -12, 12 ) * 300 + 150;
		} else {
			// Far ahead.
			$time = $base + mt_rand( 2, 200 ) * 3600 + 150;
		}
		$time = max( 1, $time );
		$kind = mt_rand( 1, 100 );
		if ( $kind <= 25 ) {
			return array( 'wp_schedule_single_event', array( $time, $hook, $args, $wp_error ) );
		}
		if ( $kind <= 40 ) {
			return array( 'wp_schedule_event', array( $time, $schedule, $hook, $args, $wp_error ) );
		}
		if ( $kind <= 48 ) {
			if ( $existing && false !== $existing[3] && mt_rand( 0, 3 ) ) {
				return array( 'wp_reschedule_event', array( $existing[0], $existing[3], $existing[1], $existing[2], $wp_error ) );
			}
			return array( 'wp_reschedule_event', array( $time, $schedule, $hook, $args, $wp_error ) );
		}
		if ( $kind <= 63 ) {
			if ( $existing && mt_rand( 0, 4 ) ) {
				return array( 'wp_unschedule_event', array( $existing[0], $existing[1], $existing[2], $wp_error ) );
			}
			return array( 'wp_unschedule_event', array( $time, $hook, $args, $wp_error ) );
		}
		if ( $kind <= 70 ) {
			return array( 'wp_clear_scheduled_hook', array( $hook, $args, $wp_error ) );
		}
		if ( $kind <= 73 ) {
			return array( 'wp_unschedule_hook', array( $hook, $wp_error ) );
		}
		if ( $kind <= 86 ) {
			return array( 'wp_next_scheduled', array( $hook, $args ) );
		}
		$at = array( null, $time, $existing ? $existing[0] : null );
		return array( 'wp_get_scheduled_event', array( $hook, $args, $at[ mt_rand( 0, 2 ) ] ) );
	}

	/**
	 * Compares the whole of both sides.
	 */
	private function assert_same_arrays( string $when ): void {
		self::early_in_a_second();
		$core = $this->on_core(
			static function () {
				return array( self::test_events( _get_cron_array() ), self::test_events( wp_get_ready_cron_jobs() ) );
			}
		);
		$kbjobs = array( self::test_events( _get_cron_array() ), self::test_events( wp_get_ready_cron_jobs() ) );
		$this->assertSame( $core[0], $kbjobs[0], "_get_cron_array() $when" );
		$this->assertSame( $core[1], $kbjobs[1], "wp_get_ready_cron_jobs() $when" );
	}

	public function test_two_hundred_random_cron_api_calls_answer_as_core_does(): void {
		mt_srand( self::SEED );
		$base  = time();
		$kinds = array();
		for ( $i = 0; $i < self::CALLS; $i++ ) {
			list( $function, $args ) = $this->draw( $base );
			self::early_in_a_second();
			$core   = self::answer( $this->on_core( static fn() => $function( ...$args ) ) );
			$kbjobs = self::answer( $function( ...$args ) );
			$this->assertSame( $core, $kbjobs, "call $i: $function " . wp_json_encode( $args ) );
			$kinds[ $function ] = ( $kinds[ $function ] ?? 0 ) + 1;
			if ( 0 === ( $i + 1 ) % 10 ) {
				$this->assert_same_arrays( 'after call ' . $i );
			}
		}
		$this->assert_same_arrays( 'at the end' );
		// The sequence exercised every function, and left events to compare.
		$this->assertCount( 8, $kinds, wp_json_encode( $kinds ) );
		$this->assertNotEmpty( self::test_events( _get_cron_array() ) );
	}
}
