<?php
/**
 * `wp kb backlog`: named backlogs and their held jobs.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists backlogs; releases one.
 */
final class KBJobs_CLI_Backlog extends KBJobs_CLI_Command {

	/**
	 * Lists backlogs with their jobs by status: held (waiting for a release), queued,
	 * running, completed, failed, cancelled, interrupted.
	 *
	 * ## OPTIONS
	 *
	 * [--exact]
	 * : Count every job exactly (slow on a large table); otherwise counts above 190 are
	 * the index's estimate, listed in `estimated`.
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
	 * name, held, queued, running, completed, failed, cancelled, interrupted, estimated
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb backlog list
	 *     $ wp kb backlog list --format=json
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$exact = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'exact', false );
		$rows  = $this->read(
			static function () use ( $exact ) {
				return KBJobs_Data_Backlogs::all( $exact );
			}
		);
		$this->display_list( $assoc_args, $rows, KBJobs_Data_Backlogs::FIELDS, 'name' );
	}

	/**
	 * Releases a backlog: its held jobs become queued, and each queue's concurrency and
	 * rate limit feed them to the runners from then on (`wp kb queue watch` shows how).
	 *
	 * ## OPTIONS
	 *
	 * <name>
	 * : The backlog.
	 *
	 * [--yes]
	 * : Release without asking.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb backlog release nightly --yes
	 *     Success: Released 1000 held jobs of backlog nightly.
	 *
	 * @param array<int,string>    $args       The backlog.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function release( array $args, array $assoc_args ): void {
		$name = $args[0];
		if ( ! KBJobs_Data_Backlogs::is_name( $name ) ) {
			\WP_CLI::error( sprintf( '"%s" is not a backlog name (1 to 64 of a-z, 0-9, "_", "." and "-").', $name ) );
		}
		$backlog = $this->read(
			static function () use ( $name ) {
				return KBJobs_Data_Backlogs::get( $name );
			}
		);
		$held    = KBJobs_Format::count_text( (int) $backlog['held'], in_array( 'held', (array) $backlog['estimated'], true ) ? 'estimate' : null );
		$this->confirm( sprintf( 'Release %s held jobs of backlog %s?', $held, $name ), $assoc_args );
		$result = $this->check( KBJobs_Actions_Backlogs::release( $name ) );
		\WP_CLI::success( sprintf( 'Released %d held jobs of backlog %s.', $result['released'], $name ) );
	}
}
