<?php
/**
 * `wp kb version`.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Shows the versions of the plugin, the extension, its libraries, PHP and WordPress.
 */
final class KBJobs_CLI_Version {

	/**
	 * Shows the versions of the plugin, the kbjobs extension and the libraries it links.
	 *
	 * ## OPTIONS
	 *
	 * [--fields=<fields>]
	 * : Limit the output to specific fields.
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
	 *   - count
	 * ---
	 *
	 * ## AVAILABLE FIELDS
	 *
	 * * component
	 * * version
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb version
	 *     $ wp kb version --format=json
	 *
	 * @param array<int,string>    $args       Positional arguments (none).
	 * @param array<string,string> $assoc_args Options.
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		$formatter = new \WP_CLI\Formatter( $assoc_args, KBJobs_Data_Versions::FIELDS );
		$formatter->display_items( KBJobs_Data_Versions::rows() );
	}
}
