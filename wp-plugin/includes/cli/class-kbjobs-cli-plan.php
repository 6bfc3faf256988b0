<?php
/**
 * `wp kb plan`: writes a manifest from a workflow.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Plans a manifest.
 */
final class KBJobs_CLI_Plan extends KBJobs_CLI_Command {

	/**
	 * Writes a manifest (JSON lines, one job a line) from a workflow, streamed: to
	 * --output, or to standard output.
	 *
	 * ## OPTIONS
	 *
	 * <workflow>
	 * : system-test, reimport, or one a plugin added (kbjobs_manifest_workflows).
	 *
	 * [--count=<n>]
	 * : system-test: how many lines.
	 * ---
	 * default: 100
	 * ---
	 *
	 * [--mode=<mode>]
	 * : system-test: which diagnostics.
	 * ---
	 * default: mix
	 * options:
	 *   - echo
	 *   - sleep
	 *   - crud
	 *   - crud-latency
	 *   - mix
	 * ---
	 *
	 * [--queue=<queues>]
	 * : system-test: the queues of the lines, comma-separated, in turn.
	 *
	 * [--seconds=<s>]
	 * : system-test: how long each diag.sleep sleeps (default 0.1).
	 *
	 * [--hold-ms=<ms>]
	 * : system-test: how long each diag.crud_latency holds its transaction (default 10).
	 *
	 * [--run=<label>]
	 * : system-test: a label in every line's params (default: the time now), so a new
	 * plan is new work.
	 *
	 * [--older-than=<days>]
	 * : reimport: posts whose artifacts were fetched more than this many days ago.
	 *
	 * [--per-line=<n>]
	 * : reimport: URLs per import line (default 100).
	 *
	 * [--output=<file>]
	 * : Write here (replaced) instead of standard output.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb plan system-test --count=1000 --mode=sleep --queue=local,cloud --output=test.jsonl
	 *     Success: 1000 lines written to test.jsonl.
	 *     $ wp kb plan reimport --older-than=30 > reimport.jsonl
	 *
	 * @param array<int,string>    $args       The workflow.
	 * @param array<string,string> $assoc_args Options.
	 * @throws RuntimeException When a line cannot be written (caught: the command fails).
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		$output = (string) ( $assoc_args['output'] ?? '' );
		try {
			$lines = KBJobs_Manifest_Workflows::plan( $args[0], $assoc_args );
			// phpcs:disable WordPress.WP.AlternativeFunctions -- a stream written line by line.
			$tmp = '' !== $output ? $output . '.tmp-' . getmypid() : '';
			$fh  = '' !== $output ? fopen( $tmp, 'wb' ) : fopen( 'php://stdout', 'wb' );
			if ( ! $fh ) {
				/* translators: %s: file */
				\WP_CLI::error( sprintf( __( 'Cannot write %s.', 'kb-jobs' ), $output ) );
			}
			$n = 0;
			foreach ( $lines as $line ) {
				if ( false === fwrite( $fh, KBJobs_Manifest_Workflows::encode( (array) $line ) . "\n" ) ) {
					throw new RuntimeException( __( 'The manifest could not be written (is the disk full?).', 'kb-jobs' ) );
				}
				++$n;
			}
			fclose( $fh );
			// phpcs:enable
			if ( '' !== $output ) {
				// Whole or not at all: a plan cut short never leaves a partial manifest.
				if ( ! rename( $tmp, $output ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions.rename_rename
					/* translators: %s: file */
					\WP_CLI::error( sprintf( __( 'Cannot write %s.', 'kb-jobs' ), $output ) );
				}
				/* translators: 1: lines, 2: file */
				\WP_CLI::success( sprintf( __( '%1$d lines written to %2$s.', 'kb-jobs' ), $n, $output ) );
			}
		} catch ( \Throwable $e ) {
			if ( isset( $tmp ) && '' !== $tmp && is_file( $tmp ) ) {
				wp_delete_file( $tmp );
			}
			\WP_CLI::error( $e->getMessage() );
		}
	}
}
