<?php
/**
 * `wp kb queue`: queues and their limits.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists queues; sets their limits; pauses and resumes them.
 */
final class KBJobs_CLI_Queue extends KBJobs_CLI_Command {

	/**
	 * Lists queues: limits, paused, depth, running, due, and what keeps them from
	 * starting jobs.
	 *
	 * ## OPTIONS
	 *
	 * [--fields=<fields>]
	 * : Limit the output to specific fields (comma-separated).
	 *
	 * [--field=<field>]
	 * : Print the value of a single field.
	 *
	 * [--format=<format>]
	 * : Render output in a particular format.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 *   - yaml
	 *   - ids
	 *   - count
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb queue list
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$rows = $this->read( array( 'KBJobs_Data_Queues', 'all' ) );
		$this->display_list( $assoc_args, $rows, KBJobs_Data_Queues::FIELDS, 'name' );
	}

	/**
	 * Sets a queue's limits for every runner; an option left out keeps its value.
	 *
	 * ## OPTIONS
	 *
	 * <queue>
	 * : The queue.
	 *
	 * [--concurrency=<n>]
	 * : At most this many running jobs (0: no limit).
	 *
	 * [--rate=<n>]
	 * : At most this many starts per --period-ms (0: no rate limit).
	 *
	 * [--period-ms=<ms>]
	 * : The rate limit's period.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb queue set import --concurrency=2
	 *     $ wp kb queue set cloud --rate=100 --period-ms=60000
	 *
	 * @param array<int,string>    $args       The queue.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function set( array $args, array $assoc_args ): void {
		$limits = array();
		foreach ( array( 'concurrency', 'rate', 'period-ms' ) as $option ) {
			if ( isset( $assoc_args[ $option ] ) ) {
				if ( ! ctype_digit( (string) $assoc_args[ $option ] ) ) {
					\WP_CLI::error( sprintf( '--%s must be a whole number, 0 or more.', $option ) );
				}
				$limits[ str_replace( '-', '_', $option ) ] = (int) $assoc_args[ $option ];
			}
		}
		if ( ! $limits ) {
			\WP_CLI::error( 'Give --concurrency, or --rate with --period-ms.' );
		}
		$queue = $this->check( KBJobs_Actions_Queues::set( $args[0], $limits ) );
		\WP_CLI::success( sprintf( 'Queue %s: concurrency %d, rate %d per %d ms.', $args[0], $queue['concurrency'], $queue['rate'], $queue['period_ms'] ) );
	}

	/**
	 * Pauses a queue: its running jobs finish, no new one starts.
	 *
	 * ## OPTIONS
	 *
	 * <queue>
	 * : The queue.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb queue pause import
	 *
	 * @param array<int,string>    $args       The queue.
	 * @param array<string,string> $assoc_args Unused.
	 */
	public function pause( array $args, array $assoc_args ): void {
		$this->check( KBJobs_Actions_Queues::pause( $args[0] ) );
		\WP_CLI::success( sprintf( 'Queue %s paused.', $args[0] ) );
	}

	/**
	 * Resumes a paused queue.
	 *
	 * ## OPTIONS
	 *
	 * <queue>
	 * : The queue.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb queue resume import
	 *
	 * @param array<int,string>    $args       The queue.
	 * @param array<string,string> $assoc_args Unused.
	 */
	public function resume( array $args, array $assoc_args ): void {
		$this->check( KBJobs_Actions_Queues::resume( $args[0] ) );
		\WP_CLI::success( sprintf( 'Queue %s resumed.', $args[0] ) );
	}
}
