<?php
/**
 * The audit log of operator actions, newest first. Collects only.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects audit entries.
 */
final class KBJobs_Data_Audit {

	const FIELDS      = array( 'id', 'at', 'user_login', 'source', 'action', 'target', 'outcome' );
	const FILTER_KEYS = array( 'user_id', 'user_login', 'action', 'target', 'source', 'outcome', 'after', 'before' );

	/**
	 * A page of entries.
	 *
	 * @param array<string,mixed> $filter FILTER_KEYS (after/before as ISO 8601), limit, cursor.
	 * @throws \ValueError When a value is not valid.
	 * @return array{entries:array<int,array<string,mixed>>,next_cursor:?string}
	 */
	public static function page( array $filter ): array {
		$query = array();
		foreach ( self::FILTER_KEYS as $key ) {
			if ( ! isset( $filter[ $key ] ) || '' === $filter[ $key ] ) {
				continue;
			}
			$value = $filter[ $key ];
			if ( 'after' === $key || 'before' === $key ) {
				$value = KBJobs_Format::parse_time( $value );
				if ( null === $value ) {
					throw new \ValueError( sprintf( '%s must be an ISO 8601 date-time', $key ) );
				}
			} elseif ( 'user_id' === $key ) {
				$value = (int) $value;
			}
			$query[ $key ] = $value;
		}
		$query['limit'] = max( 1, min( 1000, (int) ( $filter['limit'] ?? 50 ) ) );
		if ( ! empty( $filter['cursor'] ) ) {
			$query['cursor'] = (string) $filter['cursor'];
		}
		$page = KBJobs_Engine::get()->auditLog( $query );
		return array(
			'entries'     => array_map(
				static function ( $e ) {
					return KBJobs_Format::times( $e, array( 'at' ) );
				},
				$page['entries']
			),
			'next_cursor' => empty( $page['next_cursor'] ) ? null : (string) $page['next_cursor'],
		);
	}
}
