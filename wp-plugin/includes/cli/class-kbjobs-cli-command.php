<?php
/**
 * What the `wp kb` commands share: their actions are audited as coming from the CLI,
 * errors end the command with a message and a non-zero exit, lists and items go through
 * WP_CLI\Formatter (table, json, csv, yaml, ids, count, with --fields and --field), and
 * the commands that run jobs stop cleanly on a signal.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Base of the `wp kb` commands.
 */
abstract class KBJobs_CLI_Command {

	/**
	 * Set when SIGTERM or SIGINT asked this process to stop.
	 *
	 * @var bool
	 */
	protected $stop_requested = false;

	/**
	 * Every action of a command is audited as coming from the CLI.
	 */
	public function __construct() {
		KBJobs_Audit::set_source( 'cli' );
	}

	/**
	 * Makes SIGTERM and SIGINT finish the chunk in hand and give the job back.
	 *
	 * @param \KBJobs\Engine $engine The engine running.
	 */
	protected function trap_signals( \KBJobs\Engine $engine ): void {
		if ( ! function_exists( 'pcntl_signal' ) ) {
			return;
		}
		pcntl_async_signals( true );
		$handler = function () use ( $engine ) {
			$this->stop_requested = true;
			$engine->requestStop();
		};
		pcntl_signal( SIGTERM, $handler );
		pcntl_signal( SIGINT, $handler );
	}

	/**
	 * An action's or collector's result; a WP_Error ends the command (exit 1) with its
	 * message.
	 *
	 * @param mixed $result The result.
	 * @return mixed The result when it is not an error.
	 */
	protected function check( $result ) {
		if ( is_wp_error( $result ) ) {
			\WP_CLI::error( $result->get_error_message() );
		}
		return $result;
	}

	/**
	 * Runs a collector for a user with kbjobs_view; ends the command on an error.
	 *
	 * @param callable $read The collector call.
	 * @return mixed
	 */
	protected function read( callable $read ) {
		return $this->check( KBJobs_Action::read( $read ) );
	}

	/**
	 * Ends the command with an error unless $id is a job id.
	 *
	 * @param string $id What was given.
	 */
	protected function require_job_id( string $id ): void {
		if ( ! KBJobs_Data_Jobs::is_id( $id ) ) {
			\WP_CLI::error( sprintf( '"%s" is not a job id (16 lowercase hexadecimal characters).', $id ) );
		}
	}

	/**
	 * Shows a list: --format (table, json, csv, yaml, ids, count), --fields, --field.
	 * Table and CSV cells hold nested values as JSON; ids lists the $id_key of each row.
	 *
	 * @param array<string,mixed>            $assoc_args The command's options.
	 * @param array<int,array<string,mixed>> $rows       The rows.
	 * @param string[]                       $fields     Default fields.
	 * @param string                         $id_key     The key `--format=ids` prints.
	 */
	protected function display_list( array $assoc_args, array $rows, array $fields, string $id_key = 'id' ): void {
		$format = \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'table' );
		if ( 'ids' === $format ) {
			\WP_CLI::line( implode( ' ', array_column( $rows, $id_key ) ) );
			return;
		}
		if ( 'table' === $format || 'csv' === $format ) {
			$rows = array_map( array( 'KBJobs_Format', 'flat' ), $rows );
		}
		$formatter = new \WP_CLI\Formatter( $assoc_args, $fields );
		$formatter->display_items( $rows );
	}

	/**
	 * Shows one item: table (Field | Value), json, csv, yaml; ids prints its $id_key,
	 * count prints 1. Without --fields every field is shown.
	 *
	 * @param array<string,mixed> $assoc_args The command's options.
	 * @param array<string,mixed> $item       The item.
	 * @param string              $id_key     The key `--format=ids` prints.
	 */
	protected function display_item( array $assoc_args, array $item, string $id_key = 'id' ): void {
		$format = \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'table' );
		if ( 'ids' === $format ) {
			\WP_CLI::line( (string) ( $item[ $id_key ] ?? '' ) );
			return;
		}
		if ( 'count' === $format ) {
			\WP_CLI::line( '1' );
			return;
		}
		if ( 'table' === $format || 'csv' === $format ) {
			$item = KBJobs_Format::flat( $item );
		}
		$formatter = new \WP_CLI\Formatter( $assoc_args, array_keys( $item ) );
		$formatter->display_item( $item );
	}

	/**
	 * Asks "Are you sure?" unless --yes was given; anything but "y" ends the command.
	 *
	 * @param string              $question   The question.
	 * @param array<string,mixed> $assoc_args The command's options.
	 */
	protected function confirm( string $question, array $assoc_args ): void {
		\WP_CLI::confirm( $question, $assoc_args );
	}
}
