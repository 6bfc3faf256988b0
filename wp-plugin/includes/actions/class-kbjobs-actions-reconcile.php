<?php
/**
 * What an operator does with reconciliation, whichever surface asks (the Health screen,
 * POST /reconcile, `wp kb reconcile`): start a run, and repair a finished run's findings,
 * the dry run first. Both stand on KBJobs_Reconcile and KBJobs_Reconcile_Repair (the
 * shared contract); this layer adds only what every surface needs the same way: the
 * capability, the audit entry of a start, and one reading of the repair kinds.
 *
 * A repair is audited by KBJobs_Reconcile_Repair::apply() itself, so it is not wrapped
 * again here (one entry per repair); the capability is checked here as well, so that a
 * refusal never depends on the class behind the contract.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reconciliation actions.
 */
final class KBJobs_Actions_Reconcile {

	/**
	 * The repair kinds, as the CLI and REST name them.
	 */
	const REPAIR_KINDS = array( 'ghosts', 'orphans', 'drift' );

	/**
	 * The finding kinds a report counts, in the order they are shown.
	 */
	const FINDING_KINDS = array( 'ghost', 'orphan', 'drift', 'dangling', 'unsafe' );

	/**
	 * Starts a reconciliation. One runs at a time: while one is queued or running the
	 * answer is the WP_Error kbjobs_reconcile_running (409) with its id in data['id'].
	 *
	 * @param array  $args   grace_seconds, shallow, keep (KBJobs_Reconcile::start()).
	 * @param string $source manual, cron, cli or rest.
	 * @return array|WP_Error array( 'id' => job id ).
	 */
	public static function start( array $args, string $source ) {
		$args = array_intersect_key( $args, array_flip( array( 'grace_seconds', 'shallow', 'keep' ) ) );
		return KBJobs_Action::run(
			'reconcile.start',
			'reconcile',
			static function () use ( $args, $source ) {
				$result = KBJobs_Reconcile::start( $args + array( 'source' => $source ) );
				if ( is_array( $result ) ) {
					$result['audit'] = array( 'id' => $result['id'] );
				}
				return $result;
			},
			$args
		);
	}

	/**
	 * A repair of a finished reconciliation's findings: the plan (dry run, the default)
	 * or the repair itself.
	 *
	 * @param string   $job_id  The reconciliation job.
	 * @param string[] $kinds   Some of REPAIR_KINDS.
	 * @param bool     $dry_run Only say what would be done.
	 * @param int      $limit   Actions listed by a dry run at most.
	 * @return array|WP_Error The plan, or what the repair did.
	 */
	public static function repair( string $job_id, array $kinds, bool $dry_run = true, int $limit = 200 ) {
		if ( ! KBJobs_Access::can( KBJobs_Access::OPERATE ) ) {
			return KBJobs_Access::denied( KBJobs_Access::OPERATE );
		}
		if ( ! KBJobs_Data_Jobs::is_id( $job_id ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'A job id is 16 lowercase hexadecimal characters.', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		$kinds = self::kinds( $kinds );
		if ( is_wp_error( $kinds ) ) {
			return $kinds;
		}
		try {
			return $dry_run
				? KBJobs_Reconcile_Repair::plan( $job_id, $kinds, max( 1, min( 1000, $limit ) ) )
				: KBJobs_Reconcile_Repair::apply( $job_id, $kinds );
		} catch ( \Throwable $e ) {
			return KBJobs_Action::error_from( $e );
		}
	}

	/**
	 * The repair kinds asked for: a list or a comma-separated string, each one of
	 * REPAIR_KINDS ("ghost" and "orphan" are read as their plural), without duplicates.
	 *
	 * @param string|string[] $kinds What was given.
	 * @return string[]|WP_Error
	 */
	public static function kinds( $kinds ) {
		$list = is_array( $kinds ) ? $kinds : explode( ',', (string) $kinds );
		$out  = array();
		foreach ( $list as $kind ) {
			$kind = strtolower( trim( (string) $kind ) );
			if ( '' === $kind ) {
				continue;
			}
			if ( in_array( $kind . 's', self::REPAIR_KINDS, true ) ) {
				$kind .= 's';
			}
			if ( ! in_array( $kind, self::REPAIR_KINDS, true ) ) {
				return new WP_Error(
					'kbjobs_invalid',
					/* translators: 1: what was given, 2: the kinds, comma-separated */
					sprintf( __( '"%1$s" is not a repair kind: use %2$s.', 'kb-jobs' ), $kind, implode( ', ', self::REPAIR_KINDS ) ),
					array( 'status' => 400 )
				);
			}
			$out[ $kind ] = true;
		}
		if ( ! $out ) {
			/* translators: %s: the kinds, comma-separated */
			return new WP_Error( 'kbjobs_invalid', sprintf( __( 'Name what to repair: %s.', 'kb-jobs' ), implode( ', ', self::REPAIR_KINDS ) ), array( 'status' => 400 ) );
		}
		return array_keys( $out );
	}

	/**
	 * What a repair did, in one sentence.
	 *
	 * @param array $result KBJobs_Reconcile_Repair::apply()'s result.
	 * @return string
	 */
	public static function repair_message( array $result ): string {
		$refetch = (string) ( $result['refetch_job'] ?? '' );
		return sprintf(
			/* translators: 1: "re-fetch import <id>" or "nothing to re-fetch", 2: files quarantined, 3: findings skipped, 4: findings no longer true */
			__( 'Repair done: %1$s; %2$d quarantined, %3$d skipped, %4$d no longer true.', 'kb-jobs' ),
			'' !== $refetch
				/* translators: %s: job id */
				? sprintf( __( 're-fetch import %s submitted', 'kb-jobs' ), $refetch )
				: __( 'nothing to re-fetch', 'kb-jobs' ),
			(int) ( $result['quarantined'] ?? 0 ),
			(int) ( $result['skipped'] ?? 0 ),
			(int) ( $result['stale'] ?? 0 )
		);
	}
}
