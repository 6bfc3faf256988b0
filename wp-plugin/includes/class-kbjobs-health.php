<?php
/**
 * What the Health screen and `wp kb version` report: the extension, the libraries it
 * links and the data directory. Collects data only; rendering lives with each caller.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects facts about the running installation.
 */
final class KBJobs_Health {

	/**
	 * The data directory: KBJOBS_DATA_DIR when defined, otherwise a private folder
	 * under uploads.
	 *
	 * @return string
	 */
	public static function data_dir(): string {
		if ( defined( 'KBJOBS_DATA_DIR' ) && '' !== KBJOBS_DATA_DIR ) {
			return untrailingslashit( (string) KBJOBS_DATA_DIR );
		}
		$uploads = wp_upload_dir( null, false );
		return untrailingslashit( $uploads['basedir'] ) . '/kbjobs-private';
	}

	/**
	 * Component versions, keyed by name: the plugin, the extension and its libraries.
	 *
	 * @return array<string,string>
	 */
	public static function versions(): array {
		$versions = array( 'plugin' => KBJOBS_PLUGIN_VERSION );
		foreach ( \KBJobs\versions() as $name => $version ) {
			$versions[ 'kbjobs' === $name ? 'extension' : $name ] = $version;
		}
		$versions['php']       = PHP_VERSION;
		$versions['wordpress'] = get_bloginfo( 'version' );
		return $versions;
	}

	/**
	 * Rows of the version report, one per component, ready for a table or a formatter.
	 *
	 * @return array<int,array{component:string,version:string}>
	 */
	public static function version_rows(): array {
		$rows = array();
		foreach ( self::versions() as $component => $version ) {
			$rows[] = array(
				'component' => $component,
				'version'   => $version,
			);
		}
		return $rows;
	}
}
