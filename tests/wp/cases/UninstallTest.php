<?php
/**
 * Deleting the plugin: uninstall.php, run by WordPress's uninstall_plugin() in a PHP
 * without the extension and with the plugin not loaded (probes/uninstall.php), always
 * removes the plugin's WP-Cron events and options; only when told to remove all data
 * (KBJOBS_REMOVE_ALL_DATA, else the kbjobs_remove_all_data option) does it drop the
 * engine's tables, the kb_import_job posts, and the data directory (only one carrying
 * the kbjobs marker, without following links); kb_article posts always stay.
 *
 * The probe uses a scratch data directory; the engine's tables it drops in the shared
 * test site are made again after each test.
 */

namespace KBJobs\Tests;

final class UninstallTest extends TestCase {

	/** @var string Scratch folder of the test: the data directory and what is outside it. */
	private $tmp;

	/** @var array<string,int> The posts a test made, by kind. */
	private $posts = array();

	protected function setUp(): void {
		global $wpdb;
		\KBJobs_Engine::get();
		self::delete_articles();
		$this->tmp = sys_get_temp_dir() . '/kbjobs-uninstall-' . wp_generate_password( 8, false );
		mkdir( $this->tmp . '/outside', 0777, true );
		// An unrelated table whose name an unescaped LIKE 'wp_kbjobs_%' would match.
		$wpdb->query( "CREATE TABLE IF NOT EXISTS {$wpdb->prefix}kbjobsx_other (id INT)" );
	}

	protected function tearDown(): void {
		global $wpdb;
		// The probe changed options and tables behind this process's caches.
		wp_cache_flush();
		delete_option( \KBJobs_Settings::DATA_DIR_NAME_OPTION );
		// Uninstalling dropped the engine's tables of the shared test site: make them again.
		\KBJobs_Engine::reset();
		\KBJobs_Engine::get();
		\KBJobs_Cron::init(); // WP-Cron back on kbjobs, as at the next request
		\KBJobs_Runner::schedule();
		self::delete_articles();
		delete_option( \KBJobs_Settings::REMOVE_ALL_DATA_OPTION );
		delete_option( 'kbjobsx_other' );
		wp_clear_scheduled_hook( 'kbjobsx_other' );
		$wpdb->query( "DROP TABLE IF EXISTS {$wpdb->prefix}kbjobsx_other" );
		self::run_command( array( 'rm', '-rf', $this->tmp ) );
	}

	/**
	 * Gives the site what uninstalling deals with: an import record and an article,
	 * the tick and another kbjobs event, kbjobs options and a transient, and the same
	 * for another plugin whose names start with "kbjobsx".
	 */
	private function arrange(): void {
		$this->posts['import_job'] = (int) wp_insert_post(
			array(
				'post_type'   => 'kb_import_job',
				'post_status' => 'publish',
				'post_title'  => 'Import of 1 URLs from uninstall test',
				'meta_input'  => array( '_kbjobs_job_id' => '0123456789abcdef' ),
			)
		);
		$this->posts['article'] = (int) wp_insert_post(
			array(
				'post_type'   => 'kb_article',
				'post_status' => 'publish',
				'post_title'  => 'An imported article',
				'meta_input'  => array( '_kbjobs_source_url' => 'https://example.com/a' ),
			)
		);
		$this->assertGreaterThan( 0, $this->posts['import_job'] );
		$this->assertGreaterThan( 0, $this->posts['article'] );

		\KBJobs_Runner::schedule();
		wp_schedule_single_event( time() + 3600, 'kbjobs_test_later', array( 'some', 'args' ) );
		wp_schedule_single_event( time() + 3600, 'kbjobsx_other' );
		update_option( 'kbjobs_test_setting', 'x' );
		update_option( \KBJobs_Settings::DATA_DIR_NAME_OPTION, 'kbjobs-0123456789abcdef' );
		set_transient( 'kbjobs_test_cache', 'y', 3600 );
		update_option( 'kbjobsx_other', 'kept' );
		$this->assertNotEmpty( $this->tables() );
	}

	/** The data directory the plugin would make, with some data and links out of it. */
	private function marked_data_dir(): string {
		$dir = $this->tmp . '/data';
		\KBJobs_Settings::ensure_data_dir( $dir );
		$this->assertTrue( \KBJobs_Settings::is_marked( $dir ) );
		mkdir( $dir . '/lists' );
		mkdir( $dir . '/artifacts/ab', 0777, true );
		file_put_contents( $dir . '/lists/0123456789abcdef.urls', "https://example.com/a\n" );
		file_put_contents( $dir . '/artifacts/ab/abcd.json', '{}' );
		file_put_contents( $this->tmp . '/outside/keep.txt', 'not kbjobs data' );
		symlink( $this->tmp . '/outside', $dir . '/logs' );
		symlink( $this->tmp . '/outside/keep.txt', $dir . '/lists/link.urls' );
		return $dir;
	}

	/**
	 * Runs probes/uninstall.php with this data directory and, unless null, this value
	 * of KBJOBS_REMOVE_ALL_DATA.
	 */
	private function uninstall( string $data_dir, ?bool $remove_all_data ): void {
		$env = array( 'KBJOBS_PROBE_DATA_DIR' => $data_dir );
		if ( null !== $remove_all_data ) {
			$env['KBJOBS_PROBE_REMOVE_ALL_DATA'] = $remove_all_data ? '1' : '0';
		}
		$cmd = array( 'env' );
		foreach ( $env as $name => $value ) {
			$cmd[] = $name . '=' . $value;
		}
		// A PHP that does not load kbjobs.so: the same binary without the -d extension.
		array_push( $cmd, PHP_BINARY, '-d', 'auto_prepend_file=' . getenv( 'KBJOBS_ROOT' ) . '/tools/php/prepend.php', __DIR__ . '/../probes/uninstall.php' );
		list( $code, $out, $err ) = self::run_command( $cmd );
		$this->assertSame( 0, $code, $out . $err );
		$this->assertSame( '', $err );
		$this->assertSame(
			array(
				'extension_loaded' => false,
				'plugin_loaded'    => false,
				'uninstalled'      => true,
			),
			json_decode( $out, true ),
			$out
		);
		wp_cache_flush();
	}

	/** @return string[] The tables of the site named like the engine's. */
	private function tables(): array {
		global $wpdb;
		return $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $wpdb->prefix . 'kbjobs_' ) . '%' ) );
	}

	private function post_exists( int $id ): bool {
		global $wpdb;
		return (bool) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE ID = %d", $id ) );
	}

	private function option_value( string $name ) {
		global $wpdb;
		return $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", $name ) );
	}

	private function option_exists( string $name ): bool {
		global $wpdb;
		return (bool) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name = %s", $name ) );
	}

	/** Events and options of the plugin are gone; another plugin's are not. */
	private function assert_events_and_options_removed(): void {
		// After uninstalling, core reads its own `cron` option: so does this process.
		\KBJobs_Cron_Adapter::remove();
		$this->assertFalse( wp_next_scheduled( 'kbjobs_tick' ) );
		$this->assertFalse( wp_next_scheduled( 'kbjobs_test_later', array( 'some', 'args' ) ) );
		$this->assertNotFalse( wp_next_scheduled( 'kbjobsx_other' ) );
		$this->assertFalse( $this->option_exists( 'kbjobs_test_setting' ) );
		$this->assertFalse( $this->option_exists( 'kbjobs_remove_all_data' ) );
		$this->assertFalse( $this->option_exists( '_transient_kbjobs_test_cache' ) );
		$this->assertFalse( $this->option_exists( '_transient_timeout_kbjobs_test_cache' ) );
		$this->assertTrue( $this->option_exists( 'kbjobsx_other' ) );
	}

	public function test_uninstall_without_the_switch_removes_events_and_options_and_keeps_the_data(): void {
		$this->arrange();
		$tables = $this->tables();
		$dir    = $this->marked_data_dir();

		$this->uninstall( $dir, null );

		$this->assert_events_and_options_removed();
		$this->assertSame( $tables, $this->tables() );
		$this->assertTrue( $this->post_exists( $this->posts['import_job'] ) );
		$this->assertSame( '0123456789abcdef', get_post_meta( $this->posts['import_job'], '_kbjobs_job_id', true ) );
		$this->assertTrue( $this->post_exists( $this->posts['article'] ) );
		$this->assertFileExists( $dir . '/.kbjobs-data' );
		$this->assertFileExists( $dir . '/lists/0123456789abcdef.urls' );
		$this->assertFileExists( $dir . '/artifacts/ab/abcd.json' );
		// The default data directory's name stays with the data it names.
		$this->assertSame( 'kbjobs-0123456789abcdef', $this->option_value( \KBJobs_Settings::DATA_DIR_NAME_OPTION ) );
	}

	public function test_uninstall_with_kbjobs_remove_all_data_drops_tables_import_jobs_and_the_marked_data_dir_but_never_articles(): void {
		global $wpdb;
		$this->arrange();
		$dir = $this->marked_data_dir();

		$this->uninstall( $dir, true );

		$this->assert_events_and_options_removed();
		$this->assertSame( array(), $this->tables() );
		$this->assertSame( array( $wpdb->prefix . 'kbjobsx_other' ), $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->prefix . 'kbjobsx_other' ) ) );
		$this->assertFalse( $this->post_exists( $this->posts['import_job'] ) );
		$this->assertSame( '0', $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->postmeta} WHERE post_id = %d", $this->posts['import_job'] ) ) );
		$this->assertTrue( $this->post_exists( $this->posts['article'] ), 'articles are the site\'s content' );
		$this->assertSame( 'https://example.com/a', get_post_meta( $this->posts['article'], '_kbjobs_source_url', true ) );
		$this->assertDirectoryDoesNotExist( $dir );
		$this->assertFalse( $this->option_exists( \KBJobs_Settings::DATA_DIR_NAME_OPTION ), 'the name goes with the data' );
		// The links were removed, not followed.
		$this->assertSame( 'not kbjobs data', file_get_contents( $this->tmp . '/outside/keep.txt' ) );
	}

	public function test_the_remove_all_data_option_removes_the_data_but_a_data_dir_without_the_marker_stays(): void {
		$this->arrange();
		update_option( \KBJobs_Settings::REMOVE_ALL_DATA_OPTION, '1' );
		$dir = $this->tmp . '/unmarked';
		mkdir( $dir . '/lists', 0777, true );
		file_put_contents( $dir . '/lists/0123456789abcdef.urls', "https://example.com/a\n" );
		file_put_contents( $dir . '/notes.txt', 'someone else\'s' );

		$this->uninstall( $dir, null );

		$this->assert_events_and_options_removed();
		$this->assertSame( array(), $this->tables() );
		$this->assertFalse( $this->post_exists( $this->posts['import_job'] ) );
		$this->assertTrue( $this->post_exists( $this->posts['article'] ) );
		$this->assertFileExists( $dir . '/notes.txt' );
		$this->assertFileExists( $dir . '/lists/0123456789abcdef.urls' );
	}

	public function test_kbjobs_remove_all_data_defined_false_overrides_the_option(): void {
		$this->arrange();
		update_option( \KBJobs_Settings::REMOVE_ALL_DATA_OPTION, '1' );
		$tables = $this->tables();
		$dir    = $this->marked_data_dir();

		$this->uninstall( $dir, false );

		$this->assert_events_and_options_removed();
		$this->assertSame( $tables, $this->tables() );
		$this->assertTrue( $this->post_exists( $this->posts['import_job'] ) );
		$this->assertFileExists( $dir . '/lists/0123456789abcdef.urls' );
	}
}
