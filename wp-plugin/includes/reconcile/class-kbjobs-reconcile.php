<?php
/**
 * INTERIM (part U's stand-in, replaced at merge by part P's class): reconciliation as
 * the shared contract describes it, reduced to the native phase. start() submits the
 * engine's `reconcile` type only (no PHP `posts` phase, so no dangling findings);
 * report() and findings() read the job and `logs/<job>.reconcile.jsonl`.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reconciliation runs, their reports and findings (interim).
 */
final class KBJobs_Reconcile {

	/**
	 * The finding kinds, in the order they are shown.
	 */
	const KINDS = array( 'ghost', 'orphan', 'drift', 'dangling', 'unsafe' );

	/**
	 * Submits a reconciliation unless one is queued or running.
	 *
	 * @param array $args grace_seconds, shallow, keep, source.
	 * @return array|WP_Error array( 'id' => job id ).
	 */
	public static function start( array $args = array() ) {
		try {
			$engine = KBJobs_Engine::get();
			$busy   = self::busy();
			if ( null !== $busy ) {
				return new WP_Error(
					'kbjobs_reconcile_running',
					/* translators: %s: job id */
					sprintf( __( 'A reconciliation is already queued or running (job %s).', 'kb-jobs' ), $busy ),
					array(
						'status' => 409,
						'id'     => $busy,
					)
				);
			}
			$params = array();
			foreach ( array( 'grace_seconds', 'keep' ) as $key ) {
				if ( isset( $args[ $key ] ) ) {
					$params[ $key ] = (int) $args[ $key ];
				}
			}
			if ( isset( $args['shallow'] ) ) {
				$params['shallow'] = (bool) $args['shallow'];
			}
			return array( 'id' => $engine->submit( 'reconcile', $params ) );
		} catch ( \Throwable $e ) {
			return KBJobs_Action::error_from( $e );
		}
	}

	/**
	 * The id of a queued or running reconciliation, or null.
	 *
	 * @return string|null
	 */
	private static function busy(): ?string {
		foreach ( array( 'running', 'queued' ) as $status ) {
			$page = KBJobs_Engine::get()->list(
				array(
					'type'   => 'reconcile',
					'status' => $status,
					'limit'  => 1,
				)
			);
			if ( ! empty( $page['jobs'] ) ) {
				return $page['jobs'][0]->id;
			}
		}
		return null;
	}

	/**
	 * A reconciliation's report (null: the latest; null when there is none).
	 *
	 * @param string|null $job_id The job.
	 * @return array|null
	 */
	public static function report( ?string $job_id = null ): ?array {
		$engine = KBJobs_Engine::get();
		if ( null === $job_id ) {
			$page = $engine->list(
				array(
					'type'  => 'reconcile',
					'limit' => 1,
				)
			);
			if ( empty( $page['jobs'] ) ) {
				return null;
			}
			$job = $page['jobs'][0];
		} else {
			try {
				$job = $engine->get( $job_id );
			} catch ( \KBJobs\NotFoundException $e ) {
				return null;
			}
			if ( 'reconcile' !== $job->type ) {
				return null;
			}
		}
		$result = is_array( $job->result ) ? $job->result : array();
		$counts = array_fill_keys( self::KINDS, 0 );
		foreach ( (array) ( $result['counts'] ?? array() ) as $kind => $n ) {
			$counts[ $kind ] = (int) $n;
		}
		$done     = in_array( $job->status, array( 'completed', 'failed', 'cancelled' ), true );
		$progress = $job->progressTotal > 0 ? (int) min( 100, floor( 100 * $job->progressDone / $job->progressTotal ) ) : 0;
		$eta      = $job->eta();
		return array(
			'id'          => $job->id,
			'status'      => $job->status,
			'created_at'  => null !== $job->createdAt ? (int) $job->createdAt : null,
			'finished_at' => null !== $job->finishedAt ? (int) $job->finishedAt : null,
			'progress'    => 'completed' === $job->status ? 100 : $progress,
			'eta'         => ! $done && null !== $eta ? (int) ceil( $eta ) : null,
			'counts'      => $counts,
			'total'       => array_sum( $counts ),
			'scanned'     => (int) ( $result['scanned']['items'] ?? 0 ),
			'first'       => array_slice( (array) ( $result['first'] ?? array() ), 0, 50 ),
			'error'       => $job->error,
		);
	}

	/**
	 * A page of a report's findings, from a byte offset into its file.
	 *
	 * @param string      $job_id The job.
	 * @param int         $cursor Byte offset (0: the start).
	 * @param int         $limit  Lines to read at most.
	 * @param string|null $kind   Only this kind.
	 * @return array|WP_Error array( 'findings' => list, 'next_cursor' => int|null ).
	 */
	public static function findings( string $job_id, int $cursor = 0, int $limit = 100, ?string $kind = null ) {
		if ( ! KBJobs_Data_Jobs::is_id( $job_id ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'Not a job id.', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		if ( null === self::report( $job_id ) ) {
			return KBJobs_Action::no_job( $job_id );
		}
		$path = KBJobs_Settings::data_dir() . '/logs/' . $job_id . '.reconcile.jsonl';
		$out  = array(
			'findings'    => array(),
			'next_cursor' => null,
		);
		$file = is_file( $path ) ? fopen( $path, 'rb' ) : false; // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fopen -- a stream read by offset.
		if ( false === $file ) {
			return $out;
		}
		fseek( $file, max( 0, $cursor ) );
		$limit = max( 1, $limit );
		for ( $i = 0; $i < $limit; $i++ ) {
			$line = fgets( $file );
			if ( false === $line ) {
				break;
			}
			$finding = json_decode( $line, true );
			if ( is_array( $finding ) && ( null === $kind || ( $finding['kind'] ?? '' ) === $kind ) ) {
				$out['findings'][] = $finding;
			}
		}
		$at = ftell( $file );
		if ( false !== fgets( $file ) ) {
			$out['next_cursor'] = $at;
		}
		fclose( $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fclose
		return $out;
	}
}
