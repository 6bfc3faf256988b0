<?php
/**
 * `wp kb migrate`.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Brings the kbjobs tables to this version's schema, moving rows where a migration needs
 * it (never done in a web request).
 */
final class KBJobs_CLI_Migrate {

	/**
	 * Brings the kbjobs tables to this version's schema, including the migrations that move
	 * rows in batches (schema 14 moves every job's claim state into a table of its own).
	 *
	 * Stop the runners first (`systemctl stop 'kbjobs-work@*'`): a runner of the previous
	 * version would go on writing the tables being moved. The command refuses while a
	 * runner is alive unless --force. An interrupted migration resumes where it stopped
	 * when run again. Then start the runners.
	 *
	 * ## OPTIONS
	 *
	 * [--force]
	 * : Migrate even while runners look alive (for runners you know are gone).
	 *
	 * ## EXAMPLES
	 *
	 *     $ systemctl stop 'kbjobs-work@*'
	 *     $ wp kb migrate
	 *     Success: The kbjobs tables went from schema 13 to 14 (120345 jobs moved).
	 *     $ systemctl start 'kbjobs-work@example'
	 *
	 * @param array<int,string>    $args       None.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		global $wpdb;
		try {
			$engine = KBJobs_Engine::connect();
			$before = $engine->schemaInfo();
		} catch ( \KBJobs\Exception $e ) {
			\WP_CLI::error( $e->getMessage() );
		}
		if ( $before['version'] >= $before['code'] ) {
			delete_transient( KBJobs_Engine::BEHIND_TRANSIENT );
			\WP_CLI::success( sprintf( 'The kbjobs tables are at schema %d already: nothing to do.', $before['version'] ) );
			return;
		}
		if ( $before['version'] > 0 && ! \WP_CLI\Utils\get_flag_value( $assoc_args, 'force', false ) ) {
			$alive = self::live_runners();
			if ( $alive ) {
				\WP_CLI::error(
					sprintf(
						'%d runner(s) are alive (%s): stop them first (see the README, Upgrading), or pass --force if they are gone.',
						count( $alive ),
						implode( ', ', $alive )
					)
				);
			}
		}
		$bar   = null;
		$moved = 0;
		try {
			$result = $engine->migrate(
				true,
				static function ( int $n, int $at, int $top ) use ( &$bar, &$moved ): void {
					if ( null === $bar ) {
						$bar = \WP_CLI\Utils\make_progress_bar( 'Moving the jobs\' state', max( 1, $top ) );
					}
					$bar->tick( max( 0, $at - $moved ) );
					$moved = $at;
					unset( $n );
				}
			);
		} catch ( \KBJobs\Exception $e ) {
			\WP_CLI::error( $e->getMessage() . ' Run `wp kb migrate` again to go on from where it stopped.' );
		}
		if ( null !== $bar ) {
			$bar->finish();
		}
		delete_transient( KBJobs_Engine::BEHIND_TRANSIENT );
		$jobs = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_job_state" ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		\WP_CLI::success( sprintf( 'The kbjobs tables went from schema %d to %d (%d jobs).', $result['from'], $result['to'], $jobs ) );
	}

	/**
	 * The runners that beat within the last 30 seconds and did not stop: "host:pid".
	 *
	 * @return string[]
	 */
	private static function live_runners(): array {
		global $wpdb;
		$rows = $wpdb->get_results( // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			"SELECT host, pid FROM {$wpdb->prefix}kbjobs_runners WHERE stopped_at IS NULL AND heartbeat_at > UTC_TIMESTAMP(6) - INTERVAL 30 SECOND ORDER BY id" // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		);
		return array_map( static fn( $r ) => $r->host . ':' . $r->pid, $rows ? $rows : array() );
	}
}
