<?php
/**
 * Starting a batch import: the URL list goes to the engine, and a `kb_import_job` post
 * records the import on the site (who started it, from what, which engine job).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Submits imports.
 */
final class KBJobs_Import {

	const META_JOB    = '_kbjobs_job_id';
	const META_SOURCE = '_kbjobs_list_source';
	const META_COUNTS = '_kbjobs_list_counts';

	/**
	 * On a record whose import job retention removed: when that was noticed (unix time;
	 * KBJobs_Maintenance::mark_expired_imports()). The record is kept with its counts.
	 */
	const META_EXPIRED = '_kbjobs_job_expired';

	/**
	 * Submits an import of a URL list.
	 *
	 * @param string|resource|string[] $list   A file path, an open stream or a list of URLs.
	 * @param array<string,mixed>      $params chunk_size, sink (compatible|bulk), post_type,
	 *                                         status, author.
	 * @param string                   $source What the list was (a file name), for the record.
	 * @param array<string,mixed>      $options Engine::submit() options (unique_key, priority, ...).
	 * @return array<string,mixed> The engine's report (id, counts, rejections) and post_id.
	 * @throws \ValueError When the author, the sink or the post type is not valid.
	 */
	public static function start( $list, array $params, string $source, array $options = array() ): array {
		$params += array(
			'sink'      => 'compatible',
			'post_type' => KBJobs_Post_Types::article_type(),
			'status'    => 'publish',
			/**
			 * Filters the author of imported articles when the import names none.
			 *
			 * @param int $user_id Default: the user starting the import (0 from cron).
			 */
			'author'    => (int) apply_filters( 'kbjobs_import_author', get_current_user_id() ),
		);
		if ( $params['author'] > 0 && ! get_userdata( (int) $params['author'] ) ) {
			throw new \ValueError( sprintf( 'author %d does not exist', $params['author'] ) );
		}
		if ( ! in_array( $params['sink'], array( 'compatible', 'bulk' ), true ) ) {
			throw new \ValueError( 'sink must be "compatible" or "bulk"' );
		}
		if ( ! post_type_exists( (string) $params['post_type'] ) ) {
			throw new \ValueError( sprintf( 'post type %s is not registered', $params['post_type'] ) );
		}
		$report = KBJobs_Engine::get()->import( $list, $params, $options );
		if ( ! empty( $report['existed'] ) ) {
			// The unique key is an import's already: it has its record, and keeps its list.
			$report['post_id'] = self::record_of( $report['id'] );
			return $report;
		}
		$post_id = wp_insert_post(
			array(
				'post_type'   => KBJobs_Post_Types::IMPORT_JOB,
				'post_status' => 'publish',
				'post_author' => get_current_user_id(),
				/* translators: 1: number of URLs, 2: source of the list */
				'post_title'  => sprintf( __( 'Import of %1$d URLs from %2$s', 'kb-jobs' ), $report['accepted'], $source ),
				'meta_input'  => array(
					self::META_JOB    => $report['id'],
					self::META_SOURCE => $source,
					self::META_COUNTS => wp_json_encode(
						array(
							'lines'      => $report['lines'],
							'accepted'   => $report['accepted'],
							'duplicates' => $report['duplicates'],
							'rejected'   => $report['rejected'],
						)
					),
				),
			),
			true
		);

		$report['post_id'] = is_wp_error( $post_id ) ? 0 : (int) $post_id;
		return $report;
	}

	/**
	 * The kb_import_job post recording an import, or 0.
	 *
	 * @param string $job_id The import's job id.
	 * @return int
	 */
	public static function record_of( string $job_id ): int {
		$posts = get_posts(
			array(
				'post_type'        => KBJobs_Post_Types::IMPORT_JOB,
				'post_status'      => 'any',
				'meta_key'         => self::META_JOB, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key -- one indexed meta key, one import.
				'meta_value'       => $job_id, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_value
				'numberposts'      => 1,
				'fields'           => 'ids',
				'suppress_filters' => true,
			)
		);
		return $posts ? (int) $posts[0] : 0;
	}
}
