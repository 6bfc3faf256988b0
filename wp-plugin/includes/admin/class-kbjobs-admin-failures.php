<?php
/**
 * The Failure Log: jobs that failed for good and imports that finished with failed URLs
 * (kind "partial", "7 of 205 URLs failed", linked to the import's page), newest first;
 * how many older entries the cap dropped; the open alerts raised by repeated failures,
 * each with Acknowledge. Operators resubmit or delete entries one by one or checked
 * together (failure.resubmit / failure.delete through the action layer).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Failure Log screen.
 */
final class KBJobs_Admin_Failures extends KBJobs_Admin_Screen {

	const PER_PAGE_OPTION = 'kbjobs_failures_per_page';

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'failures';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Failure Log', 'kb-jobs' );
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'Jobs that failed for good, and imports that completed with some URLs failed ("partial"). Resubmit runs a failed job again with its attempts reset, or imports a partial import\'s failed URLs again as a new import; the job keeps its history. Delete acknowledges the entry; the job stays failed and stays listed under Jobs. The log keeps the newest entries of each kind up to its cap; older ones are dropped and counted. Alerts are raised when jobs of one type keep failing; Acknowledge closes one.', 'kb-jobs' );
	}

	/**
	 * The history screens' style.
	 */
	public function enqueue(): void {
		wp_enqueue_style( 'kbjobs-history', plugins_url( 'assets/css/kbjobs-history.css', KBJOBS_PLUGIN_FILE ), array( 'kbjobs-admin' ), KBJOBS_PLUGIN_VERSION );
	}

	/**
	 * Help tab and rows per page.
	 */
	public function load(): void {
		parent::load();
		add_screen_option(
			'per_page',
			array(
				'label'   => __( 'Entries per page', 'kb-jobs' ),
				'default' => 50,
				'option'  => self::PER_PAGE_OPTION,
			)
		);
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		$this->render_alerts();
		$per_page = (int) get_user_option( self::PER_PAGE_OPTION );
		$table    = new KBJobs_Admin_Failures_Table( $per_page > 0 ? min( 1000, $per_page ) : 50, $this->can_operate() );
		try {
			$table->prepare_items();
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		$evicted = $table->evicted();
		if ( $evicted > 0 ) {
			printf(
				'<div class="notice notice-info inline kbjobs-evicted"><p>%1$s <a href="%2$s">%3$s</a></p></div>',
				/* translators: %s: number of entries */
				esc_html( sprintf( _n( 'The log was full: %s older entry was dropped to make room.', 'The log was full: %s older entries were dropped to make room.', $evicted, 'kb-jobs' ), number_format_i18n( $evicted ) ) ),
				esc_url( KBJobs_Admin_Jobs::list_url( array( 'status' => 'failed' ) ) ),
				esc_html__( 'Every failed job is still listed under Jobs.', 'kb-jobs' )
			);
		}
		if ( $this->can_operate() ) {
			echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" id="kbjobs-failures-form">';
			echo KBJobs_Admin_Forms::fields( 'failure.bulk' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
			$table->display();
			echo '</form>';
			$table->row_forms();
		} else {
			$table->display();
		}
	}

	/**
	 * The open alerts, each with Acknowledge.
	 */
	private function render_alerts(): void {
		try {
			$alerts = KBJobs_Data_Failures::alerts( true );
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		foreach ( $alerts as $alert ) {
			echo '<div class="notice notice-warning inline kbjobs-alert"><p>';
			printf(
				'<strong>%1$s</strong> %2$s <span class="kbjobs-alert-when">%3$s</span> ',
				esc_html( (string) $alert['type'] ),
				esc_html( (string) $alert['message'] ),
				self::time_html( $alert['created_at'] ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- time_html escapes.
			);
			echo KBJobs_Admin_Forms::button( 'alert.ack', (string) $alert['id'], __( 'Acknowledge', 'kb-jobs' ), 'button button-small' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built with esc_attr/esc_html.
			echo '</p></div>';
		}
	}
}
