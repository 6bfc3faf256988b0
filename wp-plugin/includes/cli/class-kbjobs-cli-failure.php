<?php
/**
 * `wp kb failure`: the FailureLog.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists, resubmits and deletes FailureLog entries.
 *
 * Entries are jobs that failed for good (kind "job") and imports that finished with
 * failed URLs (kind "partial", whose resubmit imports only those URLs again).
 */
final class KBJobs_CLI_Failure extends KBJobs_CLI_Command {

	/**
	 * Lists the FailureLog, newest first.
	 *
	 * ## OPTIONS
	 *
	 * [--limit=<n>]
	 * : At most this many entries (1-1000).
	 * ---
	 * default: 50
	 * ---
	 *
	 * [--offset=<n>]
	 * : Skip this many entries.
	 * ---
	 * default: 0
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
	 *     $ wp kb failure list
	 *     $ wp kb failure list --format=ids
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$limit  = (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'limit', 50 );
		$offset = (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'offset', 0 );
		$page   = $this->read(
			static function () use ( $limit, $offset ) {
				return KBJobs_Data_Failures::page( $limit, $offset );
			}
		);
		$this->display_list( $assoc_args, $page['failures'], KBJobs_Data_Failures::FIELDS, 'job_id' );
		if ( $page['evicted'] > 0 && 'table' === ( $assoc_args['format'] ?? 'table' ) ) {
			\WP_CLI::warning( sprintf( '%d older entries were evicted by the cap; their jobs are still listed by `wp kb job list --status=failed`.', $page['evicted'] ) );
		}
	}

	/**
	 * Resubmits entries: a failed job is queued again with its attempts reset; a partial
	 * import's failed URLs are imported again as a new import.
	 *
	 * ## OPTIONS
	 *
	 * [<id>...]
	 * : Job ids of the entries.
	 *
	 * [--all]
	 * : Every entry in the log.
	 *
	 * [--yes]
	 * : With --all, do not ask for confirmation.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb failure resubmit 3f9c2a7d5e1b4c60 9a0b1c2d3e4f5a6b
	 *     $ wp kb failure resubmit --all --yes
	 *
	 * @param array<int,string>    $args       Job ids.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function resubmit( array $args, array $assoc_args ): void {
		$this->apply( 'resubmit', $args, $assoc_args );
	}

	/**
	 * Deletes (acknowledges) entries; the jobs keep their failed status.
	 *
	 * ## OPTIONS
	 *
	 * [<id>...]
	 * : Job ids of the entries.
	 *
	 * [--all]
	 * : Every entry in the log.
	 *
	 * [--yes]
	 * : With --all, do not ask for confirmation.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb failure delete 3f9c2a7d5e1b4c60
	 *     $ wp kb failure delete --all --yes
	 *
	 * @param array<int,string>    $args       Job ids.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function delete( array $args, array $assoc_args ): void {
		$this->apply( 'delete', $args, $assoc_args );
	}

	/**
	 * Resubmits or deletes.
	 *
	 * @param string               $verb       resubmit or delete.
	 * @param array<int,string>    $args       Job ids.
	 * @param array<string,string> $assoc_args Options.
	 */
	private function apply( string $verb, array $args, array $assoc_args ): void {
		$all = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'all', false );
		if ( $all === (bool) $args ) {
			\WP_CLI::error( 'Give job ids, or --all.' );
		}
		foreach ( $args as $id ) {
			$this->require_job_id( $id );
		}
		if ( $all ) {
			$this->confirm( sprintf( '%s every FailureLog entry?', ucfirst( $verb ) ), $assoc_args );
		}
		$result = $this->check( 'resubmit' === $verb ? KBJobs_Actions_Failures::resubmit( $args, $all ) : KBJobs_Actions_Failures::delete( $args, $all ) );
		$done   = 'resubmit' === $verb ? 'resubmitted' : 'deleted';
		if ( $result['done'] < $result['requested'] ) {
			\WP_CLI::error( sprintf( '%d of %d entries %s; the others are not in the FailureLog.', $result['done'], $result['requested'], $done ) );
		}
		\WP_CLI::success( sprintf( '%d entries %s.', $result['done'], $done ) );
	}
}
