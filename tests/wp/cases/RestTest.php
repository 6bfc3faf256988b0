<?php
/**
 * The kbjobs/v1 REST API through rest_do_request() against the real site and engine:
 * every route's success and its 400/401/403/404/409 answers as administrator, editor,
 * subscriber, a read-only "watcher" (kbjobs_view only) and nobody; schemas on every
 * route; ids that are paths; sort keys outside the allow-list; hostile strings that come
 * back as JSON text; one audit row per action with its user and source. Authentication
 * over real HTTP (cookies and nonces, application passwords) is RestHttpTest's.
 */

namespace KBJobs\Tests;

final class RestTest extends TestCase {

	const QUEUE = 'rest-test';
	const XSS   = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';

	/** @var array<string,int> User ids by role name. */
	private static $users = array();

	public static function setUpBeforeClass(): void {
		\KBJobs_Engine::get();
		self::clean();
		add_role( 'kbjobs_watcher', 'KB Jobs watcher', array( 'read' => true, 'kbjobs_view' => true ) );
		foreach ( array( 'administrator', 'editor', 'subscriber', 'kbjobs_watcher' ) as $role ) {
			$login = 'rest_' . $role;
			$user  = get_user_by( 'login', $login );
			if ( $user ) {
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
		remove_role( 'kbjobs_watcher' );
		self::clean();
		wp_set_current_user( 0 );
	}

	protected function setUp(): void {
		self::clean();
		wp_set_current_user( self::$users['administrator'] );
	}

	private static function clean(): void {
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s OR type LIKE %s", self::QUEUE, 'resttest%' ) ) );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_failures" );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_audit" );
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_queues WHERE name = %s", self::QUEUE ) );
	}

	/**
	 * Runs a request in this process as the current user.
	 *
	 * @param array<string,mixed> $params Query (GET) or body (POST) params.
	 */
	private static function request( string $method, string $route, array $params = array() ): \WP_REST_Response {
		$request = new \WP_REST_Request( $method, '/kbjobs/v1' . $route );
		if ( 'GET' === $method ) {
			$request->set_query_params( $params );
		} else {
			$request->set_header( 'content-type', 'application/json' );
			$request->set_body( wp_json_encode( $params ) );
		}
		return rest_do_request( $request );
	}

	/** Submits queued jobs due in an hour (nobody runs them), newest last. */
	private static function queued( int $n, array $params = array(), string $type = 'diag.echo' ): array {
		$ids = array();
		for ( $i = 0; $i < $n; $i++ ) {
			$ids[] = \KBJobs_Engine::get()->submit( $type, $params + array( 'i' => $i ), array( 'queue' => self::QUEUE, 'delay' => 3600 ) );
		}
		return $ids;
	}

	/** Jobs that failed for good, through the engine's own runner. */
	private static function failed( int $n, string $message = 'it broke' ): array {
		$engine = \KBJobs_Engine::get();
		$jobs   = array();
		for ( $i = 0; $i < $n; $i++ ) {
			$jobs[] = array(
				'type'         => 'diag.fail',
				'params'       => array( 'message' => $message, 'retryable' => false ),
				'queue'        => self::QUEUE,
				'max_attempts' => 1,
			);
		}
		$ids = $engine->submitMany( $jobs );
		$engine->run( array( 'queues' => array( self::QUEUE ), 'until_empty' => true, 'max_seconds' => 60 ) );
		return $ids;
	}

	/** The audit entries, newest first. */
	private static function audit(): array {
		return \KBJobs_Engine::get()->auditLog( array( 'limit' => 100 ) )['entries'];
	}

	private function assertError( \WP_REST_Response $r, int $status, string $code ): void {
		$this->assertSame( $status, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$this->assertSame( $code, $r->get_data()['code'], wp_json_encode( $r->get_data() ) );
	}

	public function test_every_route_declares_its_args_and_options_describes_them(): void {
		$routes = rest_get_server()->get_routes( 'kbjobs/v1' );
		foreach ( array( '/jobs', '/jobs/bulk', '/runners', '/queues', '/resources', '/failures', '/failures/resubmit', '/failures/delete', '/alerts', '/interrupted', '/imports', '/imports/uploads', '/audit', '/status' ) as $path ) {
			$this->assertArrayHasKey( '/kbjobs/v1' . $path, $routes, $path );
		}
		unset( $routes['/kbjobs/v1'] ); // WordPress's own index of the namespace
		foreach ( $routes as $route => $handlers ) {
			foreach ( $handlers as $handler ) {
				$this->assertIsCallable( $handler['permission_callback'], $route );
				$this->assertIsArray( $handler['args'], $route );
				foreach ( $handler['args'] as $name => $arg ) {
					$this->assertArrayHasKey( 'type', $arg, "$route: $name has a type" );
				}
			}
		}
		$options = rest_do_request( new \WP_REST_Request( 'OPTIONS', '/kbjobs/v1/jobs' ) )->get_data();
		$args    = $options['endpoints'][0]['args'];
		$this->assertSame( \KBJobs_Data_Jobs::STATUSES, $args['status']['enum'] );
		$this->assertSame( 'date-time', $args['created_after']['format'] );
		$this->assertSame( 1000, $args['per_page']['maximum'] );
		$this->assertSame( 'kbjobs-job', $options['schema']['title'] );
		$this->assertArrayHasKey( 'waiting', $options['schema']['properties'] );
	}

	public function test_jobs_list_filters_searches_and_pages_with_a_keyset_cursor(): void {
		$ids  = self::queued( 5 );
		$seen = array();
		$r    = self::request( 'GET', '/jobs', array( 'queue' => self::QUEUE, 'per_page' => 2 ) );
		$this->assertSame( 200, $r->get_status() );
		while ( true ) {
			foreach ( $r->get_data() as $job ) {
				$seen[] = $job['id'];
				$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $job['created_at'] );
			}
			$next = $r->get_headers()['X-KBJobs-Next-Cursor'] ?? null;
			if ( null === $next ) {
				break;
			}
			$this->assertStringContainsString( 'rel="next"', $r->get_headers()['Link'] );
			$r = self::request( 'GET', '/jobs', array( 'queue' => self::QUEUE, 'per_page' => 2, 'cursor' => $next ) );
		}
		$this->assertSame( array_reverse( $ids ), $seen, 'every job once, newest first' );

		$by_id = self::request( 'GET', '/jobs', array( 'search' => $ids[2] ) )->get_data();
		$this->assertSame( array( $ids[2] ), array_column( $by_id, 'id' ) );
		$this->assertCount( 5, self::request( 'GET', '/jobs', array( 'queue' => self::QUEUE, 'status' => 'queued' ) )->get_data() );
		$this->assertCount( 0, self::request( 'GET', '/jobs', array( 'queue' => self::QUEUE, 'status' => 'failed' ) )->get_data() );
		$this->assertCount( 5, self::request( 'GET', '/jobs', array( 'queue' => self::QUEUE, 'created_after' => gmdate( 'Y-m-d\TH:i:s\Z', time() - 600 ) ) )->get_data() );
		$this->assertCount( 0, self::request( 'GET', '/jobs', array( 'queue' => self::QUEUE, 'created_before' => '2000-01-01T00:00:00Z' ) )->get_data() );
	}

	public function test_jobs_list_refuses_bad_filters_and_sort_keys_outside_the_allow_list(): void {
		$this->assertError( self::request( 'GET', '/jobs', array( 'status' => 'bogus' ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'GET', '/jobs', array( 'orderby' => 'params' ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'GET', '/jobs', array( 'order' => 'asc; DROP TABLE wp_users' ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'GET', '/jobs', array( 'per_page' => 5000 ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'GET', '/jobs', array( 'queue' => '../etc' ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'GET', '/jobs', array( 'created_after' => 'yesterday-ish' ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'GET', '/jobs', array( 'cursor' => "x' OR 1=1" ) ), 400, 'rest_invalid_param' );
	}

	public function test_one_job_with_why_it_waits_and_unknown_or_path_ids(): void {
		list( $id ) = self::queued( 1 );
		$r          = self::request( 'GET', '/jobs/' . $id );
		$this->assertSame( 200, $r->get_status() );
		$job = $r->get_data();
		$this->assertSame( $id, $job['id'] );
		$this->assertSame( 'queued', $job['status'] );
		$this->assertSame( 'scheduled', $job['waiting']['code'] );
		$this->assertMatchesRegularExpression( '/Z$/', $job['waiting']['until'] );

		$this->assertError( self::request( 'GET', '/jobs/0123456789abcdef' ), 404, 'kbjobs_not_found' );
		foreach ( array( '../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', 'ABCDEF0123456789', '0123456789abcdef/../../x' ) as $bad ) {
			$r = self::request( 'GET', '/jobs/' . $bad );
			$this->assertContains( $r->get_status(), array( 400, 404 ), $bad );
			$this->assertStringNotContainsString( 'root:', wp_json_encode( $r->get_data() ) );
		}
		foreach ( array( 'logs', 'attempts' ) as $sub ) {
			$this->assertError( self::request( 'GET', '/jobs/0123456789abcdef/' . $sub ), 404, 'kbjobs_not_found' );
		}
	}

	public function test_cancel_resume_rerun_with_their_conflicts_each_audited(): void {
		list( $id ) = self::queued( 1 );
		$r          = self::request( 'POST', '/jobs/' . $id . '/cancel' );
		$this->assertSame( 200, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$this->assertSame( 'cancelled', $r->get_data()['job']['status'] );
		$this->assertError( self::request( 'POST', '/jobs/' . $id . '/cancel' ), 409, 'kbjobs_conflict' );
		$r = self::request( 'POST', '/jobs/' . $id . '/resume' );
		$this->assertSame( 200, $r->get_status() );
		$this->assertSame( 'queued', $r->get_data()['job']['status'] );
		$this->assertError( self::request( 'POST', '/jobs/' . $id . '/rerun' ), 409, 'kbjobs_conflict' );
		$this->assertError( self::request( 'POST', '/jobs/0123456789abcdef/cancel' ), 404, 'kbjobs_not_found' );

		list( $failed ) = self::failed( 1 );
		$r              = self::request( 'POST', '/jobs/' . $failed . '/rerun' );
		$this->assertSame( 201, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$this->assertSame( $failed, \KBJobs_Engine::get()->get( $r->get_data()['id'] )->rerunOf );

		$audit = self::audit();
		$this->assertSame(
			array( 'job.rerun:ok', 'job.cancel:error', 'job.rerun:error', 'job.resume:ok', 'job.cancel:error', 'job.cancel:ok' ),
			array_map(
				static function ( $e ) {
					return $e['action'] . ':' . $e['outcome'];
				},
				$audit
			)
		);
		foreach ( $audit as $entry ) {
			$this->assertSame( 'rest', $entry['source'] );
			$this->assertSame( self::$users['administrator'], $entry['user_id'] );
			$this->assertSame( 'rest_administrator', $entry['user_login'] );
		}
		$this->assertSame( $id, $audit[5]['target'] );
	}

	public function test_roles_get_what_their_capabilities_allow(): void {
		list( $id ) = self::queued( 1 );
		$reads      = array( '/jobs', '/jobs/' . $id, '/jobs/' . $id . '/logs', '/jobs/' . $id . '/attempts', '/runners', '/queues', '/queues/' . self::QUEUE, '/resources', '/failures', '/alerts', '/interrupted', '/imports', '/audit', '/status' );
		$writes     = array(
			array( '/jobs/' . $id . '/cancel', array() ),
			array( '/jobs', array( 'type' => 'diag.echo' ) ),
			array( '/jobs/bulk', array( 'action' => 'cancel', 'ids' => array( $id ) ) ),
			array( '/queues/' . self::QUEUE, array( 'paused' => true ) ),
			array( '/failures/resubmit', array( 'ids' => array( $id ) ) ),
			array( '/failures/delete', array( 'ids' => array( $id ) ) ),
			array( '/alerts', array( 'action' => 'acknowledge', 'ids' => array( 1 ) ) ),
			array( '/interrupted/' . $id . '/discard', array() ),
			array( '/imports', array( 'urls' => array( 'https://example.com/' ) ) ),
			array( '/imports/' . $id . '/resubmit-failed', array() ),
		);
		$cases      = array(
			0                                   => array( 401, 401 ),
			self::$users['subscriber']          => array( 403, 403 ),
			self::$users['editor']              => array( 403, 403 ),
			self::$users['kbjobs_watcher']      => array( 200, 403 ),
		);
		foreach ( $cases as $user => list( $read_status, $write_status ) ) {
			wp_set_current_user( $user );
			foreach ( $reads as $route ) {
				$r = self::request( 'GET', $route );
				$this->assertSame( $read_status, $r->get_status(), "user $user GET $route: " . wp_json_encode( $r->get_data() ) );
			}
			foreach ( $writes as list( $route, $body ) ) {
				$r = self::request( 'POST', $route, $body );
				$this->assertSame( $write_status, $r->get_status(), "user $user POST $route" );
				$this->assertSame( 'rest_forbidden', $r->get_data()['code'] );
			}
		}
		wp_set_current_user( self::$users['administrator'] );
		$this->assertSame( 'queued', \KBJobs_Engine::get()->get( $id )->status, 'nothing refused was done' );
		$this->assertSame( array(), self::audit(), 'refused requests changed nothing and recorded nothing' );
	}

	public function test_the_capabilities_are_filterable(): void {
		$give = static function ( $caps, $cap ) {
			return 'kbjobs_view' === $cap ? array( 'edit_others_posts' ) : $caps;
		};
		add_filter( 'kbjobs_map_capability', $give, 10, 2 );
		wp_set_current_user( self::$users['editor'] );
		$this->assertSame( 200, self::request( 'GET', '/jobs' )->get_status() );
		$this->assertSame( 403, self::request( 'POST', '/queues/' . self::QUEUE, array( 'paused' => true ) )->get_status() );
		remove_filter( 'kbjobs_map_capability', $give, 10 );
		$this->assertSame( 403, self::request( 'GET', '/jobs' )->get_status() );
	}

	public function test_submit_creates_a_job_and_refuses_bad_input(): void {
		$r = self::request(
			'POST',
			'/jobs',
			array(
				'type'    => 'diag.echo',
				'params'  => array( 'x' => 1 ),
				'options' => array(
					'queue'  => self::QUEUE,
					'run_at' => gmdate( 'Y-m-d\TH:i:s\Z', time() + 3600 ),
				),
			)
		);
		$this->assertSame( 201, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$job = $r->get_data();
		$this->assertSame( array( 'x' => 1 ), $job['params'] );
		$this->assertStringEndsWith( '/kbjobs/v1/jobs/' . $job['id'], $r->get_headers()['Location'] );
		$this->assertEqualsWithDelta( time() + 3600, strtotime( $job['run_at'] ), 2 );

		$this->assertError( self::request( 'POST', '/jobs', array( 'type' => 'Bad Type!' ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'POST', '/jobs', array( 'type' => 'diag.echo', 'options' => array( 'priority' => 1000 ) ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'POST', '/jobs', array( 'type' => 'diag.echo', 'options' => array( 'bogus' => 1 ) ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'POST', '/jobs', array() ), 400, 'rest_missing_callback_param' );
	}

	public function test_a_key_with_an_interrupted_checkpointed_job_answers_409_until_told_resume_or_fresh(): void {
		$db     = array( DB_HOST, DB_USER, DB_PASSWORD, DB_NAME );
		$engine = new \KBJobs\Engine( $db[0], $db[1], $db[2], $db[3], $GLOBALS['wpdb']->prefix, \KBJobs_Settings::data_dir(), array( 'lease_seconds' => 1 ) );
		$engine->registerType(
			'resttest.checkpointed',
			static function ( \KBJobs\Context $ctx ) {
				$ctx->progress( 3, 10 );
				$ctx->checkpoint( array( 'at' => 3 ), array(), null, true );
				$ctx->assertLease( 'the test lets the lease go, as a killed runner would' );
			}
		);
		$id = $engine->submit( 'resttest.checkpointed', array(), array( 'queue' => self::QUEUE, 'unique_key' => 'rest-ikey' ) );
		$engine->run( array( 'queues' => array( self::QUEUE ), 'max_jobs' => 1, 'until_empty' => true ) );
		usleep( 1500000 );
		$engine->reap();
		$this->assertSame( 'interrupted', $engine->get( $id )->status );

		$body = array(
			'type'    => 'resttest.checkpointed',
			'options' => array(
				'queue'      => self::QUEUE,
				'unique_key' => 'rest-ikey',
			),
		);
		$r    = self::request( 'POST', '/jobs', $body );
		$this->assertError( $r, 409, 'kbjobs_interrupted_exists' );
		$data = $r->get_data()['data'];
		$this->assertSame( $id, $data['job_id'] );
		$this->assertSame( 3, $data['progress_done'] );
		$this->assertSame( 10, $data['progress_total'] );
		$this->assertGreaterThanOrEqual( 0, $data['checkpoint_age'] );
		$this->assertSame( 'interrupted', $engine->get( $id )->status, 'nothing was done' );

		$r = self::request( 'POST', '/jobs', $body + array( 'existing' => 'resume' ) );
		$this->assertSame( 201, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$this->assertSame( $id, $r->get_data()['id'] );
		$this->assertSame( 'queued', $engine->get( $id )->status );
		$this->assertNotNull( $engine->checkpoint( $id ), 'resume keeps the checkpoint' );

		$engine->cancel( $id );
		$this->assertSame( 'cancelled', $engine->get( $id )->status );
		$r = self::request( 'POST', '/interrupted/' . $id . '/fresh' );
		$this->assertError( $r, 409, 'kbjobs_conflict' );
	}

	public function test_queues_limits_pause_and_resume(): void {
		self::queued( 2 );
		$r = self::request( 'POST', '/queues/' . self::QUEUE, array( 'concurrency' => 3, 'rate' => 10, 'period_ms' => 60000 ) );
		$this->assertSame( 200, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$this->assertSame( 3, $r->get_data()['concurrency'] );
		$this->assertSame( 10, $r->get_data()['rate'] );
		$r = self::request( 'POST', '/queues/' . self::QUEUE, array( 'paused' => true ) );
		$this->assertTrue( (bool) $r->get_data()['paused'] );
		$queue = self::request( 'GET', '/queues/' . self::QUEUE )->get_data();
		$this->assertTrue( (bool) $queue['paused'] );
		$this->assertSame( 2, $queue['queued'] );
		$this->assertContains( self::QUEUE, array_column( self::request( 'GET', '/queues' )->get_data(), 'name' ) );
		$this->assertSame( 200, self::request( 'POST', '/queues/' . self::QUEUE, array( 'paused' => false ) )->get_status() );
		$this->assertFalse( (bool) self::request( 'GET', '/queues/' . self::QUEUE )->get_data()['paused'] );

		$this->assertError( self::request( 'POST', '/queues/' . self::QUEUE, array() ), 400, 'kbjobs_invalid' );
		$this->assertError( self::request( 'POST', '/queues/' . self::QUEUE, array( 'rate' => 5, 'period_ms' => 0 ) ), 400, 'kbjobs_invalid' );
		$this->assertError( self::request( 'POST', '/queues/' . self::QUEUE, array( 'concurrency' => -1 ) ), 400, 'rest_invalid_param' );
		$this->assertSame( 404, self::request( 'GET', '/queues/Bad%20Name' )->get_status() );

		$actions = array_column( self::audit(), 'action' );
		$this->assertSame( array( 'queue.set', 'queue.resume', 'queue.pause', 'queue.set' ), $actions, 'the refused limits are audited as an error; what the schema refused never reached the action' );
	}

	public function test_failures_list_resubmit_delete_and_alerts(): void {
		$ids = self::failed( 3 );
		$r   = self::request( 'GET', '/failures' );
		$this->assertSame( 200, $r->get_status() );
		$this->assertSame( '3', $r->get_headers()['X-WP-Total'] );
		$this->assertEqualsCanonicalizing( $ids, array_column( $r->get_data(), 'job_id' ) );
		$this->assertSame( 'job', $r->get_data()[0]['kind'] );

		$r = self::request( 'POST', '/failures/resubmit', array( 'ids' => array( $ids[0], $ids[1] ) ) );
		$this->assertSame( 200, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$this->assertSame( 2, $r->get_data()['done'] );
		$this->assertSame( 'queued', \KBJobs_Engine::get()->get( $ids[0] )->status );
		$r = self::request( 'POST', '/failures/delete', array( 'ids' => array( $ids[2] ) ) );
		$this->assertSame( 1, $r->get_data()['done'] );
		$this->assertSame( 'failed', \KBJobs_Engine::get()->get( $ids[2] )->status, 'delete acknowledges, the job stays failed' );
		$this->assertSame( array(), self::request( 'GET', '/failures' )->get_data() );
		$this->assertError( self::request( 'POST', '/failures/delete', array( 'ids' => array( '../x' ) ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'POST', '/failures/delete', array( 'ids' => array() ) ), 400, 'rest_invalid_param' );

		$this->assertIsArray( self::request( 'GET', '/alerts', array( 'open' => true ) )->get_data() );
		$this->assertError( self::request( 'POST', '/alerts', array( 'action' => 'acknowledge', 'ids' => array( 999999999 ) ) ), 404, 'kbjobs_not_found' );
	}

	public function test_bulk_by_ids_in_the_request_and_by_filter_as_a_previewed_background_job(): void {
		$ids = self::queued( 4 );
		$r   = self::request( 'POST', '/jobs/bulk', array( 'action' => 'cancel', 'ids' => array( $ids[0], $ids[1], '0123456789abcdef' ) ) );
		$this->assertSame( 200, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$this->assertSame( 2, $r->get_data()['done'] );
		$this->assertSame( 1, $r->get_data()['missing'] );

		$filter = array(
			'queue'  => self::QUEUE,
			'status' => 'queued',
		);
		$r      = self::request( 'POST', '/jobs/bulk', array( 'action' => 'cancel', 'filter' => $filter ) );
		$this->assertSame( 200, $r->get_status() );
		$this->assertTrue( $r->get_data()['preview'] );
		$this->assertSame( 2, $r->get_data()['matched'] );
		$this->assertSame( 'queued', \KBJobs_Engine::get()->get( $ids[2] )->status, 'a preview changes nothing' );

		$r = self::request( 'POST', '/jobs/bulk', array( 'action' => 'cancel', 'filter' => $filter, 'confirm' => true ) );
		$this->assertSame( 202, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{16}$/', $r->get_data()['job_id'] );

		$this->assertError( self::request( 'POST', '/jobs/bulk', array( 'action' => 'explode', 'ids' => array( $ids[0] ) ) ), 400, 'rest_invalid_param' );
		$this->assertError( self::request( 'POST', '/jobs/bulk', array( 'action' => 'cancel' ) ), 400, 'kbjobs_invalid' );
		$this->assertError( self::request( 'POST', '/jobs/bulk', array( 'action' => 'cancel', 'filter' => array( 'status' => 'nope' ) ) ), 400, 'rest_invalid_param' );
	}

	public function test_hostile_strings_come_back_as_json_text(): void {
		$engine = \KBJobs_Engine::get();
		list( $id ) = self::queued( 1, array( 'title' => self::XSS ) );
		$engine->log( $id, 'error', self::XSS, array( 'url' => 'https://example.com/' . self::XSS ) );
		list( $failed ) = self::failed( 1, self::XSS );

		foreach ( array( '/jobs/' . $id, '/jobs/' . $id . '/logs', '/failures', '/jobs/' . $failed, '/jobs/' . $failed . '/attempts' ) as $route ) {
			// Encoded as the server encodes what it sends (rest_json_encode_options).
			$request = new \WP_REST_Request( 'GET', '/kbjobs/v1' . $route );
			$r       = rest_do_request( $request );
			$json    = wp_json_encode( rest_get_server()->response_to_data( $r, false ), apply_filters( 'rest_json_encode_options', 0, $request ) );
			$this->assertStringNotContainsString( '<script>', $json, $route );
			$this->assertStringNotContainsString( '<img', $json, $route );
			$this->assertStringContainsString( '\\u003Cscript\\u003Ealert(1)', $json, "$route keeps the text, escaped" );
		}
		$log = self::request( 'GET', '/jobs/' . $id . '/logs' )->get_data();
		$this->assertSame( self::XSS, $log['lines'][0]['msg'], 'the text itself is intact' );
		$this->assertSame( self::XSS, self::request( 'GET', '/jobs/' . $id )->get_data()['params']['title'] );
		$this->assertSame( self::XSS, self::request( 'GET', '/jobs/' . $failed )->get_data()['error'] );
	}

	public function test_logs_read_from_a_cursor_or_the_tail(): void {
		list( $id ) = self::queued( 1 );
		for ( $i = 1; $i <= 5; $i++ ) {
			\KBJobs_Engine::get()->log( $id, 'info', "line $i" );
		}
		$all = self::request( 'GET', '/jobs/' . $id . '/logs' )->get_data();
		$this->assertSame( array( 'line 1', 'line 2', 'line 3', 'line 4', 'line 5' ), array_column( $all['lines'], 'msg' ) );
		$this->assertTrue( $all['eof'] );
		\KBJobs_Engine::get()->log( $id, 'info', 'line 6' );
		$more = self::request( 'GET', '/jobs/' . $id . '/logs', array( 'cursor' => $all['next_cursor'] ) )->get_data();
		$this->assertSame( array( 'line 6' ), array_column( $more['lines'], 'msg' ) );
		$tail = self::request( 'GET', '/jobs/' . $id . '/logs', array( 'tail' => 2 ) )->get_data();
		$this->assertSame( array( 'line 5', 'line 6' ), array_column( $tail['lines'], 'msg' ) );
		$this->assertError( self::request( 'GET', '/jobs/' . $id . '/logs', array( 'tail' => 0 ) ), 400, 'rest_invalid_param' );
	}

	public function test_status_runners_resources_and_audit_filters(): void {
		$status = self::request( 'GET', '/status' )->get_data();
		$this->assertSame( \KBJobs_Data_Jobs::STATUSES, array_keys( $status['jobs'] ) );
		$this->assertArrayHasKey( 'last_tick', $status['cron'] );
		$this->assertIsArray( self::request( 'GET', '/runners' )->get_data() );
		$this->assertIsArray( self::request( 'GET', '/resources' )->get_data() );

		list( $id ) = self::queued( 1 );
		self::request( 'POST', '/jobs/' . $id . '/cancel' );
		self::request( 'POST', '/queues/' . self::QUEUE, array( 'paused' => true ) );
		$this->assertSame( array( 'job.cancel' ), array_column( self::request( 'GET', '/audit', array( 'action' => 'job.cancel' ) )->get_data(), 'action' ) );
		$this->assertSame( array( $id ), array_column( self::request( 'GET', '/audit', array( 'target' => $id ) )->get_data(), 'target' ) );
		$this->assertCount( 2, self::request( 'GET', '/audit', array( 'user' => 'rest_administrator' ) )->get_data() );
		$this->assertCount( 2, self::request( 'GET', '/audit', array( 'user' => (string) self::$users['administrator'] ) )->get_data() );
		$this->assertCount( 0, self::request( 'GET', '/audit', array( 'source' => 'cli' ) )->get_data() );
		$this->assertError( self::request( 'GET', '/audit', array( 'source' => 'moon' ) ), 400, 'rest_invalid_param' );
		self::request( 'POST', '/queues/' . self::QUEUE, array( 'paused' => false ) );
	}

	public function test_an_import_with_failed_urls_is_a_partial_failure_whose_urls_can_be_imported_again(): void {
		self::delete_articles();
		$base   = getenv( 'KBJOBS_FIXTURE_URL' );
		$engine = \KBJobs_Engine::get();
		$r      = self::request( 'POST', '/imports', array( 'urls' => array( "$base/page/501", "$base/status/404?x=<script>alert(1)</script>", "$base/status/410" ), 'sink' => 'bulk' ) );
		$this->assertSame( 201, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$id = $r->get_data()['id'];
		\KBJobs_Runner::run( array( 'queues' => array( 'import' ), 'until_empty' => true, 'max_seconds' => 120 ) );
		$this->assertSame( 'completed', $engine->get( $id )->status );

		$failed = self::request( 'GET', '/imports/' . $id . '/failed', array( 'per_page' => 1 ) );
		$this->assertSame( 200, $failed->get_status() );
		$this->assertCount( 1, $failed->get_data() );
		$this->assertSame( 'HTTP 404', $failed->get_data()[0]['error'] );
		$next = $failed->get_headers()['X-KBJobs-Next-Cursor'];
		$more = self::request( 'GET', '/imports/' . $id . '/failed', array( 'cursor' => (int) $next ) )->get_data();
		$this->assertSame( array( 'HTTP 410' ), array_column( $more, 'error' ) );

		$entries = array_column( self::request( 'GET', '/failures' )->get_data(), null, 'job_id' );
		$this->assertSame( 'partial', $entries[ $id ]['kind'] );
		$this->assertSame( 2, $entries[ $id ]['failed_items'] );
		$this->assertSame( 3, $entries[ $id ]['total_items'] );

		$r = self::request( 'POST', '/imports/' . $id . '/resubmit-failed' );
		$this->assertSame( 201, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$this->assertSame( 2, $r->get_data()['urls'] );
		$again = $engine->get( $r->get_data()['id'] );
		$this->assertSame( $id, $again->rerunOf );
		$this->assertSame( 'import', $again->type );
		$this->assertArrayNotHasKey( $id, array_column( self::request( 'GET', '/failures' )->get_data(), null, 'job_id' ), 'the partial entry is acknowledged' );
		$this->assertError( self::request( 'POST', '/imports/' . $again->id . '/resubmit-failed' ), 409, 'kbjobs_conflict' );
		$this->assertError( self::request( 'GET', '/imports/0123456789abcdef/failed' ), 404, 'kbjobs_not_found' );
		$this->assertError( self::request( 'GET', '/imports/' . $id . '/failed', array( 'cursor' => -1 ) ), 400, 'rest_invalid_param' );
		$this->assertSame( 'import.resubmit_failed', self::audit()[0]['action'] );
		$engine->cancel( $again->id );
		self::delete_articles();
	}
}
