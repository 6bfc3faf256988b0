<?php
/**
 * What every dashboard screen shares: its slug and titles, the capability check, the
 * notices left by a form action, help tabs, and the page frame (a `.wrap` with the title
 * and a `<noscript>` note for the live parts). A screen renders its content and may add
 * help tabs and screen options in load().
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Base of the dashboard screens.
 */
abstract class KBJobs_Admin_Screen {

	/**
	 * The slug after "kbjobs-" in the page's URL ("overview" is the menu's own page).
	 *
	 * @return string
	 */
	abstract public function slug(): string;

	/**
	 * The page title.
	 *
	 * @return string
	 */
	abstract public function title(): string;

	/**
	 * Renders the content inside the frame.
	 */
	abstract protected function render(): void;

	/**
	 * The menu label.
	 *
	 * @return string
	 */
	public function menu_title(): string {
		return $this->title();
	}

	/**
	 * The capability the screen needs (its menu entry and the page).
	 *
	 * @return string
	 */
	public function capability(): string {
		return KBJobs_Access::VIEW;
	}

	/**
	 * Whether the screen has a menu entry (a detail page has none).
	 *
	 * @return bool
	 */
	public function in_menu(): bool {
		return true;
	}

	/**
	 * Whether the screen has live parts (a `<noscript>` note is shown).
	 *
	 * @return bool
	 */
	protected function is_live(): bool {
		return false;
	}

	/**
	 * The load-{hook} action: help tabs, screen options. Default: one help tab.
	 */
	public function load(): void {
		get_current_screen()->add_help_tab(
			array(
				'id'      => 'kbjobs-' . $this->slug(),
				'title'   => $this->title(),
				'content' => '<p>' . esc_html( $this->help() ) . '</p>',
			)
		);
		get_current_screen()->set_help_sidebar(
			'<p><strong>' . esc_html__( 'More', 'kb-jobs' ) . '</strong></p><p>' . esc_html__( 'wp kb --help lists the same actions on the command line; the REST API is kbjobs/v1.', 'kb-jobs' ) . '</p>'
		);
	}

	/**
	 * What the help tab says.
	 *
	 * @return string
	 */
	protected function help(): string {
		return '';
	}

	/**
	 * Enqueues what this screen needs beyond the shared script (nothing by default).
	 */
	public function enqueue(): void {
	}

	/**
	 * The page: capability check, frame, notices, content.
	 */
	public function render_page(): void {
		if ( ! current_user_can( $this->capability() ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to access this page.', 'kb-jobs' ), 403 );
		}
		echo '<div class="wrap kbjobs-wrap kbjobs-' . esc_attr( $this->slug() ) . '">';
		echo '<h1 class="wp-heading-inline">' . esc_html( $this->title() ) . '</h1>';
		$this->heading_actions();
		echo '<hr class="wp-header-end">';
		KBJobs_Admin_Forms::render_notice();
		if ( $this->is_live() ) {
			echo '<noscript><div class="notice notice-info inline"><p>' . esc_html__( 'This page updates itself with JavaScript; without it, reload the page to see changes.', 'kb-jobs' ) . '</p></div></noscript>';
		}
		$this->render();
		echo '</div>';
	}

	/**
	 * Buttons beside the title (none by default).
	 */
	protected function heading_actions(): void {
	}

	/**
	 * Whether the current user may act.
	 *
	 * @return bool
	 */
	protected function can_operate(): bool {
		return current_user_can( KBJobs_Access::OPERATE );
	}

	/**
	 * A time in the site's timezone, with UTC (ISO 8601) on hover.
	 *
	 * @param float|int|string|null $time A Unix time or an ISO 8601 UTC time; empty: "—".
	 * @return string HTML.
	 */
	public static function time_html( $time ): string {
		$unix = is_numeric( $time ) ? (float) $time : ( is_string( $time ) && '' !== $time ? (float) strtotime( $time ) : 0.0 );
		if ( $unix <= 0 ) {
			return '&mdash;';
		}
		$utc = gmdate( 'Y-m-d\TH:i:s\Z', (int) $unix );
		return sprintf(
			'<time datetime="%1$s" title="%1$s">%2$s</time>',
			esc_attr( $utc ),
			esc_html( wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) $unix ) )
		);
	}

	/**
	 * A progress bar.
	 *
	 * @param int $done  Items done.
	 * @param int $total Items in all (0: unknown).
	 * @return string HTML.
	 */
	public static function progress_html( int $done, int $total ): string {
		$percent = $total > 0 ? min( 100, (int) floor( 100 * $done / $total ) ) : 0;
		return sprintf(
			'<progress class="kbjobs-progress" max="100" value="%1$d" aria-label="%2$s">%1$d%%</progress> <span class="kbjobs-progress-text">%3$s</span>',
			$percent,
			/* translators: %d: percent done */
			esc_attr( sprintf( __( '%d%% done', 'kb-jobs' ), $percent ) ),
			esc_html( $total > 0 ? sprintf( '%s / %s', number_format_i18n( $done ), number_format_i18n( $total ) ) : number_format_i18n( $done ) )
		);
	}
}
