<?php
/**
 * The plugin's autoloader: every KBJobs_* class, trait or abstract class lives in its
 * own file, named after it in lower case with hyphens (`KBJobs_CLI_Work` in
 * `class-kbjobs-cli-work.php`), in `includes/` or one of its folders. The folder named
 * by the class's first word (`KBJobs_CLI_*` in `cli/`, `KBJobs_Data_*` in `data/`, `KBJobs_REST_*` in `rest/`) is
 * looked at first, then `includes/`, then the other folders.
 *
 * Functions cannot be autoloaded: the plugin's public functions are in
 * `includes/functions.php`, which KBJobs_Plugin::boot() includes.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Loads the plugin's classes on first use.
 */
final class KBJobs_Autoloader {

	/**
	 * The folders of includes/ that hold classes.
	 */
	const FOLDERS = array( 'actions', 'admin', 'cli', 'cron', 'data', 'import', 'manifest', 'reconcile', 'rest' );

	/**
	 * Registers the autoloader (once, however often it is called).
	 */
	public static function register(): void {
		spl_autoload_register( array( self::class, 'load' ) );
	}

	/**
	 * The file a plugin class would be in, or '' when there is none.
	 *
	 * @param string $class_name A class name.
	 * @return string Absolute path.
	 */
	public static function path( string $class_name ): string {
		if ( ! preg_match( '/^KBJobs(_[A-Za-z0-9]+)+$/', $class_name ) ) {
			return '';
		}
		$file  = 'class-' . strtolower( str_replace( '_', '-', $class_name ) ) . '.php';
		$first = strtolower( explode( '_', $class_name )[1] );
		$order = array( '' );
		if ( in_array( $first, self::FOLDERS, true ) ) {
			array_unshift( $order, $first . '/' );
		}
		foreach ( self::FOLDERS as $folder ) {
			if ( $folder !== $first ) {
				$order[] = $folder . '/';
			}
		}
		foreach ( $order as $folder ) {
			$path = __DIR__ . '/' . $folder . $file;
			if ( is_file( $path ) ) {
				return $path;
			}
		}
		return '';
	}

	/**
	 * The spl_autoload_register() callback.
	 *
	 * @param string $class_name The class PHP looks for.
	 */
	public static function load( string $class_name ): void {
		$path = self::path( $class_name );
		if ( '' !== $path ) {
			require_once $path;
		}
	}
}
