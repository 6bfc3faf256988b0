<?php
/**
 * `wp kb status`: the health summary.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Prints the health summary.
 */
final class KBJobs_CLI_Status extends KBJobs_CLI_Command {

	/**
	 * Prints the health summary.
	 *
	 * Jobs by status, queues (depth, running, paused, what holds them), runners alive and
	 * lost, the FailureLog, open and raised alerts, whether the WP-Cron tick runs, the
	 * data directory's disk, and the metrics of the last hour and the last day (stats:
	 * completed, failed, retried, median and p95 wait and run times in ms). Exits 1 when something needs attention (a lost runner, an open
	 * alert, due jobs with no tick and no runner).
	 *
	 * Job and queue counts are exact up to 190 and estimated from the database's index
	 * above it, shown as "≈ 1.0M" (in json and yaml: `jobs_estimated` and each queue's
	 * `estimated`); --exact counts every job, which reads every row.
	 *
	 * ## OPTIONS
	 *
	 * [--exact]
	 * : Count every job exactly (slow with millions of jobs).
	 *
	 * [--format=<format>]
	 * : text for people; json or yaml for scripts.
	 * ---
	 * default: text
	 * options:
	 *   - text
	 *   - json
	 *   - yaml
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb status
	 *     $ wp kb status --format=json
	 *     $ wp kb status --exact
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		$exact           = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'exact', false );
		$status          = $this->read(
			static function () use ( $exact ) {
				return KBJobs_Data_Status::summary( $exact );
			}
		);
		$status['stats'] = $this->read( array( 'KBJobs_Data_Stats', 'totals' ) );
		$format          = \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'text' );
		if ( 'text' !== $format ) {
			\WP_CLI::print_value( $status, array( 'format' => $format ) );
		} else {
			foreach ( self::lines( $status ) as $line ) {
				\WP_CLI::line( $line );
			}
		}
		$problems = self::problems( $status );
		if ( $problems ) {
			\WP_CLI::halt( 1 );
		}
	}

	/**
	 * The summary as text.
	 *
	 * @param array<string,mixed> $s The summary.
	 * @return string[]
	 */
	private static function lines( array $s ): array {
		$jobs      = array();
		$estimated = (array) ( $s['jobs_estimated'] ?? array() );
		foreach ( $s['jobs'] as $status => $n ) {
			$jobs[] = sprintf( '%s %s', $status, KBJobs_Format::count_text( (int) $n, $estimated[ $status ] ?? null ) );
		}
		$lines = array( 'Jobs:      ' . implode( ', ', $jobs ) );
		foreach ( $s['queues'] as $q ) {
			$state   = ! empty( $q['paused'] ) ? 'PAUSED' : ( ! empty( $q['blocked'] ) ? 'blocked: ' . $q['blocked'] : 'ok' );
			$lines[] = sprintf(
				'Queue %-12s %s queued, %s due, %s running%s, %s',
				$q['name'],
				KBJobs_Format::count_text( (int) ( $q['queued'] ?? 0 ), KBJobs_Format::queue_how( $q, 'queued' ) ),
				KBJobs_Format::count_text( (int) ( $q['due'] ?? 0 ), KBJobs_Format::queue_how( $q, 'due' ) ),
				KBJobs_Format::count_text( (int) ( $q['running'] ?? 0 ), KBJobs_Format::queue_how( $q, 'running' ) ),
				! empty( $q['concurrency'] ) ? '/' . $q['concurrency'] : '',
				$state
			);
		}
		$lines[] = sprintf( 'Runners:   %d active, %d lost, %d stopped (24 h)', $s['runners']['active'], $s['runners']['lost'], $s['runners']['stopped'] );
		$lines[] = sprintf( 'Failures:  %d jobs, %d partial imports, %d evicted; %d open alerts', $s['failures']['jobs'], $s['failures']['partial'], $s['failures']['evicted'], $s['open_alerts'] );
		foreach ( $s['alerts'] as $alert ) {
			$lines[] = sprintf( 'Alert:     %s (%s, raised %s)', $alert['summary'], $alert['key'], $alert['raised_at'] );
		}
		$lines[] = sprintf(
			'WP-Cron:   last tick %s, next %s%s',
			$s['cron']['last_tick'] ?? 'never',
			$s['cron']['next_tick'] ?? 'not scheduled',
			$s['cron']['disabled'] ? ' (DISABLE_WP_CRON: a system cron or `wp kb work` must run jobs)' : ''
		);
		$lines[] = sprintf(
			'Disk:      %s, %s free of %s',
			$s['disk']['data_dir'],
			null === $s['disk']['free_bytes'] ? '?' : size_format( $s['disk']['free_bytes'] ),
			null === $s['disk']['total_bytes'] ? '?' : size_format( $s['disk']['total_bytes'] )
		);
		foreach ( array(
			'hour' => 'Last hour:',
			'day'  => 'Last day: ',
		) as $window => $label ) {
			$row     = $s['stats'][ $window ];
			$lines[] = sprintf(
				'%s %d started, %d completed, %d failed, %d retried; wait p50 %s p95 %s; run p50 %s p95 %s',
				$label,
				$row['started'],
				$row['completed'],
				$row['failed'],
				$row['retried'],
				self::ms( $row['wait_p50_ms'] ),
				self::ms( $row['wait_p95_ms'] ),
				self::ms( $row['run_p50_ms'] ),
				self::ms( $row['run_p95_ms'] )
			);
		}
		foreach ( self::problems( $s ) as $problem ) {
			$lines[] = 'Attention: ' . $problem;
		}
		return $lines;
	}

	/**
	 * A duration in ms for the text output ("-" without samples).
	 *
	 * @param float|null $ms Milliseconds.
	 * @return string
	 */
	private static function ms( $ms ): string {
		return null === $ms ? '-' : round( (float) $ms, 1 ) . ' ms';
	}

	/**
	 * What needs attention.
	 *
	 * @param array<string,mixed> $s The summary.
	 * @return string[]
	 */
	private static function problems( array $s ): array {
		$problems = array();
		if ( $s['runners']['lost'] > 0 ) {
			$problems[] = sprintf( '%d runners lost (no heartbeat): their jobs are taken back when their leases expire.', $s['runners']['lost'] );
		}
		if ( $s['open_alerts'] > 0 ) {
			$problems[] = sprintf( '%d open alerts: wp kb alert list --open.', $s['open_alerts'] );
		}
		$due = array_sum( array_map( 'intval', array_column( $s['queues'], 'due' ) ) );
		if ( $due > 0 && ! $s['cron']['ticking'] && 0 === $s['runners']['active'] ) {
			$problems[] = sprintf( '%d jobs are due and nothing runs them: no WP-Cron tick in 3 minutes and no active runner.', $due );
		}
		return $problems;
	}
}
