<?php
/**
 * `wp kb cleanup`: the daily cleanup's work, run now in the terminal.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Runs the cleanup synchronously.
 */
final class KBJobs_CLI_Cleanup extends KBJobs_CLI_Command {

	/**
	 * The counts, in the order they are shown.
	 */
	const FIELDS = array( 'jobs', 'logs', 'checkpoints', 'lists', 'failed_items', 'metrics_rolled_up', 'metrics_deleted', 'audit', 'quarantine', 'bytes_freed', 'more', 'runs' );

	/**
	 * Removes what kbjobs keeps only for a while, with the retentions of the Settings
	 * screen (or their constants): finished jobs with their log, checkpoint, URL list and
	 * failed items; logs of finished jobs; minute metrics rolled up into hours, and old
	 * rows deleted; audit entries; quarantined files; stale checkpoints of interrupted
	 * jobs. A queued or running job's files are never touched.
	 *
	 * Each pass works in batches for at most --max-seconds and reports whether work is
	 * left (`more`); the command runs passes until none is left, unless --once. A dry
	 * run counts what would go and changes nothing (one pass).
	 *
	 * ## OPTIONS
	 *
	 * [--dry-run]
	 * : Count what would be removed; change nothing.
	 *
	 * [--once]
	 * : Run one pass, even when work is left.
	 *
	 * [--batch=<rows>]
	 * : Rows per transaction (1-10000).
	 * ---
	 * default: 1000
	 * ---
	 *
	 * [--max-seconds=<seconds>]
	 * : Time budget of each pass (1-3600).
	 * ---
	 * default: 20
	 * ---
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
	 * ---
	 *
	 * ## AVAILABLE FIELDS
	 *
	 * * jobs
	 * * logs
	 * * checkpoints
	 * * lists
	 * * failed_items
	 * * metrics_rolled_up
	 * * metrics_deleted
	 * * audit
	 * * quarantine
	 * * bytes_freed
	 * * more
	 * * runs
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb cleanup --dry-run
	 *     $ wp kb cleanup --format=json
	 *     $ wp kb cleanup --once --max-seconds=5
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		$dry     = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'dry-run', false );
		$once    = $dry || (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'once', false );
		$options = KBJobs_Maintenance::cleanup_options() + array(
			'batch'       => (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'batch', 1000 ),
			'max_seconds' => (float) \WP_CLI\Utils\get_flag_value( $assoc_args, 'max-seconds', 20 ),
			'dry_run'     => $dry,
		);
		if ( $options['batch'] < 1 || $options['batch'] > 10000 ) {
			\WP_CLI::error( '--batch must be between 1 and 10000.' );
		}
		if ( $options['max_seconds'] < 1 || $options['max_seconds'] > 3600 ) {
			\WP_CLI::error( '--max-seconds must be between 1 and 3600.' );
		}
		$result = $this->check(
			KBJobs_Action::run(
				'maintenance.cleanup',
				'cleanup',
				function () use ( $options, $once ) {
					$engine = KBJobs_Engine::get();
					$this->trap_signals( $engine );
					$total = array_fill_keys( self::FIELDS, 0 );
					do {
						$pass = $engine->cleanup( $options );
						foreach ( self::FIELDS as $field ) {
							if ( is_int( $pass[ $field ] ?? null ) ) {
								$total[ $field ] += $pass[ $field ];
							}
						}
						$total['more'] = $pass['more'];
						++$total['runs'];
					} while ( $pass['more'] && ! $once && ! $this->stop_requested );
					// The counts go back under their own key: KBJobs_Action reads 'audit' as
					// the audit entry's summary.
					return array(
						'counts' => $total,
						'audit'  => array(
							'jobs'        => $total['jobs'],
							'bytes_freed' => $total['bytes_freed'],
						),
					);
				},
				array( 'dry_run' => $dry )
			)
		);
		$this->display_item( $assoc_args, $result['counts'], 'jobs' );
	}
}
