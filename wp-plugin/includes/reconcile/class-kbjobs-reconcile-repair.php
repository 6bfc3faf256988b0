<?php
/**
 * Repairs after a reconciliation: what its report found, checked again, then fixed.
 *
 * The dry run, plan(), streams a finished reconcile job's report
 * (`logs/<job>.reconcile.jsonl`, read a page of lines at a time from a byte cursor, never
 * whole), checks each finding of the kinds asked for against the files and records as
 * they are now, and says what apply() would do with it. apply() walks the report the
 * same way, checks each finding again (time has passed since the plan) and acts:
 *
 * - ghosts (a record whose artifact file is missing) and drift (a file that no longer
 *   matches its record: truncated, changed, a hash mismatch) are re-fetched: their
 *   source URLs go into ONE import with the engine's `rewrite` param, which writes the
 *   artifact, its index row and the post again even when the page is unchanged, for the
 *   same post (the sink finds it through the artifact index); the Articles screen's
 *   "Re-fetch" goes through the same refetch_urls();
 * - orphans (a file no record names) are moved to `quarantine/<Y-m-d>/<its path>` by the
 *   engine (Engine::quarantine(): never deleted, never through a symlink, never over
 *   another file); the daily cleanup deletes dated folders after quarantine_days.
 *
 * A finding no longer true (the missing file came back, the drifted file was fixed, the
 * orphan is gone) is counted as stale and left alone. An orphan is skipped when it now
 * has a record, was modified within the reconciliation's grace period (a file being
 * written) or belongs to a job that exists again; a path is re-validated before
 * anything is done with it (relative, inside a known folder, no "..").
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Plans and applies repairs of a reconciliation's findings.
 */
final class KBJobs_Reconcile_Repair {

	/**
	 * The kinds as the CLI and REST name them => the finding kind in the report.
	 */
	const KINDS = array(
		'ghosts'  => 'ghost',
		'orphans' => 'orphan',
		'drift'   => 'drift',
	);

	/**
	 * Findings read from the report per page.
	 */
	const PAGE = 500;

	/**
	 * The largest artifact re-read to check a drift finding or an orphan's URL; a larger
	 * file is what the engine calls too_large anyway.
	 */
	const ARTIFACT_MAX = 67108864;

	/**
	 * The folders of the data directory reconciliation reports files in.
	 */
	const FOLDERS = array( 'artifacts', 'lists', 'logs', 'checkpoints' );

	/**
	 * The dry run: what apply() would do with each finding of $kinds, checked now.
	 *
	 * @param string   $job_id A finished reconcile job.
	 * @param string[] $kinds  Of 'ghosts', 'orphans', 'drift'.
	 * @param int      $limit  How many actions to list (1..1000); counts cover them all.
	 * @return array|WP_Error job, kinds, counts (kind => refetch|quarantine|skip => n),
	 *         stale, actions (the first $limit: kind, reason, action, path, url, post_id,
	 *         to, why).
	 */
	public static function plan( string $job_id, array $kinds, int $limit = 200 ) {
		if ( ! KBJobs_Access::can( KBJobs_Access::OPERATE ) ) {
			return KBJobs_Access::denied( KBJobs_Access::OPERATE );
		}
		try {
			return self::walk( $job_id, $kinds, max( 1, min( 1000, $limit ) ), false );
		} catch ( \Throwable $e ) {
			return KBJobs_Action::error_from( $e );
		}
	}

	/**
	 * Does what plan() says, checking each finding again: one re-fetch import for the
	 * ghosts and drift (per post type, normally one), orphans moved to quarantine.
	 * Audited as `reconcile.repair`.
	 *
	 * @param string   $job_id A finished reconcile job.
	 * @param string[] $kinds  Of 'ghosts', 'orphans', 'drift'.
	 * @return array|WP_Error refetch_job (id|null), refetch_jobs (every one, when posts
	 *         of more than one type were re-fetched), refetched (URLs), quarantined,
	 *         skipped, stale.
	 */
	public static function apply( string $job_id, array $kinds ) {
		return KBJobs_Action::run(
			'reconcile.repair',
			'job:' . $job_id,
			static function () use ( $job_id, $kinds ) {
				$done = self::walk( $job_id, $kinds, 0, true );
				if ( is_wp_error( $done ) ) {
					return $done;
				}
				$done['audit'] = array(
					'kinds'       => $done['kinds'],
					'refetch_job' => $done['refetch_job'],
					'refetched'   => $done['refetched'],
					'quarantined' => $done['quarantined'],
					'skipped'     => $done['skipped'],
					'stale'       => $done['stale'],
				);
				unset( $done['kinds'] );
				return $done;
			},
			array( 'kinds' => array_values( $kinds ) )
		);
	}

	/**
	 * Imports $urls again with the engine's `rewrite` param: the artifact, its index row
	 * and the post are written even when the page is unchanged, so a missing or damaged
	 * artifact comes back, for the same post (the sink finds it through the index; the
	 * post keeps its status and author). The one re-fetch path: the Articles screen's
	 * "Re-fetch" and apply() both use it. The caller checks the capability and audits.
	 *
	 * @param string[]|resource   $urls    The URLs (an array, or a stream of one URL a line
	 *                                     for a long list).
	 * @param string              $why     What the import record says it was ("Re-fetch
	 *                                     of post 12", "Repair after reconcile ...").
	 * @param array<string,mixed> $params  Import params (post_type, status, author for
	 *                                     posts that have to be made again, chunk_size).
	 * @param array<string,mixed> $options Engine::submit() options (unique_key, ...).
	 * @return array<string,mixed> The engine's report (id, accepted, ...) and post_id.
	 */
	public static function refetch_urls( $urls, string $why, array $params = array(), array $options = array() ): array {
		$params = array_merge(
			array(
				'post_type' => KBJobs_Post_Types::article_type(),
				'status'    => 'draft',
			),
			$params,
			array(
				'sink'    => 'compatible',
				'rewrite' => true,
			)
		);
		return KBJobs_Import::start( $urls, $params, $why, $options );
	}

	/**
	 * Streams the report and checks (and with $apply, repairs) each finding.
	 *
	 * @param string   $job_id The reconcile job.
	 * @param string[] $kinds  CLI/REST kind names.
	 * @param int      $limit  Actions listed (plan).
	 * @param bool     $apply  Whether to act.
	 * @return array|WP_Error
	 */
	private static function walk( string $job_id, array $kinds, int $limit, bool $apply ) {
		$kinds = array_values( array_unique( array_map( 'strval', $kinds ) ) );
		if ( ! $kinds || array_diff( $kinds, array_keys( self::KINDS ) ) ) {
			/* translators: %s: the kinds allowed */
			return new WP_Error( 'kbjobs_invalid', sprintf( __( 'Kinds must be some of: %s.', 'kb-jobs' ), implode( ', ', array_keys( self::KINDS ) ) ), array( 'status' => 400 ) );
		}
		if ( ! KBJobs_Data_Jobs::is_id( $job_id ) ) {
			/* translators: %s: what was given */
			return new WP_Error( 'kbjobs_invalid', sprintf( __( '%s is not a job id.', 'kb-jobs' ), $job_id ), array( 'status' => 400 ) );
		}
		$engine = KBJobs_Engine::get();
		$job    = $engine->get( $job_id );
		if ( ! in_array( $job->type, array( 'reconcile', 'combined' ), true ) || ! is_file( KBJobs_Reconcile_Posts::report_path( $job_id ) ) ) {
			/* translators: %s: job id */
			return new WP_Error( 'kbjobs_not_found', sprintf( __( 'Job %s has no reconciliation report.', 'kb-jobs' ), $job_id ), array( 'status' => 404 ) );
		}
		if ( 'completed' !== $job->status ) {
			/* translators: 1: job id, 2: its status */
			return new WP_Error( 'kbjobs_conflict', sprintf( __( 'Reconciliation %1$s is %2$s: only a finished report can be repaired from.', 'kb-jobs' ), $job_id, $job->status ), array( 'status' => 409 ) );
		}
		$grace  = self::grace( $job->params );
		$wanted = array();
		foreach ( $kinds as $k ) {
			$wanted[ self::KINDS[ $k ] ] = $k;
		}
		$out = array(
			'job'    => $job_id,
			'kinds'  => $kinds,
			'counts' => array(),
			'stale'  => 0,
		);
		foreach ( $kinds as $k ) {
			$out['counts'][ $k ] = array(
				'refetch'    => 0,
				'quarantine' => 0,
				'skip'       => 0,
			);
		}
		$actions     = array();
		$refetch     = array(); // post type => stream of URLs, one a line (bounded memory).
		$refetched   = 0;
		$quarantined = 0;
		$skipped     = 0;
		$cursor      = 0;
		do {
			$page = KBJobs_Reconcile::findings( $job_id, $cursor, self::PAGE );
			if ( is_wp_error( $page ) ) {
				return $page;
			}
			foreach ( $page['findings'] as $finding ) {
				$kind = isset( $finding['kind'] ) ? (string) $finding['kind'] : '';
				if ( ! isset( $wanted[ $kind ] ) ) {
					continue;
				}
				$name = $wanted[ $kind ];
				$step = self::check( $engine, $finding, $grace );
				if ( null === $step ) {
					++$out['stale'];
					continue;
				}
				if ( $apply && 'quarantine' === $step['action'] ) {
					try {
						$step['to'] = $engine->quarantine( $step['path'] );
						++$quarantined;
					} catch ( \KBJobs\NotFoundException $e ) {
						++$out['stale']; // gone since the check: nothing left to move.
						continue;
					} catch ( \Throwable $e ) {
						$step['action'] = 'skip';
						$step['why']    = $e->getMessage();
					}
				} elseif ( $apply && 'refetch' === $step['action'] ) {
					$type = self::post_type_of( (int) $step['post_id'] );
					if ( ! isset( $refetch[ $type ] ) ) {
						// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fopen -- a temporary stream that spills to a file past 2 MB: the URL list of a big repair never sits in memory.
						$refetch[ $type ] = fopen( 'php://temp/maxmemory:2097152', 'w+b' );
					}
					fwrite( $refetch[ $type ], $step['url'] . "\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fwrite
					++$refetched;
				}
				if ( 'skip' === $step['action'] ) {
					++$skipped;
				}
				++$out['counts'][ $name ][ $step['action'] ];
				if ( ! $apply && count( $actions ) < $limit ) {
					$actions[] = array( 'kind' => $name ) + $step;
				}
			}
			$cursor = $page['next_cursor'];
		} while ( null !== $cursor );

		if ( ! $apply ) {
			$out['actions'] = $actions;
			return $out;
		}
		$jobs = array();
		foreach ( $refetch as $type => $stream ) {
			rewind( $stream );
			$report = self::refetch_urls(
				$stream,
				/* translators: %s: reconcile job id */
				sprintf( __( 'Repair after reconciliation %s', 'kb-jobs' ), $job_id ),
				array( 'post_type' => $type ),
				array( 'unique_key' => 'reconcile-repair:' . $job_id . ':' . $type )
			);
			fclose( $stream ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fclose
			$jobs[] = (string) $report['id'];
		}
		return array(
			'kinds'        => $kinds,
			'refetch_job'  => $jobs ? $jobs[0] : null,
			'refetch_jobs' => $jobs,
			'refetched'    => $refetched,
			'quarantined'  => $quarantined,
			'skipped'      => $skipped,
			'stale'        => $out['stale'],
		);
	}

	/**
	 * One finding checked against the files and records as they are now: the step to
	 * take (action refetch, quarantine or skip, with why), or null when the finding is
	 * no longer true (stale).
	 *
	 * @param \KBJobs\Engine      $engine  The engine.
	 * @param array<string,mixed> $finding A report line.
	 * @param int                 $grace   Seconds within which a modified file is left alone.
	 * @return array<string,mixed>|null
	 */
	private static function check( \KBJobs\Engine $engine, array $finding, int $grace ): ?array {
		$path = isset( $finding['path'] ) ? (string) $finding['path'] : '';
		if ( ! empty( $finding['escaped'] ) ) {
			$path = self::unescape( $path );
		}
		$step = array(
			'reason'  => isset( $finding['reason'] ) ? (string) $finding['reason'] : '',
			'action'  => 'skip',
			'path'    => $path,
			'url'     => isset( $finding['url'] ) ? (string) $finding['url'] : null,
			'post_id' => isset( $finding['post_id'] ) ? (int) $finding['post_id'] : null,
			'to'      => null,
			'why'     => '',
		);
		if ( '' !== $path && ! self::safe_path( $path ) ) {
			$step['why'] = __( 'the path is not a file of the data directory', 'kb-jobs' );
			return $step;
		}
		$full = '' === $path ? '' : KBJobs_Settings::data_dir() . '/' . $path;
		if ( 'orphan' === $finding['kind'] ) {
			return self::check_orphan( $engine, $step, $full, $grace );
		}
		return self::check_refetch( $engine, $finding, $step, $full, $grace );
	}

	/**
	 * A ghost or drift finding: re-fetched unless it was fixed since (stale).
	 *
	 * @param \KBJobs\Engine      $engine  The engine.
	 * @param array<string,mixed> $finding The report line.
	 * @param array<string,mixed> $step    The step so far.
	 * @param string              $full    The file's absolute path ('' for none).
	 * @param int                 $grace   Seconds.
	 * @return array<string,mixed>|null
	 */
	private static function check_refetch( \KBJobs\Engine $engine, array $finding, array $step, string $full, int $grace ): ?array {
		$row = null;
		if ( null === $step['url'] && $step['post_id'] ) {
			$source      = $engine->postSources( array( $step['post_id'] ) )[ $step['post_id'] ] ?? null;
			$step['url'] = $source ? (string) $source['url'] : null;
		}
		if ( null !== $step['url'] ) {
			$row = $engine->artifact( $step['url'] );
		}
		if ( null === $row && null === $step['url'] ) {
			$step['why'] = __( 'its source URL is not known', 'kb-jobs' );
			return $step;
		}
		if ( null === $row ) {
			return null; // its record is gone: nothing points at a missing file any more.
		}
		if ( ! $step['post_id'] && $row['post_id'] > 0 ) {
			$step['post_id'] = (int) $row['post_id'];
		}
		if ( '' === $full ) {
			$full = KBJobs_Settings::data_dir() . '/' . $row['path'];
		}
		clearstatcache( true, $full );
		$stat = @lstat( $full ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a missing file is an answer here.
		if ( 'ghost' === $finding['kind'] && false !== $stat ) {
			return null; // the missing file came back.
		}
		if ( 'drift' === $finding['kind'] ) {
			if ( false !== $stat && time() - (int) $stat['mtime'] < $grace ) {
				$step['why'] = __( 'modified within the grace period: being written', 'kb-jobs' );
				return $step;
			}
			if ( false !== $stat && self::artifact_ok( $full, $row ) ) {
				return null; // the file matches its record again.
			}
		}
		if ( false !== strpos( (string) $step['url'], '***@' ) ) {
			$step['why'] = __( 'its URL had credentials, which are not kept: import it again from its list', 'kb-jobs' );
			return $step;
		}
		$step['action'] = 'refetch';
		return $step;
	}

	/**
	 * An orphan: moved to quarantine unless it is gone (stale), recent, or has an owner
	 * again (a record, a job).
	 *
	 * @param \KBJobs\Engine      $engine The engine.
	 * @param array<string,mixed> $step   The step so far.
	 * @param string              $full   The file's absolute path.
	 * @param int                 $grace  Seconds.
	 * @return array<string,mixed>|null
	 */
	private static function check_orphan( \KBJobs\Engine $engine, array $step, string $full, int $grace ): ?array {
		if ( '' === $full ) {
			$step['why'] = __( 'the finding names no file', 'kb-jobs' );
			return $step;
		}
		clearstatcache( true, $full );
		$stat = @lstat( $full ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a missing file is an answer here.
		if ( false === $stat ) {
			return null;
		}
		if ( time() - (int) $stat['mtime'] < $grace ) {
			$step['why'] = __( 'modified within the grace period: being written', 'kb-jobs' );
			return $step;
		}
		$top  = strstr( $step['path'], '/', true );
		$base = basename( $step['path'] );
		if ( 'artifacts' === $top ) {
			$owner = self::artifact_owner( $engine, $full, $stat );
			if ( null !== $owner && $owner['path'] === $step['path'] ) {
				$step['why'] = __( 'it has a record now', 'kb-jobs' );
				return $step;
			}
		} elseif ( preg_match( '/^([0-9a-f]{16})\./', $base, $m ) ) {
			try {
				$job = $engine->get( $m[1] );
				/* translators: %s: job status */
				$step['why'] = sprintf( __( 'its job exists (%s)', 'kb-jobs' ), $job->status );
				return $step;
			} catch ( \KBJobs\NotFoundException $e ) {
				// No job: the file is what the report says.
				unset( $e );
			}
		}
		$step['action'] = 'quarantine';
		return $step;
	}

	/**
	 * The index row of the URL an artifact file names, or null.
	 *
	 * @param \KBJobs\Engine      $engine The engine.
	 * @param string              $full   The file.
	 * @param array<string,mixed> $stat   Its lstat().
	 * @return array<string,mixed>|null
	 */
	private static function artifact_owner( \KBJobs\Engine $engine, string $full, array $stat ): ?array {
		if ( 0100000 !== ( $stat['mode'] & 0170000 ) || $stat['size'] > self::ARTIFACT_MAX ) {
			return null;
		}
		$doc = json_decode( (string) file_get_contents( $full ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local file of the data directory, size checked.
		if ( ! is_array( $doc ) || ! isset( $doc['url'] ) || ! is_string( $doc['url'] ) ) {
			return null;
		}
		try {
			return $engine->artifact( $doc['url'] );
		} catch ( \ValueError $e ) {
			return null;
		}
	}

	/**
	 * Whether an artifact file agrees with its index row again: JSON, its url_hash, its
	 * content hash the row's, and its title and text hashing to it (as the engine checks).
	 *
	 * @param string              $full The file.
	 * @param array<string,mixed> $row  Engine::artifact().
	 * @return bool
	 */
	private static function artifact_ok( string $full, array $row ): bool {
		if ( ! is_file( $full ) || is_link( $full ) || filesize( $full ) > self::ARTIFACT_MAX || 0 === filesize( $full ) ) {
			return false;
		}
		$doc = json_decode( (string) file_get_contents( $full ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local file of the data directory, size checked.
		return is_array( $doc ) && isset( $doc['url_hash'], $doc['content_hash'], $doc['title'], $doc['text'] )
			&& $doc['url_hash'] === $row['url_hash'] && $doc['content_hash'] === $row['content_hash']
			&& hash( 'sha256', $doc['title'] . "\n" . $doc['text'] ) === $doc['content_hash']
			&& substr( $full, strlen( KBJobs_Settings::data_dir() ) + 1 ) === $row['path'];
	}

	/**
	 * Whether $path is a plain relative path inside one of the folders reconciliation
	 * reports (never quarantine/, never "..", "." or an empty component).
	 *
	 * @param string $path Relative to the data directory.
	 * @return bool
	 */
	private static function safe_path( string $path ): bool {
		if ( '' === $path || '/' === $path[0] || false !== strpos( $path, "\0" ) ) {
			return false;
		}
		$parts = explode( '/', $path );
		if ( count( $parts ) < 2 || ! in_array( $parts[0], self::FOLDERS, true ) ) {
			return false;
		}
		foreach ( $parts as $part ) {
			if ( '' === $part || '.' === $part || '..' === $part ) {
				return false;
			}
		}
		return true;
	}

	/**
	 * A path as the engine escapes it (every byte outside 0x21..0x7e, and "\", as \xHH)
	 * back to its bytes.
	 *
	 * @param string $path The escaped path.
	 * @return string
	 */
	private static function unescape( string $path ): string {
		return (string) preg_replace_callback(
			'/\\\\x([0-9a-fA-F]{2})/',
			static function ( $m ) {
				return chr( (int) hexdec( $m[1] ) );
			},
			$path
		);
	}

	/**
	 * The reconciliation's grace period, from its params (a combined job's `files`
	 * phase), 600 s by default.
	 *
	 * @param array<string,mixed> $params The job's params.
	 * @return int
	 */
	private static function grace( array $params ): int {
		if ( isset( $params['grace_seconds'] ) ) {
			return max( 0, (int) $params['grace_seconds'] );
		}
		foreach ( (array) ( $params['phases'] ?? array() ) as $phase ) {
			if ( is_array( $phase ) && isset( $phase['params']['grace_seconds'] ) ) {
				return max( 0, (int) $phase['params']['grace_seconds'] );
			}
		}
		return 600;
	}

	/**
	 * The post type a re-fetch of a post writes (the post's own, so the sink finds it),
	 * the article type for a post that is gone.
	 *
	 * @param int $post_id The post, or 0.
	 * @return string
	 */
	private static function post_type_of( int $post_id ): string {
		$type = $post_id > 0 ? get_post_type( $post_id ) : false;
		return ( $type && post_type_exists( $type ) ) ? $type : KBJobs_Post_Types::article_type();
	}
}
