<?php
/**
 * `wp kb checkpoint`: interrupted jobs and their checkpoints.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists interrupted jobs and their checkpoints; starts them fresh or discards them.
 *
 * Also cleans old checkpoint files. Resume a job from its checkpoint with
 * `wp kb job resume`.
 */
final class KBJobs_CLI_Checkpoint extends KBJobs_CLI_Command {

	/**
	 * Lists interrupted jobs with their checkpoints' progress and age (seconds).
	 *
	 * ## OPTIONS
	 *
	 * [--limit=<n>]
	 * : At most this many (1-1000).
	 * ---
	 * default: 100
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
	 *     $ wp kb checkpoint list
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$limit = (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'limit', 100 );
		$rows  = $this->read(
			static function () use ( $limit ) {
				return KBJobs_Data_Interrupted::all( $limit );
			}
		);
		$this->display_list( $assoc_args, $rows, KBJobs_Data_Interrupted::FIELDS, 'job_id' );
	}

	/**
	 * Drops an interrupted job's checkpoint and runs it again from the start.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb checkpoint fresh 3f9c2a7d5e1b4c60
	 *
	 * @param array<int,string>    $args       The job id.
	 * @param array<string,string> $assoc_args Unused.
	 */
	public function fresh( array $args, array $assoc_args ): void {
		$this->check( KBJobs_Actions_Checkpoints::fresh( $args[0] ) );
		\WP_CLI::success( sprintf( 'Job %s is queued again, from the start.', $args[0] ) );
	}

	/**
	 * Drops an interrupted job's checkpoint and cancels the job.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb checkpoint discard 3f9c2a7d5e1b4c60
	 *
	 * @param array<int,string>    $args       The job id.
	 * @param array<string,string> $assoc_args Unused.
	 */
	public function discard( array $args, array $assoc_args ): void {
		$this->check( KBJobs_Actions_Checkpoints::discard( $args[0] ) );
		\WP_CLI::success( sprintf( 'Job %s discarded: its checkpoint is gone and the job cancelled.', $args[0] ) );
	}

	/**
	 * Removes checkpoint files older than --days of jobs no longer queued or running.
	 *
	 * ## OPTIONS
	 *
	 * [--days=<n>]
	 * : Age in days.
	 * ---
	 * default: 7
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb checkpoint clean --days=30
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function clean( array $args, array $assoc_args ): void {
		$result = $this->check( KBJobs_Actions_Checkpoints::clean( (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'days', 7 ) ) );
		\WP_CLI::success( sprintf( 'Removed the checkpoints of %d jobs.', $result['removed'] ) );
	}
}
