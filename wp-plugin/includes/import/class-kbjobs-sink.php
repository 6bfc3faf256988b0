<?php
/**
 * The import sink: the engine hands each chunk's documents here, and gets post ids
 * back. One post per source URL, found again through the engine's artifact index (the
 * document's post_id), never by scanning postmeta.
 *
 * Two modes, chosen per import with the `sink` param:
 *
 * - `compatible` (default): wp_insert_post()/wp_update_post() for every document, so
 *   every plugin's save_post and wp_insert_post hooks fire as for a post written by
 *   hand. One transaction per chunk; `guid` passed (WordPress then skips its extra
 *   UPDATE); term counting deferred to the end of the chunk.
 * - `bulk`: a multi-row INSERT of the chunk's new posts and one of their meta, UPDATEs
 *   for changed posts, all through prepared statements in one transaction; the post
 *   cache is cleaned for the ids written and one `kbjobs_imported_posts` action fires per
 *   chunk with the ids. Gives up, per post: the save_post / wp_insert_post /
 *   transition_post_status hooks, revisions, the content_save_pre and other
 *   sanitize_post filters (content still goes through wp_kses_post), and
 *   wp_unique_post_slug() (slugs are the title plus a short hash of the source URL, so
 *   they are unique without a query).
 *
 * In both modes a chunk is one transaction fenced by the import's lease
 * (kbjobs_fenced_transaction(): it begins by locking the job's row with its lease token,
 * and rolls back when the lease is gone), and the post ids are stored in the artifact
 * index (with the statement the engine gives, Context::recordPostsStatement()) in that
 * same transaction: a runner killed between the two never makes a second post, and one
 * frozen past its lease while another runner took the chunk over writes nothing.
 * A lost database connection ends the chunk with KBJobs\ConnectionLostException: the
 * engine waits, looks at what was committed and hands over the rest again.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Writes imported documents as posts.
 */
final class KBJobs_Sink {

	const META_SOURCE  = '_kbjobs_source_url';
	const META_ART     = '_kbjobs_artifact';
	const META_HASH    = '_kbjobs_content_hash';
	const META_FETCHED = '_kbjobs_fetched_at';
	const META_STATUS  = '_kbjobs_http_status';

	/**
	 * The sink given to KBJobs\Engine::run().
	 *
	 * @param array<int,array<string,mixed>> $docs Documents (see KBJobs\Engine::run()).
	 * @param \KBJobs\Context                $ctx  The import job.
	 * @return array<int,int|string> A post id, or an error message, per document.
	 */
	public static function write( array $docs, \KBJobs\Context $ctx ): array {
		try {
			return self::write_chunk( $docs, $ctx );
		} finally {
			wp_defer_term_counting( false );
			// A runner writes thousands of posts in one process: drop what this chunk put
			// in the in-memory object cache, so memory stays flat (a persistent cache keeps
			// its entries; only this process's copy goes).
			if ( function_exists( 'wp_cache_flush_runtime' ) && wp_cache_supports( 'flush_runtime' ) ) {
				wp_cache_flush_runtime();
			} elseif ( ! wp_using_ext_object_cache() ) {
				wp_cache_flush();
			}
		}
	}

	/**
	 * Writes one chunk (see write()).
	 *
	 * @param array<int,array<string,mixed>> $docs Documents.
	 * @param \KBJobs\Context                $ctx  The import job.
	 * @return array<int,int|string>
	 * @throws \KBJobs\NonRetryableException When the post type is not registered or the
	 *         sink mode is unknown.
	 */
	private static function write_chunk( array $docs, \KBJobs\Context $ctx ): array {
		$params   = $ctx->params();
		$settings = array(
			'post_type' => isset( $params['post_type'] ) ? sanitize_key( (string) $params['post_type'] ) : KBJobs_Post_Types::article_type(),
			'status'    => isset( $params['status'] ) && in_array( $params['status'], array( 'publish', 'draft', 'pending', 'private' ), true ) ? $params['status'] : 'publish',
			'author'    => isset( $params['author'] ) ? (int) $params['author'] : 0,
			'job'       => $ctx->id(),
			// The engine's `rewrite` param (a re-fetch, a repair): documents come even when
			// unchanged, and existing posts keep their status and author.
			'rewrite'   => ! empty( $params['rewrite'] ),
		);
		if ( ! post_type_exists( $settings['post_type'] ) ) {
			throw new \KBJobs\NonRetryableException( sprintf( 'post type %s is not registered', $settings['post_type'] ) );
		}
		$mode = isset( $params['sink'] ) ? (string) $params['sink'] : 'compatible';
		if ( 'bulk' === $mode ) {
			return self::write_bulk( $docs, $settings, $ctx );
		}
		if ( 'compatible' !== $mode ) {
			throw new \KBJobs\NonRetryableException( sprintf( 'unknown sink mode %s (compatible or bulk)', $mode ) );
		}
		return self::write_compatible( $docs, $settings, $ctx );
	}

	/**
	 * The post fields every mode writes.
	 *
	 * @param array<string,mixed> $doc      A document.
	 * @param array<string,mixed> $settings Post type, status, author.
	 * @param bool                $kses     Whether to filter the content with wp_kses_post() here.
	 * @return array<string,mixed>
	 */
	private static function post_fields( array $doc, array $settings, bool $kses = true ): array {
		$title = trim( wp_strip_all_tags( (string) $doc['title'] ) );
		return array(
			'post_type'    => $settings['post_type'],
			'post_status'  => $settings['status'],
			'post_author'  => $settings['author'],
			'post_title'   => '' === $title ? (string) $doc['url'] : $title,
			// Fetched HTML is untrusted whoever runs the import (cron, CLI, web); see
			// write_compatible() for when WordPress's own filter does this instead.
			'post_content' => $kses ? wp_kses_post( (string) $doc['html'] ) : (string) $doc['html'],
			'post_excerpt' => null === $doc['description'] ? '' : wp_strip_all_tags( (string) $doc['description'] ),
			'guid'         => esc_url_raw( (string) $doc['url'] ),
		);
	}

	/**
	 * The meta every post carries.
	 *
	 * @param array<string,mixed> $doc A document.
	 * @return array<string,string>
	 */
	private static function meta( array $doc ): array {
		return array(
			self::META_SOURCE  => esc_url_raw( (string) $doc['url'] ),
			self::META_ART     => (string) $doc['artifact'],
			self::META_HASH    => (string) $doc['content_hash'],
			self::META_FETCHED => gmdate( 'Y-m-d\TH:i:s\Z', (int) $doc['fetched_at'] ),
			self::META_STATUS  => (string) (int) $doc['http_status'],
		);
	}

	/**
	 * The existing post of a document, when it is still there and of the import's type.
	 *
	 * @param array<string,mixed> $doc       A document.
	 * @param string              $post_type The import's post type.
	 * @return int 0 when a new post is needed.
	 */
	private static function existing( array $doc, string $post_type ): int {
		$id = (int) $doc['post_id'];
		if ( $id <= 0 ) {
			return 0;
		}
		$post = get_post( $id );
		return ( $post && $post->post_type === $post_type && 'trash' !== $post->post_status ) ? $id : 0;
	}

	/**
	 * Records post ids in the artifact index, inside the caller's fenced transaction, with
	 * the statement the engine makes for them.
	 *
	 * @param \KBJobs\Context                                  $ctx  The import.
	 * @param array<int,array{0:string,1:int,2:string,3:bool}> $rows url_hash, post id, content hash, created.
	 * @throws \KBJobs\ConnectionLostException|\RuntimeException When the statement fails (see db_error()).
	 */
	private static function index_posts( \KBJobs\Context $ctx, array $rows ): void {
		global $wpdb;
		if ( ! $rows ) {
			return;
		}
		$posts = array();
		foreach ( $rows as $row ) {
			$posts[] = array(
				'url_hash'     => $row[0],
				'post_id'      => $row[1],
				'content_hash' => $row[2],
				'created'      => $row[3],
			);
		}
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared,WordPress.DB.DirectDatabaseQuery -- the statement is made by the engine from checked values (hashes, ids) and writes the engine's own table, in the caller's fenced transaction.
		if ( false === $wpdb->query( $ctx->recordPostsStatement( $posts ) ) ) {
			throw self::db_error( 'cannot record post ids in the artifact index' );
		}
	}

	/**
	 * The exception for a failed statement: a lost connection or transaction is the
	 * engine's to retry in place; anything else fails the attempt.
	 *
	 * @param string $what What failed.
	 * @return \Throwable
	 */
	private static function db_error( string $what ): \Throwable {
		global $wpdb;
		// phpcs:ignore WordPress.DB.RestrictedFunctions.mysql_mysqli_errno -- `$wpdb` keeps only the error's text; its number tells a lost transaction from a failed statement.
		$errno = $wpdb->dbh instanceof \mysqli ? mysqli_errno( $wpdb->dbh ) : 2006;
		if ( in_array( $errno, KBJobs_Fence::TRANSACTION_LOST, true ) ) {
			return new \KBJobs\ConnectionLostException( $what . ': ' . $wpdb->last_error );
		}
		return new \RuntimeException( $what . ': ' . $wpdb->last_error );
	}

	/**
	 * The `compatible` mode: WordPress's own functions, every hook fires.
	 *
	 * @param array<int,array<string,mixed>> $docs     Documents.
	 * @param array<string,mixed>            $settings Post type, status, author.
	 * @param \KBJobs\Context                $ctx      The import.
	 * @return array<int,int|string>
	 */
	private static function write_compatible( array $docs, array $settings, \KBJobs\Context $ctx ): array {
		global $wpdb;
		// When wp_insert_post() itself runs content through kses (no user allowed
		// unfiltered HTML: cron, CLI), doing it here as well would only double the cost.
		$kses_here = false === has_filter( 'content_save_pre', 'wp_filter_post_kses' );
		wp_defer_term_counting( true );
		return kbjobs_fenced_transaction(
			$ctx,
			static function () use ( $docs, $settings, $kses_here, $ctx, $wpdb ) {
				$out   = array();
				$index = array();
				foreach ( $docs as $i => $doc ) {
					$post               = self::post_fields( $doc, $settings, $kses_here );
					$post['meta_input'] = self::meta( $doc );
					$id                 = self::existing( $doc, $settings['post_type'] );
					if ( $id ) {
						$post['ID'] = $id;
						unset( $post['guid'] );
						if ( $settings['rewrite'] ) {
							// A repair writes the same post again: its status and author stay.
							unset( $post['post_status'], $post['post_author'] );
						}
						$result = wp_update_post( wp_slash( $post ), true, false );
					} else {
						$result = wp_insert_post( wp_slash( $post ), true, false );
					}
					if ( is_wp_error( $result ) ) {
						if ( '' !== $wpdb->last_error ) {
							throw self::db_error( 'cannot write post for ' . $doc['url'] );
						}
						$out[ $i ] = $result->get_error_message();
						continue;
					}
					$out[ $i ] = (int) $result;
					$index[]   = array( (string) $doc['url_hash'], (int) $result, (string) $doc['content_hash'], ! $id );
				}
				// Deferred term counts are written here, inside the fence.
				wp_defer_term_counting( false );
				self::index_posts( $ctx, $index );
				return array_values( $out );
			}
		);
	}

	/**
	 * The `bulk` mode: multi-row statements per chunk.
	 *
	 * @param array<int,array<string,mixed>> $docs     Documents.
	 * @param array<string,mixed>            $settings Post type, status, author.
	 * @param \KBJobs\Context                $ctx      The import.
	 * @return array<int,int|string>
	 */
	private static function write_bulk( array $docs, array $settings, \KBJobs\Context $ctx ): array {
		global $wpdb;
		$result = kbjobs_fenced_transaction(
			$ctx,
			static function () use ( $docs, $settings, $wpdb, $ctx ) {
				// phpcs:disable WordPress.DB.DirectDatabaseQuery -- this mode is the one that writes posts and their meta with its own statements, in the fenced transaction; the post caches are cleaned after it (clean_post_cache()).
				$now     = current_time( 'mysql' );
				$now_gmt = current_time( 'mysql', true );
				$out     = array();
				$new     = array();
				$index   = array();
				$written = array();
				foreach ( $docs as $i => $doc ) {
					$post = self::post_fields( $doc, $settings );
					$id   = self::existing( $doc, $settings['post_type'] );
					if ( ! $id ) {
						$new[ $i ] = $post;
						continue;
					}
					$ok = $wpdb->update(
						$wpdb->posts,
						array(
							'post_title'        => $post['post_title'],
							'post_content'      => $post['post_content'],
							'post_excerpt'      => $post['post_excerpt'],
							'post_modified'     => $now,
							'post_modified_gmt' => $now_gmt,
						),
						array( 'ID' => $id )
					);
					if ( false === $ok ) {
						throw self::db_error( 'cannot update post ' . $id );
					}
					foreach ( self::meta( $doc ) as $key => $value ) {
						update_post_meta( $id, $key, wp_slash( $value ) );
					}
					$out[ $i ] = $id;
					$written[] = $id;
					$index[]   = array( (string) $doc['url_hash'], $id, (string) $doc['content_hash'], false );
				}
				if ( $new ) {
					$rows = array();
					$args = array();
					foreach ( $new as $i => $post ) {
						$rows[] = '(%d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)';
						$slug   = sanitize_title( mb_substr( $post['post_title'], 0, 150 ) );
						$slug   = ( '' === $slug ? 'kb' : $slug ) . '-' . substr( (string) $docs[ $i ]['url_hash'], 0, 8 );
						array_push(
							$args,
							$post['post_author'],
							$now,
							$now_gmt,
							$post['post_content'],
							$post['post_title'],
							$post['post_excerpt'],
							$post['post_status'],
							'closed',
							'closed',
							$slug,
							'',
							'',
							$now,
							$now_gmt,
							$post['guid'],
							$post['post_type']
						);
					}
					// phpcs:disable WordPress.DB.PreparedSQL.NotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare -- the placeholders are in $rows, one row of them per post, and their values in $args: all of it goes through prepare(), and $sql is what it returns.
					$sql = $wpdb->prepare(
						"INSERT INTO `{$wpdb->posts}` (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, comment_status, ping_status, post_name, to_ping, pinged, post_modified, post_modified_gmt, guid, post_type) VALUES " . implode( ',', $rows ),
						$args
					);
					if ( false === $wpdb->query( $sql ) ) {
						throw self::db_error( 'cannot insert posts' );
					}
					// phpcs:enable WordPress.DB.PreparedSQL.NotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare
					// A multi-row INSERT takes consecutive ids (innodb_autoinc_lock_mode 0 or 1,
					// MariaDB's default); checked against the guids rather than assumed.
					$first = (int) $wpdb->get_var( 'SELECT LAST_INSERT_ID()' );
					$got   = $wpdb->get_results( $wpdb->prepare( "SELECT ID, guid FROM `{$wpdb->posts}` WHERE ID BETWEEN %d AND %d", $first, $first + count( $new ) - 1 ), ARRAY_A );

					$by_guid = array();
					foreach ( $got as $row ) {
						$by_guid[ $row['guid'] ] = (int) $row['ID'];
					}
					$meta_rows = array();
					$meta_args = array();
					foreach ( $new as $i => $post ) {
						if ( ! isset( $by_guid[ $post['guid'] ] ) ) {
							throw new \RuntimeException( 'inserted posts did not get consecutive ids' );
						}
						$id        = $by_guid[ $post['guid'] ];
						$out[ $i ] = $id;
						$written[] = $id;
						$index[]   = array( (string) $docs[ $i ]['url_hash'], $id, (string) $docs[ $i ]['content_hash'], true );
						foreach ( self::meta( $docs[ $i ] ) as $key => $value ) {
							$meta_rows[] = '(%d, %s, %s)';
							array_push( $meta_args, $id, $key, $value );
						}
					}
					// phpcs:disable WordPress.DB.PreparedSQL.NotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare -- as for the posts above: the placeholders in $meta_rows, their values in $meta_args.
					$sql = $wpdb->prepare( "INSERT INTO `{$wpdb->postmeta}` (post_id, meta_key, meta_value) VALUES " . implode( ',', $meta_rows ), $meta_args );
					if ( false === $wpdb->query( $sql ) ) {
						throw self::db_error( 'cannot insert post meta' );
					}
					// phpcs:enable WordPress.DB.PreparedSQL.NotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare
				}
				// phpcs:enable WordPress.DB.DirectDatabaseQuery
				self::index_posts( $ctx, $index );
				ksort( $out );
				return array( array_values( $out ), $written );
			}
		);

		list( $out, $written ) = $result;
		foreach ( $written as $id ) {
			clean_post_cache( $id );
		}
		/**
		 * Fires once per chunk written by the `bulk` sink.
		 *
		 * @param int[] $post_ids The posts created or updated.
		 */
		do_action( 'kbjobs_imported_posts', $written );
		return $out;
	}
}
