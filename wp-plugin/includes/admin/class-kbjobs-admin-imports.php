<?php
/**
 * Imports (KB Jobs › Imports): every import, newest first, a page at a time by the
 * engine's keyset cursor (KBJobs_Data_Imports::page): its list's name and numbers (lines,
 * accepted, rejected), what it did to posts (created, updated, unchanged, failed), its
 * status and progress, each linking to the import's job page. The `kb_import_job` post
 * type (one record per import) has no list of its own: its admin URLs lead here.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Imports screen.
 */
final class KBJobs_Admin_Imports extends KBJobs_Admin_Screen {

	const PER_PAGE = 20;

	/**
	 * Sends the import records' own admin screens here (see redirect_records()).
	 */
	public static function init(): void {
		add_action( 'admin_init', array( self::class, 'redirect_records' ) );
	}

	/**
	 * The admin_init action: the kb_import_job list (edit.php), a new record
	 * (post-new.php) and a record's edit screen (post.php) have no UI of their own (the
	 * type has show_ui off, so WordPress would answer "not allowed"): a user with
	 * kbjobs_view goes to this list, to the Import screen, or to the import's job page.
	 * Others get WordPress's own answer.
	 */
	public static function redirect_records(): void {
		global $pagenow;
		if ( ! in_array( $pagenow, array( 'edit.php', 'post-new.php', 'post.php' ), true ) || ! current_user_can( KBJobs_Access::VIEW ) ) {
			return;
		}
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- a redirect between views, nothing changes.
		$type = isset( $_GET['post_type'] ) ? sanitize_key( wp_unslash( $_GET['post_type'] ) ) : '';
		$post = isset( $_GET['post'] ) ? absint( $_GET['post'] ) : 0;
		// phpcs:enable
		$to = '';
		if ( 'edit.php' === $pagenow && KBJobs_Post_Types::IMPORT_JOB === $type ) {
			$to = KBJobs_Admin::url( 'imports' );
		} elseif ( 'post-new.php' === $pagenow && KBJobs_Post_Types::IMPORT_JOB === $type ) {
			$to = KBJobs_Admin::url( 'import' );
		} elseif ( 'post.php' === $pagenow && $post > 0 && KBJobs_Post_Types::IMPORT_JOB === get_post_type( $post ) ) {
			$job = (string) get_post_meta( $post, KBJobs_Import::META_JOB, true );
			$to  = KBJobs_Data_Jobs::is_id( $job ) ? KBJobs_Admin::url( 'job', array( 'id' => $job ) ) : KBJobs_Admin::url( 'imports' );
		}
		if ( '' !== $to ) {
			wp_safe_redirect( $to );
			exit;
		}
	}

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'imports';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Imports', 'kb-jobs' );
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'Every import, newest first: the list it came from and how many of its lines were URLs, what it did to posts (created, updated, unchanged since the last import, failed), and how far it is. Open an import for its progress, log and failed URLs. Lines are the list\'s lines (blank lines and comments included); accepted lines are the URLs it imports, duplicates dropped.', 'kb-jobs' );
	}

	/**
	 * "Import a list" beside the title, for a user who may.
	 */
	protected function heading_actions(): void {
		if ( $this->can_operate() ) {
			printf( ' <a href="%1$s" class="page-title-action">%2$s</a>', esc_url( KBJobs_Admin::url( 'import' ) ), esc_html__( 'Import a list', 'kb-jobs' ) );
		}
	}

	/**
	 * The list.
	 */
	protected function render(): void {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- a view's filter and page.
		$status = isset( $_GET['status'] ) ? sanitize_key( wp_unslash( $_GET['status'] ) ) : '';
		$cursor = isset( $_GET['cursor'] ) ? sanitize_text_field( wp_unslash( $_GET['cursor'] ) ) : '';
		// phpcs:enable
		if ( ! in_array( $status, KBJobs_Data_Jobs::STATUSES, true ) ) {
			$status = '';
		}
		$this->render_filter( $status );
		try {
			$page = KBJobs_Data_Imports::page(
				array_filter(
					array(
						'status' => $status,
						'limit'  => self::PER_PAGE,
						'cursor' => $cursor,
					)
				)
			);
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		$heads = array(
			'import'   => __( 'Import', 'kb-jobs' ),
			'source'   => __( 'List', 'kb-jobs' ),
			'started'  => __( 'Started', 'kb-jobs' ),
			'lines'    => __( 'Lines', 'kb-jobs' ),
			'accepted' => __( 'Accepted', 'kb-jobs' ),
			'rejected' => __( 'Rejected', 'kb-jobs' ),
			'posts'    => __( 'Created / updated / unchanged / failed', 'kb-jobs' ),
			'status'   => __( 'Status', 'kb-jobs' ),
			'progress' => __( 'Progress', 'kb-jobs' ),
		);
		echo '<table class="wp-list-table widefat fixed striped kbjobs-imports"><thead><tr>';
		foreach ( $heads as $key => $label ) {
			printf( '<th scope="col" class="column-%1$s">%2$s</th>', esc_attr( $key ), esc_html( $label ) );
		}
		echo '</tr></thead><tbody>';
		if ( ! $page['imports'] ) {
			echo '<tr class="no-items"><td colspan="' . count( $heads ) . '">' . esc_html__( 'No imports yet.', 'kb-jobs' ) . '</td></tr>';
		}
		foreach ( $page['imports'] as $import ) {
			$this->render_row( $import );
		}
		echo '</tbody></table>';
		$this->render_pages( $status, $cursor, $page['next_cursor'] );
	}

	/**
	 * One import.
	 *
	 * @param array<string,mixed> $import From KBJobs_Data_Imports::page().
	 */
	private function render_row( array $import ): void {
		$list    = is_array( $import['list'] ) ? $import['list'] : array();
		$metrics = is_array( $import['metrics'] ) ? $import['metrics'] : array();
		$number  = static function ( $n ): string {
			return null === $n ? '—' : number_format_i18n( (int) $n );
		};
		$posts   = implode(
			' / ',
			array_map(
				static function ( $key ) use ( $metrics, $number ) {
					return $number( $metrics[ $key ] ?? 0 );
				},
				array( 'created', 'updated', 'unchanged', 'failed' )
			)
		);
		echo '<tr data-kbjobs-import="' . esc_attr( $import['id'] ) . '">';
		printf(
			'<td class="column-import"><a href="%1$s"><code>%2$s</code></a>%3$s</td>',
			esc_url( KBJobs_Admin::url( 'job', array( 'id' => $import['id'] ) ) ),
			esc_html( $import['id'] ),
			empty( $import['rerun_of'] ) ? '' : '<br><small>' . esc_html(
				sprintf(
					/* translators: %s: job id */
					__( 'again after %s', 'kb-jobs' ),
					$import['rerun_of']
				)
			) . '</small>'
		);
		printf( '<td class="column-source">%s</td>', esc_html( '' !== $import['source'] ? $import['source'] : '—' ) );
		printf( '<td class="column-started">%s</td>', self::time_html( $import['created_at'] ) ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- time_html() escapes.
		printf( '<td class="column-lines">%s</td>', esc_html( $number( $list['lines'] ?? null ) ) );
		printf( '<td class="column-accepted">%s</td>', esc_html( $number( $list['accepted'] ?? $import['progress_total'] ) ) );
		printf( '<td class="column-rejected">%s</td>', esc_html( $number( $list['rejected'] ?? null ) ) );
		printf( '<td class="column-posts">%s</td>', esc_html( $posts ) );
		printf(
			'<td class="column-status"><span class="kbjobs-status kbjobs-status-%1$s">%2$s</span></td>',
			esc_attr( $import['status'] ),
			esc_html( KBJobs_Admin_Overview::status_label( (string) $import['status'] ) )
		);
		// Before it first runs an import's total is its accepted URLs.
		$total = (int) $import['progress_total'] > 0 ? (int) $import['progress_total'] : (int) ( $list['accepted'] ?? 0 );
		printf( '<td class="column-progress">%s</td>', self::progress_html( (int) $import['progress_done'], $total ) ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- progress_html() escapes.
		echo '</tr>';
	}

	/**
	 * The status filter (a plain GET form).
	 *
	 * @param string $status The status shown ('' for all).
	 */
	private function render_filter( string $status ): void {
		echo '<form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '" class="kbjobs-filter">';
		echo '<input type="hidden" name="page" value="' . esc_attr( KBJobs_Admin::SLUG . '-imports' ) . '">';
		echo '<label for="kbjobs-imports-status">' . esc_html__( 'Status', 'kb-jobs' ) . '</label> <select id="kbjobs-imports-status" name="status">';
		echo '<option value="">' . esc_html__( 'All', 'kb-jobs' ) . '</option>';
		foreach ( KBJobs_Data_Jobs::STATUSES as $s ) {
			printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( $s ), selected( $status, $s, false ), esc_html( KBJobs_Admin_Overview::status_label( $s ) ) );
		}
		echo '</select> ';
		submit_button( __( 'Filter', 'kb-jobs' ), 'secondary', '', false );
		echo '</form>';
	}

	/**
	 * First page and next page links (the engine's cursor: no page numbers, no count).
	 *
	 * @param string      $status The filter.
	 * @param string      $cursor This page's cursor ('' for the first).
	 * @param string|null $next   The next page's cursor, or null after the last.
	 */
	private function render_pages( string $status, string $cursor, ?string $next ): void {
		$args = array_filter( array( 'status' => $status ) );
		echo '<div class="tablenav bottom"><div class="tablenav-pages">';
		if ( '' !== $cursor ) {
			printf( '<a class="button kbjobs-first-page" href="%1$s">%2$s</a> ', esc_url( KBJobs_Admin::url( 'imports', $args ) ), esc_html__( '« Newest', 'kb-jobs' ) );
		}
		if ( null !== $next && '' !== $next ) {
			printf( '<a class="button kbjobs-next-page" href="%1$s">%2$s</a>', esc_url( KBJobs_Admin::url( 'imports', $args + array( 'cursor' => $next ) ) ), esc_html__( 'Older ›', 'kb-jobs' ) );
		}
		echo '</div></div>';
	}
}
