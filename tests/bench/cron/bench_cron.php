<?php
/**
 * bench_cron.php - the WP-Cron benchmark's steps inside the bench instance's WordPress
 * (run by tests/bench/cron/run.sh with the extension loaded):
 *
 *   mode on|off        WP-Cron on kbjobs or on core (the option, then a boot that migrates)
 *   schedule N         N single no-op events (hook kbb_cron_noop, args [i]) due now
 *   remaining          how many kbb_cron_noop events are left (prints a number)
 *   runs               how many kbb_cron_noop runs kbjobs recorded as ok
 *   clear              no kbb_cron_noop event left, no run recorded
 *   page               the hot path of a page view: 50 `if ( ! wp_next_scheduled( h ) )
 *                      wp_schedule_event( ... )` checks of 50 scheduled hooks; prints
 *                      {"ms":…, "queries":…} of the 50 checks alone and
 *                      {"total_ms":…, "total_queries":…} of the whole process (WordPress
 *                      loaded, then the checks): the cost WP-Cron adds to a page view is
 *                      the difference of the totals with WP-Cron on kbjobs and on core
 */
if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}
$kbb_start = hrtime( true );
$kbb_url                = (string) getenv( 'KBJOBS_WP_URL' );
$_SERVER['HTTP_HOST']   = parse_url( $kbb_url, PHP_URL_HOST ) . ':' . parse_url( $kbb_url, PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/';
require rtrim( (string) getenv( 'KBJOBS_WP_DIR' ), '/' ) . '/wp-load.php';

$kbb_step = $argv[1] ?? '';
switch ( $kbb_step ) {
	case 'mode':
		update_option( 'kbjobs_cron_enabled', 'on' === ( $argv[2] ?? '' ) ? '1' : '0' );
		break;
	case 'schedule':
		$kbb_n   = (int) ( $argv[2] ?? 0 );
		$kbb_now = time() - 1;
		if ( ! KBJobs_Cron::active() ) {
			// Core: one write of the whole array (scheduling N events one call at a time
			// would rewrite the option N times; only the drain is measured).
			$kbb_crons = _get_cron_array();
			for ( $i = 0; $i < $kbb_n; $i++ ) {
				$kbb_crons[ $kbb_now - $i ]['kbb_cron_noop'][ md5( serialize( array( $i ) ) ) ] = array(
					'schedule' => false,
					'args'     => array( $i ),
				);
			}
			uksort( $kbb_crons, 'strnatcasecmp' );
			_set_cron_array( $kbb_crons );
			break;
		}
		for ( $i = 0; $i < $kbb_n; $i++ ) {
			// One second apart in the past: no two fall in core's duplicate window with the
			// same args, and all are due.
			if ( true !== wp_schedule_single_event( $kbb_now - $i, 'kbb_cron_noop', array( $i ), true ) ) {
				fwrite( STDERR, "cannot schedule event $i\n" );
				exit( 1 );
			}
		}
		break;
	case 'remaining':
		$kbb_left = 0;
		foreach ( (array) _get_cron_array() as $kbb_hooks ) {
			$kbb_left += isset( $kbb_hooks['kbb_cron_noop'] ) ? count( $kbb_hooks['kbb_cron_noop'] ) : 0;
		}
		echo $kbb_left, "\n";
		break;
	case 'runs':
		global $wpdb;
		echo (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_cron_runs WHERE hook = 'kbb_cron_noop' AND outcome = 'ok'" ), "\n";
		break;
	case 'clear':
		global $wpdb;
		wp_unschedule_hook( 'kbb_cron_noop' );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_cron_runs WHERE hook = 'kbb_cron_noop'" );
		for ( $i = 0; $i < 50; $i++ ) {
			wp_unschedule_hook( 'kbb_page_' . $i );
		}
		break;
	case 'page':
		global $wpdb;
		$kbb_q0 = $wpdb->num_queries;
		$kbb_t0 = hrtime( true );
		for ( $i = 0; $i < 50; $i++ ) {
			if ( ! wp_next_scheduled( 'kbb_page_' . $i ) ) {
				wp_schedule_event( time() + HOUR_IN_SECONDS, 'hourly', 'kbb_page_' . $i );
			}
		}
		echo json_encode(
			array(
				'ms'            => ( hrtime( true ) - $kbb_t0 ) / 1e6,
				'queries'       => $wpdb->num_queries - $kbb_q0,
				'total_ms'      => ( hrtime( true ) - $kbb_start ) / 1e6,
				'total_queries' => $wpdb->num_queries,
			)
		), "\n";
		break;
	default:
		fwrite( STDERR, "usage: bench_cron.php mode on|off | schedule N | remaining | runs | clear | page\n" );
		exit( 2 );
}
