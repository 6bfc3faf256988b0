<?php
/**
 * The WP-Cron adapter, filter by filter, against core's contract (wp-includes/cron.php
 * of the WordPress under test): with the events in the engine's table, core's own
 * functions answer exactly as they would from the `cron` option.
 */

namespace KBJobs\Tests;

final class CronAdapterTest extends TestCase {

	/**
	 * Hooks a test used, cleared after it.
	 *
	 * @var string[]
	 */
	private $hooks = array();

	/**
	 * Filters a test added: [ name, callback ].
	 *
	 * @var array<int,array{0:string,1:callable}>
	 */
	private $filters = array();

	protected function setUp(): void {
		// The plugin booted with the default setting: the events are in the engine.
		$this->assertTrue( \KBJobs_Cron::enabled() );
		$this->assertSame( 'kbjobs', \KBJobs_Cron::state() );
		$this->assertTrue( \KBJobs_Cron::active() );
	}

	protected function tearDown(): void {
		foreach ( array_reverse( $this->filters ) as $filter ) {
			remove_filter( $filter[0], $filter[1], 10 );
		}
		foreach ( $this->hooks as $hook ) {
			wp_unschedule_hook( $hook );
		}
		\KBJobs_Cron_Adapter::add();
	}

	private function hook( string $name ): string {
		$hook          = 'kbjobs_test_cron_' . $name;
		$this->hooks[] = $hook;
		wp_unschedule_hook( $hook );
		return $hook;
	}

	private function filter( string $name, callable $callback, int $args = 1 ): void {
		add_filter( $name, $callback, 10, $args );
		$this->filters[] = array( $name, $callback );
	}

	/**
	 * The events of a hook as core's array holds them: [ timestamp => [ key => entry ] ].
	 */
	private function events_of( string $hook ): array {
		$events = array();
		foreach ( _get_cron_array() as $timestamp => $hooks ) {
			foreach ( $hooks[ $hook ] ?? array() as $key => $entry ) {
				$events[ $timestamp ][ $key ] = $entry;
			}
		}
		return $events;
	}

	/**
	 * The engine's row of an event (to see what the adapter stored beyond core's view).
	 */
	private function engine_event( string $hook, array $args, int $timestamp ): array {
		$found = \KBJobs_Engine::get()->cronEvents(
			array(
				'hook'     => $hook,
				'args_key' => md5( serialize( $args ) ),
			)
		);
		foreach ( $found as $event ) {
			if ( $event['timestamp'] === $timestamp ) {
				return $event;
			}
		}
		$this->fail( "no event $hook at $timestamp" );
	}

	private function assert_error( string $code, string $message, $result ): void {
		$this->assertInstanceOf( \WP_Error::class, $result );
		$this->assertSame( $code, $result->get_error_code() );
		$this->assertSame( $message, $result->get_error_message() );
	}

	public function test_a_single_event_inside_core_s_ten_minute_window_is_a_duplicate_at_599_and_600_not_601(): void {
		$hook = $this->hook( 'window' );
		$t    = time() + DAY_IN_SECONDS;
		$this->assertTrue( wp_schedule_single_event( $t, $hook ) );

		$this->assertFalse( wp_schedule_single_event( $t + 599, $hook ) );
		$this->assert_error( 'duplicate_event', 'A duplicate event already exists.', wp_schedule_single_event( $t + 599, $hook, array(), true ) );
		$this->assertFalse( wp_schedule_single_event( $t + 600, $hook ), 'the window includes its edge' );
		$this->assertFalse( wp_schedule_single_event( $t - 600, $hook ) );
		$this->assertTrue( wp_schedule_single_event( $t + 601, $hook ) );
		$this->assertTrue( wp_schedule_single_event( $t - 601, $hook ) );
		// Other arguments are another event.
		$this->assertTrue( wp_schedule_single_event( $t, $hook, array( 'other' ) ) );
		$this->assertSame( array( $t - 601, $t, $t + 601 ), array_keys( $this->events_of( $hook ) ) );
	}

	public function test_near_now_every_past_identical_event_is_a_duplicate_and_a_past_time_sees_the_next_ten_minutes(): void {
		$hook = $this->hook( 'near' );
		$now  = time();
		// A recurring event long overdue blocks a single one due within ten minutes...
		$this->assertTrue( wp_schedule_event( $now - 5 * DAY_IN_SECONDS, 'daily', $hook ) );
		$this->assertFalse( wp_schedule_single_event( $now + 300, $hook ) );
		// ...but not one due later than that window.
		$this->assertTrue( wp_schedule_single_event( $now + 3600, $hook ) );

		$late = $this->hook( 'late' );
		$this->assertTrue( wp_schedule_single_event( $now + 500, $late ) );
		// A time in the past is a duplicate of anything up to now + 600.
		$this->assertFalse( wp_schedule_single_event( $now - 3 * HOUR_IN_SECONDS, $late ) );
	}

	public function test_a_recurring_event_replaces_the_one_with_the_same_hook_args_and_time_and_nothing_else(): void {
		$hook = $this->hook( 'recurring' );
		$t    = time() + HOUR_IN_SECONDS;
		$this->assertTrue( wp_schedule_event( $t, 'hourly', $hook, array( 1 ) ) );
		$this->assertTrue( wp_schedule_event( $t, 'daily', $hook, array( 1 ) ) );
		$this->assertSame(
			array( $t => array( md5( serialize( array( 1 ) ) ) => array( 'schedule' => 'daily', 'args' => array( 1 ), 'interval' => DAY_IN_SECONDS ) ) ),
			$this->events_of( $hook )
		);
		$this->assertSame( 'daily', wp_get_schedule( $hook, array( 1 ) ) );
		// Nothing changes: core's update_option() reports that as a failure.
		$this->assertFalse( wp_schedule_event( $t, 'daily', $hook, array( 1 ) ) );
		$this->assert_error( 'could_not_set', 'The cron event list could not be saved.', wp_schedule_event( $t, 'daily', $hook, array( 1 ), true ) );
		// No duplicate window for recurring events.
		$this->assertTrue( wp_schedule_event( $t + 60, 'hourly', $hook, array( 1 ) ) );
		// A single event at the same time is replaced by a recurring one.
		$single = $this->hook( 'single_then_recurring' );
		$this->assertTrue( wp_schedule_single_event( $t, $single ) );
		$this->assertTrue( wp_schedule_event( $t, 'hourly', $single ) );
		$this->assertSame( array( $t ), array_keys( $this->events_of( $single ) ) );
		$this->assertSame( 'hourly', wp_get_schedule( $single ) );
		$this->assertSame( 2, count( $this->events_of( $hook ) ) );
	}

	public function test_rescheduling_after_missed_runs_skips_them_as_core_does(): void {
		$hook = $this->hook( 'missed' );
		$now  = time();
		$last = $now - 3 * HOUR_IN_SECONDS - 100;
		$this->assertTrue( wp_schedule_event( $last, 'hourly', $hook ) );
		$this->assertTrue( wp_reschedule_event( $last, 'hourly', $hook ) );
		// now + (interval - ((now - ts) mod interval)): 3,500 s ahead, not three runs behind.
		$next = array_keys( $this->events_of( $hook ) );
		$this->assertCount( 2, $next, 'core leaves the old event to wp_unschedule_event()' );
		$this->assertSame( $last, $next[0] );
		$this->assertContains( $next[1] - $now, array( 3500, 3501, 3502 ) );

		// A previous run in the future: now + interval.
		$future = $this->hook( 'future' );
		$this->assertTrue( wp_schedule_event( $now + 50, 'hourly', $future ) );
		$this->assertTrue( wp_reschedule_event( $now + 50, 'hourly', $future ) );
		$times = array_keys( $this->events_of( $future ) );
		$this->assertContains( $times[1] - $now, array( 3600, 3601, 3602 ) );
	}

	public function test_an_hourly_event_first_due_at_timestamp_1_runs_once_then_hourly(): void {
		$hook = $this->hook( 'epoch' );
		$this->assertTrue( wp_schedule_event( 1, 'hourly', $hook ) );
		$this->assertSame( 1, wp_next_scheduled( $hook ) );
		$ready = wp_get_ready_cron_jobs();
		$this->assertSame( array( 'schedule' => 'hourly', 'args' => array(), 'interval' => HOUR_IN_SECONDS ), $ready[1][ $hook ][ md5( serialize( array() ) ) ] );

		// What wp-cron.php does around a run: reschedule, then unschedule the due time.
		$now = time();
		$this->assertTrue( wp_reschedule_event( 1, 'hourly', $hook ) );
		$this->assertTrue( wp_unschedule_event( 1, $hook ) );
		$times = array_keys( $this->events_of( $hook ) );
		$this->assertCount( 1, $times, 'one next time, not one per missed hour' );
		$this->assertGreaterThan( $now, $times[0] );
		$this->assertLessThanOrEqual( $now + 1 + HOUR_IN_SECONDS, $times[0] );
		$this->assertSame( $times[0], wp_next_scheduled( $hook ) );
	}

	public function test_unscheduling_deletes_the_one_matching_event_and_reports_a_miss_as_core_does(): void {
		$hook = $this->hook( 'unschedule' );
		$t    = time() + HOUR_IN_SECONDS;
		$this->assertTrue( wp_schedule_single_event( $t, $hook, array( 'a' ) ) );
		$this->assertTrue( wp_schedule_single_event( $t, $hook, array( 'b' ) ) );
		$this->assertFalse( wp_unschedule_event( $t + 1, $hook, array( 'a' ) ) );
		$this->assert_error( 'could_not_set', 'The cron event list could not be saved.', wp_unschedule_event( $t, $hook, array( 'c' ), true ) );
		$this->assertTrue( wp_unschedule_event( $t, $hook, array( 'a' ) ) );
		$this->assertFalse( wp_unschedule_event( $t, $hook, array( 'a' ) ) );
		$this->assertFalse( wp_next_scheduled( $hook, array( 'a' ) ) );
		$this->assertSame( $t, wp_next_scheduled( $hook, array( 'b' ) ) );
	}

	public function test_clearing_a_hook_takes_only_the_given_args_and_returns_counts(): void {
		$hook = $this->hook( 'clear' );
		$t    = time() + HOUR_IN_SECONDS;
		$this->assertTrue( wp_schedule_single_event( $t, $hook ) );
		$this->assertTrue( wp_schedule_single_event( $t + 2 * HOUR_IN_SECONDS, $hook ) );
		$this->assertTrue( wp_schedule_event( $t, 'daily', $hook, array( 'x' ) ) );

		// array() means "no arguments", not "any".
		$this->assertSame( 2, wp_clear_scheduled_hook( $hook ) );
		$this->assertSame( 0, wp_clear_scheduled_hook( $hook, array(), true ) );
		$this->assertSame( $t, wp_next_scheduled( $hook, array( 'x' ) ) );
		$this->assertSame( 1, wp_clear_scheduled_hook( $hook, array( 'x' ) ) );
		$this->assertSame( array(), $this->events_of( $hook ) );
		$this->assertSame( 0, wp_clear_scheduled_hook( $this->hook( 'never_scheduled' ) ) );
	}

	public function test_unscheduling_a_hook_takes_every_args_and_returns_the_count(): void {
		$hook = $this->hook( 'unschedule_hook' );
		$t    = time() + HOUR_IN_SECONDS;
		$this->assertTrue( wp_schedule_single_event( $t, $hook ) );
		$this->assertTrue( wp_schedule_single_event( $t, $hook, array( 1 ) ) );
		$this->assertTrue( wp_schedule_event( $t + 99, 'hourly', $hook, array( array( 'nested' => true ) ) ) );
		$other = $this->hook( 'unschedule_hook_other' );
		$this->assertTrue( wp_schedule_single_event( $t, $other ) );

		$this->assertSame( 3, wp_unschedule_hook( $hook ) );
		$this->assertSame( 0, wp_unschedule_hook( $hook, true ) );
		$this->assertSame( array(), $this->events_of( $hook ) );
		$this->assertSame( $t, wp_next_scheduled( $other ) );
	}

	public function test_the_schedule_event_filter_is_applied_and_its_false_refuses(): void {
		$hook = $this->hook( 'filtered' );
		$t    = time() + HOUR_IN_SECONDS;
		$seen = array();
		$this->filter(
			'schedule_event',
			static function ( $event ) use ( &$seen, $hook ) {
				if ( $event->hook !== $hook ) {
					return $event;
				}
				$seen[] = $event->schedule;
				if ( array( 'refuse' ) === $event->args ) {
					return false;
				}
				$event->timestamp += 100;
				return $event;
			}
		);
		$this->assertFalse( wp_schedule_single_event( $t, $hook, array( 'refuse' ) ) );
		$this->assert_error( 'schedule_event_false', 'A plugin disallowed this event.', wp_schedule_single_event( $t, $hook, array( 'refuse' ), true ) );
		$this->assert_error( 'schedule_event_false', 'A plugin disallowed this event.', wp_schedule_event( $t, 'hourly', $hook, array( 'refuse' ), true ) );
		$this->assertFalse( wp_next_scheduled( $hook, array( 'refuse' ) ) );

		// A changed event is stored as changed.
		$this->assertTrue( wp_schedule_event( $t, 'hourly', $hook ) );
		$this->assertSame( $t + 100, wp_next_scheduled( $hook ) );
		$this->assertSame( array( false, false, 'hourly', 'hourly' ), $seen );

		// A duplicate is refused before the filter runs, as in core.
		$seen = array();
		$this->assertFalse( wp_schedule_single_event( $t + 150, $hook ) );
		$this->assertSame( array(), $seen );
	}

	public function test_an_unknown_schedule_is_refused_by_core_and_a_vanished_one_keeps_its_name_and_interval(): void {
		$hook = $this->hook( 'schedules' );
		$t    = time() + HOUR_IN_SECONDS;
		$this->assert_error( 'invalid_schedule', 'Event schedule does not exist.', wp_schedule_event( $t, 'kbjobs_test_no_such_schedule', $hook, array(), true ) );
		$this->assertFalse( wp_next_scheduled( $hook ) );

		$seven = static function ( $schedules ) {
			$schedules['kbjobs_test_7min'] = array(
				'interval' => 420,
				'display'  => 'Every seven minutes',
			);
			return $schedules;
		};
		add_filter( 'cron_schedules', $seven );
		$this->assertTrue( wp_schedule_event( $t, 'kbjobs_test_7min', $hook ) );
		remove_filter( 'cron_schedules', $seven );

		// The schedule is gone: the event keeps its name and interval.
		$event = wp_get_scheduled_event( $hook );
		$this->assertEquals(
			(object) array(
				'hook'      => $hook,
				'timestamp' => $t,
				'schedule'  => 'kbjobs_test_7min',
				'args'      => array(),
				'interval'  => 420,
			),
			$event
		);
		$this->assertSame( 'kbjobs_test_7min', wp_get_schedule( $hook ) );
		// Core would refuse the next run (invalid_schedule in wp_schedule_event());
		// kbjobs schedules it on the stored interval.
		$now = time();
		$this->assertTrue( wp_reschedule_event( $t, 'kbjobs_test_7min', $hook, array(), true ) );
		$times = array_keys( $this->events_of( $hook ) );
		$this->assertCount( 2, $times );
		$this->assertSame( $t, $times[1] );
		$this->assertContains( $times[0] - $now, array( 420, 421, 422 ) );
		$this->assertSame(
			array(
				'schedule' => 'kbjobs_test_7min',
				'args'     => array(),
				'interval' => 420,
			),
			$this->events_of( $hook )[ $times[0] ][ md5( serialize( array() ) ) ]
		);
		// With neither the schedule nor a stored event there is no interval: core's error.
		$this->assert_error( 'invalid_schedule', 'Event schedule does not exist.', wp_reschedule_event( $t + 5, 'kbjobs_test_gone', $this->hook( 'no_interval' ), array(), true ) );
	}

	public function test_empty_args_are_no_args_and_missing_args_mean_empty(): void {
		$hook = $this->hook( 'args' );
		$t    = time() + HOUR_IN_SECONDS;
		$this->assertTrue( wp_schedule_single_event( $t + 5000, $hook, array( 'x' ) ) );
		$this->assertFalse( wp_next_scheduled( $hook ), 'array() is not "any arguments"' );
		$this->assertTrue( wp_schedule_single_event( $t, $hook, array() ) );
		$this->assertSame( $t, wp_next_scheduled( $hook ) );
		$this->assertSame( $t, wp_next_scheduled( $hook, array() ) );
		$this->assertSame( $t + 5000, wp_next_scheduled( $hook, array( 'x' ) ) );
		$this->assertFalse( wp_next_scheduled( $hook, array( 'x', 'y' ) ) );
		$this->assertFalse( wp_next_scheduled( $hook, array( null ) ) );
	}

	public function test_next_scheduled_is_the_earliest_and_get_scheduled_event_takes_an_exact_time(): void {
		$hook = $this->hook( 'earliest' );
		$t    = time() + DAY_IN_SECONDS;
		$this->assertTrue( wp_schedule_single_event( $t + 7200, $hook ) );
		$this->assertTrue( wp_schedule_event( $t + 20000, 'twicedaily', $hook ) );
		$this->assertTrue( wp_schedule_single_event( $t + 3600, $hook ) );
		$this->assertSame( $t + 3600, wp_next_scheduled( $hook ) );
		$this->assertFalse( wp_get_schedule( $hook ) );

		$event = wp_get_scheduled_event( $hook, array(), $t + 20000 );
		$this->assertSame( 'twicedaily', $event->schedule );
		$this->assertSame( 12 * HOUR_IN_SECONDS, $event->interval );
		$this->assertSame( $t + 20000, $event->timestamp );
		$this->assertFalse( property_exists( wp_get_scheduled_event( $hook ), 'interval' ), 'a single event has no interval' );
		$this->assertFalse( wp_get_scheduled_event( $hook, array(), $t + 20001 ) );
		$this->assertFalse( wp_get_scheduled_event( $hook, array(), 'soon' ), 'a non-numeric time is false' );
		$this->assertSame( (string) ( $t + 7200 ), wp_get_scheduled_event( $hook, array(), (string) ( $t + 7200 ) )->timestamp, 'the timestamp as given' );
	}

	public function test_the_ready_events_are_the_due_ones_in_core_s_shape(): void {
		$hook = $this->hook( 'ready' );
		$now  = time();
		$this->assertTrue( wp_schedule_event( $now - 100, 'hourly', $hook, array( 'a' => array( 1, 2 ) ) ) );
		$this->assertTrue( wp_schedule_single_event( $now - 5000, $hook, array( 'b' ) ) );
		$this->assertTrue( wp_schedule_single_event( $now + 5000, $hook, array( 'c' ) ) );
		$ready = wp_get_ready_cron_jobs();
		$mine  = array();
		foreach ( $ready as $timestamp => $hooks ) {
			if ( isset( $hooks[ $hook ] ) ) {
				$mine[ $timestamp ] = $hooks[ $hook ];
			}
		}
		$this->assertSame(
			array(
				$now - 5000 => array( md5( serialize( array( 'b' ) ) ) => array( 'schedule' => false, 'args' => array( 'b' ) ) ),
				$now - 100  => array( md5( serialize( array( 'a' => array( 1, 2 ) ) ) ) => array( 'schedule' => 'hourly', 'args' => array( 'a' => array( 1, 2 ) ), 'interval' => HOUR_IN_SECONDS ) ),
			),
			$mine
		);
		$keys = array_keys( $ready );
		$this->assertSame( $keys, array_values( array_filter( $keys, static fn( $k ) => $k <= microtime( true ) ) ) );
		$sorted = $keys;
		sort( $sorted );
		$this->assertSame( $sorted, $keys );

		// The runner side's hook point: what it returns is what core runs.
		$none = static fn() => array();
		$this->filter( 'kbjobs_cron_ready_jobs', $none );
		$this->assertSame( array(), wp_get_ready_cron_jobs() );
	}

	public function test_the_cron_option_reads_as_core_would_hold_it(): void {
		$hook = $this->hook( 'option' );
		$t    = time() + HOUR_IN_SECONDS;
		$this->assertTrue( wp_schedule_single_event( $t, $hook, array( 2 ) ) );
		$this->assertTrue( wp_schedule_single_event( $t, $hook, array( 1 ) ) );
		$option = get_option( 'cron' );
		$this->assertSame( 2, $option['version'] );
		$this->assertSame( 'version', array_key_last( $option ) );
		$this->assertSame( array( md5( serialize( array( 2 ) ) ), md5( serialize( array( 1 ) ) ) ), array_keys( $option[ $t ][ $hook ] ), 'in the order they were added' );
		$times = array_slice( array_keys( $option ), 0, -1 );
		$sorted = $times;
		usort( $sorted, 'strnatcasecmp' );
		$this->assertSame( array_values( $sorted ), $times );
		// The option row itself does not hold them.
		global $wpdb;
		$stored = maybe_unserialize( $wpdb->get_var( "SELECT option_value FROM {$wpdb->options} WHERE option_name = 'cron'" ) );
		$this->assertSame( 2, $stored['version'] );
		$this->assertArrayNotHasKey( $t, $stored );
	}

	public function test_a_direct_write_of_the_cron_array_is_applied_as_schedules_and_unschedules_and_reports_false(): void {
		$keep   = $this->hook( 'direct_keep' );
		$drop   = $this->hook( 'direct_drop' );
		$add    = $this->hook( 'direct_add' );
		$change = $this->hook( 'direct_change' );
		$t      = time() + HOUR_IN_SECONDS;
		$this->assertTrue( wp_schedule_single_event( $t, $keep ) );
		$this->assertTrue( wp_schedule_single_event( $t + 10, $drop, array( 'd' ) ) );
		$this->assertTrue( wp_schedule_event( $t + 20, 'hourly', $change ) );

		$crons = _get_cron_array();
		unset( $crons[ $t + 10 ][ $drop ] );
		$crons[ $t + 30 ][ $add ][ md5( serialize( array( 'n' ) ) ) ] = array(
			'schedule' => 'daily',
			'args'     => array( 'n' ),
			'interval' => DAY_IN_SECONDS,
		);
		$crons[ $t + 20 ][ $change ][ md5( serialize( array() ) ) ]['schedule'] = 'twicedaily';
		$crons[ $t + 20 ][ $change ][ md5( serialize( array() ) ) ]['interval'] = 12 * HOUR_IN_SECONDS;
		// As under Cavalcade: the option is left as it is, so the write "fails".
		$this->assertFalse( _set_cron_array( $crons ) );

		$this->assertSame( $t, wp_next_scheduled( $keep ) );
		$this->assertFalse( wp_next_scheduled( $drop, array( 'd' ) ) );
		$this->assertSame( $t + 30, wp_next_scheduled( $add, array( 'n' ) ) );
		$this->assertSame( 'daily', wp_get_schedule( $add, array( 'n' ) ) );
		$this->assertSame( 'twicedaily', wp_get_schedule( $change ) );
		$this->assertSame( 12 * HOUR_IN_SECONDS, wp_get_scheduled_event( $change )->interval );

		// With $wp_error: core's could_not_set.
		$crons = _get_cron_array();
		unset( $crons[ $t ][ $keep ] );
		$this->assert_error( 'could_not_set', 'The cron event list could not be saved.', _set_cron_array( $crons, true ) );
		$this->assertFalse( wp_next_scheduled( $keep ) );
	}

	public function test_the_policy_filter_decides_how_the_engine_runs_an_event(): void {
		$hook   = $this->hook( 'policy' );
		$t      = time() + HOUR_IN_SECONDS;
		$called = array();
		$this->filter(
			'kbjobs_cron_event_policy',
			static function ( $policy, $h, $args ) use ( &$called, $hook ) {
				if ( $h === $hook ) {
					$called[]                = $args;
					$policy['parallel']      = true;
					$policy['max_attempts']  = 3;
					$policy['retry_seconds'] = 30;
				}
				return $policy;
			},
			3
		);
		$this->assertTrue( wp_schedule_event( $t, 'hourly', $hook, array( 'p' ) ) );
		$this->assertSame( array( array( 'p' ) ), $called );
		$event = $this->engine_event( $hook, array( 'p' ), $t );
		$this->assertTrue( $event['parallel'] );
		$this->assertSame( 3, $event['max_attempts'] );
		$this->assertSame( 30, $event['retry_seconds'] );
		$this->assertSame( '["p"]', $event['args_json'] );

		$plain = $this->hook( 'policy_default' );
		$this->assertTrue( wp_schedule_single_event( $t, $plain ) );
		$event = $this->engine_event( $plain, array(), $t );
		$this->assertFalse( $event['parallel'] );
		$this->assertSame( 1, $event['max_attempts'] );
	}

	public function test_arguments_json_cannot_show_keep_the_event(): void {
		$hook = $this->hook( 'inf' );
		$t    = time() + HOUR_IN_SECONDS;
		$args = array( INF, 'x' );
		$this->assertTrue( wp_schedule_single_event( $t, $hook, $args ) );
		$this->assertSame( $t, wp_next_scheduled( $hook, $args ) );
		$event = $this->engine_event( $hook, $args, $t );
		$this->assertStringContainsString( 'kbjobs_unencodable', $event['args_json'] );
		$this->assertSame( serialize( $args ), $event['args_php'] );
		$this->assertSame( $args, _get_cron_array()[ $t ][ $hook ][ md5( serialize( $args ) ) ]['args'] );
	}

	public function test_a_hook_the_engine_refuses_is_could_not_set_with_the_reason(): void {
		$hook   = str_repeat( 'h', 200 );
		$result = wp_schedule_single_event( time() + HOUR_IN_SECONDS, $hook, array(), true );
		$this->assertInstanceOf( \WP_Error::class, $result );
		$this->assertSame( 'could_not_set', $result->get_error_code() );
		$this->assertNotEmpty( $result->get_error_data()['reason'] ?? '' );
		$this->assertFalse( wp_next_scheduled( $hook ) );
	}

	public function test_a_page_view_s_fifty_checks_cost_one_query_and_a_write_invalidates(): void {
		global $wpdb;
		$hooks = array();
		for ( $i = 0; $i < 50; $i++ ) {
			$hooks[] = $this->hook( 'hot_' . $i );
		}
		$t = time() + HOUR_IN_SECONDS;
		foreach ( array_slice( $hooks, 0, 25 ) as $i => $hook ) {
			$this->assertTrue( wp_schedule_event( $t + $i, 'hourly', $hook ) );
		}
		\KBJobs_Cron_Store::invalidate();

		$before = $wpdb->num_queries;
		wp_next_scheduled( $hooks[0] );
		$this->assertSame( $before + 1, $wpdb->num_queries, 'the first read is one query' );
		$before = $wpdb->num_queries;
		foreach ( $hooks as $i => $hook ) {
			$next = wp_next_scheduled( $hook );
			if ( false === $next ) {
				wp_schedule_event( $t + $i, 'hourly', $hook );
			}
			$this->assertSame( $i < 25 ? $t + $i : false, $next, $hook );
		}
		// The 25 missing ones were scheduled: writes go through the engine's own
		// connection, and each one invalidated what this request had read.
		$this->assertSame( $t + 49, wp_next_scheduled( $hooks[49] ) );
		$this->assertLessThanOrEqual( $before + 26, $wpdb->num_queries );

		$before = $wpdb->num_queries;
		foreach ( $hooks as $i => $hook ) {
			$this->assertSame( $t + $i, wp_next_scheduled( $hook ) );
			$this->assertIsObject( wp_get_scheduled_event( $hook ) );
		}
		$this->assertSame( $before, $wpdb->num_queries, 'fifty checks after the first read add no query' );

		// A persistent object cache answers a new request with no query at all.
		$rows = new \ReflectionProperty( \KBJobs_Cron_Store::class, 'rows' );
		$rows->setAccessible( true );
		$rows->setValue( null, null );
		$before = $wpdb->num_queries;
		$this->assertSame( $t, wp_next_scheduled( $hooks[0] ) );
		$this->assertSame( $before, $wpdb->num_queries );

		// A write invalidates: the next read sees it, with one query.
		$this->assertTrue( wp_unschedule_event( $t + 3, $hooks[3] ) );
		$before = $wpdb->num_queries;
		$this->assertFalse( wp_next_scheduled( $hooks[3] ) );
		$this->assertSame( $before + 1, $wpdb->num_queries );
	}

	public function test_a_page_view_reads_through_wpdb_in_one_query_and_never_opens_the_engine(): void {
		$hooks = array();
		for ( $i = 0; $i < 50; $i++ ) {
			$hooks[] = $this->hook( 'view_' . $i );
		}
		$t = time() + HOUR_IN_SECONDS;
		foreach ( $hooks as $i => $hook ) {
			$this->assertTrue( wp_schedule_event( $t + $i, 'daily', $hook ) );
		}
		// A real request: WordPress and the plugin boot, then the usual checks.
		$file = tempnam( sys_get_temp_dir(), 'kbjobs-view-' );
		file_put_contents(
			$file,
			'<?php
			$_SERVER["HTTP_HOST"] = parse_url( getenv( "KBJOBS_WP_URL" ), PHP_URL_HOST ) . ":" . parse_url( getenv( "KBJOBS_WP_URL" ), PHP_URL_PORT );
			$_SERVER["REQUEST_URI"] = "/";
			require getenv( "KBJOBS_WP_DIR" ) . "/wp-load.php";
			$before = $wpdb->num_queries;
			$start  = microtime( true );
			$found  = 0;
			foreach ( unserialize( $argv[1] ) as $hook ) {
				if ( wp_next_scheduled( $hook ) ) {
					++$found;
				} else {
					wp_schedule_event( time(), "daily", $hook );
				}
			}
			echo json_encode( array( "found" => $found, "queries" => $wpdb->num_queries - $before, "ms" => 1000 * ( microtime( true ) - $start ), "engine" => KBJobs_Engine::made() ) );'
		);
		try {
			list( $code, $out, $err ) = self::run_command(
				array( PHP_BINARY, '-d', 'auto_prepend_file=' . getenv( 'KBJOBS_ROOT' ) . '/tools/php/prepend.php', '-d', 'extension=' . getenv( 'KBJOBS_ROOT' ) . '/modules/kbjobs.so', $file, serialize( $hooks ) )
			);
		} finally {
			unlink( $file );
		}
		$this->assertSame( 0, $code, $out . $err );
		$view = json_decode( $out, true );
		$this->assertSame( 50, $view['found'], $out . $err );
		$this->assertLessThanOrEqual( 1, $view['queries'], 'at most one query for fifty checks' );
		$this->assertFalse( $view['engine'], "the engine's own connection was not opened" );
	}

	public function test_the_adapter_switches_off_and_on_in_one_process(): void {
		$hook = $this->hook( 'switch' );
		$t    = time() + HOUR_IN_SECONDS;
		$this->assertTrue( wp_schedule_single_event( $t, $hook ) );
		\KBJobs_Cron_Adapter::remove();
		$this->assertFalse( \KBJobs_Cron::active() );
		// Core reads the option, which holds none of the engine's events.
		$this->assertFalse( wp_next_scheduled( $hook ) );
		\KBJobs_Cron_Adapter::add();
		$this->assertTrue( \KBJobs_Cron::active() );
		$this->assertSame( $t, wp_next_scheduled( $hook ) );
	}
}
