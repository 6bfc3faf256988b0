<?php
/**
 * What an operator does with imports: start one from a URL list, and import again only
 * the URLs that failed (a new import linked to the first by rerun_of).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Import actions.
 */
final class KBJobs_Actions_Imports {

	/**
	 * Starts an import. A list that has no valid URL, or is too big, is refused with the
	 * reason (400); lines rejected from an accepted list come back with their numbers.
	 *
	 * @param string|resource|string[] $list     A file path, a stream or a list of URLs.
	 * @param array<string,mixed>      $params   KBJobs_Import::start()'s params.
	 * @param array<string,mixed>      $options  Engine::submit() options (unique_key, priority, ...).
	 * @param string                   $source   What the list was, for the record.
	 * @param string                   $existing '', 'resume' or 'fresh' (see KBJobs_Actions_Jobs::submit()).
	 * @return array|WP_Error The engine's report (id, lines, accepted, duplicates, rejected,
	 *                        rejections) and post_id.
	 */
	public static function start( $list, array $params, array $options, string $source, string $existing = '' ) {
		return KBJobs_Action::run(
			'import.start',
			$source,
			static function () use ( $list, $params, $options, $source, $existing ) {
				$report = KBJobs_Import::start( $list, $params, $source, $options );
				$after  = KBJobs_Actions_Jobs::after_submit( $report['id'], $existing );
				if ( is_wp_error( $after ) ) {
					return $after;
				}
				$report['audit'] = array(
					'id'       => $report['id'],
					'accepted' => $report['accepted'],
					'rejected' => $report['rejected'],
				);
				return $report;
			},
			array_filter( array( 'unique_key' => $options['unique_key'] ?? null ) )
		);
	}

	/**
	 * Imports again only the URLs that failed in an import, as a new import (its
	 * rerun_of is the first), and acknowledges the import's partial FailureLog entry.
	 *
	 * @param string $id The import's job id.
	 * @return array|WP_Error ['id' => new import, 'urls' => n, 'rerun_of' => $id]
	 */
	public static function resubmit_failed( string $id ) {
		return KBJobs_Action::run(
			'import.resubmit_failed',
			$id,
			static function () use ( $id ) {
				KBJobs_Data_Jobs::require_id( $id );
				$made = KBJobs_Engine::get()->resubmitFailedItems( $id );
				return array(
					'id'       => $made['id'],
					'urls'     => (int) $made['urls'],
					'rerun_of' => $id,
					'audit'    => $made,
				);
			}
		);
	}
}
