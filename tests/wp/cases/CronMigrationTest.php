<?php
/**
 * WP-Cron's events moved between core's `cron` option and the engine's table: 500
 * events of every kind (single, recurring on core's schedules, on a custom one and on
 * one that no longer exists; arguments of every shape) go in and come back out the
 * same; importing twice, or from two requests at once, changes nothing; and a PHP
 * without the extension gives them back to core through $wpdb.
 */

namespace KBJobs\Tests;

final class CronMigrationTest extends TestCase {

	const PREFIX = 'kbjmig_'; // not kbjobs_*: deactivating the plugin clears those
	const EVENTS = 500;

	public static function custom_schedule( array $schedules ): array {
		$schedules['kbjobs_mig_custom'] = array(
			'interval' => 900,
			'display'  => 'Every fifteen minutes (test)',
		);
		return $schedules;
	}

	protected function setUp(): void {
		$this->assertSame( 'kbjobs', \KBJobs_Cron::state() );
		add_filter( 'cron_schedules', array( self::class, 'custom_schedule' ) );
	}

	protected function tearDown(): void {
		// Whatever happened: the site ends with its events in the engine, without ours.
		\KBJobs_Cron_Migration::in();
		\KBJobs_Cron_Adapter::add();
		foreach ( $this->test_hooks( _get_cron_array() ) as $hook ) {
			wp_unschedule_hook( $hook );
		}
		remove_filter( 'cron_schedules', array( self::class, 'custom_schedule' ) );
		wp_cache_flush();
	}

	private function test_hooks( array $crons ): array {
		$hooks = array();
		foreach ( $crons as $by_hook ) {
			foreach ( array_keys( (array) $by_hook ) as $hook ) {
				if ( 0 === strpos( (string) $hook, self::PREFIX ) ) {
					$hooks[ $hook ] = true;
				}
			}
		}
		return array_keys( $hooks );
	}

	/**
	 * 500 events as core's array holds them (without 'version').
	 */
	private static function events(): array {
		mt_srand( 500 );
		$base  = time();
		$crons = array();
		for ( $i = 0; $i < self::EVENTS; $i++ ) {
			$hook   = self::PREFIX . ( $i % 23 );
			$shapes = array(
				array(),
				array( $i ),
				array(
					'id'     => $i,
					'nested' => array( 'a' => array( $i, 'x' ), 'b' => array() ),
				),
				array( (object) array( 'k' => $i ) ),
				array( 'ü', true, null, 1.5, $i ),
				array( "quotes \" and\nnew lines $i" ),
				array( "emoji 😀 and 中文 $i" ),
				array( INF, $i ),
			);
			$args = $shapes[ $i % count( $shapes ) ];
			// Past and future; every tenth on a shared minute, so times hold many hooks.
			$timestamp = 0 === $i % 10 ? $base + 60 * ( $i % 7 ) : $base + mt_rand( -100000, 10000000 );
			switch ( $i % 5 ) {
				case 0:
					$entry = array(
						'schedule' => false,
						'args'     => $args,
					);
					break;
				case 1:
					$entry = array(
						'schedule' => 'hourly',
						'args'     => $args,
						'interval' => HOUR_IN_SECONDS,
					);
					break;
				case 2:
					$entry = array(
						'schedule' => 'daily',
						'args'     => $args,
						'interval' => DAY_IN_SECONDS,
					);
					break;
				case 3:
					$entry = array(
						'schedule' => 'kbjobs_mig_custom',
						'args'     => $args,
						'interval' => 900,
					);
					break;
				default:
					// A schedule no plugin registers any more.
					$entry = array(
						'schedule' => 'kbjobs_mig_gone',
						'args'     => $args,
						'interval' => 1234,
					);
			}
			$crons[ $timestamp ][ $hook ][ md5( serialize( $args ) ) ] = $entry;
		}
		return $crons;
	}

	/**
	 * The `cron` option as the database holds it, read past every cache and the adapter.
	 */
	private static function stored_cron(): array {
		global $wpdb;
		$value = maybe_unserialize( $wpdb->get_var( "SELECT option_value FROM {$wpdb->options} WHERE option_name = 'cron'" ) );
		unset( $value['version'] );
		return $value;
	}

	private function write_cron( array $crons ): void {
		\KBJobs_Cron_Adapter::remove();
		uksort( $crons, 'strnatcasecmp' );
		$crons['version'] = 2;
		$this->assertTrue( update_option( 'cron', $crons ), 'core stores the option' );
	}

	/**
	 * The site's events with the test's merged in, all in the option, state 'core'.
	 */
	private function site_with_test_events(): array {
		$this->assertTrue( \KBJobs_Cron_Migration::out() );
		$this->assertSame( 'core', \KBJobs_Cron::state() );
		$this->assertFalse( \KBJobs_Cron::active() );
		$expected = self::stored_cron();
		$count    = 0;
		foreach ( self::events() as $timestamp => $hooks ) {
			foreach ( $hooks as $hook => $entries ) {
				foreach ( $entries as $key => $entry ) {
					$expected[ $timestamp ][ $hook ][ $key ] = $entry;
					++$count;
				}
			}
		}
		$this->assertGreaterThan( 480, $count, 'events of the test (a few collide by design)' );
		uksort( $expected, 'strnatcasecmp' );
		$this->write_cron( $expected );
		return $expected;
	}

	/**
	 * The engine's events core sees, as [ id, hook, key, time, schedule, interval ].
	 */
	private static function engine_rows(): array {
		$rows = array();
		foreach ( \KBJobs_Engine::get()->cronEvents( array( 'visible_only' => true, 'order' => 'id' ) ) as $event ) {
			$rows[] = array( $event['id'], $event['hook'], $event['args_key'], $event['timestamp'], $event['schedule'], $event['interval'] );
		}
		return $rows;
	}

	private function assert_same_crons( array $expected, array $actual, string $message ): void {
		$this->assertEquals( $expected, $actual, $message );
		// Strictly, with the order of times, hooks and keys, and the objects' contents.
		$this->assertSame( serialize( $expected ), serialize( $actual ), $message . ' (order and types)' );
	}

	/**
	 * Runs a PHP script that loads the test WordPress, with or without the extension,
	 * and returns what it printed, unserialized.
	 */
	private function php_process( string $code, bool $with_extension, string $before = '' ): array {
		$file = tempnam( sys_get_temp_dir(), 'kbjobs-cron-' );
		file_put_contents(
			$file,
			"<?php\n" . $before . "\n" .
			'$_SERVER["HTTP_HOST"] = parse_url( getenv( "KBJOBS_WP_URL" ), PHP_URL_HOST ) . ":" . parse_url( getenv( "KBJOBS_WP_URL" ), PHP_URL_PORT );' . "\n" .
			'$_SERVER["REQUEST_URI"] = "/";' . "\n" .
			'require getenv( "KBJOBS_WP_DIR" ) . "/wp-load.php";' . "\n" .
			$code
		);
		try {
			$argv = array( PHP_BINARY, '-d', 'auto_prepend_file=' . getenv( 'KBJOBS_ROOT' ) . '/tools/php/prepend.php' );
			if ( $with_extension ) {
				$argv = array_merge( $argv, array( '-d', 'extension=' . getenv( 'KBJOBS_ROOT' ) . '/modules/kbjobs.so' ) );
			}
			$argv[] = $file;
			list( $code, $out, $err ) = self::run_command( $argv );
			$this->assertSame( 0, $code, $out . $err );
			$result = unserialize( base64_decode( trim( $out ) ) );
			$this->assertIsArray( $result, $out . $err );
			return $result;
		} finally {
			unlink( $file );
		}
	}

	public function test_five_hundred_events_go_in_and_come_back_out_the_same(): void {
		$expected = $this->site_with_test_events();

		$this->assertTrue( \KBJobs_Cron_Migration::in() );
		$this->assertSame( 'kbjobs', \KBJobs_Cron::state() );
		$this->assertSame( array(), self::stored_cron(), 'the option is emptied' );
		\KBJobs_Cron_Adapter::add();
		$this->assert_same_crons( $expected, _get_cron_array(), 'the adapter answers with every event' );
		$first = self::engine_rows();
		$this->assertCount( array_sum( array_map( static fn( $h ) => array_sum( array_map( 'count', $h ) ), $expected ) ), $first );
		// The vanished schedule kept its name and interval.
		$gone = array_filter( $first, static fn( $r ) => 'kbjobs_mig_gone' === $r[4] );
		$this->assertNotEmpty( $gone );
		$this->assertSame( array( 1234 ), array_values( array_unique( array_column( $gone, 5 ) ) ) );

		// Already in: nothing to do.
		$this->assertTrue( \KBJobs_Cron_Migration::in() );
		$this->assertSame( $first, self::engine_rows() );
		// Imported a second time from the same option (as a request that found the
		// state behind would): the same rows, same ids, nothing added.
		$this->write_cron( $expected );
		update_option( \KBJobs_Cron::STATE_OPTION, 'core' );
		$this->assertTrue( \KBJobs_Cron_Migration::in() );
		$this->assertSame( $first, self::engine_rows() );

		$this->assertTrue( \KBJobs_Cron_Migration::out() );
		$this->assertSame( 'core', \KBJobs_Cron::state() );
		$this->assertFalse( \KBJobs_Cron::active() );
		$this->assert_same_crons( $expected, self::stored_cron(), 'the option holds the same events' );
		$this->assertSame( array(), self::engine_rows(), 'the engine holds none' );
		// Out when already out: nothing changes.
		$this->assertTrue( \KBJobs_Cron_Migration::out() );
		$this->assert_same_crons( $expected, self::stored_cron(), 'a second out() changes nothing' );
	}

	public function test_two_requests_finding_the_events_in_the_option_import_them_once(): void {
		$expected = $this->site_with_test_events();
		// Two real requests boot the plugin at once; each finds the state 'core'.
		$script = 'echo base64_encode( serialize( array( "state" => KBJobs_Cron::state(), "active" => KBJobs_Cron::active() ) ) );';
		$file   = tempnam( sys_get_temp_dir(), 'kbjobs-cron-' );
		file_put_contents(
			$file,
			"<?php\n" .
			'$_SERVER["HTTP_HOST"] = parse_url( getenv( "KBJOBS_WP_URL" ), PHP_URL_HOST ) . ":" . parse_url( getenv( "KBJOBS_WP_URL" ), PHP_URL_PORT );' . "\n" .
			'$_SERVER["REQUEST_URI"] = "/";' . "\n" .
			'require getenv( "KBJOBS_WP_DIR" ) . "/wp-load.php";' . "\n" . $script
		);
		$procs = array();
		try {
			foreach ( array( 0, 1 ) as $n ) {
				$procs[ $n ] = proc_open(
					array( PHP_BINARY, '-d', 'auto_prepend_file=' . getenv( 'KBJOBS_ROOT' ) . '/tools/php/prepend.php', '-d', 'extension=' . getenv( 'KBJOBS_ROOT' ) . '/modules/kbjobs.so', $file ),
					array( 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ),
					$pipes[ $n ]
				);
			}
			foreach ( array( 0, 1 ) as $n ) {
				$out = stream_get_contents( $pipes[ $n ][1] );
				$err = stream_get_contents( $pipes[ $n ][2] );
				$this->assertSame( 0, proc_close( $procs[ $n ] ), $out . $err );
				$this->assertSame( array( 'state' => 'kbjobs', 'active' => true ), unserialize( base64_decode( trim( $out ) ) ), $out . $err );
			}
		} finally {
			unlink( $file );
		}
		wp_cache_flush();
		$this->assertSame( 'kbjobs', \KBJobs_Cron::state() );
		$this->assertSame( array(), self::stored_cron() );
		\KBJobs_Cron_Adapter::add();
		$this->assert_same_crons( $expected, _get_cron_array(), 'every event once' );
	}

	public function test_without_the_extension_the_events_fall_back_to_the_option(): void {
		$expected = $this->site_with_test_events();
		$this->assertTrue( \KBJobs_Cron_Migration::in() );
		$before = self::engine_rows();

		// A PHP without the extension loads the site: the plugin's requirements gate
		// writes the events back through $wpdb, so core finds them.
		$probe = $this->php_process(
			'echo base64_encode( serialize( array( "extension" => extension_loaded( "kbjobs" ), "state" => get_option( "kbjobs_cron_store" ), "cron" => _get_cron_array() ) ) );',
			false
		);
		$this->assertFalse( $probe['extension'] );
		$this->assertSame( 'core', $probe['state'] );
		$this->assert_same_crons( $expected, $probe['cron'], 'core sees every event' );
		wp_cache_flush();
		$this->assertSame( 'core', \KBJobs_Cron::state() );
		$this->assert_same_crons( $expected, self::stored_cron(), 'the option holds them' );
		$this->assertSame( $before, self::engine_rows(), 'the rows are left for the next import' );

		// Meanwhile core ran (and so removed) one single event and a recurring one moved.
		$single = null;
		foreach ( $expected as $timestamp => $hooks ) {
			foreach ( $hooks as $hook => $entries ) {
				foreach ( $entries as $key => $entry ) {
					if ( null === $single && false === $entry['schedule'] && 0 === strpos( $hook, self::PREFIX ) ) {
						$single = array( $timestamp, $hook, $key, $entry['args'] );
					}
				}
			}
		}
		unset( $expected[ $single[0] ][ $single[1] ][ $single[2] ] );
		if ( ! $expected[ $single[0] ][ $single[1] ] ) {
			unset( $expected[ $single[0] ][ $single[1] ] );
		}
		if ( ! $expected[ $single[0] ] ) {
			unset( $expected[ $single[0] ] );
		}
		$this->write_cron( $expected );

		// The extension is back: the next import reconciles the rows with the option.
		$this->assertTrue( \KBJobs_Cron_Migration::in() );
		\KBJobs_Cron_Adapter::add();
		$this->assertFalse( wp_get_scheduled_event( $single[1], $single[3], $single[0] ), 'the event core ran is gone' );
		$this->assertEquals( $expected, _get_cron_array() );
		$this->assertCount( count( $before ) - 1, self::engine_rows() );
	}

	public function test_events_scheduled_before_the_plugin_loads_are_taken_in_once_without_rewriting_the_option(): void {
		// An mu-plugin schedules at load time, before regular plugins (and the adapter)
		// load, as core's recovery mode does in wp-settings.php.
		$mu = getenv( 'KBJOBS_WP_DIR' ) . '/wp-content/mu-plugins/kbjobs-test-early-cron.php';
		file_put_contents(
			$mu,
			'<?php
			if ( ! wp_next_scheduled( "kbjmig_early" ) ) {
				wp_schedule_event( time() + 3600, "hourly", "kbjmig_early" );
			}'
		);
		$request = 'echo base64_encode( serialize( array( "next" => wp_next_scheduled( "kbjmig_early" ) ) ) );';
		try {
			$option = array();
			for ( $n = 1; $n <= 4; $n++ ) {
				$this->php_process( $request, true );
				$option[ $n ] = self::stored_cron();
				wp_cache_flush();
				$this->assertCount( 1, \KBJobs_Engine::get()->cronEvents( array( 'hook' => 'kbjmig_early' ) ), "request $n: one event in the engine" );
			}
			// Request 1: scheduled in the option, taken in, removed. Request 2: the option
			// is empty of it again, so it lands there once more and stays (the engine has
			// it). From then on the option is not written at all.
			$this->assertSame( array(), $this->test_hooks_like( $option[1], 'kbjmig_early' ) );
			$this->assertCount( 1, $this->test_hooks_like( $option[2], 'kbjmig_early' ) );
			$this->assertSame( serialize( $option[2] ), serialize( $option[3] ) );
			$this->assertSame( serialize( $option[3] ), serialize( $option[4] ) );
			// The engine's event is what core's API answers.
			\KBJobs_Cron_Store::invalidate();
			$event = \KBJobs_Engine::get()->cronEvents( array( 'hook' => 'kbjmig_early' ) )[0];
			$this->assertSame( $event['timestamp'], wp_next_scheduled( 'kbjmig_early' ) );

			// Going out, the option's left copy makes way for the engine's event.
			$this->assertTrue( \KBJobs_Cron_Migration::out() );
			$this->assertSame( array( $event['timestamp'] ), $this->test_hooks_like( self::stored_cron(), 'kbjmig_early' ) );
		} finally {
			unlink( $mu );
		}
	}

	public function test_deactivating_writes_the_events_back_and_activating_imports_them(): void {
		$hook = self::PREFIX . 'deactivate';
		$t    = time() + DAY_IN_SECONDS;
		\KBJobs_Cron_Adapter::add();
		$this->assertTrue( wp_schedule_event( $t, 'daily', $hook, array( 'keep' ) ) );
		\KBJobs_Plugin::deactivate();
		$this->assertSame( 'core', \KBJobs_Cron::state() );
		$this->assertFalse( \KBJobs_Cron::active() );
		$stored = self::stored_cron();
		$this->assertSame( array( 'schedule' => 'daily', 'args' => array( 'keep' ), 'interval' => DAY_IN_SECONDS ), $stored[ $t ][ $hook ][ md5( serialize( array( 'keep' ) ) ) ] );
		// The plugin's own events went with the deactivation.
		$this->assertSame( array(), array_filter( $this->test_hooks_like( $stored, 'kbjobs_tick' ) ) );

		\KBJobs_Cron::init();
		$this->assertTrue( \KBJobs_Cron::active() );
		$this->assertSame( 'kbjobs', \KBJobs_Cron::state() );
		$this->assertSame( $t, wp_next_scheduled( $hook, array( 'keep' ) ) );
		\KBJobs_Runner::schedule();
	}

	public function test_the_setting_and_the_constant_switch_it(): void {
		$this->assertNull( get_option( \KBJobs_Cron::ENABLED_OPTION, null ) );
		$this->assertTrue( \KBJobs_Cron::enabled(), 'on unless set' );
		try {
			foreach ( array( '0', 'no', 'off', 'OFF', 'false' ) as $off ) {
				update_option( \KBJobs_Cron::ENABLED_OPTION, $off );
				$this->assertFalse( \KBJobs_Cron::enabled(), $off );
			}
			update_option( \KBJobs_Cron::ENABLED_OPTION, 'yes' );
			$this->assertTrue( \KBJobs_Cron::enabled() );
			$this->assertContains( \KBJobs_Cron::ENABLED_OPTION, \KBJobs_Settings::OPTIONS, 'changes are audited' );

			// Off: the next request writes the events back to core.
			update_option( \KBJobs_Cron::ENABLED_OPTION, 'off' );
			\KBJobs_Cron::init();
			$this->assertSame( 'core', \KBJobs_Cron::state() );
			$this->assertFalse( \KBJobs_Cron::active() );
			// The constant wins over the option: a request that defines it imports them.
			$probe = $this->php_process(
				'echo base64_encode( serialize( array( "enabled" => KBJobs_Cron::enabled(), "state" => KBJobs_Cron::state(), "active" => KBJobs_Cron::active() ) ) );',
				true,
				'define( "KBJOBS_CRON", true );'
			);
			$this->assertSame( array( 'enabled' => true, 'state' => 'kbjobs', 'active' => true ), $probe );
			wp_cache_flush();
			$this->assertSame( 'kbjobs', \KBJobs_Cron::state() );
		} finally {
			delete_option( \KBJobs_Cron::ENABLED_OPTION );
			wp_cache_flush();
		}
		\KBJobs_Cron::init();
		$this->assertTrue( \KBJobs_Cron::active() );
		$this->assertSame( 'kbjobs', \KBJobs_Cron::state() );
	}

	private function test_hooks_like( array $crons, string $hook ): array {
		$found = array();
		foreach ( $crons as $timestamp => $hooks ) {
			if ( isset( $hooks[ $hook ] ) ) {
				$found[] = $timestamp;
			}
		}
		return $found;
	}
}
