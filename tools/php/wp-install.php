<?php
/**
 * Installs the WordPress of a kbjobs instance from the CLI, activates the plugin and
 * the front end's theme (KBJOBS_WP_THEME, copied in by tools/wordpress.sh). Run by
 * tools/wordpress.sh as: php wp-install.php; settings come from env.sh's variables.
 * Idempotent: an installed site only gets the plugin (re)activated, and the theme when
 * its active theme is missing.
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

$fresh = ! is_blog_installed();
if ( $fresh ) {
	$result = wp_install( 'kbjobs ' . getenv( 'KBJOBS_MODE' ), getenv( 'KBJOBS_ADMIN_USER' ), 'admin@example.com', false, '', getenv( 'KBJOBS_ADMIN_PASSWORD' ) );
	if ( is_wp_error( $result ) ) {
		fwrite( STDERR, 'wp_install failed: ' . $result->get_error_message() . "\n" );
		exit( 1 );
	}
	echo "WordPress installed\n";
}

$theme = (string) getenv( 'KBJOBS_WP_THEME' );
if ( '' !== $theme && ( $fresh || ! wp_get_theme()->exists() ) && get_stylesheet() !== $theme ) {
	if ( ! wp_get_theme( $theme )->exists() ) {
		fwrite( STDERR, "theme $theme is not in " . get_theme_root() . "\n" );
		exit( 1 );
	}
	switch_theme( $theme );
	echo "theme $theme activated\n";
}
if ( '' !== $theme && ! wp_get_theme()->exists() ) {
	fwrite( STDERR, 'the active theme ' . get_stylesheet() . ' is not in ' . get_theme_root() . "\n" );
	exit( 1 );
}

if ( ! is_plugin_active( 'kb-jobs/kb-jobs.php' ) ) {
	$result = activate_plugin( 'kb-jobs/kb-jobs.php' );
	if ( is_wp_error( $result ) ) {
		fwrite( STDERR, 'plugin activation failed: ' . $result->get_error_message() . "\n" );
		exit( 1 );
	}
	echo "kb-jobs activated\n";
}

if ( $fresh ) {
	// Pretty permalinks (articles at /kb/<slug>/): php -S hands every path that is no
	// file to index.php, as a real server's rewrite rules would. wp_install() tries them
	// with a request to the site, which is not served yet, and keeps plain links. The
	// rules are rebuilt by the site's first request, with every post type registered.
	update_option( 'permalink_structure', '/%postname%/' );
	delete_option( 'rewrite_rules' );
}
