<?php
/**
 * The daily cleanup: it measures the data directory by folder (shown on the Overview with
 * when it was measured), removes audit entries past 90 days and unfinished uploads past a
 * day.
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

	public function test_the_daily_run_keeps_the_size_for_the_overview_and_prunes_the_audit_log(): void {
		global $wpdb;
		\KBJobs_Engine::get();
		delete_option( \KBJobs_Maintenance::USAGE_OPTION );
		$this->assertNull( \KBJobs_Data_Status::summary()['disk']['used'] );
		$this->assertStringContainsString( 'measured by the daily cleanup', \KBJobs_Admin_Overview::disk_text( \KBJobs_Data_Status::summary()['disk'] ) );

		\KBJobs_Engine::get()->audit( array( 'user_id' => 0, 'user_login' => 'old', 'source' => 'api', 'action' => 'test.old', 'target' => 'x', 'outcome' => 'ok', 'detail' => null ) );
		$wpdb->query( "UPDATE {$wpdb->prefix}kbjobs_audit SET at = NOW(6) - INTERVAL 91 DAY WHERE action = 'test.old'" );
		$removed = \KBJobs_Maintenance::run();
		$this->assertGreaterThanOrEqual( 1, $removed['audit'] );
		$this->assertSame( array(), \KBJobs_Engine::get()->auditLog( array( 'action' => 'test.old' ) )['entries'] );

		$used = \KBJobs_Data_Status::summary()['disk']['used'];
		$this->assertGreaterThan( 0, $used['files'] );
		$this->assertMatchesRegularExpression( '/Z$/', $used['measured_at'] );
		$this->assertStringContainsString( 'kbjobs uses', \KBJobs_Admin_Overview::disk_text( \KBJobs_Data_Status::summary()['disk'] ) );
	}
}
