<?php
/**
 * Plugin Name: kbjobs offline machine
 * Description: Installed by tools/wordpress.sh into the dev and test sites: no update
 * checks, no outgoing HTTP but to 127.0.0.1, no mail, no avatars. Not part of the plugin.
 */

defined( 'ABSPATH' ) || exit;

if ( ! defined( 'WP_HTTP_BLOCK_EXTERNAL' ) ) {
	define( 'WP_HTTP_BLOCK_EXTERNAL', true );
}

// Mail goes nowhere, and says so: wp_mail() returns true without a mail server.
add_filter( 'pre_wp_mail', '__return_true' );

// No update checks for core, plugins, themes or translations.
add_filter( 'automatic_updater_disabled', '__return_true' );
add_filter( 'pre_site_transient_update_core', '__return_null' );
add_filter( 'pre_site_transient_update_plugins', '__return_null' );
add_filter( 'pre_site_transient_update_themes', '__return_null' );
remove_action( 'init', 'wp_schedule_update_checks' );
remove_action( 'admin_init', '_maybe_update_core' );
remove_action( 'admin_init', '_maybe_update_plugins' );
remove_action( 'admin_init', '_maybe_update_themes' );
remove_action( 'wp_version_check', 'wp_version_check' );
remove_action( 'wp_update_plugins', 'wp_update_plugins' );
remove_action( 'wp_update_themes', 'wp_update_themes' );
add_filter( 'pre_option_show_avatars', '__return_zero' );
// The dashboard's news and PHP/browser checks call out to wordpress.org.
add_action(
	'wp_dashboard_setup',
	static function () {
		remove_meta_box( 'dashboard_primary', 'dashboard', 'side' );
		remove_meta_box( 'dashboard_php_nag', 'dashboard', 'normal' );
		remove_meta_box( 'dashboard_browser_nag', 'dashboard', 'normal' );
	}
);
add_filter( 'pre_site_transient_php_check_' . md5( PHP_VERSION ), static fn() => array( 'is_acceptable' => true, 'is_secure' => true, 'is_supported' => true, 'is_lower_than_future_minimum' => false, 'recommended_version' => PHP_VERSION, 'minimum_version' => '7.0' ) );
