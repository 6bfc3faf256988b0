<?php
/**
 * The version report: the plugin, the extension, the libraries it links, PHP and
 * WordPress. Shown by the Operations screen's Health section and `wp kb version`;
 * collects only, each caller renders.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Collects component versions.
 */
final class KBJobs_Data_Versions {

	/**
	 * The fields of a row.
	 */
	const FIELDS = array( 'component', 'version' );

	/**
	 * Component versions, keyed by name: the plugin, the extension and its libraries,
	 * PHP and WordPress.
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
	 * One row per component, ready for a table or a formatter.
	 *
	 * @return array<int,array{component:string,version:string}>
	 */
	public static function rows(): array {
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
