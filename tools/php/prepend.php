<?php
/**
 * Loaded with auto_prepend_file by the dev and test servers and by tools/wp: drops
 * E_DEPRECATED notices raised from inside WordPress core's bundled libraries and from
 * WP-CLI's vendor tree (both predate PHP 8.2), and nothing else, so the plugin's own
 * notices stay visible in the logs the tests read.
 */
(static function (): void {
	$quiet = array_filter(
		array(
			getenv( 'KBJOBS_WP_DIR' ) ? rtrim( getenv( 'KBJOBS_WP_DIR' ), '/' ) . '/wp-includes/' : null,
			getenv( 'KBJOBS_WP_DIR' ) ? rtrim( getenv( 'KBJOBS_WP_DIR' ), '/' ) . '/wp-admin/' : null,
			dirname( __DIR__ ) . '/wp-cli/vendor/',
		)
	);
	$previous = null;
	$previous = set_error_handler(
		static function ( int $errno, string $errstr, string $errfile = '', int $errline = 0 ) use ( $quiet, &$previous ) {
			if ( $errno & ( E_DEPRECATED | E_USER_DEPRECATED ) ) {
				foreach ( $quiet as $prefix ) {
					if ( strncmp( $errfile, $prefix, strlen( $prefix ) ) === 0 ) {
						return true;
					}
				}
			}
			return $previous ? $previous( $errno, $errstr, $errfile, $errline ) : false;
		}
	);
})();
