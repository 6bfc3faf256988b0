<?php
/**
 * The Jobs screen's reading of its URL (times typed in the site's timezone, the search,
 * a bad value reported rather than failing the page) and the dashboard's rows-per-page
 * options. The screens themselves are driven in a browser: tests/browser/history-screens.test.mjs.
 */

namespace KBJobs\Tests;

final class AdminHistoryTest extends TestCase {

	/**
	 * The site's timezone before a test changed it.
	 *
	 * @var string
	 */
	private $timezone;

	protected function setUp(): void {
		require_once ABSPATH . 'wp-admin/includes/admin.php';
		$this->timezone = (string) get_option( 'timezone_string' );
		update_option( 'timezone_string', 'Europe/Berlin' );
	}

	protected function tearDown(): void {
		update_option( 'timezone_string', $this->timezone );
		$_GET = array();
	}

	public function test_a_time_typed_in_the_list_is_read_in_the_sites_timezone(): void {
		$this->assertSame( '2026-07-01T10:00:00Z', \KBJobs_Admin_Jobs::utc_time( '2026-07-01T12:00' ), 'summer time: UTC+2' );
		$this->assertSame( '2025-12-31T23:00:00Z', \KBJobs_Admin_Jobs::utc_time( '2026-01-01' ), 'a date is its midnight' );
		$this->assertSame( '2026-01-01T11:30:15Z', \KBJobs_Admin_Jobs::utc_time( '2026-01-01 12:30:15' ) );
		$this->assertSame( '2026-12-05T17:40:00Z', \KBJobs_Admin_Jobs::utc_time( '2026-12-05T17:40:00Z' ), 'a time with its zone is kept' );
		$this->assertNull( \KBJobs_Admin_Jobs::utc_time( 'next tuesday-ish' ) );
		$this->assertNull( \KBJobs_Admin_Jobs::utc_time( '2026-13-45' ) );
	}

	public function test_the_lists_url_becomes_the_engines_filter_and_a_bad_value_is_reported(): void {
		$_GET    = array(
			's'             => 'import/',
			'queue'         => 'default',
			'created_after' => '2026-07-01T12:00',
			'type'          => '',
		);
		$request = \KBJobs_Admin_Jobs::request_filter();
		$this->assertSame(
			array(
				'queue'         => 'default',
				'search'        => 'import/',
				'created_after' => '2026-07-01T10:00:00Z',
			),
			$request['filter']
		);
		$this->assertSame( '', $request['error'] );
		$this->assertSame( '2026-07-01T12:00', $request['inputs']['created_after'], 'the form shows what was typed' );

		$_GET    = array(
			'status'         => 'sleeping',
			'created_before' => 'soon',
			'queue'          => 'default',
		);
		$request = \KBJobs_Admin_Jobs::request_filter();
		$this->assertSame( array( 'queue' => 'default' ), $request['filter'], 'what is valid still filters' );
		$this->assertStringContainsString( 'status must be one of', $request['error'] );
	}

	public function test_a_filter_reads_as_words(): void {
		$this->assertSame( 'No filter: every job.', \KBJobs_Admin_Jobs::filter_text( array() ) );
		$this->assertSame(
			'Filter: status: failed; queue: import.',
			\KBJobs_Admin_Jobs::filter_text(
				array(
					'status' => 'failed',
					'queue'  => 'import',
				)
			)
		);
	}

	public function test_rows_per_page_options_of_the_dashboard_are_kept_within_bounds(): void {
		$this->assertSame( 25, \KBJobs_Admin::save_screen_option( false, 'kbjobs_jobs_per_page', '25' ) );
		$this->assertSame( 1000, \KBJobs_Admin::save_screen_option( false, 'kbjobs_failures_per_page', '99999' ) );
		$this->assertSame( 1, \KBJobs_Admin::save_screen_option( false, 'kbjobs_jobs_per_page', '-3' ) );
		$this->assertFalse( \KBJobs_Admin::save_screen_option( false, 'edit_post_per_page', '25' ), 'not ours: left alone' );
	}

	public function test_log_lines_and_durations_read_the_same_on_the_server_as_in_the_script(): void {
		$this->assertSame(
			'2026-12-05T17:40:00.000001Z warning fetch failed {"url":"https://example.com/a?b=1","n":2}',
			\KBJobs_Admin_Job::log_line_text(
				array(
					'ts'    => '2026-12-05T17:40:00.000001Z',
					'level' => 'warning',
					'msg'   => 'fetch failed',
					'ctx'   => array(
						'url' => 'https://example.com/a?b=1',
						'n'   => 2,
					),
				)
			)
		);
		$this->assertSame( '2026-12-05T17:40:00Z info done', \KBJobs_Admin_Job::log_line_text( array( 'ts' => '2026-12-05T17:40:00Z', 'level' => 'info', 'msg' => 'done', 'ctx' => array() ) ) );
		$this->assertSame( '45 s', \KBJobs_Admin_Job::duration_text( 45 ) );
		$this->assertSame( '3 min 20 s', \KBJobs_Admin_Job::duration_text( 200 ) );
		$this->assertSame( '2 h 5 min', \KBJobs_Admin_Job::duration_text( 7500 ) );
	}
}
