<?php
/**
 * `wp kb alert`: the alerts raised and notified by KBJobs_Alerts (failure rate, old due
 * jobs, no runner, WP-Cron stopped, failure streaks), and the engine's alert rows raised
 * by repeated failures of a job type.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists and acknowledges alerts.
 */
final class KBJobs_CLI_Alert extends KBJobs_CLI_Command {

	/**
	 * The columns of `list`: both kinds of alert in one shape, each leaving the other's
	 * columns empty.
	 */
	const FIELDS = array( 'kind', 'id', 'key', 'type', 'message', 'failures', 'window_seconds', 'created_at', 'acknowledged_at', 'last_notified_at', 'notices', 'flaps', 'resolved_at' );

	/**
	 * Lists alerts: the raised ones (kind "raised": a condition that holds and was
	 * notified; key, condition, message, raised at, last notified at, notices, flaps: how
	 * often it cleared and came back), then the engine's rows for repeated failures (kind
	 * "failures": id, type, message, failures, window, created at, acknowledged at). With
	 * --resolved, the last resolved alerts instead (kind "resolved", newest first).
	 *
	 * ## OPTIONS
	 *
	 * [--open]
	 * : Only the alerts not acknowledged yet (raised alerts are open until they clear).
	 *
	 * [--raised]
	 * : Only the raised alerts.
	 *
	 * [--resolved]
	 * : Only the last resolved alerts (up to 50).
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
	 *     $ wp kb alert list --open
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$open     = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'open', false );
		$raised   = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'raised', false );
		$resolved = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'resolved', false );
		$rows     = $this->read(
			static function () use ( $open, $raised, $resolved ) {
				$blank = array_fill_keys( self::FIELDS, null );
				$rows  = array();
				foreach ( $resolved ? KBJobs_Alerts::resolved() : KBJobs_Alerts::active() as $alert ) {
					$rows[] = array_merge(
						$blank,
						array(
							'kind'             => $resolved ? 'resolved' : 'raised',
							'key'              => $alert['key'],
							'type'             => $alert['condition'],
							'message'          => $alert['summary'],
							'created_at'       => $alert['raised_at'],
							'last_notified_at' => $alert['last_notified_at'],
							'notices'          => $alert['notices'],
							'flaps'            => $alert['flaps'],
							'resolved_at'      => $alert['resolved_at'],
						)
					);
				}
				if ( ! $raised && ! $resolved ) {
					foreach ( KBJobs_Data_Failures::alerts( $open ) as $alert ) {
						$rows[] = array_merge( $blank, array( 'kind' => 'failures' ), $alert );
					}
				}
				return $rows;
			}
		);
		$this->display_list( $assoc_args, $rows, self::FIELDS );
	}

	/**
	 * Checks the alert conditions now, and notifies as the once-a-minute check would
	 * (for a system cron where WP-Cron is off and no runner runs events).
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb alert check
	 *     Success: 1 notices sent: raised no_runner.
	 *
	 * @subcommand check
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Unused.
	 */
	public function check_now( array $args, array $assoc_args ): void {
		$sent = $this->read(
			static function () {
				return KBJobs_Alerts::check();
			}
		);
		if ( null === $sent ) {
			\WP_CLI::warning( 'Another process is checking the alerts right now.' );
			return;
		}
		$what = implode( ', ', array_map( static fn( $n ) => $n[0] . ' ' . $n[1], $sent ) );
		\WP_CLI::success( sprintf( '%d notices sent%s', count( $sent ), '' === $what ? '.' : ': ' . $what . '.' ) );
	}

	/**
	 * Acknowledges alerts.
	 *
	 * ## OPTIONS
	 *
	 * <id>...
	 * : Alert ids.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb alert ack 7
	 *
	 * @param array<int,string>    $args       Alert ids.
	 * @param array<string,string> $assoc_args Unused.
	 */
	public function ack( array $args, array $assoc_args ): void {
		foreach ( $args as $id ) {
			if ( ! ctype_digit( $id ) || 0 === (int) $id ) {
				\WP_CLI::error( sprintf( '"%s" is not an alert id.', $id ) );
			}
			$this->check( KBJobs_Actions_Failures::acknowledge_alert( (int) $id ) );
		}
		\WP_CLI::success( sprintf( '%d alerts acknowledged.', count( $args ) ) );
	}
}
