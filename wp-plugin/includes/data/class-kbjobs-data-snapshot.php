<?php
/**
 * The one snapshot the live screens (Overview, Active Jobs, Runners, Queues) read: the
 * health summary, the running jobs and the runners, computed at most once a second
 * however many tabs are open. It is kept in an option (not autoloaded) with the time it
 * was made; a request that finds it older than a second recomputes it under a database
 * lock taken without waiting, and a request that cannot take the lock serves the copy it
 * found. So N open tabs polling every two seconds cost the database one computation a
 * second at most, not N.
 *
 * Each kept snapshot carries `seq`, the number of snapshots computed and kept before it
 * plus one: the difference between the `seq` of two answers is how many computations
 * happened in between, which tests count (a count, not a timing) and an operator can
 * read from GET /kbjobs/v1/snapshot. It lives in the same option as the snapshot, so
 * counting costs no write of its own. (A request that finds no snapshot kept at all and
 * cannot take the lock computes one for itself without keeping it: seq 0.)
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The shared snapshot of the live screens.
 */
final class KBJobs_Data_Snapshot {

	const OPTION  = 'kbjobs_snapshot';
	const MAX_AGE = 1.0;

	/**
	 * The snapshot: at most MAX_AGE seconds old (or the freshest one another request is
	 * computing right now).
	 *
	 * @return array<string,mixed> ['at' => ISO time, 'age' => seconds, 'seq' => its
	 *                             number, 'status' => summary, 'active' => jobs,
	 *                             'runners' => runners].
	 */
	public static function get(): array {
		global $wpdb;
		$kept = self::read();
		if ( self::fresh( $kept ) ) {
			return self::answer( $kept );
		}
		$lock = self::lock_name();
		// A lock taken without waiting: whoever has it computes, the others serve what is kept.
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', $lock ) ) ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a named lock, no table.
			return $kept ? self::answer( $kept ) : self::answer( self::compute( 0 ) );
		}
		try {
			$kept = self::read(); // Another request may have just made one.
			if ( ! self::fresh( $kept ) ) {
				$kept = self::compute( (int) ( $kept['seq'] ?? 0 ) + 1 );
				update_option( self::OPTION, $kept, false );
			}
		} finally {
			$wpdb->query( $wpdb->prepare( 'DO RELEASE_LOCK(%s)', $lock ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		}
		return self::answer( $kept );
	}

	/**
	 * Marks the kept snapshot as out of date, so the next reader computes a new one: a
	 * screen's form action calls it, and the page it leads back to shows the action's
	 * effect. Operator actions are few, so the computations stay about one a second.
	 * It waits (two seconds at most) for a computation under way, which may have read
	 * the state before the action, so that it cannot be kept as fresh afterwards.
	 */
	public static function expire(): void {
		global $wpdb;
		$lock   = self::lock_name();
		$locked = '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 2)', $lock ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a named lock, no table.
		try {
			$kept = self::read();
			if ( $kept ) {
				$kept['expired'] = true;
				update_option( self::OPTION, $kept, false );
			}
		} finally {
			if ( $locked ) {
				$wpdb->query( $wpdb->prepare( 'DO RELEASE_LOCK(%s)', $lock ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			}
		}
	}

	/**
	 * The name of the database lock its computation holds (one per site).
	 *
	 * @return string
	 */
	private static function lock_name(): string {
		global $wpdb;
		return 'kbjobs_snapshot_' . $wpdb->prefix;
	}

	/**
	 * Whether a kept snapshot may be served as it is.
	 *
	 * @param array|null $kept A kept snapshot.
	 * @return bool
	 */
	private static function fresh( ?array $kept ): bool {
		return $kept && empty( $kept['expired'] ) && microtime( true ) - $kept['made'] < self::MAX_AGE;
	}

	/**
	 * How many times this process computed the snapshot (for tests and diagnostics).
	 *
	 * @var int
	 */
	public static $computed = 0;

	/**
	 * The kept snapshot, read past the object cache (other requests write it).
	 *
	 * @return array|null
	 */
	private static function read(): ?array {
		global $wpdb;
		$raw  = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", self::OPTION ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- read past the object cache: another request wrote it a moment ago.
		$kept = null === $raw ? null : maybe_unserialize( $raw );
		return is_array( $kept ) && isset( $kept['made'], $kept['data'] ) ? $kept : null;
	}

	/**
	 * Computes a snapshot.
	 *
	 * @param int $seq Its number (0: not kept).
	 * @return array{made:float,seq:int,data:array}
	 */
	private static function compute( int $seq ): array {
		++self::$computed;
		return array(
			'made' => microtime( true ),
			'seq'  => $seq,
			'data' => array(
				'status'  => KBJobs_Data_Status::summary(),
				'active'  => KBJobs_Data_Runners::active_jobs(),
				'runners' => KBJobs_Data_Runners::all( 24 ),
			),
		);
	}

	/**
	 * The snapshot as served.
	 *
	 * @param array $kept A kept snapshot.
	 * @return array<string,mixed>
	 */
	private static function answer( array $kept ): array {
		return array(
			'at'  => KBJobs_Format::time( $kept['made'] ),
			'age' => round( max( 0, microtime( true ) - $kept['made'] ), 3 ),
			'seq' => (int) ( $kept['seq'] ?? 0 ),
		) + $kept['data'];
	}
}
