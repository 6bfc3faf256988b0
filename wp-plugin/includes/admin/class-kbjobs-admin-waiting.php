<?php
/**
 * Queue: every job waiting to run (status queued), newest first, a page at a time by
 * keyset cursor (Previous and Next), each with the reason it is not running (the
 * engine's why(): its code and sentence), when it is scheduled for, and its attempts.
 * With Active Jobs (running), Interrupted and History (finished) every job is on exactly
 * one of four screens; the page says so with the counts. The rows are kept current from
 * GET /kbjobs/v1/waiting?view=queue every five seconds while the tab is visible.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Queue screen.
 */
final class KBJobs_Admin_Waiting extends KBJobs_Admin_Table_Screen {

	const PER_PAGE = 25;

	/**
	 * How many earlier pages' cursors the Previous link remembers.
	 */
	const MAX_BACK = 100;

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'queue';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Queue: waiting jobs', 'kb-jobs' );
	}

	/**
	 * Menu label.
	 *
	 * @return string
	 */
	public function menu_title(): string {
		return __( 'Queue', 'kb-jobs' );
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
		return __( 'Every job waiting to run, newest first, with the first reason that keeps it from running: its queue is paused, it is scheduled for later, it retries later after a failed attempt, another job holds its concurrency key or a resource, its queue runs as many jobs as its limit allows, its queue\'s rate limit is used up, or it is ready and waits for a runner. Running jobs are on Active Jobs, interrupted ones on Interrupted, finished ones in History. The rows refresh every five seconds while this tab is visible.', 'kb-jobs' );
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	protected function columns(): array {
		return array(
			'job'      => __( 'Job', 'kb-jobs' ),
			'what'     => __( 'Title or params', 'kb-jobs' ),
			'reason'   => __( 'Why it is not running', 'kb-jobs' ),
			'run_at'   => __( 'Scheduled for', 'kb-jobs' ),
			'attempts' => __( 'Attempts', 'kb-jobs' ),
		);
	}

	/**
	 * Keys of a row.
	 *
	 * @return string[]
	 */
	protected function row_keys(): array {
		return array( 'id', 'row_class', 'type', 'queue', 'what', 'reason_code', 'reason', 'reason_message', 'run_at', 'run_at_utc', 'due', 'attempts' );
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
			'what'     => '<code class="kbjobs-params">' . self::text( $row, 'what' ) . '</code>',
			'reason'   => '<strong>' . self::text( $row, 'reason', 'kbjobs-reason' ) . '</strong> <code data-kbjobs-cell="reason_code" class="kbjobs-reason-code">' . esc_html( (string) $row['reason_code'] ) . '</code><br>'
				. self::text( $row, 'reason_message', 'kbjobs-muted' ),
			'run_at'   => self::time( $row, 'run_at' ) . '<br>' . self::text( $row, 'due', 'kbjobs-muted' ),
			'attempts' => self::text( $row, 'attempts' ),
		);
	}

	/**
	 * The queue shown, the cursor and the earlier pages' cursors, from the URL.
	 *
	 * @return array{0:string,1:string,2:string[]}
	 */
	private static function position(): array {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- a read-only page position.
		$queue  = isset( $_GET['queue'] ) ? sanitize_text_field( wp_unslash( $_GET['queue'] ) ) : '';
		$cursor = isset( $_GET['cursor'] ) ? sanitize_text_field( wp_unslash( $_GET['cursor'] ) ) : '';
		$back   = isset( $_GET['back'] ) ? explode( ',', sanitize_text_field( wp_unslash( $_GET['back'] ) ) ) : array();
		// phpcs:enable
		$valid = static function ( $c ) {
			return 1 === preg_match( '/^[0-9A-Za-z:._-]{1,64}$/D', $c );
		};
		$back  = array_slice( array_values( array_filter( $back, $valid ) ), -self::MAX_BACK );
		return array( KBJobs_Data_Queues::is_name( $queue ) ? $queue : '', $valid( $cursor ) ? $cursor : '', $back );
	}

	/**
	 * A GET form choosing the queue shown.
	 *
	 * @param string $queue The queue shown ('' for every queue).
	 */
	private function queue_filter( string $queue ): void {
		try {
			$names = array_column( KBJobs_Data_Queues::all(), 'name' );
		} catch ( \Throwable $e ) {
			$names = array();
		}
		if ( '' !== $queue && ! in_array( $queue, $names, true ) ) {
			$names[] = $queue;
		}
		echo '<form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '" class="kbjobs-filter">';
		echo '<input type="hidden" name="page" value="' . esc_attr( KBJobs_Admin::SLUG . '-' . $this->slug() ) . '">';
		echo '<label for="kbjobs-queue-filter">' . esc_html__( 'Queue', 'kb-jobs' ) . '</label> <select id="kbjobs-queue-filter" name="queue">';
		echo '<option value="">' . esc_html__( 'Every queue', 'kb-jobs' ) . '</option>';
		foreach ( $names as $name ) {
			echo '<option value="' . esc_attr( $name ) . '"' . selected( $name, $queue, false ) . '>' . esc_html( $name ) . '</option>';
		}
		echo '</select> <button type="submit" class="button">' . esc_html__( 'Show', 'kb-jobs' ) . '</button></form>';
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		list( $queue, $cursor, $back ) = self::position();
		try {
			$page   = KBJobs_Data_Waiting::page( $cursor, self::PER_PAGE, $queue );
			$counts = KBJobs_Data_Jobs::counts_flagged();
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		echo self::where_jobs_are( $counts['counts'], $counts['estimated'] ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped there.
		$this->queue_filter( $queue );
		$t    = self::texts( $page );
		$path = add_query_arg(
			array_filter(
				array(
					'view'     => 'queue',
					'per_page' => self::PER_PAGE,
					'queue'    => $queue,
					'cursor'   => $cursor,
				)
			),
			'/kbjobs/v1/waiting'
		);
		echo '<div class="kbjobs-live" data-kbjobs-live="queue" data-kbjobs-poll="' . esc_attr( $path ) . '" data-kbjobs-poll-ms="5000">';
		$this->table( 'rows', $t['rows'], '' === $cursor ? __( 'No job is waiting.', 'kb-jobs' ) : __( 'No more waiting jobs.', 'kb-jobs' ) );
		echo '<p class="kbjobs-updated">' . esc_html__( 'Updated', 'kb-jobs' ) . ' <span data-kbjobs-key="at">' . esc_html( $t['at'] ) . '</span></p>';
		echo '</div>';
		$this->pagination( $queue, $cursor, $back, $page['next_cursor'] );
	}

	/**
	 * Previous and Next (keyset: the URL carries the earlier pages' cursors).
	 *
	 * @param string      $queue  The queue shown ('' for every queue).
	 * @param string      $cursor This page's cursor ('' for the first).
	 * @param string[]    $back   The earlier pages' cursors, the first page's left out.
	 * @param string|null $next   The next page's cursor.
	 */
	private function pagination( string $queue, string $cursor, array $back, ?string $next ): void {
		$links = array();
		if ( '' !== $cursor ) {
			$previous = $back ? array_pop( $back ) : '';
			$args     = array_filter(
				array(
					'queue'  => $queue,
					'cursor' => $previous,
					'back'   => implode( ',', $back ),
				)
			);
			$links[]  = '<a class="button kbjobs-previous" href="' . esc_url( KBJobs_Admin::url( $this->slug(), $args ) ) . '">' . esc_html__( '‹ Previous', 'kb-jobs' ) . '</a>';
			if ( '' !== $previous ) {
				$back[] = $previous;
			}
		}
		if ( null !== $next && '' !== $next ) {
			$forward = '' !== $cursor ? array_merge( $back, array( $cursor ) ) : array();
			$args    = array_filter(
				array(
					'queue'  => $queue,
					'cursor' => $next,
					'back'   => implode( ',', array_slice( $forward, -self::MAX_BACK ) ),
				)
			);
			$links[] = '<a class="button kbjobs-next" href="' . esc_url( KBJobs_Admin::url( $this->slug(), $args ) ) . '">' . esc_html__( 'Next ›', 'kb-jobs' ) . '</a>';
		}
		if ( $links ) {
			echo '<div class="tablenav bottom"><div class="tablenav-pages kbjobs-pages">' . implode( ' ', $links ) . '</div></div>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built escaped above.
		}
	}

	/**
	 * What the page shows: a row of texts per waiting job. The server renders from it,
	 * and GET /kbjobs/v1/waiting?view=queue serves it.
	 *
	 * @param array{jobs:array,next_cursor:?string} $page A page of KBJobs_Data_Waiting.
	 * @return array<string,mixed>
	 */
	public static function texts( array $page ): array {
		$now = time();
		return array(
			'at'   => (string) KBJobs_Format::time( $now ),
			'rows' => array_map(
				static function ( $job ) use ( $now ) {
					return self::row( $job, $now );
				},
				$page['jobs']
			),
		);
	}

	/**
	 * A waiting job's row.
	 *
	 * @param array<string,mixed> $job A job with its `waiting`.
	 * @param int                 $now The time now.
	 * @return array<string,string>
	 */
	private static function row( array $job, int $now ): array {
		$why  = (array) $job['waiting'];
		$code = (string) ( $why['code'] ?? '' );
		$run  = $job['run_at'] ? (int) strtotime( (string) $job['run_at'] ) : 0;
		$what = (string) ( $job['title'] ?? '' );
		if ( '' === $what ) {
			$what = (string) wp_json_encode( $job['params'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR );
			$what = mb_strlen( $what ) > 200 ? mb_substr( $what, 0, 199 ) . '…' : $what;
		}
		$message = (string) ( $why['message'] ?? '' );
		if ( ! empty( $why['until'] ) ) {
			/* translators: 1: the engine's sentence, 2: a time */
			$message = sprintf( __( '%1$s (until %2$s)', 'kb-jobs' ), $message, wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) strtotime( (string) $why['until'] ) ) );
		}
		if ( $run > $now ) {
			/* translators: %s: a duration, e.g. "5 mins" */
			$due = sprintf( __( 'in %s', 'kb-jobs' ), human_time_diff( $now, $run ) );
		} else {
			$due = __( 'due', 'kb-jobs' );
		}
		return array(
			'id'             => (string) $job['id'],
			'row_class'      => 'kbjobs-reason-' . sanitize_html_class( $code ),
			'type'           => (string) $job['type'],
			'queue'          => (string) $job['queue'],
			'what'           => $what,
			'reason_code'    => $code,
			'reason'         => self::reason_label( $code ),
			'reason_message' => $message,
			'due'            => $due,
			/* translators: 1: attempts made, 2: attempts allowed */
			'attempts'       => sprintf( __( '%1$s of %2$s', 'kb-jobs' ), number_format_i18n( (int) $job['attempts'] ), number_format_i18n( (int) $job['max_attempts'] ) ),
		) + self::time_texts( 'run_at', $job['run_at'] );
	}

	/**
	 * A reason's label.
	 *
	 * @param string $code The engine's code.
	 * @return string
	 */
	public static function reason_label( string $code ): string {
		$labels = array(
			'paused'          => __( 'Queue paused', 'kb-jobs' ),
			'scheduled'       => __( 'Scheduled for later', 'kb-jobs' ),
			'retrying'        => __( 'Retrying later', 'kb-jobs' ),
			'concurrency_key' => __( 'Its concurrency key is held', 'kb-jobs' ),
			'resource'        => __( 'Waiting for a resource', 'kb-jobs' ),
			'concurrency'     => __( 'Queue at its concurrency limit', 'kb-jobs' ),
			'rate_limited'    => __( 'Queue rate limited', 'kb-jobs' ),
			'ready'           => __( 'Ready: waiting for a runner', 'kb-jobs' ),
		);
		return $labels[ $code ] ?? $code;
	}
}
