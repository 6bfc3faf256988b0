<?php
/**
 * Reconciliation's surfaces against the real site, engine and data directory: the
 * kbjobs/v1/reconcile routes (who may read and act: nobody 401, an editor 403; start 202
 * then 409 with the running job's id; findings page by page along the byte cursor, by
 * kind; a repair is a dry run unless dry_run is false), the Health screen's forms (a
 * nonce per operation, none for a viewer, a bad nonce refused, the operations themselves
 * refusing a viewer), and `wp kb reconcile` through the real WP-CLI (its exit status
 * follows the findings; --async; a repair asks first). Orphans are made by dropping
 * files no record names into artifacts/ and logs/, older than the grace period.
 */

namespace KBJobs\Tests;

final class ReconcileSurfaceTest extends TestCase {

	/** @var array<string,int> User ids by role name. */
	private static $users = array();

	/** @var string[] The stray files this test made (relative to the data directory). */
	private static $strays = array();

	public static function setUpBeforeClass(): void {
		\KBJobs_Engine::get();
		// Files earlier test classes left behind (logs of jobs they deleted, ...) are
		// orphans once past the grace period: how many depends on the run's pace, and the
		// pages and plans these tests read are bounded. They start from empty folders, as
		// ReconcileTest does.
		$dir = \KBJobs_Settings::data_dir();
		foreach ( array( 'artifacts', 'lists', 'logs', 'checkpoints' ) as $folder ) {
			if ( is_dir( "$dir/$folder" ) ) {
				self::run_command( array( 'rm', '-rf', "$dir/$folder" ) );
			}
		}
		add_role( 'kbjobs_recon_watcher', 'KB Jobs watcher', array( 'read' => true, 'kbjobs_view' => true ) );
		foreach ( array( 'administrator', 'editor', 'kbjobs_recon_watcher' ) as $role ) {
			$login = 'recon_' . $role;
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
	}

	public static function tearDownAfterClass(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( self::$users as $id ) {
			wp_delete_user( $id );
		}
		remove_role( 'kbjobs_recon_watcher' );
		self::remove_strays();
		self::stop_running();
		wp_set_current_user( 0 );
		$_POST    = array();
		$_REQUEST = array();
	}

	protected function setUp(): void {
		self::stop_running();
		wp_set_current_user( self::$users['administrator'] );
	}

	protected function tearDown(): void {
		self::remove_strays();
	}

	/** Cancels a reconciliation left queued or running, so the next one may start. */
	private static function stop_running(): void {
		$report = \KBJobs_Reconcile::report();
		if ( null !== $report && in_array( $report['status'], array( 'queued', 'running' ), true ) ) {
			\KBJobs_Engine::get()->cancel( $report['id'] );
		}
	}

	/**
	 * Drops $n artifacts and $n job logs that no record names, two hours old.
	 *
	 * @return string[] Their paths relative to the data directory.
	 */
	private static function strays( int $n ): array {
		$dir  = \KBJobs_Settings::data_dir();
		$made = array();
		for ( $i = 0; $i < $n; $i++ ) {
			$hash  = hash( 'sha256', 'reconcile-surface-test-' . $i . '-' . wp_rand() );
			$made[] = 'artifacts/' . substr( $hash, 0, 2 ) . '/' . $hash . '.json';
			$made[] = 'logs/' . substr( hash( 'sha256', 'job' . $hash ), 0, 16 ) . '.log';
		}
		foreach ( $made as $path ) {
			wp_mkdir_p( dirname( $dir . '/' . $path ) );
			file_put_contents( $dir . '/' . $path, '{"stray":true}' );
			touch( $dir . '/' . $path, time() - 7200 );
		}
		self::$strays = array_merge( self::$strays, $made );
		return $made;
	}

	private static function remove_strays(): void {
		$dir = \KBJobs_Settings::data_dir();
		foreach ( self::$strays as $path ) {
			@unlink( $dir . '/' . $path );
		}
		self::$strays = array();
	}

	/** Starts a reconciliation as the current user and runs it here; returns its report. */
	private static function reconcile( array $args = array( 'grace_seconds' => 60 ) ): array {
		$started = \KBJobs_Actions_Reconcile::start( $args, 'manual' );
		self::assertIsArray( $started, is_wp_error( $started ) ? $started->get_error_message() : '' );
		self::finish( $started['id'] );
		return \KBJobs_Reconcile::report( $started['id'] );
	}

	private static function finish( string $id ): void {
		$queue = \KBJobs_Engine::get()->get( $id )->queue;
		for ( $i = 0; $i < 20 && in_array( \KBJobs_Engine::get()->get( $id )->status, array( 'queued', 'running' ), true ); $i++ ) {
			\KBJobs_Runner::run(
				array(
					'queues'      => array( $queue ),
					'until_empty' => true,
					'max_seconds' => 60,
				),
				false
			);
		}
		self::assertSame( 'completed', \KBJobs_Engine::get()->get( $id )->status );
	}

	private static function request( string $method, string $route, array $params = array() ): \WP_REST_Response {
		$request = new \WP_REST_Request( $method, '/kbjobs/v1' . $route );
		if ( 'GET' === $method ) {
			$request->set_query_params( $params );
		} else {
			$request->set_header( 'content-type', 'application/json' );
			$request->set_body( wp_json_encode( (object) $params ) );
		}
		return rest_do_request( $request );
	}

	public function test_rest_refuses_nobody_with_401_and_an_editor_with_403_on_every_route(): void {
		$id     = self::reconcile()['id'];
		$routes = array(
			array( 'GET', '/reconcile', array() ),
			array( 'GET', '/reconcile/' . $id, array() ),
			array( 'GET', '/reconcile/' . $id . '/findings', array() ),
			array( 'POST', '/reconcile', array() ),
			array( 'POST', '/reconcile/' . $id . '/repair', array( 'kinds' => array( 'orphans' ) ) ),
		);
		foreach ( array( 0 => 401, self::$users['editor'] => 403 ) as $user => $status ) {
			wp_set_current_user( $user );
			foreach ( $routes as list( $method, $route, $params ) ) {
				$r = self::request( $method, $route, $params );
				$this->assertSame( $status, $r->get_status(), "$method $route as user $user" );
				$this->assertSame( 'rest_forbidden', $r->get_data()['code'], "$method $route" );
			}
		}
		// kbjobs_view reads, and only reads.
		wp_set_current_user( self::$users['kbjobs_recon_watcher'] );
		$this->assertSame( 200, self::request( 'GET', '/reconcile/' . $id )->get_status() );
		$this->assertSame( 403, self::request( 'POST', '/reconcile' )->get_status() );
		$this->assertSame( 403, self::request( 'POST', '/reconcile/' . $id . '/repair', array( 'kinds' => 'orphans' ) )->get_status() );
		$this->assertSame( $id, \KBJobs_Reconcile::report()['id'], 'nothing was started by those refused' );
	}

	public function test_post_starts_one_with_202_and_a_second_is_409_naming_the_first(): void {
		$r = self::request( 'POST', '/reconcile', array( 'grace_seconds' => 60 ) );
		$this->assertSame( 202, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$id = $r->get_data()['id'];
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{16}$/', $id );
		$this->assertStringEndsWith( '/kbjobs/v1/reconcile/' . $id, $r->get_headers()['Location'] );

		$again = self::request( 'POST', '/reconcile' );
		$this->assertSame( 409, $again->get_status() );
		$this->assertSame( 'kbjobs_reconcile_running', $again->get_data()['code'] );
		$this->assertSame( $id, $again->get_data()['data']['id'] );

		$latest = self::request( 'GET', '/reconcile' );
		$this->assertSame( 200, $latest->get_status() );
		$this->assertSame( $id, $latest->get_data()['id'] );
		$this->assertContains( $latest->get_data()['status'], array( 'queued', 'running' ) );

		self::finish( $id );
		$done = self::request( 'GET', '/reconcile/' . $id )->get_data();
		$this->assertSame( 'completed', $done['status'] );
		$this->assertSame( 100, $done['progress'] );
		$kinds = array_keys( $done['counts'] );
		sort( $kinds );
		$this->assertSame( array( 'dangling', 'drift', 'ghost', 'orphan', 'unsafe' ), $kinds );
		$this->assertSame( array_sum( $done['counts'] ), $done['total'] );
		$this->assertSame( 202, self::request( 'POST', '/reconcile' )->get_status(), 'a finished run lets the next one start' );

		$this->assertSame( 404, self::request( 'GET', '/reconcile/0123456789abcdef' )->get_status() );
		$this->assertSame( 404, self::request( 'GET', '/reconcile/..%2F..%2Fetc' )->get_status(), 'an id that is a path matches no route' );
	}

	public function test_findings_come_page_by_page_along_the_cursor_and_by_kind(): void {
		$strays = self::strays( 2 );
		$report = self::reconcile();
		$this->assertGreaterThanOrEqual( 4, $report['counts']['orphan'] );

		$seen   = array();
		$paths  = array();
		$cursor = 0;
		$pages  = 0;
		do {
			$r = self::request( 'GET', '/reconcile/' . $report['id'] . '/findings', array( 'cursor' => $cursor, 'per_page' => 1 ) );
			$this->assertSame( 200, $r->get_status(), wp_json_encode( $r->get_data() ) );
			$this->assertLessThanOrEqual( 1, count( $r->get_data() ) );
			foreach ( $r->get_data() as $finding ) {
				$seen[] = wp_json_encode( $finding );
				$paths[] = $finding['kind'] . ' ' . ( $finding['path'] ?? '' );
			}
			$next = $r->get_headers()['X-KBJobs-Next-Cursor'] ?? null;
			if ( null !== $next ) {
				$this->assertGreaterThan( $cursor, (int) $next, 'the cursor moves forward' );
				$this->assertStringContainsString( 'cursor=' . $next, $r->get_headers()['Link'] );
			}
			$cursor = null !== $next ? (int) $next : null;
			++$pages;
		} while ( null !== $cursor && $pages < 10000 );
		$this->assertSame( $report['total'], count( $seen ), 'every finding once' );
		$this->assertSame( count( $seen ), count( array_unique( $seen ) ), 'no finding twice' );
		foreach ( $strays as $path ) {
			$this->assertContains( 'orphan ' . $path, $paths );
		}

		$orphans = self::request( 'GET', '/reconcile/' . $report['id'] . '/findings', array( 'kind' => 'orphan', 'per_page' => 1000 ) )->get_data();
		$this->assertCount( $report['counts']['orphan'], $orphans );
		$this->assertSame( array( 'orphan' ), array_values( array_unique( array_column( $orphans, 'kind' ) ) ) );
		$this->assertSame( 400, self::request( 'GET', '/reconcile/' . $report['id'] . '/findings', array( 'kind' => 'weird' ) )->get_status() );
		$this->assertSame( 400, self::request( 'GET', '/reconcile/' . $report['id'] . '/findings', array( 'cursor' => -1 ) )->get_status() );
	}

	public function test_a_repair_is_a_dry_run_unless_dry_run_is_false(): void {
		$strays = self::strays( 1 );
		$id     = self::reconcile()['id'];
		$dir    = \KBJobs_Settings::data_dir();

		$plan = self::request( 'POST', '/reconcile/' . $id . '/repair', array( 'kinds' => array( 'orphans' ) ) );
		$this->assertSame( 200, $plan->get_status(), wp_json_encode( $plan->get_data() ) );
		$data = $plan->get_data();
		$this->assertSame( $id, $data['job'] );
		$this->assertArrayHasKey( 'actions', $data );
		$this->assertArrayNotHasKey( 'quarantined', $data, 'the plan, not a repair' );
		$this->assertGreaterThanOrEqual( 2, $data['counts']['orphans']['quarantine'] );
		$this->assertContains( $strays[0], array_column( $data['actions'], 'path' ) );
		foreach ( $strays as $path ) {
			$this->assertFileExists( $dir . '/' . $path, 'a dry run moves nothing' );
		}
		$this->assertSame( 200, self::request( 'POST', '/reconcile/' . $id . '/repair', array( 'kinds' => 'orphans', 'dry_run' => true ) )->get_status() );

		$this->assertSame( 400, self::request( 'POST', '/reconcile/' . $id . '/repair', array( 'kinds' => array( 'everything' ) ) )->get_status() );
		$this->assertSame( 400, self::request( 'POST', '/reconcile/' . $id . '/repair' )->get_status(), 'kinds are required' );

		$done = self::request( 'POST', '/reconcile/' . $id . '/repair', array( 'kinds' => array( 'orphans' ), 'dry_run' => false ) );
		$this->assertSame( 200, $done->get_status(), wp_json_encode( $done->get_data() ) );
		$this->assertArrayHasKey( 'quarantined', $done->get_data() );
		$this->assertArrayHasKey( 'refetch_job', $done->get_data() );
		$this->assertArrayNotHasKey( 'actions', $done->get_data() );
	}

	public function test_the_health_screen_forms_carry_a_nonce_per_operation_and_refuse_without_one(): void {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/admin.php';
		self::strays( 1 );
		$id = self::reconcile()['id'];
		set_current_screen( 'kb-jobs_page_kbjobs-health' );
		$_GET = array( 'repair' => 'orphans' );
		$html = self::render();
		$_GET = array();
		foreach ( array( 'reconcile.run', 'reconcile.repair' ) as $op ) {
			$this->assertMatchesRegularExpression( '/<form method="post" action="[^"]*admin-post\.php"[^>]*>.*?name="op" value="' . preg_quote( $op, '/' ) . '"/s', $html, $op );
			preg_match( '/value="' . preg_quote( $op, '/' ) . '"><input type="hidden" id="_wpnonce" name="_wpnonce" value="([0-9a-f]+)"/', $html, $m );
			$this->assertNotEmpty( $m, $op . ' has a nonce' );
			$this->assertSame( 1, wp_verify_nonce( $m[1], 'kbjobs-' . $op ), $op . ': the nonce is for this operation' );
			$this->assertFalse( wp_verify_nonce( $m[1], 'kbjobs-job.cancel' ), $op . ': and no other' );
		}
		$this->assertStringContainsString( 'value="' . $id . '"', $html, 'the repair names its report' );
		$this->assertStringContainsString( 'kbjobs-plan-actions', $html, 'the dry run is shown before the button' );

		// A bad nonce dies before anything runs.
		$before = \KBJobs_Reconcile::report()['id'];
		$die    = static function () {
			return static function ( $message ) {
				throw new \RuntimeException( 'wp_die: ' . ( is_string( $message ) ? $message : '' ) );
			};
		};
		add_filter( 'wp_die_handler', $die );
		$_POST    = array(
			'action'   => 'kbjobs',
			'op'       => 'reconcile.run',
			'_wpnonce' => 'not-a-nonce',
		);
		$_REQUEST = $_POST;
		try {
			\KBJobs_Admin_Forms::handle();
			$this->fail( 'a bad nonce is refused' );
		} catch ( \RuntimeException $e ) {
			$this->assertStringStartsWith( 'wp_die', $e->getMessage() );
		} finally {
			remove_filter( 'wp_die_handler', $die );
			$_POST    = array();
			$_REQUEST = array();
		}
		$this->assertSame( $before, \KBJobs_Reconcile::report()['id'], 'nothing started' );

		// A viewer sees the page without a form, and the operations refuse them anyway.
		wp_set_current_user( self::$users['kbjobs_recon_watcher'] );
		$html = self::render();
		$this->assertStringContainsString( 'kbjobs-findings', $html );
		$this->assertStringNotContainsString( 'admin-post.php', $html );
		$denied = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_audit WHERE action = 'reconcile.start' AND outcome = 'denied'" );
		$result = \KBJobs_Admin_Health::form( 'reconcile.run' );
		$this->assertSame( 'kbjobs_forbidden', $result->get_error_code() );
		$_POST  = array(
			'id'    => $id,
			'kinds' => 'orphans',
		);
		$result = \KBJobs_Admin_Health::form( 'reconcile.repair' );
		$_POST  = array();
		$this->assertSame( 'kbjobs_forbidden', $result->get_error_code() );
		$this->assertSame( $before, \KBJobs_Reconcile::report()['id'], 'nothing started' );
		$this->assertSame( $denied + 1, (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_audit WHERE action = 'reconcile.start' AND outcome = 'denied'" ), 'the refusal is audited' );

		// An operator starts one; a second is refused with the running job's id.
		wp_set_current_user( self::$users['administrator'] );
		$first = \KBJobs_Admin_Health::form( 'reconcile.run' );
		$this->assertIsArray( $first );
		$running = \KBJobs_Reconcile::report()['id'];
		$this->assertStringContainsString( 'job=' . $running, $first['redirect'] );
		$second = \KBJobs_Admin_Health::form( 'reconcile.run' );
		$this->assertSame( 'kbjobs_reconcile_running', $second->get_error_code() );
		$this->assertSame( $running, $second->get_error_data()['id'] );
	}

	private static function render(): string {
		ob_start();
		( new \KBJobs_Admin_Health() )->render_page();
		return (string) ob_get_clean();
	}

	public function test_wp_kb_reconcile_exits_1_while_findings_remain_and_0_when_none(): void {
		self::strays( 1 );
		list( $rc, $out, $err ) = self::wp( 'kb', 'reconcile', '--grace-seconds=60', '--format=count' );
		$this->assertSame( 1, $rc, $out . $err );
		$this->assertGreaterThanOrEqual( 2, (int) trim( $out ), 'count prints the number only' );
		$this->assertStringContainsString( 'completed, 100%', $err, 'the progress line, on STDERR' );

		list( $rc, $out, $err ) = self::wp( 'kb', 'reconcile', '--grace-seconds=60', '--format=json', '--kind=orphan' );
		$this->assertSame( 1, $rc, $err );
		$report = json_decode( $out, true );
		$this->assertIsArray( $report, $out );
		$this->assertSame( array( 'orphan' ), array_values( array_unique( array_column( $report['findings'], 'kind' ) ) ) );
		$this->assertContains( self::$strays[0], array_column( $report['findings'], 'path' ) );

		// Answering no to the repair's question changes nothing.
		list( $rc, $out ) = self::run_command( array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'reconcile', '--grace-seconds=60', '--repair=orphans' ), "n\n" );
		$this->assertStringContainsString( 'Repair orphans: ', $out, 'the dry run is shown first' );
		$this->assertStringContainsString( 'Repair orphans of reconciliation', $out, 'then the question' );
		$this->assertStringNotContainsString( 'Repair done', $out );
		$this->assertFileExists( \KBJobs_Settings::data_dir() . '/' . self::$strays[0] );

		list( $rc, $out, $err ) = self::wp( 'kb', 'reconcile', '--repair=nonsense' );
		$this->assertSame( 1, $rc );
		$this->assertStringContainsString( 'not a repair kind', $err );

		// Files younger than the grace period are no findings: with only those, 0.
		self::remove_strays();
		list( $rc, $out, $err ) = self::wp( 'kb', 'reconcile', '--grace-seconds=86400', '--format=json' );
		$report = json_decode( $out, true );
		$this->assertIsArray( $report, $out . $err );
		$this->assertSame( $report['total'] > 0 ? 1 : 0, $rc, 'exit 1 exactly when findings remain: ' . $out );

		list( $rc, $out ) = self::wp( 'kb', 'reconcile', '--async' );
		$this->assertSame( 0, $rc );
		$this->assertMatchesRegularExpression( '/queued as job ([0-9a-f]{16})/', $out );
		list( $rc, , $err ) = self::wp( 'kb', 'reconcile', '--async' );
		$this->assertSame( 1, $rc, 'one at a time' );
		$this->assertStringContainsString( 'already queued or running', $err );
		list( $rc, $out ) = self::wp( 'kb', 'reconcile', 'report', '--field=status' );
		$this->assertSame( 0, $rc );
		$this->assertSame( 'queued', trim( $out ) );
	}
}
