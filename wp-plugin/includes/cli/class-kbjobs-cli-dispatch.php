<?php
/**
 * `wp kb dispatch`: loads a manifest's jobs.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Dispatches a manifest.
 */
final class KBJobs_CLI_Dispatch extends KBJobs_CLI_Command {

	/**
	 * Dispatches a manifest: every line is validated first (JSON, a known job type,
	 * params against its schema, the queue's name) and, when one is invalid, the errors
	 * are listed with their line numbers and nothing is dispatched (unless
	 * --skip-invalid); then the jobs are submitted in batches. Idempotent: each line's
	 * unique key is its "key", else the sha256 of its type and canonical params, so a
	 * second dispatch of the same manifest adds nothing. Exits 1 when lines were invalid.
	 *
	 * ## OPTIONS
	 *
	 * <file>
	 * : The manifest (JSON lines).
	 *
	 * [--backlog=<name>]
	 * : The named backlog the jobs belong to.
	 *
	 * [--queue=<queue>]
	 * : The queue of lines that name none (default: their type's queue).
	 *
	 * [--hold]
	 * : Insert the jobs held: no runner takes them until `wp kb backlog release <name>`.
	 *
	 * [--skip-invalid]
	 * : Dispatch the valid lines even when some are invalid.
	 *
	 * [--dry-run]
	 * : Validate only.
	 *
	 * [--format=<format>]
	 * : table prints the errors and a summary; json the whole report.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb dispatch test.jsonl --backlog=nightly --hold
	 *     Success: 1000 lines: 1000 added, 0 already there, 0 invalid.
	 *
	 * @param array<int,string>    $args       The file.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		$opts = array(
			'queue'        => (string) ( $assoc_args['queue'] ?? '' ),
			'backlog'      => (string) ( $assoc_args['backlog'] ?? '' ),
			'hold'         => \WP_CLI\Utils\get_flag_value( $assoc_args, 'hold', false ),
			'skip_invalid' => \WP_CLI\Utils\get_flag_value( $assoc_args, 'skip-invalid', false ),
			'dry_run'      => \WP_CLI\Utils\get_flag_value( $assoc_args, 'dry-run', false ),
		);
		if ( $opts['hold'] && '' === $opts['backlog'] ) {
			\WP_CLI::error( __( '--hold needs --backlog=<name>: a held backlog is released by its name.', 'kb-jobs' ) );
		}
		$json   = 'json' === ( $assoc_args['format'] ?? 'table' );
		$bar    = null;
		$report = $this->check(
			KBJobs_Actions_Manifests::dispatch(
				$args[0],
				basename( $args[0] ),
				$opts,
				static function ( int $done, int $total ) use ( &$bar, $json ) {
					if ( $json ) {
						return;
					}
					if ( null === $bar ) {
						$bar = \WP_CLI\Utils\make_progress_bar( 'Dispatching', $total );
					}
					$bar->tick( $done - $bar->current() );
				}
			)
		);
		if ( $bar ) {
			$bar->finish();
		}
		if ( $json ) {
			\WP_CLI::line( (string) wp_json_encode( $report, JSON_UNESCAPED_SLASHES ) );
		} else {
			foreach ( $report['errors'] as $error ) {
				/* translators: 1: line number, 2: error */
				\WP_CLI::warning( sprintf( __( 'line %1$d: %2$s', 'kb-jobs' ), $error['line'], $error['error'] ) );
			}
			if ( $report['errors_truncated'] ) {
				/* translators: %d: errors shown */
				\WP_CLI::warning( sprintf( __( '(only the first %d errors are listed)', 'kb-jobs' ), count( $report['errors'] ) ) );
			}
		}
		/* translators: 1: lines, 2: added, 3: already there, 4: invalid */
		$summary = sprintf( __( '%1$d lines: %2$d added, %3$d already there, %4$d invalid.', 'kb-jobs' ), $report['lines'], $report['added'], $report['existing'], $report['invalid'] );
		if ( $report['invalid'] > 0 && ! $report['dispatched'] && ! $opts['dry_run'] ) {
			\WP_CLI::error( $summary . ' ' . __( 'Nothing was dispatched (--skip-invalid dispatches the valid lines).', 'kb-jobs' ) );
		}
		if ( $report['invalid'] > 0 ) {
			\WP_CLI::error( $summary );
		}
		if ( ! $json && $opts['dry_run'] ) {
			/* translators: 1: lines, 2: valid lines */
			\WP_CLI::success( sprintf( __( 'Dry run: %1$d lines, all %2$d valid; nothing dispatched.', 'kb-jobs' ), $report['lines'], $report['valid'] ) );
		} elseif ( ! $json ) {
			\WP_CLI::success( $summary );
		}
	}
}
