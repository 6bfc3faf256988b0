<?php
/**
 * Jobs: the history of every job, searchable. Filters (status, queue, type, created
 * after / before in the site's timezone, and a search for a job id or the start of a
 * type or unique key) are GET parameters, so a filtered list is a bookmarkable URL. The
 * list walks newest first by keyset cursor (Next / First), and the views show the
 * filter's counts by status (bounded index queries, never a count of the whole table).
 * Operators act on the checked rows (job.bulk, done in the request) or on everything the
 * filter matches: a preview with the count, then a confirmed background job
 * (job.bulk_filter), whose page shows its progress.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Jobs screen.
 */
final class KBJobs_Admin_Jobs extends KBJobs_Admin_Screen {

	const PER_PAGE_OPTION = 'kbjobs_jobs_per_page';

	/**
	 * The GET parameters of the filter, by the filter key each fills.
	 */
	const PARAMS = array(
		'status'         => 'status',
		'queue'          => 'queue',
		'type'           => 'type',
		's'              => 'search',
		'created_after'  => 'created_after',
		'created_before' => 'created_before',
	);

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'jobs';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Jobs', 'kb-jobs' );
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'Every job, newest first. Filter by status (the links above the table, with their counts), queue, type and creation time, or search for a job id or the start of a type or unique key; the address of a filtered list can be bookmarked. Next walks on to older jobs. Checked rows can be cancelled, resumed, run again or resubmitted at once; "Everything matching" first shows how many jobs a filter matches, then acts on all of them in a background job whose progress its page shows.', 'kb-jobs' );
	}

	/**
	 * The history screens' style.
	 */
	public function enqueue(): void {
		wp_enqueue_style( 'kbjobs-history', plugins_url( 'assets/css/kbjobs-history.css', KBJOBS_PLUGIN_FILE ), array( 'kbjobs-admin' ), KBJOBS_PLUGIN_VERSION );
	}

	/**
	 * Help tab, rows-per-page option, and tidy URLs: a filter form sent with empty fields
	 * is redirected to the same list without them.
	 */
	public function load(): void {
		parent::load();
		add_screen_option(
			'per_page',
			array(
				'label'   => __( 'Jobs per page', 'kb-jobs' ),
				'default' => 50,
				'option'  => self::PER_PAGE_OPTION,
			)
		);
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- a read-only list filtered by GET.
		$empty = array();
		foreach ( array_merge( array_keys( self::PARAMS ), array( 'cursor', 'bulk_preview' ) ) as $param ) {
			if ( isset( $_GET[ $param ] ) && '' === $_GET[ $param ] ) {
				$empty[] = $param;
			}
		}
		// phpcs:enable
		if ( $empty ) {
			wp_safe_redirect( remove_query_arg( $empty ) );
			exit;
		}
	}

	/**
	 * The filter of the request: what the form shows (`inputs`, as typed), what the
	 * engine gets (`filter`: times as ISO 8601 UTC), and `error` when a value is not
	 * valid (the list is then unfiltered by it).
	 *
	 * @return array{inputs:array<string,string>,filter:array<string,string>,error:string}
	 */
	public static function request_filter(): array {
		$inputs = array();
		$filter = array();
		$error  = '';
		foreach ( self::PARAMS as $param => $key ) {
			// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a read-only list filtered by GET.
			$value            = isset( $_GET[ $param ] ) && is_string( $_GET[ $param ] ) ? trim( sanitize_text_field( wp_unslash( $_GET[ $param ] ) ) ) : '';
			$inputs[ $param ] = $value;
			if ( '' === $value ) {
				continue;
			}
			if ( 'created_after' === $key || 'created_before' === $key ) {
				$utc = self::utc_time( $value );
				if ( null === $utc ) {
					/* translators: %s: what was typed */
					$error = sprintf( __( 'Not a date and time: %s', 'kb-jobs' ), $value );
					continue;
				}
				$value = $utc;
			}
			$filter[ $key ] = $value;
		}
		try {
			KBJobs_Data_Jobs::engine_filter( $filter );
		} catch ( \ValueError $e ) {
			$error = $e->getMessage();
			unset( $filter['status'] );
		}
		return array(
			'inputs' => $inputs,
			'filter' => $filter,
			'error'  => $error,
		);
	}

	/**
	 * A time typed in the site's timezone ("2026-12-05T17:40", "2026-12-05") or given
	 * with its own zone ("2026-12-05T17:40:00Z"), as ISO 8601 UTC; null when not a time.
	 *
	 * @param string $value The value.
	 * @return string|null
	 */
	public static function utc_time( string $value ): ?string {
		if ( 1 === preg_match( '/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$/D', $value ) ) {
			try {
				$date = new DateTimeImmutable( $value, wp_timezone() );
			} catch ( \Exception $e ) {
				return null;
			}
			return gmdate( 'Y-m-d\TH:i:s\Z', $date->getTimestamp() );
		}
		$unix = KBJobs_Format::parse_time( $value );
		return null === $unix ? null : KBJobs_Format::time( $unix );
	}

	/**
	 * The value a datetime-local field shows for what was typed (the site's time).
	 *
	 * @param string $value As typed, or from a bookmark.
	 * @return string
	 */
	private static function local_input( string $value ): string {
		if ( '' === $value || 1 === preg_match( '/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$/D', $value ) ) {
			return str_replace( ' ', 'T', $value );
		}
		$utc = self::utc_time( $value );
		return null === $utc ? '' : wp_date( 'Y-m-d\TH:i', (int) strtotime( $utc ) );
	}

	/**
	 * The list's URL with these filter inputs (empty ones left out).
	 *
	 * @param array<string,string> $inputs GET parameters.
	 * @return string
	 */
	public static function list_url( array $inputs ): string {
		return KBJobs_Admin::url( 'jobs', array_filter( $inputs, 'strlen' ) );
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		$request = self::request_filter();
		if ( '' !== $request['error'] ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( $request['error'] ) );
		}
		$this->render_filters( $request['inputs'] );
		if ( $this->can_operate() ) {
			$this->render_bulk_filter( $request['inputs'], $request['filter'] );
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the keyset cursor of a read-only list.
		$cursor = isset( $_GET['cursor'] ) && is_string( $_GET['cursor'] ) ? sanitize_text_field( wp_unslash( $_GET['cursor'] ) ) : '';
		$table  = new KBJobs_Admin_Jobs_Table(
			$request['inputs'],
			$request['filter'],
			$cursor,
			$this->get_items_per_page_option(),
			$this->can_operate()
		);
		try {
			$table->prepare_items();
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		$table->views();
		if ( $this->can_operate() ) {
			echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" id="kbjobs-jobs-form">';
			echo KBJobs_Admin_Forms::fields( 'job.bulk' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
			$table->display();
			echo '</form>';
			$table->row_forms();
		} else {
			$table->display();
		}
	}

	/**
	 * Rows per page, from the screen option.
	 *
	 * @return int
	 */
	private function get_items_per_page_option(): int {
		$value = (int) get_user_option( self::PER_PAGE_OPTION );
		return $value > 0 ? min( 1000, $value ) : 50;
	}

	/**
	 * The filter form (GET, so its result is a URL).
	 *
	 * @param array<string,string> $inputs What was typed.
	 */
	private function render_filters( array $inputs ): void {
		$types  = array();
		$queues = array();
		try {
			$types  = array_column( KBJobs_Engine::get()->types(), 'name' );
			$queues = array_column( KBJobs_Data_Queues::all(), 'name' );
		} catch ( \Throwable $e ) {
			unset( $e ); // The lists only suggest values.
		}
		echo '<form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '" class="kbjobs-filters" role="search">';
		echo '<input type="hidden" name="page" value="' . esc_attr( KBJobs_Admin::SLUG . '-jobs' ) . '">';
		if ( '' !== $inputs['status'] ) {
			echo '<input type="hidden" name="status" value="' . esc_attr( $inputs['status'] ) . '">';
		}
		$fields = array(
			's'              => array( __( 'Search', 'kb-jobs' ), 'search', __( 'Job id, or start of type or unique key', 'kb-jobs' ), '' ),
			'queue'          => array( __( 'Queue', 'kb-jobs' ), 'text', '', 'kbjobs-queues' ),
			'type'           => array( __( 'Type', 'kb-jobs' ), 'text', '', 'kbjobs-types' ),
			'created_after'  => array( __( 'Created after', 'kb-jobs' ), 'datetime-local', '', '' ),
			'created_before' => array( __( 'Created before', 'kb-jobs' ), 'datetime-local', '', '' ),
		);
		foreach ( $fields as $param => $field ) {
			$value = 'datetime-local' === $field[1] ? self::local_input( $inputs[ $param ] ) : $inputs[ $param ];
			printf(
				'<label class="kbjobs-filter"><span>%1$s</span> <input type="%2$s" name="%3$s" id="kbjobs-filter-%3$s" value="%4$s" placeholder="%5$s"%6$s></label> ',
				esc_html( $field[0] ),
				esc_attr( $field[1] ),
				esc_attr( $param ),
				esc_attr( $value ),
				esc_attr( $field[2] ),
				'' !== $field[3] ? ' list="' . esc_attr( $field[3] ) . '"' : '' // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped here.
			);
		}
		foreach ( array(
			'kbjobs-queues' => $queues,
			'kbjobs-types'  => $types,
		) as $id => $options ) {
			echo '<datalist id="' . esc_attr( $id ) . '">';
			foreach ( $options as $option ) {
				echo '<option value="' . esc_attr( (string) $option ) . '"></option>';
			}
			echo '</datalist>';
		}
		echo '<button type="submit" class="button">' . esc_html__( 'Filter', 'kb-jobs' ) . '</button> ';
		if ( array_filter( $inputs, 'strlen' ) ) {
			echo '<a class="button-link" href="' . esc_url( KBJobs_Admin::url( 'jobs' ) ) . '">' . esc_html__( 'Clear filters', 'kb-jobs' ) . '</a>';
		}
		echo '</form>';
	}

	/**
	 * Bulk action labels.
	 *
	 * @return array<string,string>
	 */
	public static function bulk_labels(): array {
		return array(
			'cancel'   => __( 'Cancel', 'kb-jobs' ),
			'resume'   => __( 'Resume', 'kb-jobs' ),
			'rerun'    => __( 'Run again', 'kb-jobs' ),
			'resubmit' => __( 'Resubmit (failed jobs)', 'kb-jobs' ),
		);
	}

	/**
	 * "Everything matching": a GET form asking for the preview, and the preview itself
	 * (how many jobs match now, and the button that starts the background job).
	 *
	 * @param array<string,string> $inputs What was typed.
	 * @param array<string,string> $filter The engine's filter.
	 */
	private function render_bulk_filter( array $inputs, array $filter ): void {
		$labels = self::bulk_labels();
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the preview is a read.
		$preview = isset( $_GET['bulk_preview'] ) ? sanitize_key( wp_unslash( $_GET['bulk_preview'] ) ) : '';
		if ( isset( $labels[ $preview ] ) ) {
			$this->render_preview( $preview, $inputs, $filter );
			return;
		}
		echo '<form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '" class="kbjobs-bulk-filter">';
		echo '<input type="hidden" name="page" value="' . esc_attr( KBJobs_Admin::SLUG . '-jobs' ) . '">';
		foreach ( array_filter( $inputs, 'strlen' ) as $param => $value ) {
			echo '<input type="hidden" name="' . esc_attr( $param ) . '" value="' . esc_attr( $value ) . '">';
		}
		echo '<label for="kbjobs-bulk-preview">' . esc_html__( 'Everything matching this filter:', 'kb-jobs' ) . '</label> ';
		echo '<select name="bulk_preview" id="kbjobs-bulk-preview">';
		foreach ( $labels as $action => $label ) {
			echo '<option value="' . esc_attr( $action ) . '">' . esc_html( $label ) . '</option>';
		}
		echo '</select> <button type="submit" class="button">' . esc_html__( 'Preview', 'kb-jobs' ) . '</button>';
		echo '</form>';
	}

	/**
	 * The preview of a bulk action by filter.
	 *
	 * @param string               $action One of KBJobs_Actions_Jobs::BULK_ACTIONS.
	 * @param array<string,string> $inputs What was typed.
	 * @param array<string,string> $filter The engine's filter.
	 */
	private function render_preview( string $action, array $inputs, array $filter ): void {
		$labels  = self::bulk_labels();
		$preview = KBJobs_Actions_Jobs::bulk_preview( $action, $filter );
		$back    = self::list_url( $inputs );
		echo '<div class="notice notice-warning inline kbjobs-bulk-preview" role="region" aria-label="' . esc_attr__( 'Bulk action preview', 'kb-jobs' ) . '">';
		if ( is_wp_error( $preview ) ) {
			echo '<p>' . esc_html( $preview->get_error_message() ) . '</p>';
			echo '<p><a href="' . esc_url( $back ) . '">' . esc_html__( 'Back to the list', 'kb-jobs' ) . '</a></p></div>';
			return;
		}
		$matched = (int) $preview['matched'];
		printf(
			'<p><strong>%1$s</strong> <span class="kbjobs-bulk-matched" data-matched="%2$d">%3$s</span></p>',
			/* translators: %s: a bulk action, e.g. "Cancel" */
			esc_html( sprintf( __( '%s everything matching this filter:', 'kb-jobs' ), $labels[ $action ] ) ),
			esc_attr( (string) $matched ),
			/* translators: %s: number of jobs */
			esc_html( sprintf( _n( '%s job matches now.', '%s jobs match now.', $matched, 'kb-jobs' ), number_format_i18n( $matched ) ) )
		);
		echo '<p>' . esc_html( self::filter_text( $filter ) ) . '</p>';
		if ( $matched > 0 ) {
			echo '<p>' . esc_html__( 'A background job does it in chunks, with progress you can follow and cancel; jobs that stop matching before it reaches them are left alone, and jobs of the wrong status are skipped.', 'kb-jobs' ) . '</p>';
			echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="kbjobs-inline-form">';
			echo KBJobs_Admin_Forms::fields( 'job.bulk_filter' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
			echo '<input type="hidden" name="bulk_action" value="' . esc_attr( $action ) . '">';
			echo '<input type="hidden" name="goto" value="job">';
			foreach ( $filter as $key => $value ) {
				echo '<input type="hidden" name="' . esc_attr( 'filter[' . $key . ']' ) . '" value="' . esc_attr( $value ) . '">';
			}
			/* translators: %s: number of jobs */
			echo '<button type="submit" class="button button-primary">' . esc_html( sprintf( _n( 'Start the background job for %s job', 'Start the background job for %s jobs', $matched, 'kb-jobs' ), number_format_i18n( $matched ) ) ) . '</button> ';
			echo '</form>';
		}
		echo '<a class="button" href="' . esc_url( $back ) . '">' . esc_html__( 'Back to the list', 'kb-jobs' ) . '</a>';
		echo '</div>';
	}

	/**
	 * A filter in words ("Every job." when empty).
	 *
	 * @param array<string,string> $filter The engine's filter.
	 * @return string
	 */
	public static function filter_text( array $filter ): string {
		if ( ! $filter ) {
			return __( 'No filter: every job.', 'kb-jobs' );
		}
		$names = array(
			'status'         => __( 'status', 'kb-jobs' ),
			'queue'          => __( 'queue', 'kb-jobs' ),
			'type'           => __( 'type', 'kb-jobs' ),
			'search'         => __( 'search', 'kb-jobs' ),
			'created_after'  => __( 'created after', 'kb-jobs' ),
			'created_before' => __( 'created before', 'kb-jobs' ),
		);
		$parts = array();
		foreach ( $filter as $key => $value ) {
			if ( 'created_after' === $key || 'created_before' === $key ) {
				$value = wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) strtotime( $value ) );
			}
			$parts[] = ( $names[ $key ] ?? $key ) . ': ' . $value;
		}
		/* translators: %s: the filter, e.g. "status: failed; queue: import" */
		return sprintf( __( 'Filter: %s.', 'kb-jobs' ), implode( '; ', $parts ) );
	}
}
