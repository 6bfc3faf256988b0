<?php
/**
 * Removes what KB Jobs created: its import-job posts and its options. Imported
 * articles are the site's content and stay.
 *
 * @package KBJobs
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

$kbjobs_ids = get_posts(
	array(
		'post_type'      => 'kb_import_job',
		'post_status'    => 'any',
		'posts_per_page' => -1,
		'fields'         => 'ids',
	)
);
foreach ( $kbjobs_ids as $kbjobs_id ) {
	wp_delete_post( $kbjobs_id, true );
}

global $wpdb;
$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( 'kbjobs_' ) . '%' ) );

wp_clear_scheduled_hook( 'kbjobs_tick' );
