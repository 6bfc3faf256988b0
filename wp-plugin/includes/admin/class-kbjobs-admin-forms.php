<?php
/**
 * The dashboard's actions as plain forms (they work without JavaScript): every form
 * posts to admin-post.php?action=kbjobs with the operation in `op`, its nonce, and where
 * to go back to. The operation runs through the action layer (kbjobs_operate, audit with
 * source "screen"); its outcome comes back as an admin notice on the page returned to.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Handles the dashboard's forms.
 */
final class KBJobs_Admin_Forms {

	/**
	 * The operations a form can ask for, and what each takes: `id` (a job id), `ids`
	 * (job ids), `name` (a queue), `alert` (an alert id), `filter` (the Jobs screen's
	 * filter fields), `event` (a WP-Cron event's id; cron.edit also takes
	 * `next_run_local`, a time in the site's timezone, and `schedule`). `job.bulk` and `failure.bulk` also take `bulk_action`, the choice
	 * of a list's bulk-actions menu. `reconcile.run` takes nothing; `reconcile.repair`
	 * takes the reconciliation's `id` and `kinds` (the Health screen's confirm form).
	 */
	const OPS = array(
		'job.cancel'         => 'id',
		'job.rerun'          => 'id',
		'job.resume'         => 'id',
		'job.bulk'           => 'ids',
		'failure.resubmit'   => 'ids',
		'failure.delete'     => 'ids',
		'alert.ack'          => 'alert',
		'checkpoint.resume'  => 'id',
		'checkpoint.fresh'   => 'id',
		'checkpoint.discard' => 'id',
		'queue.pause'        => 'name',
		'queue.resume'       => 'name',
		'queue.set'          => 'name',
		'backlog.release'    => 'name',
		'import.resubmit'    => 'id',
		'job.bulk_filter'    => 'filter',
		'failure.bulk'       => 'ids',
		'import.check'       => 'upload',
		'import.start'       => 'upload',
		'import.discard'     => 'upload',
		'import.refetch'     => 'post',
		'cron.run'           => 'event',
		'cron.pause'         => 'event',
		'cron.resume'        => 'event',
		'cron.delete'        => 'event',
		'cron.edit'          => 'event',
		'reconcile.run'      => 'none',
		'reconcile.repair'   => 'id',
	);

	/**
	 * Hooks admin-post.php.
	 */
	public static function init(): void {
		add_action( 'admin_post_kbjobs', array( self::class, 'handle' ) );
	}

	/**
	 * The hidden fields of a form for $op (the nonce, the referer).
	 *
	 * @param string $op One of OPS.
	 * @return string HTML.
	 */
	public static function fields( string $op ): string {
		return '<input type="hidden" name="action" value="kbjobs">'
			. '<input type="hidden" name="op" value="' . esc_attr( $op ) . '">'
			. wp_nonce_field( 'kbjobs-' . $op, '_wpnonce', true, false );
	}

	/**
	 * A one-button form for $op on $value (e.g. Cancel on a job): nothing for a user
	 * who cannot act.
	 *
	 * @param string $op      One of OPS.
	 * @param string $value   The job id, queue name or alert id.
	 * @param string $label   The button's text.
	 * @param string $classes The button's classes.
	 * @param string $confirm A question to confirm with first ('' for none).
	 * @param array  $extra   More hidden fields, name => value (e.g. goto => job).
	 * @return string HTML.
	 */
	public static function button( string $op, string $value, string $label, string $classes = 'button', string $confirm = '', array $extra = array() ): string {
		if ( ! current_user_can( KBJobs_Access::OPERATE ) ) {
			return '';
		}
		$field  = self::OPS[ $op ] ?? 'id';
		$hidden = '';
		foreach ( $extra as $name => $extra_value ) {
			$hidden .= '<input type="hidden" name="' . esc_attr( (string) $name ) . '" value="' . esc_attr( (string) $extra_value ) . '">';
		}
		return '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="kbjobs-inline-form"'
			. ( '' !== $confirm ? ' data-kbjobs-confirm="' . esc_attr( $confirm ) . '"' : '' ) . '>'
			. self::fields( $op )
			. '<input type="hidden" name="' . esc_attr( 'ids' === $field ? 'ids[]' : $field ) . '" value="' . esc_attr( $value ) . '">'
			. $hidden
			. '<button type="submit" class="' . esc_attr( $classes ) . '">' . esc_html( $label ) . '</button></form>';
	}

	/**
	 * The admin_post_kbjobs action: checks the nonce, runs the operation, leaves a
	 * notice, goes back.
	 */
	public static function handle(): void {
		$op = isset( $_POST['op'] ) ? (string) wp_unslash( $_POST['op'] ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Missing,WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared with the keys of OPS below; the nonce is per operation, checked once the operation is known.
		if ( '' === $op && isset( $_SERVER['CONTENT_LENGTH'] ) && (int) $_SERVER['CONTENT_LENGTH'] > wp_convert_hr_to_bytes( (string) ini_get( 'post_max_size' ) ) ) {
			// PHP dropped the whole form: an upload larger than post_max_size.
			wp_die(
				esc_html(
					sprintf(
						/* translators: %s: size, e.g. "8 MB" */
						__( 'The form was larger than this server accepts (%s), so nothing arrived: send a large list in parts through the REST API (POST /wp-json/kbjobs/v1/imports/uploads) or import it with `wp kb import`.', 'kb-jobs' ),
						size_format( wp_max_upload_size() )
					)
				),
				esc_html__( 'Upload too large', 'kb-jobs' ),
				array(
					'response'  => 413,
					'back_link' => true,
				)
			);
		}
		if ( ! isset( self::OPS[ $op ] ) ) {
			wp_die( esc_html__( 'Unknown operation.', 'kb-jobs' ), 400 );
		}
		check_admin_referer( 'kbjobs-' . $op );
		KBJobs_Audit::set_source( 'screen' );
		$result = self::run( $op );
		if ( ! is_wp_error( $result ) ) {
			KBJobs_Data_Snapshot::expire(); // The page returned to shows what was done.
		}
		// An operation may say that it has nothing to say ('quiet') and where to go next
		// ('redirect'): the import screens' steps.
		if ( ! is_array( $result ) || empty( $result['quiet'] ) ) {
			self::notice( $result );
		}
		wp_safe_redirect( self::redirect_to( $result ) );
		exit;
	}

	/**
	 * Where to go after an operation: where its result says ('redirect': the import
	 * screens' steps), else back to the page the form was on, or, when the form says
	 * `goto=job` and the operation made a job (a rerun, a bulk action by filter), to that
	 * job's page.
	 *
	 * @param array|WP_Error $result The operation's result.
	 * @return string
	 */
	private static function redirect_to( $result ): string {
		if ( is_array( $result ) && ! empty( $result['redirect'] ) ) {
			return (string) $result['redirect'];
		}
		$goto = isset( $_POST['goto'] ) ? sanitize_key( wp_unslash( $_POST['goto'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- handle() checked it.
		if ( 'job' === $goto && is_array( $result ) ) {
			$job = (string) ( $result['job_id'] ?? $result['id'] ?? '' );
			if ( KBJobs_Data_Jobs::is_id( $job ) ) {
				return KBJobs_Admin::url( 'job', array( 'id' => $job ) );
			}
		}
		return wp_get_referer() ? wp_get_referer() : KBJobs_Admin::url();
	}

	/**
	 * Runs one operation from the posted fields.
	 *
	 * @param string $op One of OPS.
	 * @return array|WP_Error
	 */
	private static function run( string $op ) {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- handle() checked it.
		$id    = isset( $_POST['id'] ) ? sanitize_text_field( wp_unslash( $_POST['id'] ) ) : '';
		$ids   = isset( $_POST['ids'] ) ? array_map( 'sanitize_text_field', (array) wp_unslash( $_POST['ids'] ) ) : array();
		$name  = isset( $_POST['name'] ) ? sanitize_text_field( wp_unslash( $_POST['name'] ) ) : '';
		$alert = isset( $_POST['alert'] ) ? absint( $_POST['alert'] ) : 0;
		$event = isset( $_POST['event'] ) ? absint( $_POST['event'] ) : 0;
		switch ( $op ) {
			case 'job.cancel':
				return KBJobs_Actions_Jobs::cancel( $id );
			case 'job.rerun':
				return KBJobs_Actions_Jobs::rerun( $id );
			case 'job.resume':
				return KBJobs_Actions_Jobs::resume( $id );
			case 'job.bulk':
				$action = isset( $_POST['bulk_action'] ) ? sanitize_key( wp_unslash( $_POST['bulk_action'] ) ) : '';
				return KBJobs_Actions_Jobs::bulk_ids( $action, $ids );
			case 'failure.resubmit':
				return KBJobs_Actions_Failures::resubmit( $ids );
			case 'failure.delete':
				return KBJobs_Actions_Failures::delete( $ids );
			case 'alert.ack':
				return KBJobs_Actions_Failures::acknowledge_alert( $alert );
			case 'checkpoint.resume':
				return KBJobs_Actions_Checkpoints::resume( $id );
			case 'checkpoint.fresh':
				return KBJobs_Actions_Checkpoints::fresh( $id );
			case 'checkpoint.discard':
				return KBJobs_Actions_Checkpoints::discard( $id );
			case 'queue.pause':
				return KBJobs_Actions_Queues::pause( $name );
			case 'queue.resume':
				return KBJobs_Actions_Queues::resume( $name );
			case 'queue.set':
				$limits = array();
				foreach ( array( 'concurrency', 'rate', 'period_ms' ) as $key ) {
					if ( isset( $_POST[ $key ] ) && '' !== $_POST[ $key ] ) {
						$limits[ $key ] = sanitize_text_field( wp_unslash( $_POST[ $key ] ) );
					}
				}
				return KBJobs_Actions_Queues::set( $name, $limits );
			case 'backlog.release':
				return KBJobs_Actions_Backlogs::release( $name );
			case 'import.resubmit':
				return KBJobs_Actions_Imports::resubmit_failed( $id );
			case 'job.bulk_filter':
				$action = isset( $_POST['bulk_action'] ) ? sanitize_key( wp_unslash( $_POST['bulk_action'] ) ) : '';
				$filter = isset( $_POST['filter'] ) && is_array( $_POST['filter'] ) ? array_map( 'sanitize_text_field', wp_unslash( $_POST['filter'] ) ) : array();
				return KBJobs_Actions_Jobs::bulk_filter( $action, array_intersect_key( $filter, array_flip( KBJobs_Data_Jobs::FILTER_KEYS ) ) );
			case 'failure.bulk':
				$action = isset( $_POST['bulk_action'] ) ? sanitize_key( wp_unslash( $_POST['bulk_action'] ) ) : '';
				if ( 'resubmit' === $action ) {
					return KBJobs_Actions_Failures::resubmit( $ids );
				}
				if ( 'delete' === $action ) {
					return KBJobs_Actions_Failures::delete( $ids );
				}
				return new WP_Error( 'kbjobs_invalid', __( 'Choose a bulk action.', 'kb-jobs' ), array( 'status' => 400 ) );
			case 'import.check':
			case 'import.start':
			case 'import.discard':
				return KBJobs_Admin_Import::form( $op );
			case 'import.refetch':
				return KBJobs_Admin_Articles::refetch( isset( $_POST['post'] ) ? absint( $_POST['post'] ) : 0 );
			case 'cron.run':
				return KBJobs_Actions_Cron::run_now( $event );
			case 'cron.pause':
				return KBJobs_Actions_Cron::pause( $event );
			case 'cron.resume':
				return KBJobs_Actions_Cron::resume( $event );
			case 'cron.delete':
				$result = KBJobs_Actions_Cron::delete( $event );
				// Deleted from its own page: that page is gone with it, back to the list.
				wp_parse_str( (string) wp_parse_url( (string) wp_get_referer(), PHP_URL_QUERY ), $query );
				if ( is_array( $result ) && ! empty( $query['event'] ) ) {
					$result['redirect'] = KBJobs_Admin::url( 'cron' );
				}
				return $result;
			case 'cron.edit':
				return KBJobs_Actions_Cron::edit( $event, self::cron_changes() );
			case 'reconcile.run':
			case 'reconcile.repair':
				return KBJobs_Admin_Health::form( $op );
		}
		// phpcs:enable
		return new WP_Error( 'kbjobs_invalid', __( 'Unknown operation.', 'kb-jobs' ), array( 'status' => 400 ) );
	}

	/**
	 * The Scheduled Queue's edit form as changes: the next run from a time in the site's
	 * timezone, the schedule ('' for a single event; '=' keeps an unregistered one).
	 *
	 * @return array<string,mixed>
	 */
	private static function cron_changes(): array {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- handle() checked it.
		$changes = array();
		$local   = isset( $_POST['next_run_local'] ) ? sanitize_text_field( wp_unslash( $_POST['next_run_local'] ) ) : '';
		if ( '' !== $local ) {
			// Not a date: passed on as it is, for the action to refuse with its message.
			$time                = date_create_immutable( $local, wp_timezone() );
			$changes['next_run'] = false === $time ? $local : $time->getTimestamp();
		}
		$schedule = isset( $_POST['schedule'] ) ? sanitize_text_field( wp_unslash( $_POST['schedule'] ) ) : '=';
		if ( '=' !== $schedule ) {
			$changes['schedule'] = sanitize_key( $schedule );
		}
		// phpcs:enable
		return $changes;
	}

	/**
	 * Keeps the outcome for the next page this user sees.
	 *
	 * @param array|WP_Error $result The operation's result.
	 */
	private static function notice( $result ): void {
		$notice = is_wp_error( $result )
			? array(
				'type'    => 'error',
				'message' => $result->get_error_message(),
			)
			: array(
				'type'    => 'success',
				'message' => self::success_message( $result ),
			);
		// An error about a job (a reconciliation already running) or a success that
		// made one (a repair's re-fetch) links to that job's page.
		$data = is_wp_error( $result ) ? $result->get_error_data() : $result;
		$job  = is_array( $data ) ? (string) ( $data['notice_job'] ?? ( is_wp_error( $result ) ? ( $data['id'] ?? '' ) : '' ) ) : '';
		if ( KBJobs_Data_Jobs::is_id( $job ) ) {
			$notice['job'] = $job;
		}
		set_transient( 'kbjobs_notice_' . get_current_user_id(), $notice, 60 );
	}

	/**
	 * What a successful operation says.
	 *
	 * @param mixed $result Its result.
	 * @return string
	 */
	private static function success_message( $result ): string {
		if ( is_array( $result ) && isset( $result['message'] ) && is_string( $result['message'] ) ) {
			return $result['message'];
		}
		if ( is_array( $result ) && isset( $result['done'], $result['requested'] ) ) {
			/* translators: 1: entries done, 2: entries asked for */
			return sprintf( __( 'Done for %1$d of %2$d.', 'kb-jobs' ), $result['done'], $result['requested'] );
		}
		if ( is_array( $result ) && isset( $result['done'], $result['skipped'] ) ) {
			/* translators: 1: jobs done, 2: jobs skipped, 3: unknown jobs */
			return sprintf( __( '%1$d done, %2$d skipped (not in a state for it), %3$d not found.', 'kb-jobs' ), $result['done'], $result['skipped'], $result['missing'] ?? 0 );
		}
		if ( is_array( $result ) && isset( $result['rerun_of'], $result['id'] ) ) {
			/* translators: %s: new job id */
			return sprintf( __( 'Running again as job %s.', 'kb-jobs' ), $result['id'] );
		}
		if ( is_array( $result ) && isset( $result['job_id'], $result['matched'] ) ) {
			/* translators: 1: number of jobs, 2: the background job's id */
			return sprintf( _n( 'Started for %1$d job as background job %2$s.', 'Started for %1$d jobs as background job %2$s.', (int) $result['matched'], 'kb-jobs' ), $result['matched'], $result['job_id'] );
		}
		return __( 'Done.', 'kb-jobs' );
	}

	/**
	 * Shows (once) the notice left by the last operation.
	 */
	public static function render_notice(): void {
		$key    = 'kbjobs_notice_' . get_current_user_id();
		$notice = get_transient( $key );
		if ( ! is_array( $notice ) ) {
			return;
		}
		delete_transient( $key );
		$link = '';
		if ( isset( $notice['job'] ) && KBJobs_Data_Jobs::is_id( $notice['job'] ) ) {
			$link = sprintf(
				' <a href="%1$s">%2$s</a>',
				esc_url( KBJobs_Admin::url( 'job', array( 'id' => $notice['job'] ) ) ),
				/* translators: %s: job id */
				esc_html( sprintf( __( 'Open job %s', 'kb-jobs' ), $notice['job'] ) )
			);
		}
		printf(
			'<div class="notice notice-%1$s is-dismissible kbjobs-notice"><p>%2$s%3$s</p></div>',
			esc_attr( 'error' === $notice['type'] ? 'error' : 'success' ),
			esc_html( (string) $notice['message'] ),
			$link // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built above with esc_url and esc_html.
		);
	}
}
