<?php
/**
 * Loads the test WordPress in a PHP without kbjobs and reports, as JSON, what the
 * plugin did. Run by NoExtensionTest.
 *
 * With the argument `deactivate`, deactivates the plugin through WordPress's API instead,
 * reports whether its WP-Cron tick went with it, and activates it again.
 */
$_SERVER['HTTP_HOST']   = parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_HOST ) . ':' . parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/wp-admin/';
require getenv( 'KBJOBS_WP_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

if ( 'deactivate' === ( $argv[1] ?? '' ) ) {
	$kbjobs_plugin = 'kb-jobs/kb-jobs.php';
	$kbjobs_report = array(
		'extension_loaded'    => extension_loaded( 'kbjobs' ),
		'deactivation_hooked' => false !== has_action( 'deactivate_' . $kbjobs_plugin ),
		'tick_before'         => false !== wp_next_scheduled( 'kbjobs_tick' ),
	);
	deactivate_plugins( $kbjobs_plugin );
	$kbjobs_report['active_after_deactivation'] = is_plugin_active( $kbjobs_plugin );
	$kbjobs_report['tick_after_deactivation']   = false !== wp_next_scheduled( 'kbjobs_tick' );
	$kbjobs_result                              = activate_plugin( $kbjobs_plugin );
	$kbjobs_report['reactivated']               = null === $kbjobs_result && is_plugin_active( $kbjobs_plugin );
	$kbjobs_report['activation_error']          = is_wp_error( $kbjobs_result ) ? $kbjobs_result->get_error_message() : '';
	echo wp_json_encode( $kbjobs_report );
	exit;
}

// The developer API's answer: the WP_Error's code and message, or what it returned.
function kbjobs_api_error( $result ): array {
	return is_wp_error( $result )
		? array( 'code' => $result->get_error_code(), 'message' => $result->get_error_message() )
		: array( 'returned' => $result );
}

$notice_for = static function ( int $user_id ): string {
	wp_set_current_user( $user_id );
	ob_start();
	do_action( 'admin_notices' );
	return (string) ob_get_clean();
};

$subscriber = wp_insert_user(
	array(
		'user_login' => 'kbjobs_probe_' . wp_generate_password( 6, false ),
		'user_pass'  => wp_generate_password(),
		'role'       => 'subscriber',
	)
);

echo wp_json_encode(
	array(
		'extension_loaded'        => extension_loaded( 'kbjobs' ),
		'plugin_active'           => is_plugin_active( 'kb-jobs/kb-jobs.php' ),
		'admin_class_loaded'      => class_exists( 'KBJobs_Admin', false ),
		'article_type_registered' => post_type_exists( 'kb_article' ),
		'import_job_type_registered' => post_type_exists( 'kb_import_job' ),
		'notice'                  => $notice_for( 1 ),
		'notice_for_subscriber'   => $notice_for( $subscriber ),
		'enqueue'                 => kbjobs_api_error( kbjobs_enqueue( 'diag.echo' ) ),
		'enqueue_many'            => kbjobs_api_error( kbjobs_enqueue_many( array( array( 'type' => 'diag.echo' ) ) ) ),
		'register_type'           => kbjobs_api_error( kbjobs_register_type( 'probe.x', '__return_null' ) ),
		'site_health_tests'       => array_keys( apply_filters( 'site_status_tests', array( 'direct' => array(), 'async' => array() ) )['direct'] ),
		'site_health_extension'   => KBJobs_Site_Health::test_extension(),
	)
);

require_once ABSPATH . 'wp-admin/includes/user.php';
wp_delete_user( $subscriber );
