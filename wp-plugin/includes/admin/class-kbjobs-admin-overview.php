<?php
/**
 * Overview, the page the menu opens: is it healthy, what runs, what waits and why. Jobs
 * by status; each queue's depth, running jobs against its limit, the age of its oldest
 * due job, and whether it is paused or rate limited (until when); runners alive and lost;
 * open alerts, and each raised alert (KBJobs_Alerts) in words; the WP-Cron tick and
 * whether anything runs jobs; the data directory's disk. Rendered on the server, then
 * kept current from the shared snapshot (GET /kbjobs/v1/snapshot) while the tab is
 * visible.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Overview screen.
 */
final class KBJobs_Admin_Overview extends KBJobs_Admin_Screen {

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'overview';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'KB Jobs Operations', 'kb-jobs' );
	}

	/**
	 * Menu label.
	 *
	 * @return string
	 */
	public function menu_title(): string {
		return __( 'Overview', 'kb-jobs' );
	}

	/**
	 * Live.
	 *
	 * @return bool
	 */
	protected function is_live(): bool {
		return true;
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'Jobs by status, each queue and what holds it back, runners, alerts, the WP-Cron tick and the disk. The numbers refresh every two seconds while this tab is visible.', 'kb-jobs' );
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		try {
			$snapshot = KBJobs_Data_Snapshot::get();
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			$this->render_versions();
			return;
		}
		$t = self::texts( $snapshot );
		echo '<div class="kbjobs-live" data-kbjobs-live="overview">';
		echo '<div class="kbjobs-attention" data-kbjobs-key="attention" aria-live="polite">';
		foreach ( $t['attention'] as $line ) {
			echo '<div class="notice notice-warning inline"><p>' . esc_html( $line ) . '</p></div>';
		}
		echo '</div>';
		echo '<h2>' . esc_html__( 'Jobs', 'kb-jobs' ) . '</h2><ul class="kbjobs-counts">';
		$estimated = (array) ( $snapshot['status']['jobs_estimated'] ?? array() );
		foreach ( array_keys( $snapshot['status']['jobs'] ) as $state ) {
			// An estimate's tooltip is set once: a count seldom moves across the cap.
			printf(
				'<li class="kbjobs-count kbjobs-status-%1$s"><span class="kbjobs-count-n" data-kbjobs-key="status.jobs.%1$s"%4$s>%2$s</span> <span class="kbjobs-count-label">%3$s</span></li>',
				esc_attr( $state ),
				esc_html( $t[ 'status.jobs.' . $state ] ),
				esc_html( self::status_label( $state ) ),
				isset( $estimated[ $state ] ) ? ' title="' . esc_attr( KBJobs_Format::count_title( $estimated[ $state ] ) ) . '"' : ''
			);
		}
		echo '</ul>';
		echo '<h2>' . esc_html__( 'Queues', 'kb-jobs' ) . '</h2>';
		echo '<table class="widefat striped kbjobs-queues"><thead><tr>';
		foreach ( array( __( 'Queue', 'kb-jobs' ), __( 'Waiting', 'kb-jobs' ), __( 'Due now', 'kb-jobs' ), __( 'Running / limit', 'kb-jobs' ), __( 'Oldest due job', 'kb-jobs' ), __( 'State', 'kb-jobs' ) ) as $head ) {
			echo '<th scope="col">' . esc_html( $head ) . '</th>';
		}
		echo '</tr></thead><tbody data-kbjobs-key="status.queues" data-kbjobs-empty="' . esc_attr__( 'No queue has jobs or settings yet.', 'kb-jobs' ) . '">';
		if ( ! $t['status.queues'] ) {
			echo '<tr><td colspan="6">' . esc_html__( 'No queue has jobs or settings yet.', 'kb-jobs' ) . '</td></tr>';
		}
		foreach ( $t['status.queues'] as $cells ) {
			echo '<tr>';
			foreach ( $cells as $cell ) {
				echo '<td>' . esc_html( $cell ) . '</td>';
			}
			echo '</tr>';
		}
		echo '</tbody></table>';
		$rows = array(
			'status.runners.text'  => __( 'Runners', 'kb-jobs' ),
			'status.open_alerts'   => __( 'Open alerts', 'kb-jobs' ),
			'status.failures.text' => __( 'FailureLog', 'kb-jobs' ),
			'status.cron.text'     => __( 'WP-Cron tick', 'kb-jobs' ),
			'status.disk.text'     => __( 'Data directory', 'kb-jobs' ),
		);
		echo '<h2>' . esc_html__( 'System', 'kb-jobs' ) . '</h2><table class="widefat striped kbjobs-system"><tbody>';
		foreach ( $rows as $key => $label ) {
			printf( '<tr><th scope="row">%1$s</th><td data-kbjobs-key="%2$s">%3$s</td></tr>', esc_html( $label ), esc_attr( $key ), esc_html( $t[ $key ] ) );
		}
		echo '</tbody></table>';
		echo '<p class="kbjobs-updated">' . esc_html__( 'Updated', 'kb-jobs' ) . ' <span data-kbjobs-key="at">' . esc_html( $t['at'] ) . '</span></p>';
		echo '</div>';
		$this->render_charts( array_column( $snapshot['status']['queues'], 'name' ) );
		$this->render_versions();
	}

	/**
	 * The charts of the last hour (by minute) and the last day (by hour), in total or for
	 * the queue chosen above them. Drawn when the page loads (the live refresh leaves
	 * them), from the engine's metrics.
	 *
	 * @param string[] $queues The queues the page knows.
	 */
	private function render_charts( array $queues ): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a view's filter: it changes nothing, and only a known queue's name is used.
		$asked = isset( $_GET['stats_queue'] ) ? sanitize_text_field( wp_unslash( $_GET['stats_queue'] ) ) : '';
		try {
			$windows = array();
			foreach ( KBJobs_Data_Stats::WINDOWS as $name => $window ) {
				$windows[ $name ] = KBJobs_Data_Stats::get( $window );
			}
			$queues = array_unique( array_merge( $queues, array_map( 'strval', array_keys( $windows['day']['queues'] ) ) ) );
			sort( $queues );
			$queue = in_array( $asked, $queues, true ) ? $asked : '';
			if ( '' !== $queue ) {
				foreach ( KBJobs_Data_Stats::WINDOWS as $name => $window ) {
					$windows[ $name ] = KBJobs_Data_Stats::get( $window + array( 'queue' => $queue ) );
				}
			}
		} catch ( \Throwable $e ) {
			echo '<h2>' . esc_html__( 'Throughput and times', 'kb-jobs' ) . '</h2>';
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		echo '<h2 id="kbjobs-charts">' . esc_html__( 'Throughput and times', 'kb-jobs' ) . '</h2>';
		echo '<form method="get" class="kbjobs-filter" action="' . esc_url( admin_url( 'admin.php' ) ) . '#kbjobs-charts">';
		echo '<input type="hidden" name="page" value="kbjobs">';
		echo '<label for="kbjobs-stats-queue">' . esc_html__( 'Queue', 'kb-jobs' ) . '</label> <select id="kbjobs-stats-queue" name="stats_queue">';
		echo '<option value="">' . esc_html__( 'All queues', 'kb-jobs' ) . '</option>';
		foreach ( $queues as $name ) {
			printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( $name ), selected( $name, $queue, false ), esc_html( $name ) );
		}
		echo '</select> <button type="submit" class="button">' . esc_html__( 'Show', 'kb-jobs' ) . '</button></form>';
		$labels = array(
			'hour' => __( 'the last hour', 'kb-jobs' ),
			'day'  => __( 'the last day', 'kb-jobs' ),
		);
		foreach ( $windows as $name => $stats ) {
			$totals = $stats['totals'];
			echo '<h3>' . esc_html( '' === $queue ? ucfirst( $labels[ $name ] ) : sprintf( /* translators: 1: the window, 2: queue name */ __( '%1$s, queue %2$s', 'kb-jobs' ), ucfirst( $labels[ $name ] ), $queue ) ) . '</h3>';
			echo '<p class="kbjobs-chart-totals">' . esc_html( self::totals_text( $totals ) ) . '</p>';
			echo KBJobs_Admin_Charts::window( $stats, $labels[ $name ] ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts by KBJobs_Admin_Charts.
		}
	}

	/**
	 * A window's totals in words.
	 *
	 * @param array<string,mixed> $totals A stats row.
	 * @return string
	 */
	public static function totals_text( array $totals ): string {
		$ms = static function ( $v ): string {
			return null === $v ? '—' : KBJobs_Admin_Charts::value( (float) $v, 'ms' );
		};
		return sprintf(
			/* translators: 1: completed, 2: failed, 3: retried, 4: median wait, 5: p95 wait, 6: median run time, 7: p95 run time */
			__( '%1$s completed, %2$s failed, %3$s retried; wait: median %4$s, p95 %5$s; run: median %6$s, p95 %7$s.', 'kb-jobs' ),
			number_format_i18n( (int) $totals['completed'] ),
			number_format_i18n( (int) $totals['failed'] ),
			number_format_i18n( (int) $totals['retried'] ),
			$ms( $totals['wait_p50_ms'] ),
			$ms( $totals['wait_p95_ms'] ),
			$ms( $totals['run_p50_ms'] ),
			$ms( $totals['run_p95_ms'] )
		);
	}

	/**
	 * What the page shows, by the data-kbjobs-key of the element showing it: texts,
	 * the queue table's rows (lists of cells) and the attention lines. The server renders
	 * from it, and GET /kbjobs/v1/snapshot?view=overview serves it to the page's script,
	 * which sets each element's text (never HTML).
	 *
	 * @param array<string,mixed> $snapshot The snapshot.
	 * @return array<string,string|array>
	 */
	public static function texts( array $snapshot ): array {
		$s         = $snapshot['status'];
		$texts     = array( 'at' => (string) $snapshot['at'] );
		$estimated = (array) ( $s['jobs_estimated'] ?? array() );
		foreach ( $s['jobs'] as $state => $n ) {
			$texts[ 'status.jobs.' . $state ] = KBJobs_Format::count_text( (int) $n, $estimated[ $state ] ?? null );
		}
		/* translators: 1: active runners, 2: lost runners */
		$texts['status.runners.text'] = sprintf( __( '%1$d active, %2$d lost', 'kb-jobs' ), $s['runners']['active'], $s['runners']['lost'] );
		$texts['status.open_alerts']  = number_format_i18n( $s['open_alerts'] );
		/* translators: 1: failed jobs, 2: partial imports */
		$texts['status.failures.text'] = sprintf( __( '%1$d failed jobs, %2$d imports with failed URLs', 'kb-jobs' ), $s['failures']['jobs'], $s['failures']['partial'] );
		$texts['status.cron.text']     = self::cron_text( $s['cron'] );
		$texts['status.disk.text']     = self::disk_text( $s['disk'] );
		$texts['status.queues']        = array();
		foreach ( $s['queues'] as $q ) {
			$texts['status.queues'][] = array(
				$q['name'],
				KBJobs_Format::count_text( (int) ( $q['queued'] ?? 0 ), KBJobs_Format::queue_how( $q, 'queued' ) ),
				KBJobs_Format::count_text( (int) ( $q['due'] ?? 0 ), KBJobs_Format::queue_how( $q, 'due' ) ),
				self::running_text( $q ),
				self::age_text( (float) ( $q['oldest_due_age'] ?? 0 ) ),
				self::queue_state( $q ),
			);
		}
		$texts['attention'] = self::attention( $s );
		return $texts;
	}

	/**
	 * A status's label.
	 *
	 * @param string $state A job status.
	 * @return string
	 */
	public static function status_label( string $state ): string {
		$labels = array(
			'queued'      => __( 'queued', 'kb-jobs' ),
			'running'     => __( 'running', 'kb-jobs' ),
			'completed'   => __( 'completed', 'kb-jobs' ),
			'failed'      => __( 'failed', 'kb-jobs' ),
			'cancelled'   => __( 'cancelled', 'kb-jobs' ),
			'interrupted' => __( 'interrupted', 'kb-jobs' ),
			'held'        => __( 'held', 'kb-jobs' ),
		);
		return $labels[ $state ] ?? $state;
	}

	/**
	 * What needs attention, a sentence each.
	 *
	 * @param array<string,mixed> $status The summary.
	 * @return string[]
	 */
	private static function attention( array $status ): array {
		$lines = array();
		foreach ( $status['alerts'] ?? array() as $alert ) {
			/* translators: 1: what the alert says, 2: time since it was raised, e.g. "5 mins" */
			$lines[] = sprintf( __( 'Alert: %1$s (raised %2$s ago)', 'kb-jobs' ), $alert['summary'], human_time_diff( (int) strtotime( (string) $alert['raised_at'] ) ) );
		}
		if ( $status['runners']['lost'] > 0 ) {
			/* translators: %d: number of runners */
			$lines[] = sprintf( _n( '%d runner is lost (no heartbeat): its jobs are taken back when their leases expire.', '%d runners are lost (no heartbeat): their jobs are taken back when their leases expire.', $status['runners']['lost'], 'kb-jobs' ), $status['runners']['lost'] );
		}
		if ( $status['open_alerts'] > 0 ) {
			/* translators: %d: number of alerts */
			$lines[] = sprintf( _n( '%d open alert.', '%d open alerts.', $status['open_alerts'], 'kb-jobs' ), $status['open_alerts'] );
		}
		$due = array_sum( array_map( 'intval', array_column( $status['queues'], 'due' ) ) );
		if ( $due > 0 && ! $status['cron']['ticking'] && 0 === $status['runners']['active'] ) {
			/* translators: %d: number of jobs */
			$lines[] = sprintf( __( '%d jobs are due and nothing runs them: no WP-Cron tick in three minutes and no active runner.', 'kb-jobs' ), $due );
		}
		return $lines;
	}

	/**
	 * "3 / 10", or "3" without a limit.
	 *
	 * @param array<string,mixed> $q A queue.
	 * @return string
	 */
	public static function running_text( array $q ): string {
		$running = KBJobs_Format::count_text( (int) ( $q['running'] ?? 0 ), KBJobs_Format::queue_how( $q, 'running' ) );
		return empty( $q['concurrency'] ) ? $running : $running . ' / ' . number_format_i18n( (int) $q['concurrency'] );
	}

	/**
	 * A duration in words ("—" for none).
	 *
	 * @param float $seconds Seconds.
	 * @return string
	 */
	public static function age_text( float $seconds ): string {
		return $seconds > 0 ? human_time_diff( 0, (int) ceil( $seconds ) ) : '—';
	}

	/**
	 * A queue's state in words: paused, rate limited until T, blocked (why), running.
	 *
	 * @param array<string,mixed> $q A queue.
	 * @return string
	 */
	public static function queue_state( array $q ): string {
		if ( ! empty( $q['paused'] ) ) {
			return __( 'Paused', 'kb-jobs' );
		}
		if ( ! empty( $q['rate_limited_until'] ) ) {
			/* translators: %s: a time */
			return sprintf( __( 'Rate limited until %s', 'kb-jobs' ), wp_date( get_option( 'time_format' ), (int) strtotime( $q['rate_limited_until'] ) ) );
		}
		if ( ! empty( $q['blocked'] ) ) {
			/* translators: %s: the engine's reason */
			return sprintf( __( 'Held back: %s', 'kb-jobs' ), $q['blocked'] );
		}
		return __( 'Running', 'kb-jobs' );
	}

	/**
	 * The tick in words.
	 *
	 * @param array<string,mixed> $cron The summary's cron part.
	 * @return string
	 */
	public static function cron_text( array $cron ): string {
		if ( empty( $cron['last_tick'] ) ) {
			$text = __( 'never ran', 'kb-jobs' );
		} else {
			/* translators: %s: time since, e.g. "2 mins" */
			$text = sprintf( __( 'last ran %s ago', 'kb-jobs' ), human_time_diff( (int) strtotime( $cron['last_tick'] ) ) );
		}
		if ( ! empty( $cron['disabled'] ) ) {
			$text .= ' ' . __( '(DISABLE_WP_CRON: a system cron or `wp kb work` must run jobs)', 'kb-jobs' );
		}
		return $text;
	}

	/**
	 * The disk in words.
	 *
	 * @param array<string,mixed> $disk The summary's disk part.
	 * @return string
	 */
	public static function disk_text( array $disk ): string {
		if ( null === $disk['free_bytes'] || null === $disk['total_bytes'] ) {
			/* translators: %s: a directory */
			return sprintf( __( '%s (cannot read its disk)', 'kb-jobs' ), $disk['data_dir'] );
		}
		/* translators: 1: directory, 2: free space, 3: disk size */
		$text = sprintf( __( '%1$s: %2$s free of %3$s', 'kb-jobs' ), $disk['data_dir'], size_format( $disk['free_bytes'] ), size_format( $disk['total_bytes'] ) );
		if ( empty( $disk['used'] ) ) {
			return $text . '; ' . __( 'its own size is measured by the daily cleanup', 'kb-jobs' );
		}
		return $text . '; ' . sprintf(
			/* translators: 1: size, 2: number of files, 3: time since */
			__( 'kbjobs uses %1$s in %2$s files (measured %3$s ago)', 'kb-jobs' ),
			size_format( $disk['used']['bytes'] ),
			number_format_i18n( $disk['used']['files'] ),
			human_time_diff( (int) strtotime( (string) $disk['used']['measured_at'] ) )
		);
	}

	/**
	 * Component versions.
	 */
	private function render_versions(): void {
		echo '<h2 id="kbjobs-health">' . esc_html__( 'Versions', 'kb-jobs' ) . '</h2>';
		echo '<table class="widefat striped kbjobs-versions"><thead><tr><th scope="col">' . esc_html__( 'Component', 'kb-jobs' ) . '</th><th scope="col">' . esc_html__( 'Version', 'kb-jobs' ) . '</th></tr></thead><tbody>';
		foreach ( KBJobs_Data_Versions::rows() as $row ) {
			echo '<tr><td>' . esc_html( $row['component'] ) . '</td><td>' . esc_html( $row['version'] ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}
}
