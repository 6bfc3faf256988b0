<?php
/**
 * Plugin Name:       KB Jobs
 * Description:       Background jobs for knowledge-base sites: batch URL imports, an Operations dashboard, REST and WP-CLI, run by the native kbjobs engine.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.2
 * Author:            kbjobs developers
 * License:           GPL-2.0-or-later
 * Text Domain:       kb-jobs
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

define( 'KBJOBS_PLUGIN_VERSION', '0.1.0' );
define( 'KBJOBS_PLUGIN_FILE', __FILE__ );
define( 'KBJOBS_PLUGIN_DIR', __DIR__ );
// The oldest kbjobs extension this plugin works with.
define( 'KBJOBS_MIN_EXTENSION_VERSION', '0.1.0' );

require_once __DIR__ . '/includes/class-kbjobs-autoloader.php';
KBJobs_Autoloader::register();
// The developer API answers with a WP_Error when the extension is missing.
require_once __DIR__ . '/includes/api.php';

// Whatever happens to the extension: the post types stay registered, so imported
// articles never 404 after a PHP upgrade that breaks it, and deactivating the plugin
// still unschedules its WP-Cron events.
add_action( 'init', array( 'KBJobs_Post_Types', 'register' ) );
register_activation_hook( __FILE__, array( 'KBJobs_Plugin', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'KBJobs_Plugin', 'deactivate' ) );

// Site Health says what is wrong with kbjobs, the missing extension included.
KBJobs_Site_Health::init();

// Without a compatible extension the plugin explains what is missing and does nothing else.
if ( ! KBJobs_Requirements::met() ) {
	KBJobs_Cron_Migration::fall_back();
	add_action( 'admin_notices', array( 'KBJobs_Requirements', 'render_notice' ) );
	add_action( 'network_admin_notices', array( 'KBJobs_Requirements', 'render_notice' ) );
	return;
}

KBJobs_Plugin::boot();
