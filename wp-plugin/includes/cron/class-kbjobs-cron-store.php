<?php
/**
 * The read side of the WP-Cron adapter: every question core's cron API asks in a request
 * (wp_next_scheduled(), wp_get_scheduled_event(), _get_cron_array(), the ready events)
 * is answered from ONE query on the engine's events table, made through $wpdb and kept
 * in the object cache, so a page view running fifty
 * `if ( ! wp_next_scheduled( … ) ) wp_schedule_event( … )` checks adds at most one query,
 * and none with a persistent object cache. A page view never opens the engine's own
 * connection to read: only writes do (through KBJobs_Engine, in the adapter).
 *
 * The statement's shape is the engine's (DESIGN.md: the plugin writes no other SQL on the
 * engine's tables): the events core's API sees are the recurring ones and the single ones
 * not being run (core unschedules a single event before it runs it).
 *
 * Paused events are among them: core has no pause, and wp_next_scheduled() must still
 * find a paused event or its plugin would schedule it again. When due they are in the
 * ready list too; what core may run of that list is the runner side's decision (the
 * `kbjobs_cron_ready_jobs` filter of KBJobs_Cron_Adapter).
 *
 * Every write made through PHP calls invalidate(); so does the runner after it claims or
 * finishes events (their times move). This class needs no extension: the fall-back of
 * KBJobs_Cron_Migration uses its query when the extension is gone.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The request's view of the scheduled events, indexed in memory.
 */
final class KBJobs_Cron_Store {

	const CACHE_GROUP = 'kbjobs';
	const CACHE_KEY   = 'cron_events';

	/**
	 * The rows, in (next_run, id) order: each [ id, hook, args_key, args_php, schedule
	 * (?string), interval, next_run ] with ints cast; null before the first read.
	 *
	 * @var array<int,array>|null
	 */
	private static $rows = null;

	/**
	 * Row positions by hook, then by args_key, in (next_run, id) order.
	 *
	 * @var array<string,array<string,int[]>>
	 */
	private static $by_pair = array();

	/**
	 * The unserialized arguments by event id, made when first asked for.
	 *
	 * @var array<int,mixed>
	 */
	private static $args = array();

	/**
	 * The cron array built from the rows (without 'version'), or null.
	 *
	 * @var array|null
	 */
	private static $cron_array = null;

	/**
	 * The statement, with the table's name: the visible events, in time order.
	 *
	 * @return string
	 */
	public static function query(): string {
		global $wpdb;
		return "SELECT id, hook, args_key, args_php, schedule, interval_seconds, next_run FROM {$wpdb->prefix}kbjobs_cron_events WHERE schedule IS NOT NULL OR run_of IS NULL ORDER BY next_run, id";
	}

	/**
	 * Runs the statement through $wpdb. Null when it failed (the table is missing, the
	 * database is gone): the caller decides what that means.
	 *
	 * @return array<int,array>|null Rows as described for $rows.
	 */
	public static function fetch(): ?array {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching, WordPress.DB.PreparedSQL.NotPrepared -- the engine's table, no input in the statement; cached by load().
		$result = $wpdb->get_results( self::query(), ARRAY_N );
		if ( ! is_array( $result ) || '' !== $wpdb->last_error ) {
			return null;
		}
		$rows = array();
		foreach ( $result as $r ) {
			$rows[] = array(
				(int) $r[0],
				(string) $r[1],
				(string) $r[2],
				(string) $r[3],
				null === $r[4] ? null : (string) $r[4],
				(int) $r[5],
				(int) $r[6],
			);
		}
		return $rows;
	}

	/**
	 * The generation of the rows indexed here: the one stored with them in the cache.
	 *
	 * @var string
	 */
	private static $generation = '';

	/**
	 * Loads the rows: from the object cache, else from the database (and then into the
	 * cache, with a new generation). The index is rebuilt only when the cache holds
	 * another generation than the one indexed, so a request pays one cache lookup per
	 * question, and a long process (a runner, a test) sees an invalidation made by
	 * another process through a persistent cache, or a wp_cache_flush(). A failed read
	 * counts as no events for the rest of the request and is not cached.
	 */
	private static function load(): void {
		$found  = false;
		$cached = wp_cache_get( self::CACHE_KEY, self::CACHE_GROUP, false, $found );
		$valid  = $found && is_array( $cached ) && isset( $cached['generation'], $cached['rows'] ) && is_array( $cached['rows'] );
		if ( null !== self::$rows && ( $valid ? $cached['generation'] === self::$generation : '' === self::$generation ) ) {
			return;
		}
		if ( ! $valid ) {
			$rows = self::fetch();
			if ( null === $rows ) {
				$cached = array(
					'generation' => '',
					'rows'       => array(),
				);
			} else {
				$cached = array(
					'generation' => uniqid( '', true ),
					'rows'       => $rows,
				);
				wp_cache_set( self::CACHE_KEY, $cached, self::CACHE_GROUP );
			}
		}
		self::$rows       = $cached['rows'];
		self::$generation = $cached['generation'];
		self::$by_pair    = array();
		self::$args       = array();
		self::$cron_array = null;
		foreach ( self::$rows as $i => $row ) {
			self::$by_pair[ $row[1] ][ $row[2] ][] = $i;
		}
	}

	/**
	 * Whether the events are at hand (read in this request, or in the object cache): then
	 * a question costs no query.
	 *
	 * @return bool
	 */
	public static function loaded(): bool {
		$found = false;
		if ( null === self::$rows ) {
			wp_cache_get( self::CACHE_KEY, self::CACHE_GROUP, false, $found );
		}
		return null !== self::$rows || $found;
	}

	/**
	 * Forgets what this request read and what the object cache holds: after every write.
	 */
	public static function invalidate(): void {
		self::$rows       = null;
		self::$generation = '';
		self::$by_pair    = array();
		self::$args       = array();
		self::$cron_array = null;
		wp_cache_delete( self::CACHE_KEY, self::CACHE_GROUP );
	}

	/**
	 * The event of a hook and args_key due at `$timestamp`, or the earliest one when
	 * `$timestamp` is null.
	 *
	 * @param string   $hook      Hook.
	 * @param string   $key       md5( serialize( $args ) ).
	 * @param int|null $timestamp UTC epoch seconds, or null: the earliest.
	 * @return array|null The row, or null when there is none.
	 */
	public static function find( string $hook, string $key, ?int $timestamp = null ): ?array {
		self::load();
		foreach ( self::$by_pair[ $hook ][ $key ] ?? array() as $i ) {
			if ( null === $timestamp || self::$rows[ $i ][6] === $timestamp ) {
				return self::$rows[ $i ];
			}
		}
		return null;
	}

	/**
	 * The times of the events of a hook and args_key, in ascending order.
	 *
	 * @param string $hook Hook.
	 * @param string $key  md5( serialize( $args ) ).
	 * @return int[]
	 */
	public static function times( string $hook, string $key ): array {
		self::load();
		$times = array();
		foreach ( self::$by_pair[ $hook ][ $key ] ?? array() as $i ) {
			$times[] = self::$rows[ $i ][6];
		}
		return $times;
	}

	/**
	 * How many events a hook has (with these arguments, or with any when $key is null).
	 *
	 * @param string      $hook Hook.
	 * @param string|null $key  md5( serialize( $args ) ), or null: any.
	 * @return int
	 */
	public static function count( string $hook, ?string $key = null ): int {
		self::load();
		if ( null !== $key ) {
			return count( self::$by_pair[ $hook ][ $key ] ?? array() );
		}
		return array_sum( array_map( 'count', self::$by_pair[ $hook ] ?? array() ) );
	}

	/**
	 * The arguments of an event, unserialized as core's option storage does it
	 * (maybe_unserialize(): the `cron` option is stored the same way).
	 *
	 * @param array $row A row.
	 * @return mixed
	 */
	public static function args( array $row ) {
		if ( ! array_key_exists( $row[0], self::$args ) ) {
			self::$args[ $row[0] ] = maybe_unserialize( $row[3] );
		}
		return self::$args[ $row[0] ];
	}

	/**
	 * A row as the entry core keeps in its cron array.
	 *
	 * @param array $row A row.
	 * @return array{schedule:string|false,args:mixed,interval?:int}
	 */
	public static function entry( array $row ): array {
		$entry = array(
			'schedule' => null === $row[4] ? false : $row[4],
			'args'     => self::args( $row ),
		);
		if ( null !== $row[4] ) {
			$entry['interval'] = $row[5];
		}
		return $entry;
	}

	/**
	 * The array core would keep in the `cron` option (without 'version'): timestamps in
	 * ascending order (what core's uksort with strnatcasecmp gives for integer keys);
	 * within a timestamp, hooks and then keys in the order core would have added them,
	 * which is the order of the events' ids (a hook comes where its oldest event at that
	 * time puts it).
	 *
	 * @return array<int,array<string,array<string,array>>>
	 */
	public static function cron_array(): array {
		self::load();
		if ( null !== self::$cron_array ) {
			return self::$cron_array;
		}
		$by_time = array();
		foreach ( self::$rows as $row ) {
			$by_time[ $row[6] ][] = $row;
		}
		$crons = array();
		foreach ( $by_time as $timestamp => $rows ) {
			// Rows come in (next_run, id) order: within one time they are in id order.
			foreach ( $rows as $row ) {
				$crons[ $timestamp ][ $row[1] ][ $row[2] ] = self::entry( $row );
			}
		}
		self::$cron_array = $crons;
		return $crons;
	}

	/**
	 * The events due at `$now`, in the shape wp_get_ready_cron_jobs() returns.
	 *
	 * @param float $now UTC epoch seconds.
	 * @return array<int,array<string,array<string,array>>>
	 */
	public static function ready( float $now ): array {
		$ready = array();
		foreach ( self::cron_array() as $timestamp => $hooks ) {
			if ( $timestamp > $now ) {
				break;
			}
			$ready[ $timestamp ] = $hooks;
		}
		return $ready;
	}
}
