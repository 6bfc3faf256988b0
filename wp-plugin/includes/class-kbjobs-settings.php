<?php
/**
 * The plugin's settings, read in one place: where the data directory is (and making it),
 * the import fetcher's settings, and whether uninstalling removes all data. Needs no
 * extension: uninstall.php reads it too.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reads the plugin's settings from its constants, options and filters.
 */
final class KBJobs_Settings {

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
	 * What kbjobs puts in a data directory (besides the marker).
	 */
	const DATA_ENTRIES = array( 'lists', 'logs', 'checkpoints', 'artifacts', 'quarantine', 'staging', '.htaccess', 'index.php' );

	/**
	 * How long WP-Cron runs stay in the history: days, and runs per hook (0: no cap).
	 */
	const CRON_HISTORY_DAYS_OPTION     = 'kbjobs_cron_history_days';
	const CRON_HISTORY_PER_HOOK_OPTION = 'kbjobs_cron_history_per_hook';

	/**
	 * The options an operator sets (changes to them are audited as settings.update).
	 */
	const OPTIONS = array( self::REMOVE_ALL_DATA_OPTION, 'kbjobs_cron_enabled', self::CRON_HISTORY_DAYS_OPTION, self::CRON_HISTORY_PER_HOOK_OPTION );

	/**
	 * The data directory: KBJOBS_DATA_DIR when defined, otherwise a private folder
	 * under uploads.
	 *
	 * @return string Absolute path, without a trailing slash.
	 */
	public static function data_dir(): string {
		if ( defined( 'KBJOBS_DATA_DIR' ) && '' !== KBJOBS_DATA_DIR ) {
			return untrailingslashit( (string) KBJOBS_DATA_DIR );
		}
		$uploads = wp_upload_dir( null, false );
		return untrailingslashit( $uploads['basedir'] ) . '/kbjobs-private';
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
			file_put_contents( $dir . '/.htaccess', "Require all denied\nDeny from all\n" );
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
		if ( defined( 'KBJOBS_FETCH_ALLOW' ) && '' !== KBJOBS_FETCH_ALLOW ) {
			$settings['allow'] = (string) KBJOBS_FETCH_ALLOW;
		}
		if ( defined( 'KBJOBS_FETCH_PROXY' ) && '' !== KBJOBS_FETCH_PROXY ) {
			$settings['proxy'] = (string) KBJOBS_FETCH_PROXY;
		}
		if ( defined( 'KBJOBS_FETCH_CA_FILE' ) && '' !== KBJOBS_FETCH_CA_FILE ) {
			$settings['ca_file'] = (string) KBJOBS_FETCH_CA_FILE;
		}
		if ( defined( 'KBJOBS_FETCH_MAX_PER_HOST' ) && '' !== KBJOBS_FETCH_MAX_PER_HOST ) {
			// A number in quotes is a number; anything else is passed as it is, so that
			// the engine's TypeError names the setting instead of a silent 0.
			$settings['max_per_host'] = is_numeric( KBJOBS_FETCH_MAX_PER_HOST ) ? (int) KBJOBS_FETCH_MAX_PER_HOST : KBJOBS_FETCH_MAX_PER_HOST;
		}
		if ( defined( 'KBJOBS_FETCH_HOST_LIMITS' ) && '' !== KBJOBS_FETCH_HOST_LIMITS ) {
			$settings['host_limits'] = (string) KBJOBS_FETCH_HOST_LIMITS;
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
		$days     = get_option( self::CRON_HISTORY_DAYS_OPTION, 30 );
		$per_hook = get_option( self::CRON_HISTORY_PER_HOOK_OPTION, 100 );
		return array(
			'days'     => is_numeric( $days ) ? max( 1, min( 3650, (int) $days ) ) : 30,
			'per_hook' => is_numeric( $per_hook ) ? max( 0, min( 1000000, (int) $per_hook ) ) : 100,
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
		if ( defined( 'KBJOBS_REMOVE_ALL_DATA' ) ) {
			return (bool) filter_var( KBJOBS_REMOVE_ALL_DATA, FILTER_VALIDATE_BOOLEAN );
		}
		return (bool) filter_var( get_option( self::REMOVE_ALL_DATA_OPTION, false ), FILTER_VALIDATE_BOOLEAN );
	}
}
