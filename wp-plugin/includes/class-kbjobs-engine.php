<?php
/**
 * The plugin's connection to the kbjobs engine: one KBJobs\Engine per request, made
 * from WordPress's own database settings and table prefix, with the schema migrated
 * once per engine version and the import settings applied.
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
		$data_dir = KBJobs_Health::data_dir();
		self::ensure_data_dir( $data_dir );
		$engine = new \KBJobs\Engine( DB_HOST, DB_USER, DB_PASSWORD, DB_NAME, $wpdb->prefix, $data_dir );
		$schema = $engine->schemaInfo();
		if ( $schema['version'] < $schema['code'] ) {
			$engine->migrate();
		}
		$engine->configureImport( self::import_settings() );
		self::$engine = $engine;
		/**
		 * Fires once per request when the engine is made: register job types here.
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
	 * Forgets the request's engine (tests, and a runner after a fatal database error).
	 */
	public static function reset(): void {
		self::$engine = null;
	}

	/**
	 * The fetcher's settings: KBJOBS_FETCH_ALLOW (addresses and CIDR ranges allowed
	 * although private, e.g. '10.0.0.0/8'), KBJOBS_FETCH_PROXY, and the
	 * `kbjobs_import_settings` filter for the rest (timeouts, limits).
	 *
	 * @return array<string,mixed>
	 */
	public static function import_settings(): array {
		$settings = array(
			'user_agent' => 'kbjobs/' . phpversion( 'kbjobs' ) . ' (+' . home_url( '/' ) . ')',
		);
		if ( defined( 'KBJOBS_FETCH_ALLOW' ) && '' !== KBJOBS_FETCH_ALLOW ) {
			$settings['allow'] = (string) KBJOBS_FETCH_ALLOW;
		}
		if ( defined( 'KBJOBS_FETCH_PROXY' ) && '' !== KBJOBS_FETCH_PROXY ) {
			$settings['proxy'] = (string) KBJOBS_FETCH_PROXY;
		}
		/**
		 * Filters the import fetcher's settings and the caps on URL lists,
		 * max_list_bytes and max_list_lines (see KBJobs\Engine::configureImport()).
		 *
		 * @param array $settings Settings by name.
		 */
		return (array) apply_filters( 'kbjobs_import_settings', $settings );
	}

	/**
	 * Creates the private data directory with deny rules and an index file, so a web
	 * server that can reach it still serves nothing from it.
	 *
	 * @param string $dir Absolute path.
	 */
	private static function ensure_data_dir( string $dir ): void {
		if ( is_dir( $dir ) ) {
			return;
		}
		wp_mkdir_p( $dir );
		// phpcs:disable WordPress.WP.AlternativeFunctions.file_system_operations_file_put_contents
		file_put_contents( $dir . '/.htaccess', "Require all denied\nDeny from all\n" );
		file_put_contents( $dir . '/index.php', "<?php\n// Silence is golden.\n" );
		// phpcs:enable
	}
}
