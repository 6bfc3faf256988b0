<?php
/**
 * Queues: each queue's limits (concurrency, rate per period), whether it is paused, its
 * backlog (held jobs), depth, running and due jobs, its state (paused, rate limited until
 * when, held back and why, running) and the reason no job of it starts now; Pause or
 * Resume, and a form for its concurrency and rate limit. Below, the backlogs with their
 * jobs by status and a Release button for those with held jobs (backlog.release).
 * Every action is a plain form (KBJobs_Admin_Forms: queue.pause, queue.resume,
 * queue.set); its outcome comes back as a notice. The table is kept current from the
 * shared snapshot (GET /kbjobs/v1/snapshot?view=queues) while the tab is visible; the
 * limit forms keep the values the page was loaded with.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Queues screen.
 */
final class KBJobs_Admin_Queues extends KBJobs_Admin_Table_Screen {

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'queues';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Queues', 'kb-jobs' );
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
		return __( 'Every queue with settings or unfinished jobs. Concurrency is the most jobs of the queue running at once (0: no limit); the rate limit is the most starts per period (0: none). Pausing a queue lets its running jobs finish and starts no new one; the Queue screen then gives "paused" as the reason its jobs wait. Limits apply to every runner. Backlog counts the jobs held in backlogs not yet released (no runner takes them); Reason says why no job of the queue starts now: paused, held (only held jobs left), nothing due, at its concurrency limit, or rate limited until the next token (empty while it is being fed). Releasing a backlog queues its held jobs, and the queues then feed them to the runners at their pace. The table refreshes every two seconds while this tab is visible; the limit forms keep the values shown when the page was loaded.', 'kb-jobs' );
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	protected function columns(): array {
		$columns = array(
			'name'        => __( 'Queue', 'kb-jobs' ),
			'concurrency' => __( 'Concurrency', 'kb-jobs' ),
			'rate'        => __( 'Rate limit', 'kb-jobs' ),
			'paused'      => __( 'Paused', 'kb-jobs' ),
			'backlog'     => __( 'Backlog', 'kb-jobs' ),
			'queued'      => __( 'Waiting', 'kb-jobs' ),
			'running'     => __( 'Running / limit', 'kb-jobs' ),
			'due'         => __( 'Due now', 'kb-jobs' ),
			'state'       => __( 'State', 'kb-jobs' ),
			'reason'      => __( 'Reason', 'kb-jobs' ),
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
		return array( 'id', 'row_class', 'name', 'concurrency', 'rate', 'paused', 'is_paused', 'not_paused', 'backlog', 'backlog_name', 'queued', 'running', 'due', 'oldest', 'state', 'reason', 'concurrency_value', 'rate_value', 'period_value' );
	}

	/**
	 * Cells.
	 *
	 * @param array<string,string> $row The row's texts.
	 * @return array<string,string>
	 */
	protected function cells( array $row ): array {
		$name = (string) $row['id'];
		return array(
			'name'        => '<strong>' . self::text( $row, 'name' ) . '</strong>',
			'concurrency' => self::text( $row, 'concurrency' ),
			'rate'        => self::text( $row, 'rate' ),
			'paused'      => self::text( $row, 'paused' ),
			'backlog'     => self::text( $row, 'backlog' ) . '<br>' . self::text( $row, 'backlog_name', 'kbjobs-muted' ),
			'queued'      => self::text( $row, 'queued' ),
			'running'     => self::text( $row, 'running' ),
			'due'         => self::text( $row, 'due' ) . '<br>' . self::text( $row, 'oldest', 'kbjobs-muted' ),
			'state'       => self::text( $row, 'state', 'kbjobs-state' ),
			'reason'      => self::text( $row, 'reason', 'kbjobs-reason' ),
			'actions'     => self::shown_if( $row, 'not_paused', KBJobs_Admin_Forms::button( 'queue.pause', $name, __( 'Pause', 'kb-jobs' ), 'button button-small' ) )
				. self::shown_if( $row, 'is_paused', KBJobs_Admin_Forms::button( 'queue.resume', $name, __( 'Resume', 'kb-jobs' ), 'button button-small button-primary' ) )
				. ' <details class="kbjobs-limits"><summary>' . esc_html__( 'Edit limits', 'kb-jobs' ) . '</summary>'
				. $this->limits_form( $row, false ) . '</details>',
		);
	}

	/**
	 * The form setting a queue's concurrency and rate limit (queue.set).
	 *
	 * @param array<string,string> $row      The queue's texts (empty for "another queue").
	 * @param bool                 $any_name Whether the queue is typed in.
	 * @return string HTML.
	 */
	private function limits_form( array $row, bool $any_name ): string {
		if ( ! $this->can_operate() ) {
			return '';
		}
		$html = '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="kbjobs-limits-form">'
			. KBJobs_Admin_Forms::fields( 'queue.set' );
		if ( $any_name ) {
			$html .= '<label>' . esc_html__( 'Queue', 'kb-jobs' ) . ' <input type="text" name="name" required pattern="[a-z0-9_.\-]{1,64}" maxlength="64" class="regular-text code"></label> ';
		} else {
			$html .= '<input type="hidden" name="name" value="' . esc_attr( (string) $row['id'] ) . '">';
		}
		$fields = array(
			'concurrency' => array( __( 'Concurrency', 'kb-jobs' ), 'concurrency_value', __( '0: no limit', 'kb-jobs' ) ),
			'rate'        => array( __( 'Starts', 'kb-jobs' ), 'rate_value', __( '0: no rate limit', 'kb-jobs' ) ),
			'period_ms'   => array( __( 'per milliseconds', 'kb-jobs' ), 'period_value', __( 'e.g. 1000 for a second, 60000 for a minute', 'kb-jobs' ) ),
		);
		foreach ( $fields as $field => $spec ) {
			$html .= sprintf(
				'<label title="%5$s">%1$s <input type="number" min="0" step="1" name="%2$s" value="%3$s" data-kbjobs-init="%4$s" class="small-text"></label> ',
				esc_html( $spec[0] ),
				esc_attr( $field ),
				esc_attr( (string) ( $row[ $spec[1] ] ?? '' ) ),
				esc_attr( $spec[1] ),
				esc_attr( $spec[2] )
			);
		}
		return $html . '<button type="submit" class="button button-small">' . esc_html__( 'Save limits', 'kb-jobs' ) . '</button></form>';
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
		echo '<div class="kbjobs-live" data-kbjobs-live="queues" data-kbjobs-poll="' . esc_attr( '/kbjobs/v1/snapshot?view=queues' ) . '">';
		echo '<p class="kbjobs-summary" data-kbjobs-key="summary" aria-live="polite">' . esc_html( $t['summary'] ) . '</p>';
		$this->table( 'queues', $t['queues'], __( 'No queue has jobs or settings yet.', 'kb-jobs' ) );
		echo '<p class="kbjobs-updated">' . esc_html__( 'Updated', 'kb-jobs' ) . ' <span data-kbjobs-key="at">' . esc_html( $t['at'] ) . '</span></p>';
		echo '</div>';
		$this->backlogs();
		if ( $this->can_operate() ) {
			echo '<h2>' . esc_html__( 'Limits of another queue', 'kb-jobs' ) . '</h2>';
			echo '<p>' . esc_html__( 'A queue without jobs or settings is not listed; set its limits here before its jobs arrive.', 'kb-jobs' ) . '</p>';
			echo $this->limits_form( array(), true ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- limits_form() escapes.
		}
	}

	/**
	 * What the page shows: the summary line and a row of texts per queue. The server
	 * renders from it, and GET /kbjobs/v1/snapshot?view=queues serves it.
	 *
	 * @param array<string,mixed> $snapshot The snapshot.
	 * @return array<string,mixed>
	 */
	public static function texts( array $snapshot ): array {
		$rows   = array();
		$paused = 0;
		foreach ( $snapshot['status']['queues'] as $q ) {
			$rows[]  = self::row( $q );
			$paused += empty( $q['paused'] ) ? 0 : 1;
		}
		return array(
			'at'      => (string) $snapshot['at'],
			/* translators: 1: number of queues, 2: number of paused queues */
			'summary' => sprintf( _n( '%1$s queue, %2$s paused.', '%1$s queues, %2$s paused.', count( $rows ), 'kb-jobs' ), number_format_i18n( count( $rows ) ), number_format_i18n( $paused ) ),
			'queues'  => $rows,
		);
	}

	/**
	 * A queue's row.
	 *
	 * @param array<string,mixed> $q The queue (KBJobs_Data_Queues::all()).
	 * @return array<string,string>
	 */
	private static function row( array $q ): array {
		$paused  = ! empty( $q['paused'] );
		$rate    = (int) ( $q['rate'] ?? 0 );
		$period  = (int) ( $q['period_ms'] ?? 0 );
		$classes = array();
		if ( $paused ) {
			$classes[] = 'kbjobs-queue-paused';
		} elseif ( ! empty( $q['rate_limited_until'] ) || ! empty( $q['blocked'] ) ) {
			$classes[] = 'kbjobs-queue-held';
		}
		return array(
			'id'                => (string) $q['name'],
			'row_class'         => implode( ' ', $classes ),
			'name'              => (string) $q['name'],
			'concurrency'       => empty( $q['concurrency'] ) ? __( 'no limit', 'kb-jobs' ) : number_format_i18n( (int) $q['concurrency'] ),
			'rate'              => $rate > 0 && $period > 0
				/* translators: 1: number of starts, 2: a period, e.g. "1 s" */
				? sprintf( __( '%1$s per %2$s', 'kb-jobs' ), number_format_i18n( $rate ), self::period_text( $period ) )
				: __( 'none', 'kb-jobs' ),
			'paused'            => $paused ? __( 'Yes', 'kb-jobs' ) : __( 'No', 'kb-jobs' ),
			'is_paused'         => $paused ? '1' : '',
			'not_paused'        => $paused ? '' : '1',
			'backlog'           => KBJobs_Format::count_text( (int) ( $q['backlog'] ?? 0 ), KBJobs_Format::queue_how( $q, 'backlog' ) ),
			/* translators: %s: a backlog's name */
			'backlog_name'      => empty( $q['backlog_name'] ) ? '' : sprintf( __( 'held in %s', 'kb-jobs' ), $q['backlog_name'] ),
			'queued'            => KBJobs_Format::count_text( (int) ( $q['queued'] ?? 0 ), KBJobs_Format::queue_how( $q, 'queued' ) ),
			'running'           => KBJobs_Admin_Overview::running_text( $q ),
			'due'               => KBJobs_Format::count_text( (int) ( $q['due'] ?? 0 ), KBJobs_Format::queue_how( $q, 'due' ) ),
			/* translators: %s: a duration, e.g. "3 mins" */
			'oldest'            => (float) ( $q['oldest_due_age'] ?? 0 ) > 0 ? sprintf( __( 'oldest due for %s', 'kb-jobs' ), KBJobs_Admin_Overview::age_text( (float) $q['oldest_due_age'] ) ) : '',
			'state'             => KBJobs_Admin_Overview::queue_state( $q ),
			'reason'            => self::reason_text( $q ),
			'concurrency_value' => (string) (int) ( $q['concurrency'] ?? 0 ),
			'rate_value'        => (string) $rate,
			'period_value'      => (string) $period,
		);
	}

	/**
	 * Why no job of the queue starts now, in words, times in the site's timezone: the
	 * engine's reason (reason_code) translated; "" while it is being fed.
	 *
	 * @param array<string,mixed> $q The queue (KBJobs_Data_Queues::all()).
	 * @return string
	 */
	public static function reason_text( array $q ): string {
		switch ( $q['reason_code'] ?? '' ) {
			case 'paused':
				return __( 'paused', 'kb-jobs' );
			case 'held':
				/* translators: 1: number of held jobs, 2: a backlog's name */
				return sprintf( __( 'held: %1$s in backlog %2$s', 'kb-jobs' ), KBJobs_Format::count_text( (int) $q['backlog'], KBJobs_Format::queue_how( $q, 'backlog' ) ), (string) $q['backlog_name'] );
			case 'idle':
				return __( 'nothing due', 'kb-jobs' );
			case 'concurrency':
				/* translators: 1: running jobs, 2: the queue's concurrency limit */
				return sprintf( __( 'at concurrency %1$s/%2$s', 'kb-jobs' ), number_format_i18n( (int) $q['running'] ), number_format_i18n( (int) $q['concurrency'] ) );
			case 'rate':
				$until = isset( $q['reason_until'] ) ? strtotime( (string) $q['reason_until'] ) : false;
				/* translators: %s: a time of day, e.g. "12:00:03" */
				return false === $until ? __( 'rate limited', 'kb-jobs' ) : sprintf( __( 'rate limited until %s', 'kb-jobs' ), wp_date( 'H:i:s', $until ) );
		}
		return '';
	}

	/**
	 * The backlogs with their jobs by status, and Release for those with held jobs.
	 */
	private function backlogs(): void {
		try {
			$backlogs = KBJobs_Data_Backlogs::all();
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		echo '<h2>' . esc_html__( 'Backlogs', 'kb-jobs' ) . '</h2>';
		if ( ! $backlogs ) {
			echo '<p>' . esc_html__( 'No backlog has jobs. Jobs join one when submitted with a backlog (for example by `wp kb dispatch --hold`).', 'kb-jobs' ) . '</p>';
			return;
		}
		$statuses = array( 'held', 'queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted' );
		echo '<table class="widefat striped kbjobs-table kbjobs-table-backlogs"><thead><tr><th scope="col">' . esc_html__( 'Backlog', 'kb-jobs' ) . '</th>';
		foreach ( $statuses as $status ) {
			echo '<th scope="col">' . esc_html( ucfirst( KBJobs_Admin_Overview::status_label( $status ) ) ) . '</th>';
		}
		if ( $this->can_operate() ) {
			echo '<th scope="col">' . esc_html__( 'Actions', 'kb-jobs' ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $backlogs as $b ) {
			echo '<tr data-kbjobs-backlog="' . esc_attr( $b['name'] ) . '"><td><strong>' . esc_html( $b['name'] ) . '</strong></td>';
			foreach ( $statuses as $status ) {
				$how = in_array( $status, (array) $b['estimated'], true ) ? 'estimate' : null;
				echo '<td>' . esc_html( KBJobs_Format::count_text( (int) $b[ $status ], $how ) ) . '</td>';
			}
			if ( $this->can_operate() ) {
				echo '<td>';
				if ( (int) $b['held'] > 0 ) {
					/* translators: %s: a backlog's name */
					$confirm = sprintf( __( 'Release every held job of backlog %s to its queue?', 'kb-jobs' ), $b['name'] );
					echo KBJobs_Admin_Forms::button( 'backlog.release', $b['name'], __( 'Release', 'kb-jobs' ), 'button button-small button-primary', $confirm ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- button() escapes.
				}
				echo '</td>';
			}
			echo '</tr>';
		}
		echo '</tbody></table>';
	}

	/**
	 * A rate limit's period in words: "1 s", "500 ms", "1 min".
	 *
	 * @param int $ms Milliseconds.
	 * @return string
	 */
	public static function period_text( int $ms ): string {
		if ( 0 === $ms % 60000 ) {
			/* translators: %s: number of minutes */
			return sprintf( __( '%s min', 'kb-jobs' ), number_format_i18n( $ms / 60000 ) );
		}
		if ( 0 === $ms % 1000 ) {
			/* translators: %s: number of seconds */
			return sprintf( __( '%s s', 'kb-jobs' ), number_format_i18n( $ms / 1000 ) );
		}
		/* translators: %s: number of milliseconds */
		return sprintf( __( '%s ms', 'kb-jobs' ), number_format_i18n( $ms ) );
	}
}
