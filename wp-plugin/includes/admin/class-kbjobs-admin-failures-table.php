<?php
/**
 * The Failure Log's list: entries of both kinds, newest first, a page at a time (the
 * log is capped, so its count is cheap), with Resubmit and Delete per row (buttons of
 * forms kept outside the table, tied by the `form` attribute) and for the checked rows
 * (the table is the failure.bulk form). Works without JavaScript.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

if ( ! class_exists( 'WP_List_Table', false ) ) {
	require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
}

/**
 * FailureLog entries as a WP_List_Table.
 */
final class KBJobs_Admin_Failures_Table extends WP_List_Table {

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
	 * Entries the cap dropped.
	 *
	 * @var int
	 */
	private $evicted = 0;

	/**
	 * Sets up the list.
	 *
	 * @param int  $per_page    Rows per page.
	 * @param bool $can_operate Whether to offer actions.
	 */
	public function __construct( int $per_page, bool $can_operate ) {
		parent::__construct(
			array(
				'singular' => 'failure',
				'plural'   => 'failures',
				'ajax'     => false,
			)
		);
		$this->per_page    = $per_page;
		$this->can_operate = $can_operate;
	}

	/**
	 * Reads the page.
	 */
	public function prepare_items() {
		$page_number   = $this->get_pagenum();
		$page          = KBJobs_Data_Failures::page( $this->per_page, ( $page_number - 1 ) * $this->per_page );
		$this->items   = $page['failures'];
		$this->evicted = (int) $page['evicted'];
		$this->set_pagination_args(
			array(
				'total_items' => (int) $page['total'],
				'per_page'    => $this->per_page,
			)
		);
		$this->_column_headers = array( $this->get_columns(), array(), array(), 'job_id' );
	}

	/**
	 * Entries the cap dropped.
	 *
	 * @return int
	 */
	public function evicted(): int {
		return $this->evicted;
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	public function get_columns() {
		$columns = array(
			'job_id'    => __( 'Job', 'kb-jobs' ),
			'kind'      => __( 'Kind', 'kb-jobs' ),
			'type'      => __( 'Type', 'kb-jobs' ),
			'message'   => __( 'What failed', 'kb-jobs' ),
			'attempts'  => __( 'Attempts', 'kb-jobs' ),
			'failed_at' => __( 'When', 'kb-jobs' ),
		);
		return $this->can_operate ? array( 'cb' => '<input type="checkbox">' ) + $columns : $columns;
	}

	/**
	 * What the list says when empty.
	 */
	public function no_items() {
		esc_html_e( 'Nothing has failed.', 'kb-jobs' );
	}

	/**
	 * The tablenav without WP_List_Table's own nonce field (the form carries its op's);
	 * bulk actions at the top only (one menu, one name).
	 *
	 * @param string $which top or bottom.
	 */
	protected function display_tablenav( $which ) {
		echo '<div class="tablenav ' . esc_attr( $which ) . '">';
		if ( $this->has_items() && 'top' === $which && $this->can_operate ) {
			echo '<div class="alignleft actions bulkactions">';
			echo '<label for="bulk-action-selector-top" class="screen-reader-text">' . esc_html__( 'Bulk action', 'kb-jobs' ) . '</label>';
			echo '<select name="bulk_action" id="bulk-action-selector-top">';
			echo '<option value="">' . esc_html__( 'Bulk actions', 'kb-jobs' ) . '</option>';
			echo '<option value="resubmit">' . esc_html__( 'Resubmit', 'kb-jobs' ) . '</option>';
			echo '<option value="delete">' . esc_html__( 'Delete', 'kb-jobs' ) . '</option>';
			echo '</select> <input type="submit" id="doaction" class="button action" value="' . esc_attr__( 'Apply', 'kb-jobs' ) . '">';
			echo '</div>';
		}
		$this->pagination( $which );
		echo '<br class="clear"></div>';
	}

	/**
	 * Page links, without the page number field of the top ones: this table sits in a
	 * form posted to admin-post.php, where that field would go.
	 *
	 * @param string $which top or bottom.
	 */
	protected function pagination( $which ) {
		unset( $which );
		parent::pagination( 'bottom' );
	}

	/**
	 * The checkbox.
	 *
	 * @param array<string,mixed> $item An entry.
	 * @return string
	 */
	protected function column_cb( $item ) {
		return sprintf(
			'<label class="screen-reader-text" for="kbjobs-cb-%1$s">%2$s</label><input type="checkbox" name="ids[]" id="kbjobs-cb-%1$s" value="%1$s">',
			esc_attr( (string) $item['job_id'] ),
			/* translators: %s: job id */
			esc_html( sprintf( __( 'Select the entry of job %s', 'kb-jobs' ), $item['job_id'] ) )
		);
	}

	/**
	 * The job, linked to its page.
	 *
	 * @param array<string,mixed> $item An entry.
	 * @return string
	 */
	protected function column_job_id( $item ) {
		return '<strong><a class="row-title" href="' . esc_url( KBJobs_Admin::url( 'job', array( 'id' => (string) $item['job_id'] ) ) ) . '"><code>' . esc_html( (string) $item['job_id'] ) . '</code></a></strong>';
	}

	/**
	 * View, Resubmit, Delete.
	 *
	 * @param array<string,mixed> $item        An entry.
	 * @param string              $column_name The column.
	 * @param string              $primary     The primary column.
	 * @return string
	 */
	protected function handle_row_actions( $item, $column_name, $primary ) {
		if ( $column_name !== $primary ) {
			return '';
		}
		$id      = (string) $item['job_id'];
		$actions = array(
			'view' => '<a href="' . esc_url( KBJobs_Admin::url( 'job', array( 'id' => $id ) ) ) . '">' . esc_html( 'partial' === $item['kind'] ? __( 'View the import', 'kb-jobs' ) : __( 'View', 'kb-jobs' ) ) . '</a>',
		);
		if ( $this->can_operate ) {
			$actions['resubmit'] = self::row_button( 'failure.resubmit', $id, 'partial' === $item['kind'] ? __( 'Resubmit failed URLs', 'kb-jobs' ) : __( 'Resubmit', 'kb-jobs' ) );
			$actions['delete']   = self::row_button( 'failure.delete', $id, __( 'Delete', 'kb-jobs' ) );
		}
		return $this->row_actions( $actions );
	}

	/**
	 * A row action's button: it submits the form row_forms() made for $op.
	 *
	 * @param string $op    failure.resubmit or failure.delete.
	 * @param string $id    The job id.
	 * @param string $label The button's text.
	 * @return string
	 */
	private static function row_button( string $op, string $id, string $label ): string {
		return sprintf(
			'<button type="submit" class="button-link kbjobs-row-action" form="%1$s" name="ids[]" value="%2$s" aria-label="%3$s">%4$s</button>',
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
			'failure.resubmit' => '',
			'failure.delete'   => __( 'Delete this entry? The job stays failed.', 'kb-jobs' ),
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
	 * Kind: a failed job, or an import with failed URLs.
	 *
	 * @param array<string,mixed> $item An entry.
	 * @return string
	 */
	protected function column_kind( $item ) {
		return 'partial' === $item['kind']
			? '<span class="kbjobs-kind kbjobs-kind-partial">' . esc_html__( 'partial import', 'kb-jobs' ) . '</span>'
			: '<span class="kbjobs-kind kbjobs-kind-job">' . esc_html__( 'failed job', 'kb-jobs' ) . '</span>';
	}

	/**
	 * Type.
	 *
	 * @param array<string,mixed> $item An entry.
	 * @return string
	 */
	protected function column_type( $item ) {
		return '<code>' . esc_html( (string) $item['type'] ) . '</code>';
	}

	/**
	 * The error, or "7 of 205 URLs failed" with a link to the failed URLs.
	 *
	 * @param array<string,mixed> $item An entry.
	 * @return string
	 */
	protected function column_message( $item ) {
		if ( 'partial' === $item['kind'] ) {
			return sprintf(
				'<a href="%1$s">%2$s</a>',
				esc_url( KBJobs_Admin::url( 'job', array( 'id' => (string) $item['job_id'] ) ) . '#kbjobs-failed-items' ),
				/* translators: 1: failed URLs, 2: URLs in all */
				esc_html( sprintf( _n( '%1$s of %2$s URL failed', '%1$s of %2$s URLs failed', (int) $item['total_items'], 'kb-jobs' ), number_format_i18n( (int) $item['failed_items'] ), number_format_i18n( (int) $item['total_items'] ) ) )
			);
		}
		return '<span class="kbjobs-error-text">' . esc_html( (string) $item['message'] ) . '</span>';
	}

	/**
	 * Attempts.
	 *
	 * @param array<string,mixed> $item An entry.
	 * @return string
	 */
	protected function column_attempts( $item ) {
		return esc_html( number_format_i18n( (int) $item['attempts'] ) );
	}

	/**
	 * When.
	 *
	 * @param array<string,mixed> $item An entry.
	 * @return string
	 */
	protected function column_failed_at( $item ) {
		return KBJobs_Admin_Screen::time_html( $item['failed_at'] );
	}
}
