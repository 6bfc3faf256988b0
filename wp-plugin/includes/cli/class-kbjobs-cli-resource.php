<?php
/**
 * `wp kb resource`: the resources jobs declare (a vector index's dimension, an external
 * account, ...), busy or idle, and which job holds each.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists resources.
 */
final class KBJobs_CLI_Resource extends KBJobs_CLI_Command {

	/**
	 * Lists every known resource: busy (a running job holds it: the job, the operation
	 * it declared and its concurrency key) or idle, and how many queued jobs wait for it.
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
	 * ## AVAILABLE FIELDS
	 *
	 * name, state (busy or idle), job_id, op, concurrency_key, waiting.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb resource list
	 *     $ wp kb resource list --format=json
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$rows = $this->read( array( 'KBJobs_Data_Queues', 'resources' ) );
		$this->display_list( $assoc_args, $rows, array( 'name', 'state', 'job_id', 'op', 'concurrency_key', 'waiting' ), 'name' );
	}
}
