<?php
/**
 * The post types of KB Jobs: one kb_import_job post per batch import, and the type
 * imported documents become (kb_article unless the kbjobs_article_post_type filter says
 * otherwise).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Registers the plugin's post types.
 */
final class KBJobs_Post_Types {

	const IMPORT_JOB = 'kb_import_job';

	/**
	 * The post type imported documents are written as.
	 *
	 * @return string
	 */
	public static function article_type(): string {
		/**
		 * Filters the post type that imported documents become.
		 *
		 * @param string $post_type Default 'kb_article'.
		 */
		return (string) apply_filters( 'kbjobs_article_post_type', 'kb_article' );
	}

	/**
	 * Registers both post types; hooked on init.
	 */
	public static function register(): void {
		register_post_type(
			self::IMPORT_JOB,
			array(
				'labels'          => array(
					'name'          => __( 'Import jobs', 'kb-jobs' ),
					'singular_name' => __( 'Import job', 'kb-jobs' ),
				),
				'public'          => false,
				'show_ui'         => false,
				'show_in_rest'    => false,
				'rewrite'         => false,
				'query_var'       => false,
				'supports'        => array( 'title', 'author', 'custom-fields' ),
				'capability_type' => 'post',
				'map_meta_cap'    => true,
			)
		);

		if ( 'kb_article' === self::article_type() ) {
			register_post_type(
				'kb_article',
				array(
					'labels'       => array(
						'name'          => __( 'KB Articles', 'kb-jobs' ),
						'singular_name' => __( 'KB Article', 'kb-jobs' ),
						'menu_name'     => __( 'KB Articles', 'kb-jobs' ),
					),
					'public'       => true,
					'show_in_rest' => true,
					'has_archive'  => true,
					'rewrite'      => array( 'slug' => 'kb' ),
					'menu_icon'    => 'dashicons-book',
					'supports'     => array( 'title', 'editor', 'excerpt', 'custom-fields', 'revisions' ),
				)
			);
		}
	}

	/**
	 * Activation: register the types so their rewrite rules exist, then flush once.
	 */
	public static function activate(): void {
		self::register();
		flush_rewrite_rules();
	}
}
