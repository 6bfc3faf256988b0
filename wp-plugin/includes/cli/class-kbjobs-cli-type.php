<?php
/**
 * `wp kb type`: the job types registered here, native and from plugins.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists job types and shows one.
 */
final class KBJobs_CLI_Type extends KBJobs_CLI_Command {

	/**
	 * Lists the job types: label, category, default queue, origin (native or php), the
	 * resources their jobs hold and the chain ordering rules they declare.
	 *
	 * ## OPTIONS
	 *
	 * [--category=<category>]
	 * : Only the types of this category (diagnostics, content, maintenance, ...).
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
	 * name, label, category, queue, origin, resources, rules, schema, max_attempts,
	 * has_handler, chainable.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb type list
	 *     $ wp kb type list --category=diagnostics --format=json
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$rows     = $this->read( array( 'KBJobs_Data_Types', 'all' ) );
		$category = (string) \WP_CLI\Utils\get_flag_value( $assoc_args, 'category', '' );
		if ( '' !== $category ) {
			$rows = array_values(
				array_filter(
					$rows,
					static function ( $row ) use ( $category ) {
						return $row['category'] === $category;
					}
				)
			);
		}
		$this->display_list( $assoc_args, $rows, KBJobs_Data_Types::FIELDS, 'name' );
	}

	/**
	 * Shows a job type with its params' JSON Schema.
	 *
	 * ## OPTIONS
	 *
	 * <name>
	 * : The type.
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
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb type get diag.sleep
	 *     $ wp kb type get import --field=schema --format=json
	 *
	 * @param array<int,string>    $args       The type.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function get( array $args, array $assoc_args ): void {
		$name = $args[0];
		$type = $this->read(
			static function () use ( $name ) {
				return KBJobs_Data_Types::get( $name );
			}
		);
		$this->display_item( $assoc_args, $type, 'name' );
	}
}
