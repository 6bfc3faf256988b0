<?php
/**
 * The daily cleanup: it measures the data directory by folder (shown on the Overview with
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
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'cleanup'" );
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
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'cleanup'" );
	}

	public function test_wp_kb_cleanup_dry_run_counts_and_changes_nothing_then_the_real_run_removes_it(): void {
		global $wpdb;
		$engine = \KBJobs_Engine::get();
		$id     = $engine->submit( 'diag.echo', array(), array( 'queue' => 'maint-test' ) );
		$engine->run( array( 'queues' => array( 'maint-test' ), 'until_empty' => true ) );
		$engine->log( $id, 'info', 'old news' );
		$log = \KBJobs_Settings::data_dir() . '/logs/' . $id . '.log';
		$this->assertFileExists( $log );
		$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->prefix}kbjobs_jobs SET finished_at = NOW(6) - INTERVAL 400 DAY WHERE public_id = %s", $id ) );

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
