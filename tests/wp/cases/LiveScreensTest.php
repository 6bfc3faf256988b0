<?php
/**
 * The live screens' server side against the real site and engine: the texts each
 * snapshot view serves (lost runners marked, running jobs joined with their runner's host
 * and pid, paused queues offering Resume), the snapshot's seq counting computations and
 * expiring after a screen's action, GET /kbjobs/v1/waiting with each job's reason and a
 * keyset cursor, the WP-Cron events read through core's API, and every screen rendered
 * escaped, with action forms only for kbjobs_operate.
 */

namespace KBJobs\Tests;

final class LiveScreensTest extends TestCase {

	const QUEUE = 'live-wp-test';
	const HOOK  = 'kbjobs_live_wp_test';
	const XSS   = '<script>alert(1)</script><img src=x onerror=alert(2)>';

	/** @var array<string,int> User ids by role. */
	private static $users = array();

	public static function setUpBeforeClass(): void {
		require_once ABSPATH . 'wp-admin/includes/admin.php';
		\KBJobs_Engine::get();
		self::clean();
		foreach ( array( 'administrator', 'subscriber', 'viewer' ) as $role ) {
			$login = 'live_' . $role;
			$user  = get_user_by( 'login', $login );
			if ( $user ) {
				wp_delete_user( $user->ID );
			}
			self::$users[ $role ] = wp_insert_user(
				array(
					'user_login' => $login,
					'user_pass'  => wp_generate_password( 24 ),
					'user_email' => $login . '@example.test',
					'role'       => 'viewer' === $role ? 'subscriber' : $role,
				)
			);
		}
		( new \WP_User( self::$users['viewer'] ) )->add_cap( 'kbjobs_view' );
		rest_get_server();
	}

	public static function tearDownAfterClass(): void {
		foreach ( self::$users as $id ) {
			wp_delete_user( $id );
		}
		self::clean();
		wp_set_current_user( 0 );
	}

	protected function setUp(): void {
		self::clean();
		wp_set_current_user( self::$users['administrator'] );
	}

	private static function clean(): void {
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s", self::QUEUE ) ) );
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_queues WHERE name = %s", self::QUEUE ) );
		wp_unschedule_hook( self::HOOK );
	}

	private static function get( string $route, array $params = array() ): \WP_REST_Response {
		$request = new \WP_REST_Request( 'GET', '/kbjobs/v1' . $route );
		$request->set_query_params( $params );
		return rest_do_request( $request );
	}

	/** A job as KBJobs_Format::job() gives it, running on $runner. */
	private static function running_job( string $id, string $runner, bool $cancel_requested = false ): array {
		return array(
			'id'               => $id,
			'type'             => 'diag.sleep',
			'queue'            => self::QUEUE,
			'title'            => self::XSS,
			'phase'            => 'sleeping',
			'runner'           => $runner,
			'started_at'       => '2026-12-05T10:00:00Z',
			'progress_done'    => 3,
			'progress_total'   => 12,
			'rate'             => 0.5,
			'eta_seconds'      => 18,
			'cancel_requested' => $cancel_requested,
		);
	}

	/** A runner as KBJobs_Data_Runners::all() gives it. */
	private static function runner( string $id, string $state, int $pid ): array {
		return array(
			'id'           => $id,
			'host'         => 'web-1',
			'pid'          => $pid,
			'version'      => '0.1.0',
			'queues'       => 'default',
			'state'        => $state,
			'started_at'   => '2026-12-05T09:00:00Z',
			'heartbeat_at' => '2026-12-05T10:00:00Z',
			'stopped_at'   => null,
			'running_jobs' => 1,
			'memory'       => 64 * 1024 * 1024,
		);
	}

	public function test_runner_and_active_job_texts_mark_lost_runners_and_join_each_job_with_its_runner(): void {
		$snapshot = array(
			'at'      => '2026-12-05T10:00:05Z',
			'status'  => array(
				'runners' => array(
					'active'  => 1,
					'lost'    => 1,
					'stopped' => 0,
				),
			),
			'runners' => array( self::runner( 'r1', 'active', 101 ), self::runner( 'r2', 'lost', 202 ) ),
			'active'  => array( self::running_job( 'aaaaaaaaaaaaaaaa', 'r1' ), self::running_job( 'bbbbbbbbbbbbbbbb', 'r2', true ) ),
		);
		$runners  = \KBJobs_Admin_Runners::texts( $snapshot );
		$this->assertSame( 'In the last 24 hours: 1 active, 1 lost, 0 stopped.', $runners['summary'] );
		list( $active, $lost ) = $runners['runners'];
		$this->assertSame( 'kbjobs-runner-active', $active['row_class'] );
		$this->assertSame( 'aaaaaaaaaaaaaaaa', $active['job_ids'] );
		$this->assertSame( '64.0 MB', $active['memory'] );
		$this->assertSame( '5 seconds ago', $active['heartbeat_ago'] );
		$this->assertSame( '2026-12-05T10:00:00Z', $active['heartbeat_utc'] );
		$this->assertSame( 'kbjobs-runner-lost', $lost['row_class'] );
		$this->assertSame( 'lost', $lost['state'] );

		$jobs = \KBJobs_Admin_Active::texts( $snapshot );
		$this->assertSame( '2 jobs are running.', $jobs['summary'] );
		list( $first, $second ) = $jobs['active'];
		$this->assertSame( 'web-1, pid 101', $first['runner'] );
		$this->assertSame( 'web-1, pid 202 (lost)', $second['runner'] );
		$this->assertSame( self::XSS, $first['title'], 'texts are plain text: the page escapes them, the script sets them as text' );
		$this->assertSame( '3 / 12', $first['progress'] );
		$this->assertSame( '25', $first['progress_percent'] );
		$this->assertSame( '0.50 items/s', $first['rate'] );
		$this->assertSame( '18 seconds left', $first['eta'] );
		$this->assertSame( '1', $first['can_cancel'] );
		$this->assertSame( '', $second['can_cancel'], 'no Cancel once asked' );
		$this->assertStringStartsWith( 'Cancel requested', $second['cancel_requested'] );
	}

	public function test_queue_texts_offer_resume_for_a_paused_queue_and_pause_for_the_others(): void {
		$queue    = array(
			'name'               => self::QUEUE,
			'paused'             => true,
			'concurrency'        => 3,
			'rate'               => 10,
			'period_ms'          => 60000,
			'queued'             => 7,
			'running'            => 1,
			'due'                => 4,
			'oldest_due_age'     => 125.0,
			'blocked'            => null,
			'rate_limited_until' => null,
		);
		$snapshot = array(
			'at'     => '2026-12-05T10:00:05Z',
			'status' => array(
				'queues' => array(
					$queue,
					array(
						'name'      => 'other',
						'paused'    => false,
						'rate'      => 5,
						'period_ms' => 1500,
					) + $queue,
				),
			),
		);
		$t        = \KBJobs_Admin_Queues::texts( $snapshot );
		$this->assertSame( '2 queues, 1 paused.', $t['summary'] );
		list( $paused, $other ) = $t['queues'];
		$this->assertSame( array( '1', '', 'Yes', 'Paused', 'kbjobs-queue-paused' ), array( $paused['is_paused'], $paused['not_paused'], $paused['paused'], $paused['state'], $paused['row_class'] ) );
		$this->assertSame( '10 per 1 min', $paused['rate'] );
		$this->assertSame( '1 / 3', $paused['running'] );
		$this->assertSame( 'oldest due for 2 mins', $paused['oldest'] );
		$this->assertSame( array( '3', '10', '60000' ), array( $paused['concurrency_value'], $paused['rate_value'], $paused['period_value'] ) );
		$this->assertSame( array( '', '1', 'No' ), array( $other['is_paused'], $other['not_paused'], $other['paused'] ) );
		$this->assertSame( '5 per 1,500 ms', $other['rate'] );
	}

	public function test_snapshot_views_serve_each_screens_texts(): void {
		foreach ( array(
			'overview' => 'status.queues',
			'active'   => 'active',
			'runners'  => 'runners',
			'queues'   => 'queues',
		) as $view => $key ) {
			$r = self::get( '/snapshot', array( 'view' => $view ) );
			$this->assertSame( 200, $r->get_status(), $view );
			$this->assertArrayHasKey( $key, $r->get_data()['texts'], $view );
		}
		$this->assertArrayNotHasKey( 'texts', self::get( '/snapshot' )->get_data() );
		$this->assertSame( 400, self::get( '/snapshot', array( 'view' => 'bogus' ) )->get_status() );
		wp_set_current_user( self::$users['subscriber'] );
		$this->assertSame( 403, self::get( '/snapshot', array( 'view' => 'active' ) )->get_status() );
	}

	public function test_the_snapshot_counts_its_computations_and_a_screen_action_expires_it(): void {
		\KBJobs_Data_Snapshot::expire();
		$before   = \KBJobs_Data_Snapshot::$computed;
		$first    = \KBJobs_Data_Snapshot::get();
		$again    = \KBJobs_Data_Snapshot::get();
		$computed = \KBJobs_Data_Snapshot::$computed - $before;
		$this->assertSame( 1, $computed, 'an expired snapshot is computed again, once' );
		$this->assertGreaterThan( 0, $first['seq'] );
		$this->assertSame( $first['seq'], $again['seq'], 'a fresh one is served as kept' );
		$this->assertSame( $first['at'], $again['at'] );
		\KBJobs_Data_Snapshot::expire();
		$third = \KBJobs_Data_Snapshot::get();
		$this->assertSame( $first['seq'] + 1, $third['seq'], 'each kept computation counts one' );
		$this->assertSame( 2, \KBJobs_Data_Snapshot::$computed - $before );
	}

	public function test_waiting_lists_queued_jobs_with_their_reasons_a_page_at_a_time(): void {
		$engine = \KBJobs_Engine::get();
		$ids    = array();
		for ( $i = 0; $i < 3; $i++ ) {
			$ids[] = $engine->submit( 'diag.echo', array( 'x' => self::XSS ), array( 'queue' => self::QUEUE, 'delay' => 3600 ) );
		}
		$r = self::get(
			'/waiting',
			array(
				'queue'    => self::QUEUE,
				'per_page' => 2,
				'view'     => 'queue',
			)
		);
		$this->assertSame( 200, $r->get_status() );
		$page = $r->get_data();
		$this->assertSame( array( $ids[2], $ids[1] ), array_column( $page['jobs'], 'id' ), 'newest first' );
		$this->assertSame( 'scheduled', $page['jobs'][0]['waiting']['code'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $page['jobs'][0]['waiting']['until'] );
		$this->assertSame( 'scheduled', $page['texts']['rows'][0]['reason_code'] );
		$this->assertSame( 'Scheduled for later', $page['texts']['rows'][0]['reason'] );
		$this->assertSame( wp_json_encode( array( 'x' => self::XSS ), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ), $page['texts']['rows'][0]['what'] );
		$this->assertNotEmpty( $page['next_cursor'] );
		$this->assertSame( $page['next_cursor'], $r->get_headers()['X-KBJobs-Next-Cursor'] );

		$engine->pauseQueue( self::QUEUE );
		$next = self::get(
			'/waiting',
			array(
				'queue'    => self::QUEUE,
				'per_page' => 2,
				'cursor'   => $page['next_cursor'],
			)
		)->get_data();
		$this->assertSame( array( $ids[0] ), array_column( $next['jobs'], 'id' ) );
		$this->assertSame( 'paused', $next['jobs'][0]['waiting']['code'], 'a paused queue is the first reason' );
		$this->assertNull( $next['next_cursor'] );
		$this->assertArrayNotHasKey( 'texts', $next );

		$this->assertSame( 400, self::get( '/waiting', array( 'queue' => 'Not A Queue' ) )->get_status() );
		wp_set_current_user( self::$users['subscriber'] );
		$this->assertSame( 403, self::get( '/waiting' )->get_status() );
		wp_set_current_user( self::$users['viewer'] );
		$this->assertSame( 200, self::get( '/waiting', array( 'queue' => self::QUEUE ) )->get_status() );
	}

	public function test_the_scheduled_queue_reads_every_cron_event_through_core(): void {
		wp_schedule_single_event( time() - 120, self::HOOK, array( self::XSS, array( 'k' => 'v' ) ) );
		wp_schedule_event( time() + 3600, 'hourly', self::HOOK, array( 'hourly' ) );
		$mine = array_values(
			array_filter(
				\KBJobs_Admin_Cron::events(),
				static function ( $e ) {
					return self::HOOK === $e['hook'];
				}
			)
		);
		$this->assertCount( 2, $mine );
		$this->assertSame( array( self::XSS, array( 'k' => 'v' ) ), $mine[0]['args'] );
		$this->assertFalse( $mine[0]['schedule'] );
		$this->assertSame( 'hourly', $mine[1]['schedule'] );
		$this->assertTrue( \KBJobs_Admin_Cron::is_ours( self::HOOK ) );
		$this->assertFalse( \KBJobs_Admin_Cron::is_ours( 'wp_version_check' ) );

		$html = self::render( new \KBJobs_Admin_Cron() );
		$this->assertStringContainsString( esc_html( wp_json_encode( array( self::XSS, array( 'k' => 'v' ) ), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) ), $html );
		$this->assertStringNotContainsString( '<script>alert', $html );
		$this->assertMatchesRegularExpression( '/Late by 2 mins/', $html );
		$this->assertStringContainsString( 'Once Hourly', $html );
	}

	public function test_every_screen_renders_escaped_and_shows_action_forms_only_to_operators(): void {
		$engine = \KBJobs_Engine::get();
		$engine->submit( 'diag.echo', array( 'x' => self::XSS ), array( 'queue' => self::QUEUE, 'delay' => 3600 ) );
		\KBJobs_Data_Snapshot::expire();
		$screens = array();
		foreach ( \KBJobs_Admin::SCREENS as $class_name ) {
			$screens[] = new $class_name();
		}
		$slugs = array_map(
			static function ( $s ) {
				return $s->slug();
			},
			$screens
		);
		$this->assertSame( array_unique( $slugs ), $slugs, 'slugs are unique' );
		foreach ( array( 'active', 'queue', 'queues', 'runners', 'interrupted', 'cron' ) as $slug ) {
			$this->assertContains( $slug, $slugs );
		}
		foreach ( $screens as $screen ) {
			$html = self::render( $screen );
			$this->assertStringNotContainsString( '<img src=x', $html, $screen->slug() );
			$this->assertStringNotContainsString( '<script>alert', $html, $screen->slug() );
		}
		$queues = self::render( new \KBJobs_Admin_Queues() );
		$this->assertStringContainsString( 'value="queue.pause"', $queues );
		$this->assertStringContainsString( 'value="queue.set"', $queues );
		$this->assertStringContainsString( 'data-kbjobs-poll="/kbjobs/v1/snapshot?view=queues"', $queues );
		$this->assertStringContainsString( '<noscript>', $queues );
		$this->assertStringContainsString( '&lt;img src=x', self::render( new \KBJobs_Admin_Waiting() ) );

		wp_set_current_user( self::$users['viewer'] );
		foreach ( $screens as $screen ) {
			if ( ! current_user_can( $screen->capability() ) ) {
				continue; // Settings needs kbjobs_operate: a viewer has no such page (PluginTest)
			}
			$html = self::render( $screen );
			$this->assertStringNotContainsString( 'admin-post.php', $html, $screen->slug() . ': no action form for a viewer' );
		}
	}

	/** A screen's page as the current user sees it. */
	private static function render( \KBJobs_Admin_Screen $screen ): string {
		ob_start();
		$screen->render_page();
		return (string) ob_get_clean();
	}
}
