<?php
/**
 * The scale bench's timings, put into the bench site's mu-plugins by run.sh (never into a
 * real site): a screen's time from `current_screen` to the end of its rendering (the last
 * admin_footer action) as a closing HTML comment, and a REST request's handler time (from
 * before its callbacks to after them) as a response header.
 */

add_action(
	'current_screen',
	static function () {
		$GLOBALS['kbb_screen_t0'] = hrtime( true );
	},
	-1000
);
add_action(
	'admin_footer',
	static function () {
		if ( isset( $GLOBALS['kbb_screen_t0'] ) ) {
			printf( '<!-- kbb-screen-ms %.3f -->', ( hrtime( true ) - $GLOBALS['kbb_screen_t0'] ) / 1e6 );
		}
	},
	PHP_INT_MAX
);
add_filter(
	'rest_request_before_callbacks',
	static function ( $response ) {
		$GLOBALS['kbb_rest_t0'] = hrtime( true );
		return $response;
	},
	-1000
);
add_filter(
	'rest_request_after_callbacks',
	static function ( $response ) {
		$GLOBALS['kbb_rest_ms'] = ( hrtime( true ) - ( $GLOBALS['kbb_rest_t0'] ?? hrtime( true ) ) ) / 1e6;
		return $response;
	},
	PHP_INT_MAX
);
add_filter(
	'rest_post_dispatch',
	static function ( $response ) {
		if ( $response instanceof WP_REST_Response && isset( $GLOBALS['kbb_rest_ms'] ) ) {
			$response->header( 'X-KBB-Handler-Ms', sprintf( '%.3f', $GLOBALS['kbb_rest_ms'] ) );
		}
		return $response;
	},
	PHP_INT_MAX
);
