<?php
/**
 * The metrics on the screens: GET /kbjobs/v1/stats (its shape, who may read it, its
 * params checked), `wp kb status` with the same numbers, and the Overview's charts
 * (inline SVG with a title, a description and a data table; the queue filter takes
 * only a known queue).
 */

namespace KBJobs\Tests;

final class StatsTest extends TestCase {

	/** @var string A queue of this run only: the metrics stay 48 hours. */
	private static $queue = '';

	/** @var array<string,int> */
	private static $users = array();

	public static function setUpBeforeClass(): void {
		self::$queue = 'stats-' . substr( md5( uniqid( '', true ) ), 0, 10 );
		add_role( 'kbjobs_stats_watcher', 'KB Jobs stats watcher', array( 'read' => true, 'kbjobs_view' => true ) );
		foreach ( array( 'administrator', 'subscriber', 'kbjobs_stats_watcher' ) as $role ) {
			$login = 'stats_' . $role;
			$user  = get_user_by( 'login', $login );
			if ( $user ) {
				require_once ABSPATH . 'wp-admin/includes/user.php';
				wp_delete_user( $user->ID );
			}
			self::$users[ $role ] = wp_insert_user(
				array(
					'user_login' => $login,
					'user_pass'  => wp_generate_password( 24 ),
					'user_email' => $login . '@example.test',
					'role'       => $role,
				)
			);
		}
		rest_get_server();

		// Three that complete and two that fail, in a queue of this run.
		$engine = \KBJobs_Engine::get();
		$jobs   = array();
		for ( $i = 0; $i < 3; $i++ ) {
			$jobs[] = array(
				'type'   => 'diag.echo',
				'params' => array( 'i' => $i ),
				'queue'  => self::$queue,
			);
		}
		for ( $i = 0; $i < 2; $i++ ) {
			$jobs[] = array(
				'type'         => 'diag.fail',
				'params'       => array(
					'message'   => 'stats test',
					'retryable' => false,
				),
				'queue'        => self::$queue,
				'max_attempts' => 1,
			);
		}
		$engine->submitMany( $jobs );
		$engine->run(
			array(
				'queues'      => array( self::$queue ),
				'until_empty' => true,
				'max_seconds' => 30,
			)
		);
	}

	public static function tearDownAfterClass(): void {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( self::$users as $id ) {
			wp_delete_user( $id );
		}
		remove_role( 'kbjobs_stats_watcher' );
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s", self::$queue ) ) );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_failures WHERE message = 'stats test'" );
		wp_set_current_user( 0 );
	}

	protected function setUp(): void {
		wp_set_current_user( self::$users['administrator'] );
	}

	private static function get( array $params ): \WP_REST_Response {
		$request = new \WP_REST_Request( 'GET', '/kbjobs/v1/stats' );
		$request->set_query_params( $params );
		return rest_do_request( $request );
	}

	public function test_stats_of_a_queue_count_its_jobs_by_minute_with_times_in_iso(): void {
		$r = self::get( array( 'queue' => self::$queue ) );
		$this->assertSame( 200, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$data = json_decode( wp_json_encode( $r->get_data() ), true );
		$this->assertSame( 60, $data['step'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $data['since'] );
		$this->assertMatchesRegularExpression( '/Z$/', $data['until'] );
		$this->assertSame( 3, $data['totals']['completed'] );
		$this->assertSame( 2, $data['totals']['failed'] );
		$this->assertSame( 5, $data['totals']['started'] );
		$this->assertIsNumeric( $data['totals']['run_p95_ms'] );
		$this->assertSame( array( self::$queue ), array_keys( $data['queues'] ) );
		$this->assertSame( 3, $data['types']['diag.echo']['completed'] );
		$this->assertSame( 2, $data['types']['diag.fail']['failed'] );
		// Every minute of the hour, zeros included, oldest first; the jobs in the last ones.
		$this->assertGreaterThanOrEqual( 60, count( $data['series'] ) );
		$this->assertLessThanOrEqual( 61, count( $data['series'] ) );
		$this->assertSame( 3, array_sum( array_column( $data['series'], 'completed' ) ) );
		$this->assertMatchesRegularExpression( '/:00Z$/', $data['series'][0]['t'] );
		$this->assertLessThan( $data['series'][1]['t'], $data['series'][0]['t'] );
		foreach ( \KBJobs_Data_Stats::ROW_FIELDS as $field ) {
			$this->assertArrayHasKey( $field, $data['series'][0] );
		}

		// A day by hour; a type filter.
		$day = self::get(
			array(
				'since' => DAY_IN_SECONDS,
				'step'  => 3600,
				'type'  => 'diag.fail',
				'queue' => self::$queue,
			)
		)->get_data();
		$this->assertSame( 3600, $day['step'] );
		$this->assertSame( 0, $day['totals']['completed'] );
		$this->assertSame( 2, $day['totals']['failed'] );
		$this->assertGreaterThanOrEqual( 24, count( $day['series'] ) );
		$this->assertLessThanOrEqual( 25, count( $day['series'] ) );

		// No jobs: zeros and null times, and an empty map that is an object in JSON.
		$none = self::get( array( 'queue' => 'stats-nothing-here' ) );
		$this->assertSame( 200, $none->get_status() );
		$this->assertSame( 0, $none->get_data()['totals']['completed'] );
		$this->assertNull( $none->get_data()['totals']['wait_p50_ms'] );
		$this->assertStringContainsString( '"queues":{}', wp_json_encode( $none->get_data() ) );
	}

	public function test_stats_params_are_checked(): void {
		foreach ( array(
			array( 'since' => 10 ),
			array( 'since' => 91 * DAY_IN_SECONDS ),
			array( 'since' => 'an hour' ),
			array( 'step' => 120 ),
			array( 'queue' => '' ),
			array( 'queue' => str_repeat( 'q', 65 ) ),
			array( 'type' => array( 'x' ) ),
		) as $params ) {
			$r = self::get( $params );
			$this->assertSame( 400, $r->get_status(), wp_json_encode( $params ) );
			$this->assertSame( 'rest_invalid_param', $r->get_data()['code'], wp_json_encode( $params ) );
		}
		// Per minute over more than 48 hours: the engine refuses, as a 400.
		$r = self::get(
			array(
				'since' => 7 * DAY_IN_SECONDS,
				'step'  => 60,
			)
		);
		$this->assertSame( 400, $r->get_status(), wp_json_encode( $r->get_data() ) );
		// A queue name that is not one: 400, with the engine's message.
		$r = self::get( array( 'queue' => '<script>' ) );
		$this->assertSame( 400, $r->get_status(), wp_json_encode( $r->get_data() ) );
	}

	public function test_stats_need_kbjobs_view(): void {
		wp_set_current_user( 0 );
		$this->assertSame( 401, self::get( array() )->get_status() );
		wp_set_current_user( self::$users['subscriber'] );
		$this->assertSame( 403, self::get( array() )->get_status() );
		wp_set_current_user( self::$users['kbjobs_stats_watcher'] );
		$this->assertSame( 200, self::get( array() )->get_status() );
	}

	public function test_wp_kb_status_gives_the_last_hour_and_day(): void {
		list( , $out, $err ) = self::wp( 'kb', 'status', '--format=json' );
		$status = json_decode( $out, true );
		$this->assertIsArray( $status, $out . $err );
		$rest = self::get( array() )->get_data()['totals'];
		foreach ( array( 'hour', 'day' ) as $window ) {
			foreach ( \KBJobs_Data_Stats::ROW_FIELDS as $field ) {
				$this->assertArrayHasKey( $field, $status['stats'][ $window ] );
			}
		}
		$this->assertGreaterThanOrEqual( 3, $status['stats']['hour']['completed'] );
		$this->assertGreaterThanOrEqual( $status['stats']['hour']['completed'], $status['stats']['day']['completed'] );
		$this->assertSame( $rest['completed'], $status['stats']['hour']['completed'] );

		list( , $text ) = self::wp( 'kb', 'status' );
		$this->assertMatchesRegularExpression( '/^Last hour: \d+ started, \d+ completed, \d+ failed, \d+ retried; wait p50 \S+( ms)? p95 /m', $text );
		$this->assertMatchesRegularExpression( '/^Last day:  \d+ started/m', $text );
	}

	public function test_the_charts_are_svg_images_with_words_and_a_table(): void {
		$stats = \KBJobs_Data_Stats::get(
			array(
				'since' => HOUR_IN_SECONDS,
				'queue' => self::$queue,
			)
		);
		$html  = \KBJobs_Admin_Charts::window( $stats, 'the last hour' );
		$this->assertSame( 4, substr_count( $html, '<svg ' ) );
		$this->assertSame( 4, substr_count( $html, 'role="img"' ) );
		$this->assertStringContainsString( '<title id="kbjobs-chart-', $html );
		$this->assertStringContainsString( 'completed: 3 in all', $html );
		$this->assertStringContainsString( 'failed: 2 in all', $html );
		$this->assertSame( 4, substr_count( $html, '<details class="kbjobs-chart-data">' ) );
		$this->assertGreaterThanOrEqual( 2, substr_count( $html, '<rect ' ), 'the bars of the jobs' );
		$this->assertMatchesRegularExpression( '/<(polyline|circle) class="kbjobs-chart-line/', $html, 'the times as lines (a dot for one minute)' );
		$doc = new \DOMDocument();
		$this->assertTrue( @$doc->loadHTML( '<!DOCTYPE html><html><body>' . $html . '</body></html>' ) );
		$this->assertSame( 4, $doc->getElementsByTagName( 'table' )->length );
	}
}
