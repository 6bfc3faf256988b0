<?php
/**
 * The plugin's parts and their lifecycle: kb-jobs.php registers the post types and the
 * activation and deactivation hooks whatever happens to the extension, then, once the
 * requirements are met, calls boot().
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Boots the plugin's parts; activation and deactivation.
 */
final class KBJobs_Plugin {

	/**
	 * The `wp kb` commands, by noun: one class per command under includes/cli/.
	 */
	const COMMANDS = array(
		'import'  => 'KBJobs_CLI_Import',
		'job'     => 'KBJobs_CLI_Job',
		'version' => 'KBJobs_CLI_Version',
		'work'    => 'KBJobs_CLI_Work',
	);

	/**
	 * Boots what needs the extension: the public functions (the fenced-transaction
	 * helper), the runner's WP-Cron schedule and tick, the admin screens, the commands.
	 */
	public static function boot(): void {
		require_once __DIR__ . '/functions.php';
		KBJobs_Runner::init();
		if ( is_admin() ) {
			KBJobs_Admin::init();
		}
		if ( defined( 'WP_CLI' ) && WP_CLI ) {
			self::register_commands();
		}
	}

	/**
	 * Registers `wp kb` and its commands.
	 */
	private static function register_commands(): void {
		WP_CLI::add_command( 'kb', 'KBJobs_CLI_Namespace' );
		foreach ( self::COMMANDS as $noun => $class_name ) {
			WP_CLI::add_command( 'kb ' . $noun, $class_name );
		}
	}

	/**
	 * Activation: the post types' rewrite rules. Works without the extension.
	 */
	public static function activate(): void {
		KBJobs_Post_Types::activate();
	}

	/**
	 * Deactivation: no plugin event stays scheduled. Works without the extension, so a
	 * site whose extension broke can still switch the plugin off cleanly.
	 */
	public static function deactivate(): void {
		self::clear_scheduled_events();
	}

	/**
	 * Unschedules every WP-Cron event of the plugin: its hooks are named kbjobs_*
	 * (kbjobs_tick today), whatever their arguments.
	 */
	public static function clear_scheduled_events(): void {
		$crons = _get_cron_array();
		$hooks = array();
		foreach ( is_array( $crons ) ? $crons : array() as $events ) {
			foreach ( array_keys( $events ) as $hook ) {
				if ( 0 === strpos( (string) $hook, 'kbjobs_' ) ) {
					$hooks[ $hook ] = true;
				}
			}
		}
		foreach ( array_keys( $hooks ) as $hook ) {
			wp_unschedule_hook( $hook );
		}
	}
}
