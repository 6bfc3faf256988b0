<?php
/**
 * `wp kb work`.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Runs jobs in this process.
 */
final class KBJobs_CLI_Work extends KBJobs_CLI_Command {

	/**
	 * Runs jobs in this process: a long-lived runner for a service manager.
	 *
	 * SIGTERM or SIGINT make it finish the chunk in hand, give the job back to its queue
	 * and exit 0.
	 *
	 * ## OPTIONS
	 *
	 * [--queues=<queues>]
	 * : Comma-separated queues, in the order they are served (default: kbjobs,import,default).
	 *
	 * [--max-seconds=<n>]
	 * : Stop claiming after this many seconds (default: no limit).
	 *
	 * [--max-jobs=<n>]
	 * : Stop after this many jobs.
	 *
	 * [--max-memory=<mb>]
	 * : Stop when the process uses more than this many MiB.
	 *
	 * [--until-empty]
	 * : Exit once nothing is due now or within the next 60 seconds: a job that retries
	 * after a short backoff, or an import waiting for its ranges, is waited for. A
	 * recurring WP-Cron event counts only once it is due (one that recurs every minute
	 * would otherwise never let the run end).
	 *
	 * [--due-within=<seconds>]
	 * : With --until-empty, how far ahead a due job is waited for (default 60).
	 *
	 * [--[no-]cron]
	 * : Whether to run due WP-Cron events beside jobs when WP-Cron is on kbjobs (default:
	 * yes). --no-cron leaves them to other runners.
	 *
	 * [--idle-ms=<ms>]
	 * : The longest pause between two looks for due jobs when nothing is due (default
	 * 200): each look is one query. Jobs submitted on this
	 * host wake it at once (see --[no-]wake); jobs submitted on other hosts wait for its
	 * next look.
	 *
	 * [--idle-min-ms=<ms>]
	 * : The pause after a look that found work (default 50); it doubles with each look that
	 * finds nothing, up to --idle-ms.
	 *
	 * [--[no-]wake]
	 * : Whether jobs submitted by processes on this host and site wake this runner at once
	 * (default: yes). --no-wake leaves it to its pauses.
	 *
	 * [--format=<format>]
	 * : Render the run report in a particular format.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - yaml
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb work
	 *     $ wp kb work --queues=import --max-seconds=3600
	 *     $ wp kb work --until-empty --format=json
	 *     $ wp kb work --idle-ms=5000 --no-wake
	 *
	 * @param array<int,string>    $args       None.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		$options = array();
		if ( isset( $assoc_args['queues'] ) ) {
			$options['queues'] = array_values( array_filter( array_map( 'trim', explode( ',', $assoc_args['queues'] ) ) ) );
		}
		if ( isset( $assoc_args['max-seconds'] ) ) {
			$options['max_seconds'] = (float) $assoc_args['max-seconds'];
		}
		if ( isset( $assoc_args['max-jobs'] ) ) {
			$options['max_jobs'] = (int) $assoc_args['max-jobs'];
		}
		if ( isset( $assoc_args['max-memory'] ) ) {
			$options['max_memory'] = (int) $assoc_args['max-memory'] * 1024 * 1024;
		}
		foreach ( array(
			'idle-ms'     => 'idle_ms',
			'idle-min-ms' => 'idle_min_ms',
		) as $flag => $option ) {
			if ( isset( $assoc_args[ $flag ] ) ) {
				if ( ! preg_match( '/^[0-9]{1,7}$/', (string) $assoc_args[ $flag ] ) ) {
					\WP_CLI::error( sprintf( '--%s must be a whole number of milliseconds.', $flag ) );
				}
				$options[ $option ] = (int) $assoc_args[ $flag ];
			}
		}
		if ( ! \WP_CLI\Utils\get_flag_value( $assoc_args, 'wake', true ) ) {
			$options['wake'] = false;
		}
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'until-empty', false ) ) {
			$options['until_empty']      = true;
			$options['until_empty_wait'] = (float) \WP_CLI\Utils\get_flag_value( $assoc_args, 'due-within', 60 );
		}
		try {
			$this->trap_signals( KBJobs_Engine::get() );
			$report = KBJobs_Runner::run( $options, \WP_CLI\Utils\get_flag_value( $assoc_args, 'cron', true ) );
		} catch ( \ValueError | \TypeError | \KBJobs\Exception $e ) {
			\WP_CLI::error( $e->getMessage() );
		}
		$format = \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'table' );
		if ( 'table' === $format ) {
			\WP_CLI::success(
				sprintf(
					'Runner %s stopped (%s) after %.1f s: %d claimed, %d completed, %d failed, %d retried, %d cancelled, %d given back; %d WP-Cron events run, %d failed; woken %d times.',
					$report['runner'],
					$report['stop_reason'],
					$report['elapsed'],
					$report['claimed'],
					$report['completed'],
					$report['failed'],
					$report['retried'],
					$report['cancelled'],
					$report['interrupted'],
					$report['cron_ran'] ?? 0,
					$report['cron_failed'] ?? 0,
					$report['wakeups'] ?? 0
				)
			);
			return;
		}
		\WP_CLI::print_value( $report, array( 'format' => $format ) );
	}
}
