<?php
/**
 * Import (KB Jobs › Import): start an import from a URL list, in three plain-form steps
 * that work without JavaScript.
 *
 * 1. The list (a .txt or .csv file up to wp_max_upload_size(), or URLs pasted) and the
 *    import's settings are posted (`import.check`). The list is staged under the data
 *    directory (KBJobs_Uploads, private to its user) and read by the engine as an import
 *    would read it (Engine::checkList()), storing and submitting nothing.
 * 2. The page shows the counts and every rejected line with its number, and the settings;
 *    the operator confirms (`import.start`) or cancels (`import.discard`).
 * 3. When the list's unique key (by default its fingerprint: the same list, the same key)
 *    belongs to an interrupted import, the page asks first: "Incomplete job found (45 %,
 *    2 hours ago): Resume / Start fresh / Cancel"; the form posts the start again with
 *    existing=resume or fresh. A started import lands on its job page.
 *
 * What the steps carry between requests (the staged list's id, its report, the settings,
 * the prompt's data) is kept on the server for its user, never in the forms. Every step
 * runs through the action layer (kbjobs_operate, audit with source "screen").
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Import screen.
 */
final class KBJobs_Admin_Import extends KBJobs_Admin_Screen {

	const SINKS    = array( 'compatible', 'bulk' );
	const STATUSES = array( 'publish', 'draft', 'pending', 'private' );
	const STATE    = 'kbjobs_import_check_';

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'import';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Import URLs', 'kb-jobs' );
	}

	/**
	 * Menu label.
	 *
	 * @return string
	 */
	public function menu_title(): string {
		return __( 'Import', 'kb-jobs' );
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'Upload a list of URLs (a .txt file with one URL a line, or a .csv file whose first URL column is read) or paste them, choose how the pages become posts, and check the list: every rejected line is shown with its number before anything runs. Then start the import; it runs in the background (WP-Cron or `wp kb work`) and its page shows its progress.', 'kb-jobs' );
	}

	/**
	 * Help tabs: the steps, and large lists.
	 */
	public function load(): void {
		parent::load();
		get_current_screen()->add_help_tab(
			array(
				'id'      => 'kbjobs-import-large',
				'title'   => __( 'Large lists', 'kb-jobs' ),
				'content' => '<p>' . esc_html( self::large_lists_text() ) . '</p>',
			)
		);
		get_current_screen()->add_help_tab(
			array(
				'id'      => 'kbjobs-import-key',
				'title'   => __( 'Interrupted imports', 'kb-jobs' ),
				'content' => '<p>' . esc_html__( 'Each import has a key: by default the fingerprint of its list, so importing the same list again finds the earlier import. When that import was interrupted (its runner stopped or died), you are asked whether to resume it where it stopped, start it fresh from its first URL, or cancel.', 'kb-jobs' ) . '</p>',
			)
		);
	}

	/**
	 * What to do with a list larger than the upload limit.
	 *
	 * @return string
	 */
	private static function large_lists_text(): string {
		return sprintf(
			/* translators: %s: size, e.g. "2 MB" */
			__( 'Files up to %s can be uploaded here. Send larger lists in parts through the REST API (POST /wp-json/kbjobs/v1/imports/uploads, then each part, then POST /wp-json/kbjobs/v1/imports with the upload) or import them on the server with `wp kb import <file>`.', 'kb-jobs' ),
			size_format( wp_max_upload_size() )
		);
	}

	/**
	 * The page: the form, the check's report, or the question about an interrupted import.
	 */
	protected function render(): void {
		if ( ! $this->can_operate() ) {
			echo '<div class="notice notice-info inline"><p>' . esc_html__( 'You can see imports but not start them: that needs the kbjobs_operate capability.', 'kb-jobs' ) . '</p></div>';
			echo '<p>' . esc_html( self::large_lists_text() ) . '</p>';
			return;
		}
		$upload = isset( $_GET['upload'] ) ? sanitize_key( wp_unslash( $_GET['upload'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a view: which of this user's checked lists to show.
		if ( '' !== $upload ) {
			$state = self::state( $upload );
			if ( null !== $state ) {
				if ( ! empty( $state['existing'] ) ) {
					$this->render_existing( $upload, $state );
				} else {
					$this->render_check( $upload, $state );
				}
				return;
			}
			echo '<div class="notice notice-warning inline"><p>' . esc_html__( 'That checked list is gone (it expires after a day, and is only yours): choose the list again.', 'kb-jobs' ) . '</p></div>';
		}
		$this->render_form();
	}

	/**
	 * Step 1: the list and the settings.
	 */
	private function render_form(): void {
		$defaults = self::defaults();
		// action=kbjobs in the URL too: PHP drops the body of a form over post_max_size,
		// and KBJobs_Admin_Forms then still gets the request to say so.
		echo '<form method="post" action="' . esc_url( add_query_arg( 'action', 'kbjobs', admin_url( 'admin-post.php' ) ) ) . '" enctype="multipart/form-data" class="kbjobs-import-form">';
		echo KBJobs_Admin_Forms::fields( 'import.check' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
		echo '<h2>' . esc_html__( 'The list', 'kb-jobs' ) . '</h2>';
		echo '<table class="form-table" role="presentation"><tbody>';
		echo '<tr><th scope="row"><label for="kbjobs-list-file">' . esc_html__( 'Upload a file', 'kb-jobs' ) . '</label></th><td>';
		echo '<input type="file" id="kbjobs-list-file" name="list_file" accept=".txt,.csv,text/plain,text/csv">';
		printf(
			'<p class="description" id="kbjobs-max-upload">%s</p>',
			esc_html(
				sprintf(
					/* translators: %s: size, e.g. "2 MB" */
					__( 'A .txt file with one URL a line, or a .csv file (the first column holding a URL is read; a header row is skipped). Maximum upload size: %s.', 'kb-jobs' ),
					size_format( wp_max_upload_size() )
				)
			)
		);
		echo '<p class="description">' . esc_html( self::large_lists_text() ) . '</p>';
		echo '</td></tr>';
		echo '<tr><th scope="row"><label for="kbjobs-urls">' . esc_html__( 'Or paste URLs', 'kb-jobs' ) . '</label></th><td>';
		echo '<textarea id="kbjobs-urls" name="urls" rows="8" cols="80" class="large-text code" placeholder="https://example.com/docs/page"></textarea>';
		echo '<p class="description">' . esc_html__( 'One URL a line. Blank lines and lines starting with # are skipped.', 'kb-jobs' ) . '</p>';
		echo '</td></tr></tbody></table>';

		echo '<h2>' . esc_html__( 'Settings', 'kb-jobs' ) . '</h2>';
		echo '<table class="form-table" role="presentation"><tbody>';
		echo '<tr><th scope="row"><label for="kbjobs-sink">' . esc_html__( 'How posts are written', 'kb-jobs' ) . '</label></th><td><select id="kbjobs-sink" name="sink">';
		foreach ( self::sink_labels() as $value => $label ) {
			printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( $value ), selected( $defaults['sink'], $value, false ), esc_html( $label ) );
		}
		echo '</select></td></tr>';
		echo '<tr><th scope="row"><label for="kbjobs-post-type">' . esc_html__( 'Post type', 'kb-jobs' ) . '</label></th><td><select id="kbjobs-post-type" name="post_type">';
		foreach ( self::post_types() as $name => $label ) {
			printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( $name ), selected( $defaults['post_type'], $name, false ), esc_html( $label ) );
		}
		echo '</select></td></tr>';
		echo '<tr><th scope="row"><label for="kbjobs-status">' . esc_html__( 'Status of new posts', 'kb-jobs' ) . '</label></th><td><select id="kbjobs-status" name="status">';
		foreach ( self::STATUSES as $status ) {
			$object = get_post_status_object( $status );
			$label  = $object ? $object->label : $status;
			printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( $status ), selected( $defaults['status'], $status, false ), esc_html( $label ) );
		}
		echo '</select></td></tr>';
		echo '<tr><th scope="row"><label for="kbjobs-author">' . esc_html__( 'Author', 'kb-jobs' ) . '</label></th><td>';
		wp_dropdown_users(
			array(
				'name'     => 'author',
				'id'       => 'kbjobs-author',
				'selected' => $defaults['author'],
				'who'      => 'authors',
			)
		);
		echo '</td></tr>';
		printf(
			'<tr><th scope="row"><label for="kbjobs-chunk">%1$s</label></th><td><input type="number" id="kbjobs-chunk" name="chunk_size" min="1" max="500" value="%2$d" class="small-text"><p class="description">%3$s</p></td></tr>',
			esc_html__( 'URLs per chunk', 'kb-jobs' ),
			(int) $defaults['chunk_size'],
			esc_html__( '1 to 500: written in one transaction (the pages after it are fetched meanwhile). The import can stop and resume between chunks.', 'kb-jobs' )
		);
		printf(
			'<tr><th scope="row"><label for="kbjobs-per-host">%1$s</label></th><td><input type="number" id="kbjobs-per-host" name="max_per_host" min="1" max="100" value="" placeholder="%2$d" class="small-text"><p class="description">%3$s</p></td></tr>',
			esc_html__( 'Requests at once per site', 'kb-jobs' ),
			(int) self::site_max_per_host(),
			esc_html__( 'Optional, 1 to 100: how many pages are fetched at once from one site (empty: the site setting shown). Raise it for your own servers far away; lower it for a fragile site. A site that answers 429 is slowed down on its own.', 'kb-jobs' )
		);
		printf(
			'<tr><th scope="row"><label for="kbjobs-ranges">%1$s</label></th><td><input type="number" id="kbjobs-ranges" name="ranges" min="1" max="64" value="%2$d" class="small-text"><p class="description">%3$s</p></td></tr>',
			esc_html__( 'Ranges', 'kb-jobs' ),
			(int) $defaults['ranges'],
			esc_html__( '1 to 64: a big list split into ranges that several runners import at once.', 'kb-jobs' )
		);
		printf(
			'<tr><th scope="row"><label for="kbjobs-key">%1$s</label></th><td><input type="text" id="kbjobs-key" name="unique_key" maxlength="191" class="regular-text" value=""><p class="description">%2$s</p></td></tr>',
			esc_html__( 'Key', 'kb-jobs' ),
			esc_html__( 'Optional. One import at a time per key; empty: the list\'s fingerprint, so the same list finds its earlier import.', 'kb-jobs' )
		);
		echo '</tbody></table>';
		submit_button( __( 'Check the list', 'kb-jobs' ), 'primary', 'kbjobs-check' );
		echo '<p class="description">' . esc_html__( 'Nothing is imported yet: the next page shows what the list holds and asks you to confirm.', 'kb-jobs' ) . '</p>';
		echo '</form>';
	}

	/**
	 * Step 2: the check's report and the confirmation.
	 *
	 * @param string              $upload The staged list.
	 * @param array<string,mixed> $state  What the check found.
	 */
	private function render_check( string $upload, array $state ): void {
		$check = $state['check'];
		echo '<h2>' . esc_html(
			sprintf(
				/* translators: %s: list name */
				__( 'Checked: %s', 'kb-jobs' ),
				$state['source']
			)
		) . '</h2>';
		echo '<p class="kbjobs-check-summary">' . esc_html( self::summary( $check ) ) . '</p>';
		if ( ! $check['valid'] ) {
			echo '<div class="notice notice-error inline kbjobs-check-error"><p>' . esc_html(
				sprintf(
					/* translators: %s: the engine's reason */
					__( 'This list cannot be imported: %s', 'kb-jobs' ),
					(string) $check['error']
				)
			) . '</p></div>';
		}
		$this->render_rejections( $check );
		$this->render_settings( $state );
		if ( $check['valid'] ) {
			echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="kbjobs-inline-form kbjobs-confirm">';
			echo KBJobs_Admin_Forms::fields( 'import.start' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
			echo '<input type="hidden" name="upload" value="' . esc_attr( $upload ) . '">';
			printf(
				'<button type="submit" class="button button-primary" id="kbjobs-start">%s</button> ',
				esc_html(
					sprintf(
						/* translators: %s: number of URLs */
						_n( 'Start the import of %s URL', 'Start the import of %s URLs', (int) $check['accepted'], 'kb-jobs' ),
						number_format_i18n( (int) $check['accepted'] )
					)
				)
			);
			echo '</form>';
		}
		$this->discard_form( $upload, $check['valid'] ? __( 'Cancel', 'kb-jobs' ) : __( 'Choose another list', 'kb-jobs' ) );
	}

	/**
	 * Step 3: an interrupted import holds the key.
	 *
	 * @param string              $upload The staged list.
	 * @param array<string,mixed> $state  The check, with the 409's data in 'existing'.
	 */
	private function render_existing( string $upload, array $state ): void {
		$e       = $state['existing'];
		$total   = (int) ( $e['progress_total'] ?? 0 );
		$done    = (int) ( $e['progress_done'] ?? 0 );
		$percent = $total > 0 ? (int) floor( 100 * min( 1, $done / $total ) ) : 0;
		$age     = isset( $e['checkpoint_age'] ) ? human_time_diff( 0, max( 1, (int) $e['checkpoint_age'] ) ) : __( 'some time', 'kb-jobs' );
		echo '<div class="notice notice-warning inline kbjobs-existing"><p><strong>' . esc_html(
			sprintf(
				/* translators: 1: percent done, 2: time since, e.g. "2 hours" */
				__( 'Incomplete job found (%1$d %%, %2$s ago)', 'kb-jobs' ),
				$percent,
				$age
			)
		) . '</strong></p><p>' . esc_html(
			sprintf(
				/* translators: 1: items done, 2: items in all */
				__( 'An import with this key stopped at %1$s of %2$s URLs. Resume it where it stopped, start it fresh from its first URL, or cancel and start nothing.', 'kb-jobs' ),
				number_format_i18n( $done ),
				number_format_i18n( $total )
			)
		) . '</p><p>';
		printf(
			'<a href="%1$s">%2$s</a>',
			esc_url( KBJobs_Admin::url( 'job', array( 'id' => (string) $e['job_id'] ) ) ),
			esc_html(
				sprintf(
					/* translators: %s: job id */
					__( 'Job %s', 'kb-jobs' ),
					(string) $e['job_id']
				)
			)
		);
		echo '</p></div>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="kbjobs-inline-form kbjobs-existing-form">';
		echo KBJobs_Admin_Forms::fields( 'import.start' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
		echo '<input type="hidden" name="upload" value="' . esc_attr( $upload ) . '">';
		echo '<button type="submit" name="existing" value="resume" class="button button-primary" id="kbjobs-resume">' . esc_html__( 'Resume', 'kb-jobs' ) . '</button> ';
		echo '<button type="submit" name="existing" value="fresh" class="button" id="kbjobs-fresh">' . esc_html__( 'Start fresh', 'kb-jobs' ) . '</button> ';
		echo '</form>';
		$this->discard_form( $upload, __( 'Cancel', 'kb-jobs' ) );
		$this->render_settings( $state );
	}

	/**
	 * A form that drops the staged list.
	 *
	 * @param string $upload The staged list.
	 * @param string $label  The button's text.
	 */
	private function discard_form( string $upload, string $label ): void {
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="kbjobs-inline-form kbjobs-discard">';
		echo KBJobs_Admin_Forms::fields( 'import.discard' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
		echo '<input type="hidden" name="upload" value="' . esc_attr( $upload ) . '">';
		echo '<button type="submit" class="button" id="kbjobs-cancel">' . esc_html( $label ) . '</button></form>';
	}

	/**
	 * The rejected lines, by number.
	 *
	 * @param array<string,mixed> $check Engine::checkList()'s report.
	 */
	private function render_rejections( array $check ): void {
		if ( empty( $check['rejections'] ) ) {
			if ( $check['valid'] ) {
				echo '<p class="kbjobs-no-rejections">' . esc_html__( 'No line was rejected.', 'kb-jobs' ) . '</p>';
			}
			return;
		}
		echo '<h3>' . esc_html__( 'Rejected lines', 'kb-jobs' ) . '</h3>';
		echo '<table class="widefat striped kbjobs-rejections"><thead><tr>';
		echo '<th scope="col" class="kbjobs-col-line">' . esc_html__( 'Line', 'kb-jobs' ) . '</th><th scope="col">' . esc_html__( 'Reason', 'kb-jobs' ) . '</th><th scope="col">' . esc_html__( 'Text', 'kb-jobs' ) . '</th>';
		echo '</tr></thead><tbody>';
		foreach ( $check['rejections'] as $r ) {
			printf(
				'<tr><td class="kbjobs-col-line">%1$s</td><td>%2$s</td><td><code>%3$s</code></td></tr>',
				esc_html( number_format_i18n( (int) $r['line'] ) ),
				esc_html( (string) $r['reason'] ),
				esc_html( (string) $r['excerpt'] )
			);
		}
		echo '</tbody></table>';
		if ( ! empty( $check['rejections_truncated'] ) ) {
			$more = (int) $check['rejected'] - count( $check['rejections'] );
			echo '<p>' . esc_html(
				sprintf(
					/* translators: %s: number of lines */
					_n( 'And %s more rejected line, not shown.', 'And %s more rejected lines, not shown.', $more, 'kb-jobs' ),
					number_format_i18n( $more )
				)
			) . '</p>';
		}
	}

	/**
	 * The settings the import will run with.
	 *
	 * @param array<string,mixed> $state The check.
	 */
	private function render_settings( array $state ): void {
		$p        = $state['params'];
		$author   = (int) $p['author'] > 0 ? get_userdata( (int) $p['author'] ) : false;
		$type     = get_post_type_object( (string) $p['post_type'] );
		$per_host = isset( $p['max_per_host'] ) ? number_format_i18n( (int) $p['max_per_host'] ) : sprintf(
			/* translators: %s: the number of requests at once per site */
			__( '%s (the site setting)', 'kb-jobs' ),
			number_format_i18n( self::site_max_per_host() )
		);
		$rows = array(
			__( 'How posts are written', 'kb-jobs' )     => self::sink_labels()[ $p['sink'] ] ?? $p['sink'],
			__( 'Post type', 'kb-jobs' )                 => $type ? $type->labels->singular_name : $p['post_type'],
			__( 'Status of new posts', 'kb-jobs' )       => get_post_status_object( (string) $p['status'] ) ? get_post_status_object( (string) $p['status'] )->label : $p['status'],
			__( 'Author', 'kb-jobs' )                    => $author ? $author->display_name : __( 'none', 'kb-jobs' ),
			__( 'URLs per chunk', 'kb-jobs' )            => number_format_i18n( (int) $p['chunk_size'] ),
			__( 'Requests at once per site', 'kb-jobs' ) => $per_host,
			__( 'Ranges', 'kb-jobs' )                    => number_format_i18n( (int) $p['ranges'] ),
			__( 'Key', 'kb-jobs' )                       => $state['options']['unique_key'],
		);
		echo '<h3>' . esc_html__( 'Settings', 'kb-jobs' ) . '</h3><table class="widefat striped kbjobs-import-settings"><tbody>';
		foreach ( $rows as $label => $value ) {
			printf( '<tr><th scope="row">%1$s</th><td>%2$s</td></tr>', esc_html( $label ), esc_html( (string) $value ) );
		}
		echo '</tbody></table>';
	}

	/**
	 * "8 lines: 5 URLs to import, 1 duplicate dropped, 2 lines rejected."
	 *
	 * @param array<string,mixed> $check The report.
	 * @return string
	 */
	private static function summary( array $check ): string {
		return sprintf(
			/* translators: 1: lines, 2: URLs accepted, 3: duplicates, 4: lines rejected */
			__( '%1$s lines: %2$s URLs to import, %3$s duplicates dropped, %4$s lines rejected.', 'kb-jobs' ),
			number_format_i18n( (int) $check['lines'] ),
			number_format_i18n( (int) $check['accepted'] ),
			number_format_i18n( (int) $check['duplicates'] ),
			number_format_i18n( (int) $check['rejected'] )
		);
	}

	/**
	 * The sink modes in words.
	 *
	 * @return array<string,string>
	 */
	private static function sink_labels(): array {
		return array(
			'compatible' => __( 'Compatible: wp_insert_post() for each page (every plugin\'s hooks run)', 'kb-jobs' ),
			'bulk'       => __( 'Bulk: a few statements per chunk (faster; no save_post hooks, no revisions)', 'kb-jobs' ),
		);
	}

	/**
	 * Post types an import may write: those with an admin screen, but attachments and
	 * import records.
	 *
	 * @return array<string,string> Name => label.
	 */
	private static function post_types(): array {
		$types = array();
		foreach ( get_post_types( array( 'show_ui' => true ), 'objects' ) as $name => $object ) {
			if ( in_array( $name, array( 'attachment', 'wp_block', 'wp_navigation', 'wp_template', 'wp_template_part', KBJobs_Post_Types::IMPORT_JOB ), true ) ) {
				continue;
			}
			$types[ $name ] = $object->labels->singular_name;
		}
		return $types;
	}

	/**
	 * Requests at once per site when an import does not say: KBJOBS_FETCH_MAX_PER_HOST, or
	 * the engine's default (6).
	 *
	 * @return int
	 */
	private static function site_max_per_host(): int {
		$settings = KBJobs_Settings::import_settings();
		return isset( $settings['max_per_host'] ) && is_int( $settings['max_per_host'] ) ? $settings['max_per_host'] : 6;
	}

	/**
	 * The settings' defaults.
	 *
	 * @return array<string,mixed>
	 */
	private static function defaults(): array {
		return array(
			'sink'       => 'compatible',
			'post_type'  => KBJobs_Post_Types::article_type(),
			'status'     => 'publish',
			'author'     => get_current_user_id(),
			'chunk_size' => 10,
			'ranges'     => 1,
		);
	}

	// ---- the forms (admin-post.php, through KBJobs_Admin_Forms) -----------------------

	/**
	 * Runs one of the screen's form operations.
	 *
	 * @param string $op import.check, import.start or import.discard.
	 * @return array|WP_Error A result for KBJobs_Admin_Forms (with where to go next).
	 */
	public static function form( string $op ) {
		switch ( $op ) {
			case 'import.check':
				return self::check();
			case 'import.start':
				return self::start();
			default:
				return self::discard();
		}
	}

	/**
	 * `import.check`: stages the posted list and checks it.
	 *
	 * @return array|WP_Error
	 */
	private static function check() {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- KBJobs_Admin_Forms::handle() checked it.
		$file   = isset( $_FILES['list_file'] ) && is_array( $_FILES['list_file'] ) ? $_FILES['list_file'] : null; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized,WordPress.Security.ValidatedSanitizedInput.MissingUnslash -- an upload: its temporary file is checked with is_uploaded_file() and read as a list; its name is sanitized below.
		$pasted = isset( $_POST['urls'] ) ? (string) wp_unslash( $_POST['urls'] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- URLs kept byte for byte for the engine, which validates every line; shown only escaped.
		// phpcs:enable
		$has_file = null !== $file && UPLOAD_ERR_NO_FILE !== (int) ( $file['error'] ?? UPLOAD_ERR_NO_FILE );
		$source   = $has_file ? sanitize_file_name( (string) ( $file['name'] ?? 'list.txt' ) ) : __( 'pasted URLs', 'kb-jobs' );
		return KBJobs_Action::run(
			'import.check',
			$source,
			static function () use ( $file, $pasted, $has_file, $source ) {
				$settings = self::posted_settings();
				if ( ! ( $has_file xor '' !== trim( $pasted ) ) ) {
					throw new \InvalidArgumentException( __( 'Upload a file or paste URLs (one of the two).', 'kb-jobs' ) );
				}
				$upload = self::stage( $has_file ? $file : null, $pasted );
				if ( is_wp_error( $upload ) ) {
					return $upload;
				}
				$path  = KBJobs_Uploads::path( $upload );
				$check = KBJobs_Engine::get()->checkList( $path );
				if ( '' === $settings['options']['unique_key'] ) {
					$settings['options']['unique_key'] = 'list:' . substr( (string) hash_file( 'sha256', $path ), 0, 40 );
				}
				set_transient(
					self::STATE . $upload,
					array(
						'user'    => get_current_user_id(),
						'source'  => $source,
						'check'   => $check,
						'params'  => $settings['params'],
						'options' => $settings['options'],
					),
					KBJobs_Uploads::TTL
				);
				return array(
					'upload'   => $upload,
					'quiet'    => true,
					'redirect' => KBJobs_Admin::url( 'import', array( 'upload' => $upload ) ),
					'audit'    => array(
						'upload'   => $upload,
						'valid'    => $check['valid'],
						'lines'    => $check['lines'],
						'accepted' => $check['accepted'],
						'rejected' => $check['rejected'],
					),
				);
			},
			array( 'source' => $source )
		);
	}

	/**
	 * `import.start`: imports the checked list (or answers the interrupted import's
	 * question with existing=resume|fresh).
	 *
	 * @return array|WP_Error
	 */
	private static function start() {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- KBJobs_Admin_Forms::handle() checked it.
		$upload   = isset( $_POST['upload'] ) ? sanitize_key( wp_unslash( $_POST['upload'] ) ) : '';
		$existing = isset( $_POST['existing'] ) ? sanitize_key( wp_unslash( $_POST['existing'] ) ) : '';
		// phpcs:enable
		$existing = in_array( $existing, array( 'resume', 'fresh' ), true ) ? $existing : '';
		if ( ! KBJobs_Access::can( KBJobs_Access::OPERATE ) ) {
			// Refused before anything is read (KBJobs_Actions_Imports::start() would too).
			KBJobs_Audit::record( 'import.start', $upload, 'denied', array( 'existing' => $existing ) );
			return KBJobs_Access::denied( KBJobs_Access::OPERATE );
		}
		$state = self::state( $upload );
		$path  = null === $state ? '' : KBJobs_Uploads::path( $upload );
		if ( '' === $path ) {
			return new WP_Error( 'kbjobs_not_found', __( 'That checked list is gone (it expires after a day, and is only yours): choose the list again.', 'kb-jobs' ), array( 'status' => 404 ) );
		}
		$result = KBJobs_Actions_Imports::start( $path, $state['params'], $state['options'], $state['source'], $existing );
		if ( is_wp_error( $result ) && 'kbjobs_interrupted_exists' === $result->get_error_code() ) {
			$state['existing'] = (array) $result->get_error_data();
			set_transient( self::STATE . $upload, $state, KBJobs_Uploads::TTL );
			return array(
				'quiet'    => true,
				'redirect' => KBJobs_Admin::url( 'import', array( 'upload' => $upload ) ),
			);
		}
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		KBJobs_Uploads::remove( $upload );
		delete_transient( self::STATE . $upload );
		$id = (string) $result['id'];
		if ( 'resume' === $existing ) {
			/* translators: %s: job id */
			$message = sprintf( __( 'Import %s resumes where it stopped.', 'kb-jobs' ), $id );
		} elseif ( 'fresh' === $existing ) {
			/* translators: %s: job id */
			$message = sprintf( __( 'Import %s starts again from its first URL.', 'kb-jobs' ), $id );
		} elseif ( ! empty( $result['existed'] ) ) {
			/* translators: 1: job id, 2: its status */
			$message = sprintf( __( 'This list is already being imported: import %1$s is %2$s.', 'kb-jobs' ), $id, KBJobs_Admin_Overview::status_label( (string) ( $result['job']['status'] ?? '' ) ) );
		} else {
			/* translators: 1: job id, 2: URLs, 3: duplicates, 4: rejected lines */
			$message = sprintf( __( 'Import %1$s submitted: %2$d URLs accepted, %3$d duplicates dropped, %4$d lines rejected.', 'kb-jobs' ), $id, $result['accepted'], $result['duplicates'], $result['rejected'] );
		}
		return array(
			'id'       => $id,
			'message'  => $message,
			'redirect' => KBJobs_Admin::url( 'job', array( 'id' => $id ) ),
		);
	}

	/**
	 * `import.discard`: drops the checked list; nothing is started.
	 *
	 * @return array|WP_Error
	 */
	private static function discard() {
		$upload = isset( $_POST['upload'] ) ? sanitize_key( wp_unslash( $_POST['upload'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- KBJobs_Admin_Forms::handle() checked it.
		return KBJobs_Action::run(
			'import.discard',
			$upload,
			static function () use ( $upload ) {
				if ( null !== self::state( $upload ) ) {
					KBJobs_Uploads::remove( $upload );
					delete_transient( self::STATE . $upload );
				}
				return array(
					'message'  => __( 'Nothing was started.', 'kb-jobs' ),
					'redirect' => KBJobs_Admin::url( 'import' ),
				);
			}
		);
	}

	/**
	 * The checked list's state, when it is the current user's; else null.
	 *
	 * @param string $upload The staged list's id.
	 * @return array<string,mixed>|null
	 */
	private static function state( string $upload ): ?array {
		if ( 1 !== preg_match( '/^[0-9a-f]{32}$/D', $upload ) ) {
			return null;
		}
		$state = get_transient( self::STATE . $upload );
		if ( ! is_array( $state ) || get_current_user_id() !== (int) $state['user'] || '' === KBJobs_Uploads::path( $upload ) ) {
			return null;
		}
		return $state;
	}

	/**
	 * The posted settings, checked: the import's params and its submit options.
	 *
	 * @return array{params:array<string,mixed>,options:array<string,mixed>}
	 * @throws \InvalidArgumentException When one is out of its range.
	 */
	private static function posted_settings(): array {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- KBJobs_Admin_Forms::handle() checked it.
		$d      = self::defaults();
		$sink   = isset( $_POST['sink'] ) ? sanitize_key( wp_unslash( $_POST['sink'] ) ) : $d['sink'];
		$type   = isset( $_POST['post_type'] ) ? sanitize_key( wp_unslash( $_POST['post_type'] ) ) : $d['post_type'];
		$status = isset( $_POST['status'] ) ? sanitize_key( wp_unslash( $_POST['status'] ) ) : $d['status'];
		$author = isset( $_POST['author'] ) ? absint( $_POST['author'] ) : $d['author'];
		$chunk  = isset( $_POST['chunk_size'] ) ? (int) $_POST['chunk_size'] : $d['chunk_size'];
		$ranges = isset( $_POST['ranges'] ) ? (int) $_POST['ranges'] : $d['ranges'];
		$host   = isset( $_POST['max_per_host'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['max_per_host'] ) ) ) : '';
		$key    = isset( $_POST['unique_key'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['unique_key'] ) ) ) : '';
		// phpcs:enable
		if ( ! in_array( $sink, self::SINKS, true ) ) {
			throw new \InvalidArgumentException( __( 'Choose how posts are written: compatible or bulk.', 'kb-jobs' ) );
		}
		if ( ! isset( self::post_types()[ $type ] ) ) {
			/* translators: %s: post type */
			throw new \InvalidArgumentException( sprintf( __( 'Post type %s cannot be imported into.', 'kb-jobs' ), $type ) );
		}
		if ( ! in_array( $status, self::STATUSES, true ) ) {
			throw new \InvalidArgumentException( __( 'The status must be publish, draft, pending or private.', 'kb-jobs' ) );
		}
		if ( $author > 0 && ! get_userdata( $author ) ) {
			throw new \InvalidArgumentException( __( 'That author does not exist.', 'kb-jobs' ) );
		}
		if ( $chunk < 1 || $chunk > 500 ) {
			throw new \InvalidArgumentException( __( 'URLs per chunk must be 1 to 500.', 'kb-jobs' ) );
		}
		if ( $ranges < 1 || $ranges > 64 ) {
			throw new \InvalidArgumentException( __( 'Ranges must be 1 to 64.', 'kb-jobs' ) );
		}
		if ( '' !== $host && ( ! ctype_digit( $host ) || (int) $host < 1 || (int) $host > 100 ) ) {
			throw new \InvalidArgumentException( __( 'Requests at once per site must be 1 to 100, or empty for the site setting.', 'kb-jobs' ) );
		}
		if ( strlen( $key ) > 191 ) {
			throw new \InvalidArgumentException( __( 'The key is at most 191 bytes.', 'kb-jobs' ) );
		}
		$params = array(
			'sink'       => $sink,
			'post_type'  => $type,
			'status'     => $status,
			'author'     => $author,
			'chunk_size' => $chunk,
			'ranges'     => $ranges,
		);
		if ( '' !== $host ) {
			$params['max_per_host'] = (int) $host;
		}
		return array(
			'params'  => $params,
			'options' => array( 'unique_key' => $key ),
		);
	}

	/**
	 * Stages the uploaded file (a .csv file as its URL column) or the pasted text.
	 *
	 * @param array|null $file   The $_FILES entry, or null.
	 * @param string     $pasted The pasted URLs.
	 * @return string|WP_Error The upload id.
	 */
	private static function stage( ?array $file, string $pasted ) {
		require_once ABSPATH . 'wp-admin/includes/file.php'; // wp_tempnam(), loaded by admin-post.php already.
		$tmp = '';
		if ( null !== $file ) {
			$code = (int) ( $file['error'] ?? UPLOAD_ERR_NO_FILE );
			if ( UPLOAD_ERR_INI_SIZE === $code || UPLOAD_ERR_FORM_SIZE === $code ) {
				return new WP_Error( 'kbjobs_upload_too_large', self::large_lists_text(), array( 'status' => 413 ) );
			}
			if ( UPLOAD_ERR_OK !== $code || empty( $file['tmp_name'] ) || ! is_uploaded_file( $file['tmp_name'] ) ) {
				/* translators: %d: PHP's upload error code */
				return new WP_Error( 'kbjobs_invalid', sprintf( __( 'The file did not arrive whole (upload error %d).', 'kb-jobs' ), $code ), array( 'status' => 400 ) );
			}
			$ext = strtolower( pathinfo( (string) $file['name'], PATHINFO_EXTENSION ) );
			if ( ! in_array( $ext, array( 'txt', 'csv', 'list', '' ), true ) ) {
				return new WP_Error( 'kbjobs_invalid', __( 'Upload a .txt or .csv file.', 'kb-jobs' ), array( 'status' => 400 ) );
			}
			$from = (string) $file['tmp_name'];
			if ( 'csv' === $ext ) {
				$tmp  = self::csv_to_list( $from );
				$from = $tmp;
			}
		} else {
			$tmp = wp_tempnam( 'kbjobs-list' );
			if ( false === file_put_contents( $tmp, $pasted ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_file_put_contents -- a private temporary file.
				wp_delete_file( $tmp );
				return new WP_Error( 'kbjobs_filesystem', __( 'The URLs could not be written to a temporary file.', 'kb-jobs' ), array( 'status' => 500 ) );
			}
			$from = $tmp;
		}
		$upload = KBJobs_Uploads::open();
		if ( ! is_wp_error( $upload ) ) {
			$appended = KBJobs_Uploads::append( $upload, 0, $from );
			if ( is_wp_error( $appended ) ) {
				KBJobs_Uploads::remove( $upload );
				$upload = $appended;
			}
		}
		if ( '' !== $tmp ) {
			wp_delete_file( $tmp );
		}
		return $upload;
	}

	/**
	 * A CSV file as a list: one line per row, the row's first cell that holds "://" (else
	 * its first cell), so line numbers stay row numbers; a first row without a URL (a
	 * header) becomes a comment.
	 *
	 * @param string $path The CSV file.
	 * @return string A temporary file (the caller removes it).
	 */
	private static function csv_to_list( string $path ): string {
		$tmp = wp_tempnam( 'kbjobs-csv' );
		// phpcs:disable WordPress.WP.AlternativeFunctions -- streams between private temporary files.
		$in  = fopen( $path, 'rb' );
		$out = fopen( $tmp, 'wb' );
		$row = 0;
		while ( $in && $out && false !== ( $cells = fgetcsv( $in, 0, ',', '"', '' ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition.FoundInWhileCondition
			++$row;
			$cells = array_map( 'strval', (array) $cells );
			$url   = null;
			foreach ( $cells as $cell ) {
				if ( false !== strpos( $cell, '://' ) ) {
					$url = $cell;
					break;
				}
			}
			if ( null === $url ) {
				$url = 1 === $row ? '# ' . implode( ',', $cells ) : (string) ( $cells[0] ?? '' );
			}
			fwrite( $out, str_replace( array( "\r", "\n" ), ' ', $url ) . "\n" );
		}
		if ( $in ) {
			fclose( $in );
		}
		if ( $out ) {
			fclose( $out );
		}
		// phpcs:enable
		return $tmp;
	}
}
