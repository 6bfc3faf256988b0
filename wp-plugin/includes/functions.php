<?php
/**
 * The plugin's public functions (functions cannot be autoloaded: KBJobs_Plugin::boot()
 * includes this file once the extension is there).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Runs $work( $wpdb ) in a `$wpdb` transaction fenced by the lease of $ctx's job, for
 * job handlers that write through WordPress: everything $work writes commits only while
 * the job is still this runner's, and is rolled back otherwise. See KBJobs_Fence.
 *
 *     $engine->registerType( 'kb.retag', function ( KBJobs\Context $ctx ) {
 *         return kbjobs_fenced_transaction( $ctx, function ( $wpdb ) use ( $ctx ) {
 *             wp_set_post_terms( $ctx->params()['post'], array( 'reviewed' ), 'post_tag' );
 *             return array( 'tagged' => true );
 *         } );
 *     } );
 *
 * @param \KBJobs\Context $ctx  The job.
 * @param callable        $work Receives `$wpdb`; what it returns is returned after COMMIT.
 * @return mixed
 * @throws \KBJobs\LeaseLostException When the lease is gone (everything rolled back; let
 *         it through: the job is someone else's now).
 * @throws \KBJobs\ConnectionLostException When the database connection was lost (nothing
 *         committed; the attempt fails and is retried unless caught).
 */
function kbjobs_fenced_transaction( \KBJobs\Context $ctx, callable $work ) {
	return KBJobs_Fence::run( $ctx, $work );
}
