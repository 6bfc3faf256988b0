<?php
/**
 * WP-Cron on kbjobs, run for real: `wp kb work` runners and the wp-cron.php loopback
 * run due events once per due time, with DOING_CRON set, and record every run (outcome,
 * trigger, queries, HTTP requests, output, memory); a Throwable, exit() and a fatal error
 * fail the run and a recurring event is scheduled again anyway; a runner killed with
 * SIGKILL mid-event has the event run again once its lease expires, its next occurrence
 * scheduled once; wp-cron.php requested while a runner starts runs nothing twice; the
 * operator's commands (`wp kb cron ...`) and routes (/kbjobs/v1/cron/...).
 *
 * The event callbacks come from tests/wp/mu-plugins/kbjobs-cron-test-hooks.php; each
 * appends a line to a log file, so runs are counted outside the engine's own history.
 */

namespace KBJobs\Tests;

final class CronRunnerTest extends TestCase {

	const HOOKS = array( 'kbjobs_test_cron_ok', 'kbjobs_test_cron_throws', 'kbjobs_test_cron_exits', 'kbjobs_test_cron_fatal', 'kbjobs_test_cron_slow', 'kbjobs_test_cron_again' );

	/** @var string */
	private static $log;

	/** @var resource[] */
	private $procs = array();

	public static function setUpBeforeClass(): void {
		copy( dirname( __DIR__ ) . '/mu-plugins/kbjobs-cron-test-hooks.php', self::hooks_path() );
		require_once self::hooks_path();
		self::$log = tempnam( sys_get_temp_dir(), 'kbjobs-cron-log-' );
		update_option( 'kbjobs_test_cron_log', self::$log, false );
		\KBJobs_Engine::get();
		self::assertTrue( \KBJobs_Cron::active(), 'WP-Cron runs on kbjobs by default' );
		wp_clear_scheduled_hook( \KBJobs_Alerts::HOOK ); // the runners here count every event they run
	}

	public static function tearDownAfterClass(): void {
		self::clean();
		\KBJobs_Alerts::schedule();
		@unlink( self::hooks_path() );
		@unlink( self::$log );
		delete_option( 'kbjobs_test_cron_log' );
	}

	protected function setUp(): void {
		self::clean();
	}

	protected function tearDown(): void {
		foreach ( $this->procs as $proc ) {
			$status = proc_get_status( $proc );
			if ( $status['running'] ) {
				posix_kill( $status['pid'], SIGKILL );
			}
			proc_close( $proc );
		}
		$this->procs = array();
	}

	private static function hooks_path(): string {
		return getenv( 'KBJOBS_WP_DIR' ) . '/wp-content/mu-plugins/kbjobs-cron-test-hooks.php';
	}

	/** No test event is scheduled, none of their runs is kept, the log is empty. */
	private static function clean(): void {
		global $wpdb;
		foreach ( self::HOOKS as $hook ) {
			wp_unschedule_hook( $hook );
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_cron_runs WHERE hook = %s", $hook ) );
		}
		// A single event being run or retried is not visible to core's API.
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_cron_events WHERE hook LIKE 'kbjobs\\_test\\_cron\\_%'" );
		\KBJobs_Cron_Store::invalidate();
		delete_transient( 'doing_cron' );
		// Runners of earlier tests (one killed on purpose) count as alive for a few
		// seconds, and the wp-cron.php loopback leaves events to a live runner.
		$wpdb->query( "UPDATE {$wpdb->prefix}kbjobs_runners SET stopped_at = NOW(6) WHERE stopped_at IS NULL" );
		if ( self::$log ) {
			file_put_contents( self::$log, '' );
		}
	}

	/** @return string[] The lines the callbacks logged, without pids. */
	private static function logged(): array {
		clearstatcache();
		$lines = array_filter( explode( "\n", (string) file_get_contents( self::$log ) ) );
		return array_values(
			array_map(
				static function ( $line ) {
					$parts = explode( ' ', $line );
					return $parts[0] . ' ' . $parts[2];
				},
				$lines
			)
		);
	}

	/** @return array<int,array<string,mixed>> The runs of a hook, newest first. */
	private static function runs( string $hook ): array {
		return \KBJobs_Engine::get()->cronRuns( array( 'hook' => $hook, 'limit' => 100 ) );
	}

	/** @return array<int,array<string,mixed>> The events of a hook. */
	private static function events( string $hook ): array {
		return \KBJobs_Engine::get()->cronEvents( array( 'hook' => $hook ) );
	}

	/** `wp kb work` until nothing is due: [exit code, report, output]. */
	private static function work( string ...$extra ): array {
		list( $code, $out, $err ) = self::wp( 'kb', 'work', '--until-empty', '--due-within=0', '--format=json', ...$extra );
		$at     = strrpos( $out, '{"runner"' );
		$report = false === $at ? null : json_decode( substr( $out, $at ), true );
		\KBJobs_Cron_Store::invalidate();
		return array( $code, $report, $out . $err );
	}

	/** Starts `wp kb work` in the background; returns [proc, pid, output file]. */
	private function runner( array $args, array $env_extra = array() ): array {
		$env = getenv();
		foreach ( $env_extra as $k => $v ) {
			$env[ $k ] = $v;
		}
		$out  = tempnam( sys_get_temp_dir(), 'kbjobs-runner-' );
		$proc = proc_open(
			array_merge( array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work' ), $args ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $out, 'w' ), 2 => array( 'file', $out, 'a' ) ),
			$pipes,
			null,
			$env
		);
		$this->assertIsResource( $proc );
		$this->procs[] = $proc;
		return array( $proc, proc_get_status( $proc )['pid'], $out );
	}

	/** Waits until $done() is true (at most $seconds). */
	private static function wait_for( callable $done, float $seconds, string $what ): void {
		$deadline = microtime( true ) + $seconds;
		while ( ! $done() ) {
			if ( microtime( true ) > $deadline ) {
				self::fail( 'timed out waiting for ' . $what );
			}
			usleep( 50000 );
		}
	}

	public function test_a_runner_runs_each_due_event_once_and_records_the_run(): void {
		$now = time();
		$this->assertTrue( wp_schedule_single_event( $now - 5, 'kbjobs_test_cron_ok', array( 'single' ) ) );
		// Three hours late: one run, then the next hour; no catch-up of the missed runs.
		$this->assertTrue( wp_schedule_event( $now - 3 * HOUR_IN_SECONDS - 5, 'hourly', 'kbjobs_test_cron_ok', array( 'hourly' ) ) );

		list( $code, $report, $out ) = self::work();
		$this->assertSame( 0, $code, $out );
		$this->assertSame( 2, $report['cron_ran'], $out );
		$this->assertSame( 0, $report['cron_failed'], $out );
		$logged = self::logged();
		sort( $logged );
		$this->assertSame( array( 'ok:hourly cron', 'ok:single cron' ), $logged, 'each ran once, with DOING_CRON set' );

		$this->assertFalse( wp_next_scheduled( 'kbjobs_test_cron_ok', array( 'single' ) ), 'a single event is gone once run' );
		$next = wp_next_scheduled( 'kbjobs_test_cron_ok', array( 'hourly' ) );
		$this->assertGreaterThan( time(), $next );
		$this->assertLessThanOrEqual( time() + HOUR_IN_SECONDS, $next );
		$this->assertSame( 0, ( $next - ( $now - 3 * HOUR_IN_SECONDS - 5 ) ) % HOUR_IN_SECONDS, 'the next run keeps the schedule\'s phase (core\'s formula)' );

		$runs = self::runs( 'kbjobs_test_cron_ok' );
		$this->assertCount( 2, $runs );
		foreach ( $runs as $run ) {
			$this->assertSame( 'ok', $run['outcome'] );
			$this->assertSame( 'runner', $run['trigger'] );
			$this->assertSame( 1, $run['attempt'] );
			$this->assertGreaterThanOrEqual( 1, $run['queries'] );
			$this->assertSame( 1, $run['http_requests'] );
			$this->assertSame( str_repeat( 'x', 4096 ), $run['output'], 'the first 4 KiB of the output are kept' );
			$this->assertGreaterThan( 0, $run['memory_peak'] );
			$this->assertGreaterThanOrEqual( $run['started_at'], $run['ended_at'] );
			$this->assertSame( gethostname(), $run['host'] );
		}

		list( $code, $report ) = self::work();
		$this->assertSame( 0, $code );
		$this->assertSame( 0, $report['cron_ran'], 'nothing is due any more' );
	}

	public function test_a_failing_recurring_event_is_recorded_and_scheduled_again(): void {
		wp_schedule_event( time() - 10, 'hourly', 'kbjobs_test_cron_throws' );
		list( $code, $report, $out ) = self::work();
		$this->assertSame( 0, $code, $out );
		$this->assertSame( 1, $report['cron_failed'], $out );
		$runs = self::runs( 'kbjobs_test_cron_throws' );
		$this->assertSame( 'failed', $runs[0]['outcome'] );
		$this->assertSame( 'RuntimeException: the test event failed', $runs[0]['error'] );
		$this->assertGreaterThan( time(), wp_next_scheduled( 'kbjobs_test_cron_throws' ), 'scheduled again after a failure' );
		$events = self::events( 'kbjobs_test_cron_throws' );
		$this->assertCount( 1, $events );
		$this->assertSame( 1, $events[0]['fail_streak'] );

		// Run now from the command line: it fails again, the streak grows, the schedule stays.
		$next = wp_next_scheduled( 'kbjobs_test_cron_throws' );
		list( $code, , $err ) = self::wp( 'kb', 'cron', 'event', 'run', (string) $events[0]['id'] );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( 'the test event failed', $err );
		\KBJobs_Cron_Store::invalidate();
		$this->assertSame( 2, self::events( 'kbjobs_test_cron_throws' )[0]['fail_streak'] );
		$this->assertSame( $next, wp_next_scheduled( 'kbjobs_test_cron_throws' ) );
		$this->assertSame( 'cli', self::runs( 'kbjobs_test_cron_throws' )[0]['trigger'] );
	}

	public function test_exit_and_fatal_errors_in_an_event_fail_its_run(): void {
		wp_schedule_single_event( time() - 10, 'kbjobs_test_cron_exits' );
		list( , , $out ) = self::work();
		$runs = self::runs( 'kbjobs_test_cron_exits' );
		$this->assertCount( 1, $runs, $out );
		$this->assertSame( 'failed', $runs[0]['outcome'] );
		$this->assertSame( 'the event called exit()', $runs[0]['error'] );
		$this->assertFalse( wp_next_scheduled( 'kbjobs_test_cron_exits' ) );

		wp_schedule_single_event( time() - 10, 'kbjobs_test_cron_fatal' );
		list( $code, , $out ) = self::work();
		$this->assertNotSame( 0, $code, 'a fatal error still ends the process' );
		$runs = self::runs( 'kbjobs_test_cron_fatal' );
		$this->assertCount( 1, $runs, $out );
		$this->assertSame( 'failed', $runs[0]['outcome'] );
		$this->assertStringContainsString( 'fatal error', $runs[0]['error'] );
		$this->assertStringContainsString( 'the test event stopped PHP', $runs[0]['error'] );
	}

	public function test_a_single_event_can_schedule_itself_again_while_it_runs(): void {
		wp_schedule_single_event( time() - 10, 'kbjobs_test_cron_again', array( 'x' ) );
		list( $code, , $out ) = self::work();
		$this->assertSame( 0, $code, $out );
		$this->assertSame( array( 'again:scheduled cron' ), self::logged(), 'core unschedules a single event before it runs: so does kbjobs' );
		$events = self::events( 'kbjobs_test_cron_again' );
		$this->assertCount( 1, $events );
		$this->assertGreaterThan( time() + 500, $events[0]['timestamp'] );
	}

	public function test_wp_cron_php_runs_due_events_when_no_runner_is_alive(): void {
		$this->assertFalse( \KBJobs_Engine::get()->cronRunnerAlive() );
		wp_schedule_single_event( time() - 10, 'kbjobs_test_cron_ok', array( 'loopback' ) );
		// A system cron's request (blocking: php -S has no fastcgi_finish_request).
		$body = self::http( '/wp-cron.php' );
		$this->assertSame( '', trim( $body ) );
		$this->assertSame( array( 'ok:loopback cron' ), self::logged() );
		$runs = self::runs( 'kbjobs_test_cron_ok' );
		$this->assertCount( 1, $runs );
		$this->assertSame( 'loopback', $runs[0]['trigger'] );
		$this->assertSame( 'ok', $runs[0]['outcome'] );

		// The loopback as a page view sends it (non-blocking, core's lock and cron_request
		// filter; the test site sets DISABLE_WP_CRON, so page views themselves send none).
		wp_schedule_single_event( time() - 10, 'kbjobs_test_cron_ok', array( 'spawned' ) );
		delete_transient( 'doing_cron' );
		$this->assertTrue( \KBJobs_Cron_Runner::spawn( microtime( true ) ) );
		$this->assertNotFalse( get_transient( 'doing_cron' ), 'core\'s lock is taken' );
		self::wait_for(
			static function () {
				return in_array( 'ok:spawned cron', self::logged(), true );
			},
			30,
			'the spawned loopback to run the event'
		);
	}

	public function test_wp_cron_php_and_a_runner_together_run_each_event_once(): void {
		for ( $i = 0; $i < 40; $i++ ) {
			wp_schedule_single_event( time() - 10, 'kbjobs_test_cron_ok', array( 'e' . $i ) );
		}
		// Loopback requests race a runner that is starting: leases decide who runs what.
		$multi   = curl_multi_init();
		$handles = array();
		for ( $i = 0; $i < 3; $i++ ) {
			$ch = curl_init( getenv( 'KBJOBS_WP_URL' ) . '/wp-cron.php' );
			curl_setopt_array( $ch, array( CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 60 ) );
			curl_multi_add_handle( $multi, $ch );
			$handles[] = $ch;
		}
		list( $proc ) = $this->runner( array( '--until-empty', '--due-within=0', '--format=json' ) );
		do {
			curl_multi_exec( $multi, $running );
			curl_multi_select( $multi, 0.1 );
		} while ( $running > 0 );
		foreach ( $handles as $ch ) {
			curl_multi_remove_handle( $multi, $ch );
			curl_close( $ch );
		}
		curl_multi_close( $multi );
		self::wait_for(
			static function () use ( $proc ) {
				return ! proc_get_status( $proc )['running'];
			},
			60,
			'the runner to finish'
		);
		$logged = self::logged();
		sort( $logged );
		$want = array();
		for ( $i = 0; $i < 40; $i++ ) {
			$want[] = 'ok:e' . $i . ' cron';
		}
		sort( $want );
		$this->assertSame( $want, $logged, 'every event ran exactly once' );
		$this->assertCount( 40, self::runs( 'kbjobs_test_cron_ok' ) );
		$this->assertFalse( wp_next_scheduled( 'kbjobs_test_cron_ok', array( 'e0' ) ) );
	}

	public function test_a_runner_killed_mid_event_has_the_event_run_again_after_its_lease(): void {
		$start = time() - 10;
		wp_schedule_event( $start, 'hourly', 'kbjobs_test_cron_slow', array( 3 ) );
		list( , $pid ) = $this->runner( array( '--until-empty', '--due-within=0' ), array( 'WP_CLI_PHP_ARGS' => '-d kbjobs.lease_seconds=2' ) );
		self::wait_for(
			static function () {
				return in_array( 'slow:start cron', self::logged(), true );
			},
			30,
			'the event to start'
		);
		posix_kill( $pid, SIGKILL );
		\KBJobs_Cron_Store::invalidate();
		$next = wp_next_scheduled( 'kbjobs_test_cron_slow', array( 3 ) );
		$this->assertGreaterThan( time(), $next, 'the next occurrence was scheduled when the run started' );
		sleep( 3 ); // the lease (2 s) runs out

		list( $code, $report, $out ) = self::work();
		$this->assertSame( 0, $code, $out );
		$this->assertSame( 1, $report['cron_ran'], $out );
		$this->assertSame( array( 'slow:start cron', 'slow:start cron', 'slow:end cron' ), self::logged() );
		$runs = self::runs( 'kbjobs_test_cron_slow' );
		$this->assertSame( array( 'ok', 'lost' ), array_column( $runs, 'outcome' ) );
		$this->assertSame( array( 2, 1 ), array_column( $runs, 'attempt' ) );
		$this->assertSame( $runs[0]['due'], $runs[1]['due'], 'the same due time ran again' );
		$events = self::events( 'kbjobs_test_cron_slow' );
		$this->assertCount( 1, $events, 'its next occurrence is scheduled once' );
		$this->assertSame( $next, $events[0]['timestamp'] );
	}

	public function test_operators_list_pause_resume_edit_and_delete_events(): void {
		wp_schedule_event( time() + 600, 'hourly', 'kbjobs_test_cron_ok', array( 'ops' ) );
		$id = self::events( 'kbjobs_test_cron_ok' )[0]['id'];

		list( $code, $out ) = self::wp( 'kb', 'cron', 'event', 'list', '--hook=kbjobs_test_cron_ok', '--format=json' );
		$this->assertSame( 0, $code );
		$list = json_decode( $out, true );
		$this->assertSame( $id, $list[0]['id'] );
		$this->assertSame( array( 'ops' ), $list[0]['args'] );
		$this->assertSame( 'Once Hourly', $list[0]['recurrence'] );

		list( $code ) = self::wp( 'kb', 'cron', 'event', 'pause', (string) $id );
		$this->assertSame( 0, $code );
		\KBJobs_Cron_Store::invalidate();
		$this->assertTrue( self::events( 'kbjobs_test_cron_ok' )[0]['paused'] );
		$this->assertNotFalse( wp_next_scheduled( 'kbjobs_test_cron_ok', array( 'ops' ) ), 'a paused event stays scheduled' );
		list( $code ) = self::wp( 'kb', 'cron', 'event', 'resume', (string) $id );
		$this->assertSame( 0, $code );
		$this->assertFalse( self::events( 'kbjobs_test_cron_ok' )[0]['paused'] );

		wp_set_current_user( 1 );
		$request = new \WP_REST_Request( 'PATCH', '/kbjobs/v1/cron/events/' . $id );
		$request->set_body_params( array( 'schedule' => 'daily', 'next_run' => '2030-01-01T00:00:00Z' ) );
		$response = rest_do_request( $request );
		$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$this->assertSame( 'daily', $response->get_data()['schedule'] );
		$this->assertSame( '2030-01-01T00:00:00Z', $response->get_data()['next_run'] );
		\KBJobs_Cron_Store::invalidate();
		$this->assertSame( strtotime( '2030-01-01T00:00:00Z' ), wp_next_scheduled( 'kbjobs_test_cron_ok', array( 'ops' ) ) );
		$this->assertSame( 'daily', wp_get_schedule( 'kbjobs_test_cron_ok', array( 'ops' ) ) );

		$bad = new \WP_REST_Request( 'PATCH', '/kbjobs/v1/cron/events/' . $id );
		$bad->set_body_params( array( 'schedule' => 'fortnightly' ) );
		$this->assertSame( 400, rest_do_request( $bad )->get_status() );
		$this->assertSame( 404, rest_do_request( new \WP_REST_Request( 'GET', '/kbjobs/v1/cron/events/999999999' ) )->get_status() );

		// Run now: due at once; the next wp-cron.php request (a system cron's, with
		// DISABLE_WP_CRON as on the test site) or runner runs it.
		$run = rest_do_request( new \WP_REST_Request( 'POST', '/kbjobs/v1/cron/events/' . $id . '/run' ) );
		$this->assertSame( 202, $run->get_status(), wp_json_encode( $run->get_data() ) );
		$this->assertLessThanOrEqual( time(), strtotime( $run->get_data()['due_at'] ) );
		self::http( '/wp-cron.php' );
		self::wait_for(
			static function () {
				return in_array( 'ok:ops cron', self::logged(), true );
			},
			30,
			'the run now'
		);
		$this->assertSame( 'run-now', self::runs( 'kbjobs_test_cron_ok' )[0]['trigger'] );
		\KBJobs_Cron_Store::invalidate();
		$this->assertSame( strtotime( '2030-01-01T00:00:00Z' ), wp_next_scheduled( 'kbjobs_test_cron_ok', array( 'ops' ) ), 'a run now leaves the schedule alone' );

		wp_set_current_user( 0 );
		$this->assertSame( 401, rest_do_request( new \WP_REST_Request( 'DELETE', '/kbjobs/v1/cron/events/' . $id ) )->get_status() );
		list( $code ) = self::wp( 'kb', 'cron', 'event', 'delete', (string) $id, '--yes' );
		$this->assertSame( 0, $code );
		\KBJobs_Cron_Store::invalidate();
		$this->assertFalse( wp_next_scheduled( 'kbjobs_test_cron_ok', array( 'ops' ) ) );

		$audit = \KBJobs_Engine::get()->auditLog( array( 'limit' => 10 ) );
		$seen  = array_column( $audit['entries'] ?? $audit, 'action' );
		foreach ( array( 'cron.pause', 'cron.resume', 'cron.edit', 'cron.run', 'cron.delete' ) as $action ) {
			$this->assertContains( $action, $seen );
		}

		list( $code, $out ) = self::wp( 'kb', 'cron', 'schedule', 'list', '--format=json' );
		$this->assertSame( 0, $code );
		$this->assertContains( 'hourly', array_column( json_decode( $out, true ), 'name' ) );
		list( $code, $out ) = self::wp( 'kb', 'cron', 'history', 'kbjobs_test_cron_ok', '--format=json' );
		$this->assertSame( 0, $code );
		$this->assertIsArray( json_decode( $out, true ) );
	}

	public function test_database_and_site_time_zones_leave_run_times_alone(): void {
		$root = array( 'mariadb', '--socket=' . getenv( 'KBJOBS_DB_SOCKET' ), '-uroot' );
		list( $code, , $err ) = self::run_command( array( 'sh', '-c', 'mariadb-tzinfo-to-sql /usr/share/zoneinfo 2>/dev/null | mariadb --socket="$KBJOBS_DB_SOCKET" -uroot mysql' ) );
		$this->assertSame( 0, $code, 'time zone tables: ' . $err );
		list( $code, , $err ) = self::run_command( array_merge( $root, array( '-e', "SET GLOBAL time_zone = 'Europe/Berlin'" ) ) );
		$this->assertSame( 0, $code, $err );
		$site_tz = get_option( 'timezone_string' );
		update_option( 'timezone_string', 'America/New_York' );
		try {
			// Scheduled, read and run by new processes, whose sessions start in Berlin time.
			$start = time() - 30;
			$got   = self::php_eval( 'return array( wp_schedule_event( $args[0], "hourly", "kbjobs_test_cron_ok", array( "tz" ) ), wp_next_scheduled( "kbjobs_test_cron_ok", array( "tz" ) ), $GLOBALS["wpdb"]->get_var( "SELECT @@session.time_zone" ), wp_timezone_string() );', array( $start ) );
			$this->assertSame( array( true, $start, 'Europe/Berlin', 'America/New_York' ), $got );
			list( $code, $report, $out ) = self::work();
			$this->assertSame( 0, $code, $out );
			$this->assertSame( 1, $report['cron_ran'], $out );
			$run = self::runs( 'kbjobs_test_cron_ok' )[0];
			$this->assertSame( $start, $run['due'] );
			$this->assertEqualsWithDelta( time(), $run['started_at'], 60, 'the run\'s start is in UTC' );
			$next = self::php_eval( 'return wp_next_scheduled( "kbjobs_test_cron_ok", array( "tz" ) );', array() );
			$this->assertGreaterThan( time(), $next );
			$this->assertLessThanOrEqual( time() + HOUR_IN_SECONDS, $next );
			$this->assertSame( 0, ( $next - $start ) % HOUR_IN_SECONDS, 'the same next run as in UTC' );
		} finally {
			self::run_command( array_merge( $root, array( '-e', "SET GLOBAL time_zone = '+00:00'" ) ) );
			update_option( 'timezone_string', $site_tz );
		}
	}

	/** Runs PHP in a new process with the site loaded (tests/browser/eval.php); its answer. */
	private static function php_eval( string $code, array $args ) {
		list( $status, $out, $err ) = self::run_command(
			array( PHP_BINARY, '-d', 'extension=' . getenv( 'KBJOBS_ROOT' ) . '/modules/kbjobs.so', '-d', 'auto_prepend_file=' . getenv( 'KBJOBS_ROOT' ) . '/tools/php/prepend.php', getenv( 'KBJOBS_ROOT' ) . '/tests/browser/eval.php', $code, wp_json_encode( $args ) )
		);
		self::assertSame( 0, $status, $out . $err );
		return json_decode( $out, true );
	}

	/** A GET to the test site; returns the body. */
	private static function http( string $path ): string {
		$ch = curl_init( getenv( 'KBJOBS_WP_URL' ) . $path );
		curl_setopt_array( $ch, array( CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 60 ) );
		$body = curl_exec( $ch );
		curl_close( $ch );
		return (string) $body;
	}
}
