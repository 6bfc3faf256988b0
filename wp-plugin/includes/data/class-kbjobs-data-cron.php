<?php
/**
 * WP-Cron events kept by kbjobs, as the Scheduled Queue screen, the REST API and
 * `wp kb cron` show them: each event with its arguments, next run, lateness, pause,
 * last run and failure streak; the run history; the schedules. Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects cron events and runs.
 */
final class KBJobs_Data_Cron {

	const FIELDS          = array( 'id', 'hook', 'args', 'next_run', 'recurrence', 'late_seconds', 'paused', 'running', 'last_run_at', 'last_outcome', 'fail_streak' );
	const RUN_FIELDS      = array( 'id', 'hook', 'due', 'trigger', 'started_at', 'duration_ms', 'outcome', 'error', 'memory_peak', 'queries', 'http_requests' );
	const SCHEDULE_FIELDS = array( 'name', 'display', 'interval', 'events' );
	const OUTCOMES        = array( 'running', 'ok', 'failed', 'lost' );
	const TRIGGERS        = array( 'runner', 'loopback', 'run-now', 'cli' );

	/** The states a list filters on (each read from an index of its own). */
	const STATES = array( 'due', 'paused', 'running', 'failing' );

	/** A page's cursor: "p" for the page before it, then "<time>.<id>" (time order) or "<id>". */
	const CURSOR_PATTERN = '^p?[0-9]{1,19}(\\.[0-9]{1,19})?$';

	/**
	 * One page of events, soonest first (due ones in the order runners take them: by
	 * when they are due), or in id order, read a page at a time by a keyset cursor: the
	 * engine reads limit + 1 rows from an index, whatever the number of events.
	 *
	 * @param array<string,mixed> $filter hook, search (the start of a hook), state (due,
	 *                                    paused, running, failing), order (next_run,
	 *                                    id), cursor (a next_cursor or prev_cursor of
	 *                                    the same list), limit (1-1000, 50 by default).
	 * @throws \InvalidArgumentException On a malformed cursor or an unknown state.
	 * @return array{events:array<int,array<string,mixed>>,next_cursor:?string,prev_cursor:?string}
	 */
	public static function events( array $filter = array() ): array {
		$query = array();
		if ( ! empty( $filter['hook'] ) ) {
			$query['hook'] = (string) $filter['hook'];
		}
		if ( ! empty( $filter['search'] ) ) {
			$query['hook_prefix'] = (string) $filter['search'];
		}
		$state = (string) ( $filter['state'] ?? '' );
		if ( '' !== $state ) {
			if ( ! in_array( $state, self::STATES, true ) ) {
				/* translators: %s: a state */
				throw new \InvalidArgumentException( sprintf( __( 'Unknown event state "%s".', 'kb-jobs' ), $state ) );
			}
			$query['state'] = $state;
		}
		$by_id          = 'id' === ( $filter['order'] ?? '' );
		$query['order'] = $by_id ? 'id' : 'next_run';
		$limit          = max( 1, min( 1000, (int) ( $filter['limit'] ?? 50 ) ) );
		$cursor         = self::parse_cursor( (string) ( $filter['cursor'] ?? '' ), $by_id );
		$query         += $cursor['query'];
		// One row more than the page says whether there is a page beyond it, in the
		// direction read.
		$query['limit'] = $limit + 1;
		$rows           = KBJobs_Engine::get()->cronEvents( $query );
		$more           = count( $rows ) > $limit;
		if ( $more ) {
			// Backward, the extra row is the first (the page comes in the list's order).
			$rows = $cursor['backward'] ? array_slice( $rows, 1 ) : array_slice( $rows, 0, $limit );
		}
		$first  = $rows ? $rows[0] : null;
		$last   = $rows ? $rows[ count( $rows ) - 1 ] : null;
		$time   = 'due' === $state ? 'due_at' : 'timestamp';
		$key    = static function ( array $event ) use ( $by_id, $time ): string {
			return $by_id ? (string) $event['id'] : (int) $event[ $time ] . '.' . (int) $event['id'];
		};
		$next   = null;
		$prev   = null;
		$paged  = null !== $cursor['backward'];
		$has_nx = $cursor['backward'] ? true : $more;
		$has_pv = $cursor['backward'] ? $more : $paged;
		if ( $last && $has_nx ) {
			$next = $key( $last );
		}
		if ( $first && $has_pv ) {
			$prev = 'p' . $key( $first );
		}
		$now = time();
		return array(
			'events'      => array_map(
				static function ( $event ) use ( $now ) {
					return self::row( $event, $now );
				},
				$rows
			),
			'next_cursor' => $next,
			'prev_cursor' => $prev,
		);
	}

	/**
	 * Every event of a filter, page after page in time order (for `wp kb cron event
	 * list`): $each gets each page's events.
	 *
	 * @param array<string,mixed> $filter As events() takes it, without cursor and order.
	 * @param callable            $each   fn( array $events ): void.
	 * @param int                 $max    At most this many (0: all).
	 * @return int How many.
	 */
	public static function each_event( array $filter, callable $each, int $max = 0 ): int {
		$seen   = 0;
		$cursor = '';
		do {
			$want   = $max > 0 ? min( 500, $max - $seen ) : 500;
			$page   = self::events(
				array(
					'cursor' => $cursor,
					'limit'  => $want,
				) + $filter
			);
			$seen  += count( $page['events'] );
			$cursor = (string) $page['next_cursor'];
			$each( $page['events'] );
		} while ( '' !== $cursor && ( 0 === $max || $seen < $max ) );
		return $seen;
	}

	/**
	 * A cursor as the engine takes it.
	 *
	 * @param string $cursor A next_cursor or prev_cursor ('' for the first page).
	 * @param bool   $by_id  Whether the list is in id order.
	 * @throws \InvalidArgumentException When it is not one of this list's cursors.
	 * @return array{query:array<string,mixed>,backward:?bool} backward null: the first page.
	 */
	private static function parse_cursor( string $cursor, bool $by_id ): array {
		if ( '' === $cursor ) {
			return array(
				'query'    => array(),
				'backward' => null,
			);
		}
		$ok = $by_id ? preg_match( '/^(p?)([1-9][0-9]{0,18})$/', $cursor, $m ) : preg_match( '/^(p?)([0-9]{1,19})\.([1-9][0-9]{0,18})$/', $cursor, $m );
		if ( ! $ok ) {
			/* translators: %s: the cursor given */
			throw new \InvalidArgumentException( sprintf( __( 'The cursor "%s" is not one of this list\'s (it changes with the order).', 'kb-jobs' ), $cursor ) );
		}
		$backward = 'p' === $m[1];
		$query    = $by_id ? array( 'after' => (int) $m[2] ) : array(
			'after'      => (int) $m[3],
			'after_time' => (int) $m[2],
		);
		if ( $backward ) {
			$query['backward'] = true;
		}
		return array(
			'query'    => $query,
			'backward' => $backward,
		);
	}

	/**
	 * The counts of the Scheduled Queue: events, due, running, paused, failing, each
	 * exact up to the engine's cap and an estimate above it, flagged in 'estimated'.
	 *
	 * @return array<string,mixed>
	 */
	public static function counts(): array {
		$counts = KBJobs_Engine::get()->cronCounts();
		$out    = array( 'estimated' => array() );
		foreach ( array( 'events', 'due', 'running', 'paused', 'failing' ) as $key ) {
			$out[ $key ]              = (int) $counts[ $key ];
			$out['estimated'][ $key ] = ! empty( $counts['estimated'][ $key ] );
		}
		return $out;
	}

	/**
	 * One event with its last runs.
	 *
	 * @param int $id The event.
	 * @param int $runs How many of its last runs.
	 * @throws \KBJobs\NotFoundException When there is no such event.
	 * @return array<string,mixed>
	 */
	public static function event( int $id, int $runs = 10 ): array {
		$event = KBJobs_Engine::get()->cronEvent( $id );
		if ( null === $event ) {
			/* translators: %d: event id */
			throw new \KBJobs\NotFoundException( sprintf( __( 'No WP-Cron event %d.', 'kb-jobs' ), $id ) );
		}
		$row = self::row( $event, time() );
		if ( $runs > 0 ) {
			$row['last_runs'] = array_map(
				array( self::class, 'run_row' ),
				KBJobs_Engine::get()->cronRuns(
					array(
						'event_id' => $id,
						'limit'    => $runs,
					)
				)
			);
		}
		return $row;
	}

	/**
	 * Runs, newest first.
	 *
	 * @param array<string,mixed> $filter hook, event_id, outcome, trigger, before (a run
	 *                                    id: the cursor), limit.
	 * @return array{runs:array<int,array<string,mixed>>,next_cursor:?int}
	 */
	public static function runs( array $filter = array() ): array {
		$limit = max( 1, min( 1000, (int) ( $filter['limit'] ?? 50 ) ) );
		$query = array( 'limit' => $limit + 1 );
		foreach ( array( 'hook', 'outcome', 'trigger' ) as $key ) {
			if ( isset( $filter[ $key ] ) && '' !== (string) $filter[ $key ] ) {
				$query[ $key ] = (string) $filter[ $key ];
			}
		}
		foreach ( array( 'event_id', 'before' ) as $key ) {
			if ( ! empty( $filter[ $key ] ) ) {
				$query[ $key ] = (int) $filter[ $key ];
			}
		}
		$runs = array_map( array( self::class, 'run_row' ), KBJobs_Engine::get()->cronRuns( $query ) );
		$next = null;
		if ( count( $runs ) > $limit ) {
			$runs = array_slice( $runs, 0, $limit );
			$next = (int) $runs[ $limit - 1 ]['id'];
		}
		return array(
			'runs'        => $runs,
			'next_cursor' => $next,
		);
	}

	/**
	 * The schedules WordPress knows (cron_schedules), with how many events use each
	 * ('estimated': above 50, the count is the database's estimate).
	 *
	 * @return array<int,array<string,mixed>>
	 */
	public static function schedules(): array {
		// Each schedule in use, counted by the engine from an index (an estimate, flagged,
		// above its cap): the events themselves are not read.
		$used      = array();
		$estimated = array();
		foreach ( KBJobs_Engine::get()->cronScheduleUses() as $use ) {
			$used[ $use['schedule'] ]      = (int) $use['events'];
			$estimated[ $use['schedule'] ] = (bool) $use['estimated'];
		}
		$rows = array();
		foreach ( wp_get_schedules() as $name => $schedule ) {
			$rows[] = array(
				'name'      => (string) $name,
				'display'   => (string) ( $schedule['display'] ?? $name ),
				'interval'  => (int) $schedule['interval'],
				'events'    => (int) ( $used[ $name ] ?? 0 ),
				'estimated' => $estimated[ $name ] ?? false,
			);
			unset( $used[ $name ] );
		}
		// Schedules that disappeared from cron_schedules but still have events: those run
		// on their stored interval.
		foreach ( $used as $name => $count ) {
			$rows[] = array(
				'name'      => (string) $name,
				/* translators: %s: schedule name */
				'display'   => sprintf( __( '%s (no longer registered)', 'kb-jobs' ), $name ),
				'interval'  => null,
				'events'    => $count,
				'estimated' => $estimated[ $name ],
			);
		}
		usort(
			$rows,
			static function ( $a, $b ) {
				$order = ( $a['interval'] ?? PHP_INT_MAX ) <=> ( $b['interval'] ?? PHP_INT_MAX );
				return 0 !== $order ? $order : strcmp( $a['name'], $b['name'] );
			}
		);
		return $rows;
	}

	/**
	 * How often an event repeats, in words.
	 *
	 * @param string|null $schedule Its schedule's name, null for a single event.
	 * @param int         $interval Its stored interval.
	 * @return string
	 */
	public static function recurrence( ?string $schedule, int $interval ): string {
		if ( null === $schedule ) {
			return __( 'Once', 'kb-jobs' );
		}
		$schedules = wp_get_schedules();
		if ( isset( $schedules[ $schedule ]['display'] ) ) {
			return (string) $schedules[ $schedule ]['display'];
		}
		/* translators: 1: schedule name, 2: a duration, e.g. "1 hour" */
		return sprintf( __( '%1$s (unknown schedule; every %2$s)', 'kb-jobs' ), $schedule, human_time_diff( 0, max( 1, $interval ) ) );
	}

	/**
	 * An event as shown.
	 *
	 * @param array<string,mixed> $event The engine's event.
	 * @param int                 $now   The time now.
	 * @return array<string,mixed>
	 */
	private static function row( array $event, int $now ): array {
		$due  = null === $event['due_at'] ? 0 : (int) $event['due_at'];
		$late = ( ! $event['running'] && ! $event['paused'] && $due > 0 && $due < $now ) ? $now - $due : 0;
		return array(
			'id'            => (int) $event['id'],
			'hook'          => (string) $event['hook'],
			'args'          => self::args( (string) $event['args_json'] ),
			'schedule'      => $event['schedule'],
			'recurrence'    => self::recurrence( $event['schedule'], (int) $event['interval'] ),
			'interval'      => (int) $event['interval'],
			'next_run'      => KBJobs_Format::time( $event['timestamp'] ),
			'due_at'        => KBJobs_Format::time( $event['due_at'] ),
			'late_seconds'  => $late,
			'paused'        => (bool) $event['paused'],
			'running'       => (bool) $event['running'],
			'runner'        => $event['runner'],
			'attempt'       => (int) $event['attempt'],
			'retrying'      => ! $event['running'] && null !== $event['run_of'],
			'last_run_at'   => KBJobs_Format::time( $event['last_run_at'] ),
			'last_outcome'  => $event['last_outcome'],
			'fail_streak'   => (int) $event['fail_streak'],
			'parallel'      => (bool) $event['parallel'],
			'max_attempts'  => (int) $event['max_attempts'],
			'retry_seconds' => (int) $event['retry_seconds'],
			'ours'          => 0 === strpos( (string) $event['hook'], 'kbjobs_' ),
		);
	}

	/**
	 * A run as shown.
	 *
	 * @param array<string,mixed> $run The engine's run.
	 * @return array<string,mixed>
	 */
	public static function run_row( array $run ): array {
		$ended = null === $run['ended_at'] ? null : (float) $run['ended_at'];
		return array(
			'id'            => (int) $run['id'],
			'event_id'      => (int) $run['event_id'],
			'hook'          => (string) $run['hook'],
			'args'          => self::args( (string) $run['args_json'] ),
			'schedule'      => $run['schedule'],
			'due'           => KBJobs_Format::time( $run['due'] ),
			'attempt'       => (int) $run['attempt'],
			'trigger'       => (string) $run['trigger'],
			'runner'        => $run['runner'],
			'host'          => (string) $run['host'],
			'pid'           => (int) $run['pid'],
			'started_at'    => KBJobs_Format::time( $run['started_at'] ),
			'ended_at'      => KBJobs_Format::time( $ended ),
			'duration_ms'   => null === $ended ? null : (int) round( ( $ended - (float) $run['started_at'] ) * 1000 ),
			'outcome'       => (string) $run['outcome'],
			'error'         => $run['error'],
			'memory_peak'   => $run['memory_peak'],
			'queries'       => $run['queries'],
			'http_requests' => $run['http_requests'],
			'output'        => $run['output'],
		);
	}

	/**
	 * Arguments as stored for people (JSON), decoded.
	 *
	 * @param string $json The JSON.
	 * @return mixed
	 */
	private static function args( string $json ) {
		$args = json_decode( $json, true );
		return null === $args && 'null' !== $json ? $json : $args;
	}
}
