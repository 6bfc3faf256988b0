<?php
/**
 * Scheduled Queue: every WP-Cron event. With WP-Cron on kbjobs (KBJobs_Cron) each event
 * shows its arguments, next run, lateness, recurrence, last run and failure streak, with
 * Run now, Pause/Resume, Edit and Delete, and a page of its own with its last runs
 * (`&event=<id>`). With WP-Cron left to core the list reads core's `cron` option
 * (_get_cron_array()) and is read-only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Scheduled Queue screen.
 */
final class KBJobs_Admin_Cron extends KBJobs_Admin_Table_Screen {

	/**
	 * At most this many events are listed (core's cron array, WP-Cron left to core).
	 */
	const LIMIT = 1000;

	/**
	 * Events on a page of the list kept by kbjobs (read a page at a time from the engine).
	 */
	const PER_PAGE = 50;

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'cron';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Scheduled Queue (WP-Cron)', 'kb-jobs' );
	}

	/**
	 * Menu label.
	 *
	 * @return string
	 */
	public function menu_title(): string {
		return __( 'Scheduled Queue', 'kb-jobs' );
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		if ( KBJobs_Cron::active() ) {
			return __( 'Every WP-Cron event of this site, soonest first. WP-Cron runs on KB Jobs: each due event is claimed with a lease by a runner (`wp kb work`) or, when none is running, by the wp-cron.php request WordPress sends, and every run is recorded with its outcome, duration, memory, queries and output. Run now makes an event due at once (a repeating event keeps its schedule); a paused event stays scheduled but does not run; a late event is due and waiting for a runner.', 'kb-jobs' );
		}
		return __( 'Every WP-Cron event of this site, soonest first, read through WordPress\'s cron API: its hook, its arguments, when it runs next, how often it repeats, and whether it is one of KB Jobs\' own (hooks starting with kbjobs_). An event whose time has passed is late: WP-Cron runs it at the next page load (or the next system cron call when DISABLE_WP_CRON is set). This list is read-only.', 'kb-jobs' );
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	protected function columns(): array {
		if ( KBJobs_Cron::active() ) {
			$columns = array(
				'hook'       => __( 'Hook', 'kb-jobs' ),
				'args'       => __( 'Arguments', 'kb-jobs' ),
				'next'       => __( 'Next run', 'kb-jobs' ),
				'recurrence' => __( 'Recurrence', 'kb-jobs' ),
				'last'       => __( 'Last run', 'kb-jobs' ),
			);
			// A user who may only look gets no empty Actions column.
			if ( $this->can_operate() ) {
				$columns['actions'] = __( 'Actions', 'kb-jobs' );
			}
			return $columns;
		}
		return array(
			'hook'       => __( 'Hook', 'kb-jobs' ),
			'args'       => __( 'Arguments', 'kb-jobs' ),
			'next'       => __( 'Next run', 'kb-jobs' ),
			'recurrence' => __( 'Recurrence', 'kb-jobs' ),
		);
	}

	/**
	 * Cells.
	 *
	 * @param array<string,string> $row The row's texts.
	 * @return array<string,string>
	 */
	protected function cells( array $row ): array {
		if ( KBJobs_Cron::active() ) {
			return self::event_cells( $row );
		}
		return array(
			'hook'       => '<code>' . self::text( $row, 'hook' ) . '</code>'
				. ( '1' === $row['ours'] ? ' <span class="kbjobs-badge kbjobs-ours">' . esc_html__( 'KB Jobs', 'kb-jobs' ) . '</span>' : '' ),
			'args'       => '<code class="kbjobs-params">' . self::text( $row, 'args' ) . '</code>',
			'next'       => self::time( $row, 'next' )
				. ( '' !== $row['late'] ? '<br>' . self::text( $row, 'late', 'kbjobs-late' ) : '' ),
			'recurrence' => self::text( $row, 'recurrence' ),
		);
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		if ( KBJobs_Cron::active() ) {
			// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a link to a read-only page.
			$event = isset( $_GET['event'] ) ? absint( $_GET['event'] ) : 0;
			if ( $event > 0 ) {
				$this->render_event( $event );
			} else {
				$this->render_events();
			}
			return;
		}
		$events = self::events();
		$now    = time();
		$late   = 0;
		$ours   = 0;
		foreach ( $events as $event ) {
			$late += $event['timestamp'] < $now ? 1 : 0;
			$ours += self::is_ours( $event['hook'] ) ? 1 : 0;
		}
		/* translators: 1: number of events, 2: of them KB Jobs' own, 3: of them late */
		echo '<p class="kbjobs-summary">' . esc_html( sprintf( __( '%1$s events, %2$s of them KB Jobs\' own, %3$s late.', 'kb-jobs' ), number_format_i18n( count( $events ) ), number_format_i18n( $ours ), number_format_i18n( $late ) ) ) . '</p>';
		if ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) {
			echo '<div class="notice notice-info inline"><p>' . esc_html__( 'DISABLE_WP_CRON is set: page loads do not run these events; a system cron calling wp-cron.php (or `wp cron event run --due-now`) must.', 'kb-jobs' ) . '</p></div>';
		}
		if ( count( $events ) > self::LIMIT ) {
			/* translators: %s: number of events */
			echo '<div class="notice notice-warning inline"><p>' . esc_html( sprintf( __( 'Only the first %s events are listed.', 'kb-jobs' ), number_format_i18n( self::LIMIT ) ) ) . '</p></div>';
		}
		$rows = array();
		foreach ( array_slice( $events, 0, self::LIMIT ) as $event ) {
			$rows[] = self::row( $event, $now );
		}
		$this->table( '', $rows, __( 'No WP-Cron event is scheduled.', 'kb-jobs' ) );
	}

	/**
	 * The list of events kept by kbjobs: a filter by state and hook, the counts, and one
	 * page of events with links to the pages before and after it (a keyset cursor: no
	 * page numbers, so no count of everything is needed).
	 */
	private function render_events(): void {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- a read-only list's filter and page.
		$state  = isset( $_GET['state'] ) ? sanitize_key( wp_unslash( $_GET['state'] ) ) : '';
		$search = isset( $_GET['search'] ) ? mb_substr( sanitize_text_field( wp_unslash( $_GET['search'] ) ), 0, 191 ) : '';
		$cursor = isset( $_GET['cursor'] ) ? sanitize_text_field( wp_unslash( $_GET['cursor'] ) ) : '';
		// phpcs:enable WordPress.Security.NonceVerification.Recommended
		if ( ! in_array( $state, KBJobs_Data_Cron::STATES, true ) ) {
			$state = '';
		}
		$filter = array(
			'state'  => $state,
			'search' => $search,
			'cursor' => $cursor,
			'limit'  => self::PER_PAGE,
		);
		$page   = KBJobs_Action::read(
			static function () use ( $filter ) {
				return KBJobs_Data_Cron::events( $filter ) + array( 'counts' => KBJobs_Data_Cron::counts() );
			}
		);
		if ( is_wp_error( $page ) ) {
			echo '<div class="notice notice-error inline"><p>' . esc_html( $page->get_error_message() ) . '</p></div>';
			return;
		}
		$counts = $page['counts'];
		echo '<p class="kbjobs-summary">' . esc_html(
			sprintf(
				/* translators: 1: events, 2: due (late), 3: running, 4: paused, 5: failing; each a number, "≈" before an estimate */
				__( '%1$s events: %2$s due, %3$s running, %4$s paused, %5$s failing.', 'kb-jobs' ),
				self::count_text( $counts, 'events' ),
				self::count_text( $counts, 'due' ),
				self::count_text( $counts, 'running' ),
				self::count_text( $counts, 'paused' ),
				self::count_text( $counts, 'failing' )
			)
		) . '</p>';
		if ( in_array( true, $counts['estimated'], true ) ) {
			echo '<p class="description kbjobs-estimated">' . esc_html__( '≈: an estimate from the database\'s index statistics; counts are exact up to 50.', 'kb-jobs' ) . '</p>';
		}
		if ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) {
			echo '<div class="notice notice-info inline"><p>' . esc_html__( 'DISABLE_WP_CRON is set: page loads do not send the wp-cron.php request; a `wp kb work` runner, or a system cron calling wp-cron.php, must run these events.', 'kb-jobs' ) . '</p></div>';
		}
		$this->render_event_filter( $state, $search );
		$rows = array();
		foreach ( $page['events'] as $event ) {
			$rows[] = self::event_row( $event );
		}
		$this->table( '', $rows, '' !== $state || '' !== $search || '' !== $cursor ? __( 'No WP-Cron event matches.', 'kb-jobs' ) : __( 'No WP-Cron event is scheduled.', 'kb-jobs' ) );
		$this->render_event_pages( array_filter( compact( 'state', 'search' ) ), $cursor, $page['prev_cursor'], $page['next_cursor'] );
	}

	/**
	 * A count as shown: "≈" before an estimate.
	 *
	 * @param array<string,mixed> $counts KBJobs_Data_Cron::counts().
	 * @param string              $key    Which count.
	 * @return string
	 */
	private static function count_text( array $counts, string $key ): string {
		return ( empty( $counts['estimated'][ $key ] ) ? '' : '≈' ) . number_format_i18n( (int) $counts[ $key ] );
	}

	/**
	 * The list's filter: a state and the start of a hook (a GET form: the filter is in
	 * the URL, so a page can be linked to and reloaded).
	 *
	 * @param string $state  The state shown ('' for all).
	 * @param string $search The start of a hook ('' for any).
	 */
	private function render_event_filter( string $state, string $search ): void {
		$labels = array(
			''        => __( 'All', 'kb-jobs' ),
			'due'     => __( 'Due (late)', 'kb-jobs' ),
			'running' => __( 'Running', 'kb-jobs' ),
			'paused'  => __( 'Paused', 'kb-jobs' ),
			'failing' => __( 'Failing', 'kb-jobs' ),
		);
		echo '<form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '" class="kbjobs-filter kbjobs-cron-filter">';
		echo '<input type="hidden" name="page" value="' . esc_attr( KBJobs_Admin::SLUG . '-cron' ) . '">';
		echo '<label for="kbjobs-cron-state">' . esc_html__( 'State', 'kb-jobs' ) . '</label> <select id="kbjobs-cron-state" name="state">';
		foreach ( $labels as $value => $label ) {
			printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( $value ), selected( $state, $value, false ), esc_html( $label ) );
		}
		echo '</select> <label for="kbjobs-cron-search">' . esc_html__( 'Hook starts with', 'kb-jobs' ) . '</label> ';
		echo '<input type="search" id="kbjobs-cron-search" name="search" maxlength="191" value="' . esc_attr( $search ) . '"> ';
		// What submit_button() prints (it is not loaded outside wp-admin, where tests render).
		echo '<input type="submit" class="button" value="' . esc_attr__( 'Filter', 'kb-jobs' ) . '"></form>';
	}

	/**
	 * First, previous and next page links, each keeping the filter.
	 *
	 * @param array<string,string> $args   The filter's query args.
	 * @param string               $cursor This page's cursor ('' for the first).
	 * @param string|null          $prev   The previous page's cursor, or null on the first.
	 * @param string|null          $next   The next page's cursor, or null on the last.
	 */
	private function render_event_pages( array $args, string $cursor, ?string $prev, ?string $next ): void {
		if ( '' === $cursor && null === $next ) {
			return;
		}
		$args = array_map( 'rawurlencode', $args ); // add_query_arg() takes values encoded.
		echo '<div class="tablenav bottom"><div class="tablenav-pages kbjobs-pages">';
		if ( '' !== $cursor ) {
			printf( '<a class="button kbjobs-first-page" href="%1$s">%2$s</a> ', esc_url( self::screen_url( 'cron', $args ) ), esc_html__( '« First', 'kb-jobs' ) );
		}
		if ( null !== $prev ) {
			printf( '<a class="button kbjobs-prev-page" href="%1$s">%2$s</a> ', esc_url( self::screen_url( 'cron', $args + array( 'cursor' => $prev ) ) ), esc_html__( '‹ Previous', 'kb-jobs' ) );
		}
		if ( null !== $next ) {
			printf( '<a class="button kbjobs-next-page" href="%1$s">%2$s</a>', esc_url( self::screen_url( 'cron', $args + array( 'cursor' => $next ) ) ), esc_html__( 'Next ›', 'kb-jobs' ) );
		}
		echo '</div></div>';
	}

	/**
	 * An event's texts for the list.
	 *
	 * @param array<string,mixed> $event An event of KBJobs_Data_Cron.
	 * @return array<string,string>
	 */
	private static function event_row( array $event ): array {
		$classes = array();
		$state   = array();
		if ( $event['ours'] ) {
			$classes[] = 'kbjobs-cron-ours';
		}
		if ( $event['late_seconds'] > 0 ) {
			$classes[] = 'kbjobs-cron-late';
		}
		if ( $event['paused'] ) {
			$classes[] = 'kbjobs-cron-paused';
			$state[]   = __( 'Paused', 'kb-jobs' );
		}
		if ( $event['running'] ) {
			$state[] = __( 'Running', 'kb-jobs' );
		} elseif ( $event['retrying'] ) {
			/* translators: %d: attempt number */
			$state[] = sprintf( __( 'Retrying (attempt %d)', 'kb-jobs' ), $event['attempt'] + 1 );
		}
		$last = '';
		if ( null !== $event['last_outcome'] ) {
			$last = 'ok' === $event['last_outcome'] ? __( 'OK', 'kb-jobs' ) : ( 'lost' === $event['last_outcome'] ? __( 'Lost (runner stopped)', 'kb-jobs' ) : __( 'Failed', 'kb-jobs' ) );
		}
		$streak = '';
		if ( $event['fail_streak'] > 1 ) {
			/* translators: %d: failed runs in a row */
			$streak = sprintf( _n( '%d failure in a row', '%d failures in a row', $event['fail_streak'], 'kb-jobs' ), $event['fail_streak'] );
		}
		if ( '' !== $streak || 'failed' === $event['last_outcome'] ) {
			$classes[] = 'kbjobs-cron-failing';
		}
		$args = (string) wp_json_encode( $event['args'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR );
		if ( mb_strlen( $args ) > 500 ) {
			$args = mb_substr( $args, 0, 499 ) . '…';
		}
		return array(
			'id'           => (string) $event['id'],
			'row_class'    => implode( ' ', $classes ),
			'hook'         => $event['hook'],
			'ours'         => $event['ours'] ? '1' : '',
			'paused'       => $event['paused'] ? '1' : '',
			'running'      => $event['running'] ? '1' : '',
			'state'        => implode( ', ', $state ),
			'args'         => $args,
			/* translators: %s: a duration, e.g. "5 mins" */
			'late'         => $event['late_seconds'] > 0 ? sprintf( __( 'Late by %s', 'kb-jobs' ), human_time_diff( time() - $event['late_seconds'] ) ) : '',
			'recurrence'   => $event['recurrence'],
			'last_outcome' => $last,
			'streak'       => $streak,
		) + self::time_texts( 'next', $event['next_run'] ) + self::time_texts( 'last_run', $event['last_run_at'] );
	}

	/**
	 * An event's cells in the list.
	 *
	 * @param array<string,string> $row The row's texts.
	 * @return array<string,string>
	 */
	private static function event_cells( array $row ): array {
		$id      = (string) $row['id'];
		$url     = self::screen_url( 'cron', array( 'event' => $id ) );
		$actions = KBJobs_Admin_Forms::button( 'cron.run', $id, __( 'Run now', 'kb-jobs' ), 'button button-small' )
			. ( '1' === $row['paused']
				? KBJobs_Admin_Forms::button( 'cron.resume', $id, __( 'Resume', 'kb-jobs' ), 'button button-small' )
				: KBJobs_Admin_Forms::button( 'cron.pause', $id, __( 'Pause', 'kb-jobs' ), 'button button-small' ) )
			/* translators: %s: hook name */
			. KBJobs_Admin_Forms::button( 'cron.delete', $id, __( 'Delete', 'kb-jobs' ), 'button button-small button-link-delete', sprintf( __( 'Delete the WP-Cron event %s? Its runs stay in the history.', 'kb-jobs' ), $row['hook'] ) );
		return array(
			'hook'       => '<a href="' . esc_url( $url ) . '"><code data-kbjobs-cell="hook">' . esc_html( $row['hook'] ) . '</code></a>'
				. ( '1' === $row['ours'] ? ' <span class="kbjobs-badge kbjobs-ours">' . esc_html__( 'KB Jobs', 'kb-jobs' ) . '</span>' : '' )
				. ( '' !== $row['state'] ? '<br>' . self::text( $row, 'state', 'kbjobs-cron-state' ) : '' ),
			'args'       => '<code class="kbjobs-params">' . self::text( $row, 'args' ) . '</code>',
			'next'       => self::time( $row, 'next' ) . ( '' !== $row['late'] ? '<br>' . self::text( $row, 'late', 'kbjobs-late' ) : '' ),
			'recurrence' => self::text( $row, 'recurrence' ),
			'last'       => '' === $row['last_outcome'] ? esc_html__( 'Never', 'kb-jobs' )
				: self::time( $row, 'last_run' ) . '<br>' . self::text( $row, 'last_outcome', 'kbjobs-cron-outcome' )
				. ( '' !== $row['streak'] ? '<br>' . self::text( $row, 'streak', 'kbjobs-late' ) : '' ),
			'actions'    => '' === $actions ? '' : '<div class="kbjobs-row-actions">' . $actions . ' <a class="button button-small" href="' . esc_url( $url ) . '">' . esc_html__( 'Edit', 'kb-jobs' ) . '</a></div>',
		);
	}

	/**
	 * One event's page: what it is, its edit form, its last runs.
	 *
	 * @param int $id The event.
	 */
	private function render_event( int $id ): void {
		$event = KBJobs_Action::read(
			static function () use ( $id ) {
				return KBJobs_Data_Cron::event( $id, 20 );
			}
		);
		echo '<p><a href="' . esc_url( self::screen_url( 'cron' ) ) . '">' . esc_html__( '← All events', 'kb-jobs' ) . '</a></p>';
		if ( is_wp_error( $event ) ) {
			echo '<div class="notice notice-error inline"><p>' . esc_html( $event->get_error_message() ) . '</p></div>';
			return;
		}
		$row = self::event_row( $event );
		echo '<h2><code>' . esc_html( $event['hook'] ) . '</code></h2>';
		echo '<table class="form-table kbjobs-facts" role="presentation"><tbody>';
		$facts = array(
			__( 'Arguments', 'kb-jobs' )        => '<pre class="kbjobs-params">' . esc_html( (string) wp_json_encode( $event['args'], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR ) ) . '</pre>',
			__( 'Next run', 'kb-jobs' )         => self::time_html( $event['next_run'] ) . ( '' !== $row['late'] ? ' <span class="kbjobs-late">' . esc_html( $row['late'] ) . '</span>' : '' ),
			__( 'Recurrence', 'kb-jobs' )       => esc_html( $event['recurrence'] ),
			__( 'State', 'kb-jobs' )            => esc_html( '' !== $row['state'] ? $row['state'] : __( 'Scheduled', 'kb-jobs' ) ),
			__( 'Last run', 'kb-jobs' )         => null === $event['last_outcome'] ? esc_html__( 'Never', 'kb-jobs' ) : self::time_html( $event['last_run_at'] ) . ' — ' . esc_html( $row['last_outcome'] ) . ( '' !== $row['streak'] ? ' <span class="kbjobs-late">' . esc_html( $row['streak'] ) . '</span>' : '' ),
			__( 'Retries', 'kb-jobs' )          => esc_html(
				$event['max_attempts'] > 1
					/* translators: 1: attempts, 2: seconds */
					? sprintf( __( 'up to %1$d attempts, backoff from %2$d s', 'kb-jobs' ), $event['max_attempts'], $event['retry_seconds'] )
					: __( 'none (the next occurrence runs as scheduled)', 'kb-jobs' )
			),
			__( 'Overlapping runs', 'kb-jobs' ) => esc_html( $event['parallel'] ? __( 'allowed', 'kb-jobs' ) : __( 'one at a time for this hook and these arguments', 'kb-jobs' ) ),
		);
		foreach ( $facts as $label => $html ) {
			echo '<tr><th scope="row">' . esc_html( $label ) . '</th><td>' . $html . '</td></tr>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- each value escaped above.
		}
		echo '</tbody></table>';
		$cells = self::event_cells( $row );
		echo $cells['actions']; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts.
		if ( $this->can_operate() ) {
			$this->edit_form( $event );
		}
		echo '<h2>' . esc_html__( 'Last runs', 'kb-jobs' ) . '</h2>';
		$this->runs_table( $event['last_runs'] );
	}

	/**
	 * The form that changes an event's next run and schedule.
	 *
	 * @param array<string,mixed> $event The event.
	 */
	private function edit_form( array $event ): void {
		$next  = null === $event['next_run'] ? '' : wp_date( 'Y-m-d\TH:i:s', (int) strtotime( $event['next_run'] ) );
		$field = '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="kbjobs-cron-edit">'
			. KBJobs_Admin_Forms::fields( 'cron.edit' )
			. '<input type="hidden" name="event" value="' . esc_attr( (string) $event['id'] ) . '">'
			. '<h2>' . esc_html__( 'Edit', 'kb-jobs' ) . '</h2><p>'
			. '<label for="kbjobs-cron-next">' . esc_html(
				/* translators: %s: the site's timezone */
				sprintf( __( 'Next run (%s)', 'kb-jobs' ), wp_timezone_string() )
			) . '</label> '
			. '<input type="datetime-local" step="1" id="kbjobs-cron-next" name="next_run_local" value="' . esc_attr( $next ) . '"> '
			. '<label for="kbjobs-cron-schedule">' . esc_html__( 'Recurrence', 'kb-jobs' ) . '</label> '
			. '<select id="kbjobs-cron-schedule" name="schedule"><option value="">' . esc_html__( 'Once', 'kb-jobs' ) . '</option>';
		foreach ( wp_get_schedules() as $name => $schedule ) {
			$field .= '<option value="' . esc_attr( (string) $name ) . '"' . selected( $event['schedule'], $name, false ) . '>' . esc_html( (string) ( $schedule['display'] ?? $name ) ) . '</option>';
		}
		if ( null !== $event['schedule'] && ! isset( wp_get_schedules()[ $event['schedule'] ] ) ) {
			$field .= '<option value="' . esc_attr( '=' ) . '" selected>' . esc_html( $event['recurrence'] ) . '</option>';
		}
		$field .= '</select> <button type="submit" class="button">' . esc_html__( 'Save', 'kb-jobs' ) . '</button></p></form>';
		echo $field; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts.
	}

	/**
	 * An event's runs.
	 *
	 * @param array<int,array<string,mixed>> $runs Runs of KBJobs_Data_Cron.
	 */
	private function runs_table( array $runs ): void {
		echo '<table class="widefat striped kbjobs-table kbjobs-cron-runs"><thead><tr>';
		foreach ( array( __( 'Started', 'kb-jobs' ), __( 'For', 'kb-jobs' ), __( 'Trigger', 'kb-jobs' ), __( 'Duration', 'kb-jobs' ), __( 'Outcome', 'kb-jobs' ), __( 'Memory', 'kb-jobs' ), __( 'Queries', 'kb-jobs' ), __( 'HTTP', 'kb-jobs' ), __( 'Output', 'kb-jobs' ) ) as $heading ) {
			echo '<th scope="col">' . esc_html( $heading ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		if ( ! $runs ) {
			echo '<tr><td colspan="9">' . esc_html__( 'This event has not run yet.', 'kb-jobs' ) . '</td></tr>';
		}
		foreach ( $runs as $run ) {
			$outcome = esc_html( $run['outcome'] ) . ( $run['attempt'] > 1 ? ' ' . esc_html(
				/* translators: %d: attempt number */
				sprintf( __( '(attempt %d)', 'kb-jobs' ), $run['attempt'] )
			) : '' );
			if ( null !== $run['error'] && '' !== $run['error'] ) {
				$outcome .= '<br><span class="kbjobs-error">' . esc_html( $run['error'] ) . '</span>';
			}
			$output  = null === $run['output'] || '' === $run['output'] ? '—'
				: '<details><summary>' . esc_html( size_format( strlen( (string) $run['output'] ) ) ) . '</summary><pre class="kbjobs-output">' . esc_html( (string) $run['output'] ) . '</pre></details>';
			$where   = trim( $run['host'] . ( $run['pid'] > 0 ? ' #' . $run['pid'] : '' ) );
			$took    = null === $run['duration_ms'] ? '—' : number_format_i18n( $run['duration_ms'] ) . ' ms';
			$memory  = null === $run['memory_peak'] ? '—' : size_format( (int) $run['memory_peak'], 1 );
			$queries = null === $run['queries'] ? '—' : number_format_i18n( (int) $run['queries'] );
			$http    = null === $run['http_requests'] ? '—' : number_format_i18n( (int) $run['http_requests'] );
			printf(
				'<tr class="%1$s"><td>%2$s<br><small>%3$s</small></td><td>%4$s</td><td>%5$s</td><td>%6$s</td><td>%7$s</td><td>%8$s</td><td>%9$s</td><td>%10$s</td><td>%11$s</td></tr>',
				esc_attr( 'kbjobs-cron-run-' . $run['outcome'] ),
				self::time_html( $run['started_at'] ), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- time_html() escapes.
				esc_html( $where ),
				self::time_html( $run['due'] ), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- time_html() escapes.
				esc_html( $run['trigger'] ),
				esc_html( $took ),
				$outcome, // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
				esc_html( $memory ),
				esc_html( $queries ),
				esc_html( $http ),
				$output // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
			);
		}
		echo '</tbody></table>';
	}

	/**
	 * Every event, soonest first.
	 *
	 * @return array<int,array{timestamp:int,hook:string,args:array,schedule:string|false,interval:int}>
	 */
	public static function events(): array {
		$crons  = function_exists( '_get_cron_array' ) ? _get_cron_array() : array();
		$events = array();
		foreach ( is_array( $crons ) ? $crons : array() as $timestamp => $hooks ) {
			if ( ! is_array( $hooks ) ) {
				continue;
			}
			foreach ( $hooks as $hook => $by_key ) {
				foreach ( (array) $by_key as $event ) {
					$events[] = array(
						'timestamp' => (int) $timestamp,
						'hook'      => (string) $hook,
						'args'      => isset( $event['args'] ) ? (array) $event['args'] : array(),
						'schedule'  => empty( $event['schedule'] ) ? false : (string) $event['schedule'],
						'interval'  => (int) ( $event['interval'] ?? 0 ),
					);
				}
			}
		}
		usort(
			$events,
			static function ( $a, $b ) {
				return $a['timestamp'] === $b['timestamp'] ? strcmp( $a['hook'], $b['hook'] ) : $a['timestamp'] <=> $b['timestamp'];
			}
		);
		return $events;
	}

	/**
	 * Whether a hook is one of KB Jobs' own.
	 *
	 * @param string $hook A hook.
	 * @return bool
	 */
	public static function is_ours( string $hook ): bool {
		return 0 === strpos( $hook, 'kbjobs_' );
	}

	/**
	 * An event's row.
	 *
	 * @param array<string,mixed> $event An event of events().
	 * @param int                 $now   The time now.
	 * @return array<string,string>
	 */
	private static function row( array $event, int $now ): array {
		$args = (string) wp_json_encode( $event['args'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR );
		if ( mb_strlen( $args ) > 500 ) {
			$args = mb_substr( $args, 0, 499 ) . '…';
		}
		$late = '';
		if ( $event['timestamp'] < $now ) {
			/* translators: %s: a duration, e.g. "5 mins" */
			$late = sprintf( __( 'Late by %s', 'kb-jobs' ), human_time_diff( $event['timestamp'], $now ) );
		}
		$classes = array();
		if ( self::is_ours( $event['hook'] ) ) {
			$classes[] = 'kbjobs-cron-ours';
		}
		if ( '' !== $late ) {
			$classes[] = 'kbjobs-cron-late';
		}
		return array(
			'id'         => md5( $event['timestamp'] . $event['hook'] . $args ),
			'row_class'  => implode( ' ', $classes ),
			'hook'       => $event['hook'],
			'ours'       => self::is_ours( $event['hook'] ) ? '1' : '',
			'args'       => $args,
			'late'       => $late,
			'recurrence' => self::recurrence( $event ),
		) + self::time_texts( 'next', $event['timestamp'] );
	}

	/**
	 * How often an event repeats, in words.
	 *
	 * @param array<string,mixed> $event An event of events().
	 * @return string
	 */
	private static function recurrence( array $event ): string {
		return KBJobs_Data_Cron::recurrence( false === $event['schedule'] ? null : $event['schedule'], $event['interval'] );
	}
}
