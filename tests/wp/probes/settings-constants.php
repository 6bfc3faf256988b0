<?php
/**
 * Defines a constant for every setting of KBJobs_Settings (a constant cannot be undefined,
 * so this runs in its own process), saves a different option for each, then loads the
 * test WordPress and reports, as JSON, what KBJobs_Settings and the Settings screen make
 * of them. Run by SettingsTest; restores the options it changed.
 *
 * The values are the arguments' JSON: { "constants": {KEY: value}, "options": {key: value} }.
 */
$_SERVER['HTTP_HOST']   = parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_HOST ) . ':' . parse_url( getenv( 'KBJOBS_WP_URL' ), PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/wp-admin/';
$kbjobs_probe           = json_decode( (string) ( $argv[1] ?? '{}' ), true );
foreach ( $kbjobs_probe['constants'] as $kbjobs_name => $kbjobs_value ) {
	define( $kbjobs_name, $kbjobs_value );
}
require getenv( 'KBJOBS_WP_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/template.php';

$kbjobs_saved = array();
foreach ( $kbjobs_probe['options'] as $kbjobs_key => $kbjobs_value ) {
	$kbjobs_option                  = KBJobs_Settings::option_name( $kbjobs_key );
	$kbjobs_saved[ $kbjobs_option ] = get_option( $kbjobs_option, null );
	update_option( $kbjobs_option, $kbjobs_value );
}

$kbjobs_report = array();
KBJobs_Admin_Settings::register();
// What options.php would do with a form that changes every field.
$_POST['option_page'] = KBJobs_Admin_Settings::GROUP;
foreach ( array_keys( KBJobs_Settings::KEYS ) as $kbjobs_key ) {
	ob_start();
	KBJobs_Admin_Settings::render_field( array( 'key' => $kbjobs_key ) );
	$kbjobs_html                  = (string) ob_get_clean();
	$kbjobs_option                = KBJobs_Settings::option_name( $kbjobs_key );
	$kbjobs_report[ $kbjobs_key ] = array(
		'value'            => KBJobs_Settings::get( $kbjobs_key ),
		'forced'           => KBJobs_Settings::forced( $kbjobs_key ),
		'html'             => $kbjobs_html,
		'kept_on_save'     => KBJobs_Admin_Settings::sanitize( $kbjobs_key, '1' ) === get_option( $kbjobs_option ),
	);
}
unset( $_POST['option_page'] );
$kbjobs_report['_import_settings'] = KBJobs_Settings::import_settings();
$kbjobs_report['_cron_enabled']    = KBJobs_Cron::enabled();
$kbjobs_report['_remove_all_data'] = KBJobs_Settings::remove_all_data();
$kbjobs_report['_cron_history']    = KBJobs_Settings::cron_history();

foreach ( $kbjobs_saved as $kbjobs_option => $kbjobs_value ) {
	if ( null === $kbjobs_value ) {
		delete_option( $kbjobs_option );
	} else {
		update_option( $kbjobs_option, $kbjobs_value );
	}
}
echo wp_json_encode( $kbjobs_report );
