<?php
/**
 * What uninstalling KB Jobs removes. Runs from uninstall.php, with the plugin inactive
 * and perhaps without the extension: plain `$wpdb` and WordPress functions only.
 *
 * Always, on every site of a network: the plugin's WP-Cron events (kbjobs_*) and its
 * options (kbjobs_*, and its transients), except the name of the default data directory
 * (kbjobs_data_dir_name), which goes only together with the data.
 *
 * Only when told to remove all data (KBJobs_Settings::remove_all_data(): the
 * KBJOBS_REMOVE_ALL_DATA constant, else each site's kbjobs_remove_all_data option): the
 * engine's tables ({prefix}kbjobs_*), the kb_import_job posts, and the data directory,
 * which goes only when it carries the kbjobs marker (KBJobs_Settings::DATA_MARKER) and
 * every site using it asked for its removal; it is deleted without following symbolic
 * links (a link is removed, never what it points to).
 *
 * Never: the imported articles (kb_article or the filtered post type), which are the
 * site's content.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Removes what the plugin created.
 */
final class KBJobs_Uninstaller {

	/**
	 * Uninstalls from every site (one, or each of a network's).
	 */
	public static function run(): void {
		// Data directory => whether every site that uses it asked for all data to go.
		$dirs = array();
		if ( is_multisite() ) {
			foreach ( get_sites(
				array(
					'fields' => 'ids',
					'number' => 0,
				)
			) as $site_id ) {
				switch_to_blog( (int) $site_id );
				self::uninstall_site( $dirs );
				restore_current_blog();
			}
			self::delete_network_options();
		} else {
			self::uninstall_site( $dirs );
		}
		foreach ( $dirs as $dir => $remove ) {
			if ( $remove ) {
				self::delete_data_dir( $dir );
			}
		}
	}

	/**
	 * Uninstalls from the current site, and notes its data directory in $dirs.
	 *
	 * @param array<string,bool> $dirs Data directories and whether they may go.
	 */
	private static function uninstall_site( array &$dirs ): void {
		// Read before the options go.
		$remove = KBJobs_Settings::remove_all_data();
		$dir    = KBJobs_Settings::data_dir();

		// WP-Cron events kept by kbjobs go back to core's `cron` option first (uninstalling
		// without deactivating, or after the extension disappeared), so that clearing the
		// plugin's own events below sees them and the site's other events stay scheduled.
		KBJobs_Cron_Migration::fall_back();
		KBJobs_Plugin::clear_scheduled_events();
		if ( $remove ) {
			self::drop_tables();
			self::delete_import_jobs();
		}
		// The default data directory's name stays unless the data goes with it: a
		// reinstalled plugin finds the same directory (and its jobs' files) again.
		self::delete_options( $remove ? array() : array( KBJobs_Settings::DATA_DIR_NAME_OPTION ) );
		$dirs[ $dir ] = ( $dirs[ $dir ] ?? true ) && $remove;
	}

	/**
	 * Drops the engine's tables of the current site, {prefix}kbjobs_*, and its view
	 * ({prefix}kbjobs_jobs, over the jobs' two tables).
	 */
	private static function drop_tables(): void {
		global $wpdb;
		$prefix = $wpdb->prefix . 'kbjobs_';
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- WordPress has no API that lists tables; read once, while uninstalling.
		$tables = $wpdb->get_results( $wpdb->prepare( 'SHOW FULL TABLES LIKE %s', $wpdb->esc_like( $prefix ) . '%' ), ARRAY_N );
		foreach ( $tables as $row ) {
			$table = (string) $row[0];
			// SHOW TABLES LIKE may ignore case; drop only the exact prefix.
			if ( 0 !== strpos( $table, $prefix ) ) {
				continue;
			}
			$what = 'VIEW' === ( $row[1] ?? '' ) ? 'VIEW' : 'TABLE';
			// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared,WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery -- a table name cannot be a placeholder: this one comes from SHOW TABLES with the plugin's prefix (checked above) and is quoted as an identifier; dropping the plugin's own tables is the point.
			$wpdb->query( "DROP $what IF EXISTS `" . str_replace( '`', '``', $table ) . '`' );
		}
	}

	/**
	 * Deletes the kb_import_job posts of the current site, with their meta.
	 */
	private static function delete_import_jobs(): void {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- every import record whatever its status (get_posts() leaves out trash and auto-drafts); read once, while uninstalling.
		$ids = $wpdb->get_col( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE post_type = %s", KBJobs_Post_Types::IMPORT_JOB ) );
		foreach ( $ids as $id ) {
			wp_delete_post( (int) $id, true );
		}
	}

	/**
	 * Deletes the current site's kbjobs_* options and transients.
	 *
	 * @param string[] $keep Options to leave.
	 */
	private static function delete_options( array $keep = array() ): void {
		global $wpdb;
		foreach ( array( 'kbjobs_', '_transient_kbjobs_', '_transient_timeout_kbjobs_' ) as $prefix ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- WordPress has no API that lists options by prefix; read once, while uninstalling.
			$names = $wpdb->get_col( $wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( $prefix ) . '%' ) );
			foreach ( array_diff( $names, $keep ) as $name ) {
				delete_option( $name );
			}
		}
	}

	/**
	 * Deletes the network's kbjobs_* options and site transients (multisite).
	 */
	private static function delete_network_options(): void {
		global $wpdb;
		foreach ( array( 'kbjobs_', '_site_transient_kbjobs_', '_site_transient_timeout_kbjobs_' ) as $prefix ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- WordPress has no API that lists network options by prefix; read once, while uninstalling.
			$rows = $wpdb->get_results( $wpdb->prepare( "SELECT site_id, meta_key FROM {$wpdb->sitemeta} WHERE meta_key LIKE %s", $wpdb->esc_like( $prefix ) . '%' ) );
			foreach ( $rows as $row ) {
				delete_network_option( (int) $row->site_id, $row->meta_key );
			}
		}
	}

	/**
	 * Deletes a data directory that carries the kbjobs marker, without following
	 * symbolic links; the marker goes last, so a directory that could not be emptied
	 * (files of another user) stays marked.
	 *
	 * @param string $dir Absolute path.
	 * @return bool Whether the directory is gone.
	 */
	private static function delete_data_dir( string $dir ): bool {
		if ( '' === $dir || is_link( $dir ) || ! is_dir( $dir ) || ! KBJobs_Settings::is_marked( $dir ) ) {
			return false;
		}
		$marker = $dir . '/' . KBJobs_Settings::DATA_MARKER;
		// phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- see delete_contents().
		return self::delete_contents( $dir, $marker ) && @unlink( $marker ) && @rmdir( $dir );
	}

	/**
	 * Deletes what a directory holds, depth first, never following a symbolic link.
	 *
	 * @param string $dir  Absolute path.
	 * @param string $keep A path to leave for now.
	 * @return bool Whether everything but $keep went.
	 */
	private static function delete_contents( string $dir, string $keep = '' ): bool {
		$entries = scandir( $dir );
		if ( false === $entries ) {
			return false;
		}
		$ok = true;
		// phpcs:disable WordPress.PHP.NoSilencedErrors.Discouraged -- what could not be deleted (another user's file, one already gone) is told by the result, which decides whether the directory counts as gone; the warning would only fill the log.
		foreach ( array_diff( $entries, array( '.', '..' ) ) as $entry ) {
			$path = $dir . '/' . $entry;
			if ( $path === $keep ) {
				continue;
			}
			if ( is_link( $path ) || ! is_dir( $path ) ) {
				$ok = @unlink( $path ) && $ok;
			} else {
				$ok = self::delete_contents( $path ) && @rmdir( $path ) && $ok;
			}
		}
		// phpcs:enable
		return $ok;
	}
}
