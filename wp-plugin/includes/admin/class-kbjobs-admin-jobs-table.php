<?php
/**
 * The Jobs screen's list: one page of jobs by keyset cursor, views by status with the
 * filter's counts, row actions (View, Cancel, Run again) and bulk actions on the checked
 * rows. The row actions are buttons of forms kept outside the table (row_forms(), tied
 * to them by the `form` attribute), so the table itself can be the bulk form: all of it
 * works without JavaScript.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

if ( ! class_exists( 'WP_List_Table', false ) ) {
	require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
}

/**
 * Jobs as a WP_List_Table.
 */
final class KBJobs_Admin_Jobs_Table extends WP_List_Table {

	/**
	 * The statuses a job can be cancelled in, and run again in.
	 */
	const CANCELLABLE = array( 'queued', 'running', 'interrupted', 'held' );
	const FINISHED    = array( 'completed', 'failed', 'cancelled', 'interrupted' );

	/**
	 * The filter's GET parameters as typed.
	 *
	 * @var array<string,string>
	 */
	private $inputs;

	/**
	 * The engine's filter.
	 *
	 * @var array<string,string>
	 */
	private $filter;

	/**
	 * This page's cursor ('' for the first page).
	 *
	 * @var string
	 */
	private $cursor;

	/**
	 * Rows per page.
	 *
	 * @var int
	 */
	private $per_page;

	/**
	 * Whether the user may act.
	 *
	 * @var bool
	 */
	private $can_operate;

	/**
	 * The next page's cursor, null after the last.
	 *
	 * @var string|null
	 */
	private $next_cursor = null;

	/**
	 * The filter's counts by status.
	 *
	 * @var array<string,int>
	 */
	private $counts = array();

	/**
	 * How each count that is not exact is known ('estimate' or 'more'), by status.
	 *
	 * @var array<string,string>
	 */
	private $estimated = array();

	/**
	 * Sets up the list.
	 *
	 * @param array<string,string> $inputs      The filter's GET parameters.
	 * @param array<string,string> $filter      The engine's filter.
	 * @param string               $cursor      This page's cursor.
	 * @param int                  $per_page    Rows per page.
	 * @param bool                 $can_operate Whether to offer actions.
	 */
	public function __construct( array $inputs, array $filter, string $cursor, int $per_page, bool $can_operate ) {
		parent::__construct(
			array(
				'singular' => 'job',
				'plural'   => 'jobs',
				'ajax'     => false,
			)
		);
		$this->inputs      = $inputs;
		$this->filter      = $filter;
		$this->cursor      = $cursor;
		$this->per_page    = $per_page;
		$this->can_operate = $can_operate;
	}

	/**
	 * Reads the page and the counts.
	 */
	public function prepare_items() {
		$page                  = KBJobs_Data_Jobs::page(
			$this->filter + array(
				'limit'  => $this->per_page,
				'cursor' => $this->cursor,
			)
		);
		$this->items           = $page['jobs'];
		$this->next_cursor     = $page['next_cursor'];
		$counts                = KBJobs_Data_Jobs::counts_flagged( $this->filter );
		$this->counts          = $counts['counts'];
		$this->estimated       = $counts['estimated'];
		$this->_column_headers = array( $this->get_columns(), array(), array(), 'id' );
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	public function get_columns() {
		$columns = array(
			'id'          => __( 'Job', 'kb-jobs' ),
			'type'        => __( 'Type', 'kb-jobs' ),
			'queue'       => __( 'Queue', 'kb-jobs' ),
			'status'      => __( 'Status', 'kb-jobs' ),
			'progress'    => __( 'Progress', 'kb-jobs' ),
			'attempts'    => __( 'Attempts', 'kb-jobs' ),
			'created_at'  => __( 'Created', 'kb-jobs' ),
			'finished_at' => __( 'Finished', 'kb-jobs' ),
		);
		return $this->can_operate ? array( 'cb' => '<input type="checkbox">' ) + $columns : $columns;
	}

	/**
	 * The status views, each with the filter's count and the other filters kept.
	 *
	 * @return array<string,string>
	 */
	protected function get_views() {
		$inputs  = $this->inputs;
		$current = $inputs['status'];
		$views   = array();
		$all     = array_sum( $this->counts );
		$links   = array( '' => array( __( 'All', 'kb-jobs' ), $all, KBJobs_Format::sum_how( $this->estimated, array_keys( $this->counts ) ) ) );
		foreach ( $this->counts as $state => $n ) {
			$links[ $state ] = array( ucfirst( KBJobs_Admin_Overview::status_label( $state ) ), $n, $this->estimated[ $state ] ?? null );
		}
		foreach ( $links as $state => $link ) {
			$inputs['status'] = $state;
			// phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- count_html() escapes.
			$views[ '' === $state ? 'all' : $state ] = sprintf(
				'<a href="%1$s"%2$s>%3$s <span class="count">(%4$s)</span></a>',
				esc_url( KBJobs_Admin_Jobs::list_url( $inputs ) ),
				$current === $state ? ' class="current" aria-current="page"' : '',
				esc_html( $link[0] ),
				KBJobs_Format::count_html( $link[1], $link[2] )
			);
		}
		return $views;
	}

	/**
	 * What the list says when no job matches.
	 */
	public function no_items() {
		esc_html_e( 'No job matches.', 'kb-jobs' );
	}

	/**
	 * The tablenav without WP_List_Table's own nonce field (the form carries its op's).
	 *
	 * @param string $which top or bottom.
	 */
	protected function display_tablenav( $which ) {
		echo '<div class="tablenav ' . esc_attr( $which ) . '">';
		if ( $this->has_items() && 'top' === $which && $this->can_operate ) {
			echo '<div class="alignleft actions bulkactions">';
			$this->bulk_actions( $which );
			echo '</div>';
		}
		$this->pagination( $which );
		echo '<br class="clear"></div>';
	}

	/**
	 * The bulk actions menu, named bulk_action (admin-post.php needs `action` for itself).
	 *
	 * @param string $which top or bottom.
	 */
	protected function bulk_actions( $which = '' ) {
		if ( ! $this->can_operate ) {
			return;
		}
		echo '<label for="bulk-action-selector-' . esc_attr( $which ) . '" class="screen-reader-text">' . esc_html__( 'Bulk action', 'kb-jobs' ) . '</label>';
		echo '<select name="bulk_action" id="bulk-action-selector-' . esc_attr( $which ) . '">';
		echo '<option value="">' . esc_html__( 'Bulk actions', 'kb-jobs' ) . '</option>';
		foreach ( KBJobs_Admin_Jobs::bulk_labels() as $action => $label ) {
			echo '<option value="' . esc_attr( $action ) . '">' . esc_html( $label ) . '</option>';
		}
		echo '</select> ';
		echo '<input type="submit" id="doaction" class="button action" value="' . esc_attr__( 'Apply', 'kb-jobs' ) . '">';
	}

	/**
	 * First and Next links (a keyset cursor has no page numbers).
	 *
	 * @param string $which top or bottom.
	 */
	protected function pagination( $which ) {
		$links = array();
		if ( '' !== $this->cursor ) {
			$links[] = '<a class="button kbjobs-first-page" href="' . esc_url( KBJobs_Admin_Jobs::list_url( $this->inputs ) ) . '">' . esc_html__( '« First', 'kb-jobs' ) . '</a>';
		}
		if ( null !== $this->next_cursor ) {
			$links[] = '<a class="button kbjobs-next-page" rel="next" href="' . esc_url( KBJobs_Admin_Jobs::list_url( $this->inputs + array( 'cursor' => $this->next_cursor ) ) ) . '">' . esc_html__( 'Next »', 'kb-jobs' ) . '</a>';
		}
		echo '<div class="tablenav-pages kbjobs-keyset-pages">';
		/* translators: %s: number of rows on this page */
		echo '<span class="displaying-num">' . esc_html( sprintf( _n( '%s job on this page', '%s jobs on this page', count( $this->items ), 'kb-jobs' ), number_format_i18n( count( $this->items ) ) ) ) . '</span> ';
		echo implode( ' ', $links ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built above with esc_url and esc_html.
		echo '</div>';
	}

	/**
	 * The checkbox.
	 *
	 * @param array<string,mixed> $item A job.
	 * @return string
	 */
	protected function column_cb( $item ) {
		return sprintf(
			'<label class="screen-reader-text" for="kbjobs-cb-%1$s">%2$s</label><input type="checkbox" name="ids[]" id="kbjobs-cb-%1$s" value="%1$s">',
			esc_attr( $item['id'] ),
			/* translators: %s: job id */
			esc_html( sprintf( __( 'Select job %s', 'kb-jobs' ), $item['id'] ) )
		);
	}

	/**
	 * The id, linked to the job's page, with its title.
	 *
	 * @param array<string,mixed> $item A job.
	 * @return string
	 */
	protected function column_id( $item ) {
		$html = '<strong><a class="row-title" href="' . esc_url( KBJobs_Admin::url( 'job', array( 'id' => $item['id'] ) ) ) . '"><code>' . esc_html( $item['id'] ) . '</code></a></strong>';
		if ( '' !== (string) $item['title'] ) {
			$html .= '<div class="kbjobs-job-title">' . esc_html( (string) $item['title'] ) . '</div>';
		}
		return $html;
	}

	/**
	 * View, Cancel, Run again.
	 *
	 * @param array<string,mixed> $item        A job.
	 * @param string              $column_name The column.
	 * @param string              $primary     The primary column.
	 * @return string
	 */
	protected function handle_row_actions( $item, $column_name, $primary ) {
		if ( $column_name !== $primary ) {
			return '';
		}
		$actions = array(
			'view' => '<a href="' . esc_url( KBJobs_Admin::url( 'job', array( 'id' => $item['id'] ) ) ) . '">' . esc_html__( 'View', 'kb-jobs' ) . '</a>',
		);
		if ( $this->can_operate && in_array( $item['status'], self::CANCELLABLE, true ) && empty( $item['cancel_requested'] ) ) {
			$actions['cancel'] = self::row_button( 'job.cancel', $item['id'], __( 'Cancel', 'kb-jobs' ) );
		}
		if ( $this->can_operate && in_array( $item['status'], self::FINISHED, true ) ) {
			$actions['rerun'] = self::row_button( 'job.rerun', $item['id'], __( 'Run again', 'kb-jobs' ) );
		}
		return $this->row_actions( $actions );
	}

	/**
	 * A row action's button: it submits the form row_forms() made for $op.
	 *
	 * @param string $op    An op of KBJobs_Admin_Forms taking an id.
	 * @param string $id    The job id.
	 * @param string $label The button's text.
	 * @return string
	 */
	private static function row_button( string $op, string $id, string $label ): string {
		return sprintf(
			'<button type="submit" class="button-link kbjobs-row-action" form="%1$s" name="id" value="%2$s" aria-label="%3$s">%4$s</button>',
			esc_attr( 'kbjobs-row-' . str_replace( '.', '-', $op ) ),
			esc_attr( $id ),
			esc_attr( $label . ' ' . $id ),
			esc_html( $label )
		);
	}

	/**
	 * The forms the row actions submit (outside the bulk form: forms do not nest).
	 */
	public function row_forms(): void {
		$ops = array(
			'job.cancel' => __( 'Cancel this job?', 'kb-jobs' ),
			'job.rerun'  => '',
		);
		foreach ( $ops as $op => $confirm ) {
			printf(
				'<form method="post" action="%1$s" id="%2$s" class="kbjobs-row-form"%3$s>%4$s</form>',
				esc_url( admin_url( 'admin-post.php' ) ),
				esc_attr( 'kbjobs-row-' . str_replace( '.', '-', $op ) ),
				'' !== $confirm ? ' data-kbjobs-confirm="' . esc_attr( $confirm ) . '"' : '',
				KBJobs_Admin_Forms::fields( $op ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
			);
		}
	}

	/**
	 * Type.
	 *
	 * @param array<string,mixed> $item A job.
	 * @return string
	 */
	protected function column_type( $item ) {
		return '<code>' . esc_html( $item['type'] ) . '</code>';
	}

	/**
	 * Queue.
	 *
	 * @param array<string,mixed> $item A job.
	 * @return string
	 */
	protected function column_queue( $item ) {
		return esc_html( $item['queue'] );
	}

	/**
	 * Status, with a cancel request and the error of a failed job.
	 *
	 * @param array<string,mixed> $item A job.
	 * @return string
	 */
	protected function column_status( $item ) {
		$html = '<span class="kbjobs-status kbjobs-status-' . esc_attr( $item['status'] ) . '">' . esc_html( KBJobs_Admin_Overview::status_label( $item['status'] ) ) . '</span>';
		if ( ! empty( $item['cancel_requested'] ) && 'running' === $item['status'] ) {
			$html .= ' <em>' . esc_html__( '(cancel requested)', 'kb-jobs' ) . '</em>';
		}
		if ( '' !== (string) $item['error'] ) {
			$html .= '<div class="kbjobs-error-excerpt">' . esc_html( mb_strimwidth( (string) $item['error'], 0, 160, '…' ) ) . '</div>';
		}
		return $html;
	}

	/**
	 * Progress.
	 *
	 * @param array<string,mixed> $item A job.
	 * @return string
	 */
	protected function column_progress( $item ) {
		if ( 0 === (int) $item['progress_total'] && 0 === (int) $item['progress_done'] ) {
			return '&mdash;';
		}
		return KBJobs_Admin_Screen::progress_html( (int) $item['progress_done'], (int) $item['progress_total'] );
	}

	/**
	 * Attempts of max.
	 *
	 * @param array<string,mixed> $item A job.
	 * @return string
	 */
	protected function column_attempts( $item ) {
		return esc_html( number_format_i18n( (int) $item['attempts'] ) . ' / ' . number_format_i18n( (int) $item['max_attempts'] ) );
	}

	/**
	 * Created.
	 *
	 * @param array<string,mixed> $item A job.
	 * @return string
	 */
	protected function column_created_at( $item ) {
		return KBJobs_Admin_Screen::time_html( $item['created_at'] );
	}

	/**
	 * Finished.
	 *
	 * @param array<string,mixed> $item A job.
	 * @return string
	 */
	protected function column_finished_at( $item ) {
		return KBJobs_Admin_Screen::time_html( $item['finished_at'] );
	}
}
