<?php
/**
 * What the plugin needs to run: the kbjobs extension, loaded and recent enough.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Checks the extension and explains, in an admin notice, what is missing.
 */
final class KBJobs_Requirements {

	/**
	 * The loaded extension's version, or null when it is not loaded.
	 *
	 * @return string|null
	 */
	public static function extension_version(): ?string {
		if ( ! extension_loaded( 'kbjobs' ) ) {
			return null;
		}
		$version = phpversion( 'kbjobs' );
		return false === $version ? null : $version;
	}

	/**
	 * Whether a compatible extension is loaded.
	 *
	 * @return bool
	 */
	public static function met(): bool {
		$version = self::extension_version();
		return null !== $version && version_compare( $version, KBJOBS_MIN_EXTENSION_VERSION, '>=' );
	}

	/**
	 * The problem in one sentence, or '' when requirements are met.
	 *
	 * @return string
	 */
	public static function problem(): string {
		$version = self::extension_version();
		if ( null === $version ) {
			return sprintf(
				/* translators: 1: PHP version, 2: PHP SAPI name, 3: minimum extension version */
				__( 'KB Jobs is inactive: the kbjobs PHP extension is not loaded in this PHP (%1$s, %2$s). Install kbjobs %3$s or newer and add "extension=kbjobs.so" to this PHP\'s configuration; the plugin\'s README explains how.', 'kb-jobs' ),
				PHP_VERSION,
				PHP_SAPI,
				KBJOBS_MIN_EXTENSION_VERSION
			);
		}
		if ( ! self::met() ) {
			return sprintf(
				/* translators: 1: loaded extension version, 2: minimum extension version */
				__( 'KB Jobs is inactive: the loaded kbjobs PHP extension is version %1$s, and this plugin needs %2$s or newer. Upgrade the extension and restart PHP.', 'kb-jobs' ),
				$version,
				KBJOBS_MIN_EXTENSION_VERSION
			);
		}
		return '';
	}

	/**
	 * Prints the admin notice for users who can do something about it.
	 */
	public static function render_notice(): void {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		printf(
			'<div class="notice notice-error kbjobs-requirements-notice"><p>%s</p></div>',
			esc_html( self::problem() )
		);
	}
}
