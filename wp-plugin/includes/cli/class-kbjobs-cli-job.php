<?php
/**
 * `wp kb job`.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shows a job or an import's failed items.
 */
final class KBJobs_CLI_Job {

	/**
	 * Shows a job: status, progress, counts and, for imports, the failed items.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * [--failed]
	 * : List the import's failed items instead (index, url, class, error, http_status).
	 *
	 * [--format=<format>]
	 * : Render output in a particular format.
	 * ---
	 * default: yaml
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 *   - yaml
	 *   - count
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb job 3f9c2a7d5e1b4c60
	 *     $ wp kb job 3f9c2a7d5e1b4c60 --failed --format=csv
	 *
	 * @param array<int,string>    $args       The job id.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		try {
			$job = KBJobs_Data_Job::get( $args[0] );
		} catch ( \ValueError | \KBJobs\Exception $e ) {
			\WP_CLI::error( $e->getMessage() );
		}
		$format = \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'yaml' );
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'failed', false ) ) {
			$formatter = new \WP_CLI\Formatter( $assoc_args, KBJobs_Data_Job::FAILED_ITEM_FIELDS );
			$formatter->display_items( KBJobs_Data_Job::failed_items( $job ) );
			return;
		}
		$row = KBJobs_Data_Job::fields( $job );
		if ( 'table' === $format || 'csv' === $format ) {
			$row = array_map(
				static function ( $v ) {
					return is_array( $v ) ? wp_json_encode( $v ) : $v;
				},
				$row
			);
		}
		if ( 'count' === $format ) {
			\WP_CLI::line( '1' );
			return;
		}
		\WP_CLI::print_value( $row, array( 'format' => 'table' === $format ? 'yaml' : $format ) );
	}
}
