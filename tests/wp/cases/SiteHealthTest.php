<?php
/**
 * KBJobs_Site_Health: each test fails on its fixture (no extension, a schema set back, no
 * runner and no tick, a directory that cannot be made, a data directory the test site's
 * php -S serves, a disk threshold above the free space) and passes when healthy; Debug
 * Info carries no secret.
 */

namespace KBJobs\Tests;

final class SiteHealthTest extends TestCase {

	/** @var string[] Directories to remove after the test. */
	private $dirs = array();

	protected function tearDown(): void {
		foreach ( $this->dirs as $dir ) {
			self::run_command( array( 'rm', '-rf', $dir ) );
		}
		delete_option( 'kbjobs_alert_webhook_secret' );
		delete_option( 'kbjobs_alert_webhook_url' );
	}

	public function test_the_tests_are_registered(): void {
		$tests = apply_filters(
			'site_status_tests',
			array(
				'direct' => array(),
				'async'  => array(),
			)
		);
		foreach ( array( 'kbjobs_extension', 'kbjobs_schema', 'kbjobs_runners', 'kbjobs_data_dir', 'kbjobs_disk' ) as $id ) {
			$this->assertArrayHasKey( $id, $tests['direct'] );
			$this->assertIsCallable( $tests['direct'][ $id ]['test'] );
		}
		$async = $tests['async']['kbjobs_data_dir_private'];
		$this->assertTrue( $async['has_rest'] );
		$this->assertStringContainsString( 'kbjobs/v1/site-health/data-dir-private', $async['test'] );
		$this->assertIsCallable( $async['async_direct_test'] );
	}

	public function test_extension_passes_when_loaded_and_is_critical_without_it(): void {
		$this->assertSame( 'good', \KBJobs_Site_Health::test_extension()['status'] );

		// The plugin in a PHP without kbjobs.so (NoExtensionTest's probe).
		list( $code, $out, $err ) = self::run_command(
			array( PHP_BINARY, '-d', 'auto_prepend_file=' . getenv( 'KBJOBS_ROOT' ) . '/tools/php/prepend.php', __DIR__ . '/../probes/no-extension.php' )
		);
		// Without the extension the plugin writes WP-Cron's events back to core's option
		// (the fall-back): this process takes them in again, as the site's next request does.
		wp_cache_flush();
		\KBJobs_Cron::init();
		$this->assertSame( 0, $code, $out . $err );
		$probe = json_decode( $out, true );
		$this->assertFalse( $probe['extension_loaded'] );
		$this->assertSame( array( 'kbjobs_extension' ), array_values( preg_grep( '/^kbjobs_/', $probe['site_health_tests'] ) ), 'only the extension test without the extension' );
		$this->assertSame( 'critical', $probe['site_health_extension']['status'] );
		$this->assertStringContainsString( 'the kbjobs PHP extension is not loaded', $probe['site_health_extension']['description'] );
	}

	public function test_schema_passes_when_current_and_is_critical_when_set_back(): void {
		global $wpdb;
		$engine = \KBJobs_Engine::get();
		$info   = $engine->schemaInfo();
		$this->assertSame( 'good', \KBJobs_Site_Health::test_schema()['status'] );

		$table = $wpdb->prefix . 'kbjobs_meta';
		$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET value = %s WHERE name = 'schema_version'", (string) ( $info['code'] - 1 ) ) );
		try {
			$result = \KBJobs_Site_Health::test_schema();
		} finally {
			$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET value = %s WHERE name = 'schema_version'", (string) $info['version'] ) );
		}
		$this->assertSame( 'critical', $result['status'] );
		$this->assertStringContainsString( sprintf( 'schema version %d and the extension needs %d', $info['code'] - 1, $info['code'] ), $result['description'] );
		// 13 is before the split (14), which moves rows: what to do is said
		$this->assertStringContainsString( 'run `wp kb migrate`', $result['description'] );
		$this->assertSame( $info, $engine->schemaInfo(), 'restored' );
	}

	public function test_runners_pass_on_a_recent_tick_and_fail_when_nothing_runs(): void {
		$this->assertSame( 0, $this->active_runners(), 'no runner is alive during the test' );
		$tick = get_option( \KBJobs_Data_Status::LAST_TICK_OPTION );
		try {
			update_option( \KBJobs_Data_Status::LAST_TICK_OPTION, time() );
			$fresh = \KBJobs_Site_Health::test_runners();
			// A day later, with no runner and no tick since (nor any WP-Cron run).
			$stale = \KBJobs_Site_Health::test_runners( time() + DAY_IN_SECONDS );
		} finally {
			update_option( \KBJobs_Data_Status::LAST_TICK_OPTION, $tick );
		}
		$this->assertSame( 'good', $fresh['status'] );
		$this->assertStringContainsString( 'WP-Cron ran', $fresh['description'] );
		// The test site sets DISABLE_WP_CRON: nothing will run the jobs.
		$this->assertSame( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ? 'critical' : 'recommended', $stale['status'], wp_json_encode( $stale ) );
		$this->assertStringContainsString( 'No runner is alive and WP-Cron last ran 1 day ago', $stale['description'] );
	}

	public function test_data_dir_writable_passes_and_fails_on_a_directory_that_cannot_be_made(): void {
		$this->assertSame( 'good', \KBJobs_Site_Health::test_data_dir_writable()['status'] );
		$bad = \KBJobs_Site_Health::test_data_dir_writable( '/dev/null/kbjobs-data' );
		$this->assertSame( 'critical', $bad['status'] );
		$this->assertStringContainsString( '/dev/null/kbjobs-data does not exist or PHP cannot write in it', $bad['description'] );
	}

	public function test_data_dir_private_passes_outside_the_web_root_and_is_critical_when_served(): void {
		$this->assertSame( '', \KBJobs_Site_Health::url_of( \KBJobs_Settings::data_dir() ), 'the test data dir is outside WordPress' );
		$this->assertSame( 'good', \KBJobs_Site_Health::test_data_dir_private()['status'] );

		// A data directory under uploads, which the test site's php -S serves as it is
		// (php -S, like nginx, ignores .htaccess).
		$uploads = wp_upload_dir( null, false );
		$dir     = $uploads['basedir'] . '/kbjobs-' . wp_generate_password( 12, false );
		$this->dirs[] = $dir;
		\KBJobs_Settings::ensure_data_dir( $dir );
		$this->assertFileExists( $dir . '/.htaccess' );
		$this->assertSame( $uploads['baseurl'] . '/' . basename( $dir ), \KBJobs_Site_Health::url_of( $dir ) );
		$served = \KBJobs_Site_Health::test_data_dir_private( $dir );
		$this->assertSame( 'critical', $served['status'], wp_json_encode( $served ) );
		$this->assertStringContainsString( 'deny all', $served['description'] );
		$this->assertSame( array( '.', '..', '.htaccess', '.kbjobs-data', 'index.php' ), scandir( $dir ), 'the canary is removed' );

		// Over REST, as Site Health calls it: Site Health's viewers only.
		wp_set_current_user( 0 );
		$this->assertSame( 401, rest_do_request( new \WP_REST_Request( 'GET', '/kbjobs/v1/site-health/data-dir-private' ) )->get_status() );
		wp_set_current_user( 1 );
		try {
			$r = rest_do_request( new \WP_REST_Request( 'GET', '/kbjobs/v1/site-health/data-dir-private' ) );
		} finally {
			wp_set_current_user( 0 );
		}
		$this->assertSame( 200, $r->get_status() );
		$this->assertSame( 'kbjobs_data_dir_private', $r->get_data()['test'] );
		$this->assertSame( 'good', $r->get_data()['status'] );
	}

	public function test_disk_space_follows_the_thresholds(): void {
		$this->assertSame( 'good', \KBJobs_Site_Health::test_disk_space()['status'] );
		$free   = (int) disk_free_space( \KBJobs_Settings::data_dir() );
		$filter = static function () use ( &$limits ) {
			return $limits;
		};
		add_filter( 'kbjobs_site_health_disk_thresholds', $filter );
		try {
			$limits = array(
				'recommended' => $free * 2,
				'critical'    => 1,
			);
			$this->assertSame( 'recommended', \KBJobs_Site_Health::test_disk_space()['status'] );
			$limits = array(
				'recommended' => $free * 2,
				'critical'    => $free * 2,
			);
			$this->assertSame( 'critical', \KBJobs_Site_Health::test_disk_space()['status'] );
		} finally {
			remove_filter( 'kbjobs_site_health_disk_thresholds', $filter );
		}
	}

	public function test_debug_info_has_versions_and_settings_without_secrets(): void {
		update_option( 'kbjobs_alert_webhook_secret', 'hush-hush-123' );
		update_option( 'kbjobs_alert_webhook_url', 'https://hooks.example.com/T0KEN-456/in' );
		$info = apply_filters( 'debug_information', array() );
		$this->assertArrayHasKey( 'kb-jobs', $info );
		$fields = $info['kb-jobs']['fields'];
		$this->assertSame( phpversion( 'kbjobs' ), $fields['version_kbjobs']['value'] );
		$this->assertArrayHasKey( 'version_libcurl', $fields );
		$this->assertMatchesRegularExpression( '/^\d+ \(code \d+\)$/', $fields['schema']['value'] );
		$this->assertStringContainsString( \KBJobs_Settings::data_dir(), $fields['data_dir']['value'] );
		$this->assertSame( 'set', $fields['setting_alert_webhook_secret']['value'] );
		$this->assertSame( 'hooks.example.com', $fields['setting_alert_webhook_url']['value'] );
		$this->assertSame( '127.0.0.1 (KBJOBS_FETCH_ALLOW)', $fields['setting_fetch_allow']['value'] );
		$json = wp_json_encode( $info );
		$this->assertStringNotContainsString( 'hush-hush', $json );
		$this->assertStringNotContainsString( 'T0KEN', $json );
	}

	private function active_runners(): int {
		return count(
			array_filter(
				\KBJobs_Data_Runners::all( 1 ),
				static function ( $r ) {
					return 'active' === $r['state'];
				}
			)
		);
	}
}
