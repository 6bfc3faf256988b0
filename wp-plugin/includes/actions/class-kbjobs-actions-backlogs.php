<?php
/**
 * What an operator does to backlogs: release one (its held jobs become queued, and the
 * queues' limits feed them to runners from then on).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Backlog actions.
 */
final class KBJobs_Actions_Backlogs {

	/**
	 * Releases a backlog: its held jobs become queued, 1,000 per transaction in the
	 * engine, so runners start on the first ones while the rest are released. Releasing
	 * a backlog with no held job releases nothing and is not an error (a second click).
	 *
	 * @param string $name The backlog.
	 * @return array|WP_Error ['name' => string, 'released' => int, 'backlog' => its counts
	 *                        now, 'message' => a sentence for a notice].
	 */
	public static function release( string $name ) {
		return KBJobs_Action::run(
			'backlog.release',
			$name,
			static function () use ( $name ) {
				if ( ! KBJobs_Data_Backlogs::is_name( $name ) ) {
					throw new \ValueError( 'a backlog name is 1 to 64 of a-z, 0-9, "_", "." and "-"' );
				}
				$released = KBJobs_Engine::get()->releaseBacklog( $name );
				return array(
					'name'     => $name,
					'released' => $released,
					'backlog'  => KBJobs_Data_Backlogs::get( $name ),
					/* translators: 1: number of jobs, 2: a backlog's name */
					'message'  => sprintf( _n( 'Released %1$s held job of backlog %2$s.', 'Released %1$s held jobs of backlog %2$s.', $released, 'kb-jobs' ), number_format_i18n( $released ), $name ),
					'audit'    => array( 'released' => $released ),
				);
			}
		);
	}
}
