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
		'alert'         => 'KBJobs_CLI_Alert',
		'audit'         => 'KBJobs_CLI_Audit',
		'backlog'       => 'KBJobs_CLI_Backlog',
		'chain'         => 'KBJobs_CLI_Chain',
		'checkpoint'    => 'KBJobs_CLI_Checkpoint',
		'cleanup'       => 'KBJobs_CLI_Cleanup',
		'cron'          => 'KBJobs_CLI_Cron',
		'cron event'    => 'KBJobs_CLI_Cron_Event',
		'cron schedule' => 'KBJobs_CLI_Cron_Schedule',
		'dispatch'      => 'KBJobs_CLI_Dispatch',
		'failure'       => 'KBJobs_CLI_Failure',
		'import'        => 'KBJobs_CLI_Import',
		'import-job'    => 'KBJobs_CLI_Import_Job',
		'job'           => 'KBJobs_CLI_Job',
		'migrate'       => 'KBJobs_CLI_Migrate',
		'plan'          => 'KBJobs_CLI_Plan',
		'queue'         => 'KBJobs_CLI_Queue',
		'reconcile'     => 'KBJobs_CLI_Reconcile',
		'resource'      => 'KBJobs_CLI_Resource',
		'runner'        => 'KBJobs_CLI_Runner',
		'status'        => 'KBJobs_CLI_Status',
		'type'          => 'KBJobs_CLI_Type',
		'verify'        => 'KBJobs_CLI_Verify',
		'version'       => 'KBJobs_CLI_Version',
		'work'          => 'KBJobs_CLI_Work',
	);

	/**
	 * The kbjobs/v1 REST controllers.
	 */
	const REST_CONTROLLERS = array(
		'KBJobs_REST_Jobs',
		'KBJobs_REST_System',
		'KBJobs_REST_Failures',
		'KBJobs_REST_Interrupted',
		'KBJobs_REST_Imports',
		'KBJobs_REST_Audit',
		'KBJobs_REST_Waiting',
		'KBJobs_REST_Cron',
		'KBJobs_REST_Reconcile',
		'KBJobs_REST_Manifests',
		'KBJobs_REST_Chains',
		'KBJobs_REST_Backlogs',
	);

	/**
	 * Boots what needs the extension: the public functions (the fenced-transaction
	 * helper), the capabilities, plugin job types, the runner's WP-Cron schedule and
	 * tick, the daily cleanup, the REST API, the admin screens, the commands.
	 */
	public static function boot(): void {
		require_once __DIR__ . '/functions.php';
		KBJobs_Access::init();
		KBJobs_Audit::init();
		KBJobs_Types::init();
		KBJobs_Runner::init();
		KBJobs_Cron_Runner::init();
		KBJobs_Maintenance::init();
		KBJobs_Alerts::init();
		KBJobs_Reconcile::init();
		KBJobs_Cron::init();
		add_action( 'rest_api_init', array( self::class, 'register_routes' ) );
		add_filter( 'rest_json_encode_options', array( 'KBJobs_REST_Controller', 'json_options' ), 10, 2 );
		if ( is_admin() ) {
			KBJobs_Admin::init();
		}
		if ( defined( 'WP_CLI' ) && WP_CLI ) {
			self::register_commands();
		}
	}

	/**
	 * Registers the kbjobs/v1 routes.
	 */
	public static function register_routes(): void {
		foreach ( self::REST_CONTROLLERS as $class_name ) {
			( new $class_name() )->register_routes();
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
		KBJobs_Cron::deactivate();
	}

	/**
	 * Unschedules every WP-Cron event of the plugin: its hooks are named kbjobs_*
	 * (kbjobs_tick, kbjobs_daily), whatever their arguments.
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
