<?php
/**
 * `wp kb` commands.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Operates the kbjobs engine from the command line.
 */
final class KBJobs_CLI_Command {

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
	public function version( array $args, array $assoc_args ): void {
		$formatter = new \WP_CLI\Formatter( $assoc_args, array( 'component', 'version' ) );
		$formatter->display_items( KBJobs_Health::version_rows() );
	}
}
