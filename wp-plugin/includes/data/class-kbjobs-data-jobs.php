<?php
/**
 * Jobs as the operator surfaces list and show them, each read through an engine
 * function: filtered lists with a keyset cursor, counts by status, one job with the
 * reason it is not running yet, its log and its failed attempts. Collects only; REST,
 * `wp kb` and the screens render.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects jobs.
 */
final class KBJobs_Data_Jobs {

	const STATUSES = array( 'queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted', 'held' );

	/**
	 * The fields `wp kb job list` shows by default.
	 */
	const LIST_FIELDS = array( 'id', 'type', 'queue', 'status', 'title', 'progress_done', 'progress_total', 'attempts', 'created_at', 'finished_at' );

	/**
	 * The filter keys lists accept, and their meaning (REST args and CLI options use
	 * the same names).
	 */
	const FILTER_KEYS = array( 'status', 'queue', 'type', 'search', 'unique_key_prefix', 'created_after', 'created_before' );

	/**
	 * Whether $id has the shape of a job id (16 lowercase hex characters).
	 *
	 * @param mixed $id A value.
	 * @return bool
	 */
	public static function is_id( $id ): bool {
		return is_string( $id ) && 1 === preg_match( '/^[0-9a-f]{16}$/D', $id );
	}

	/**
	 * The engine's filter from ours: times accepted as ISO 8601 or Unix times, unknown
	 * and empty keys dropped.
	 *
	 * @param array<string,mixed> $filter status, queue, type, search, unique_key_prefix,
	 *                                    created_after, created_before.
	 * @return array<string,mixed>
	 * @throws \ValueError When a value is not valid.
	 */
	public static function engine_filter( array $filter ): array {
		$out = array();
		foreach ( self::FILTER_KEYS as $key ) {
			if ( ! isset( $filter[ $key ] ) || '' === $filter[ $key ] ) {
				continue;
			}
			$value = $filter[ $key ];
			if ( 'created_after' === $key || 'created_before' === $key ) {
				$value = KBJobs_Format::parse_time( $value );
				if ( null === $value ) {
					throw new \ValueError( sprintf( '%s must be an ISO 8601 date-time', $key ) );
				}
			} elseif ( 'status' === $key && ! in_array( $value, self::STATUSES, true ) ) {
				throw new \ValueError( sprintf( 'status must be one of %s', implode( ', ', self::STATUSES ) ) );
			} elseif ( ! is_string( $value ) ) {
				throw new \ValueError( sprintf( '%s must be a string', $key ) );
			}
			$out[ $key ] = $value;
		}
		return $out;
	}

	/**
	 * A page of jobs, newest first.
	 *
	 * @param array<string,mixed> $filter FILTER_KEYS, plus limit (1..1000) and cursor.
	 * @return array{jobs:array<int,array<string,mixed>>,next_cursor:?string}
	 */
	public static function page( array $filter ): array {
		$query          = self::engine_filter( $filter );
		$query['limit'] = max( 1, min( 1000, (int) ( $filter['limit'] ?? 50 ) ) );
		if ( ! empty( $filter['cursor'] ) ) {
			$query['cursor'] = (string) $filter['cursor'];
		}
		$page = KBJobs_Engine::get()->list( $query );
		return array(
			'jobs'        => array_map( array( 'KBJobs_Format', 'job' ), $page['jobs'] ),
			'next_cursor' => '' === (string) $page['next_cursor'] ? null : (string) $page['next_cursor'],
		);
	}

	/**
	 * How many jobs match a filter.
	 *
	 * @param array<string,mixed> $filter FILTER_KEYS.
	 * @return int
	 */
	public static function count( array $filter ): int {
		return (int) KBJobs_Engine::get()->count( self::engine_filter( $filter ) );
	}

	/**
	 * Jobs by status (every status present, 0 when none).
	 *
	 * @param array<string,mixed> $filter FILTER_KEYS (status ignored).
	 * @return array<string,int>
	 */
	public static function counts( array $filter = array() ): array {
		return self::counts_flagged( $filter )['counts'];
	}

	/**
	 * Jobs by status, and how each count is known: exact up to KBJobs_Format::COUNT_CAP,
	 * above it the index's estimate ('estimate'), or with a filter no index serves
	 * beside the status (all but queue) only 'more' than the cap. Each count reads at
	 * most the cap + 1 rows, unless $exact.
	 *
	 * @param array<string,mixed> $filter FILTER_KEYS (status ignored).
	 * @param bool                $exact  Count every matching row (slow on a large table).
	 * @return array{counts:array<string,int>,estimated:array<string,string>}
	 */
	public static function counts_flagged( array $filter = array(), bool $exact = false ): array {
		unset( $filter['status'] );
		$estimated = array();
		$counts    = KBJobs_Engine::get()->statusCounts( self::engine_filter( $filter ), $exact, $estimated );
		return array(
			'counts'    => array_map( 'intval', $counts ),
			'estimated' => is_array( $estimated ) ? $estimated : array(),
		);
	}

	/**
	 * One job, with why it is not running yet when it is queued (`waiting`).
	 *
	 * @param string $id A job id.
	 * @return array<string,mixed>
	 * @throws \KBJobs\NotFoundException When there is no such job.
	 */
	public static function get( string $id ): array {
		self::require_id( $id );
		$engine = KBJobs_Engine::get();
		$job    = KBJobs_Format::job( $engine->get( $id ) );
		$why    = 'queued' === $job['status'] ? $engine->why( $id ) : null;
		if ( is_array( $why ) && isset( $why['until'] ) ) {
			$why['until'] = KBJobs_Format::time( $why['until'] );
		}
		if ( 'held' === $job['status'] ) {
			// Not in its queue yet: nothing but a release of its backlog starts it.
			$why = array(
				'code'     => 'held',
				/* translators: %s: a backlog's name */
				'message'  => sprintf( __( 'held in backlog %s until the backlog is released', 'kb-jobs' ), (string) $job['backlog'] ),
				'until'    => null,
				'queue'    => $job['queue'],
				'holder'   => null,
				'resource' => null,
				'attempt'  => $job['attempts'],
				'running'  => 0,
				'limit'    => null,
			);
		}
		$job['waiting'] = $why;
		return $job;
	}

	/**
	 * Refuses a malformed id the way the engine refuses an unknown one: nothing is read.
	 *
	 * @param string $id A job id.
	 * @throws \ValueError When it is not a job id.
	 */
	public static function require_id( string $id ): void {
		if ( ! self::is_id( $id ) ) {
			throw new \ValueError( 'a job id is 16 lowercase hexadecimal characters' );
		}
	}

	/**
	 * Log lines from a byte cursor, or the last $tail lines.
	 *
	 * @param string   $id     A job id.
	 * @param int      $cursor Byte offset from a previous read (0: the start).
	 * @param int|null $tail   The last this many lines instead (1..10000).
	 * @return array{lines:array<int,array<string,mixed>>,next_cursor:int,eof:bool}
	 */
	public static function logs( string $id, int $cursor = 0, ?int $tail = null ): array {
		self::require_id( $id );
		$engine = KBJobs_Engine::get();
		$engine->get( $id ); // 404 for an unknown job, rather than an empty log.
		$read = null === $tail ? $engine->logs( $id, max( 0, $cursor ) ) : $engine->tail( $id, max( 1, min( 10000, $tail ) ) );
		// Each line is the engine's JSON object: ts (ISO 8601 UTC), level, msg, ctx.
		$lines = array_values( array_filter( $read['lines'], 'is_array' ) );
		return array(
			'lines'       => $lines,
			'next_cursor' => (int) $read['next_cursor'],
			'eof'         => (bool) ( $read['eof'] ?? true ),
		);
	}

	/**
	 * The failed attempts of a job, oldest first.
	 *
	 * @param string $id A job id.
	 * @return array<int,array<string,mixed>>
	 */
	public static function attempts( string $id ): array {
		self::require_id( $id );
		return array_map(
			static function ( $a ) {
				return KBJobs_Format::times( $a, array( 'started_at', 'finished_at' ) );
			},
			KBJobs_Engine::get()->attempts( $id )
		);
	}
}
