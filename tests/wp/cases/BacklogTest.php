<?php
/**
 * Held backlogs and queue feeding against the real site and engine: held jobs stay held
 * through a runner until their backlog is released (then they run); one released backlog
 * feeds a `local` queue (concurrency 1) and a `cloud` queue (concurrency 10, rate
 * limited) through real `wp kb work` runners, with the reasons each queue is not fed
 * seen in its rows while they drain; the REST routes' permissions and audit; `wp kb
 * backlog` and `wp kb queue watch --count=2 --format=json` through the real WP-CLI.
 */

namespace KBJobs\Tests;

final class BacklogTest extends TestCase {

	const LOCAL = 'bt-local';
	const CLOUD = 'bt-cloud';
	/** A queue of its own for the watch test: started_last_minute counts the minute metrics, which other tests' runs on bt-local fill. */
	const WATCH = 'bt-watch';

	/** @var array<string,int> User ids by role name. */
	private static $users = array();

	public static function setUpBeforeClass(): void {
		\KBJobs_Engine::get();
		add_role( 'kbjobs_bt_watcher', 'KB Jobs watcher', array( 'read' => true, 'kbjobs_view' => true ) );
		foreach ( array( 'administrator', 'subscriber', 'kbjobs_bt_watcher' ) as $role ) {
			$login = 'bt_' . $role;
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
		rest_get_server(); // fires rest_api_init: the routes are registered
	}

	public static function tearDownAfterClass(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( self::$users as $id ) {
			wp_delete_user( $id );
		}
		remove_role( 'kbjobs_bt_watcher' );
		self::clean();
		wp_set_current_user( 0 );
	}

	protected function setUp(): void {
		self::clean();
		wp_set_current_user( self::$users['administrator'] );
	}

	private static function clean(): void {
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue IN (%s, %s) OR backlog LIKE %s", self::LOCAL, self::CLOUD, 'bt-%' ) ) );
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_queues WHERE name IN (%s, %s)", self::LOCAL, self::CLOUD ) );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_audit" );
	}

	/** Submits $n held jobs of $type to $queue in $backlog; their ids. */
	private static function held( int $n, string $queue, string $backlog, string $type = 'diag.echo', array $params = array() ): array {
		$jobs = array();
		for ( $i = 0; $i < $n; $i++ ) {
			$jobs[] = array(
				'type'    => $type,
				'params'  => $params + array( 'i' => $i ),
				'queue'   => $queue,
				'backlog' => $backlog,
				'hold'    => true,
			);
		}
		return \KBJobs_Engine::get()->submitMany( $jobs );
	}

	/** The statuses of jobs, counted: status => n. */
	private static function statuses( array $ids ): array {
		$engine = \KBJobs_Engine::get();
		return array_count_values(
			array_map(
				static function ( $id ) use ( $engine ) {
					return $engine->get( $id )->status;
				},
				$ids
			)
		);
	}

	private static function request( string $method, string $route ): \WP_REST_Response {
		return rest_do_request( new \WP_REST_Request( $method, '/kbjobs/v1' . $route ) );
	}

	public function test_held_jobs_stay_held_through_a_runner_until_released_then_run(): void {
		$ids    = self::held( 5, self::LOCAL, 'bt-hold', 'diag.echo', array( 'message' => 'hi' ) );
		$engine = \KBJobs_Engine::get();

		$report = $engine->run( array( 'queues' => array( self::LOCAL ), 'until_empty' => true, 'max_seconds' => 10 ) );
		$this->assertSame( 0, $report['claimed'] );
		$this->assertSame( array( 'held' => 5 ), self::statuses( $ids ) );
		$queue = \KBJobs_Data_Queues::get( self::LOCAL );
		$this->assertSame( 5, $queue['backlog'] );
		$this->assertSame( 0, $queue['queued'] );
		$this->assertSame( 'held: 5 in backlog bt-hold', $queue['reason'] );
		$this->assertSame( 'held: 5 in backlog bt-hold', \KBJobs_Admin_Queues::reason_text( $queue ) );

		$result = \KBJobs_Actions_Backlogs::release( 'bt-hold' );
		$this->assertIsArray( $result );
		$this->assertSame( 5, $result['released'] );
		$this->assertSame( 5, $result['backlog']['queued'] );
		$this->assertSame( 0, $result['backlog']['held'] );
		$entry = $engine->auditLog( array( 'limit' => 5 ) )['entries'][0];
		$this->assertSame( 'backlog.release', $entry['action'] );
		$this->assertSame( 'bt-hold', $entry['target'] );
		$this->assertSame( 'ok', $entry['outcome'] );

		$report = $engine->run( array( 'queues' => array( self::LOCAL ), 'until_empty' => true, 'max_seconds' => 30 ) );
		$this->assertSame( 5, $report['completed'] );
		$this->assertSame( array( 'completed' => 5 ), self::statuses( $ids ) );
		$this->assertSame( 'nothing due', \KBJobs_Data_Queues::get( self::LOCAL )['reason'] );
	}

	public function test_one_released_backlog_feeds_a_local_and_a_cloud_queue_at_their_pace_with_reasons(): void {
		$engine = \KBJobs_Engine::get();
		$engine->setQueue( self::LOCAL, 1 );
		$engine->setQueue( self::CLOUD, 10, 5, 1000 ); // 10 at once, 5 starts a second
		$local = self::held( 4, self::LOCAL, 'bt-mix', 'diag.sleep', array( 'seconds' => 0.3 ) );
		$cloud = self::held( 20, self::CLOUD, 'bt-mix' );
		$this->assertSame( 'held: 4 in backlog bt-mix', \KBJobs_Data_Queues::get( self::LOCAL )['reason'] );
		$this->assertSame( 'held: 20 in backlog bt-mix', \KBJobs_Data_Queues::get( self::CLOUD )['reason'] );
		$this->assertSame( 24, \KBJobs_Data_Backlogs::get( 'bt-mix' )['held'] );

		$this->assertSame( 24, \KBJobs_Actions_Backlogs::release( 'bt-mix' )['released'] );
		// Two runners per queue: only the limits hold the queues back, not the runners.
		$procs = array();
		foreach ( array( self::LOCAL, self::LOCAL, self::CLOUD, self::CLOUD ) as $queue ) {
			$procs[] = proc_open(
				array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work', '--queues=' . $queue, '--no-cron', '--until-empty', '--due-within=0', '--max-seconds=60' ),
				array(
					1 => array( 'file', '/dev/null', 'w' ),
					2 => array( 'file', '/dev/null', 'w' ),
				),
				$pipes
			);
		}
		$seen     = array(
			self::LOCAL => array(),
			self::CLOUD => array(),
		);
		$max_run  = array(
			self::LOCAL => 0,
			self::CLOUD => 0,
		);
		$deadline = microtime( true ) + 60;
		do {
			foreach ( array( self::LOCAL, self::CLOUD ) as $queue ) {
				$q = \KBJobs_Data_Queues::get( $queue, true );
				if ( null !== $q['reason'] ) {
					$seen[ $queue ][ preg_replace( '/\d\d:\d\d:\d\d/', 'HH:MM:SS', $q['reason'] ) ] = $q;
				}
				$max_run[ $queue ] = max( $max_run[ $queue ], $q['running'] );
			}
			$left = self::statuses( array_merge( $local, $cloud ) );
			usleep( 20000 );
		} while ( ( $left['completed'] ?? 0 ) < 24 && microtime( true ) < $deadline );
		foreach ( $procs as $proc ) {
			proc_close( $proc );
		}

		$this->assertSame( array( 'completed' => 24 ), self::statuses( array_merge( $local, $cloud ) ) );
		$this->assertArrayHasKey( 'at concurrency 1/1', $seen[ self::LOCAL ], implode( ', ', array_keys( $seen[ self::LOCAL ] ) ) );
		$this->assertLessThanOrEqual( 1, $max_run[ self::LOCAL ] );
		$this->assertArrayHasKey( 'rate limited until HH:MM:SS UTC', $seen[ self::CLOUD ], implode( ', ', array_keys( $seen[ self::CLOUD ] ) ) );
		$limited = $seen[ self::CLOUD ]['rate limited until HH:MM:SS UTC'];
		$this->assertSame( 'rate', $limited['reason_code'] );
		// the next token of a 5-a-second bucket is at most a fifth of a second away
		$this->assertLessThanOrEqual( 1, abs( strtotime( $limited['reason_until'] ) - time() ) );
		$this->assertLessThanOrEqual( 10, $max_run[ self::CLOUD ] );
		// every job of the backlog done, none held, and nothing left to feed
		$backlog = \KBJobs_Data_Backlogs::get( 'bt-mix', true );
		$this->assertSame( 24, $backlog['completed'] );
		$this->assertSame( 0, $backlog['held'] );
		$this->assertSame( 'nothing due', \KBJobs_Data_Queues::get( self::CLOUD )['reason'] );
	}

	public function test_rest_lists_backlogs_for_viewers_and_releases_for_operators_only(): void {
		self::held( 3, self::LOCAL, 'bt-rest' );

		wp_set_current_user( self::$users['subscriber'] );
		$this->assertSame( 403, self::request( 'GET', '/backlogs' )->get_status() );
		$this->assertSame( 403, self::request( 'POST', '/backlogs/bt-rest/release' )->get_status() );
		wp_set_current_user( 0 );
		$this->assertSame( 401, self::request( 'POST', '/backlogs/bt-rest/release' )->get_status() );

		wp_set_current_user( self::$users['kbjobs_bt_watcher'] );
		$list = self::request( 'GET', '/backlogs' );
		$this->assertSame( 200, $list->get_status() );
		$rows = array_column( $list->get_data(), null, 'name' );
		$this->assertSame( 3, $rows['bt-rest']['held'] );
		$this->assertSame( 403, self::request( 'POST', '/backlogs/bt-rest/release' )->get_status() );
		$this->assertSame( 3, \KBJobs_Data_Backlogs::get( 'bt-rest' )['held'] );

		wp_set_current_user( self::$users['administrator'] );
		$this->assertSame( 404, self::request( 'POST', '/backlogs/Not%20A%20Name/release' )->get_status() );
		$released = self::request( 'POST', '/backlogs/bt-rest/release' );
		$this->assertSame( 200, $released->get_status(), wp_json_encode( $released->get_data() ) );
		$this->assertSame( 3, $released->get_data()['released'] );
		$this->assertSame( 3, $released->get_data()['backlog']['queued'] );
		$again = self::request( 'POST', '/backlogs/bt-rest/release' );
		$this->assertSame( 0, $again->get_data()['released'] );
		$entries = \KBJobs_Engine::get()->auditLog( array( 'limit' => 10 ) )['entries'];
		$this->assertSame( 'backlog.release', $entries[0]['action'] );
		$this->assertSame( 'rest', $entries[0]['source'] );
	}

	public function test_backlog_and_queue_watch_commands_through_the_real_wp(): void {
		self::held( 2, self::WATCH, 'bt-cli' );

		list( $code, $out, $err ) = self::wp( 'kb', 'queue', 'watch', '--count=2', '--interval=0.2', '--format=json' );
		$this->assertSame( 0, $code, $err );
		$lines = explode( "\n", trim( $out ) );
		$this->assertCount( 2, $lines, $out );
		foreach ( $lines as $line ) {
			$snapshot = json_decode( $line, true );
			$this->assertSame( array( 'at', 'queues' ), array_keys( $snapshot ), $line );
			$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $snapshot['at'] );
			$queues = array_column( $snapshot['queues'], null, 'name' );
			$this->assertSame(
				array(
					'name'                => self::WATCH,
					'backlog'             => 2,
					'queued'              => 0,
					'running'             => 0,
					'limit'               => null,
					'started_last_minute' => 0,
					'reason'              => 'held: 2 in backlog bt-cli',
					'reason_code'         => 'held',
					'reason_until'        => null,
				),
				$queues[ self::WATCH ]
			);
		}
		list( $code, $out ) = self::wp( 'kb', 'queue', 'watch', '--count=1' );
		$this->assertSame( 0, $code );
		$this->assertStringContainsString( 'held: 2 in backlog bt-cli', $out );
		list( $code, , $err ) = self::wp( 'kb', 'queue', 'watch', '--count=0' );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( '--count must be', $err );

		list( $code, $out ) = self::wp( 'kb', 'backlog', 'list', '--format=json' );
		$this->assertSame( 0, $code );
		$rows = array_column( json_decode( $out, true ), null, 'name' );
		$this->assertSame( 2, $rows['bt-cli']['held'] );
		list( $code, $out, $err ) = self::wp( 'kb', 'backlog', 'release', 'bt-cli', '--yes' );
		$this->assertSame( 0, $code, $err );
		$this->assertStringContainsString( 'Released 2 held jobs of backlog bt-cli.', $out );
		list( $code, , $err ) = self::wp( 'kb', 'backlog', 'release', 'Bad Name', '--yes' );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( 'not a backlog name', $err );
		$this->assertSame( 2, \KBJobs_Data_Queues::get( self::WATCH )['queued'] );
	}

	public function test_the_queues_screen_shows_backlog_and_reason_and_a_release_form_to_operators(): void {
		self::held( 2, self::LOCAL, 'bt-screen' );
		\KBJobs_Data_Snapshot::expire();
		$html = self::render( new \KBJobs_Admin_Queues() );
		$this->assertStringContainsString( '>Backlog</th>', $html );
		$this->assertStringContainsString( '>Reason</th>', $html );
		$this->assertStringContainsString( 'held: 2 in backlog bt-screen', $html );
		$this->assertStringContainsString( 'held in bt-screen', $html );
		$this->assertMatchesRegularExpression( '/<tr data-kbjobs-backlog="bt-screen">.*value="backlog\.release".*name="_wpnonce" value="[0-9a-f]{10}".*name="name" value="bt-screen".*>Release</s', $html );
		$texts = \KBJobs_Admin_Queues::texts( \KBJobs_Data_Snapshot::get() );
		$rows  = array_column( $texts['queues'], null, 'id' );
		$this->assertSame( 'held: 2 in backlog bt-screen', $rows[ self::LOCAL ]['reason'] );
		$this->assertSame( '2', $rows[ self::LOCAL ]['backlog'] );

		wp_set_current_user( self::$users['kbjobs_bt_watcher'] );
		$html = self::render( new \KBJobs_Admin_Queues() );
		$this->assertStringContainsString( 'held: 2 in backlog bt-screen', $html );
		$this->assertStringNotContainsString( 'backlog.release', $html );
	}

	public function test_a_manifest_dispatched_held_runs_only_once_its_backlog_is_released(): void {
		$file = tempnam( sys_get_temp_dir(), 'bt-manifest' );
		try {
			list( $code, , $err ) = self::wp( 'kb', 'plan', 'system-test', '--count=12', '--mode=echo', '--queue=' . self::LOCAL . ',' . self::CLOUD, '--output=' . $file );
			$this->assertSame( 0, $code, $err );
			list( $code, $out, $err ) = self::wp( 'kb', 'dispatch', $file, '--backlog=bt-manifest', '--hold' );
			$this->assertSame( 0, $code, $out . $err );
			$backlog = \KBJobs_Data_Backlogs::get( 'bt-manifest', true );
			$this->assertSame( 12, $backlog['held'] );
			// dispatching it again adds nothing: each line's unique key finds its held job
			list( $code, $out, $err ) = self::wp( 'kb', 'dispatch', $file, '--backlog=bt-manifest', '--hold' );
			$this->assertSame( 0, $code, $out . $err );
			$this->assertSame( 12, \KBJobs_Data_Backlogs::get( 'bt-manifest', true )['held'] );

			$engine = \KBJobs_Engine::get();
			$report = $engine->run( array( 'queues' => array( self::LOCAL, self::CLOUD ), 'until_empty' => true, 'max_seconds' => 10 ) );
			$this->assertSame( 0, $report['claimed'] );
			list( $code, $out ) = self::wp( 'kb', 'verify', $file, '--format=json' );
			$this->assertNotSame( 0, $code, 'verify fails while lines are held' );
			$this->assertStringContainsString( 'pending', $out );

			list( $code, $out, $err ) = self::wp( 'kb', 'backlog', 'release', 'bt-manifest', '--yes' );
			$this->assertSame( 0, $code, $err );
			$this->assertStringContainsString( 'Released 12 held jobs', $out );
			$report = $engine->run( array( 'queues' => array( self::LOCAL, self::CLOUD ), 'until_empty' => true, 'max_seconds' => 30 ) );
			$this->assertSame( 12, $report['completed'] );
			list( $code, $out, $err ) = self::wp( 'kb', 'verify', $file );
			$this->assertSame( 0, $code, $out . $err );
		} finally {
			unlink( $file );
		}
	}

	/** A screen's page as the current user sees it. */
	private static function render( \KBJobs_Admin_Screen $screen ): string {
		ob_start();
		$screen->render_page();
		return (string) ob_get_clean();
	}
}
