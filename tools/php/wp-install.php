<?php
/**
 * Installs the WordPress of a kbjobs instance from the CLI and activates the plugin.
 * Run by tools/wordpress.sh as: php wp-install.php; settings come from env.sh's
 * variables. Idempotent: an installed site only gets the plugin (re)activated.
 */
if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}
$wp_dir = getenv( 'KBJOBS_WP_DIR' );
$url    = getenv( 'KBJOBS_WP_URL' );
$_SERVER['HTTP_HOST']   = parse_url( $url, PHP_URL_HOST ) . ':' . parse_url( $url, PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/';
define( 'WP_INSTALLING', true );

require $wp_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

if ( ! is_blog_installed() ) {
	$result = wp_install( 'kbjobs ' . getenv( 'KBJOBS_MODE' ), getenv( 'KBJOBS_ADMIN_USER' ), 'admin@example.com', false, '', getenv( 'KBJOBS_ADMIN_PASSWORD' ) );
	if ( is_wp_error( $result ) ) {
		fwrite( STDERR, 'wp_install failed: ' . $result->get_error_message() . "\n" );
		exit( 1 );
	}
	echo "WordPress installed\n";
}

if ( ! is_plugin_active( 'kb-jobs/kb-jobs.php' ) ) {
	$result = activate_plugin( 'kb-jobs/kb-jobs.php' );
	if ( is_wp_error( $result ) ) {
		fwrite( STDERR, 'plugin activation failed: ' . $result->get_error_message() . "\n" );
		exit( 1 );
	}
	echo "kb-jobs activated\n";
}
