<?php
/**
 * `wp kb verify`: what became of a manifest's lines.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Verifies a manifest.
 */
final class KBJobs_CLI_Verify extends KBJobs_CLI_Command {

	const FIELDS = array( 'line', 'id', 'type', 'state', 'status', 'job', 'error' );

	/**
	 * Reports each line of a manifest: completed, failed (with the error; a cancelled job
	 * too), pending (queued, running, held, interrupted), missing (no job has its key),
	 * or invalid; then a summary. Exits 0 only when every line completed.
	 *
	 * ## OPTIONS
	 *
	 * <file>
	 * : The manifest (JSON lines).
	 *
	 * [--queue=<queue>]
	 * : The --queue it was dispatched with, if any.
	 *
	 * [--state=<state>]
	 * : Only list lines in this state (the summary counts every line).
	 *
	 * [--limit=<n>]
	 * : List at most this many lines (0: the summary only).
	 * ---
	 * default: 1000
	 * ---
	 *
	 * [--format=<format>]
	 * : table: the lines and a summary; json: {"summary": ..., "lines": [...], "truncated": bool}.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb verify test.jsonl --state=failed
	 *     $ wp kb verify test.jsonl --format=json --limit=0
	 *
	 * @param array<int,string>    $args       The file.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		$opts   = array(
			'queue' => (string) ( $assoc_args['queue'] ?? '' ),
			'state' => (string) ( $assoc_args['state'] ?? '' ),
			'limit' => max( 0, (int) ( $assoc_args['limit'] ?? 1000 ) ),
		);
		$report = $this->check( KBJobs_Actions_Manifests::verify( $args[0], $opts ) );
		$sum    = $report['summary'];
		if ( 'json' === ( $assoc_args['format'] ?? 'table' ) ) {
			\WP_CLI::line( (string) wp_json_encode( $report, JSON_UNESCAPED_SLASHES ) );
		} else {
			if ( $report['lines'] ) {
				\WP_CLI\Utils\format_items( 'table', $report['lines'], self::FIELDS );
			}
			if ( $report['truncated'] ) {
				/* translators: %d: lines shown */
				\WP_CLI::log( sprintf( __( '(the first %d lines are listed; --limit shows more)', 'kb-jobs' ), count( $report['lines'] ) ) );
			}
			/* translators: 1: lines, 2: completed, 3: failed, 4: pending, 5: missing, 6: invalid */
			\WP_CLI::log( sprintf( __( '%1$d lines: %2$d completed, %3$d failed, %4$d pending, %5$d missing, %6$d invalid.', 'kb-jobs' ), $sum['lines'], $sum['completed'], $sum['failed'], $sum['pending'], $sum['missing'], $sum['invalid'] ) );
		}
		if ( ! $sum['all_completed'] ) {
			\WP_CLI::halt( 1 );
		}
	}
}
