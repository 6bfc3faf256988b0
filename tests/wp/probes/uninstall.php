<?php
/**
 * Deletes KB Jobs the way WordPress does (uninstall_plugin(), which defines
 * WP_UNINSTALL_PLUGIN and includes the plugin's uninstall.php): in a PHP without the
 * kbjobs extension, with the plugin not loaded, as when an administrator deletes the
 * deactivated plugin. Run by UninstallTest; prints a JSON report.
 *
 * Environment: KBJOBS_PROBE_DATA_DIR, the data directory this process uses (the test
 * wp-config.php defines KBJOBS_DATA_DIR only when it is not yet defined);
 * KBJOBS_PROBE_REMOVE_ALL_DATA, when set, the value of KBJOBS_REMOVE_ALL_DATA ('1' true,
 * anything else false).
 */
$_SERVER['HTTP_HOST']   = parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_HOST ) . ':' . parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/wp-admin/plugins.php';

define( 'KBJOBS_DATA_DIR', (string) getenv( 'KBJOBS_PROBE_DATA_DIR' ) );
if ( false !== getenv( 'KBJOBS_PROBE_REMOVE_ALL_DATA' ) ) {
	define( 'KBJOBS_REMOVE_ALL_DATA', '1' === getenv( 'KBJOBS_PROBE_REMOVE_ALL_DATA' ) );
}

// The plugin is active on the test site, and is deleted only once inactive: this process
// does not load it. (WordPress turns a $wp_filter set before it loads into hooks.)
$wp_filter = array(
	'option_active_plugins' => array(
		10 => array(
			array(
				'function'      => static function ( $plugins ) {
					return array_values( array_diff( (array) $plugins, array( 'kb-jobs/kb-jobs.php' ) ) );
				},
				'accepted_args' => 1,
			),
		),
	),
);

require getenv( 'KBJOBS_WP_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$kbjobs_report = array(
	'extension_loaded' => extension_loaded( 'kbjobs' ),
	'plugin_loaded'    => defined( 'KBJOBS_PLUGIN_VERSION' ),
);
$kbjobs_report['uninstalled'] = uninstall_plugin( 'kb-jobs/kb-jobs.php' );
echo wp_json_encode( $kbjobs_report );
