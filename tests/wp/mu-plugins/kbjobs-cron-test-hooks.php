<?php
/**
 * WP-Cron test hooks (tests/wp/cases/CronRunnerTest.php copies this file into the test
 * site's mu-plugins and removes it afterwards). Every callback appends a line to the
 * file named by the kbjobs_test_cron_log option, so a test counts runs from outside the
 * history the engine keeps:
 *
 * - kbjobs_test_cron_ok( $label ): logs, makes a query and an HTTP request (blocked:
 *   no internet), prints 10 KiB;
 * - kbjobs_test_cron_throws: throws a RuntimeException;
 * - kbjobs_test_cron_exits: calls exit();
 * - kbjobs_test_cron_fatal: a fatal error (E_USER_ERROR);
 * - kbjobs_test_cron_slow( $seconds ): sleeps;
 * - kbjobs_test_cron_again( $label ): schedules itself again in ten minutes, with the
 *   same arguments (core unschedules a single event before running it, so this is no
 *   duplicate).
 */

defined( 'ABSPATH' ) || exit;

// The plugin's every-minute alerts check stays out of these runs (CronRunnerTest counts
// the events a runner ran, and unschedules the check while it runs).
add_action(
	'init',
	static function () {
		remove_action( 'init', array( 'KBJobs_Alerts', 'schedule' ) );
	},
	0
);

/**
 * Appends a line to the test's log file.
 *
 * @param string $line What ran.
 */
function kbjobs_test_cron_log( string $line ): void {
	$file = (string) get_option( 'kbjobs_test_cron_log', '' );
	if ( '' !== $file ) {
		file_put_contents( $file, $line . ' ' . getmypid() . ' ' . ( wp_doing_cron() ? 'cron' : 'nocron' ) . "\n", FILE_APPEND | LOCK_EX );
	}
}

add_action(
	'kbjobs_test_cron_ok',
	static function ( $label = '' ) {
		global $wpdb;
		kbjobs_test_cron_log( 'ok:' . $label );
		$wpdb->get_var( 'SELECT 1' );
		wp_remote_get( 'http://example.invalid/' );
		echo str_repeat( 'x', 10240 );
	}
);
add_action(
	'kbjobs_test_cron_throws',
	static function () {
		kbjobs_test_cron_log( 'throws' );
		throw new RuntimeException( 'the test event failed' );
	}
);
add_action(
	'kbjobs_test_cron_exits',
	static function () {
		kbjobs_test_cron_log( 'exits' );
		exit( 0 );
	}
);
add_action(
	'kbjobs_test_cron_fatal',
	static function () {
		kbjobs_test_cron_log( 'fatal' );
		trigger_error( 'the test event stopped PHP', E_USER_ERROR ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_trigger_error
	}
);
add_action(
	'kbjobs_test_cron_slow',
	static function ( $seconds = 1 ) {
		kbjobs_test_cron_log( 'slow:start' );
		sleep( (int) $seconds );
		kbjobs_test_cron_log( 'slow:end' );
	}
);
add_action(
	'kbjobs_test_cron_again',
	static function ( $label = '' ) {
		$ok = wp_schedule_single_event( time() + 600, 'kbjobs_test_cron_again', array( $label ) );
		kbjobs_test_cron_log( 'again:' . ( $ok ? 'scheduled' : 'refused' ) );
	}
);
