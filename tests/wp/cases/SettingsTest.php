<?php
/**
 * KBJobs_Settings: the data directory (where, made with its deny rules and marker, which
 * existing directories it claims), the fetcher's settings, the remove-all-data switch.
 */

namespace KBJobs\Tests;

final class SettingsTest extends TestCase {

	/** @var string A scratch directory, removed after each test. */
	private $tmp;

	protected function setUp(): void {
		$this->tmp = sys_get_temp_dir() . '/kbjobs-settings-' . wp_generate_password( 8, false );
		mkdir( $this->tmp );
	}

	protected function tearDown(): void {
		self::run_command( array( 'rm', '-rf', $this->tmp ) );
		delete_option( \KBJobs_Settings::REMOVE_ALL_DATA_OPTION );
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
		$this->assertStringContainsString( 'Require all denied', file_get_contents( $dir . '/.htaccess' ) );
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
}
