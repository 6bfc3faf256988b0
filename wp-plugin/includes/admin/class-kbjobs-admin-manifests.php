<?php
/**
 * The Manifests screen: upload a manifest (JSON lines), see its dry-run validation with
 * the errors by line number, dispatch it (into a named backlog, held or not), and verify
 * it (the summary and the first lines, filtered by state). The form posts back to the
 * screen and is handled on load-{hook} (capability and nonce first), through the same
 * actions as `wp kb dispatch|verify` and the /manifests routes; the uploaded file is
 * staged in the data directory like an import upload, and its id rides along in the
 * form, so the validated file is the one dispatched and verified.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Manifests.
 */
final class KBJobs_Admin_Manifests extends KBJobs_Admin_Screen {

	const NONCE = 'kbjobs-manifests';

	/** Lines of a verify report shown. */
	const SHOWN = 100;

	/**
	 * What the last action produced: ['op' => validate|dispatch|verify, 'report' => array|WP_Error].
	 *
	 * @var array
	 */
	private $outcome = array();

	/**
	 * The staged manifest's upload id and name.
	 *
	 * @var array{0:string,1:string}
	 */
	private $staged = array( '', '' );

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'manifests';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Manifests', 'kb-jobs' );
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'A manifest is a file of planned jobs, one JSON object a line: type, params, and optionally queue, key, priority and id. Upload one to validate it (nothing is dispatched while a line is invalid), dispatch it (again: lines already dispatched are not added twice), and verify what became of every line. `wp kb plan` writes manifests; `wp kb dispatch` and `wp kb verify` do the same from a shell.', 'kb-jobs' );
	}

	/**
	 * Handles the form before the page is drawn.
	 */
	public function load(): void {
		parent::load();
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked just below.
		if ( ! isset( $_POST['kbjobs_manifest_op'] ) ) {
			return;
		}
		check_admin_referer( self::NONCE );
		$op = sanitize_key( wp_unslash( $_POST['kbjobs_manifest_op'] ) );
		if ( ! in_array( $op, array( 'validate', 'dispatch', 'verify' ), true ) ) {
			return;
		}
		$staged = $this->stage();
		if ( is_wp_error( $staged ) ) {
			$this->outcome = array(
				'op'     => $op,
				'report' => $staged,
			);
			return;
		}
		$opts = array(
			'queue'   => isset( $_POST['queue'] ) ? sanitize_text_field( wp_unslash( $_POST['queue'] ) ) : '',
			'backlog' => isset( $_POST['backlog'] ) ? sanitize_text_field( wp_unslash( $_POST['backlog'] ) ) : '',
		);
		$path = KBJobs_Uploads::path( $this->staged[0] );
		if ( 'dispatch' === $op ) {
			$opts['hold'] = ! empty( $_POST['hold'] );
			$report       = KBJobs_Actions_Manifests::dispatch( $path, $this->staged[1], $opts );
		} elseif ( 'verify' === $op ) {
			$opts['state'] = isset( $_POST['state'] ) ? sanitize_key( wp_unslash( $_POST['state'] ) ) : '';
			$opts['limit'] = self::SHOWN;
			$report        = KBJobs_Actions_Manifests::verify( $path, $opts );
		} else {
			$report = KBJobs_Actions_Manifests::validate( $path, $opts );
		}
		$this->outcome = array(
			'op'     => $op,
			'report' => $report,
		);
	}

	/**
	 * The manifest of the request: a new file (staged now), or the one staged before.
	 *
	 * @return true|WP_Error
	 */
	private function stage() {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- load() checked the nonce.
		$file = $_FILES['manifest'] ?? null; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- a file array: its error and tmp_name are checked below.
		if ( is_array( $file ) && UPLOAD_ERR_NO_FILE !== (int) ( $file['error'] ?? UPLOAD_ERR_NO_FILE ) ) {
			if ( UPLOAD_ERR_OK !== (int) $file['error'] || ! is_uploaded_file( (string) $file['tmp_name'] ) ) {
				/* translators: %s: size limit */
				return new WP_Error( 'kbjobs_invalid', sprintf( __( 'The file did not arrive whole (the upload limit is %s; larger manifests go through wp kb dispatch or the REST API in parts).', 'kb-jobs' ), size_format( wp_max_upload_size() ) ) );
			}
			$id = KBJobs_Uploads::open();
			$ok = is_wp_error( $id ) ? $id : KBJobs_Uploads::append( $id, 0, (string) $file['tmp_name'] );
			if ( is_wp_error( $ok ) ) {
				return $ok;
			}
			$this->staged = array( $id, sanitize_file_name( (string) $file['name'] ) );
			return true;
		}
		$id   = isset( $_POST['upload'] ) ? sanitize_key( wp_unslash( $_POST['upload'] ) ) : '';
		$name = isset( $_POST['upload_name'] ) ? sanitize_file_name( wp_unslash( $_POST['upload_name'] ) ) : '';
		// phpcs:enable
		if ( '' === KBJobs_Uploads::path( $id ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'Choose a manifest file first (an uploaded manifest is kept for a day).', 'kb-jobs' ) );
		}
		$this->staged = array( $id, $name );
		return true;
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		$this->render_form();
		if ( ! $this->outcome ) {
			return;
		}
		$report = $this->outcome['report'];
		echo '<div class="kbjobs-manifest-result" aria-live="polite">';
		if ( is_wp_error( $report ) ) {
			echo '<div class="notice notice-error inline"><p>' . esc_html( $report->get_error_message() ) . '</p></div></div>';
			return;
		}
		if ( 'verify' === $this->outcome['op'] ) {
			$this->render_verify( $report );
		} else {
			$this->render_validation( $report );
		}
		echo '</div>';
	}

	/**
	 * The form: a file (or the staged one), queue, backlog, hold, state, three buttons.
	 */
	private function render_form(): void {
		$operate = $this->can_operate();
		echo '<form method="post" enctype="multipart/form-data" class="kbjobs-manifest-form" action="' . esc_url( KBJobs_Admin::url( 'manifests' ) ) . '">';
		wp_nonce_field( self::NONCE );
		echo '<input type="hidden" name="upload" value="' . esc_attr( $this->staged[0] ) . '">';
		echo '<input type="hidden" name="upload_name" value="' . esc_attr( $this->staged[1] ) . '">';
		echo '<table class="form-table" role="presentation"><tbody>';
		echo '<tr><th scope="row"><label for="kbjobs-manifest-file">' . esc_html__( 'Manifest', 'kb-jobs' ) . '</label></th><td>';
		echo '<input type="file" id="kbjobs-manifest-file" name="manifest" accept=".jsonl,.json,.txt,application/json,text/plain">';
		if ( '' !== $this->staged[0] ) {
			/* translators: %s: file name */
			echo '<p class="description">' . esc_html( sprintf( __( 'Using %s, uploaded earlier; choose a file to replace it.', 'kb-jobs' ), '' !== $this->staged[1] ? $this->staged[1] : __( 'the manifest', 'kb-jobs' ) ) ) . '</p>';
		}
		echo '<p class="description">' . esc_html__( 'JSON lines: {"type": "diag.echo", "params": {...}, "queue": "...", "key": "...", "priority": 0, "id": "..."}', 'kb-jobs' ) . '</p></td></tr>';
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- redisplaying what was sent; load() checked the nonce.
		$queue   = isset( $_POST['queue'] ) ? sanitize_text_field( wp_unslash( $_POST['queue'] ) ) : '';
		$backlog = isset( $_POST['backlog'] ) ? sanitize_text_field( wp_unslash( $_POST['backlog'] ) ) : '';
		$state   = isset( $_POST['state'] ) ? sanitize_key( wp_unslash( $_POST['state'] ) ) : '';
		$hold    = ! empty( $_POST['hold'] );
		// phpcs:enable
		echo '<tr><th scope="row"><label for="kbjobs-manifest-queue">' . esc_html__( 'Queue', 'kb-jobs' ) . '</label></th><td><input type="text" class="regular-text" id="kbjobs-manifest-queue" name="queue" pattern="[a-z0-9_.\-]{1,64}" value="' . esc_attr( $queue ) . '"><p class="description">' . esc_html__( 'For lines that name none (empty: their type\'s queue).', 'kb-jobs' ) . '</p></td></tr>';
		if ( $operate ) {
			echo '<tr><th scope="row"><label for="kbjobs-manifest-backlog">' . esc_html__( 'Backlog', 'kb-jobs' ) . '</label></th><td><input type="text" class="regular-text" id="kbjobs-manifest-backlog" name="backlog" pattern="[a-z0-9_.\-]{1,64}" value="' . esc_attr( $backlog ) . '"> ';
			echo '<label><input type="checkbox" name="hold" value="1"' . checked( $hold, true, false ) . '> ' . esc_html__( 'Hold (no runner takes them until the backlog is released)', 'kb-jobs' ) . '</label></td></tr>';
		}
		echo '<tr><th scope="row"><label for="kbjobs-manifest-state">' . esc_html__( 'Verify shows', 'kb-jobs' ) . '</label></th><td><select id="kbjobs-manifest-state" name="state"><option value="">' . esc_html__( 'every line', 'kb-jobs' ) . '</option>';
		foreach ( KBJobs_Manifest::STATES as $s ) {
			echo '<option value="' . esc_attr( $s ) . '"' . selected( $state, $s, false ) . '>' . esc_html( $s ) . '</option>';
		}
		echo '</select></td></tr></tbody></table><p class="submit">';
		echo '<button type="submit" class="button" name="kbjobs_manifest_op" value="validate">' . esc_html__( 'Validate (dry run)', 'kb-jobs' ) . '</button> ';
		if ( $operate ) {
			echo '<button type="submit" class="button button-primary" name="kbjobs_manifest_op" value="dispatch">' . esc_html__( 'Dispatch', 'kb-jobs' ) . '</button> ';
		}
		echo '<button type="submit" class="button" name="kbjobs_manifest_op" value="verify">' . esc_html__( 'Verify', 'kb-jobs' ) . '</button></p></form>';
	}

	/**
	 * A validation or dispatch report: the counts and the errors by line.
	 *
	 * @param array $report The report.
	 */
	private function render_validation( array $report ): void {
		$class = $report['invalid'] > 0 ? 'notice-error' : 'notice-success';
		if ( 'dispatch' === $this->outcome['op'] && $report['dispatched'] ) {
			/* translators: 1: lines, 2: added, 3: already there, 4: invalid */
			$text = sprintf( __( 'Dispatched: %1$d lines, %2$d added, %3$d already there, %4$d invalid.', 'kb-jobs' ), $report['lines'], $report['added'], $report['existing'], $report['invalid'] );
		} elseif ( $report['invalid'] > 0 ) {
			/* translators: 1: lines, 2: invalid */
			$text = sprintf( __( '%1$d lines, %2$d invalid: nothing was dispatched.', 'kb-jobs' ), $report['lines'], $report['invalid'] );
		} else {
			/* translators: %d: lines */
			$text = sprintf( __( 'All %d lines are valid.', 'kb-jobs' ), $report['lines'] );
		}
		echo '<div class="notice inline ' . esc_attr( $class ) . '"><p>' . esc_html( $text ) . '</p></div>';
		if ( ! $report['errors'] ) {
			return;
		}
		echo '<h2>' . esc_html__( 'Errors', 'kb-jobs' ) . '</h2><table class="widefat striped kbjobs-manifest-errors"><thead><tr><th scope="col">' . esc_html__( 'Line', 'kb-jobs' ) . '</th><th scope="col">' . esc_html__( 'Error', 'kb-jobs' ) . '</th></tr></thead><tbody>';
		foreach ( $report['errors'] as $error ) {
			echo '<tr><td>' . esc_html( (string) $error['line'] ) . '</td><td>' . esc_html( $error['error'] ) . '</td></tr>';
		}
		echo '</tbody></table>';
		if ( $report['errors_truncated'] ) {
			echo '<p>' . esc_html__( 'Only the first errors are listed.', 'kb-jobs' ) . '</p>';
		}
	}

	/**
	 * A verify report: the summary and the first lines.
	 *
	 * @param array $report The report.
	 */
	private function render_verify( array $report ): void {
		$sum = $report['summary'];
		echo '<div class="notice inline ' . ( $sum['all_completed'] ? 'notice-success' : 'notice-warning' ) . '"><p>';
		/* translators: 1: lines, 2: completed, 3: failed, 4: pending, 5: missing, 6: invalid */
		echo esc_html( sprintf( __( '%1$d lines: %2$d completed, %3$d failed, %4$d pending, %5$d missing, %6$d invalid.', 'kb-jobs' ), $sum['lines'], $sum['completed'], $sum['failed'], $sum['pending'], $sum['missing'], $sum['invalid'] ) );
		echo '</p></div>';
		if ( ! $report['lines'] ) {
			return;
		}
		echo '<table class="widefat striped kbjobs-manifest-lines"><thead><tr>';
		foreach ( array( __( 'Line', 'kb-jobs' ), __( 'Label', 'kb-jobs' ), __( 'Type', 'kb-jobs' ), __( 'State', 'kb-jobs' ), __( 'Job', 'kb-jobs' ), __( 'Error', 'kb-jobs' ) ) as $head ) {
			echo '<th scope="col">' . esc_html( $head ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $report['lines'] as $line ) {
			$job = '' !== $line['job'] ? '<a href="' . esc_url( KBJobs_Admin::url( 'job', array( 'id' => $line['job'] ) ) ) . '"><code>' . esc_html( $line['job'] ) . '</code></a>' : '';
			echo '<tr><td>' . esc_html( (string) $line['line'] ) . '</td><td>' . esc_html( $line['id'] ) . '</td><td>' . esc_html( $line['type'] ) . '</td><td>' . esc_html( $line['state'] . ( '' !== $line['status'] && $line['status'] !== $line['state'] ? ' (' . $line['status'] . ')' : '' ) ) . '</td><td>' . $job . '</td><td>' . esc_html( $line['error'] ) . '</td></tr>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- $job is built with esc_url and esc_html.
		}
		echo '</tbody></table>';
		if ( $report['truncated'] ) {
			/* translators: %d: lines shown */
			echo '<p>' . esc_html( sprintf( __( 'The first %d lines are shown; wp kb verify lists them all.', 'kb-jobs' ), count( $report['lines'] ) ) ) . '</p>';
		}
	}
}
