<?php
/**
 * The switch of kbjobs' WP-Cron: whether WP-Cron's events live in the engine's tables
 * (answered by KBJobs_Cron_Adapter) or in core's `cron` option, and the moves between
 * the two (KBJobs_Cron_Migration).
 *
 * - Enabled: KBJobs_Settings::get( 'cron_enabled' ): the KBJOBS_CRON constant when it is
 *   defined (a host forces it on or off), else the `kbjobs_cron_enabled` option (absent:
 *   on; '0', 'no', 'off', 'false' or an empty value: off; a value that is neither on nor
 *   off: on). Changes to the option are audited with the other settings.
 * - Where the events are: the `kbjobs_cron_store` option, 'kbjobs' once they were
 *   imported into the engine's table, else 'core'.
 *
 * On every request init() puts the two in agreement: enabled and still 'core', the
 * events are imported; disabled and 'kbjobs', they are written back to the option. The
 * import runs on `plugins_loaded` (once, on the request that finds the state behind),
 * so the engine it makes sees every plugin's job types; until then core answers from the
 * option, which still holds the events.
 *
 * Core schedules one event of its own (recovery_mode_clean_expired_keys) before regular
 * plugins load, as mu-plugins may: such events land in the option, where the adapter is
 * not yet looking; KBJobs_Cron_Migration::sweep() takes them in on the same request.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Whether kbjobs keeps WP-Cron's events, and the adapter's life in a request.
 */
final class KBJobs_Cron {

	const ENABLED_OPTION = 'kbjobs_cron_enabled';
	const STATE_OPTION   = 'kbjobs_cron_store';

	/**
	 * The values of the option that mean off.
	 */
	const OFF_VALUES = array( '0', 'no', 'off', 'false', '' );

	/**
	 * Whether kbjobs should keep WP-Cron's events.
	 *
	 * @return bool
	 */
	public static function enabled(): bool {
		return (bool) KBJobs_Settings::get( 'cron_enabled' );
	}

	/**
	 * Where the events are now: 'kbjobs' (the engine's table) or 'core' (the option).
	 *
	 * @return string
	 */
	public static function state(): string {
		return 'kbjobs' === get_option( self::STATE_OPTION ) ? 'kbjobs' : 'core';
	}

	/**
	 * Called from KBJobs_Plugin::boot(): hooks the adapter when the events are in the
	 * engine, and moves them in or out when the setting and the state disagree.
	 */
	public static function init(): void {
		$enabled = self::enabled();
		if ( $enabled && 'kbjobs' === self::state() ) {
			// What core and mu-plugins scheduled before this plugin loaded went into the
			// option (see KBJobs_Cron_Migration::sweep()); read it before the adapter
			// hides it. Autoloaded: no query.
			$option = get_option( 'cron' );
			KBJobs_Cron_Adapter::add();
			if ( is_array( $option ) && array() !== array_diff_key( $option, array( 'version' => true ) ) ) {
				$sweep = static function () use ( $option ) {
					KBJobs_Cron_Migration::sweep( $option );
				};
				if ( did_action( 'plugins_loaded' ) ) {
					$sweep();
				} else {
					add_action( 'plugins_loaded', $sweep, 0 );
				}
			}
			return;
		}
		if ( ! $enabled && 'core' === self::state() ) {
			return;
		}
		if ( did_action( 'plugins_loaded' ) ) {
			self::converge();
		} else {
			add_action( 'plugins_loaded', array( self::class, 'converge' ), 0 );
		}
	}

	/**
	 * Moves the events where the setting wants them: imported and the adapter hooked, or
	 * written back to the option. A failed import leaves core in charge for this request
	 * (the option still holds every event) and is tried again on the next.
	 */
	public static function converge(): void {
		if ( self::enabled() ) {
			if ( KBJobs_Cron_Migration::in() ) {
				KBJobs_Cron_Adapter::add();
			}
			return;
		}
		KBJobs_Cron_Migration::out();
	}

	/**
	 * Whether the adapter answers core's cron API in this request (the runner side asks).
	 *
	 * @return bool
	 */
	public static function active(): bool {
		return KBJobs_Cron_Adapter::added();
	}

	/**
	 * Deactivation of the plugin (after its own events were cleared): the events go back
	 * to the option, through the engine when the extension is there, else through $wpdb.
	 */
	public static function deactivate(): void {
		if ( ! KBJobs_Requirements::met() ) {
			KBJobs_Cron_Migration::fall_back();
			return;
		}
		if ( 'kbjobs' === self::state() ) {
			KBJobs_Cron_Migration::out();
		}
	}
}
