<?php
/**
 * The plugin in a PHP without the extension: WordPress still runs, the plugin does
 * nothing but explain, in an admin notice, what is missing, and its developer API
 * answers with a WP_Error that says so. (The browser suite checks
 * the same on real admin pages.)
 */

namespace KBJobs\Tests;

final class NoExtensionTest extends TestCase {

	protected function tearDown(): void {
		// A probe without the extension writes WP-Cron events back to core's option (the
		// fall-back): this process takes them in again, as the site's next request does.
		wp_cache_flush();
		\KBJobs_Cron::init();
	}

	/**
	 * Runs probes/no-extension.php in a PHP that does not load kbjobs.so (the same binary
	 * without the -d extension) and returns its report.
	 *
	 * @param string ...$args The probe's arguments.
	 * @return array<string,mixed>
	 */
	private function probe( string ...$args ): array {
		list( $code, $out, $err ) = self::run_command(
			array_merge(
				array(
					PHP_BINARY,
					'-d',
					'auto_prepend_file=' . getenv( 'KBJOBS_ROOT' ) . '/tools/php/prepend.php',
					__DIR__ . '/../probes/no-extension.php',
				),
				$args
			)
		);
		$this->assertSame( 0, $code, $out . $err );
		$probe = json_decode( $out, true );
		$this->assertIsArray( $probe, $out . $err );
		return $probe;
	}

	public function test_without_the_extension_the_plugin_only_shows_a_notice(): void {
		$probe = $this->probe();

		$this->assertFalse( $probe['extension_loaded'] );
		$this->assertTrue( $probe['plugin_active'] );
		$this->assertFalse( $probe['admin_class_loaded'], 'nothing beyond the notice is loaded' );
		// the post types stay registered, so imported articles never 404
		$this->assertTrue( $probe['article_type_registered'] );
		$this->assertTrue( $probe['import_job_type_registered'] );
		$this->assertStringContainsString( 'kbjobs-requirements-notice', $probe['notice'] );
		$this->assertStringContainsString( 'the kbjobs PHP extension is not loaded', $probe['notice'] );
		$this->assertStringContainsString( 'extension=kbjobs.so', $probe['notice'] );
		$this->assertSame( '', $probe['notice_for_subscriber'] );
		// The developer API is there, and says what is missing.
		foreach ( array( 'enqueue', 'enqueue_many', 'register_type' ) as $call ) {
			$this->assertSame( 'kbjobs_unavailable', $probe[ $call ]['code'] ?? null, $call );
			$this->assertStringContainsString( 'the kbjobs PHP extension is not loaded', $probe[ $call ]['message'] );
		}
	}

	public function test_deactivating_without_the_extension_unschedules_the_tick(): void {
		// With WP-Cron on kbjobs the tick is not scheduled by the plugin: scheduled here, it
		// lives in the engine's table, and the PHP without the extension first writes it
		// back to core's option (the fall-back), then deactivating unschedules it there.
		// (The probe of the test before wrote the events back already: in again first.)
		wp_cache_flush();
		\KBJobs_Cron::init();
		$this->assertSame( 'kbjobs', \KBJobs_Cron::state() );
		wp_schedule_event( time() + 60, \KBJobs_Runner::SCHEDULE, \KBJobs_Runner::TICK );
		$this->assertNotFalse( wp_next_scheduled( \KBJobs_Runner::TICK ) );
		try {
			$probe = $this->probe( 'deactivate' );
			$this->assertFalse( $probe['extension_loaded'] );
			// Registered before the requirements gate, which returns early in this PHP.
			$this->assertTrue( $probe['deactivation_hooked'] );
			$this->assertTrue( $probe['tick_before'] );
			$this->assertFalse( $probe['active_after_deactivation'] );
			$this->assertFalse( $probe['tick_after_deactivation'], 'deactivation unscheduled kbjobs_tick' );
			$this->assertTrue( $probe['reactivated'], $probe['activation_error'] );
		} finally {
			// This process cached the options the probe changed.
			wp_cache_flush();
			if ( ! is_plugin_active( 'kb-jobs/kb-jobs.php' ) ) {
				activate_plugin( 'kb-jobs/kb-jobs.php' );
			}
			\KBJobs_Cron::init(); // the events back in the engine, as at the next request
			\KBJobs_Runner::schedule();
		}
		$this->assertTrue( is_plugin_active( 'kb-jobs/kb-jobs.php' ) );
		$this->assertTrue( \KBJobs_Cron::active() );
		$this->assertFalse( wp_next_scheduled( \KBJobs_Runner::TICK ), 'no tick with WP-Cron on kbjobs' );
	}
}
