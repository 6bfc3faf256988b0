<?php
/**
 * Who may see and who may steer kbjobs: two meta capabilities, `kbjobs_view` (every
 * list, count and log) and `kbjobs_operate` (every action), mapped to `manage_options`
 * by default. A role can be given either directly (`$role->add_cap( 'kbjobs_view' )`),
 * and the mapping is filterable, so a read-only role can watch without acting.
 *
 * `wp kb` runs as the user given with `--user`; without one it runs as the command-line
 * operator, who may do everything (they already hold the site's files and database).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The plugin's capabilities and their checks.
 */
final class KBJobs_Access {

	const VIEW    = 'kbjobs_view';
	const OPERATE = 'kbjobs_operate';

	/**
	 * Hooks the mapping.
	 */
	public static function init(): void {
		add_filter( 'map_meta_cap', array( self::class, 'map' ), 10, 4 );
	}

	/**
	 * The map_meta_cap filter: what a user needs for kbjobs_view or kbjobs_operate.
	 *
	 * @param string[] $caps    Primitive capabilities required so far.
	 * @param string   $cap     The capability checked.
	 * @param int      $user_id The user.
	 * @param array    $args    Unused.
	 * @return string[]
	 */
	public static function map( $caps, $cap, $user_id, $args ) {
		unset( $args );
		if ( self::VIEW !== $cap && self::OPERATE !== $cap ) {
			return $caps;
		}
		$user = get_userdata( (int) $user_id );
		// Granted to the user or their role directly: that is enough. Operating includes viewing.
		if ( $user && ( ! empty( $user->allcaps[ $cap ] ) || ( self::VIEW === $cap && ! empty( $user->allcaps[ self::OPERATE ] ) ) ) ) {
			return array( 'exist' );
		}
		/**
		 * Filters the primitive capabilities a user needs for kbjobs_view or kbjobs_operate.
		 *
		 * For example, to let editors watch the dashboard without acting:
		 *
		 *     add_filter( 'kbjobs_map_capability', function ( $caps, $cap ) {
		 *         return 'kbjobs_view' === $cap ? array( 'edit_others_posts' ) : $caps;
		 *     }, 10, 2 );
		 *
		 * @param string[] $caps    Default: array( 'manage_options' ).
		 * @param string   $cap     kbjobs_view or kbjobs_operate.
		 * @param int      $user_id The user.
		 */
		return (array) apply_filters( 'kbjobs_map_capability', array( 'manage_options' ), $cap, (int) $user_id );
	}

	/**
	 * Whether the current user (or the command-line operator) has $cap.
	 *
	 * @param string $cap self::VIEW or self::OPERATE.
	 * @return bool
	 */
	public static function can( string $cap ): bool {
		if ( self::is_cli_operator() ) {
			return true;
		}
		return current_user_can( $cap );
	}

	/**
	 * Whether this is `wp kb` run without `--user`.
	 *
	 * @return bool
	 */
	public static function is_cli_operator(): bool {
		return defined( 'WP_CLI' ) && WP_CLI && 0 === get_current_user_id();
	}

	/**
	 * The error for a user without $cap: 401 when nobody is logged in, else 403.
	 *
	 * @param string $cap The capability missing.
	 * @return WP_Error
	 */
	public static function denied( string $cap ): WP_Error {
		$logged_in = is_user_logged_in();
		return new WP_Error(
			$logged_in ? 'kbjobs_forbidden' : 'kbjobs_not_logged_in',
			$logged_in
				/* translators: %s: capability name */
				? sprintf( __( 'You need the %s capability to do this.', 'kb-jobs' ), $cap )
				: __( 'You are not logged in.', 'kb-jobs' ),
			array( 'status' => $logged_in ? 403 : 401 )
		);
	}
}
