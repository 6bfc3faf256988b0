<?php
/**
 * The fetcher's settings from WordPress: the KBJOBS_FETCH_CA_FILE,
 * KBJOBS_FETCH_MAX_PER_HOST and KBJOBS_FETCH_HOST_LIMITS constants reach the engine (an
 * import from the fixture site's TLS endpoint, whose CA only the constant names, makes
 * its posts), and an import's own max_per_host and host_limits go into its params from
 * `wp kb import --max-per-host --host-limits` (the real WP-CLI) and from POST /imports,
 * out-of-range values refused.
 */

namespace KBJobs\Tests;

final class FetchSettingsTest extends TestCase {

	/** @var string[] Files to remove after the test. */
	private $files = array();

	/** @var string[] Imports to cancel after the test (queued ones nobody should run). */
	private $jobs = array();

	protected function setUp(): void {
		foreach ( array( 'KBJOBS_FIXTURE_URL', 'KBJOBS_FIXTURE_TLS_URL', 'KBJOBS_FIXTURE_CA' ) as $var ) {
			if ( ! getenv( $var ) ) {
				$this->fail( "$var is not set: run through `make test-wp`" );
			}
		}
		\KBJobs_Engine::get();
		self::delete_articles();
		$admin = get_user_by( 'login', (string) getenv( 'KBJOBS_ADMIN_USER' ) );
		wp_set_current_user( $admin ? $admin->ID : 0 );
		rest_get_server();
	}

	protected function tearDown(): void {
		foreach ( $this->files as $f ) {
			@unlink( $f );
		}
		foreach ( $this->jobs as $id ) {
			$job = \KBJobs_Engine::get()->get( $id );
			if ( 'queued' === $job->status ) {
				\KBJobs_Engine::get()->cancel( $id );
			}
		}
		self::delete_articles();
		wp_set_current_user( 0 );
	}

	/** A list file of fixture pages. */
	private function list_file( int $first, int $n ): string {
		$file = tempnam( sys_get_temp_dir(), 'kbjobs-list-' );
		$urls = array();
		for ( $i = $first; $i < $first + $n; $i++ ) {
			$urls[] = getenv( 'KBJOBS_FIXTURE_URL' ) . '/page/' . $i;
		}
		file_put_contents( $file, implode( "\n", $urls ) . "\n" );
		$this->files[] = $file;
		return $file;
	}

	private function job( string $id ): \KBJobs\Job {
		\KBJobs_Engine::reset();
		return \KBJobs_Engine::get()->get( $id );
	}

	private static function post_import( array $params ): \WP_REST_Response {
		$request = new \WP_REST_Request( 'POST', '/kbjobs/v1/imports' );
		$request->set_header( 'content-type', 'application/json' );
		$request->set_body( wp_json_encode( $params ) );
		return rest_do_request( $request );
	}

	public function test_wp_kb_import_puts_max_per_host_and_host_limits_in_the_import_s_params(): void {
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $this->list_file( 700, 3 ), '--max-per-host=3', '--host-limits=127.0.0.1=2, docs.example.com:8443=16', '--porcelain' );
		$this->assertSame( 0, $code, $err );
		$id           = trim( $out );
		$this->jobs[] = $id;
		$params       = $this->job( $id )->params;
		$this->assertSame( 3, $params['max_per_host'] );
		$this->assertSame( '127.0.0.1=2, docs.example.com:8443=16', $params['host_limits'] );

		// Without the options the params name neither: the site's settings apply.
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $this->list_file( 710, 1 ), '--porcelain' );
		$this->assertSame( 0, $code, $err );
		$this->jobs[] = trim( $out );
		$params       = $this->job( trim( $out ) )->params;
		$this->assertArrayNotHasKey( 'max_per_host', $params );
		$this->assertArrayNotHasKey( 'host_limits', $params );
	}

	public function test_wp_kb_import_refuses_a_max_per_host_that_is_not_a_number(): void {
		list( $code, , $err ) = self::wp( 'kb', 'import', $this->list_file( 720, 1 ), '--max-per-host=many' );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( '--max-per-host must be a number from 1 to 100, not "many"', $err );
	}

	/** The range is the engine's: it refuses the import and submits nothing. */
	public function test_wp_kb_import_refuses_a_max_per_host_out_of_range(): void {
		global $wpdb;
		$before = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'import'" );
		foreach ( array( '0', '101' ) as $n ) {
			list( $code, $out, $err ) = self::wp( 'kb', 'import', $this->list_file( 730, 1 ), '--max-per-host=' . $n, '--porcelain' );
			if ( 0 === $code ) {
				$this->jobs[] = trim( $out ); // taken: cancelled by tearDown
			}
			$this->assertSame( 1, $code, "--max-per-host=$n: $err" );
			$this->assertStringContainsString( 'max_per_host', $err );
		}
		$this->assertSame( $before, (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'import'" ) );
	}

	public function test_rest_import_takes_max_per_host_and_host_limits_within_range(): void {
		$urls = array( getenv( 'KBJOBS_FIXTURE_URL' ) . '/page/740' );
		$r    = self::post_import(
			array(
				'urls'         => $urls,
				'max_per_host' => 4,
				'host_limits'  => '127.0.0.1=2',
			)
		);
		$this->assertSame( 201, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$this->jobs[] = $r->get_data()['id'];
		$params       = $this->job( $r->get_data()['id'] )->params;
		$this->assertSame( 4, $params['max_per_host'] );
		$this->assertSame( '127.0.0.1=2', $params['host_limits'] );

		foreach ( array( 0, 101, 'six' ) as $bad ) {
			$r = self::post_import(
				array(
					'urls'         => $urls,
					'max_per_host' => $bad,
				)
			);
			$this->assertSame( 400, $r->get_status(), 'max_per_host ' . $bad );
			$this->assertSame( 'rest_invalid_param', $r->get_data()['code'] );
		}
	}

	/**
	 * The constants, defined here for the rest of this process (a constant cannot be
	 * undefined): the test CA, and limits that change nothing for the other tests
	 * (6 is the default; the host limit names a port nothing listens on).
	 */
	public function test_fetch_constants_reach_the_engine_and_a_private_ca_is_trusted(): void {
		foreach ( array( 'KBJOBS_FETCH_CA_FILE', 'KBJOBS_FETCH_MAX_PER_HOST', 'KBJOBS_FETCH_HOST_LIMITS' ) as $c ) {
			$this->assertFalse( defined( $c ), "$c is defined before the test defines it" );
		}
		define( 'KBJOBS_FETCH_CA_FILE', (string) getenv( 'KBJOBS_FIXTURE_CA' ) );
		define( 'KBJOBS_FETCH_MAX_PER_HOST', '6' );
		define( 'KBJOBS_FETCH_HOST_LIMITS', '127.0.0.1:1=2' );
		$settings = \KBJobs_Settings::import_settings();
		$this->assertSame( getenv( 'KBJOBS_FIXTURE_CA' ), $settings['ca_file'] );
		$this->assertSame( 6, $settings['max_per_host'] );
		$this->assertSame( '127.0.0.1:1=2', $settings['host_limits'] );

		// A new engine is configured from them (configureImport would throw on a bad one).
		\KBJobs_Engine::reset();
		$tls = getenv( 'KBJOBS_FIXTURE_TLS_URL' );
		$r   = self::post_import(
			array(
				'urls' => array( "$tls/page/750", "$tls/page/751" ),
				'sink' => 'bulk',
			)
		);
		$this->assertSame( 201, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$id = $r->get_data()['id'];
		\KBJobs_Runner::run(
			array(
				'queues'      => array( 'import' ),
				'until_empty' => true,
				'max_seconds' => 60,
			)
		);
		$job = $this->job( $id );
		$this->assertSame( 'completed', $job->status, (string) $job->error );
		$this->assertSame( 2, $job->metrics['created'], wp_json_encode( \KBJobs_Engine::get()->failedItems( $id ) ) );
		$this->assertSame( 0, $job->metrics['failed'] );
	}
}
