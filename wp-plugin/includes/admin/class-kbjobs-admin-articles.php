<?php
/**
 * The imported post type's own list (edit.php, kb_article by default), for users with
 * kbjobs_view: columns for each post's source URL, fetched time (in the site's timezone,
 * UTC on hover), HTTP status and the import it came from, read from the engine's artifact
 * index with one call per page of posts (Engine::postSources(), never a meta key per
 * row); a filter by import, whose posts come a page at a time from the index
 * (Engine::importPostIds(), by post id); and, for users with kbjobs_operate, a "Re-fetch"
 * row action that imports the post's URL again as a one-URL import (the sink updates the
 * same post) through the action layer.
 *
 * The row action's button belongs to one form printed after the list (the `form`
 * attribute): the list is itself a form, and forms do not nest.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The KB Articles list's columns, filter and row action.
 */
final class KBJobs_Admin_Articles {

	const FILTER = 'kbjobs_import';
	const CURSOR = 'kbjobs_after';
	const FORM   = 'kbjobs-refetch-form';

	/**
	 * Sources of the posts on this page, by post id (null until read).
	 *
	 * @var array<int,array<string,mixed>>|null
	 */
	private static $sources = null;

	/**
	 * The filter's next page (the engine's cursor), or null.
	 *
	 * @var int|null
	 */
	private static $next = null;

	/**
	 * The import filtered by, or ''.
	 *
	 * @var string
	 */
	private static $import = '';

	/**
	 * Hooks the list's screen.
	 */
	public static function init(): void {
		add_action( 'load-edit.php', array( self::class, 'load' ) );
	}

	/**
	 * The load-edit.php action: on the imported type's list, for a user with kbjobs_view.
	 */
	public static function load(): void {
		global $typenow;
		$type = KBJobs_Post_Types::article_type();
		if ( $typenow !== $type || ! current_user_can( KBJobs_Access::VIEW ) ) {
			return;
		}
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- a view's filter.
		$import       = isset( $_GET[ self::FILTER ] ) ? sanitize_key( wp_unslash( $_GET[ self::FILTER ] ) ) : '';
		self::$import = KBJobs_Data_Jobs::is_id( $import ) ? $import : '';
		// phpcs:enable
		add_filter( "manage_{$type}_posts_columns", array( self::class, 'columns' ) );
		add_action( "manage_{$type}_posts_custom_column", array( self::class, 'column' ), 10, 2 );
		add_action( 'restrict_manage_posts', array( self::class, 'filter_control' ), 10, 2 );
		add_action( 'pre_get_posts', array( self::class, 'filter_query' ) );
		add_filter( 'post_row_actions', array( self::class, 'row_actions' ), 10, 2 );
		add_action( 'admin_notices', array( self::class, 'notices' ) );
		add_action( 'admin_footer', array( self::class, 'refetch_form' ) );
		add_action( 'admin_head', array( self::class, 'styles' ) );
		get_current_screen()->add_help_tab(
			array(
				'id'      => 'kbjobs-articles',
				'title'   => __( 'Imported from', 'kb-jobs' ),
				'content' => '<p>' . esc_html__( 'Source URL, Fetched, HTTP and Import come from the import that wrote each post (credentials in URLs are shown as ***). Filter by import to list the posts an import made or last wrote, by post id, a page at a time. Re-fetch imports a post\'s URL again and writes it even when unchanged: its artifact file and the same post (status and author kept) are written again.', 'kb-jobs' ) . '</p>',
			)
		);
	}

	/**
	 * The columns, after the title.
	 *
	 * @param array<string,string> $columns The list's columns.
	 * @return array<string,string>
	 */
	public static function columns( array $columns ): array {
		$ours = array(
			'kbjobs_source'  => __( 'Source URL', 'kb-jobs' ),
			'kbjobs_fetched' => __( 'Fetched', 'kb-jobs' ),
			'kbjobs_http'    => __( 'HTTP', 'kb-jobs' ),
			'kbjobs_import'  => __( 'Import', 'kb-jobs' ),
		);
		$out  = array();
		foreach ( $columns as $key => $label ) {
			$out[ $key ] = $label;
			if ( 'title' === $key ) {
				$out += $ours;
			}
		}
		return $out + $ours;
	}

	/**
	 * One cell.
	 *
	 * @param string $column  The column.
	 * @param int    $post_id The post.
	 */
	public static function column( $column, $post_id ): void {
		if ( 0 !== strpos( (string) $column, 'kbjobs_' ) ) {
			return;
		}
		$s = self::sources()[ (int) $post_id ] ?? null;
		if ( null === $s ) {
			echo '<span aria-hidden="true">&mdash;</span><span class="screen-reader-text">' . esc_html__( 'Not imported', 'kb-jobs' ) . '</span>';
			return;
		}
		switch ( $column ) {
			case 'kbjobs_source':
				printf( '<a href="%1$s" class="kbjobs-source-url" rel="noopener noreferrer nofollow">%2$s</a>', esc_url( $s['url'] ), esc_html( $s['url'] ) );
				break;
			case 'kbjobs_fetched':
				echo KBJobs_Admin_Screen::time_html( $s['fetched_at'] ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- time_html() escapes.
				break;
			case 'kbjobs_http':
				$code = (int) $s['http_status'];
				$text = $code > 0 ? (string) $code : '—';
				printf( '<span class="kbjobs-http kbjobs-http-%1$s">%2$s</span>', esc_attr( (string) intdiv( $code, 100 ) ), esc_html( $text ) );
				break;
			case 'kbjobs_import':
				self::import_cell( $s );
				break;
		}
	}

	/**
	 * The Import cell: the import that last wrote the post (linked to its job page, and
	 * to the list filtered by it), and the one that made it when that is another.
	 *
	 * @param array<string,mixed> $s The post's source.
	 */
	private static function import_cell( array $s ): void {
		$last    = (string) ( $s['import_id'] ?? '' );
		$created = (string) ( $s['created_import'] ?? '' );
		if ( '' === $last ) {
			echo '&mdash;';
			return;
		}
		printf(
			'<a href="%1$s" class="kbjobs-import-link"><code>%2$s</code></a>',
			esc_url( KBJobs_Admin::url( 'job', array( 'id' => $last ) ) ),
			esc_html( $last )
		);
		if ( '' !== $created && $created !== $last ) {
			printf(
				'<br><small>%1$s <a href="%2$s"><code>%3$s</code></a></small>',
				esc_html__( 'made by', 'kb-jobs' ),
				esc_url( KBJobs_Admin::url( 'job', array( 'id' => $created ) ) ),
				esc_html( $created )
			);
		}
		printf(
			'<div class="row-actions visible"><a href="%1$s">%2$s</a></div>',
			esc_url(
				add_query_arg(
					array(
						'post_type'  => KBJobs_Post_Types::article_type(),
						self::FILTER => $last,
					),
					admin_url( 'edit.php' )
				)
			),
			esc_html__( 'Posts of this import', 'kb-jobs' )
		);
	}

	/**
	 * The sources of the posts on this page: one engine call for the whole page.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	private static function sources(): array {
		global $wp_query;
		if ( null !== self::$sources ) {
			return self::$sources;
		}
		self::$sources = array();
		$ids           = array();
		foreach ( (array) ( $wp_query->posts ?? array() ) as $post ) {
			$ids[] = (int) ( is_object( $post ) ? $post->ID : $post );
		}
		$ids = array_values( array_filter( array_unique( $ids ) ) );
		if ( $ids ) {
			try {
				foreach ( array_chunk( $ids, 1000 ) as $chunk ) {
					self::$sources += KBJobs_Engine::get()->postSources( $chunk );
				}
			} catch ( \Throwable $e ) {
				self::$sources = array();
			}
		}
		return self::$sources;
	}

	/**
	 * The filter by import, beside WordPress's own filters.
	 *
	 * @param string $post_type The list's post type.
	 * @param string $which     'top' or 'bottom'.
	 */
	public static function filter_control( $post_type, $which = 'top' ): void {
		if ( 'top' !== $which ) {
			return;
		}
		$imports = array();
		try {
			foreach ( KBJobs_Data_Imports::page( array( 'limit' => 50 ) )['imports'] as $import ) {
				$imports[ $import['id'] ] = $import;
			}
		} catch ( \Throwable $e ) {
			$imports = array();
		}
		echo '<label class="screen-reader-text" for="kbjobs-import-filter">' . esc_html__( 'Filter by import', 'kb-jobs' ) . '</label>';
		echo '<select name="' . esc_attr( self::FILTER ) . '" id="kbjobs-import-filter">';
		echo '<option value="">' . esc_html__( 'All imports', 'kb-jobs' ) . '</option>';
		if ( '' !== self::$import && ! isset( $imports[ self::$import ] ) ) {
			/* translators: %s: job id */
			printf( '<option value="%1$s" selected>%2$s</option>', esc_attr( self::$import ), esc_html( sprintf( __( 'Import %s', 'kb-jobs' ), self::$import ) ) );
		}
		foreach ( $imports as $id => $import ) {
			$when  = $import['created_at'] ? wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) strtotime( $import['created_at'] ) ) : '';
			$name  = '' !== $import['source'] ? $import['source'] : $id;
			$label = sprintf( '%s — %s (%s)', $name, $when, $id );
			printf(
				'<option value="%1$s"%2$s>%3$s</option>',
				esc_attr( $id ),
				selected( self::$import, $id, false ),
				esc_html( $label )
			);
		}
		echo '</select>';
	}

	/**
	 * The pre_get_posts action: with the filter, the list's main query is the page of the
	 * import's posts the engine gives (by post id, from the cursor), nothing else.
	 *
	 * @param WP_Query $query The query.
	 */
	public static function filter_query( $query ): void {
		if ( '' === self::$import || ! $query->is_main_query() ) {
			return;
		}
		$per_page = (int) get_user_option( 'edit_' . KBJobs_Post_Types::article_type() . '_per_page' );
		$per_page = $per_page > 0 ? min( 999, $per_page ) : 20;
		$after    = isset( $_GET[ self::CURSOR ] ) ? absint( $_GET[ self::CURSOR ] ) : 0; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a view's page.
		try {
			$page = KBJobs_Engine::get()->importPostIds( self::$import, 'any', $after, $per_page );
		} catch ( \Throwable $e ) {
			$page = array(
				'post_ids'    => array(),
				'next_cursor' => null,
			);
		}
		self::$next = $page['next_cursor'];
		$query->set( 'post__in', $page['post_ids'] ? $page['post_ids'] : array( 0 ) );
		$query->set( 'orderby', 'post__in' );
		$query->set( 'order', 'ASC' );
		$query->set( 'posts_per_page', $per_page );
		$query->set( 'paged', 1 );
	}

	/**
	 * What the filter shows, and its next page.
	 */
	public static function notices(): void {
		KBJobs_Admin_Forms::render_notice();
		if ( '' === self::$import ) {
			return;
		}
		$base = add_query_arg(
			array(
				'post_type'  => KBJobs_Post_Types::article_type(),
				self::FILTER => self::$import,
			),
			admin_url( 'edit.php' )
		);
		echo '<div class="notice notice-info kbjobs-import-filter-notice"><p>';
		echo esc_html(
			sprintf(
				/* translators: %s: job id */
				__( 'Posts that import %s made or last wrote, by post id.', 'kb-jobs' ),
				self::$import
			)
		);
		printf( ' <a href="%1$s">%2$s</a>', esc_url( KBJobs_Admin::url( 'job', array( 'id' => self::$import ) ) ), esc_html__( 'The import', 'kb-jobs' ) );
		if ( isset( $_GET[ self::CURSOR ] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a view's page.
			printf( ' | <a href="%1$s">%2$s</a>', esc_url( $base ), esc_html__( 'First page', 'kb-jobs' ) );
		}
		if ( null !== self::$next ) {
			printf( ' | <a href="%1$s" class="kbjobs-next-page">%2$s</a>', esc_url( add_query_arg( self::CURSOR, (int) self::$next, $base ) ), esc_html__( 'Next page', 'kb-jobs' ) );
		}
		echo '</p></div>';
	}

	/**
	 * "Re-fetch" under an imported post's title, for a user who may.
	 *
	 * @param array<string,string> $actions The row's actions.
	 * @param WP_Post              $post    The post.
	 * @return array<string,string>
	 */
	public static function row_actions( $actions, $post ) {
		if ( ! current_user_can( KBJobs_Access::OPERATE ) || ! isset( self::sources()[ (int) $post->ID ] ) ) {
			return $actions;
		}
		$actions['kbjobs_refetch'] = sprintf(
			'<button type="submit" form="%1$s" name="post" value="%2$d" class="button-link kbjobs-refetch" aria-label="%3$s">%4$s</button>',
			esc_attr( self::FORM ),
			(int) $post->ID,
			/* translators: %s: post title */
			esc_attr( sprintf( __( 'Fetch “%s” again from its source', 'kb-jobs' ), get_the_title( $post ) ) ),
			esc_html__( 'Re-fetch', 'kb-jobs' )
		);
		return $actions;
	}

	/**
	 * The one form the Re-fetch buttons submit (outside the list's own form).
	 */
	public static function refetch_form(): void {
		if ( ! current_user_can( KBJobs_Access::OPERATE ) ) {
			return;
		}
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" id="' . esc_attr( self::FORM ) . '" class="kbjobs-inline-form">';
		echo KBJobs_Admin_Forms::fields( 'import.refetch' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
		echo '</form>';
	}

	/**
	 * Column widths.
	 */
	public static function styles(): void {
		echo '<style>.fixed .column-kbjobs_source{width:22%;word-break:break-all}.fixed .column-kbjobs_fetched{width:11%}.fixed .column-kbjobs_http{width:4em}.fixed .column-kbjobs_import{width:15%}.kbjobs-http-4,.kbjobs-http-5{color:#b32d2e}</style>';
	}

	/**
	 * `import.refetch`: imports an imported post's source URL again, as a one-URL import
	 * with the post's type (the sink finds the same post through the artifact index),
	 * through KBJobs_Reconcile_Repair::refetch_urls(): the engine's `rewrite` param
	 * writes the artifact and the post even when the page is unchanged. A URL that had credentials is refused: the index keeps it without
	 * them, so only its original list can fetch it.
	 *
	 * @param int $post_id The post.
	 * @return array|WP_Error
	 */
	public static function refetch( int $post_id ) {
		return KBJobs_Action::run(
			'import.refetch',
			'post:' . $post_id,
			static function () use ( $post_id ) {
				$post = get_post( $post_id );
				if ( ! $post || KBJobs_Post_Types::article_type() !== $post->post_type ) {
					/* translators: %d: post id */
					throw new \InvalidArgumentException( sprintf( __( 'Post %d is not an imported article.', 'kb-jobs' ), $post_id ) );
				}
				$source = KBJobs_Engine::get()->postSources( array( $post_id ) )[ $post_id ] ?? null;
				if ( null === $source ) {
					/* translators: %d: post id */
					throw new \KBJobs\NotFoundException( sprintf( __( 'Post %d was not imported: it has no source URL.', 'kb-jobs' ), $post_id ) );
				}
				if ( false !== strpos( (string) $source['url'], '***@' ) ) {
					throw new \InvalidArgumentException( __( 'This post\'s URL had credentials, which are not kept with it: import it again from its list.', 'kb-jobs' ) );
				}
				$report = KBJobs_Reconcile_Repair::refetch_urls(
					array( (string) $source['url'] ),
					/* translators: %d: post id */
					sprintf( __( 'Re-fetch of post %d', 'kb-jobs' ), $post_id ),
					array(
						'chunk_size' => 1,
						'post_type'  => $post->post_type,
						'status'     => in_array( $post->post_status, KBJobs_Admin_Import::STATUSES, true ) ? $post->post_status : 'draft',
						'author'     => (int) $post->post_author,
					),
					array( 'unique_key' => 'refetch:' . $post_id )
				);
				$after = KBJobs_Actions_Jobs::after_submit( $report['id'], 'resume' );
				if ( is_wp_error( $after ) ) {
					return $after;
				}
				return array(
					'id'      => $report['id'],
					'message' => sprintf(
						/* translators: 1: post title, 2: job id */
						__( 'Fetching “%1$s” again: import %2$s.', 'kb-jobs' ),
						get_the_title( $post ),
						$report['id']
					),
					'audit'   => array(
						'job_id' => $report['id'],
						'url'    => $source['url'],
					),
				);
			}
		);
	}
}
