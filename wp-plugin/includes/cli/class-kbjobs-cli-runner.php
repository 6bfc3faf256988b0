<?php
/**
 * `wp kb runner`: the JobTracker's runners.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists runners.
 */
final class KBJobs_CLI_Runner extends KBJobs_CLI_Command {

	/**
	 * Lists runners seen lately: host, pid, version, state (active, lost, stopped),
	 * running jobs, memory and heartbeat.
	 *
	 * ## OPTIONS
	 *
	 * [--hours=<n>]
	 * : Runners seen within this many hours.
	 * ---
	 * default: 24
	 * ---
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
	 *     $ wp kb runner list
	 *     $ wp kb runner list --format=json
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$hours = (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'hours', 24 );
		$rows  = $this->read(
			static function () use ( $hours ) {
				return KBJobs_Data_Runners::all( $hours );
			}
		);
		$this->display_list( $assoc_args, $rows, KBJobs_Data_Runners::FIELDS );
	}
}
