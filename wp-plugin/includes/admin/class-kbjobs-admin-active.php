<?php
/**
 * Active Jobs, the JobTracker's view of the jobs running now: type, title, the runner
 * (host and pid) running each, when it started, its progress with rate and ETA, and
 * Cancel. Rendered on the server, then kept current from the shared snapshot
 * (GET /kbjobs/v1/snapshot?view=active) while the tab is visible.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Active Jobs screen.
 */
final class KBJobs_Admin_Active extends KBJobs_Admin_Table_Screen {

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'active';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Active Jobs', 'kb-jobs' );
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
		return __( 'The jobs running now, oldest first: the runner running each (host and process id), when it started, its progress, its rate in items per second and the time left at that rate. Cancel asks the job to stop at its next check; it then shows as cancelled in History. The list refreshes every two seconds while this tab is visible.', 'kb-jobs' );
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	protected function columns(): array {
		$columns = array(
			'job'      => __( 'Job', 'kb-jobs' ),
			'title'    => __( 'Title', 'kb-jobs' ),
			'runner'   => __( 'Runner', 'kb-jobs' ),
			'started'  => __( 'Started', 'kb-jobs' ),
			'progress' => __( 'Progress', 'kb-jobs' ),
			'rate'     => __( 'Rate and ETA', 'kb-jobs' ),
		);
		if ( $this->can_operate() ) {
			$columns['actions'] = __( 'Actions', 'kb-jobs' );
		}
		return $columns;
	}

	/**
	 * Keys of a row.
	 *
	 * @return string[]
	 */
	protected function row_keys(): array {
		return array( 'id', 'row_class', 'type', 'queue', 'title', 'runner', 'started', 'started_utc', 'progress', 'progress_percent', 'progress_label', 'phase', 'rate', 'eta', 'can_cancel', 'cancel_requested' );
	}

	/**
	 * Cells.
	 *
	 * @param array<string,string> $row The row's texts.
	 * @return array<string,string>
	 */
	protected function cells( array $row ): array {
		return array(
			'job'      => '<strong>' . self::text( $row, 'type' ) . '</strong><br>' . self::text( $row, 'id', 'kbjobs-id' )
				. '<br><span class="kbjobs-muted">' . esc_html__( 'Queue:', 'kb-jobs' ) . ' ' . self::text( $row, 'queue' ) . '</span>',
			'title'    => self::text( $row, 'title' ),
			'runner'   => self::text( $row, 'runner' ),
			'started'  => self::time( $row, 'started' ),
			'progress' => self::progress( $row, 'progress' ) . '<br>' . self::text( $row, 'phase', 'kbjobs-muted' ),
			'rate'     => self::text( $row, 'rate' ) . '<br>' . self::text( $row, 'eta', 'kbjobs-muted' ),
			'actions'  => self::shown_if( $row, 'can_cancel', KBJobs_Admin_Forms::button( 'job.cancel', (string) $row['id'], __( 'Cancel', 'kb-jobs' ), 'button button-small' ) )
				. self::text( $row, 'cancel_requested', 'kbjobs-muted' ),
		);
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		try {
			$snapshot = KBJobs_Data_Snapshot::get();
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		$t = self::texts( $snapshot );
		echo '<div class="kbjobs-live" data-kbjobs-live="active" data-kbjobs-poll="' . esc_attr( '/kbjobs/v1/snapshot?view=active' ) . '">';
		echo '<p class="kbjobs-summary" data-kbjobs-key="summary" aria-live="polite">' . esc_html( $t['summary'] ) . '</p>';
		$this->table( 'active', $t['active'], __( 'No job is running.', 'kb-jobs' ) );
		echo '<p class="kbjobs-updated">' . esc_html__( 'Updated', 'kb-jobs' ) . ' <span data-kbjobs-key="at">' . esc_html( $t['at'] ) . '</span></p>';
		echo '</div>';
	}

	/**
	 * What the page shows: the summary line and a row of texts per running job. The
	 * server renders from it, and GET /kbjobs/v1/snapshot?view=active serves it.
	 *
	 * @param array<string,mixed> $snapshot The snapshot.
	 * @return array<string,mixed>
	 */
	public static function texts( array $snapshot ): array {
		$runners = array();
		foreach ( $snapshot['runners'] as $runner ) {
			$runners[ $runner['id'] ] = $runner;
		}
		$rows = array();
		foreach ( $snapshot['active'] as $job ) {
			$rows[] = self::row( $job, $runners[ (string) $job['runner'] ] ?? null );
		}
		$n = count( $rows );
		return array(
			'at'      => (string) $snapshot['at'],
			/* translators: %s: number of jobs */
			'summary' => sprintf( _n( '%s job is running.', '%s jobs are running.', $n, 'kb-jobs' ), number_format_i18n( $n ) ),
			'active'  => $rows,
		);
	}

	/**
	 * A running job's row.
	 *
	 * @param array<string,mixed>      $job    The job (KBJobs_Format::job()).
	 * @param array<string,mixed>|null $runner Its runner, when known.
	 * @return array<string,string>
	 */
	private static function row( array $job, ?array $runner ): array {
		if ( $runner ) {
			/* translators: 1: host name, 2: process id */
			$on = sprintf( __( '%1$s, pid %2$d', 'kb-jobs' ), $runner['host'], (int) $runner['pid'] );
			if ( 'active' !== $runner['state'] ) {
				/* translators: 1: runner, 2: its state (lost, stopped) */
				$on = sprintf( __( '%1$s (%2$s)', 'kb-jobs' ), $on, KBJobs_Admin_Runners::state_label( (string) $runner['state'] ) );
			}
		} else {
			$on = (string) ( $job['runner'] ?? '' );
		}
		$rate = '—';
		if ( null !== $job['rate'] ) {
			/* translators: %s: items per second */
			$rate = sprintf( __( '%s items/s', 'kb-jobs' ), number_format_i18n( (float) $job['rate'], $job['rate'] < 10 ? 2 : 0 ) );
		}
		$eta = '';
		if ( null !== $job['eta_seconds'] ) {
			/* translators: %s: a duration, e.g. "5 mins" */
			$eta = sprintf( __( '%s left', 'kb-jobs' ), human_time_diff( 0, max( 1, (int) $job['eta_seconds'] ) ) );
		}
		$cancel_requested = ! empty( $job['cancel_requested'] );
		return array(
			'id'               => (string) $job['id'],
			'row_class'        => $cancel_requested ? 'kbjobs-cancel-requested' : '',
			'type'             => (string) $job['type'],
			'queue'            => (string) $job['queue'],
			'title'            => (string) ( $job['title'] ?? '' ),
			'runner'           => $on,
			'phase'            => (string) ( $job['phase'] ?? '' ),
			'rate'             => $rate,
			'eta'              => $eta,
			'can_cancel'       => $cancel_requested ? '' : '1',
			'cancel_requested' => $cancel_requested ? __( 'Cancel requested: it stops at its next check.', 'kb-jobs' ) : '',
		) + self::time_texts( 'started', $job['started_at'] )
			+ self::progress_texts( 'progress', (int) $job['progress_done'], (int) $job['progress_total'] );
	}
}
