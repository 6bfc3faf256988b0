<?php
/**
 * Imports as operators list them: the engine's import jobs (without the ranges a big
 * import is split into) with the site's record of each (the kb_import_job post: who
 * started it, from what list), and each import's failed items. Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects imports.
 */
final class KBJobs_Data_Imports {

	const FIELDS             = array( 'id', 'status', 'source', 'progress_done', 'progress_total', 'created_at', 'finished_at', 'post_id' );
	const FAILED_ITEM_FIELDS = array( 'index', 'url', 'class', 'error', 'http_status', 'tries', 'at' );

	/**
	 * A page of imports, newest first. Ranges are left out, so a page may hold fewer
	 * than $limit imports while next_cursor still leads on.
	 *
	 * @param array<string,mixed> $filter status, created_after, created_before, limit, cursor.
	 * @return array{imports:array<int,array<string,mixed>>,next_cursor:?string}
	 */
	public static function page( array $filter ): array {
		$filter['type'] = 'import';
		unset( $filter['search'], $filter['queue'] );
		$page    = KBJobs_Data_Jobs::page( $filter );
		$imports = array();
		foreach ( $page['jobs'] as $job ) {
			if ( isset( $job['params']['parent'] ) ) {
				continue;
			}
			$imports[] = self::with_record( $job );
		}
		return array(
			'imports'     => $imports,
			'next_cursor' => $page['next_cursor'],
		);
	}

	/**
	 * One import.
	 *
	 * @param string $id Its job id.
	 * @return array<string,mixed>
	 * @throws \KBJobs\NotFoundException When there is no such import.
	 */
	public static function get( string $id ): array {
		try {
			$job = KBJobs_Data_Jobs::get( $id );
		} catch ( \KBJobs\NotFoundException $e ) {
			$expired = self::expired( $id );
			if ( null === $expired ) {
				throw $e;
			}
			return $expired;
		}
		if ( 'import' !== $job['type'] ) {
			/* translators: %s: job id */
			throw new \KBJobs\NotFoundException( sprintf( __( 'Job %s is not an import.', 'kb-jobs' ), $id ) );
		}
		return self::with_record( $job );
	}

	/**
	 * An import whose job retention removed, from its kb_import_job record (marked by
	 * KBJobs_Maintenance::mark_expired_imports()): status `expired`, when it was noticed,
	 * the list's name and counts. Null when there is no such record, or it is not marked
	 * (a job missing without retention is a broken record, not an expired one).
	 *
	 * @param string $id The import's job id.
	 * @return array<string,mixed>|null
	 */
	public static function expired( string $id ): ?array {
		$post_id = KBJobs_Data_Jobs::is_id( $id ) ? KBJobs_Import::record_of( $id ) : 0;
		$at      = $post_id ? (int) get_post_meta( $post_id, KBJobs_Import::META_EXPIRED, true ) : 0;
		if ( $at <= 0 ) {
			return null;
		}
		$counts = json_decode( (string) get_post_meta( $post_id, KBJobs_Import::META_COUNTS, true ), true );
		return array(
			'id'         => $id,
			'type'       => 'import',
			'status'     => 'expired',
			'expired_at' => KBJobs_Format::time( $at ),
			'created_at' => KBJobs_Format::time( (int) get_post_time( 'U', true, $post_id ) ),
			'title'      => get_the_title( $post_id ),
			'post_id'    => $post_id,
			'source'     => (string) get_post_meta( $post_id, KBJobs_Import::META_SOURCE, true ),
			'list'       => is_array( $counts ) ? $counts : null,
			'waiting'    => null,
		);
	}

	/**
	 * A job with the kb_import_job post recording it.
	 *
	 * @param array<string,mixed> $job A formatted job.
	 * @return array<string,mixed>
	 */
	private static function with_record( array $job ): array {
		$posts          = get_posts(
			array(
				'post_type'        => KBJobs_Post_Types::IMPORT_JOB,
				'post_status'      => 'any',
				'meta_key'         => KBJobs_Import::META_JOB, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key -- one indexed meta key per import shown.
				'meta_value'       => $job['id'], // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_value
				'numberposts'      => 1,
				'fields'           => 'ids',
				'suppress_filters' => true,
			)
		);
		$post_id        = $posts ? (int) $posts[0] : 0;
		$counts         = $post_id ? json_decode( (string) get_post_meta( $post_id, KBJobs_Import::META_COUNTS, true ), true ) : null;
		$job['post_id'] = $post_id;
		$job['source']  = $post_id ? (string) get_post_meta( $post_id, KBJobs_Import::META_SOURCE, true ) : '';
		$job['list']    = is_array( $counts ) ? $counts : null;
		return $job;
	}

	/**
	 * A page of an import's failed items, in list order, from a list index.
	 *
	 * @param string $id     The import.
	 * @param int    $cursor List index to start at.
	 * @param int    $limit  1..1000.
	 * @return array{items:array<int,array<string,mixed>>,next_cursor:?int}
	 */
	public static function failed( string $id, int $cursor = 0, int $limit = 100 ): array {
		KBJobs_Data_Jobs::require_id( $id );
		$page = KBJobs_Engine::get()->failedItems( $id, max( 0, $cursor ), max( 1, min( 1000, $limit ) ) );
		return array(
			'items'       => array_map(
				static function ( $item ) {
					return KBJobs_Format::times( $item, array( 'at' ) );
				},
				$page['items']
			),
			'next_cursor' => $page['next_cursor'],
		);
	}
}
