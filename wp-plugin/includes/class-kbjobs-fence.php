<?php
/**
 * Fenced transactions: writes a job makes through WordPress's database connection
 * (`$wpdb`), in one transaction that first verifies the job's lease with a row lock and
 * rolls back when the lease is gone.
 *
 * The lease is the engine's promise that one runner holds a job. A runner can lose it
 * without knowing: frozen (SIGSTOP, a VM pause) past the lease's end while another
 * runner takes the job over. Without a fence, such a runner wakes up and goes on
 * writing posts the new holder writes too. With one:
 *
 * 1. the transaction starts with the engine's fence statement (Context::fenceStatement()),
 *    which returns a row only while this runner holds the lease, and locks the job's row
 *    until the transaction ends, so nobody can take the job over meanwhile;
 * 2. before every later statement, and before COMMIT, the lease is checked on the runner's
 *    own clock (which goes on while the process is paused): once it ran out, the
 *    transaction is rolled back;
 * 3. on MariaDB the connection's idle_transaction_timeout is the lease's remaining time,
 *    so a runner frozen inside the transaction loses its connection (and the database
 *    rolls its writes back) instead of holding the job's row for ever;
 * 4. when the connection is lost inside the transaction (a database restart, that
 *    timeout), `$wpdb` would reconnect and run the rest of the work outside any
 *    transaction: the reconnect is stopped before any statement runs on the new
 *    connection, and the caller gets KBJobs_Connection_Lost (nothing was committed; the
 *    work can be tried again);
 * 5. an error that ends the transaction on the server (deadlock, lost connection) stops
 *    the work at the next statement the same way.
 *
 * Keep fenced transactions short against the lease: the runner's heartbeat waits for the
 * job's row while the transaction holds it, so the work must end within the lease's
 * remaining time (Context::leaseRemaining()) or it is rolled back.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Runs work in a `$wpdb` transaction fenced by a job's lease.
 */
final class KBJobs_Fence {

	/**
	 * Errors after which the server no longer holds the transaction: deadlock (1213),
	 * server shutdown (1053), connection killed (1927, 4031 idle timeout), server gone
	 * away (2006), connection lost during a query (2013).
	 */
	const TRANSACTION_LOST = array( 1053, 1213, 1927, 2006, 2013, 4031 );

	/**
	 * The job whose transaction is open, or null.
	 *
	 * @var \KBJobs\Context|null
	 */
	private static $ctx = null;

	/**
	 * The connection the transaction was opened on.
	 *
	 * @var mixed
	 */
	private static $dbh = null;

	/**
	 * Runs $work( $wpdb ) in a transaction on WordPress's connection, fenced by the lease
	 * of $ctx's job; returns what $work returns, after COMMIT.
	 *
	 * @param \KBJobs\Context $ctx  The job making the writes.
	 * @param callable        $work Does the writes through `$wpdb` (or WordPress's API).
	 * @return mixed
	 * @throws \LogicException When called inside another fenced transaction.
	 * @throws \KBJobs\LeaseLostException When the lease is gone: everything was rolled back.
	 * @throws \KBJobs\ConnectionLostException When the connection or the transaction was
	 *         lost on the server: nothing was committed (or, when COMMIT's answer was lost,
	 *         perhaps everything); the caller may look and try again.
	 * @throws \Throwable What $work throws, after ROLLBACK.
	 */
	public static function run( \KBJobs\Context $ctx, callable $work ) {
		global $wpdb;
		if ( null !== self::$ctx ) {
			throw new \LogicException( 'kbjobs_fenced_transaction() calls do not nest' );
		}
		$ctx->assertLease();
		if ( ! $wpdb->check_connection( false ) ) {
			// check_connection() pinged, then tried to reconnect a second apart, without
			// WordPress's "Error establishing a database connection" exit.
			throw new \KBJobs\ConnectionLostException( 'WordPress cannot reach the database: ' . wp_strip_all_tags( (string) $wpdb->last_error ) );
		}
		$mariadb = false !== stripos( (string) $wpdb->db_server_info(), 'mariadb' );
		if ( $mariadb ) {
			// A runner frozen inside the transaction loses its connection (and the server
			// rolls its writes back) when its lease ends, instead of holding the job's row.
			self::sql( sprintf( 'SET SESSION idle_transaction_timeout = %d', max( 1, (int) ceil( $ctx->leaseRemaining() ) ) ) );
		}
		self::sql( 'START TRANSACTION' );
		self::$ctx = $ctx;
		self::$dbh = $wpdb->dbh;
		add_filter( 'query', array( __CLASS__, 'before_statement' ), PHP_INT_MAX );
		add_filter( 'incompatible_sql_modes', array( __CLASS__, 'on_connect' ), PHP_INT_MIN );
		$committed = false;
		try {
			$held = self::sql( $ctx->fenceStatement() );
			if ( ! $held instanceof \mysqli_result || null === $held->fetch_row() ) {
				$ctx->assertLease( 'the fence found the job held by another runner, or its lease expired' );
			}
			$result = $work( $wpdb );
			self::check_statement();
			$ctx->assertLease();
			self::end();
			self::sql( 'COMMIT' );
			$committed = true;
			return $result;
		} finally {
			self::end();
			if ( ! $committed ) {
				self::rollback();
			}
			if ( $mariadb && $wpdb->dbh instanceof \mysqli ) {
				// phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged,WordPress.DB.RestrictedFunctions.mysql_mysqli_query -- straight on the connection, as in sql(); on a lost connection there is nothing to reset, so no warning either.
				@mysqli_query( $wpdb->dbh, 'SET SESSION idle_transaction_timeout = DEFAULT' );
			}
		}
	}

	/**
	 * The `query` filter while a fenced transaction is open: stops the work before a
	 * statement that would run without the fence.
	 *
	 * @param string $query The statement about to run.
	 * @return string
	 */
	public static function before_statement( $query ) {
		if ( null !== self::$ctx ) {
			self::check_statement();
			self::$ctx->assertLease();
		}
		return $query;
	}

	/**
	 * The `incompatible_sql_modes` filter, which `$wpdb` applies on every (re)connect:
	 * a reconnect inside the fenced transaction means the transaction is gone, and the
	 * statement `$wpdb` is about to retry would run outside it.
	 *
	 * @param array $modes SQL modes.
	 * @return array
	 * @throws \KBJobs\ConnectionLostException When a fenced transaction is open.
	 */
	public static function on_connect( $modes ) {
		if ( null !== self::$ctx ) {
			self::end();
			throw new \KBJobs\ConnectionLostException( 'WordPress lost its database connection inside a fenced transaction' );
		}
		return $modes;
	}

	/**
	 * Throws when the last statement of the work ended the transaction on the server.
	 *
	 * @throws \KBJobs\ConnectionLostException When `$wpdb` reconnected, or the last
	 *         statement's error means the server no longer holds the transaction.
	 */
	private static function check_statement(): void {
		global $wpdb;
		if ( $wpdb->dbh !== self::$dbh ) {
			self::end();
			throw new \KBJobs\ConnectionLostException( 'WordPress reconnected to the database inside a fenced transaction' );
		}
		// phpcs:ignore WordPress.DB.RestrictedFunctions.mysql_mysqli_errno -- `$wpdb` keeps only the error's text; its number tells a lost transaction from a failed statement.
		$errno = $wpdb->dbh instanceof \mysqli ? mysqli_errno( $wpdb->dbh ) : 2006;
		if ( in_array( $errno, self::TRANSACTION_LOST, true ) ) {
			$error = (string) $wpdb->last_error;
			self::end();
			throw new \KBJobs\ConnectionLostException( sprintf( 'the database ended a fenced transaction (%d: %s)', $errno, $error ) );
		}
	}

	/**
	 * Leaves the fenced state: no more checks, so ROLLBACK and cleanup can run.
	 */
	private static function end(): void {
		self::$ctx = null;
		remove_filter( 'query', array( __CLASS__, 'before_statement' ), PHP_INT_MAX );
		remove_filter( 'incompatible_sql_modes', array( __CLASS__, 'on_connect' ), PHP_INT_MIN );
	}

	/**
	 * Rolls back. A connection that is gone, or was half made again by a stopped
	 * reconnect, is made again cleanly (the server rolled the transaction back when it
	 * lost it), so WordPress goes on working.
	 */
	private static function rollback(): void {
		global $wpdb;
		$dbh = $wpdb->dbh;
		// phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged,WordPress.DB.RestrictedFunctions.mysql_mysqli_query -- on the very connection that holds the transaction (`$wpdb->query()` would reconnect first); when it fails, the connection is made again below.
		if ( $dbh === self::$dbh && $dbh instanceof \mysqli && @mysqli_query( $dbh, 'ROLLBACK' ) ) {
			return;
		}
		if ( $wpdb->dbh ) {
			$wpdb->close();
		}
		$wpdb->check_connection( false );
	}

	/**
	 * Runs one of the fence's own statements straight on the connection: not through
	 * `$wpdb->query()`, which would reconnect and run it outside the transaction.
	 *
	 * @param string $sql The statement.
	 * @return \mysqli_result|true
	 * @throws \KBJobs\ConnectionLostException When it fails.
	 */
	private static function sql( string $sql ) {
		global $wpdb;
		$dbh = $wpdb->dbh;
		// phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged,WordPress.DB.RestrictedFunctions.mysql_mysqli_query -- not through `$wpdb->query()`, which would reconnect (see this function's comment); a failure throws, with the server's error.
		$result = $dbh instanceof \mysqli ? @mysqli_query( $dbh, $sql ) : false;
		if ( false === $result ) {
			throw new \KBJobs\ConnectionLostException(
				sprintf(
					'%s failed in a fenced transaction: %s',
					strtok( $sql, ' ' ),
					// phpcs:ignore WordPress.DB.RestrictedFunctions.mysql_mysqli_errno,WordPress.DB.RestrictedFunctions.mysql_mysqli_error -- the error of the statement run straight on the connection above.
					$dbh instanceof \mysqli ? mysqli_errno( $dbh ) . ' ' . mysqli_error( $dbh ) : 'no connection'
				)
			);
		}
		return $result;
	}
}
