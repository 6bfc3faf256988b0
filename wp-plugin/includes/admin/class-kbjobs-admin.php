<?php
/**
 * The Operations dashboard: the "KB Jobs" menu and its screens. Each screen is a class
 * (KBJobs_Admin_Screen) listed in SCREENS; the menu shows only screens that exist. Every
 * screen needs kbjobs_view (Settings: kbjobs_operate); forms that act post to
 * admin-post.php (KBJobs_Admin_Forms), which checks kbjobs_operate and a nonce and calls
 * the same action layer as REST and `wp kb` (Settings posts to options.php). Scripts and styles are enqueued on these screens only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Registers the menu and routes each screen's load and render.
 */
final class KBJobs_Admin {

	const SLUG = 'kbjobs';

	/**
	 * The screens, in menu order: the first is the page the menu opens.
	 */
	const SCREENS = array(
		'KBJobs_Admin_Overview',
		'KBJobs_Admin_Active',
		'KBJobs_Admin_Waiting',
		'KBJobs_Admin_Interrupted',
		'KBJobs_Admin_Jobs',
		'KBJobs_Admin_Job',
		'KBJobs_Admin_Import',
		'KBJobs_Admin_Imports',
		'KBJobs_Admin_Builder',
		'KBJobs_Admin_Failures',
		'KBJobs_Admin_Queues',
		'KBJobs_Admin_Runners',
		'KBJobs_Admin_Resources',
		'KBJobs_Admin_Manifests',
		'KBJobs_Admin_Cron',
		'KBJobs_Admin_Health',
		'KBJobs_Admin_Settings',
	);

	/**
	 * Screen objects by their page hook.
	 *
	 * @var array<string,KBJobs_Admin_Screen>
	 */
	private static $screens = array();

	/**
	 * Hooks the menu, the forms and the assets.
	 */
	public static function init(): void {
		add_action( 'admin_menu', array( self::class, 'menu' ) );
		add_action( 'admin_enqueue_scripts', array( self::class, 'enqueue' ) );
		add_filter( 'set-screen-option', array( self::class, 'save_screen_option' ), 10, 3 );
		add_action( 'admin_notices', array( self::class, 'schema_notice' ) );
		KBJobs_Admin_Forms::init();
		KBJobs_Admin_Imports::init();
		KBJobs_Admin_Articles::init();
		KBJobs_Admin_Settings::init();
	}

	/**
	 * While the tables wait for `wp kb migrate` (an upgrade that moves rows, never done in
	 * a web request), operators see on every admin screen what to do: jobs do not run or
	 * submit until then.
	 */
	public static function schema_notice(): void {
		$behind = get_transient( KBJobs_Engine::BEHIND_TRANSIENT );
		if ( ! is_array( $behind ) || ! current_user_can( 'kbjobs_operate' ) ) {
			return;
		}
		printf(
			'<div class="notice notice-error"><p><strong>%s</strong> %s</p></div>',
			esc_html__( 'KB Jobs is waiting for its database upgrade.', 'kb-jobs' ),
			esc_html(
				sprintf(
					/* translators: 1: the stored schema version, 2: the version this code needs. */
					__( 'Its tables are at schema %1$d and this version needs %2$d, which moves rows: stop the runners, run `wp kb migrate`, then start them again. Until then no job runs or can be submitted.', 'kb-jobs' ),
					(int) ( $behind['version'] ?? 0 ),
					(int) ( $behind['oldest'] ?? 0 )
				)
			)
		);
	}

	/**
	 * The set-screen-option filter (WordPress asks it before the menu exists): our
	 * screens' "rows per page" options (kbjobs_*_per_page) are kept, from 1 to 1000.
	 *
	 * @param mixed  $keep   What to save (false: nothing).
	 * @param string $option The option.
	 * @param mixed  $value  The value given.
	 * @return mixed
	 */
	public static function save_screen_option( $keep, $option, $value ) {
		if ( 1 === preg_match( '/^kbjobs_[a-z_]+_per_page$/', (string) $option ) ) {
			return max( 1, min( 1000, (int) $value ) );
		}
		return $keep;
	}

	/**
	 * Adds KB Jobs and its screens.
	 */
	public static function menu(): void {
		$first = true;
		foreach ( self::SCREENS as $class_name ) {
			$screen = new $class_name();
			$slug   = $first ? self::SLUG : self::SLUG . '-' . $screen->slug();
			if ( $first ) {
				add_menu_page(
					__( 'KB Jobs Operations', 'kb-jobs' ),
					__( 'KB Jobs', 'kb-jobs' ),
					KBJobs_Access::VIEW,
					$slug,
					array( $screen, 'render_page' ),
					'dashicons-clock',
					58
				);
			}
			$hook = add_submenu_page(
				$screen->in_menu() ? self::SLUG : '',
				$screen->title(),
				$screen->menu_title(),
				$screen->capability(),
				$slug,
				array( $screen, 'render_page' )
			);
			if ( $hook ) {
				self::$screens[ $hook ] = $screen;
				add_action( 'load-' . $hook, array( $screen, 'load' ) );
			}
			$first = false;
		}
	}

	/**
	 * The admin URL of a screen.
	 *
	 * @param string $slug The screen's slug ('' for the Overview).
	 * @param array  $args Query args.
	 * @return string
	 */
	public static function url( string $slug = '', array $args = array() ): string {
		$page = '' === $slug || 'overview' === $slug ? self::SLUG : self::SLUG . '-' . $slug;
		return add_query_arg( array_merge( array( 'page' => $page ), $args ), admin_url( 'admin.php' ) );
	}

	/**
	 * Enqueues the dashboard's script and style on its screens only.
	 *
	 * @param string $hook The page hook.
	 */
	public static function enqueue( $hook ): void {
		if ( ! isset( self::$screens[ $hook ] ) ) {
			return;
		}
		$base = plugins_url( 'assets/', KBJOBS_PLUGIN_FILE );
		wp_enqueue_style( 'kbjobs-admin', $base . 'css/kbjobs-admin.css', array(), KBJOBS_PLUGIN_VERSION );
		wp_enqueue_script( 'kbjobs-admin', $base . 'js/kbjobs-admin.js', array( 'wp-api-fetch', 'wp-i18n' ), KBJOBS_PLUGIN_VERSION, true );
		wp_set_script_translations( 'kbjobs-admin', 'kb-jobs' );
		wp_localize_script(
			'kbjobs-admin',
			'kbjobsAdmin',
			array(
				'canOperate' => current_user_can( KBJobs_Access::OPERATE ),
				'timezone'   => wp_timezone_string(),
			)
		);
		self::$screens[ $hook ]->enqueue();
	}
}
