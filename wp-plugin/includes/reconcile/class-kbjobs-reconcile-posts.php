<?php
/**
 * The second phase of a reconciliation: job type `reconcile.posts`, run by the plugin
 * (in the runner process) after the engine's native `reconcile` phase of the same
 * combined job. The engine never reads WordPress's tables, so what only WordPress
 * knows is checked here: imported posts and their meta against the artifact index (read
 * through the extension: Engine::postSources(), Engine::artifact(),
 * Engine::importPostIds()) and the artifact files, and the kb_import_job records against
 * the import jobs.
 *
 * Three streams, each read in keyset pages (never all at once, so memory stays flat):
 *
 * 1. `posts`: posts with `_kbjobs_source_url`, in post ID order (`page` a page):
 *    - ghost / post_without_artifact: its `_kbjobs_artifact` file is not there (or the
 *      meta is missing or not an artifact path);
 *    - dangling / duplicate_url: the index row of its source URL points to another post
 *      that exists with the same source URL (two posts, one URL);
 *    - dangling / other_post: that row points to another post that is gone or has
 *      another source URL;
 *    - dangling / not_indexed: the index has no row for its source URL.
 *    (No post_hash_mismatch: comparing content hashes would take one index lookup per
 *    post; the native phase's hash_mismatch already compares the index with the files.)
 * 2. `records`: kb_import_job posts in post ID order:
 *    - dangling / job_gone: its import job no longer exists, and the record is not
 *      marked `_kbjobs_job_expired` (retention removed the job on purpose).
 * 3. `imports`: import jobs, newest first (ranges left out):
 *    - dangling / no_post: an import (not a rerun of failed items, which the site never
 *      records, and not younger than grace_seconds) with no kb_import_job post;
 *    - dangling / post_missing: a post the index says the import made or last wrote
 *      no longer exists (wp_delete_post() behind the plugin's back; the native phase
 *      sees nothing there: the row and its file still agree).
 *
 * Findings are appended, one JSON line each, to the native phase's report
 * (`logs/<job>.reconcile.jsonl`: both phases run under the combined job's id). After
 * each page the file is synced and a checkpoint records the stream, its cursor, the
 * counts and the file's length; a resumed run cuts the file back to that length first,
 * so a stopped, killed or cancelled run resumed ends with the very bytes an
 * uninterrupted one writes.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The `reconcile.posts` job type.
 */
final class KBJobs_Reconcile_Posts {

	const TYPE = 'reconcile.posts';

	/**
	 * Meta on a kb_import_job post: when retention removed its job (Unix time).
	 */
	const META_EXPIRED = '_kbjobs_job_expired';

	/**
	 * The streams, in the order they run.
	 */
	const STREAMS = array( 'posts', 'records', 'imports' );

	/**
	 * The kinds a finding can be, in the order counts are shown.
	 */
	const KINDS = array( 'ghost', 'orphan', 'drift', 'dangling', 'unsafe' );

	/**
	 * An artifact path as the sink records it (relative to the data directory).
	 */
	const ARTIFACT_PATH = '#^artifacts/[0-9a-f]{2}/[0-9a-f]{64}\.json$#D';

	/**
	 * The type's params: page (rows a page), grace_seconds (an import younger than this
	 * may not have its record yet).
	 */
	const SCHEMA = array(
		'type'                 => 'object',
		'additionalProperties' => false,
		'properties'           => array(
			'page'          => array(
				'type'    => 'integer',
				'minimum' => 1,
				'maximum' => 1000,
				'default' => 500,
			),
			'grace_seconds' => array(
				'type'    => 'integer',
				'minimum' => 1,
				'maximum' => 86400,
				'default' => 600,
			),
			'token'         => array(
				'type'      => 'string',
				'maxLength' => 64,
				'default'   => '',
			),
		),
	);

	/**
	 * Registers the type (through KBJobs_Types, like a plugin's own types).
	 */
	public static function register(): void {
		KBJobs_Types::add(
			self::TYPE,
			array( self::class, 'run' ),
			array(
				'label'        => __( 'Reconciliation: posts', 'kb-jobs' ),
				'category'     => 'maintenance',
				'max_attempts' => 3,
				'schema'       => self::SCHEMA,
			)
		);
	}

	/**
	 * The report file of a job (absolute).
	 *
	 * @param string $job_id The combined job's id.
	 * @return string
	 */
	public static function report_path( string $job_id ): string {
		return KBJobs_Settings::data_dir() . '/logs/' . $job_id . '.reconcile.jsonl';
	}

	/**
	 * The handler.
	 *
	 * @param \KBJobs\Context $ctx The phase (its id is the combined job's).
	 * @return array|null counts, findings, scanned, report; null when stopped early.
	 * @throws \RuntimeException When the report cannot be written.
	 */
	public static function run( \KBJobs\Context $ctx ): ?array {
		$params = $ctx->params();
		$run    = new self( $ctx, (int) ( $params['page'] ?? 500 ), (int) ( $params['grace_seconds'] ?? 600 ) );
		return $run->go();
	}

	/**
	 * The job.
	 *
	 * @var \KBJobs\Context
	 */
	private $ctx;

	/**
	 * Rows a page.
	 *
	 * @var int
	 */
	private $page;

	/**
	 * Seconds an import may go without its record.
	 *
	 * @var int
	 */
	private $grace;

	/**
	 * The saved state: stream, cursor, bytes, counts, scanned, total, done.
	 *
	 * @var array<string,mixed>
	 */
	private $state;

	/**
	 * The open report.
	 *
	 * @var resource
	 */
	private $file;

	/**
	 * The data directory.
	 *
	 * @var string
	 */
	private $dir;

	/**
	 * A run of the phase.
	 *
	 * @param \KBJobs\Context $ctx   The phase.
	 * @param int             $page  Rows a page.
	 * @param int             $grace Seconds.
	 */
	private function __construct( \KBJobs\Context $ctx, int $page, int $grace ) {
		$this->ctx   = $ctx;
		$this->page  = max( 1, min( 1000, $page ) );
		$this->grace = $grace;
		$this->dir   = KBJobs_Settings::data_dir();
	}

	/**
	 * Runs the streams from where the last checkpoint left them.
	 *
	 * @return array|null
	 * @throws \RuntimeException When the report cannot be opened or written.
	 */
	private function go(): ?array {
		$path = self::report_path( $this->ctx->id() );
		wp_mkdir_p( dirname( $path ) );
		$last  = $this->ctx->lastCheckpoint();
		$saved = is_array( $last ) && is_array( $last['state'] ?? null ) && isset( $last['state']['stream'] ) ? $last['state'] : null;
		clearstatcache( true, $path );
		$size = is_file( $path ) ? (int) filesize( $path ) : 0;
		if ( null !== $saved && $size < (int) $saved['bytes'] ) {
			throw new \RuntimeException( sprintf( 'the report %s is shorter (%d bytes) than its checkpoint says (%d)', $path, $size, (int) $saved['bytes'] ) );
		}
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fopen -- an append-only report of the data directory, written one whole line at a time.
		$this->file = fopen( $path, 'c' );
		if ( false === $this->file ) {
			throw new \RuntimeException( sprintf( 'cannot open the report %s', $path ) );
		}
		try {
			if ( null === $saved ) {
				// The first run of the phase: the native phase's lines stay, this phase's
				// start after them. Saved at once, so a run killed before its first page
				// still cuts back to exactly here.
				$this->state = array(
					'v'       => 1,
					'stream'  => 'posts',
					'cursor'  => 0,
					'sub'     => null,
					'bytes'   => $size,
					'counts'  => array_fill_keys( self::KINDS, 0 ),
					'scanned' => array_fill_keys( self::STREAMS, 0 ),
					'total'   => $this->estimate(),
					'done'    => 0,
				);
				$this->save();
			} else {
				$this->state = $saved;
				if ( ! ftruncate( $this->file, (int) $saved['bytes'] ) ) {
					throw new \RuntimeException( sprintf( 'cannot cut the report %s back', $path ) );
				}
			}
			fseek( $this->file, 0, SEEK_END );
			while ( 'done' !== $this->state['stream'] ) {
				$more = $this->step();
				if ( ! $more ) {
					$next                  = array_search( $this->state['stream'], self::STREAMS, true ) + 1;
					$this->state['stream'] = self::STREAMS[ $next ] ?? 'done';
					$this->state['cursor'] = 'imports' === $this->state['stream'] ? '' : 0;
					$this->state['sub']    = null;
				}
				$this->save();
				/**
				 * Fires after each page of the posts phase, its checkpoint saved (tests stop
				 * a run here).
				 *
				 * @param array           $state The saved state.
				 * @param \KBJobs\Context $ctx   The job.
				 */
				do_action( 'kbjobs_reconcile_posts_page', $this->state, $this->ctx );
				if ( 'done' !== $this->state['stream'] && $this->ctx->shouldStop() ) {
					$this->ctx->stopEarly();
					return null;
				}
			}
		} finally {
			fclose( $this->file ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fclose
		}
		return array(
			'counts'   => $this->state['counts'],
			'findings' => array_sum( $this->state['counts'] ),
			'scanned'  => $this->state['scanned'],
			'report'   => 'logs/' . $this->ctx->id() . '.reconcile.jsonl',
		);
	}

	/**
	 * Syncs the report and checkpoints the state (every page: a page is the unit a
	 * resumed run repeats).
	 */
	private function save(): void {
		fflush( $this->file );
		fsync( $this->file );
		$this->ctx->progress( (int) min( $this->state['done'], $this->state['total'] ), (int) $this->state['total'] );
		$this->ctx->checkpoint( $this->state['stream'] . ':' . wp_json_encode( $this->state['cursor'] ), array(), $this->state, true );
	}

	/**
	 * The progress total: posts with a source, import records, import jobs (one count
	 * each, at the start).
	 *
	 * @return int
	 */
	private function estimate(): int {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- counted once a run, nothing to cache.
		$posts = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->postmeta} WHERE meta_key = %s", KBJobs_Sink::META_SOURCE ) );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$records = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_type = %s", KBJobs_Post_Types::IMPORT_JOB ) );
		return $posts + $records + (int) KBJobs_Engine::get()->count( array( 'type' => 'import' ) ) + 1;
	}

	/**
	 * One page of the stream in hand.
	 *
	 * @return bool Whether the stream has more.
	 */
	private function step(): bool {
		switch ( $this->state['stream'] ) {
			case 'posts':
				return $this->posts_page();
			case 'records':
				return $this->records_page();
			default:
				return $this->imports_page();
		}
	}

	/**
	 * Appends a finding.
	 *
	 * @param array<string,mixed> $finding kind, reason, and the rest.
	 * @throws \RuntimeException When the line cannot be written.
	 */
	private function add( array $finding ): void {
		// Like the engine's lines: compact, slashes as they are, non-ASCII escaped.
		$line = json_encode( $finding, JSON_UNESCAPED_SLASHES | JSON_PARTIAL_OUTPUT_ON_ERROR ) . "\n"; // phpcs:ignore WordPress.WP.AlternativeFunctions.json_encode_json_encode -- wp_json_encode escapes slashes the engine's lines keep.
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fwrite
		if ( fwrite( $this->file, $line ) !== strlen( $line ) ) {
			throw new \RuntimeException( 'cannot write the reconciliation report' );
		}
		$this->state['bytes'] += strlen( $line );
		++$this->state['counts'][ $finding['kind'] ];
	}

	/**
	 * Stream 1: a page of posts with a source URL, after the cursor (a post ID).
	 *
	 * @return bool
	 */
	private function posts_page(): bool {
		global $wpdb;
		$after = (int) $this->state['cursor'];
		// Posts first (STRAIGHT_JOIN): an ordered primary-key range read, each post's
		// source meta found through the post_id index (forced: the meta_key one would read
		// every imported post's source for each post), ending after $this->page matches.
		// Ordered by ID alone, so no temporary table is needed.
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT STRAIGHT_JOIN p.ID AS id, m.meta_value AS url FROM {$wpdb->posts} p JOIN {$wpdb->postmeta} m FORCE INDEX (post_id) ON m.post_id = p.ID AND m.meta_key = %s WHERE p.ID > %d ORDER BY p.ID LIMIT %d",
				KBJobs_Sink::META_SOURCE,
				$after,
				$this->page
			),
			ARRAY_A
		);
		if ( ! $rows ) {
			return false;
		}
		$posts = array();
		foreach ( $rows as $row ) {
			$id = (int) $row['id'];
			if ( ! isset( $posts[ $id ] ) ) {
				$posts[ $id ] = array( 'url' => (string) $row['url'] );
			}
		}
		$ids   = array_keys( $posts );
		$marks = implode( ',', array_fill( 0, count( $ids ), '%d' ) );
		// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare,WordPress.DB.PreparedSQLPlaceholders.ReplacementsWrongNumber,WordPress.DB.DirectDatabaseQuery,WordPress.DB.SlowDBQuery -- $marks is one %d per id, the ids and keys passed to prepare().
		$meta = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT post_id, meta_key, meta_value FROM {$wpdb->postmeta} WHERE post_id IN ($marks) AND meta_key IN (%s, %s) ORDER BY meta_id",
				array_merge( $ids, array( KBJobs_Sink::META_ART, KBJobs_Sink::META_HASH ) )
			),
			ARRAY_A
		);
		// phpcs:enable
		foreach ( $meta as $m ) {
			$posts[ (int) $m['post_id'] ][ $m['meta_key'] ] = (string) $m['meta_value']; // phpcs:ignore WordPress.DB.SlowDBQuery -- a row's field, no query.
		}
		$engine  = KBJobs_Engine::get();
		$sources = $engine->postSources( $ids );
		foreach ( $posts as $id => $post ) {
			$this->check_post( $engine, $id, $post, $sources[ $id ] ?? null );
		}
		$this->state['cursor']            = max( $ids );
		$this->state['scanned']['posts'] += count( $ids );
		$this->state['done']             += count( $ids );
		return count( $rows ) >= $this->page;
	}

	/**
	 * The findings of one post.
	 *
	 * @param \KBJobs\Engine           $engine The engine.
	 * @param int                      $id     Post ID.
	 * @param array<string,string>     $post   url and its meta.
	 * @param array<string,mixed>|null $source Its index row by post id (Engine::postSources()).
	 */
	private function check_post( \KBJobs\Engine $engine, int $id, array $post, ?array $source ): void {
		$url  = $post['url'];
		$path = $post[ KBJobs_Sink::META_ART ] ?? '';
		$hash = 1 === preg_match( self::ARTIFACT_PATH, $path ) ? substr( basename( $path ), 0, 64 ) : null;
		if ( null === $hash || ! is_file( $this->dir . '/' . $path ) ) {
			$this->add(
				array_filter(
					array(
						'kind'     => 'ghost',
						'reason'   => 'post_without_artifact',
						'path'     => null === $hash ? null : $path,
						'url'      => $url,
						'url_hash' => $hash,
						'post_id'  => $id,
					),
					array( self::class, 'is_set' )
				)
			);
		}
		if ( null !== $source ) {
			return; // The index's row of this post names it.
		}
		$row = $this->index_row( $engine, $url );
		if ( null === $row ) {
			$this->add(
				array_filter(
					array(
						'kind'     => 'dangling',
						'reason'   => 'not_indexed',
						'url'      => $url,
						'url_hash' => $hash,
						'post_id'  => $id,
					),
					array( self::class, 'is_set' )
				)
			);
			return;
		}
		$other = (int) $row['post_id'];
		$same  = $other > 0 && null !== get_post( $other ) && get_post_meta( $other, KBJobs_Sink::META_SOURCE, true ) === $url;
		$this->add(
			array(
				'kind'          => 'dangling',
				'reason'        => $same ? 'duplicate_url' : 'other_post',
				'path'          => $row['path'],
				'url'           => $url,
				'url_hash'      => $row['url_hash'],
				'post_id'       => $id,
				'other_post_id' => $other,
				'job_id'        => $row['job'],
			)
		);
	}

	/**
	 * The index row of a source URL, or null (none, or a URL the engine refuses).
	 *
	 * @param \KBJobs\Engine $engine The engine.
	 * @param string         $url    The URL.
	 * @return array<string,mixed>|null
	 */
	private function index_row( \KBJobs\Engine $engine, string $url ): ?array {
		try {
			return $engine->artifact( $url );
		} catch ( \ValueError | \KBJobs\Exception $e ) {
			return null;
		}
	}

	/**
	 * Stream 2: a page of kb_import_job posts after the cursor (a post ID).
	 *
	 * @return bool
	 */
	private function records_page(): bool {
		global $wpdb;
		$sql = $wpdb->prepare(
			"SELECT ID FROM {$wpdb->posts} WHERE ID > %d AND post_type = %s ORDER BY ID LIMIT %d",
			(int) $this->state['cursor'],
			KBJobs_Post_Types::IMPORT_JOB,
			$this->page
		);
		$ids = array_map( 'intval', $wpdb->get_col( $sql ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.NotPrepared -- a keyset page, prepared above.
		if ( ! $ids ) {
			return false;
		}
		$marks = implode( ',', array_fill( 0, count( $ids ), '%d' ) );
		// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare,WordPress.DB.PreparedSQLPlaceholders.ReplacementsWrongNumber,WordPress.DB.DirectDatabaseQuery,WordPress.DB.SlowDBQuery -- one %d per id.
		$meta = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT post_id, meta_key, meta_value FROM {$wpdb->postmeta} WHERE post_id IN ($marks) AND meta_key IN (%s, %s)",
				array_merge( $ids, array( KBJobs_Import::META_JOB, self::META_EXPIRED ) )
			),
			ARRAY_A
		);
		// phpcs:enable
		$records = array_fill_keys( $ids, array() );
		foreach ( $meta as $m ) {
			$records[ (int) $m['post_id'] ][ $m['meta_key'] ] = (string) $m['meta_value']; // phpcs:ignore WordPress.DB.SlowDBQuery -- a row's field, no query.
		}
		$engine = KBJobs_Engine::get();
		foreach ( $records as $id => $meta ) {
			$job = $meta[ KBJobs_Import::META_JOB ] ?? '';
			if ( 1 !== preg_match( '/^[0-9a-f]{16}$/D', $job ) || isset( $meta[ self::META_EXPIRED ] ) ) {
				continue;
			}
			try {
				$engine->get( $job );
			} catch ( \KBJobs\NotFoundException $e ) {
				$this->add(
					array(
						'kind'    => 'dangling',
						'reason'  => 'job_gone',
						'post_id' => $id,
						'job_id'  => $job,
					)
				);
			}
		}
		$this->state['cursor']              = max( $ids );
		$this->state['scanned']['records'] += count( $ids );
		$this->state['done']               += count( $ids );
		return count( $ids ) >= $this->page;
	}

	/**
	 * Stream 3: import jobs, a page of the engine's list (newest first) at a time; for
	 * each, its post ids a page at a time. The cursor is the list page's own cursor ('' for
	 * the first); sub is [index of the import in the page, post id after].
	 *
	 * @return bool
	 */
	private function imports_page(): bool {
		$engine = KBJobs_Engine::get();
		$filter = array(
			'type'  => 'import',
			'limit' => min( 100, $this->page ),
		);
		if ( '' !== (string) $this->state['cursor'] ) {
			$filter['cursor'] = (string) $this->state['cursor'];
		}
		$list = $engine->list( $filter );
		$jobs = array();
		foreach ( $list['jobs'] as $job ) {
			$jobs[] = $job->toArray();
		}
		list( $at, $after ) = is_array( $this->state['sub'] ) ? $this->state['sub'] : array( 0, 0 );
		if ( 0 === $at && 0 === $after ) {
			$this->no_posts( $jobs );
		}
		$n = count( $jobs );
		for ( ; $at < $n; $at++, $after = 0 ) {
			if ( isset( $jobs[ $at ]['params']['parent'] ) ) {
				continue; // A range's posts are its import's.
			}
			$page = $engine->importPostIds( $jobs[ $at ]['id'], 'any', $after, min( 1000, $this->page ) );
			$this->missing_posts( $engine, $jobs[ $at ]['id'], $page['post_ids'] );
			if ( null !== $page['next_cursor'] ) {
				// One page of an import's posts is a step: a big import spans many.
				$this->state['sub'] = array( $at, (int) $page['next_cursor'] );
				return true;
			}
		}
		$this->state['scanned']['imports'] += count( $jobs );
		$this->state['done']               += count( $jobs );
		$this->state['sub']                 = null;
		if ( null === $list['next_cursor'] ) {
			return false;
		}
		$this->state['cursor'] = (string) $list['next_cursor'];
		return true;
	}

	/**
	 * Reason dangling / no_post: the imports of a page that no kb_import_job post records.
	 *
	 * @param array<int,array<string,mixed>> $jobs A page of jobs (toArray()).
	 */
	private function no_posts( array $jobs ): void {
		global $wpdb;
		$ids = array();
		foreach ( $jobs as $job ) {
			if ( ! isset( $job['params']['parent'] ) && null === $job['rerun_of'] && (float) $job['created_at'] < time() - $this->grace ) {
				$ids[] = (string) $job['id'];
			}
		}
		if ( ! $ids ) {
			return;
		}
		$marks = implode( ',', array_fill( 0, count( $ids ), '%s' ) );
		// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare,WordPress.DB.PreparedSQLPlaceholders.ReplacementsWrongNumber,WordPress.DB.DirectDatabaseQuery,WordPress.DB.SlowDBQuery -- one %s per id.
		$recorded = $wpdb->get_col(
			$wpdb->prepare(
				"SELECT m.meta_value FROM {$wpdb->postmeta} m JOIN {$wpdb->posts} p ON p.ID = m.post_id AND p.post_type = %s WHERE m.meta_key = %s AND m.meta_value IN ($marks)",
				array_merge( array( KBJobs_Post_Types::IMPORT_JOB, KBJobs_Import::META_JOB ), $ids )
			)
		);
		// phpcs:enable
		foreach ( array_diff( $ids, $recorded ) as $id ) {
			$this->add(
				array(
					'kind'   => 'dangling',
					'reason' => 'no_post',
					'job_id' => $id,
				)
			);
		}
	}

	/**
	 * Reason dangling / post_missing: the posts of an import's page of post ids that are gone.
	 *
	 * @param \KBJobs\Engine $engine The engine.
	 * @param string         $job_id The import.
	 * @param int[]          $ids    Post ids from the index.
	 */
	private function missing_posts( \KBJobs\Engine $engine, string $job_id, array $ids ): void {
		global $wpdb;
		if ( ! $ids ) {
			return;
		}
		$marks = implode( ',', array_fill( 0, count( $ids ), '%d' ) );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare,WordPress.DB.PreparedSQLPlaceholders.ReplacementsWrongNumber,WordPress.DB.DirectDatabaseQuery,WordPress.DB.SlowDBQuery -- one %d per id.
		$there   = array_map( 'intval', $wpdb->get_col( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE ID IN ($marks)", $ids ) ) );
		$missing = array_values( array_diff( array_map( 'intval', $ids ), $there ) );
		if ( ! $missing ) {
			return;
		}
		sort( $missing );
		$sources = $engine->postSources( $missing );
		foreach ( $missing as $id ) {
			$row = $this->index_row( $engine, (string) ( $sources[ $id ]['url'] ?? '' ) );
			$this->add(
				array_filter(
					array(
						'kind'     => 'dangling',
						'reason'   => 'post_missing',
						'path'     => $row['path'] ?? null,
						'url'      => $sources[ $id ]['url'] ?? null,
						'url_hash' => $row['url_hash'] ?? null,
						'post_id'  => $id,
						'job_id'   => $job_id,
					),
					array( self::class, 'is_set' )
				)
			);
		}
	}

	/**
	 * The array_filter() callback: keeps the fields that are set.
	 *
	 * @param mixed $v A value.
	 * @return bool
	 */
	private static function is_set( $v ): bool {
		return null !== $v;
	}
}
