<?php
/**
 * Site Health (Tools > Site Health): kbjobs' tests and its Debug Info section.
 *
 * Tests (the `site_status_tests` filter):
 * - the extension is loaded and compatible (registered even without the extension, which
 *   is when it matters: the rest of the plugin is inert then);
 * - the engine's schema is current (Engine::schemaInfo());
 * - something runs jobs: a live `wp kb work` runner, or WP-Cron ticking;
 * - the data directory exists and is writable;
 * - the data directory is not served over HTTP: a canary file with a random token is
 *   written there and fetched by a loopback request to its URL; the answer holding the
 *   token means anyone can read the URL lists, logs and checkpoints (nginx ignores the
 *   .htaccess deny rules). One small file and one local request: cheap, but a request all
 *   the same, so it is an async test (REST) with a direct form for the weekly check;
 * - free disk space under the data directory (recommended below 1 GiB, critical below
 *   100 MiB; the `kbjobs_site_health_disk_thresholds` filter changes both).
 *
 * Debug Info (the `debug_information` filter): versions, the data directory and every
 * setting, without secrets (KBJobs_Settings::redacted()).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Site Health tests and Debug Info of kbjobs.
 */
final class KBJobs_Site_Health {

	const ROUTE = '/site-health/data-dir-private';

	/**
	 * Hooks the tests and Debug Info. Called from kb-jobs.php before the requirements
	 * check, so the extension test is there when the extension is not.
	 */
	public static function init(): void {
		add_filter( 'site_status_tests', array( self::class, 'tests' ) );
		if ( KBJobs_Requirements::met() ) {
			add_filter( 'debug_information', array( self::class, 'debug_information' ) );
			add_action( 'rest_api_init', array( self::class, 'register_route' ) );
		}
	}

	/**
	 * The site_status_tests filter.
	 *
	 * @param array $tests Tests by type (direct, async).
	 * @return array
	 */
	public static function tests( $tests ) {
		$tests                               = (array) $tests;
		$tests['direct']['kbjobs_extension'] = array(
			'label' => __( 'The kbjobs PHP extension', 'kb-jobs' ),
			'test'  => array( self::class, 'test_extension' ),
		);
		if ( ! KBJobs_Requirements::met() ) {
			return $tests;
		}
		$tests['direct']['kbjobs_schema']          = array(
			'label' => __( 'The kbjobs database schema', 'kb-jobs' ),
			'test'  => array( self::class, 'test_schema' ),
		);
		$tests['direct']['kbjobs_runners']         = array(
			'label' => __( 'kbjobs runners and WP-Cron', 'kb-jobs' ),
			'test'  => array( self::class, 'test_runners' ),
		);
		$tests['direct']['kbjobs_data_dir']        = array(
			'label' => __( 'The kbjobs data directory is writable', 'kb-jobs' ),
			'test'  => array( self::class, 'test_data_dir_writable' ),
		);
		$tests['direct']['kbjobs_disk']            = array(
			'label' => __( 'Disk space for kbjobs', 'kb-jobs' ),
			'test'  => array( self::class, 'test_disk_space' ),
		);
		$tests['async']['kbjobs_data_dir_private'] = array(
			'label'             => __( 'The kbjobs data directory is private', 'kb-jobs' ),
			'test'              => rest_url( KBJobs_REST_Controller::NS . self::ROUTE ),
			'has_rest'          => true,
			'async_direct_test' => array( self::class, 'test_data_dir_private' ),
		);
		return $tests;
	}

	/**
	 * The async test's route: GET kbjobs/v1/site-health/data-dir-private, for users who
	 * may see Site Health.
	 */
	public static function register_route(): void {
		register_rest_route(
			KBJobs_REST_Controller::NS,
			self::ROUTE,
			array(
				'methods'             => 'GET',
				'callback'            => static function () {
					return rest_ensure_response( self::test_data_dir_private() );
				},
				'permission_callback' => static function () {
					return current_user_can( 'view_site_health_checks' );
				},
			)
		);
	}

	/**
	 * A test's result in Site Health's shape.
	 *
	 * @param string $test        The test's id.
	 * @param string $status      good, recommended or critical.
	 * @param string $label       The headline.
	 * @param string $description What it means and what to do (plain text).
	 * @return array<string,mixed>
	 */
	private static function result( string $test, string $status, string $label, string $description ): array {
		return array(
			'label'       => $label,
			'status'      => $status,
			'badge'       => array(
				'label' => __( 'KB Jobs', 'kb-jobs' ),
				'color' => 'good' === $status ? 'blue' : ( 'critical' === $status ? 'red' : 'orange' ),
			),
			'description' => '<p>' . esc_html( $description ) . '</p>',
			'actions'     => '',
			'test'        => $test,
		);
	}

	/**
	 * The extension is loaded, and at least the version the plugin needs.
	 *
	 * @return array<string,mixed>
	 */
	public static function test_extension(): array {
		if ( ! KBJobs_Requirements::met() ) {
			return self::result( 'kbjobs_extension', 'critical', __( 'The kbjobs PHP extension is missing or too old', 'kb-jobs' ), KBJobs_Requirements::problem() );
		}
		return self::result(
			'kbjobs_extension',
			'good',
			__( 'The kbjobs PHP extension is loaded', 'kb-jobs' ),
			/* translators: 1: loaded version, 2: minimum version */
			sprintf( __( 'Version %1$s is loaded; KB Jobs needs %2$s or newer.', 'kb-jobs' ), (string) KBJobs_Requirements::extension_version(), KBJOBS_MIN_EXTENSION_VERSION )
		);
	}

	/**
	 * The engine's tables are at the schema version the extension's code expects (the
	 * plugin migrates what it can when the engine is made: a schema still behind waits
	 * for `wp kb migrate`, or the migration failed), and the code is not older than the
	 * schema allows. Read on a connection of its own: the request's engine refuses to be
	 * made while the tables wait for `wp kb migrate`.
	 *
	 * @return array<string,mixed>
	 */
	public static function test_schema(): array {
		try {
			$info = KBJobs_Engine::connect()->schemaInfo();
		} catch ( \Throwable $e ) {
			return self::result( 'kbjobs_schema', 'critical', __( 'kbjobs cannot reach its tables', 'kb-jobs' ), $e->getMessage() );
		}
		$version = (int) $info['version'];
		$code    = (int) $info['code'];
		if ( ! empty( $info['behind'] ) && $version > 0 ) {
			return self::result(
				'kbjobs_schema',
				'critical',
				__( 'The kbjobs tables wait for `wp kb migrate`', 'kb-jobs' ),
				/* translators: 1: schema version of the database, 2: version the extension needs */
				sprintf( __( 'The tables are at schema version %1$d and the extension needs %2$d, an upgrade that moves rows and so is not run by a page load: stop the runners, run `wp kb migrate`, then start them again. Until then no job runs or can be submitted.', 'kb-jobs' ), $version, $code )
			);
		}
		if ( $version < $code ) {
			return self::result(
				'kbjobs_schema',
				'critical',
				__( 'The kbjobs database schema is out of date', 'kb-jobs' ),
				/* translators: 1: schema version of the database, 2: version the extension needs */
				sprintf( __( 'The tables are at schema version %1$d and the extension needs %2$d: the migration did not complete. Check the PHP error log, then load any admin page to retry it.', 'kb-jobs' ), $version, $code )
			);
		}
		if ( $code < (int) $info['min_code'] ) {
			return self::result(
				'kbjobs_schema',
				'critical',
				__( 'The kbjobs extension is older than its database schema', 'kb-jobs' ),
				/* translators: 1: schema version, 2: oldest code version that can use it, 3: the extension's code version */
				sprintf( __( 'The tables are at schema version %1$d, which needs code version %2$d or newer; this extension is %3$d. Install the newer extension again.', 'kb-jobs' ), $version, (int) $info['min_code'], $code )
			);
		}
		return self::result(
			'kbjobs_schema',
			'good',
			__( 'The kbjobs database schema is current', 'kb-jobs' ),
			/* translators: %d: schema version */
			sprintf( __( 'Schema version %d.', 'kb-jobs' ), $version )
		);
	}

	/**
	 * Something runs the jobs: a live runner, or WP-Cron ticking within the "WP-Cron
	 * silent" alert threshold.
	 *
	 * @param int|null $now The time to judge the last tick at (default: now; tests look ahead).
	 * @return array<string,mixed>
	 */
	public static function test_runners( ?int $now = null ): array {
		$now = $now ?? time();
		try {
			$engine = KBJobs_Engine::get();
			$active = array_filter(
				KBJobs_Data_Runners::all( 1 ),
				static function ( $runner ) {
					return 'active' === $runner['state'];
				}
			);
			$runs   = $engine->cronRuns( array( 'limit' => 1 ) );
		} catch ( \Throwable $e ) {
			return self::result( 'kbjobs_runners', 'critical', __( 'kbjobs cannot read its runners', 'kb-jobs' ), $e->getMessage() );
		}
		if ( $active || $engine->cronRunnerAlive() ) {
			return self::result(
				'kbjobs_runners',
				'good',
				__( 'kbjobs runners are alive', 'kb-jobs' ),
				/* translators: %d: number of runners */
				sprintf( _n( '%d runner sent a heartbeat within the last few seconds.', '%d runners sent a heartbeat within the last few seconds.', max( 1, count( $active ) ), 'kb-jobs' ), max( 1, count( $active ) ) )
			);
		}
		$tick  = max( (int) get_option( KBJobs_Data_Status::LAST_TICK_OPTION, 0 ), isset( $runs[0] ) ? (int) $runs[0]['started_at'] : 0 );
		$stale = 60 * (int) KBJobs_Settings::get( 'alert_cron_stale_minutes' );
		if ( $tick > $now - $stale ) {
			return self::result(
				'kbjobs_runners',
				'good',
				__( 'WP-Cron runs kbjobs', 'kb-jobs' ),
				/* translators: %s: time since the last tick */
				sprintf( __( 'No `wp kb work` runner is alive; WP-Cron ran %s ago and runs the jobs within its time budget.', 'kb-jobs' ), human_time_diff( $tick, $now ) )
			);
		}
		$disabled = defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON;
		return self::result(
			'kbjobs_runners',
			$disabled ? 'critical' : 'recommended',
			__( 'Nothing is running kbjobs jobs', 'kb-jobs' ),
			( $tick > 0
				/* translators: %s: time since the last tick */
				? sprintf( __( 'No runner is alive and WP-Cron last ran %s ago.', 'kb-jobs' ), human_time_diff( $tick, $now ) )
				: __( 'No runner is alive and WP-Cron has not run yet.', 'kb-jobs' ) )
			. ' ' . ( $disabled
				? __( 'DISABLE_WP_CRON is set: start `wp kb work` runners (see the systemd unit in the README), or jobs wait for ever.', 'kb-jobs' )
				: __( 'WP-Cron runs only when the site has visitors: start `wp kb work` runners for steady work.', 'kb-jobs' ) )
		);
	}

	/**
	 * The data directory exists (it is made when the engine is) and PHP can write in it.
	 *
	 * @param string|null $dir The directory (default: the site's).
	 * @return array<string,mixed>
	 */
	public static function test_data_dir_writable( ?string $dir = null ): array {
		$dir = $dir ?? KBJobs_Settings::data_dir();
		if ( ! is_dir( $dir ) ) {
			KBJobs_Settings::ensure_data_dir( $dir );
		}
		if ( ! is_dir( $dir ) || ! wp_is_writable( $dir ) ) {
			return self::result(
				'kbjobs_data_dir',
				'critical',
				__( 'The kbjobs data directory is not writable', 'kb-jobs' ),
				/* translators: %s: directory */
				sprintf( __( '%s does not exist or PHP cannot write in it: imports and job logs fail. Create it for the web server\'s user, or set KBJOBS_DATA_DIR in wp-config.php to a directory it can write.', 'kb-jobs' ), $dir )
			);
		}
		/* translators: %s: directory */
		return self::result( 'kbjobs_data_dir', 'good', __( 'The kbjobs data directory is writable', 'kb-jobs' ), sprintf( __( '%s exists and is writable.', 'kb-jobs' ), $dir ) );
	}

	/**
	 * The URL a directory would be served at, when it lies under uploads or the
	 * WordPress directory; '' when it is outside both (not served by WordPress's web
	 * root, as KBJOBS_DATA_DIR is meant to be).
	 *
	 * @param string $dir Absolute path.
	 * @return string
	 */
	public static function url_of( string $dir ): string {
		$dir     = untrailingslashit( wp_normalize_path( $dir ) );
		$uploads = wp_upload_dir( null, false );
		$roots   = array(
			untrailingslashit( wp_normalize_path( $uploads['basedir'] ) ) => untrailingslashit( $uploads['baseurl'] ),
			untrailingslashit( wp_normalize_path( WP_CONTENT_DIR ) )      => untrailingslashit( content_url() ),
			untrailingslashit( wp_normalize_path( ABSPATH ) )             => untrailingslashit( site_url() ),
		);
		foreach ( $roots as $path => $url ) {
			if ( $dir === $path || 0 === strpos( $dir . '/', $path . '/' ) ) {
				return $url . substr( $dir, strlen( $path ) );
			}
		}
		return '';
	}

	/**
	 * The data directory is not served: writes a canary file holding a random token,
	 * fetches its URL through a loopback request, and deletes it. Critical when the
	 * answer holds the token.
	 *
	 * @param string|null $dir The directory (default: the site's).
	 * @return array<string,mixed>
	 */
	public static function test_data_dir_private( ?string $dir = null ): array {
		$dir = $dir ?? KBJobs_Settings::data_dir();
		$url = self::url_of( $dir );
		if ( '' === $url ) {
			return self::result(
				'kbjobs_data_dir_private',
				'good',
				__( 'The kbjobs data directory is private', 'kb-jobs' ),
				/* translators: %s: directory */
				sprintf( __( '%s is outside WordPress\'s directories, so the web server does not serve it as part of the site.', 'kb-jobs' ), $dir )
			);
		}
		$token = bin2hex( random_bytes( 16 ) );
		$name  = '.kbjobs-canary-' . bin2hex( random_bytes( 8 ) ) . '.txt';
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_file_put_contents -- the engine's directory, written as PHP's user: see KBJobs_Settings::ensure_data_dir().
		if ( ! is_dir( $dir ) || false === file_put_contents( $dir . '/' . $name, $token ) ) {
			return self::result(
				'kbjobs_data_dir_private',
				'recommended',
				__( 'Could not check whether the kbjobs data directory is private', 'kb-jobs' ),
				/* translators: %s: directory */
				sprintf( __( 'A test file could not be written in %s.', 'kb-jobs' ), $dir )
			);
		}
		$response = wp_remote_get(
			$url . '/' . $name,
			array(
				'timeout'     => 5,
				'redirection' => 0,
				// A loopback to this site, as core's own loopback tests make it.
				'sslverify'   => apply_filters( 'https_local_ssl_verify', false ), // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's filter.
			)
		);
		wp_delete_file( $dir . '/' . $name );
		if ( is_wp_error( $response ) ) {
			return self::result(
				'kbjobs_data_dir_private',
				'recommended',
				__( 'Could not check whether the kbjobs data directory is private', 'kb-jobs' ),
				/* translators: 1: URL, 2: error */
				sprintf( __( 'The loopback request to %1$s failed: %2$s', 'kb-jobs' ), $url, $response->get_error_message() )
			);
		}
		if ( false !== strpos( (string) wp_remote_retrieve_body( $response ), $token ) ) {
			return self::result(
				'kbjobs_data_dir_private',
				'critical',
				__( 'The kbjobs data directory can be read over the web', 'kb-jobs' ),
				sprintf(
					/* translators: 1: URL, 2: directory */
					__( 'A test file written in the data directory was served at %1$s: anyone who guesses a file name can read URL lists, job logs and checkpoints. Deny the directory in the web server (nginx ignores .htaccess; add "location ^~ /wp-content/uploads/kbjobs- { deny all; }"), or move it out of the web root with KBJOBS_DATA_DIR in wp-config.php. Directory: %2$s', 'kb-jobs' ),
					$url,
					$dir
				)
			);
		}
		return self::result(
			'kbjobs_data_dir_private',
			'good',
			__( 'The kbjobs data directory is private', 'kb-jobs' ),
			/* translators: %d: HTTP status */
			sprintf( __( 'A test file written there was not served over HTTP (the web server answered %d).', 'kb-jobs' ), (int) wp_remote_retrieve_response_code( $response ) )
		);
	}

	/**
	 * Free space on the data directory's disk.
	 *
	 * @param string|null $dir The directory (default: the site's).
	 * @return array<string,mixed>
	 */
	public static function test_disk_space( ?string $dir = null ): array {
		$dir  = $dir ?? KBJobs_Settings::data_dir();
		$free = is_dir( $dir ) ? @disk_free_space( $dir ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a vanished mount reads as unknown, and is reported.
		/**
		 * Filters the free space under which Site Health warns about the data
		 * directory's disk: 'recommended' (default 1 GiB) and 'critical' (100 MiB), in bytes.
		 *
		 * @param array{recommended:int,critical:int} $thresholds Bytes.
		 * @param string                              $dir        The data directory.
		 */
		$limits = (array) apply_filters(
			'kbjobs_site_health_disk_thresholds',
			array(
				'recommended' => GB_IN_BYTES,
				'critical'    => 100 * MB_IN_BYTES,
			),
			$dir
		);
		if ( false === $free ) {
			/* translators: %s: directory */
			return self::result( 'kbjobs_disk', 'recommended', __( 'Could not read the free disk space for kbjobs', 'kb-jobs' ), sprintf( __( 'The free space of %s could not be read.', 'kb-jobs' ), $dir ) );
		}
		/* translators: 1: free space, 2: directory */
		$text = sprintf( __( '%1$s free on the disk of %2$s.', 'kb-jobs' ), size_format( (int) $free ), $dir );
		if ( $free < (int) ( $limits['critical'] ?? 0 ) ) {
			return self::result( 'kbjobs_disk', 'critical', __( 'The kbjobs data directory\'s disk is almost full', 'kb-jobs' ), $text . ' ' . __( 'Imports and logs fail when it fills: free space, or lower the retention in KB Jobs > Settings.', 'kb-jobs' ) );
		}
		if ( $free < (int) ( $limits['recommended'] ?? 0 ) ) {
			return self::result( 'kbjobs_disk', 'recommended', __( 'The kbjobs data directory\'s disk is getting full', 'kb-jobs' ), $text );
		}
		return self::result( 'kbjobs_disk', 'good', __( 'There is disk space for kbjobs', 'kb-jobs' ), $text );
	}

	/**
	 * The debug_information filter: a KB Jobs section.
	 *
	 * @param array $info Sections.
	 * @return array
	 */
	public static function debug_information( $info ) {
		$info   = (array) $info;
		$fields = array(
			'plugin_version' => array(
				'label' => __( 'Plugin version', 'kb-jobs' ),
				'value' => KBJOBS_PLUGIN_VERSION,
			),
		);
		foreach ( \KBJobs\versions() as $name => $version ) {
			$fields[ 'version_' . $name ] = array(
				/* translators: %s: library name */
				'label' => 'kbjobs' === $name ? __( 'Extension version', 'kb-jobs' ) : sprintf( __( '%s version', 'kb-jobs' ), $name ),
				'value' => (string) $version,
			);
		}
		try {
			$schema = KBJobs_Engine::get()->schemaInfo();
			$schema = sprintf( '%d (code %d)', $schema['version'], $schema['code'] );
		} catch ( \Throwable $e ) {
			$schema = $e->getMessage();
		}
		$fields['schema']   = array(
			'label' => __( 'Schema version', 'kb-jobs' ),
			'value' => $schema,
		);
		$fields['data_dir'] = array(
			'label' => __( 'Data directory', 'kb-jobs' ),
			'value' => KBJobs_Settings::data_dir() . ( KBJobs_Settings::data_dir_forced() ? ' (KBJOBS_DATA_DIR)' : '' ),
		);
		foreach ( KBJobs_Settings::redacted() as $key => $value ) {
			$fields[ 'setting_' . $key ] = array(
				'label' => $key,
				'value' => ( is_bool( $value ) ? ( $value ? 'true' : 'false' ) : (string) $value )
					. ( KBJobs_Settings::forced( $key ) ? ' (' . KBJobs_Settings::constant_name( $key ) . ')' : '' ),
				'debug' => $value,
			);
		}
		$info['kb-jobs'] = array(
			'label'  => __( 'KB Jobs', 'kb-jobs' ),
			'fields' => $fields,
		);
		return $info;
	}
}
