<?php
/**
 * One job (?id=): its status and why it waits, progress with rate and ETA, times in the
 * site's timezone (UTC on hover), params and result, the metrics its handler reported,
 * its failed attempts, the operator actions on it, Cancel / Run again / Resume, and its
 * log. For an import also its counts, its failed URLs (a page at a time, by list index),
 * Resubmit failed URLs, and the posts it created.
 *
 * Rendered whole on the server, the log's last lines included, so it reads without
 * JavaScript. With it (kbjobs-job.js), while the tab is visible and the job is not
 * finished, the status and progress follow GET /kbjobs/v1/jobs/{id} every 5 s and the log
 * follows GET /kbjobs/v1/jobs/{id}/logs?cursor= every 2 s from the byte cursor the page
 * was rendered at.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The job detail screen.
 */
final class KBJobs_Admin_Job extends KBJobs_Admin_Screen {

	/**
	 * Log lines the page shows when it opens (the end of the log).
	 */
	const LOG_TAIL = 200;

	/**
	 * Failed URLs and posts per page.
	 */
	const ITEMS_PER_PAGE = 50;
	const POSTS_PER_PAGE = 20;

	/**
	 * The statuses a job is finished in (nothing changes by itself any more).
	 */
	const FINISHED = array( 'completed', 'failed', 'cancelled', 'interrupted' );

	/**
	 * Which action applies in which statuses (the buttons shown; the engine decides).
	 */
	const ACTIONS = array(
		'job.cancel' => array( 'queued', 'running', 'interrupted', 'held' ),
		'job.rerun'  => array( 'completed', 'failed', 'cancelled', 'interrupted' ),
		'job.resume' => array( 'interrupted', 'cancelled', 'failed' ),
	);

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'job';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		$id = self::requested_id();
		/* translators: %s: job id */
		return '' === $id ? __( 'Job', 'kb-jobs' ) : sprintf( __( 'Job %s', 'kb-jobs' ), $id );
	}

	/**
	 * No menu entry: reached from the lists.
	 *
	 * @return bool
	 */
	public function in_menu(): bool {
		return false;
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
		return __( 'One job: its status (and, when queued, why it is not running yet), progress with rate and time left, params, result, metrics, failed attempts with their errors, the operator actions taken on it and its log. Times are in the site\'s timezone; hover one for UTC. While the tab is visible the status refreshes every 5 seconds and new log lines appear every 2 seconds; scroll up in the log to read and it stays where you are. Copy and Download take the lines shown. For an import: its counts, the URLs that failed and why, a button that imports only those again, and the posts it created.', 'kb-jobs' );
	}

	/**
	 * Help tab; the menu shows Jobs as current, and the browser's title names the job
	 * (WordPress finds no title for a page without a menu entry). The page leaves the
	 * hidden menu it was registered in once WordPress has let the user in, or WordPress
	 * would take that menu ('') for the page's parent after the parent_file filter.
	 */
	public function load(): void {
		parent::load();
		remove_submenu_page( '', KBJobs_Admin::SLUG . '-' . $this->slug() );
		add_filter(
			'parent_file',
			static function () {
				return KBJobs_Admin::SLUG;
			}
		);
		add_filter(
			'submenu_file',
			static function () {
				return KBJobs_Admin::SLUG . '-jobs';
			}
		);
		add_filter(
			'admin_title',
			function ( $admin_title ) {
				return $this->title() . ' ' . ltrim( (string) $admin_title );
			}
		);
	}

	/**
	 * The id asked for ('' when none or malformed).
	 *
	 * @return string
	 */
	private static function requested_id(): string {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- which job to show.
		$id = isset( $_GET['id'] ) && is_string( $_GET['id'] ) ? sanitize_key( wp_unslash( $_GET['id'] ) ) : '';
		return KBJobs_Data_Jobs::is_id( $id ) ? $id : '';
	}

	/**
	 * The page's script, with the words it shows.
	 */
	public function enqueue(): void {
		$base = plugins_url( 'assets/', KBJOBS_PLUGIN_FILE );
		wp_enqueue_style( 'kbjobs-history', $base . 'css/kbjobs-history.css', array( 'kbjobs-admin' ), KBJOBS_PLUGIN_VERSION );
		wp_enqueue_script( 'kbjobs-job', $base . 'js/kbjobs-job.js', array( 'kbjobs-admin', 'wp-api-fetch', 'wp-i18n' ), KBJOBS_PLUGIN_VERSION, true );
		wp_set_script_translations( 'kbjobs-job', 'kb-jobs' );
		$labels = array();
		foreach ( KBJobs_Data_Jobs::STATUSES as $state ) {
			$labels[ $state ] = KBJobs_Admin_Overview::status_label( $state );
		}
		wp_localize_script( 'kbjobs-job', 'kbjobsJob', array( 'statusLabels' => $labels ) );
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		$id = self::requested_id();
		if ( '' === $id ) {
			echo '<div class="notice notice-error inline"><p>' . esc_html__( 'No job id: open a job from the Jobs list.', 'kb-jobs' ) . '</p></div>';
			return;
		}
		try {
			$job = KBJobs_Data_Jobs::get( $id );
		} catch ( \Throwable $e ) {
			$expired = $e instanceof \KBJobs\NotFoundException ? KBJobs_Data_Imports::expired( $id ) : null;
			if ( null !== $expired ) {
				// Retention removed the job; its record on the site stays and says so.
				$noticed = (int) get_post_meta( $expired['post_id'], KBJobs_Import::META_EXPIRED, true );
				printf(
					'<div class="notice notice-info inline kbjobs-expired"><p>%s</p></div>',
					esc_html(
						sprintf(
							/* translators: 1: import title, 2: date, 3: URLs accepted */
							__( '%1$s finished and its job was removed by retention (noticed %2$s). The record is kept: %3$s URLs accepted.', 'kb-jobs' ),
							$expired['title'],
							wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $noticed ),
							number_format_i18n( (int) ( $expired['list']['accepted'] ?? 0 ) )
						)
					)
				);
				echo '<p><a href="' . esc_url( KBJobs_Admin::url( 'imports' ) ) . '">' . esc_html__( 'Back to Imports', 'kb-jobs' ) . '</a></p>';
				return;
			}
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			echo '<p><a href="' . esc_url( KBJobs_Admin::url( 'jobs' ) ) . '">' . esc_html__( 'Back to Jobs', 'kb-jobs' ) . '</a></p>';
			return;
		}
		$finished = in_array( $job['status'], self::FINISHED, true );
		printf(
			'<div class="kbjobs-live kbjobs-job-live" data-kbjobs-job="%1$s" data-kbjobs-status="%2$s" data-kbjobs-finished="%3$s">',
			esc_attr( $job['id'] ),
			esc_attr( $job['status'] ),
			$finished ? '1' : '0'
		);
		$this->render_actions( $job );
		$this->render_summary( $job );
		echo '</div>';
		if ( 'import' === $job['type'] ) {
			$this->render_import( $job );
		}
		$this->render_json( __( 'Params', 'kb-jobs' ), 'params', $job['params'] );
		$this->render_json( __( 'Result', 'kb-jobs' ), 'result', $job['result'] );
		$this->render_metrics( $job['metrics'] );
		$this->render_attempts( $job['id'] );
		$this->render_log( $job['id'] );
		$this->render_audit( $job );
	}

	/**
	 * Cancel, Run again, Resume: each shown in the statuses it applies to (the script
	 * shows and hides them as the status changes).
	 *
	 * @param array<string,mixed> $job The job.
	 */
	private function render_actions( array $job ): void {
		if ( ! $this->can_operate() ) {
			return;
		}
		$buttons = array(
			'job.cancel' => array( __( 'Cancel', 'kb-jobs' ), 'button', __( 'Cancel this job?', 'kb-jobs' ), array() ),
			'job.rerun'  => array( __( 'Run again', 'kb-jobs' ), 'button', '', array( 'goto' => 'job' ) ),
			'job.resume' => array( __( 'Resume', 'kb-jobs' ), 'button button-primary', '', array() ),
		);
		echo '<div class="kbjobs-job-actions">';
		foreach ( $buttons as $op => $button ) {
			$applies = in_array( $job['status'], self::ACTIONS[ $op ], true ) && ! ( 'job.cancel' === $op && ! empty( $job['cancel_requested'] ) );
			printf(
				'<div class="kbjobs-when kbjobs-action-%1$s" data-kbjobs-when="%2$s"%3$s>%4$s</div> ',
				esc_attr( str_replace( 'job.', '', $op ) ),
				esc_attr( implode( ' ', self::ACTIONS[ $op ] ) ),
				$applies ? '' : ' hidden',
				KBJobs_Admin_Forms::button( $op, $job['id'], $button[0], $button[1], $button[2], $button[3] ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built with esc_attr/esc_html.
			);
		}
		echo '</div>';
	}

	/**
	 * Status, why it waits, progress, times and the job's other fields.
	 *
	 * @param array<string,mixed> $job The job.
	 */
	private function render_summary( array $job ): void {
		$waiting = is_array( $job['waiting'] ) ? $job['waiting'] : null;
		echo '<div class="notice notice-info inline kbjobs-waiting" data-kbjobs-field="waiting"' . ( $waiting ? '' : ' hidden' ) . '><p>';
		echo '<strong>' . esc_html__( 'Why it waits:', 'kb-jobs' ) . '</strong> <span data-kbjobs-field="waiting.message">' . esc_html( $waiting ? self::waiting_text( $waiting ) : '' ) . '</span>';
		if ( $waiting && ! empty( $waiting['until'] ) ) {
			echo ' ' . wp_kses(
				/* translators: %s: a time */
				sprintf( __( '(until %s)', 'kb-jobs' ), self::time_html( $waiting['until'] ) ),
				array(
					'time' => array(
						'datetime' => true,
						'title'    => true,
					),
				)
			);
		}
		echo '</p></div>';
		echo '<div class="notice notice-error inline kbjobs-job-error" data-kbjobs-field="error"' . ( '' === (string) $job['error'] ? ' hidden' : '' ) . '><p><strong>' . esc_html__( 'Error:', 'kb-jobs' ) . '</strong> <span data-kbjobs-field="error.text">' . esc_html( (string) $job['error'] ) . '</span></p></div>';
		echo '<div class="notice notice-success inline kbjobs-job-changed" hidden><p><span data-kbjobs-field="changed"></span> <a href="' . esc_url( KBJobs_Admin::url( 'job', array( 'id' => $job['id'] ) ) ) . '">' . esc_html__( 'Reload for the result', 'kb-jobs' ) . '</a></p></div>';

		$done  = (int) $job['progress_done'];
		$total = (int) $job['progress_total'];
		$rows  = array(
			__( 'Status', 'kb-jobs' )    => '<span class="kbjobs-status kbjobs-status-' . esc_attr( $job['status'] ) . '" data-kbjobs-field="status">' . esc_html( KBJobs_Admin_Overview::status_label( $job['status'] ) ) . '</span>'
				. ( ! empty( $job['cancel_requested'] ) && 'running' === $job['status'] ? ' <em>' . esc_html__( '(cancel requested)', 'kb-jobs' ) . '</em>' : '' ),
			__( 'Progress', 'kb-jobs' )  => '<span data-kbjobs-field="progress">' . self::progress_html( $done, $total ) . '</span>'
				. ' <span class="kbjobs-phase" data-kbjobs-field="phase">' . esc_html( (string) $job['phase'] ) . '</span>',
			__( 'Rate', 'kb-jobs' )      => '<span data-kbjobs-field="rate">' . esc_html( self::rate_text( $job['rate'] ) ) . '</span>',
			__( 'Time left', 'kb-jobs' ) => '<span data-kbjobs-field="eta">' . esc_html( self::eta_text( $job ) ) . '</span>',
			__( 'Type', 'kb-jobs' )      => '<code>' . esc_html( $job['type'] ) . '</code>',
			__( 'Title', 'kb-jobs' )     => esc_html( (string) $job['title'] ),
			__( 'Queue', 'kb-jobs' )     => '<a href="' . esc_url( KBJobs_Admin_Jobs::list_url( array( 'queue' => $job['queue'] ) ) ) . '">' . esc_html( $job['queue'] ) . '</a>',
			__( 'Priority', 'kb-jobs' )  => esc_html( (string) $job['priority'] ),
			__( 'Attempts', 'kb-jobs' )  => '<span data-kbjobs-field="attempts">' . esc_html( number_format_i18n( (int) $job['attempts'] ) . ' / ' . number_format_i18n( (int) $job['max_attempts'] ) ) . '</span>',
		);
		foreach ( array(
			'unique_key'      => __( 'Unique key', 'kb-jobs' ),
			'concurrency_key' => __( 'Concurrency key', 'kb-jobs' ),
			'runner'          => __( 'Runner', 'kb-jobs' ),
		) as $key => $label ) {
			if ( '' !== (string) $job[ $key ] ) {
				$rows[ $label ] = '<code>' . esc_html( (string) $job[ $key ] ) . '</code>';
			}
		}
		if ( ! empty( $job['resources'] ) ) {
			// Each resource has a name and maybe an operation: shown as "name (op)".
			$names                                = array_map(
				static function ( $r ) {
					return is_array( $r ) ? (string) ( $r['name'] ?? '' ) . ( empty( $r['op'] ) ? '' : ' (' . $r['op'] . ')' ) : (string) $r;
				},
				(array) $job['resources']
			);
			$rows[ __( 'Resources', 'kb-jobs' ) ] = esc_html( implode( ', ', $names ) );
		}
		if ( '' !== (string) $job['rerun_of'] ) {
			$rows[ __( 'Run again from', 'kb-jobs' ) ] = '<a href="' . esc_url( KBJobs_Admin::url( 'job', array( 'id' => $job['rerun_of'] ) ) ) . '"><code>' . esc_html( $job['rerun_of'] ) . '</code></a>';
		}
		if ( ! empty( $job['params']['parent'] ) && KBJobs_Data_Jobs::is_id( $job['params']['parent'] ) ) {
			$rows[ __( 'Range of', 'kb-jobs' ) ] = '<a href="' . esc_url( KBJobs_Admin::url( 'job', array( 'id' => $job['params']['parent'] ) ) ) . '"><code>' . esc_html( $job['params']['parent'] ) . '</code></a>';
		}
		foreach ( array(
			'created_at'  => __( 'Created', 'kb-jobs' ),
			'run_at'      => __( 'Due', 'kb-jobs' ),
			'started_at'  => __( 'Started', 'kb-jobs' ),
			'progress_at' => __( 'Last progress', 'kb-jobs' ),
			'finished_at' => __( 'Finished', 'kb-jobs' ),
			'updated_at'  => __( 'Updated', 'kb-jobs' ),
		) as $key => $label ) {
			$rows[ $label ] = '<span data-kbjobs-field="' . esc_attr( $key ) . '">' . self::time_html( $job[ $key ] ) . '</span>';
		}
		echo '<table class="widefat striped kbjobs-job-summary"><tbody>';
		foreach ( $rows as $label => $html ) {
			echo '<tr><th scope="row">' . esc_html( $label ) . '</th><td>' . $html . '</td></tr>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- each value escaped above.
		}
		echo '</tbody></table>';
	}

	/**
	 * Why a queued job waits, in words.
	 *
	 * @param array<string,mixed> $waiting The engine's reason (KBJobs_Data_Jobs::get()).
	 * @return string
	 */
	public static function waiting_text( array $waiting ): string {
		$message = (string) ( $waiting['message'] ?? '' );
		return '' !== $message ? ucfirst( $message ) . '.' : (string) ( $waiting['code'] ?? '' );
	}

	/**
	 * The rate in words ("—" when not known).
	 *
	 * @param float|null $rate Items per second.
	 * @return string
	 */
	public static function rate_text( $rate ): string {
		if ( null === $rate || ! is_numeric( $rate ) ) {
			return '—';
		}
		/* translators: %s: items per second */
		return sprintf( __( '%s items/s', 'kb-jobs' ), number_format_i18n( (float) $rate, (float) $rate < 10 ? 2 : 1 ) );
	}

	/**
	 * The time left in words ("—" when finished or not known).
	 *
	 * @param array<string,mixed> $job The job.
	 * @return string
	 */
	public static function eta_text( array $job ): string {
		if ( 'running' !== $job['status'] || null === $job['eta_seconds'] ) {
			return '—';
		}
		return self::duration_text( (int) $job['eta_seconds'] );
	}

	/**
	 * A duration: "45 s", "3 min 20 s", "2 h 5 min" (the script writes the same).
	 *
	 * @param int $seconds Seconds.
	 * @return string
	 */
	public static function duration_text( int $seconds ): string {
		$seconds = max( 0, $seconds );
		if ( $seconds < 60 ) {
			/* translators: %d: seconds */
			return sprintf( __( '%d s', 'kb-jobs' ), $seconds );
		}
		if ( $seconds < 3600 ) {
			/* translators: 1: minutes, 2: seconds */
			return sprintf( __( '%1$d min %2$d s', 'kb-jobs' ), intdiv( $seconds, 60 ), $seconds % 60 );
		}
		/* translators: 1: hours, 2: minutes */
		return sprintf( __( '%1$d h %2$d min', 'kb-jobs' ), intdiv( $seconds, 3600 ), intdiv( $seconds % 3600, 60 ) );
	}

	/**
	 * A value as indented JSON, as text.
	 *
	 * @param string $title Heading.
	 * @param string $slug  Class suffix.
	 * @param mixed  $value The value.
	 */
	private function render_json( string $title, string $slug, $value ): void {
		echo '<h2>' . esc_html( $title ) . '</h2>';
		if ( null === $value || array() === $value ) {
			echo '<p class="kbjobs-none">' . esc_html__( 'None.', 'kb-jobs' ) . '</p>';
			return;
		}
		echo '<pre class="kbjobs-json kbjobs-' . esc_attr( $slug ) . '">' . esc_html( (string) wp_json_encode( $value, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) ) . '</pre>';
	}

	/**
	 * The metrics the handler reported.
	 *
	 * @param mixed $metrics Name => value.
	 */
	private function render_metrics( $metrics ): void {
		echo '<h2>' . esc_html__( 'Metrics', 'kb-jobs' ) . '</h2>';
		if ( ! is_array( $metrics ) || ! $metrics ) {
			echo '<p class="kbjobs-none">' . esc_html__( 'The handler reported none.', 'kb-jobs' ) . '</p>';
			return;
		}
		echo '<table class="widefat striped kbjobs-metrics"><tbody>';
		foreach ( $metrics as $name => $value ) {
			$text = is_scalar( $value ) ? ( is_int( $value ) || is_float( $value ) ? number_format_i18n( $value, is_float( $value ) ? 2 : 0 ) : (string) $value ) : (string) wp_json_encode( $value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
			echo '<tr><th scope="row">' . esc_html( (string) $name ) . '</th><td>' . esc_html( $text ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}

	/**
	 * The failed attempts with their errors.
	 *
	 * @param string $id The job.
	 */
	private function render_attempts( string $id ): void {
		echo '<h2>' . esc_html__( 'Attempts', 'kb-jobs' ) . '</h2>';
		try {
			$attempts = KBJobs_Data_Jobs::attempts( $id );
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		if ( ! $attempts ) {
			echo '<p class="kbjobs-none">' . esc_html__( 'No failed attempt.', 'kb-jobs' ) . '</p>';
			return;
		}
		echo '<table class="widefat striped kbjobs-attempts"><thead><tr>';
		foreach ( array( __( 'Attempt', 'kb-jobs' ), __( 'Outcome', 'kb-jobs' ), __( 'Runner', 'kb-jobs' ), __( 'Started', 'kb-jobs' ), __( 'Ended', 'kb-jobs' ), __( 'Error', 'kb-jobs' ) ) as $head ) {
			echo '<th scope="col">' . esc_html( $head ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $attempts as $a ) {
			printf(
				'<tr><td>%1$s</td><td>%2$s</td><td><code>%3$s</code></td><td>%4$s</td><td>%5$s</td><td class="kbjobs-error-text">%6$s</td></tr>',
				esc_html( (string) ( $a['attempt'] ?? '' ) ),
				esc_html( (string) ( $a['outcome'] ?? '' ) ),
				esc_html( (string) ( $a['runner'] ?? '' ) ),
				self::time_html( $a['started_at'] ?? null ), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- time_html escapes.
				self::time_html( $a['finished_at'] ?? null ), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- time_html escapes.
				esc_html( (string) ( $a['error'] ?? '' ) )
			);
		}
		echo '</tbody></table>';
	}

	/**
	 * A log line as text: "time level message {context}" (the script writes the same).
	 *
	 * @param array<string,mixed> $line The engine's line: ts, level, msg, ctx.
	 * @return string
	 */
	public static function log_line_text( array $line ): string {
		$text = (string) ( $line['ts'] ?? '' ) . ' ' . (string) ( $line['level'] ?? '' ) . ' ' . (string) ( $line['msg'] ?? '' );
		if ( ! empty( $line['ctx'] ) ) {
			$text .= ' ' . wp_json_encode( $line['ctx'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
		}
		return $text;
	}

	/**
	 * The log: its last lines, the byte cursor to follow it from, Copy and Download.
	 *
	 * @param string $id The job.
	 */
	private function render_log( string $id ): void {
		echo '<h2 id="kbjobs-log-heading">' . esc_html__( 'Log', 'kb-jobs' ) . '</h2>';
		try {
			$log = KBJobs_Data_Jobs::logs( $id, 0, self::LOG_TAIL );
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		echo '<p class="kbjobs-log-tools hide-if-no-js">';
		echo '<button type="button" class="button kbjobs-log-copy">' . esc_html__( 'Copy', 'kb-jobs' ) . '</button> ';
		echo '<button type="button" class="button kbjobs-log-download">' . esc_html__( 'Download', 'kb-jobs' ) . '</button> ';
		echo '<span class="kbjobs-log-status" role="status" aria-live="polite"></span>';
		echo '</p>';
		/* translators: %d: number of lines */
		echo '<p class="description">' . esc_html( sprintf( __( 'The last %d lines when the page was opened; new lines are added below as they are written.', 'kb-jobs' ), self::LOG_TAIL ) ) . '</p>';
		printf(
			'<div class="kbjobs-log" tabindex="0" role="log" aria-labelledby="kbjobs-log-heading" data-kbjobs-log-cursor="%1$d"><ol class="kbjobs-log-lines">',
			(int) $log['next_cursor']
		);
		foreach ( $log['lines'] as $line ) {
			printf(
				'<li class="%1$s">%2$s</li>',
				esc_attr( 'kbjobs-log-' . sanitize_html_class( (string) ( $line['level'] ?? '' ) ) ),
				esc_html( self::log_line_text( $line ) )
			);
		}
		echo '</ol>';
		echo '<p class="kbjobs-log-empty"' . ( $log['lines'] ? ' hidden' : '' ) . '>' . esc_html__( 'Nothing logged yet.', 'kb-jobs' ) . '</p>';
		echo '</div>';
	}

	/**
	 * The operator actions on this job: those naming it as their target, and for a bulk
	 * job the action that started it (its target is the filter; its detail names the job).
	 *
	 * @param array<string,mixed> $job The job.
	 */
	private function render_audit( array $job ): void {
		echo '<h2>' . esc_html__( 'Operator actions', 'kb-jobs' ) . '</h2>';
		try {
			$entries = KBJobs_Data_Audit::page(
				array(
					'target' => $job['id'],
					'limit'  => 50,
				)
			)['entries'];
			if ( KBJobs_Actions_Jobs::BULK_TYPE === $job['type'] && is_string( $job['params']['action'] ?? null ) ) {
				$started = KBJobs_Data_Audit::page(
					array(
						'action' => 'job.bulk.' . $job['params']['action'],
						'target' => 'filter',
						'after'  => KBJobs_Format::time( (int) strtotime( (string) $job['created_at'] ) - 60 ),
						'before' => KBJobs_Format::time( (int) strtotime( (string) $job['created_at'] ) + 60 ),
						'limit'  => 100,
					)
				)['entries'];
				foreach ( $started as $entry ) {
					if ( ( $entry['detail']['job_id'] ?? '' ) === $job['id'] ) {
						$entries[] = $entry;
						break;
					}
				}
			}
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		if ( ! $entries ) {
			echo '<p class="kbjobs-none">' . esc_html__( 'None recorded.', 'kb-jobs' ) . '</p>';
			return;
		}
		echo '<table class="widefat striped kbjobs-audit"><thead><tr>';
		foreach ( array( __( 'When', 'kb-jobs' ), __( 'Who', 'kb-jobs' ), __( 'From', 'kb-jobs' ), __( 'Action', 'kb-jobs' ), __( 'Outcome', 'kb-jobs' ), __( 'Details', 'kb-jobs' ) ) as $head ) {
			echo '<th scope="col">' . esc_html( $head ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $entries as $entry ) {
			$detail = ! empty( $entry['detail'] ) ? (string) wp_json_encode( $entry['detail'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) : '';
			printf(
				'<tr><td>%1$s</td><td>%2$s</td><td>%3$s</td><td><code>%4$s</code></td><td>%5$s</td><td><code class="kbjobs-audit-detail">%6$s</code></td></tr>',
				self::time_html( $entry['at'] ?? null ), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- time_html escapes.
				esc_html( (string) ( $entry['user_login'] ?? '' ) ),
				esc_html( (string) ( $entry['source'] ?? '' ) ),
				esc_html( (string) ( $entry['action'] ?? '' ) ),
				esc_html( (string) ( $entry['outcome'] ?? '' ) ),
				esc_html( $detail )
			);
		}
		echo '</tbody></table>';
	}

	/**
	 * An import's counts, failed URLs, Resubmit failed URLs, and the posts it created.
	 *
	 * @param array<string,mixed> $job The import.
	 */
	private function render_import( array $job ): void {
		$metrics = is_array( $job['metrics'] ) ? $job['metrics'] : array();
		echo '<h2>' . esc_html__( 'Import', 'kb-jobs' ) . '</h2><ul class="kbjobs-counts kbjobs-import-counts">';
		$counts = array(
			'created'   => __( 'created', 'kb-jobs' ),
			'updated'   => __( 'updated', 'kb-jobs' ),
			'unchanged' => __( 'unchanged', 'kb-jobs' ),
			'failed'    => __( 'failed', 'kb-jobs' ),
		);
		foreach ( $counts as $key => $label ) {
			printf(
				'<li class="kbjobs-count kbjobs-import-%1$s"><span class="kbjobs-count-n">%2$s</span> <span class="kbjobs-count-label">%3$s</span></li>',
				esc_attr( $key ),
				esc_html( number_format_i18n( (int) ( $metrics[ $key ] ?? 0 ) ) ),
				esc_html( $label )
			);
		}
		echo '</ul>';
		$this->render_failed_items( $job, (int) ( $metrics['failed'] ?? 0 ) );
		$this->render_created_posts( $job );
	}

	/**
	 * A page of the import's failed URLs, by list index (GET items_cursor).
	 *
	 * @param array<string,mixed> $job    The import.
	 * @param int                 $failed How many failed, from its counts.
	 */
	private function render_failed_items( array $job, int $failed ): void {
		echo '<h3 id="kbjobs-failed-items">' . esc_html__( 'Failed URLs', 'kb-jobs' ) . '</h3>';
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the cursor of a read-only list.
		$cursor = isset( $_GET['items_cursor'] ) ? absint( $_GET['items_cursor'] ) : 0;
		try {
			$page = KBJobs_Data_Imports::failed( $job['id'], $cursor, self::ITEMS_PER_PAGE );
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		$finished = in_array( $job['status'], array( 'completed', 'failed', 'cancelled' ), true );
		if ( $failed > 0 && $finished && empty( $job['params']['parent'] ) ) {
			echo '<p>' . KBJobs_Admin_Forms::button( 'import.resubmit', $job['id'], __( 'Resubmit failed URLs', 'kb-jobs' ), 'button', '', array( 'goto' => 'job' ) ) . '</p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built with esc_attr/esc_html.
		}
		if ( ! $page['items'] ) {
			echo '<p class="kbjobs-none">' . esc_html( 0 === $cursor ? __( 'No URL failed.', 'kb-jobs' ) : __( 'No more failed URLs.', 'kb-jobs' ) ) . '</p>';
		} else {
			echo '<table class="widefat striped kbjobs-failed-items"><thead><tr>';
			foreach ( array( __( 'Line', 'kb-jobs' ), __( 'URL', 'kb-jobs' ), __( 'Kind', 'kb-jobs' ), __( 'Reason', 'kb-jobs' ), __( 'HTTP', 'kb-jobs' ), __( 'Tries', 'kb-jobs' ), __( 'When', 'kb-jobs' ) ) as $head ) {
				echo '<th scope="col">' . esc_html( $head ) . '</th>';
			}
			echo '</tr></thead><tbody>';
			foreach ( $page['items'] as $item ) {
				$http = empty( $item['http_status'] ) ? '—' : (string) (int) $item['http_status'];
				printf(
					'<tr><td>%1$s</td><td class="kbjobs-url">%2$s</td><td>%3$s</td><td>%4$s</td><td>%5$s</td><td>%6$s</td><td>%7$s</td></tr>',
					esc_html( number_format_i18n( (int) $item['index'] + 1 ) ),
					esc_html( (string) $item['url'] ),
					esc_html( (string) $item['class'] ),
					esc_html( (string) $item['error'] ),
					esc_html( $http ),
					esc_html( number_format_i18n( (int) $item['tries'] ) ),
					self::time_html( $item['at'] ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- time_html escapes.
				);
			}
			echo '</tbody></table>';
		}
		$links = array();
		if ( $cursor > 0 ) {
			$links[] = '<a class="button" href="' . esc_url( KBJobs_Admin::url( 'job', array( 'id' => $job['id'] ) ) . '#kbjobs-failed-items' ) . '">' . esc_html__( '« First', 'kb-jobs' ) . '</a>';
		}
		if ( null !== $page['next_cursor'] ) {
			$links[] = '<a class="button kbjobs-items-next" href="' . esc_url(
				KBJobs_Admin::url(
					'job',
					array(
						'id'           => $job['id'],
						'items_cursor' => (int) $page['next_cursor'],
					)
				) . '#kbjobs-failed-items'
			) . '">' . esc_html__( 'Next »', 'kb-jobs' ) . '</a>';
		}
		if ( $links ) {
			echo '<p class="kbjobs-pages">' . implode( ' ', $links ) . '</p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built above with esc_url and esc_html.
		}
	}

	/**
	 * Links to the posts the import created, read from the artifact index
	 * (Engine::importPostIds(), which includes its ranges), a page at a time by post id
	 * (GET posts_after).
	 *
	 * @param array<string,mixed> $job The import.
	 */
	private function render_created_posts( array $job ): void {
		$import = ! empty( $job['params']['parent'] ) && KBJobs_Data_Jobs::is_id( $job['params']['parent'] ) ? $job['params']['parent'] : $job['id'];
		echo '<h3 id="kbjobs-created-posts">' . esc_html__( 'Posts it created', 'kb-jobs' ) . '</h3>';
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the cursor of a read-only list.
		$after = isset( $_GET['posts_after'] ) ? absint( $_GET['posts_after'] ) : 0;
		try {
			$page = KBJobs_Engine::get()->importPostIds( $import, 'created', $after, self::POSTS_PER_PAGE );
		} catch ( \Throwable $e ) {
			echo '<p class="kbjobs-none">' . esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) . '</p>';
			return;
		}
		$ids = array_map( 'intval', $page['post_ids'] );
		if ( ! $ids ) {
			echo '<p class="kbjobs-none">' . esc_html( 0 === $after ? __( 'None (yet).', 'kb-jobs' ) : __( 'No more posts.', 'kb-jobs' ) ) . '</p>';
			return;
		}
		echo '<ul class="kbjobs-created-posts">';
		foreach ( $ids as $post_id ) {
			$title = get_the_title( $post_id );
			$edit  = get_edit_post_link( $post_id, 'raw' );
			$view  = get_permalink( $post_id );
			echo '<li>';
			echo $edit ? '<a href="' . esc_url( $edit ) . '">' . esc_html( '' !== $title ? $title : '#' . $post_id ) . '</a>' : esc_html( '' !== $title ? $title : '#' . $post_id );
			if ( $view ) {
				echo ' <a class="kbjobs-view-post" href="' . esc_url( $view ) . '">' . esc_html__( 'View', 'kb-jobs' ) . '</a>';
			}
			echo '</li>';
		}
		echo '</ul>';
		$links = array();
		if ( $after > 0 ) {
			$links[] = '<a class="button" href="' . esc_url( KBJobs_Admin::url( 'job', array( 'id' => $job['id'] ) ) . '#kbjobs-created-posts' ) . '">' . esc_html__( '« First', 'kb-jobs' ) . '</a>';
		}
		if ( null !== $page['next_cursor'] ) {
			$links[] = '<a class="button" href="' . esc_url(
				KBJobs_Admin::url(
					'job',
					array(
						'id'          => $job['id'],
						'posts_after' => (int) $page['next_cursor'],
					)
				) . '#kbjobs-created-posts'
			) . '">' . esc_html__( 'Next »', 'kb-jobs' ) . '</a>';
		}
		if ( $links ) {
			echo '<p class="kbjobs-pages">' . implode( ' ', $links ) . '</p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built above with esc_url and esc_html.
		}
	}
}
