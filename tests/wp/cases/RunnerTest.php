<?php
/**
 * `wp kb work` as a long-lived runner: wp_die() inside a job ends that attempt with
 * WordPress's message, not the runner; `--until-empty` waits for a job that retries after
 * a short backoff instead of leaving it behind.
 *
 * The job types come from tests/wp/mu-plugins/kbjobs-test-hooks.php, copied into the site
 * for this class only.
 */

namespace KBJobs\Tests;

final class RunnerTest extends TestCase {

	public static function setUpBeforeClass(): void {
		self::install_test_hooks();
	}

	public static function tearDownAfterClass(): void {
		self::remove_test_hooks();
	}

	protected function setUp(): void {
		global $wpdb;
		\KBJobs_Engine::get();
		$wpdb->query( kbjobs_test_jobs_sql( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = 'default'" ) );
	}

	public function test_wp_die_in_a_job_fails_its_attempt_with_wordpress_s_message_and_the_runner_goes_on(): void {
		$engine = \KBJobs_Engine::get();
		$dies   = $engine->submit( 'kbjobs_test.dies', array(), array( 'queue' => 'default' ) );
		$after  = $engine->submit( 'kbjobs_test.flaky', array(), array( 'queue' => 'default', 'delay' => 0.5 ) );
		list( $code, $out, $err ) = self::wp( 'kb', 'work', '--queues=default', '--until-empty', '--format=json' );
		$this->assertSame( 0, $code, $out . $err );
		$report = json_decode( $out, true );
		$this->assertSame( 1, $report['failed'], $out );
		$this->assertSame( 1, $report['completed'], 'the runner went on after the wp_die(): ' . $out );
		$job = $engine->get( $dies );
		$this->assertSame( 'failed', $job->status );
		$this->assertSame( 'RuntimeException: WordPress stopped (wp_die): The kbjobs test handler gave up.', $job->error );
		$this->assertSame( 'completed', $engine->get( $after )->status );
	}

	public function test_until_empty_waits_for_a_job_retrying_after_a_short_backoff(): void {
		$engine = \KBJobs_Engine::get();
		$id     = $engine->submit( 'kbjobs_test.flaky', array(), array( 'queue' => 'default' ) );
		list( $code, $out, $err ) = self::wp( 'kb', 'work', '--queues=default', '--until-empty', '--format=json' );
		$this->assertSame( 0, $code, $out . $err );
		$report = json_decode( $out, true );
		$this->assertSame( 1, $report['retried'], $out );
		$this->assertSame( 1, $report['completed'], $out );
		$job = $engine->get( $id );
		$this->assertSame( 'completed', $job->status );
		$this->assertSame( array( 'attempt' => 2 ), $job->result );
		$this->assertNull( $job->error, 'the first attempt\'s error stays with that attempt' );
		$this->assertSame( 'RuntimeException: the first attempt fails', $engine->attempts( $id )[0]['error'] );

		// Told to wait only half a second, the runner leaves it for later.
		$id = $engine->submit( 'kbjobs_test.flaky', array(), array( 'queue' => 'default' ) );
		list( $code, $out ) = self::wp( 'kb', 'work', '--queues=default', '--until-empty', '--due-within=0.5', '--format=json' );
		$this->assertSame( 0, $code );
		$this->assertSame( 0, json_decode( $out, true )['completed'], $out );
		$this->assertSame( 'queued', $engine->get( $id )->status );
	}
}
