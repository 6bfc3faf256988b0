<?php
/**
 * The plugin's connection to the kbjobs engine: one KBJobs\Engine per request, made
 * from WordPress's own database settings and table prefix, with the schema migrated
 * once per engine version, the Failure Log's cap and the import settings applied (see
 * KBJobs_Settings).
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
	 * The connected engine; throws a KBJobs\Exception when the database refuses.
	 *
	 * @return \KBJobs\Engine
	 */
	public static function get(): \KBJobs\Engine {
		global $wpdb;
		if ( null !== self::$engine ) {
			return self::$engine;
		}
		$data_dir = KBJobs_Settings::data_dir();
		KBJobs_Settings::ensure_data_dir( $data_dir );
		$engine = new \KBJobs\Engine(
			DB_HOST,
			DB_USER,
			DB_PASSWORD,
			DB_NAME,
			$wpdb->prefix,
			$data_dir,
			array( 'failure_cap' => (int) KBJobs_Settings::get( 'failure_log_cap' ) )
		);
		$schema = $engine->schemaInfo();
		if ( $schema['version'] < $schema['code'] ) {
			$engine->migrate();
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
