<?php
/**
 * The plugin's connection to the kbjobs engine: one KBJobs\Engine per request, made
 * from WordPress's own database settings and table prefix, with the schema migrated
 * once per engine version, the Failure Log's cap and the import settings applied (see
 * KBJobs_Settings).
 *
 * A request migrates only what can be done at once (new tables, columns, indexes, and a
 * new site's tables whole). A migration that moves rows (schema 14: the jobs' claim
 * state into a table of its own) is left to `wp kb migrate`, run with the runners
 * stopped; until then the engine refuses every call with what to do, and the admin
 * screens say it (BEHIND_TRANSIENT).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Builds and keeps the request's engine.
 */
final class KBJobs_Engine {

	/**
	 * The request's engine.
	 *
	 * @var \KBJobs\Engine|null
	 */
	private static $engine = null;

	/**
	 * Set while the tables wait for `wp kb migrate` (the stored and the needed schema), for
	 * the admin notice; deleted once they are current.
	 */
	const BEHIND_TRANSIENT = 'kbjobs_schema_behind';

	/**
	 * A new engine on WordPress's database, connected and nothing more: no migration, no
	 * settings, no job types (`wp kb migrate` uses it).
	 *
	 * @return \KBJobs\Engine
	 */
	public static function connect(): \KBJobs\Engine {
		global $wpdb;
		$data_dir = KBJobs_Settings::data_dir();
		KBJobs_Settings::ensure_data_dir( $data_dir );
		return new \KBJobs\Engine(
			DB_HOST,
			DB_USER,
			DB_PASSWORD,
			DB_NAME,
			$wpdb->prefix,
			$data_dir,
			array( 'failure_cap' => (int) KBJobs_Settings::get( 'failure_log_cap' ) )
		);
	}

	/**
	 * The connected engine; throws a KBJobs\Exception when the database refuses.
	 *
	 * @return \KBJobs\Engine
	 */
	public static function get(): \KBJobs\Engine {
		if ( null !== self::$engine ) {
			return self::$engine;
		}
		$engine = self::connect();
		$schema = $engine->schemaInfo();
		if ( $schema['version'] < $schema['code'] ) {
			$engine->migrate();
			$schema = $engine->schemaInfo();
			if ( $schema['behind'] ) {
				set_transient( self::BEHIND_TRANSIENT, $schema, DAY_IN_SECONDS );
			} else {
				delete_transient( self::BEHIND_TRANSIENT );
			}
		}
		$engine->configureImport( KBJobs_Settings::import_settings() );
		self::$engine = $engine;
		/**
		 * Fires once per request when the engine is made: register job types here.
		 *
		 * For example:
		 *
		 *     add_action( 'kbjobs_register_types', function ( KBJobs\Engine $engine ) {
		 *         $engine->registerType( 'kb.refresh', 'my_refresh_handler', array( 'queue' => 'default' ) );
		 *     } );
		 *
		 * @param \KBJobs\Engine $engine The engine.
		 */
		do_action( 'kbjobs_register_types', $engine );
		return $engine;
	}

	/**
	 * Whether the request's engine was made already.
	 *
	 * @return bool
	 */
	public static function made(): bool {
		return null !== self::$engine;
	}

	/**
	 * Forgets the request's engine (tests, and a runner after a fatal database error).
	 */
	public static function reset(): void {
		self::$engine = null;
	}
}
