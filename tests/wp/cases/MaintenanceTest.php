<?php
/**
 * The hourly metrics rollup, and the daily cleanup: it measures the data directory by folder (shown on the Overview with
 * when it was measured), submits one `cleanup` job with the retentions of the settings
 * (which removes audit entries past 90 days, old finished jobs with their files, ...),
 * and removes unfinished uploads past a day; `wp kb cleanup` runs the same work now.
 */

namespace KBJobs\Tests;

final class MaintenanceTest extends TestCase {

	public function test_measure_sums_files_by_top_level_folder(): void {
		$dir = sys_get_temp_dir() . '/kbjobs-measure-' . getmypid();
		mkdir( $dir . '/logs', 0700, true );
		mkdir( $dir . '/artifacts/ab/cd', 0700, true );
		file_put_contents( $dir . '/logs/a.log', str_repeat( 'x', 100 ) );
		file_put_contents( $dir . '/artifacts/ab/cd/1.json', str_repeat( 'y', 1000 ) );
		file_put_contents( $dir . '/artifacts/ab/2.json', str_repeat( 'z', 10 ) );
		file_put_contents( $dir . '/.kbjobs-data', '' );
		try {
			$usage = \KBJobs_Maintenance::measure( $dir );
		} finally {
			exec( 'rm -rf ' . escapeshellarg( $dir ) );
		}
		$this->assertSame( 1110, $usage['bytes'] );
		$this->assertSame( 4, $usage['files'] );
		ksort( $usage['folders'] );
		$this->assertSame( array( '.' => 0, 'artifacts' => 1010, 'logs' => 100 ), $usage['folders'] );
		$this->assertSame( 0, \KBJobs_Maintenance::measure( '/nonexistent/kbjobs' )['files'] );
	}

	public function test_the_daily_run_keeps_the_size_and_its_cleanup_job_prunes_the_audit_log(): void {
		global $wpdb;
		$engine = \KBJobs_Engine::get();
		delete_option( \KBJobs_Maintenance::USAGE_OPTION );
		$this->assertNull( \KBJobs_Data_Status::summary()['disk']['used'] );
		$this->assertStringContainsString( 'measured by the daily cleanup', \KBJobs_Admin_Overview::disk_text( \KBJobs_Data_Status::summary()['disk'] ) );

		$engine->audit( array( 'user_id' => 0, 'user_login' => 'old', 'source' => 'api', 'action' => 'test.old', 'target' => 'x', 'outcome' => 'ok', 'detail' => null ) );
		$wpdb->query( "UPDATE {$wpdb->prefix}kbjobs_audit SET at = NOW(6) - INTERVAL 91 DAY WHERE action = 'test.old'" );
		$removed = \KBJobs_Maintenance::run();
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{16}$/', $removed['cleanup_job'] );
		$engine->run( array( 'queues' => array( 'default' ), 'until_empty' => true ) );
		$job = $engine->get( $removed['cleanup_job'] );
		$this->assertSame( 'completed', $job->status );
		$this->assertGreaterThanOrEqual( 1, $job->result['audit'] );
		$this->assertSame( array(), $engine->auditLog( array( 'action' => 'test.old' ) )['entries'] );

		$used = \KBJobs_Data_Status::summary()['disk']['used'];
		$this->assertGreaterThan( 0, $used['files'] );
		$this->assertMatchesRegularExpression( '/Z$/', $used['measured_at'] );
		$this->assertStringContainsString( 'kbjobs uses', \KBJobs_Admin_Overview::disk_text( \KBJobs_Data_Status::summary()['disk'] ) );
	}

	public function test_the_daily_hook_submits_one_cleanup_job_with_the_settings_retentions(): void {
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'cleanup'" ) );
		update_option( 'kbjobs_retention_jobs_days', 12 );
		update_option( 'kbjobs_retention_audit_days', 45 );
		try {
			do_action( \KBJobs_Maintenance::HOOK );
			do_action( \KBJobs_Maintenance::HOOK );
		} finally {
			delete_option( 'kbjobs_retention_jobs_days' );
			delete_option( 'kbjobs_retention_audit_days' );
		}
		$rows = $wpdb->get_results( "SELECT public_id, queue, concurrency_key, status, params FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'cleanup'", ARRAY_A );
		$this->assertCount( 1, $rows, 'a cleanup job still waiting is not submitted twice' );
		$this->assertSame( 'default', $rows[0]['queue'] );
		$this->assertSame( 'cleanup', $rows[0]['concurrency_key'] );
		$this->assertSame( 'queued', $rows[0]['status'] );
		$params = json_decode( $rows[0]['params'], true );
		$this->assertSame( 12, $params['jobs_days'] );
		$this->assertSame( 45, $params['audit_days'] );
		$this->assertSame( 7, $params['checkpoint_days'] );
		$this->assertSame( 90, $params['metrics_days'] );
		$wpdb->query( kbjobs_test_jobs_sql( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'cleanup'" ) );
	}

	/**
	 * The hourly hook rolls a complete hour of minute metrics (two runners' own rows, as
	 * runners write them: merged first) into one runner-free hourly row with their sums,
	 * which Engine::stats() then reads for that hour; the hook is scheduled hourly.
	 */
	public function test_the_hourly_hook_rolls_up_complete_hours_of_metrics(): void {
		global $wpdb;
		$metrics = $wpdb->prefix . 'kbjobs_metrics';
		$meta    = $wpdb->prefix . 'kbjobs_meta';
		$hour    = intdiv( time(), 3600 ) * 3600 - 3 * 3600; // ended two hours ago
		$wpdb->query( "DELETE FROM {$metrics} WHERE type = 'test.rollup'" );
		// the rollup starts again from the oldest minute row: this hour is rolled up even
		// when an earlier run has moved past it
		$wpdb->query( "DELETE FROM {$meta} WHERE name = 'metrics_rolled_until'" );
		foreach ( array( 'aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb' ) as $i => $runner ) {
			for ( $m = 0; $m < 60; $m += 10 ) {
				$wpdb->insert(
					$metrics,
					array(
						'res'       => 0,
						't'         => $hour + 60 * $m,
						'queue'     => 'test-rollup',
						'type'      => 'test.rollup',
						'runner'    => $runner,
						'started'   => 2 + $i,
						'completed' => 1 + $i,
						'failed'    => 1,
					)
				);
			}
		}
		try {
			$this->assertNotFalse( wp_next_scheduled( \KBJobs_Maintenance::HOURLY_HOOK ), 'scheduled hourly' );
			do_action( \KBJobs_Maintenance::HOURLY_HOOK );
			$row = $wpdb->get_row( $wpdb->prepare( "SELECT runner, started, completed, failed FROM {$metrics} WHERE res = 3600 AND t = %d AND type = 'test.rollup'", $hour ), ARRAY_A );
			$this->assertSame( array( 'runner' => '', 'started' => '30', 'completed' => '18', 'failed' => '12' ), $row );
			$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$metrics} WHERE type = 'test.rollup' AND runner <> ''" ), 'runners\' rows merged' );
			$this->assertGreaterThanOrEqual( $hour + 3600, (int) $wpdb->get_var( "SELECT value FROM {$meta} WHERE name = 'metrics_rolled_until'" ) );
			$stats = \KBJobs_Engine::get()->stats( array( 'since' => 6 * 3600, 'step' => 3600, 'type' => 'test.rollup' ) );
			$this->assertSame( 18, $stats['totals']['completed'], 'read from the hourly row, once' );
		} finally {
			$wpdb->query( "DELETE FROM {$metrics} WHERE type = 'test.rollup'" );
		}
	}

	public function test_wp_kb_cleanup_dry_run_counts_and_changes_nothing_then_the_real_run_removes_it(): void {
		global $wpdb;
		$engine = \KBJobs_Engine::get();
		$id     = $engine->submit( 'diag.echo', array(), array( 'queue' => 'maint-test' ) );
		$engine->run( array( 'queues' => array( 'maint-test' ), 'until_empty' => true ) );
		$engine->log( $id, 'info', 'old news' );
		$log = \KBJobs_Settings::data_dir() . '/logs/' . $id . '.log';
		$this->assertFileExists( $log );
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "UPDATE {$wpdb->prefix}kbjobs_jobs SET finished_at = NOW(6) - INTERVAL 400 DAY WHERE public_id = %s", $id ) ) );

		list( $code, $out, $err ) = self::wp( 'kb', 'cleanup', '--dry-run', '--format=json' );
		$this->assertSame( 0, $code, $err );
		$dry = json_decode( $out, true );
		$this->assertGreaterThanOrEqual( 1, $dry['jobs'] );
		$this->assertGreaterThanOrEqual( 1, $dry['logs'] );
		$this->assertFalse( $dry['more'] );
		$this->assertSame( 1, $dry['runs'] );
		$this->assertSame( 'completed', $engine->get( $id )->status );
		$this->assertFileExists( $log );

		list( $code, $out, $err ) = self::wp( 'kb', 'cleanup', '--format=json' );
		$this->assertSame( 0, $code, $err );
		$real = json_decode( $out, true );
		$this->assertSame( $dry['jobs'], $real['jobs'] );
		$this->assertSame( $dry['logs'], $real['logs'] );
		$this->assertFileDoesNotExist( $log );
		$this->assertNull( $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$wpdb->prefix}kbjobs_jobs WHERE public_id = %s", $id ) ) );

		list( $code, , $err ) = self::wp( 'kb', 'cleanup', '--batch=0' );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( '--batch must be between 1 and 10000', $err );
	}
}
