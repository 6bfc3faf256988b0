<?php
/**
 * Runners, as the JobTracker sees them: every runner seen in the last 24 hours with its
 * host, process id, version, start, last heartbeat, the jobs it runs now, its memory and
 * its state (active, lost: no heartbeat for too long, highlighted; stopped). Rendered
 * on the server, then kept current from the shared snapshot
 * (GET /kbjobs/v1/snapshot?view=runners) while the tab is visible.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Runners screen.
 */
final class KBJobs_Admin_Runners extends KBJobs_Admin_Table_Screen {

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'runners';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Runners', 'kb-jobs' );
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
		return __( 'Every runner (a `wp kb work` process or a WP-Cron tick) seen in the last 24 hours. A runner beats every few seconds; one whose heartbeat stopped without a clean exit is lost, and its jobs are taken back when their leases expire. Memory is the process\'s resident memory at its last heartbeat. The list refreshes every two seconds while this tab is visible.', 'kb-jobs' );
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	protected function columns(): array {
		return array(
			'host'      => __( 'Host', 'kb-jobs' ),
			'pid'       => __( 'PID', 'kb-jobs' ),
			'version'   => __( 'Version', 'kb-jobs' ),
			'started'   => __( 'Started', 'kb-jobs' ),
			'heartbeat' => __( 'Last heartbeat', 'kb-jobs' ),
			'jobs'      => __( 'Current jobs', 'kb-jobs' ),
			'memory'    => __( 'Memory', 'kb-jobs' ),
			'state'     => __( 'State', 'kb-jobs' ),
		);
	}

	/**
	 * Keys of a row.
	 *
	 * @return string[]
	 */
	protected function row_keys(): array {
		return array( 'id', 'row_class', 'host', 'pid', 'version', 'queues', 'started', 'started_utc', 'heartbeat', 'heartbeat_utc', 'heartbeat_ago', 'jobs', 'job_ids', 'memory', 'state' );
	}

	/**
	 * Cells.
	 *
	 * @param array<string,string> $row The row's texts.
	 * @return array<string,string>
	 */
	protected function cells( array $row ): array {
		return array(
			'host'      => '<strong>' . self::text( $row, 'host' ) . '</strong><br>' . self::text( $row, 'queues', 'kbjobs-muted' ),
			'pid'       => self::text( $row, 'pid' ),
			'version'   => self::text( $row, 'version' ),
			'started'   => self::time( $row, 'started' ),
			'heartbeat' => self::time( $row, 'heartbeat' ) . '<br>' . self::text( $row, 'heartbeat_ago', 'kbjobs-muted' ),
			'jobs'      => self::text( $row, 'jobs' ) . '<br>' . self::text( $row, 'job_ids', 'kbjobs-id' ),
			'memory'    => self::text( $row, 'memory' ),
			'state'     => self::text( $row, 'state', 'kbjobs-state' ),
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
		echo '<div class="kbjobs-live" data-kbjobs-live="runners" data-kbjobs-poll="' . esc_attr( '/kbjobs/v1/snapshot?view=runners' ) . '">';
		echo '<p class="kbjobs-summary" data-kbjobs-key="summary" aria-live="polite">' . esc_html( $t['summary'] ) . '</p>';
		$this->table( 'runners', $t['runners'], __( 'No runner was seen in the last 24 hours: nothing runs jobs unless WP-Cron ticks.', 'kb-jobs' ) );
		echo '<p class="kbjobs-updated">' . esc_html__( 'Updated', 'kb-jobs' ) . ' <span data-kbjobs-key="at">' . esc_html( $t['at'] ) . '</span></p>';
		echo '</div>';
	}

	/**
	 * What the page shows: the summary line and a row of texts per runner. The server
	 * renders from it, and GET /kbjobs/v1/snapshot?view=runners serves it.
	 *
	 * @param array<string,mixed> $snapshot The snapshot.
	 * @return array<string,mixed>
	 */
	public static function texts( array $snapshot ): array {
		$jobs = array();
		foreach ( $snapshot['active'] as $job ) {
			$jobs[ (string) $job['runner'] ][] = (string) $job['id'];
		}
		$rows = array();
		foreach ( $snapshot['runners'] as $runner ) {
			$rows[] = self::row( $runner, $jobs[ (string) $runner['id'] ] ?? array(), (float) strtotime( (string) $snapshot['at'] ) );
		}
		$r = $snapshot['status']['runners'];
		return array(
			'at'      => (string) $snapshot['at'],
			/* translators: 1: active runners, 2: lost runners, 3: stopped runners */
			'summary' => sprintf( __( 'In the last 24 hours: %1$s active, %2$s lost, %3$s stopped.', 'kb-jobs' ), number_format_i18n( (int) $r['active'] ), number_format_i18n( (int) $r['lost'] ), number_format_i18n( (int) $r['stopped'] ) ),
			'runners' => $rows,
		);
	}

	/**
	 * A runner's row.
	 *
	 * @param array<string,mixed> $runner The runner (KBJobs_Data_Runners::all()).
	 * @param string[]            $jobs   The ids of the jobs it runs, as the snapshot saw them.
	 * @param float               $at     When the snapshot was made.
	 * @return array<string,string>
	 */
	private static function row( array $runner, array $jobs, float $at ): array {
		$state = (string) $runner['state'];
		$beat  = $runner['heartbeat_at'] ? (int) strtotime( (string) $runner['heartbeat_at'] ) : 0;
		$count = max( count( $jobs ), (int) ( $runner['running_jobs'] ?? 0 ) );
		return array(
			'id'            => (string) $runner['id'],
			'row_class'     => 'kbjobs-runner-' . sanitize_html_class( $state ),
			'host'          => (string) $runner['host'],
			'pid'           => (string) (int) $runner['pid'],
			'version'       => (string) $runner['version'],
			/* translators: %s: comma-separated queue names */
			'queues'        => '' !== (string) $runner['queues'] ? sprintf( __( 'Queues: %s', 'kb-jobs' ), (string) $runner['queues'] ) : '',
			/* translators: %s: a duration, e.g. "12 secs" */
			'heartbeat_ago' => $beat > 0 ? sprintf( __( '%s ago', 'kb-jobs' ), human_time_diff( $beat, max( $beat, (int) $at ) ) ) : '',
			'jobs'          => number_format_i18n( $count ),
			'job_ids'       => implode( ', ', $jobs ),
			'memory'        => (int) $runner['memory'] > 0 ? (string) size_format( (int) $runner['memory'], 1 ) : '—',
			'state'         => self::state_label( $state ),
		) + self::time_texts( 'started', $runner['started_at'] ) + self::time_texts( 'heartbeat', $runner['heartbeat_at'] );
	}

	/**
	 * A runner state's label.
	 *
	 * @param string $state active, lost or stopped.
	 * @return string
	 */
	public static function state_label( string $state ): string {
		$labels = array(
			'active'  => __( 'active', 'kb-jobs' ),
			'lost'    => __( 'lost', 'kb-jobs' ),
			'stopped' => __( 'stopped', 'kb-jobs' ),
		);
		return $labels[ $state ] ?? $state;
	}
}
