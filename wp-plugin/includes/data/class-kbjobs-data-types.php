<?php
/**
 * Job types as the engine knows them in this process (Engine::types()): the native
 * ones and those plugins registered (kbjobs_register_types), each with its label,
 * category, default queue, params schema, resources and the chain ordering rules it
 * declares. The Job Builder draws its palette and forms from this, GET /types serves
 * it, `wp kb type list|get` prints it.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects job types.
 */
final class KBJobs_Data_Types {

	/**
	 * Fields `wp kb type list` shows by default.
	 */
	const FIELDS = array( 'name', 'label', 'category', 'queue', 'origin', 'resources', 'rules' );

	/**
	 * Types that are machinery, not steps an operator chains: the combined job itself
	 * (a phase cannot be one) and the engine's bulk actions.
	 */
	const NOT_CHAINABLE = array( 'combined', 'kbjobs.bulk' );

	/**
	 * Every type, sorted by category then name.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	public static function all(): array {
		$rows = array_map( array( self::class, 'row' ), KBJobs_Engine::get()->types() );
		usort(
			$rows,
			static function ( $a, $b ) {
				return array( $a['category'], $a['name'] ) <=> array( $b['category'], $b['name'] );
			}
		);
		return $rows;
	}

	/**
	 * One type.
	 *
	 * @param string $name The type's name.
	 * @return array<string,mixed>
	 * @throws \KBJobs\NotFoundException When no such type is registered here.
	 */
	public static function get( string $name ): array {
		foreach ( KBJobs_Engine::get()->types() as $type ) {
			if ( $type['name'] === $name ) {
				return self::row( $type );
			}
		}
		/* translators: %s: job type */
		throw new \KBJobs\NotFoundException( sprintf( __( 'No job type %s is registered.', 'kb-jobs' ), $name ) );
	}

	/**
	 * A type as shown: the engine's row, its queue as "default" when it names none, and
	 * whether it may be a step of a chain.
	 *
	 * @param array<string,mixed> $type Engine::types()'s row.
	 * @return array<string,mixed>
	 */
	private static function row( array $type ): array {
		$type['queue']     = null === $type['queue'] ? 'default' : (string) $type['queue'];
		$type['category']  = '' === (string) $type['category'] ? 'general' : (string) $type['category'];
		$type['chainable'] = ! in_array( $type['name'], self::NOT_CHAINABLE, true );
		return $type;
	}
}
