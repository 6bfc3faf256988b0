<?php
/**
 * `wp kb audit`: the audit log of operator actions.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists audit entries.
 */
final class KBJobs_CLI_Audit extends KBJobs_CLI_Command {

	/**
	 * Lists operator actions, newest first: who, when, from where (screen, rest, cli),
	 * what, on what, and how it ended. Kept 90 days.
	 *
	 * ## OPTIONS
	 *
	 * [--user=<user>]
	 * : Only actions of this user (id or login; cli:<name> for the command line).
	 *
	 * [--action=<action>]
	 * : Only this action (job.cancel, queue.pause, failure.resubmit, ...).
	 *
	 * [--target=<target>]
	 * : Only actions on this target (a job id, a queue).
	 *
	 * [--source=<source>]
	 * : Only actions from here.
	 * ---
	 * options:
	 *   - screen
	 *   - rest
	 *   - cli
	 *   - cron
	 *   - api
	 * ---
	 *
	 * [--after=<time>]
	 * : Only actions after this time (ISO 8601).
	 *
	 * [--before=<time>]
	 * : Only actions before this time.
	 *
	 * [--limit=<n>]
	 * : At most this many (1-1000).
	 * ---
	 * default: 50
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
	 *     $ wp kb audit list --action=job.cancel
	 *     $ wp kb audit list --user=admin --format=json
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$filter = array( 'limit' => (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'limit', 50 ) );
		foreach ( array( 'action', 'target', 'source', 'after', 'before' ) as $key ) {
			if ( isset( $assoc_args[ $key ] ) ) {
				$filter[ $key ] = (string) $assoc_args[ $key ];
			}
		}
		if ( isset( $assoc_args['user'] ) ) {
			$user = (string) $assoc_args['user'];
			$filter[ ctype_digit( $user ) ? 'user_id' : 'user_login' ] = $user;
		}
		$page = $this->read(
			static function () use ( $filter ) {
				return KBJobs_Data_Audit::page( $filter );
			}
		);
		$this->display_list( $assoc_args, $page['entries'], KBJobs_Data_Audit::FIELDS );
	}
}
