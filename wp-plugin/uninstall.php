<?php
/**
 * Uninstalling KB Jobs: its WP-Cron events and options always go; its tables, import
 * records and data directory only when told to remove all data; imported articles
 * never. See KBJobs_Uninstaller. Works without the kbjobs extension.
 *
 * @package KBJobs
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

if ( ! class_exists( 'KBJobs_Autoloader', false ) ) {
	require_once __DIR__ . '/includes/class-kbjobs-autoloader.php';
}
KBJobs_Autoloader::register();
KBJobs_Uninstaller::run();
