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
	 * Lists queues: limits, paused, backlog (held jobs), depth, running, due, and why no
	 * job of them starts now (reason).
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

	/**
	 * Watches the queues being fed: per queue its backlog (held jobs), queued jobs,
	 * running/limit, jobs started in the last complete minute, and why no job of it
	 * starts now ("paused", "held: N in backlog X", "nothing due", "at concurrency 1/1",
	 * "rate limited until 12:00:03 UTC"; empty while it is being fed). Refreshes every
	 * --interval seconds until interrupted (Ctrl-C); with --count it prints that many
	 * snapshots one after the other and ends, so it works in scripts and without a
	 * terminal.
	 *
	 * ## OPTIONS
	 *
	 * [--count=<n>]
	 * : Print this many snapshots, then end.
	 *
	 * [--interval=<seconds>]
	 * : Seconds between snapshots (0.1 to 3600).
	 * ---
	 * default: 1
	 * ---
	 *
	 * [--format=<format>]
	 * : table: a time line and a table per snapshot; json: one JSON object a line per
	 * snapshot, {"at": ISO 8601 UTC, "queues": [{"name", "backlog", "queued", "running",
	 * "limit", "started_last_minute", "reason", "reason_code", "reason_until"}]}.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb queue watch
	 *     $ wp kb queue watch --count=5 --format=json
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function watch( array $args, array $assoc_args ): void {
		$count    = null;
		$interval = (string) \WP_CLI\Utils\get_flag_value( $assoc_args, 'interval', '1' );
		$format   = (string) \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'table' );
		if ( isset( $assoc_args['count'] ) ) {
			if ( ! ctype_digit( (string) $assoc_args['count'] ) || (int) $assoc_args['count'] < 1 ) {
				\WP_CLI::error( '--count must be a whole number, 1 or more.' );
			}
			$count = (int) $assoc_args['count'];
		}
		if ( ! is_numeric( $interval ) || (float) $interval < 0.1 || (float) $interval > 3600 ) {
			\WP_CLI::error( '--interval must be a number of seconds from 0.1 to 3600.' );
		}
		if ( 'table' !== $format && 'json' !== $format ) {
			\WP_CLI::error( '--format must be table or json.' );
		}
		// Redrawn in place only on a terminal and without --count: a pipe or a script
		// gets every snapshot, one after the other.
		$redraw = null === $count && function_exists( 'posix_isatty' ) && posix_isatty( STDOUT ) && 'table' === $format;
		$engine = KBJobs_Engine::get();
		$this->trap_signals( $engine );
		for ( $i = 0; null === $count || $i < $count; $i++ ) {
			if ( $i > 0 ) {
				usleep( (int) ( 1000000 * (float) $interval ) );
			}
			if ( $this->stop_requested ) {
				break;
			}
			$snapshot = self::snapshot( $this->read( array( 'KBJobs_Data_Queues', 'all' ) ) );
			if ( 'json' === $format ) {
				\WP_CLI::line( (string) wp_json_encode( $snapshot, JSON_UNESCAPED_SLASHES ) );
				continue;
			}
			if ( $redraw ) {
				echo "\033[H\033[2J"; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a terminal's clear-screen sequence.
			}
			\WP_CLI::line( sprintf( 'Queues at %s', $snapshot['at'] ) );
			$rows = array();
			foreach ( $snapshot['queues'] as $q ) {
				$rows[] = array(
					'queue'       => $q['name'],
					'backlog'     => $q['backlog'],
					'queued'      => $q['queued'],
					'running'     => $q['running'] . '/' . ( null === $q['limit'] ? '-' : $q['limit'] ),
					'started/min' => $q['started_last_minute'],
					'reason'      => (string) $q['reason'],
				);
			}
			if ( $rows ) {
				\WP_CLI\Utils\format_items( 'table', $rows, array_keys( $rows[0] ) );
			} else {
				\WP_CLI::line( 'No queue has jobs or settings yet.' );
			}
		}
	}

	/**
	 * One snapshot of the queues for `watch`.
	 *
	 * @param array<int,array<string,mixed>> $queues KBJobs_Data_Queues::all().
	 * @return array{at:string,queues:array<int,array<string,mixed>>}
	 */
	private static function snapshot( array $queues ): array {
		$out = array();
		foreach ( $queues as $q ) {
			$out[] = array(
				'name'                => (string) $q['name'],
				'backlog'             => (int) ( $q['backlog'] ?? 0 ),
				'queued'              => (int) $q['queued'],
				'running'             => (int) $q['running'],
				'limit'               => empty( $q['concurrency'] ) ? null : (int) $q['concurrency'],
				'started_last_minute' => (int) $q['started_last_minute'],
				'reason'              => $q['reason'] ?? null,
				'reason_code'         => $q['reason_code'] ?? null,
				'reason_until'        => $q['reason_until'] ?? null,
			);
		}
		return array(
			'at'     => gmdate( 'Y-m-d\TH:i:s\Z' ),
			'queues' => $out,
		);
	}
}
