<?php
/**
 * `wp kb cron schedule`: the schedules events repeat on.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists WP-Cron schedules.
 */
final class KBJobs_CLI_Cron_Schedule extends KBJobs_CLI_Command {

	/**
	 * Lists the schedules WordPress knows (the cron_schedules filter), shortest first,
	 * with how many events use each; a schedule that is no longer registered but still
	 * has events is listed without an interval (its events keep their stored one).
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
	 *     $ wp kb cron schedule list
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$rows = $this->read( array( 'KBJobs_Data_Cron', 'schedules' ) );
		$this->display_list( $assoc_args, $rows, KBJobs_Data_Cron::SCHEDULE_FIELDS, 'name' );
	}
}
