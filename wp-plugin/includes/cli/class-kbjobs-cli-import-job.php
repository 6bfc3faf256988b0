<?php
/**
 * `wp kb import-job`: imports already submitted.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists and shows imports, their failed URLs, and imports the failed ones again.
 */
final class KBJobs_CLI_Import_Job extends KBJobs_CLI_Command {

	/**
	 * Lists imports, newest first (a big import's ranges are not listed).
	 *
	 * ## OPTIONS
	 *
	 * [--status=<status>]
	 * : Only imports with this status.
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
	 *     $ wp kb import-job list --status=completed
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$filter = array(
			'status' => (string) \WP_CLI\Utils\get_flag_value( $assoc_args, 'status', '' ),
			'limit'  => (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'limit', 50 ),
		);
		$page   = $this->read(
			static function () use ( $filter ) {
				return KBJobs_Data_Imports::page( $filter );
			}
		);
		$this->display_list( $assoc_args, $page['imports'], KBJobs_Data_Imports::FIELDS );
	}

	/**
	 * Shows an import: status, progress, counts, the list it came from.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The import's job id.
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
	 *     $ wp kb import-job get 3f9c2a7d5e1b4c60
	 *
	 * @param array<int,string>    $args       The id.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function get( array $args, array $assoc_args ): void {
		$id = $args[0];
		$this->require_job_id( $id );
		$import = $this->read(
			static function () use ( $id ) {
				return KBJobs_Data_Imports::get( $id );
			}
		);
		if ( is_array( $import['waiting'] ) ) {
			$import['waiting'] = $import['waiting']['message'];
		}
		$this->display_item( $assoc_args, $import );
	}

	/**
	 * Lists an import's failed URLs in list order: index, url (without credentials),
	 * class (transient, permanent, sink), error, HTTP status, tries.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The import's job id.
	 *
	 * [--limit=<n>]
	 * : At most this many.
	 * ---
	 * default: 1000
	 * ---
	 *
	 * [--cursor=<index>]
	 * : Start at this list index.
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
	 *     $ wp kb import-job failed 3f9c2a7d5e1b4c60 --format=csv
	 *
	 * @param array<int,string>    $args       The id.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function failed( array $args, array $assoc_args ): void {
		$id = $args[0];
		$this->require_job_id( $id );
		$left   = max( 1, (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'limit', 1000 ) );
		$cursor = max( 0, (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'cursor', 0 ) );
		$items  = array();
		$this->read(
			static function () use ( $id ) {
				return KBJobs_Data_Imports::get( $id );
			}
		);
		while ( null !== $cursor && $left > 0 ) {
			$page   = $this->read(
				static function () use ( $id, $cursor, $left ) {
					return KBJobs_Data_Imports::failed( $id, $cursor, min( 1000, $left ) );
				}
			);
			$items  = array_merge( $items, $page['items'] );
			$left  -= count( $page['items'] );
			$cursor = $page['items'] ? $page['next_cursor'] : null;
		}
		$this->display_list( $assoc_args, $items, array( 'index', 'url', 'class', 'error', 'http_status' ), 'index' );
	}

	/**
	 * Imports again only the URLs that failed, as a new import linked to the first.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The import's job id.
	 *
	 * [--porcelain]
	 * : Print only the new import's id.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb import-job resubmit-failed 3f9c2a7d5e1b4c60
	 *
	 * @subcommand resubmit-failed
	 *
	 * @param array<int,string>    $args       The id.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function resubmit_failed( array $args, array $assoc_args ): void {
		$result = $this->check( KBJobs_Actions_Imports::resubmit_failed( $args[0] ) );
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'porcelain', false ) ) {
			\WP_CLI::line( $result['id'] );
			return;
		}
		\WP_CLI::success( sprintf( 'Import %s submitted with the %d URLs that failed in %s.', $result['id'], $result['urls'], $args[0] ) );
	}
}
