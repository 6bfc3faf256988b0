<?php
/**
 * `wp kb alert`: alerts raised by repeated failures of a job type.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists and acknowledges alerts.
 */
final class KBJobs_CLI_Alert extends KBJobs_CLI_Command {

	/**
	 * Lists alerts.
	 *
	 * ## OPTIONS
	 *
	 * [--open]
	 * : Only the alerts not acknowledged yet.
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
		$open = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'open', false );
		$rows = $this->read(
			static function () use ( $open ) {
				return KBJobs_Data_Failures::alerts( $open );
			}
		);
		$this->display_list( $assoc_args, $rows, KBJobs_Data_Failures::ALERT_FIELDS );
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
