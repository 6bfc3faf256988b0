<?php
/**
 * KBJobs_Settings: the registry (every setting saves, validates, and is overridden by its
 * constant), the Settings screen's sanitizing, the data directory (where, its default
 * name, made with its deny rules and marker, which existing directories it claims), the
 * fetcher's settings, the remove-all-data switch.
 */

namespace KBJobs\Tests;

final class SettingsTest extends TestCase {

	/** @var string A scratch directory, removed after each test. */
	private $tmp;

	protected function setUp(): void {
		require_once ABSPATH . 'wp-admin/includes/template.php';
		$this->tmp = sys_get_temp_dir() . '/kbjobs-settings-' . wp_generate_password( 8, false );
		mkdir( $this->tmp );
	}

	protected function tearDown(): void {
		self::run_command( array( 'rm', '-rf', $this->tmp ) );
		// Every setting back to unset (the test site sets none), kbjobs_cron_enabled
		// included: left off, the next process would move WP-Cron's events out.
		foreach ( \KBJobs_Settings::OPTIONS as $option ) {
			delete_option( $option );
		}
		delete_option( \KBJobs_Settings::DATA_DIR_NAME_OPTION );
		unset( $_POST['option_page'], $_POST[ \KBJobs_Admin_Settings::CLEAR_SECRET ] );
		foreach ( array_intersect( \KBJobs_Settings::OPTIONS, array_keys( get_registered_settings() ) ) as $option ) {
			unregister_setting( \KBJobs_Admin_Settings::GROUP, $option );
		}
		$GLOBALS['wp_settings_errors'] = array();
	}

	/**
	 * For each setting: a valid value and values it refuses.
	 *
	 * @return array<string,array{0:mixed,1:mixed,2:array}>
	 */
	private static function samples(): array {
		$samples = array();
		foreach ( \KBJobs_Settings::KEYS as $key => $spec ) {
			if ( 'int' === $spec['type'] ) {
				$samples[ $key ] = array( (string) $spec['max'], $spec['max'], array( (string) ( $spec['max'] + 1 ), (string) ( $spec['min'] - 1 ), 'ten', '1.5' ) );
			} elseif ( 'bool' === $spec['type'] ) {
				$samples[ $key ] = array( $spec['default'] ? '0' : '1', ! $spec['default'], array( 'maybe' ) );
			}
		}
		$samples['alert_email_to']       = array( ' ops@example.com,dev@example.org ', 'ops@example.com, dev@example.org', array( 'ops@example.com, nobody', "a@example.com\nBcc: x@example.com" ) );
		$samples['alert_webhook_url']    = array( 'https://hooks.example.com/in', 'https://hooks.example.com/in', array( 'javascript:alert(1)', 'ftp://example.com/', 'https://' ) );
		$samples['alert_webhook_secret'] = array( 'sekrit-value', 'sekrit-value', array( str_repeat( 'x', 201 ), "a\x00b" ) );
		$samples['fetch_allow']          = array( '10.0.0.0/8, 192.168.1.20', '10.0.0.0/8, 192.168.1.20', array( 'not an address!' ) );
		$samples['fetch_host_limits']    = array( 'docs.example.com=2, example.org:8443=16', 'docs.example.com=2, example.org:8443=16', array( 'docs.example.com=x', 'example.org=1000' ) );
		return $samples;
	}

	public function test_every_setting_has_its_option_in_the_audited_list(): void {
		$options = array_map( array( \KBJobs_Settings::class, 'option_name' ), array_keys( \KBJobs_Settings::KEYS ) );
		$this->assertEqualsCanonicalizing( $options, \KBJobs_Settings::OPTIONS );
		$this->assertEqualsCanonicalizing( array_keys( \KBJobs_Settings::KEYS ), array_keys( \KBJobs_Admin_Settings::fields() ), 'every setting is on the screen' );
		$this->assertSame( 'kbjobs_cron_enabled', \KBJobs_Settings::option_name( 'cron_enabled' ) );
		$this->assertSame( 'KBJOBS_CRON', \KBJobs_Settings::constant_name( 'cron_enabled' ) );
		$this->assertSame( 'KBJOBS_FETCH_MAX_PER_HOST', \KBJobs_Settings::constant_name( 'fetch_max_per_host' ) );
		$this->expectException( \InvalidArgumentException::class );
		\KBJobs_Settings::get( 'no_such_setting' );
	}

	public function test_defaults_when_nothing_is_set(): void {
		$expected = array(
			'retention_jobs_days'    => 30,
			'retention_metrics_days' => 90,
			'checkpoint_stale_days'  => 7,
			'failure_log_cap'        => 50,
			'alert_email'            => true,
			'alert_email_to'         => '',
			'alert_cooldown_minutes' => 60,
			'alert_failure_rate'     => 50,
			'alert_failure_streak'   => 5,
			'remove_all_data'        => false,
			'fetch_max_per_host'     => 6, // Or FetchSettingsTest's KBJOBS_FETCH_MAX_PER_HOST, 6 too.
		);
		foreach ( $expected as $key => $value ) {
			$this->assertSame( $value, \KBJobs_Settings::get( $key ), $key );
		}
	}

	/**
	 * As options.php saves the form: each option through update_option() with the
	 * screen's sanitize callbacks registered.
	 */
	public function test_each_setting_saves_through_the_screen_and_refuses_bad_values_keeping_the_old(): void {
		\KBJobs_Admin_Settings::register();
		$_POST['option_page'] = \KBJobs_Admin_Settings::GROUP;
		foreach ( self::samples() as $key => list( $given, $expected, $bad ) ) {
			if ( \KBJobs_Settings::forced( $key ) ) {
				// The test site's KBJOBS_FETCH_ALLOW, FetchSettingsTest's fetch constants:
				// the form keeps such an option as it is (see
				// test_a_forced_setting_keeps_its_option_on_save()); the checks are the same.
				$this->assertSame( $expected, \KBJobs_Settings::validate( $key, $given ), $key );
				unset( $_POST['option_page'] );
				foreach ( $bad as $value ) {
					\KBJobs_Admin_Settings::sanitize( $key, $value );
					$this->assertCount( 1, get_settings_errors( \KBJobs_Admin_Settings::GROUP ), "$key refuses " . var_export( $value, true ) );
					$GLOBALS['wp_settings_errors'] = array();
				}
				$_POST['option_page'] = \KBJobs_Admin_Settings::GROUP;
				continue;
			}
			$option = \KBJobs_Settings::option_name( $key );
			update_option( $option, $given );
			$this->assertSame( $expected, \KBJobs_Settings::get( $key ), $key );
			$this->assertSame( array(), get_settings_errors( \KBJobs_Admin_Settings::GROUP ), $key );
			$stored = get_option( $option );
			foreach ( $bad as $value ) {
				update_option( $option, $value );
				$errors = get_settings_errors( \KBJobs_Admin_Settings::GROUP );
				$this->assertCount( 1, $errors, "$key refuses " . var_export( $value, true ) );
				$this->assertSame( $option, $errors[0]['code'] );
				$this->assertStringContainsString( \KBJobs_Admin_Settings::fields()[ $key ][1], html_entity_decode( $errors[0]['message'], ENT_QUOTES ) );
				$this->assertStringEndsWith( 'The previous value was kept.', $errors[0]['message'] );
				$this->assertSame( $stored, get_option( $option ), "$key keeps its value" );
				$GLOBALS['wp_settings_errors'] = array();
			}
		}
	}

	public function test_a_bad_option_written_elsewhere_reads_as_the_default(): void {
		update_option( 'kbjobs_retention_jobs_days', 'lots' );
		$this->assertSame( 30, \KBJobs_Settings::get( 'retention_jobs_days' ) );
		update_option( 'kbjobs_alert_failure_rate', '250' );
		$this->assertSame( 50, \KBJobs_Settings::get( 'alert_failure_rate' ) );
		update_option( 'kbjobs_alert_webhook_url', 'javascript:alert(1)' );
		$this->assertSame( '', \KBJobs_Settings::get( 'alert_webhook_url' ) );
	}

	public function test_the_webhook_secret_is_kept_when_left_empty_removed_on_request_and_never_echoed(): void {
		\KBJobs_Admin_Settings::register();
		$_POST['option_page'] = \KBJobs_Admin_Settings::GROUP;
		$option               = 'kbjobs_alert_webhook_secret';
		update_option( $option, 'first-Secret-42' );
		update_option( $option, '' );
		$this->assertSame( 'first-Secret-42', \KBJobs_Settings::get( 'alert_webhook_secret' ), 'left empty: kept' );

		ob_start();
		\KBJobs_Admin_Settings::render_field( array( 'key' => 'alert_webhook_secret' ) );
		$html = ob_get_clean();
		$this->assertStringNotContainsString( 'first-Secret-42', $html );
		$this->assertStringContainsString( 'Set.', $html );
		$this->assertStringContainsString( 'value=""', $html );

		$entries = \KBJobs_Engine::get()->auditLog(
			array(
				'action' => 'settings.update',
				'limit'  => 5,
			)
		)['entries'];
		$this->assertSame( $option, $entries[0]['target'] );
		$this->assertStringNotContainsString( 'first-Secret', wp_json_encode( $entries ), 'audited as set, never the value' );
		$this->assertSame( 'set', $entries[0]['detail']['after'] );

		$_POST[ \KBJobs_Admin_Settings::CLEAR_SECRET ] = '1';
		update_option( $option, '' );
		$this->assertSame( '', \KBJobs_Settings::get( 'alert_webhook_secret' ) );
	}

	public function test_a_forced_setting_keeps_its_option_on_save(): void {
		// KBJOBS_FETCH_ALLOW is defined by the test site's wp-config.php.
		$this->assertTrue( \KBJobs_Settings::forced( 'fetch_allow' ) );
		update_option( 'kbjobs_fetch_allow', '10.1.2.3' );
		$this->assertSame( '127.0.0.1', \KBJobs_Settings::get( 'fetch_allow' ), 'the constant wins' );
		\KBJobs_Admin_Settings::register();
		$_POST['option_page'] = \KBJobs_Admin_Settings::GROUP;
		update_option( 'kbjobs_fetch_allow', null ); // A disabled field is not sent.
		$this->assertSame( '10.1.2.3', get_option( 'kbjobs_fetch_allow' ) );
		ob_start();
		\KBJobs_Admin_Settings::render_field( array( 'key' => 'fetch_allow' ) );
		$html = ob_get_clean();
		$this->assertMatchesRegularExpression( '/<input[^>]+id="kbjobs_fetch_allow"[^>]+value="127\.0\.0\.1" disabled/', $html );
		$this->assertStringContainsString( 'Set by KBJOBS_FETCH_ALLOW in wp-config.php.', $html );
	}

	/**
	 * Every setting's constant, in a process of its own (constants stay defined).
	 */
	public function test_every_constant_overrides_its_option(): void {
		$constants = array();
		$options   = array();
		$expected  = array();
		foreach ( self::samples() as $key => list( $given, $value ) ) {
			$constants[ \KBJobs_Settings::constant_name( $key ) ] = $given;
			$expected[ $key ] = $value;
			$spec             = \KBJobs_Settings::KEYS[ $key ];
			$options[ $key ]  = 'int' === $spec['type'] ? $spec['min'] : ( 'bool' === $spec['type'] ? ( $spec['default'] ? '1' : '0' ) : '' );
		}
		// The test site's wp-config.php defines KBJOBS_FETCH_ALLOW itself.
		unset( $constants['KBJOBS_FETCH_ALLOW'] );
		$expected['fetch_allow']           = '127.0.0.1';
		// On, as the site is: off would move the site's events back to core's option.
		$constants['KBJOBS_CRON']          = true;
		$constants['KBJOBS_RETENTION_JOBS_DAYS'] = '99999'; // Out of range: brought into it.
		$expected['retention_jobs_days']   = 3650;
		$expected['cron_enabled']          = true;
		$options['cron_enabled']           = '0';
		unset( $options['fetch_allow'] );
		$report = $this->probe( $constants, $options );
		foreach ( $expected as $key => $value ) {
			$this->assertTrue( $report[ $key ]['forced'], $key );
			$this->assertSame( $value, $report[ $key ]['value'], $key );
			$this->assertTrue( $report[ $key ]['kept_on_save'], "$key: saving the form keeps the option" );
			$this->assertStringContainsString( 'Set by ' . \KBJobs_Settings::constant_name( $key ) . ' in wp-config.php.', $report[ $key ]['html'], $key );
			if ( 'alert_webhook_secret' === $key ) {
				$this->assertStringNotContainsString( 'sekrit', $report[ $key ]['html'] );
				$this->assertStringNotContainsString( '<input', $report[ $key ]['html'] );
			} else {
				$this->assertMatchesRegularExpression( '/<input[^>]+ disabled/', $report[ $key ]['html'], $key );
			}
		}
		$this->assertSame( 100, $report['_import_settings']['max_per_host'] );
		$this->assertSame( '127.0.0.1', $report['_import_settings']['allow'] );
		$this->assertSame( 'docs.example.com=2, example.org:8443=16', $report['_import_settings']['host_limits'] );
		$this->assertTrue( $report['_cron_enabled'], 'KBJOBS_CRON wins over the option' );
		$this->assertTrue( $report['_remove_all_data'] );
		$this->assertSame( array( 'days' => 3650, 'per_hook' => 1000000 ), $report['_cron_history'] );
		// Nothing changed for this process: its options were restored by the probe.
		wp_cache_flush();
		$this->assertSame( 30, \KBJobs_Settings::get( 'retention_jobs_days' ) );
	}

	public function test_options_without_constants_reach_the_fetcher_and_the_engine(): void {
		// In a process of its own, where FetchSettingsTest's constants are not defined.
		$report = $this->probe(
			array(),
			array(
				'fetch_max_per_host' => 3,
				'fetch_host_limits'  => 'docs.example.com=2',
				'cron_enabled'       => '0',
				'remove_all_data'    => '1',
			)
		);
		$this->assertSame( 3, $report['_import_settings']['max_per_host'] );
		$this->assertSame( 'docs.example.com=2', $report['_import_settings']['host_limits'] );
		$this->assertFalse( $report['_cron_enabled'] );
		$this->assertTrue( $report['_remove_all_data'] );
		$this->assertFalse( $report['fetch_max_per_host']['forced'] );
		$this->assertStringNotContainsString( 'disabled', $report['fetch_max_per_host']['html'] );
		$this->assertArrayNotHasKey( 'max_per_host', $this->probe( array(), array() )['_import_settings'], 'unset: the engine\'s default' );

		// The Failure Log cap is the engine's: two entries above what the log holds now,
		// and three failures evict exactly one entry (the oldest).
		$log = \KBJobs_Engine::get()->failures();
		$cap = $log->count() + 2;
		$was = $log->evicted();
		update_option( 'kbjobs_failure_log_cap', $cap );
		\KBJobs_Engine::reset();
		$queue = 'settings-cap-' . strtolower( wp_generate_password( 6, false, false ) );
		$ids   = array();
		try {
			for ( $i = 0; $i < 3; $i++ ) {
				$ids[] = \KBJobs_Engine::get()->submit(
					'diag.fail',
					array(
						'message'   => 'cap test',
						'retryable' => false,
					),
					array(
						'queue'        => $queue,
						'max_attempts' => 1,
					)
				);
			}
			\KBJobs_Runner::run(
				array(
					'queues'      => array( $queue ),
					'until_empty' => true,
					'max_seconds' => 20,
				)
			);
			$log = \KBJobs_Engine::get()->failures();
			$this->assertSame( $cap, $log->count() );
			$this->assertSame( $was + 1, $log->evicted() );
		} finally {
			delete_option( 'kbjobs_failure_log_cap' );
			\KBJobs_Engine::reset();
			\KBJobs_Engine::get()->failures()->delete( $ids );
		}
	}

	public function test_the_default_data_dir_gets_an_unguessable_name_once(): void {
		$base = $this->tmp . '/uploads';
		mkdir( $base );
		delete_option( \KBJobs_Settings::DATA_DIR_NAME_OPTION );
		$name = \KBJobs_Settings::default_data_dir_name( $base );
		$this->assertMatchesRegularExpression( '/^kbjobs-[0-9a-f]{32}$/', $name );
		$this->assertSame( $name, get_option( \KBJobs_Settings::DATA_DIR_NAME_OPTION ) );
		$this->assertSame( $name, \KBJobs_Settings::default_data_dir_name( $base ), 'chosen once' );
		delete_option( \KBJobs_Settings::DATA_DIR_NAME_OPTION );
		$this->assertNotSame( $name, \KBJobs_Settings::default_data_dir_name( $base ), 'random' );
	}

	public function test_a_site_already_using_kbjobs_private_keeps_it(): void {
		$base = $this->tmp . '/uploads';
		\KBJobs_Settings::ensure_data_dir( $base . '/kbjobs-private' );
		delete_option( \KBJobs_Settings::DATA_DIR_NAME_OPTION );
		$this->assertSame( 'kbjobs-private', \KBJobs_Settings::default_data_dir_name( $base ) );
		$this->assertSame( 'kbjobs-private', get_option( \KBJobs_Settings::DATA_DIR_NAME_OPTION ) );

		// An unmarked kbjobs-private (someone else's folder) is not taken.
		delete_option( \KBJobs_Settings::DATA_DIR_NAME_OPTION );
		mkdir( $base . '/other/kbjobs-private', 0777, true );
		$this->assertMatchesRegularExpression( '/^kbjobs-[0-9a-f]{32}$/', \KBJobs_Settings::default_data_dir_name( $base . '/other' ) );
	}

	public function test_data_dir_comes_from_the_constant(): void {
		$this->assertSame( rtrim( getenv( 'KBJOBS_DATA_DIR' ), '/' ), \KBJobs_Settings::data_dir() );
	}

	public function test_the_test_site_s_data_dir_carries_the_marker(): void {
		\KBJobs_Engine::get();
		$this->assertFileExists( \KBJobs_Settings::data_dir() . '/.kbjobs-data' );
		$this->assertTrue( \KBJobs_Settings::is_marked( \KBJobs_Settings::data_dir() ) );
	}

	public function test_a_new_data_dir_gets_deny_rules_an_index_and_the_marker(): void {
		$dir = $this->tmp . '/a/b/data';
		\KBJobs_Settings::ensure_data_dir( $dir );
		$this->assertDirectoryExists( $dir );
		$htaccess = file_get_contents( $dir . '/.htaccess' );
		$this->assertStringContainsString( "<IfModule mod_authz_core.c>\n\tRequire all denied", $htaccess, 'Apache 2.4' );
		$this->assertStringContainsString( "<IfModule !mod_authz_core.c>\n\tOrder deny,allow\n\tDeny from all", $htaccess, 'Apache 2.2' );
		$this->assertFileExists( $dir . '/index.php' );
		$this->assertStringContainsString( 'kbjobs data directory', file_get_contents( $dir . '/.kbjobs-data' ) );
	}

	public function test_an_existing_directory_holding_only_what_kbjobs_makes_gets_the_marker(): void {
		foreach ( array( 'empty' => array(), 'used' => array( 'lists', 'logs', 'checkpoints', 'artifacts' ) ) as $name => $subdirs ) {
			$dir = $this->tmp . '/' . $name;
			mkdir( $dir );
			foreach ( $subdirs as $sub ) {
				mkdir( $dir . '/' . $sub );
			}
			\KBJobs_Settings::ensure_data_dir( $dir );
			$this->assertTrue( \KBJobs_Settings::is_marked( $dir ), $name );
			$this->assertFileDoesNotExist( $dir . '/.htaccess', 'an existing directory is otherwise left as it is' );
		}
	}

	public function test_a_directory_holding_anything_else_never_gets_the_marker(): void {
		$dir = $this->tmp . '/shared';
		mkdir( $dir . '/logs', 0777, true );
		file_put_contents( $dir . '/notes.txt', 'not kbjobs' );
		\KBJobs_Settings::ensure_data_dir( $dir );
		$this->assertFalse( \KBJobs_Settings::is_marked( $dir ) );
		$this->assertSame( array( '.', '..', 'logs', 'notes.txt' ), scandir( $dir ) );
	}

	public function test_import_settings_take_the_constants_and_the_filter(): void {
		$settings = \KBJobs_Settings::import_settings();
		$this->assertSame( '127.0.0.1', $settings['allow'], 'KBJOBS_FETCH_ALLOW of the test wp-config.php' );
		$this->assertArrayNotHasKey( 'proxy', $settings );
		$this->assertSame( 'kbjobs/' . phpversion( 'kbjobs' ) . ' (+' . home_url( '/' ) . ')', $settings['user_agent'] );

		$filter = static function ( $s ) {
			return array( 'timeout_ms' => 1234 ) + $s;
		};
		add_filter( 'kbjobs_import_settings', $filter );
		try {
			$this->assertSame( 1234, \KBJobs_Settings::import_settings()['timeout_ms'] );
		} finally {
			remove_filter( 'kbjobs_import_settings', $filter );
		}
	}

	public function test_remove_all_data_is_off_unless_the_option_says_so(): void {
		$this->assertFalse( defined( 'KBJOBS_REMOVE_ALL_DATA' ), 'the test site leaves the constant undefined' );
		$this->assertFalse( \KBJobs_Settings::remove_all_data() );
		foreach ( array( '1' => true, 'yes' => true, 'on' => true, '0' => false, 'no' => false, '' => false ) as $value => $expected ) {
			update_option( \KBJobs_Settings::REMOVE_ALL_DATA_OPTION, (string) $value );
			$this->assertSame( $expected, \KBJobs_Settings::remove_all_data(), var_export( $value, true ) );
		}
	}

	/**
	 * Runs probes/settings-constants.php: constants defined, options saved (and restored).
	 *
	 * @param array<string,mixed> $constants Constant name => value.
	 * @param array<string,mixed> $options   Setting key => option value.
	 * @return array<string,mixed> The probe's report.
	 */
	private function probe( array $constants, array $options ): array {
		list( $code, $out, $err ) = self::run_command(
			array(
				PHP_BINARY,
				'-d',
				'extension=' . getenv( 'KBJOBS_ROOT' ) . '/modules/kbjobs.so',
				'-d',
				'auto_prepend_file=' . getenv( 'KBJOBS_ROOT' ) . '/tools/php/prepend.php',
				__DIR__ . '/../probes/settings-constants.php',
				wp_json_encode(
					array(
						'constants' => (object) $constants,
						'options'   => (object) $options,
					)
				),
			)
		);
		$this->assertSame( 0, $code, $out . $err );
		$report = json_decode( $out, true );
		$this->assertIsArray( $report, $out . $err );
		return $report;
	}
}
