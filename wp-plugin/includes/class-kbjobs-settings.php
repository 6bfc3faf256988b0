<?php
/**
 * The plugin's settings, read in one place: the registry of operator settings (get() and
 * forced()), where the data directory is (and making it), the import fetcher's settings,
 * and whether uninstalling removes all data. Needs no extension: uninstall.php reads it
 * too.
 *
 * Each setting has a key, a type (int, bool or string), a default and a validation. Its
 * effective value is, in this order: the constant of wp-config.php when it is defined (a
 * host's decision wins over the screen's, and the Settings screen shows it as forced),
 * else the option kbjobs_<key>, else the default. A stored value that does not validate
 * (written by `wp option update` or an older version) reads as the default, so a bad
 * option never reaches the engine.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reads the plugin's settings from its constants, options and filters.
 */
final class KBJobs_Settings {

	/**
	 * The settings: type, default, range (min, max for an int; max length for a string),
	 * and the option and constant when they are not kbjobs_<key> and KBJOBS_<KEY>
	 * (those of earlier versions keep their names). 'kind' says what a string holds, for
	 * its validation: emails, url, secret, text.
	 */
	const KEYS = array(
		'retention_jobs_days'          => array(
			'type'    => 'int',
			'default' => 30,
			'min'     => 1,
			'max'     => 3650,
		),
		'retention_logs_days'          => array(
			'type'    => 'int',
			'default' => 30,
			'min'     => 1,
			'max'     => 3650,
		),
		// The hourly rollups; the minute rows are always kept 48 hours.
		'retention_metrics_days'       => array(
			'type'    => 'int',
			'default' => 90,
			'min'     => 3,
			'max'     => 3650,
		),
		'retention_audit_days'         => array(
			'type'    => 'int',
			'default' => 90,
			'min'     => 1,
			'max'     => 3650,
		),
		'retention_quarantine_days'    => array(
			'type'    => 'int',
			'default' => 30,
			'min'     => 1,
			'max'     => 3650,
		),
		'checkpoint_stale_days'        => array(
			'type'    => 'int',
			'default' => 7,
			'min'     => 1,
			'max'     => 3650,
		),
		'cron_history_days'            => array(
			'type'    => 'int',
			'default' => 30,
			'min'     => 1,
			'max'     => 3650,
		),
		// Runs kept per hook within those days; 0 keeps every run.
		'cron_history_per_hook'        => array(
			'type'    => 'int',
			'default' => 100,
			'min'     => 0,
			'max'     => 1000000,
		),
		'failure_log_cap'              => array(
			'type'    => 'int',
			'default' => 50,
			'min'     => 1,
			'max'     => 100000,
		),
		'alert_email'                  => array(
			'type'    => 'bool',
			'default' => true,
		),
		// Empty: the site's admin email.
		'alert_email_to'               => array(
			'type'    => 'string',
			'default' => '',
			'max'     => 1000,
			'kind'    => 'emails',
		),
		'alert_webhook_url'            => array(
			'type'    => 'string',
			'default' => '',
			'max'     => 2000,
			'kind'    => 'url',
		),
		// Write-only: never shown back in full, never in Debug Info or the audit log.
		'alert_webhook_secret'         => array(
			'type'    => 'string',
			'default' => '',
			'max'     => 200,
			'kind'    => 'secret',
		),
		'alert_cooldown_minutes'       => array(
			'type'    => 'int',
			'default' => 60,
			'min'     => 1,
			'max'     => 10080,
		),
		// Percent of a type's finished jobs in the window.
		'alert_failure_rate'           => array(
			'type'    => 'int',
			'default' => 50,
			'min'     => 1,
			'max'     => 100,
		),
		'alert_failure_min_jobs'       => array(
			'type'    => 'int',
			'default' => 10,
			'min'     => 1,
			'max'     => 1000000,
		),
		'alert_failure_window_minutes' => array(
			'type'    => 'int',
			'default' => 15,
			'min'     => 1,
			'max'     => 1440,
		),
		'alert_due_age_minutes'        => array(
			'type'    => 'int',
			'default' => 30,
			'min'     => 1,
			'max'     => 10080,
		),
		'alert_cron_stale_minutes'     => array(
			'type'    => 'int',
			'default' => 10,
			'min'     => 2,
			'max'     => 1440,
		),
		'alert_failure_streak'         => array(
			'type'    => 'int',
			'default' => 5,
			'min'     => 1,
			'max'     => 1000,
		),
		// Due jobs may wait this long with no live runner before no_runner holds: the
		// WP-Cron tick runs jobs once a minute, so between two ticks there is none.
		'alert_no_runner_minutes'      => array(
			'type'    => 'int',
			'default' => 2,
			'min'     => 1,
			'max'     => 1440,
		),
		// A raised alert resolves once its condition has been clear this long (0: at
		// the first check that finds it clear); coming back before is a flap.
		'alert_clear_minutes'          => array(
			'type'    => 'int',
			'default' => 5,
			'min'     => 0,
			'max'     => 1440,
		),
		'cron_enabled'                 => array(
			'type'     => 'bool',
			'default'  => true,
			'constant' => 'KBJOBS_CRON',
		),
		'remove_all_data'              => array(
			'type'    => 'bool',
			'default' => false,
		),
		// The fetcher (see import_settings()); the engine checks the lists' syntax.
		'fetch_max_per_host'           => array(
			'type'    => 'int',
			'default' => 6,
			'min'     => 1,
			'max'     => 100,
		),
		'fetch_allow'                  => array(
			'type'    => 'string',
			'default' => '',
			'max'     => 4000,
			'kind'    => 'text',
		),
		'fetch_host_limits'            => array(
			'type'    => 'string',
			'default' => '',
			'max'     => 4000,
			'kind'    => 'text',
		),
	);

	/**
	 * The option that holds the name of the default data directory under uploads
	 * (kbjobs-<random>), chosen once per site. Uninstalling removes it only together
	 * with the data.
	 */
	const DATA_DIR_NAME_OPTION = 'kbjobs_data_dir_name';

	/**
	 * The default data directory of versions before 0.17, kept by the sites using it.
	 */
	const LEGACY_DATA_DIR_NAME = 'kbjobs-private';


	/**
	 * The option that makes uninstalling remove all data (off unless set to a true
	 * value: 1, true, yes, on). The KBJOBS_REMOVE_ALL_DATA constant overrides it.
	 */
	const REMOVE_ALL_DATA_OPTION = 'kbjobs_remove_all_data';

	/**
	 * The file that marks a directory as a kbjobs data directory, which uninstalling may
	 * delete when told to remove all data. Written when the plugin makes the directory,
	 * or finds one holding nothing but what kbjobs puts there.
	 */
	const DATA_MARKER = '.kbjobs-data';

	/**
	 * The deny rules of a new data directory, for Apache 2.4 (mod_authz_core) and 2.2
	 * (Order/Deny). nginx ignores them: Site Health's canary test tells.
	 */
	const HTACCESS = "# kbjobs: URL lists, logs and checkpoints are private.\n" .
		"<IfModule mod_authz_core.c>\n\tRequire all denied\n</IfModule>\n" .
		"<IfModule !mod_authz_core.c>\n\tOrder deny,allow\n\tDeny from all\n</IfModule>\n";

	/**
	 * What kbjobs puts in a data directory (besides the marker).
	 */
	const DATA_ENTRIES = array( 'lists', 'logs', 'checkpoints', 'artifacts', 'quarantine', 'staging', '.htaccess', 'index.php' );

	/**
	 * How long WP-Cron runs stay in the history: days, and runs per hook (0: no cap).
	 */
	const CRON_HISTORY_DAYS_OPTION     = 'kbjobs_cron_history_days';
	const CRON_HISTORY_PER_HOOK_OPTION = 'kbjobs_cron_history_per_hook';

	/**
	 * The options an operator sets: every key's option (changes to them are audited as
	 * settings.update; SettingsTest checks that the list matches KEYS).
	 */
	const OPTIONS = array(
		'kbjobs_retention_jobs_days',
		'kbjobs_retention_logs_days',
		'kbjobs_retention_metrics_days',
		'kbjobs_retention_audit_days',
		'kbjobs_retention_quarantine_days',
		'kbjobs_checkpoint_stale_days',
		self::CRON_HISTORY_DAYS_OPTION,
		self::CRON_HISTORY_PER_HOOK_OPTION,
		'kbjobs_failure_log_cap',
		'kbjobs_alert_email',
		'kbjobs_alert_email_to',
		'kbjobs_alert_webhook_url',
		'kbjobs_alert_webhook_secret',
		'kbjobs_alert_cooldown_minutes',
		'kbjobs_alert_failure_rate',
		'kbjobs_alert_failure_min_jobs',
		'kbjobs_alert_failure_window_minutes',
		'kbjobs_alert_due_age_minutes',
		'kbjobs_alert_cron_stale_minutes',
		'kbjobs_alert_failure_streak',
		'kbjobs_alert_no_runner_minutes',
		'kbjobs_alert_clear_minutes',
		'kbjobs_cron_enabled',
		self::REMOVE_ALL_DATA_OPTION,
		'kbjobs_fetch_max_per_host',
		'kbjobs_fetch_allow',
		'kbjobs_fetch_host_limits',
	);

	/**
	 * The effective value of a setting: its constant when defined, else its option, else
	 * its default; typed (int, bool or string) and validated. A constant out of an int's
	 * range is brought into it (the host asked for "a lot" or "very little"); a constant
	 * or option that does not parse reads as the default.
	 *
	 * @param string $key One of KEYS.
	 * @return int|bool|string
	 * @throws InvalidArgumentException For a key that is not a setting (a programming error).
	 */
	public static function get( string $key ) {
		$spec = self::spec( $key );
		if ( self::forced( $key ) ) {
			$value = constant( self::constant_name( $key ) );
			if ( 'int' === $spec['type'] && is_numeric( $value ) ) {
				return max( $spec['min'], min( $spec['max'], (int) $value ) );
			}
			$valid = self::validate( $key, $value );
			return is_wp_error( $valid ) ? $spec['default'] : $valid;
		}
		$value = get_option( self::option_name( $key ), null );
		if ( null === $value || false === $value && 'bool' !== $spec['type'] ) {
			return $spec['default'];
		}
		$valid = self::validate( $key, $value );
		return is_wp_error( $valid ) ? $spec['default'] : $valid;
	}

	/**
	 * Whether a constant in wp-config.php sets the setting (the screen then shows it
	 * disabled). A constant defined as '' leaves the fetcher's strings to the option, as
	 * it always did.
	 *
	 * @param string $key One of KEYS.
	 * @return bool
	 * @throws InvalidArgumentException For a key that is not a setting.
	 */
	public static function forced( string $key ): bool {
		self::spec( $key );
		$constant = self::constant_name( $key );
		if ( ! defined( $constant ) ) {
			return false;
		}
		return 0 !== strpos( $key, 'fetch_' ) || '' !== constant( $constant );
	}

	/**
	 * The setting's definition (type, default, range, ...).
	 *
	 * @param string $key One of KEYS.
	 * @return array<string,mixed>
	 * @throws InvalidArgumentException For a key that is not a setting.
	 */
	public static function spec( string $key ): array {
		if ( ! isset( self::KEYS[ $key ] ) ) {
			throw new InvalidArgumentException( sprintf( 'kbjobs: no setting named %s', $key ) );
		}
		return self::KEYS[ $key ];
	}

	/**
	 * The option that stores a setting.
	 *
	 * @param string $key One of KEYS.
	 * @return string
	 */
	public static function option_name( string $key ): string {
		return self::KEYS[ $key ]['option'] ?? 'kbjobs_' . $key;
	}

	/**
	 * The constant that forces a setting.
	 *
	 * @param string $key One of KEYS.
	 * @return string
	 */
	public static function constant_name( string $key ): string {
		return self::KEYS[ $key ]['constant'] ?? 'KBJOBS_' . strtoupper( $key );
	}

	/**
	 * Checks and normalises a value for a setting (the Settings screen's sanitize
	 * callbacks and get() use it).
	 *
	 * - int: a whole number (digits, perhaps in a string) within [min, max].
	 * - bool: true/false, 1/0, yes/no, on/off, or '' (false).
	 * - string: at most max characters, no control characters, trimmed; emails: a
	 *   comma-separated list of addresses (normalised to "a@x, b@y"); url: '' or an
	 *   http(s) URL with a host.
	 *
	 * @param string      $key   One of KEYS.
	 * @param mixed       $value The value given.
	 * @param string|null $name  What the error message calls the setting (default: its key).
	 * @return int|bool|string|WP_Error The value, or an error that says what is wrong.
	 */
	public static function validate( string $key, $value, ?string $name = null ) {
		$spec = self::spec( $key );
		$name = $name ?? $key;
		switch ( $spec['type'] ) {
			case 'int':
				if ( is_int( $value ) || ( is_string( $value ) && 1 === preg_match( '/^\s*-?[0-9]{1,12}\s*$/', $value ) ) ) {
					$int = (int) $value;
					if ( $int >= $spec['min'] && $int <= $spec['max'] ) {
						return $int;
					}
				}
				return new WP_Error(
					'kbjobs_invalid_setting',
					/* translators: 1: setting name, 2: lowest value, 3: highest value */
					sprintf( __( '%1$s must be a whole number from %2$d to %3$d.', 'kb-jobs' ), $name, $spec['min'], $spec['max'] )
				);
			case 'bool':
				if ( is_bool( $value ) ) {
					return $value;
				}
				$bool = is_scalar( $value ) ? filter_var( $value, FILTER_VALIDATE_BOOLEAN, FILTER_NULL_ON_FAILURE ) : null;
				if ( null === $bool ) {
					return new WP_Error(
						'kbjobs_invalid_setting',
						/* translators: %s: setting name */
						sprintf( __( '%s must be on or off.', 'kb-jobs' ), $name )
					);
				}
				return $bool;
		}
		if ( ! is_scalar( $value ) ) {
			/* translators: %s: setting name */
			return new WP_Error( 'kbjobs_invalid_setting', sprintf( __( '%s must be text.', 'kb-jobs' ), $name ) );
		}
		$string = trim( (string) $value );
		if ( strlen( $string ) > $spec['max'] || 1 === preg_match( '/[\x00-\x1f\x7f]/', $string ) || wp_check_invalid_utf8( $string ) !== $string ) {
			return new WP_Error(
				'kbjobs_invalid_setting',
				/* translators: 1: setting name, 2: length */
				sprintf( __( '%1$s must be one line of at most %2$d characters.', 'kb-jobs' ), $name, $spec['max'] )
			);
		}
		if ( '' === $string ) {
			return '';
		}
		if ( 'emails' === $spec['kind'] ) {
			$emails = array_values( array_filter( array_map( 'trim', explode( ',', $string ) ), 'strlen' ) );
			foreach ( $emails as $email ) {
				if ( ! is_email( $email ) ) {
					return new WP_Error(
						'kbjobs_invalid_setting',
						/* translators: 1: setting name, 2: what was given */
						sprintf( __( '%1$s: "%2$s" is not an email address.', 'kb-jobs' ), $name, $email )
					);
				}
			}
			return implode( ', ', $emails );
		}
		if ( 'url' === $spec['kind'] ) {
			$scheme = strtolower( (string) wp_parse_url( $string, PHP_URL_SCHEME ) );
			$host   = (string) wp_parse_url( $string, PHP_URL_HOST );
			if ( ! in_array( $scheme, array( 'http', 'https' ), true ) || '' === $host || 1 === preg_match( '/\s/', $string ) ) {
				return new WP_Error(
					'kbjobs_invalid_setting',
					/* translators: %s: setting name */
					sprintf( __( '%s must be an http:// or https:// URL.', 'kb-jobs' ), $name )
				);
			}
		}
		return $string;
	}

	/**
	 * The settings an operator sees (Debug Info, `wp kb status`): every effective value,
	 * with the webhook secret as set/not set and the webhook URL as its host only (its
	 * path may carry a token).
	 *
	 * @return array<string,int|bool|string>
	 */
	public static function redacted(): array {
		$out = array();
		foreach ( array_keys( self::KEYS ) as $key ) {
			$value = self::get( $key );
			if ( 'alert_webhook_secret' === $key ) {
				$value = '' === $value ? 'not set' : 'set';
			} elseif ( 'alert_webhook_url' === $key && '' !== $value ) {
				$value = (string) wp_parse_url( $value, PHP_URL_HOST );
			}
			$out[ $key ] = $value;
		}
		return $out;
	}

	/**
	 * The data directory: KBJOBS_DATA_DIR when defined, otherwise a private folder under
	 * uploads (see default_data_dir_name()).
	 *
	 * @return string Absolute path, without a trailing slash.
	 */
	public static function data_dir(): string {
		if ( self::data_dir_forced() ) {
			return untrailingslashit( (string) KBJOBS_DATA_DIR );
		}
		$uploads = wp_upload_dir( null, false );
		$base    = untrailingslashit( $uploads['basedir'] );
		return $base . '/' . self::default_data_dir_name( $base );
	}

	/**
	 * Whether KBJOBS_DATA_DIR sets the data directory.
	 *
	 * @return bool
	 */
	public static function data_dir_forced(): bool {
		return defined( 'KBJOBS_DATA_DIR' ) && '' !== KBJOBS_DATA_DIR;
	}

	/**
	 * The name of the default data directory under $base (uploads): the one stored in
	 * kbjobs_data_dir_name; else, chosen once and stored, kbjobs-private for a site that
	 * already uses it (the marked folder of earlier versions), or kbjobs-<32 random hex
	 * digits>: uploads is often listable or guessable, and the name is the first defence
	 * where the deny rules are ignored (nginx).
	 *
	 * @param string $base The uploads directory.
	 * @return string
	 */
	public static function default_data_dir_name( string $base ): string {
		$name = get_option( self::DATA_DIR_NAME_OPTION );
		if ( is_string( $name ) && 1 === preg_match( '/^kbjobs-[a-z0-9]{6,64}$/', $name ) ) {
			return $name;
		}
		$name = self::is_marked( $base . '/' . self::LEGACY_DATA_DIR_NAME )
			? self::LEGACY_DATA_DIR_NAME
			: 'kbjobs-' . bin2hex( random_bytes( 16 ) );
		// The first requests of a site may race: INSERT IGNORE keeps the first name stored
		// (add_option() would overwrite it), and every request reads back the winner.
		// Autoloaded: every request that makes the engine needs it.
		global $wpdb;
		// phpcs:disable WordPress.DB.DirectDatabaseQuery -- see above; the caches are cleared below.
		$wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'yes')", self::DATA_DIR_NAME_OPTION, $name ) );
		$stored = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", self::DATA_DIR_NAME_OPTION ) );
		// phpcs:enable
		wp_cache_delete( 'alloptions', 'options' );
		wp_cache_delete( 'notoptions', 'options' );
		wp_cache_delete( self::DATA_DIR_NAME_OPTION, 'options' );
		return is_string( $stored ) && '' !== $stored ? $stored : $name;
	}

	/**
	 * Makes the private data directory, with deny rules and an index file so a web
	 * server that can reach it still serves nothing from it, and the kbjobs marker. An
	 * existing directory is left as it is, except that it gets the marker when it holds
	 * only what kbjobs puts there (or nothing). When the directory cannot be made, the
	 * engine says so on its first write.
	 *
	 * @param string $dir Absolute path.
	 */
	public static function ensure_data_dir( string $dir ): void {
		if ( ! is_dir( $dir ) ) {
			if ( ! wp_mkdir_p( $dir ) ) {
				return;
			}
			// phpcs:disable WordPress.WP.AlternativeFunctions.file_system_read_file_put_contents -- the engine's directory, written as the PHP process's user like everything the engine puts there; WP_Filesystem may write through FTP or SSH as another user (and is loaded only in wp-admin).
			file_put_contents( $dir . '/.htaccess', self::HTACCESS );
			file_put_contents( $dir . '/index.php', "<?php\n// Silence is golden.\n" );
			// phpcs:enable
			self::mark_data_dir( $dir );
			return;
		}
		if ( ! self::is_marked( $dir ) && self::holds_only_kbjobs_data( $dir ) ) {
			self::mark_data_dir( $dir );
		}
	}

	/**
	 * Whether a directory carries the kbjobs marker.
	 *
	 * @param string $dir Absolute path.
	 * @return bool
	 */
	public static function is_marked( string $dir ): bool {
		return is_file( $dir . '/' . self::DATA_MARKER );
	}

	/**
	 * Whether every entry of a directory is one kbjobs makes (an empty one qualifies).
	 *
	 * @param string $dir Absolute path.
	 * @return bool
	 */
	private static function holds_only_kbjobs_data( string $dir ): bool {
		$entries = scandir( $dir );
		if ( false === $entries ) {
			return false;
		}
		return array() === array_diff( $entries, array( '.', '..', self::DATA_MARKER ), self::DATA_ENTRIES );
	}

	/**
	 * Writes the marker.
	 *
	 * @param string $dir Absolute path.
	 */
	private static function mark_data_dir( string $dir ): void {
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_file_put_contents -- the engine's directory: see ensure_data_dir().
		file_put_contents(
			$dir . '/' . self::DATA_MARKER,
			"kbjobs data directory (URL lists, logs, checkpoints, artifacts) of the KB Jobs plugin.\n" .
			"Uninstalling KB Jobs deletes this directory only when told to remove all data\n" .
			"(KBJOBS_REMOVE_ALL_DATA or the kbjobs_remove_all_data option), and only with this file in it.\n"
		);
	}

	/**
	 * The fetcher's settings: KBJOBS_FETCH_ALLOW (addresses and CIDR ranges allowed
	 * although private, e.g. '10.0.0.0/8'), KBJOBS_FETCH_PROXY, KBJOBS_FETCH_CA_FILE (a
	 * PEM file of the CAs trusted instead of the system's, for sites with a private CA),
	 * KBJOBS_FETCH_MAX_PER_HOST (requests at once per host, 1..100; default 6) and
	 * KBJOBS_FETCH_HOST_LIMITS (per-host limits: 'docs.example.com=2, example.org:8443=16'),
	 * and the `kbjobs_import_settings` filter for the rest (timeouts, limits). The engine
	 * checks the values: one out of range or a list that does not parse makes
	 * KBJobs\Engine::configureImport() throw, naming the setting.
	 *
	 * @return array<string,mixed>
	 */
	public static function import_settings(): array {
		$settings = array(
			'user_agent' => 'kbjobs/' . phpversion( 'kbjobs' ) . ' (+' . home_url( '/' ) . ')',
		);
		// A forced fetch setting goes to the engine as the constant says (a value it
		// refuses makes configureImport() throw, naming the setting, rather than being
		// quietly replaced); the options were validated when saved and again by get().
		if ( self::forced( 'fetch_allow' ) ) {
			$settings['allow'] = (string) KBJOBS_FETCH_ALLOW;
		} elseif ( '' !== self::get( 'fetch_allow' ) ) {
			$settings['allow'] = self::get( 'fetch_allow' );
		}
		if ( defined( 'KBJOBS_FETCH_PROXY' ) && '' !== KBJOBS_FETCH_PROXY ) {
			$settings['proxy'] = (string) KBJOBS_FETCH_PROXY;
		}
		if ( defined( 'KBJOBS_FETCH_CA_FILE' ) && '' !== KBJOBS_FETCH_CA_FILE ) {
			$settings['ca_file'] = (string) KBJOBS_FETCH_CA_FILE;
		}
		if ( self::forced( 'fetch_max_per_host' ) ) {
			// A number in quotes is a number; anything else is passed as it is, so that
			// the engine's TypeError names the setting instead of a silent 0.
			$settings['max_per_host'] = is_numeric( KBJOBS_FETCH_MAX_PER_HOST ) ? (int) KBJOBS_FETCH_MAX_PER_HOST : KBJOBS_FETCH_MAX_PER_HOST;
		} elseif ( null !== get_option( self::option_name( 'fetch_max_per_host' ), null ) ) {
			$settings['max_per_host'] = self::get( 'fetch_max_per_host' );
		}
		if ( self::forced( 'fetch_host_limits' ) ) {
			$settings['host_limits'] = (string) KBJOBS_FETCH_HOST_LIMITS;
		} elseif ( '' !== self::get( 'fetch_host_limits' ) ) {
			$settings['host_limits'] = self::get( 'fetch_host_limits' );
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
	 * The WP-Cron run history's retention: kbjobs_cron_history_days (default 30, at
	 * least 1) and kbjobs_cron_history_per_hook (default 100; 0 keeps every run of the
	 * days kept).
	 *
	 * @return array{days:int,per_hook:int}
	 */
	public static function cron_history(): array {
		return array(
			'days'     => self::get( 'cron_history_days' ),
			'per_hook' => self::get( 'cron_history_per_hook' ),
		);
	}

	/**
	 * Whether uninstalling removes all data (the engine's tables, the import records,
	 * the data directory): the KBJOBS_REMOVE_ALL_DATA constant when defined (so a host
	 * can also forbid it), otherwise the current site's kbjobs_remove_all_data option.
	 * Off by default.
	 *
	 * @return bool
	 */
	public static function remove_all_data(): bool {
		return self::get( 'remove_all_data' );
	}
}
