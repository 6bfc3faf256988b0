<?php
/**
 * `wp kb work`'s pause and wake-up flags through the real WP-CLI: bad values are refused
 * with the flag named; a runner that pauses a minute between looks starts a job
 * submitted from WordPress (this process, same host and site) when woken, and with
 * --no-wake leaves it queued until its next look.
 *
 * Each runner is started, seen alive in the runners' list, then given two seconds for
 * its first look (which finds nothing) before the job is submitted: a job submitted
 * before that look would be claimed by it, woken or not.
 */

namespace KBJobs\Tests;

final class WorkWakeTest extends TestCase {

	const QUEUE = 'kbjobs-wake-cli';

	/** @var resource|null */
	private $proc = null;

	protected function tearDown(): void {
		if ( is_resource( $this->proc ) ) {
			proc_terminate( $this->proc );
			proc_close( $this->proc );
		}
		$this->proc = null;
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s", self::QUEUE ) ) );
		parent::tearDown();
	}

	public function test_bad_pause_values_are_refused_with_the_flag_named(): void {
		list( $code, , $err ) = self::wp( 'kb', 'work', '--idle-ms=soon', '--max-seconds=1' );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( '--idle-ms must be a whole number of milliseconds.', $err );

		list( $code, , $err ) = self::wp( 'kb', 'work', '--idle-min-ms=-5', '--max-seconds=1' );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( '--idle-min-ms must be a whole number of milliseconds.', $err );

		list( $code, , $err ) = self::wp( 'kb', 'work', '--idle-ms=4000000', '--max-seconds=1' );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( 'idle_ms', $err );
	}

	public function test_a_submit_wakes_a_runner_that_pauses_a_minute(): void {
		$report = $this->run_with_a_submit( array( '--max-jobs=1', '--max-seconds=90' ) );
		$this->assertSame( 1, $report['claimed'] );
		$this->assertSame( 1, $report['completed'] );
		$this->assertGreaterThanOrEqual( 1, $report['wakeups'], 'the job was found by a wake-up, not by a look a minute later' );
		$this->assertSame( 'jobs', $report['stop_reason'] );
	}

	public function test_with_no_wake_the_job_waits_for_the_next_look(): void {
		$report = $this->run_with_a_submit( array( '--no-wake', '--max-seconds=5' ) );
		$this->assertSame( 0, $report['claimed'], 'the next look is a minute away' );
		$this->assertSame( 0, $report['wakeups'] );
		$this->assertSame( 1, (int) \KBJobs_Engine::get()->queue( self::QUEUE, true )['queued'] );
	}

	/**
	 * Starts a runner on the test's queue that pauses 60 s between looks, submits one
	 * diag.echo job once it idles, and returns its report when it exits.
	 *
	 * @param string[] $extra More flags.
	 * @return array<string,mixed>
	 */
	private function run_with_a_submit( array $extra ): array {
		$out        = tempnam( sys_get_temp_dir(), 'kbjobs-wake-' );
		$before     = array_column( \KBJobs_Engine::get()->tracker()->runners( 1 ), 'id' );
		$this->proc = proc_open(
			array_merge(
				array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work', '--queues=' . self::QUEUE, '--no-cron', '--idle-min-ms=60000', '--idle-ms=60000', '--format=json' ),
				$extra
			),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $out, 'w' ), 2 => array( 'file', $out, 'a' ) ),
			$pipes
		);
		$this->assertIsResource( $this->proc );
		$deadline = microtime( true ) + 60;
		do {
			$this->assertLessThan( $deadline, microtime( true ), 'the runner did not start: ' . file_get_contents( $out ) );
			usleep( 50000 );
			$live = array_filter(
				\KBJobs_Engine::get()->tracker()->runners( 1 ),
				fn( $r ) => 'active' === $r['state'] && ! in_array( $r['id'], $before, true )
			);
		} while ( ! $live );
		sleep( 2 ); // its first look, which finds nothing
		\KBJobs_Engine::get()->submit( 'diag.echo', array( 'message' => 'wake' ), array( 'queue' => self::QUEUE ) );

		$deadline = microtime( true ) + 90;
		while ( ( $status = proc_get_status( $this->proc ) )['running'] ) {
			$this->assertLessThan( $deadline, microtime( true ), 'the runner did not stop: ' . file_get_contents( $out ) );
			usleep( 50000 );
		}
		proc_close( $this->proc ); // its exit code was taken by proc_get_status
		$this->proc = null;
		$this->assertSame( 0, $status['exitcode'], file_get_contents( $out ) );
		$text       = (string) file_get_contents( $out );
		unlink( $out );
		$at = strrpos( $text, '{"runner"' );
		$this->assertNotFalse( $at, $text );
		$report = json_decode( substr( $text, $at ), true );
		$this->assertIsArray( $report, $text );
		return $report;
	}
}
