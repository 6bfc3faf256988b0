<?php
/**
 * Core's cron API on the engine's events table: WordPress's short-circuit filters
 * (5.1+, `$wp_error` since 5.7) answered with core's own semantics, so every caller of
 * wp_schedule_event(), wp_next_scheduled(), _get_cron_array() and the rest keeps working
 * unchanged while the events live in {prefix}kbjobs_cron_events.
 *
 * What matches core, call by call (wp-includes/cron.php, 6.1):
 * - Single events are refused inside core's ten-minute window (same hook and
 *   md5( serialize( $args ) )), with core's error codes and messages; the engine checks
 *   the window again under the pair's guard row, so two requests scheduling the same
 *   event at once leave one. Recurring events replace the one with the same hook, args
 *   and time; anything else is added. `args` of array() mean "no args", never "any".
 * - The adapter applies the `schedule_event` filter itself, where core does: after the
 *   duplicate check for a single event, before the key is taken for a recurring one.
 * - As core, a write that changes nothing (an identical recurring event, an unschedule
 *   that matched nothing) returns false, or `could_not_set` with `$wp_error`: core's
 *   update_option() reports an unchanged option that way. A write the engine refuses
 *   (a hook longer than 191 bytes, the database gone) is `could_not_set` too, with the
 *   engine's reason in the error's data.
 * - Clearing returns counts (0 when nothing matched); reads come from KBJobs_Cron_Store
 *   (one query per request, none with a persistent object cache).
 *
 * Where it knowingly differs from core:
 * - wp_reschedule_event() of an event whose schedule has vanished from `cron_schedules`
 *   schedules the next run with the interval core found (the stored one), keeping the
 *   schedule's name; core would refuse it in wp_schedule_event() as `invalid_schedule`
 *   and the event would stop for good.
 * - A direct write of the `cron` option (_set_cron_array(), update_option( 'cron' ))
 *   is applied to the table as the difference between the written array and the current
 *   one (new or changed entries scheduled as they are, missing ones unscheduled), and the
 *   option itself is left untouched: update_option() and so _set_cron_array() then
 *   return false (or `could_not_set`), although the change was made. Cavalcade behaves
 *   the same (WP Crontrol #56 reports it as a failure).
 * - wp_get_ready_cron_jobs() passes its answer through the `kbjobs_cron_ready_jobs`
 *   filter, the point where the runner side keeps wp-cron.php from running events the
 *   engine runs.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The short-circuit filters of core's cron API.
 */
final class KBJobs_Cron_Adapter {

	/**
	 * The filters and the methods that answer them, with their argument counts.
	 */
	const FILTERS = array(
		'pre_schedule_event'       => array( 'pre_schedule_event', 3 ),
		'pre_reschedule_event'     => array( 'pre_reschedule_event', 3 ),
		'pre_unschedule_event'     => array( 'pre_unschedule_event', 5 ),
		'pre_clear_scheduled_hook' => array( 'pre_clear_scheduled_hook', 4 ),
		'pre_unschedule_hook'      => array( 'pre_unschedule_hook', 3 ),
		'pre_get_scheduled_event'  => array( 'pre_get_scheduled_event', 4 ),
		'pre_get_ready_cron_jobs'  => array( 'pre_get_ready_cron_jobs', 1 ),
		'pre_option_cron'          => array( 'pre_option_cron', 1 ),
		'pre_update_option_cron'   => array( 'pre_update_option_cron', 2 ),
	);

	/**
	 * Whether the filters are hooked.
	 *
	 * @var bool
	 */
	private static $added = false;

	/**
	 * Hooks the filters (once, however often it is called).
	 */
	public static function add(): void {
		if ( self::$added ) {
			return;
		}
		foreach ( self::FILTERS as $filter => $method ) {
			add_filter( $filter, array( self::class, $method[0] ), 10, $method[1] );
		}
		self::$added = true;
		KBJobs_Cron_Store::invalidate();
	}

	/**
	 * Unhooks the filters: core's own code reads and writes the `cron` option again.
	 */
	public static function remove(): void {
		foreach ( self::FILTERS as $filter => $method ) {
			remove_filter( $filter, array( self::class, $method[0] ), 10 );
		}
		self::$added = false;
	}

	/**
	 * Whether the filters are hooked.
	 *
	 * @return bool
	 */
	public static function added(): bool {
		return self::$added;
	}

	/**
	 * The `pre_schedule_event` filter: wp_schedule_single_event() and wp_schedule_event().
	 *
	 * @param null|bool|WP_Error $pre      Another filter's answer, or null.
	 * @param object             $event    hook, timestamp, schedule (false: single), args[, interval].
	 * @param bool               $wp_error Whether to answer failures with a WP_Error.
	 * @return bool|WP_Error
	 */
	public static function pre_schedule_event( $pre, $event, $wp_error = false ) {
		if ( null !== $pre ) {
			return $pre;
		}
		if ( empty( $event->schedule ) ) {
			return self::schedule_single( $event, (bool) $wp_error );
		}
		return self::schedule_recurring( $event, (bool) $wp_error );
	}

	/**
	 * A single event: core's duplicate window, then the `schedule_event` filter, then the
	 * engine (which checks the window again under the pair's guard row).
	 *
	 * @param object $event    The event.
	 * @param bool   $wp_error Whether to answer failures with a WP_Error.
	 * @return bool|WP_Error
	 */
	private static function schedule_single( $event, bool $wp_error ) {
		$now = time();
		// As core: the key of the arguments before the `schedule_event` filter.
		$key = self::key( $event->args );
		if ( self::duplicate( (string) $event->hook, $key, (int) $event->timestamp, $now ) ) {
			return self::error( 'duplicate_event', $wp_error );
		}
		/** This filter is documented in wp-includes/cron.php */
		$event = apply_filters( 'schedule_event', $event ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's filter, applied where core applies it.
		if ( ! $event ) {
			return self::error( 'schedule_event_false', $wp_error );
		}
		return self::write( $event, $key, 'single', $now, $wp_error );
	}

	/**
	 * A recurring event: the `schedule_event` filter, then the engine (same hook, args
	 * and time: replaced in place).
	 *
	 * @param object $event    The event.
	 * @param bool   $wp_error Whether to answer failures with a WP_Error.
	 * @return bool|WP_Error
	 */
	private static function schedule_recurring( $event, bool $wp_error ) {
		/** This filter is documented in wp-includes/cron.php */
		$event = apply_filters( 'schedule_event', $event ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's filter, applied where core applies it.
		if ( ! $event ) {
			return self::error( 'schedule_event_false', $wp_error );
		}
		return self::write( $event, self::key( $event->args ), 'recurring', time(), $wp_error );
	}

	/**
	 * Whether core would find a duplicate of a single event: an event of the same hook
	 * and key from (ts < now + 600 ? 0 : ts - 600) to (ts < now ? now + 600 : ts + 600).
	 *
	 * @param string $hook      Hook.
	 * @param string $key       Key of the arguments.
	 * @param int    $timestamp The new event's time.
	 * @param int    $now       The clock core would use (time()).
	 * @return bool
	 */
	private static function duplicate( string $hook, string $key, int $timestamp, int $now ): bool {
		$min = $timestamp < $now + 10 * MINUTE_IN_SECONDS ? 0 : $timestamp - 10 * MINUTE_IN_SECONDS;
		$max = $timestamp < $now ? $now + 10 * MINUTE_IN_SECONDS : $timestamp + 10 * MINUTE_IN_SECONDS;
		// Right after a write (the events not at hand), the pair's own events are read
		// through the engine: reading every event again after each of many schedules in
		// one request would cost each one more than the last.
		$times = KBJobs_Cron_Store::loaded() ? KBJobs_Cron_Store::times( $hook, $key ) : null;
		if ( null === $times ) {
			try {
				$times = array_column(
					KBJobs_Engine::get()->cronEvents(
						array(
							'hook'         => $hook,
							'args_key'     => $key,
							'visible_only' => true,
						)
					),
					'timestamp'
				);
			} catch ( \ValueError $e ) {
				$times = array(); // A hook the engine refuses: the write says why.
			} catch ( \KBJobs\Exception $e ) {
				$times = KBJobs_Cron_Store::times( $hook, $key );
			}
		}
		foreach ( $times as $time ) {
			if ( $time >= $min && $time <= $max ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Writes a scheduled event through the engine.
	 *
	 * @param object $event    The event (after the `schedule_event` filter).
	 * @param string $key      Its key.
	 * @param string $mode     'single' or 'recurring'.
	 * @param int    $now      The clock of the single-event window.
	 * @param bool   $wp_error Whether to answer failures with a WP_Error.
	 * @return bool|WP_Error
	 */
	private static function write( $event, string $key, string $mode, int $now, bool $wp_error ) {
		$hook      = (string) $event->hook;
		$timestamp = (int) $event->timestamp;
		$schedule  = empty( $event->schedule ) ? false : (string) $event->schedule;
		$interval  = false === $schedule ? 0 : (int) ( $event->interval ?? 0 );
		$entry     = array(
			'schedule' => $schedule,
			'args'     => $event->args,
		);
		if ( false !== $schedule ) {
			$entry['interval'] = $interval;
		}
		// Core saves the whole array; an identical entry leaves it unchanged, which
		// update_option() reports as a failure.
		$row = KBJobs_Cron_Store::find( $hook, $key, $timestamp );
		if ( null !== $row && self::same_entry( KBJobs_Cron_Store::entry( $row ), $entry ) ) {
			return self::error( 'could_not_set', $wp_error );
		}
		try {
			$result = KBJobs_Engine::get()->cronSchedule(
				self::engine_event( $hook, $timestamp, $key, $event->args, $schedule, $interval ),
				$mode,
				$now
			);
		} catch ( \KBJobs\Exception | \ValueError | \TypeError $e ) {
			return self::error( 'could_not_set', $wp_error, $e->getMessage() );
		} finally {
			KBJobs_Cron_Store::invalidate();
		}
		if ( ! empty( $result['duplicate'] ) ) {
			return self::error( 'duplicate_event', $wp_error );
		}
		return true;
	}

	/**
	 * The `pre_reschedule_event` filter: wp_reschedule_event(). Core's next time after
	 * `timestamp`, skipping missed runs (never a catch-up storm), with the interval core
	 * passes (the schedule's, else the stored event's), scheduled as a recurring event.
	 * With the schedule still registered this goes through wp_schedule_event(), as core;
	 * with it vanished the event is scheduled on its stored interval (see the class).
	 *
	 * @param null|bool|WP_Error $pre      Another filter's answer, or null.
	 * @param object             $event    hook, timestamp (the previous run), schedule, args, interval.
	 * @param bool               $wp_error Whether to answer failures with a WP_Error.
	 * @return bool|WP_Error
	 */
	public static function pre_reschedule_event( $pre, $event, $wp_error = false ) {
		if ( null !== $pre ) {
			return $pre;
		}
		$wp_error = (bool) $wp_error;
		$interval = (int) ( $event->interval ?? 0 );
		if ( $interval <= 0 ) {
			return self::error( 'invalid_schedule', $wp_error );
		}
		$now       = time();
		$timestamp = (int) $event->timestamp;
		if ( $timestamp >= $now ) {
			$next = $now + $interval;
		} else {
			$next = $now + ( $interval - ( ( $now - $timestamp ) % $interval ) );
		}
		$schedules = wp_get_schedules();
		if ( isset( $schedules[ $event->schedule ] ) ) {
			return wp_schedule_event( $next, $event->schedule, $event->hook, $event->args, $wp_error );
		}
		return self::schedule_recurring(
			(object) array(
				'hook'      => $event->hook,
				'timestamp' => $next,
				'schedule'  => $event->schedule,
				'args'      => $event->args,
				'interval'  => $interval,
			),
			$wp_error
		);
	}

	/**
	 * The `pre_unschedule_event` filter: wp_unschedule_event(). Nothing matched: false
	 * (`could_not_set`), as core's unchanged option gives.
	 *
	 * @param null|bool|WP_Error $pre       Another filter's answer, or null.
	 * @param int                $timestamp The event's time.
	 * @param string             $hook      Hook.
	 * @param array              $args      Arguments.
	 * @param bool               $wp_error  Whether to answer failures with a WP_Error.
	 * @return bool|WP_Error
	 */
	public static function pre_unschedule_event( $pre, $timestamp, $hook, $args = array(), $wp_error = false ) {
		if ( null !== $pre ) {
			return $pre;
		}
		$wp_error = (bool) $wp_error;
		$key      = self::key( $args );
		// Nothing to delete: answered from the request's read, no connection opened.
		if ( null === KBJobs_Cron_Store::find( (string) $hook, $key, (int) $timestamp ) ) {
			return self::error( 'could_not_set', $wp_error );
		}
		try {
			$deleted = KBJobs_Engine::get()->cronUnschedule( (string) $hook, $key, (int) $timestamp );
		} catch ( \KBJobs\Exception | \ValueError | \TypeError $e ) {
			return self::error( 'could_not_set', $wp_error, $e->getMessage() );
		} finally {
			KBJobs_Cron_Store::invalidate();
		}
		return $deleted > 0 ? true : self::error( 'could_not_set', $wp_error );
	}

	/**
	 * The `pre_clear_scheduled_hook` filter: wp_clear_scheduled_hook(), the events of a
	 * hook with exactly these arguments (array() is "no arguments"). Returns the count.
	 *
	 * @param null|int|false|WP_Error $pre      Another filter's answer, or null.
	 * @param string                  $hook     Hook.
	 * @param array                   $args     Arguments.
	 * @param bool                    $wp_error Whether to answer failures with a WP_Error.
	 * @return int|false|WP_Error
	 */
	public static function pre_clear_scheduled_hook( $pre, $hook, $args = array(), $wp_error = false ) {
		if ( null !== $pre ) {
			return $pre;
		}
		return self::clear( (string) $hook, self::key( $args ), (bool) $wp_error );
	}

	/**
	 * The `pre_unschedule_hook` filter: wp_unschedule_hook(), every event of a hook,
	 * whatever its arguments. Returns the count.
	 *
	 * @param null|int|false|WP_Error $pre      Another filter's answer, or null.
	 * @param string                  $hook     Hook.
	 * @param bool                    $wp_error Whether to answer failures with a WP_Error.
	 * @return int|false|WP_Error
	 */
	public static function pre_unschedule_hook( $pre, $hook, $wp_error = false ) {
		if ( null !== $pre ) {
			return $pre;
		}
		return self::clear( (string) $hook, null, (bool) $wp_error );
	}

	/**
	 * Deletes the events of a hook (with one key, or any).
	 *
	 * @param string      $hook     Hook.
	 * @param string|null $key      Key of the arguments, or null: any.
	 * @param bool        $wp_error Whether to answer failures with a WP_Error.
	 * @return int|false|WP_Error
	 */
	private static function clear( string $hook, ?string $key, bool $wp_error ) {
		if ( 0 === KBJobs_Cron_Store::count( $hook, $key ) ) {
			return 0;
		}
		try {
			return KBJobs_Engine::get()->cronClear( $hook, $key );
		} catch ( \KBJobs\Exception | \ValueError | \TypeError $e ) {
			return self::error( 'could_not_set', $wp_error, $e->getMessage() );
		} finally {
			KBJobs_Cron_Store::invalidate();
		}
	}

	/**
	 * The `pre_get_scheduled_event` filter: wp_get_scheduled_event(), and through it
	 * wp_next_scheduled() and wp_get_schedule(). A null (or empty) timestamp asks for the
	 * earliest event; a non-numeric one gets false, as in core.
	 *
	 * @param null|false|object $pre       Another filter's answer, or null.
	 * @param string            $hook      Hook.
	 * @param array             $args      Arguments.
	 * @param int|null          $timestamp The event's time, or null: the earliest.
	 * @return false|object hook, timestamp, schedule, args[, interval].
	 */
	public static function pre_get_scheduled_event( $pre, $hook, $args = array(), $timestamp = null ) {
		if ( null !== $pre ) {
			return $pre;
		}
		if ( null !== $timestamp && ! is_numeric( $timestamp ) ) {
			return false;
		}
		$row = KBJobs_Cron_Store::find( (string) $hook, self::key( $args ), $timestamp ? (int) $timestamp : null );
		if ( null === $row ) {
			return false;
		}
		$event = (object) array(
			'hook'      => $hook,
			// Core answers with the timestamp it was given, else the array's key.
			'timestamp' => $timestamp ? $timestamp : $row[6],
			'schedule'  => null === $row[4] ? false : $row[4],
			'args'      => $args,
		);
		if ( null !== $row[4] ) {
			$event->interval = $row[5];
		}
		return $event;
	}

	/**
	 * The `pre_get_ready_cron_jobs` filter: the due events in core's shape
	 * ( [ timestamp => [ hook => [ key => [ schedule, args[, interval] ] ] ] ], by time ).
	 *
	 * @param null|array $pre Another filter's answer, or null.
	 * @return array
	 */
	public static function pre_get_ready_cron_jobs( $pre ) {
		if ( null !== $pre ) {
			return $pre;
		}
		/**
		 * Filters the due events wp_get_ready_cron_jobs() reports while kbjobs keeps
		 * WP-Cron's events. Core's spawn_cron(), wp_cron() and wp-cron.php run what this
		 * returns: the runner side returns array() where the engine runs the events, so
		 * that core never runs one a second time.
		 *
		 * @param array $ready The due events, in core's shape.
		 */
		return (array) apply_filters( 'kbjobs_cron_ready_jobs', KBJobs_Cron_Store::ready( microtime( true ) ) );
	}

	/**
	 * The `pre_option_cron` filter: the `cron` option as core would hold it.
	 *
	 * @param mixed $pre Another filter's answer, or false.
	 * @return mixed
	 */
	public static function pre_option_cron( $pre ) {
		if ( false !== $pre ) {
			return $pre;
		}
		$crons            = KBJobs_Cron_Store::cron_array();
		$crons['version'] = 2;
		return $crons;
	}

	/**
	 * The `pre_update_option_cron` filter: a direct write of the `cron` option applied as
	 * the difference from the current events (additions and changes scheduled as written,
	 * missing entries unscheduled); the option keeps its old value, so update_option()
	 * and _set_cron_array() return false (see the class).
	 *
	 * @param mixed $value     The array being written.
	 * @param mixed $old_value What get_option( 'cron' ) answered (pre_option_cron()).
	 * @return mixed $old_value.
	 */
	public static function pre_update_option_cron( $value, $old_value ) {
		$new = is_array( $value ) ? $value : array();
		unset( $new['version'] );
		$current = KBJobs_Cron_Store::cron_array();
		try {
			$engine = null;
			foreach ( $current as $timestamp => $hooks ) {
				foreach ( $hooks as $hook => $entries ) {
					foreach ( array_keys( $entries ) as $key ) {
						if ( ! isset( $new[ $timestamp ][ $hook ][ $key ] ) ) {
							$engine = $engine ?? KBJobs_Engine::get();
							$engine->cronUnschedule( (string) $hook, (string) $key, (int) $timestamp );
						}
					}
				}
			}
			foreach ( $new as $timestamp => $hooks ) {
				foreach ( is_array( $hooks ) ? $hooks : array() as $hook => $entries ) {
					foreach ( is_array( $entries ) ? $entries : array() as $key => $entry ) {
						if ( isset( $current[ $timestamp ][ $hook ][ $key ] ) && is_array( $entry ) && self::same_entry( $current[ $timestamp ][ $hook ][ $key ], $entry ) ) {
							continue;
						}
						self::import( (int) $timestamp, (string) $hook, (string) $key, $entry );
					}
				}
			}
		} catch ( \KBJobs\Exception $e ) {
			// The database refused: what was applied stays applied; the caller sees
			// false, as for any write of this option.
			unset( $e );
		} finally {
			KBJobs_Cron_Store::invalidate();
		}
		return $old_value;
	}

	/**
	 * Schedules one entry of a cron array exactly as it is (the engine's EXACT mode: the
	 * same hook, key and time replaced, nothing refused): direct writes of the option and
	 * the migration. An entry with a schedule but no interval takes the registered
	 * schedule's interval.
	 *
	 * @param int    $timestamp The entry's time.
	 * @param string $hook      Hook.
	 * @param string $key       The entry's key (md5( serialize( $args ) ) unless malformed).
	 * @param mixed  $entry     [ schedule, args[, interval] ].
	 * @throws \KBJobs\Exception When the database refuses.
	 * @throws \ValueError When the engine refuses the entry (the message says why).
	 */
	public static function import( int $timestamp, string $hook, string $key, $entry ): void {
		$entry    = is_array( $entry ) ? $entry : array();
		$args     = $entry['args'] ?? array();
		$schedule = empty( $entry['schedule'] ) ? false : (string) $entry['schedule'];
		$interval = 0;
		if ( false !== $schedule ) {
			$interval = (int) ( $entry['interval'] ?? 0 );
			if ( $interval <= 0 ) {
				$schedules = wp_get_schedules();
				$interval  = (int) ( $schedules[ $schedule ]['interval'] ?? 0 );
			}
		}
		if ( ! preg_match( '/^[0-9a-f]{32}$/', $key ) ) {
			$key = self::key( $args );
		}
		try {
			KBJobs_Engine::get()->cronSchedule( self::engine_event( $hook, $timestamp, $key, $args, $schedule, $interval ), 'exact', time() );
		} finally {
			KBJobs_Cron_Store::invalidate();
		}
	}

	/**
	 * The event array KBJobs\Engine::cronSchedule() takes, with the policy of the
	 * `kbjobs_cron_event_policy` filter.
	 *
	 * @param string       $hook      Hook.
	 * @param int          $timestamp UTC epoch seconds.
	 * @param string       $key       md5( serialize( $args ) ).
	 * @param mixed        $args      Arguments.
	 * @param string|false $schedule  Schedule name, or false: a single event.
	 * @param int          $interval  Seconds (recurring).
	 * @return array<string,mixed>
	 */
	public static function engine_event( string $hook, int $timestamp, string $key, $args, $schedule, int $interval ): array {
		$policy = array(
			'parallel'      => false,
			'max_attempts'  => 1,
			'retry_seconds' => 60,
		);
		/**
		 * Filters how the engine runs an event, decided when it is scheduled and kept
		 * when it is rescheduled by its runs.
		 *
		 * - parallel: whether runs of the same hook and arguments may overlap (default
		 *   false: one running instance per hook and arguments, as a lock would give).
		 * - max_attempts: 1 (default) runs a due time once, whatever the outcome; n > 1
		 *   tries a failed run n - 1 more times, with backoff.
		 * - retry_seconds: the backoff of attempt k is retry_seconds * 2^(k-1), at most
		 *   an hour.
		 *
		 * For example, retries for a flaky feed import:
		 *
		 *     add_filter( 'kbjobs_cron_event_policy', function ( $policy, $hook ) {
		 *         if ( 'my_feed_import' === $hook ) {
		 *             $policy['max_attempts'] = 3;
		 *         }
		 *         return $policy;
		 *     }, 10, 2 );
		 *
		 * @param array{parallel:bool,max_attempts:int,retry_seconds:int} $policy The policy.
		 * @param string $hook The event's hook.
		 * @param array  $args The event's arguments.
		 */
		$policy = (array) apply_filters( 'kbjobs_cron_event_policy', $policy, $hook, $args );
		// phpcs:disable WordPress.PHP.DiscouragedPHPFunctions.serialize_serialize -- core's own storage of the arguments, handed back unchanged when the event runs.
		return array(
			'hook'          => $hook,
			'timestamp'     => $timestamp,
			'args_key'      => $key,
			'args_json'     => self::args_json( $args ),
			'args_php'      => serialize( $args ),
			'schedule'      => false === $schedule ? null : $schedule,
			'interval'      => false === $schedule ? 0 : $interval,
			'paused'        => false,
			'parallel'      => (bool) ( $policy['parallel'] ?? false ),
			'max_attempts'  => min( 100, max( 0, (int) ( $policy['max_attempts'] ?? 1 ) ) ),
			'retry_seconds' => min( DAY_IN_SECONDS, max( 0, (int) ( $policy['retry_seconds'] ?? 60 ) ) ),
		);
		// phpcs:enable
	}

	/**
	 * The arguments as JSON, for people (screens, REST, CLI, the history). The event runs
	 * from args_php, so arguments JSON cannot represent (INF, NAN, resources) keep the
	 * event: a placeholder object says so.
	 *
	 * @param mixed $args Arguments.
	 * @return string A JSON array or object.
	 */
	public static function args_json( $args ): string {
		$json = wp_json_encode( is_array( $args ) || is_object( $args ) ? $args : array( $args ) );
		if ( false === $json ) {
			return '{"kbjobs_unencodable":"the arguments cannot be shown as JSON; the event keeps them as they were"}';
		}
		return $json;
	}

	/**
	 * Core's key of a list of arguments.
	 *
	 * @param mixed $args Arguments.
	 * @return string md5( serialize( $args ) ).
	 */
	public static function key( $args ): string {
		// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.serialize_serialize -- core's own key of the arguments.
		return md5( serialize( $args ) );
	}

	/**
	 * Whether two cron array entries are the same for update_option() (which compares
	 * serialized values).
	 *
	 * @param array $a An entry.
	 * @param array $b Another.
	 * @return bool
	 */
	private static function same_entry( array $a, array $b ): bool {
		return maybe_serialize( $a ) === maybe_serialize( $b );
	}

	/**
	 * A failure as core reports it: false, or with `$wp_error` the WP_Error core would
	 * make, with core's code and its message (translated in core's text domain).
	 *
	 * @param string $code     duplicate_event, schedule_event_false, invalid_schedule, could_not_set.
	 * @param bool   $wp_error Whether to answer with a WP_Error.
	 * @param string $reason   The engine's message, kept as the error's data.
	 * @return false|WP_Error
	 */
	private static function error( string $code, bool $wp_error, string $reason = '' ) {
		if ( ! $wp_error ) {
			return false;
		}
		// phpcs:disable WordPress.WP.I18n.TextDomainMismatch -- core's own messages, translated as core translates them.
		switch ( $code ) {
			case 'duplicate_event':
				$message = __( 'A duplicate event already exists.', 'default' );
				break;
			case 'schedule_event_false':
				$message = __( 'A plugin disallowed this event.', 'default' );
				break;
			case 'invalid_schedule':
				$message = __( 'Event schedule does not exist.', 'default' );
				break;
			default:
				$message = __( 'The cron event list could not be saved.', 'default' );
		}
		// phpcs:enable
		return '' === $reason ? new WP_Error( $code, $message ) : new WP_Error( $code, $message, array( 'reason' => $reason ) );
	}
}
