<?php
/**
 * `wp kb cron`: WP-Cron on kbjobs: the run history (`wp kb cron history`); events are
 * under `wp kb cron event`, schedules under `wp kb cron schedule`.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The run history of WP-Cron events.
 */
final class KBJobs_CLI_Cron extends KBJobs_CLI_Command {

	/**
	 * Lists the runs of a hook's events (or of every event), newest first: when each
	 * started, how long it took, what started it, its outcome and error, peak memory,
	 * database queries and HTTP requests.
	 *
	 * ## OPTIONS
	 *
	 * [<hook>]
	 * : Only the runs of this hook.
	 *
	 * [--event=<id>]
	 * : Only the runs of this event.
	 *
	 * [--outcome=<outcome>]
	 * : Only runs with this outcome.
	 * ---
	 * options:
	 *   - running
	 *   - ok
	 *   - failed
	 *   - lost
	 * ---
	 *
	 * [--trigger=<trigger>]
	 * : Only runs started this way.
	 * ---
	 * options:
	 *   - runner
	 *   - loopback
	 *   - run-now
	 *   - cli
	 * ---
	 *
	 * [--before=<run-id>]
	 * : Only runs older than this one (the next page).
	 *
	 * [--limit=<n>]
	 * : At most this many runs.
	 * ---
	 * default: 20
	 * ---
	 *
	 * [--fields=<fields>]
	 * : Limit the output to specific fields (comma-separated); output is among them.
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
	 *     $ wp kb cron history wp_version_check
	 *     $ wp kb cron history --outcome=failed --format=json
	 *
	 * @param array<int,string>    $args       The hook, optional.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function history( array $args, array $assoc_args ): void {
		$filter = array(
			'hook'     => $args[0] ?? '',
			'event_id' => (int) ( $assoc_args['event'] ?? 0 ),
			'outcome'  => $assoc_args['outcome'] ?? '',
			'trigger'  => $assoc_args['trigger'] ?? '',
			'before'   => (int) ( $assoc_args['before'] ?? 0 ),
			'limit'    => (int) ( $assoc_args['limit'] ?? 20 ),
		);
		$page   = $this->read(
			static function () use ( $filter ) {
				return KBJobs_Data_Cron::runs( $filter );
			}
		);
		$this->display_list( $assoc_args, $page['runs'], KBJobs_Data_Cron::RUN_FIELDS );
	}
}
