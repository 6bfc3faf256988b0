<?php
/**
 * The Job Builder's server side against the real site and engine: GET /types and
 * /types/{name} (every field the Builder draws from), POST /chains/validate (errors and
 * warnings tied to the steps they name), POST /chains/run (a combined job, audited; an
 * invalid chain refused with nothing submitted), the chain templates' CRUD and who may
 * use it (an editor is refused), `wp kb type`, `wp kb chain list|run --wait` through the
 * real WP-CLI, and `wp kb resource list` showing a resource busy while a diag.sleep job
 * holding it runs under a real `wp kb work`, then idle.
 */

namespace KBJobs\Tests;

final class ChainBuilderTest extends TestCase {

	const QUEUE    = 'chain-test';
	const RESOURCE = 'kbjobs.reconcile'; // Declared by the reconcile type: listed idle when free.

	/** @var array<string,int> Users by role. */
	private static $users = array();

	public static function setUpBeforeClass(): void {
		$engine = \KBJobs_Engine::get();
		// A type that asks for diag.crud to run before it (a warning), for validation.
		$engine->registerType(
			'chaintest.publish',
			static function () {
				return array();
			},
			array(
				'category' => 'testing',
				'schema'   => array(
					'type'       => 'object',
					'required'   => array( 'title' ),
					'properties' => array( 'title' => array( 'type' => 'string' ) ),
				),
				'rules'    => array(
					array(
						'before'   => 'diag.crud',
						'after'    => 'chaintest.publish',
						'severity' => 'warning',
						'message'  => 'check first',
					),
				),
			)
		);
		foreach ( array( 'administrator', 'editor' ) as $role ) {
			$login = 'chaintest_' . $role;
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
		self::clean();
	}

	public static function tearDownAfterClass(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( self::$users as $id ) {
			wp_delete_user( $id );
		}
		self::clean();
		wp_set_current_user( 0 );
	}

	protected function setUp(): void {
		wp_set_current_user( self::$users['administrator'] );
	}

	private static function clean(): void {
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s", self::QUEUE ) ) );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_audit" );
		delete_option( \KBJobs_Data_Chain_Templates::OPTION );
	}

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

	private static function step( string $type, int $weight, array $params = array() ): array {
		return array(
			'type'   => $type,
			'params' => (object) $params,
			'weight' => $weight,
		);
	}

	private function jobs_in_queue(): int {
		global $wpdb;
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s", self::QUEUE ) );
	}

	public function test_types_route_lists_every_type_with_its_schema_resources_and_rules(): void {
		$r = self::request( 'GET', '/types' );
		$this->assertSame( 200, $r->get_status() );
		$by = array_column( $r->get_data(), null, 'name' );
		foreach ( array( 'diag.echo', 'diag.sleep', 'diag.fail', 'diag.crud', 'diag.crud_latency', 'import', 'reconcile', 'cleanup', 'combined', 'chaintest.publish' ) as $name ) {
			$this->assertArrayHasKey( $name, $by );
		}
		$sleep = $by['diag.sleep'];
		foreach ( array( 'name', 'label', 'category', 'queue', 'schema', 'resources', 'rules', 'origin', 'chainable', 'max_attempts', 'has_handler' ) as $key ) {
			$this->assertArrayHasKey( $key, $sleep );
		}
		$this->assertSame( 'diagnostics', $sleep['category'] );
		$this->assertSame( 'native', $sleep['origin'] );
		$this->assertSame( 1, $sleep['schema']['properties']['seconds']['default'] );
		$this->assertSame( array( array( 'name' => 'kbjobs.reconcile', 'op' => 'scan' ) ), $by['reconcile']['resources'] );
		$this->assertSame( 'php', $by['chaintest.publish']['origin'] );
		$this->assertSame(
			array(
				array(
					'before'   => 'diag.crud',
					'after'    => 'chaintest.publish',
					'severity' => 'warning',
					'message'  => 'check first',
				),
			),
			$by['chaintest.publish']['rules']
		);
		$this->assertFalse( $by['combined']['chainable'] );

		$one = self::request( 'GET', '/types/diag.sleep' );
		$this->assertSame( 200, $one->get_status() );
		$this->assertSame( $sleep, $one->get_data() );
		$this->assertSame( 404, self::request( 'GET', '/types/no.such.type' )->get_status() );

		wp_set_current_user( self::$users['editor'] );
		$this->assertSame( 403, self::request( 'GET', '/types' )->get_status() );
	}

	public function test_validate_ties_errors_and_warnings_to_their_steps(): void {
		$ok = self::request( 'POST', '/chains/validate', array( 'steps' => array( self::step( 'diag.echo', 34 ), self::step( 'diag.crud', 33 ), self::step( 'chaintest.publish', 33, array( 'title' => 't' ) ) ) ) );
		$this->assertSame( 200, $ok->get_status() );
		$this->assertSame(
			array(
				'valid'    => true,
				'errors'   => array(),
				'warnings' => array(),
			),
			$ok->get_data()
		);

		// The publish step above diag.crud: a warning on both; still valid.
		$warned = self::request( 'POST', '/chains/validate', array( 'steps' => array( self::step( 'diag.echo', 34 ), self::step( 'chaintest.publish', 33, array( 'title' => 't' ) ), self::step( 'diag.crud', 33 ) ) ) )->get_data();
		$this->assertTrue( $warned['valid'] );
		$this->assertCount( 1, $warned['warnings'] );
		$this->assertSame( array( 1, 2 ), $warned['warnings'][0]['steps'] );
		$this->assertStringContainsString( 'diag.crud should run before chaintest.publish; check first', $warned['warnings'][0]['message'] );

		// A param off its schema (step 1), a missing required one (step 2), weights that
		// do not sum to 100 (the chain), an unknown type (step 3).
		$bad = self::request( 'POST', '/chains/validate', array( 'steps' => array( self::step( 'diag.sleep', 50, array( 'seconds' => 'soon' ) ), self::step( 'chaintest.publish', 30 ), self::step( 'no.such.type', 10 ) ) ) )->get_data();
		$this->assertFalse( $bad['valid'] );
		$located = array();
		foreach ( $bad['errors'] as $error ) {
			$located[] = array( $error['steps'], $error['message'] );
		}
		$this->assertContains( array( 0 ), array_column( $located, 0 ), wp_json_encode( $bad ) );
		$this->assertContains( array( 1 ), array_column( $located, 0 ) );
		$this->assertContains( array( 2 ), array_column( $located, 0 ) );
		$this->assertContains( array(), array_column( $located, 0 ) );
		$this->assertMatchesRegularExpression( '/seconds/', implode( "\n", array_column( $located, 1 ) ) );
		$this->assertMatchesRegularExpression( '/sum to 90/', implode( "\n", array_column( $located, 1 ) ) );

		$this->assertSame( 400, self::request( 'POST', '/chains/validate', array( 'steps' => array() ) )->get_status() );
	}

	public function test_run_submits_one_combined_job_and_audits_it_and_refuses_an_invalid_chain(): void {
		self::clean();
		$r = self::request( 'POST', '/chains/run', array( 'steps' => array( self::step( 'diag.echo', 50, array( 'message' => 'one' ) ), self::step( 'diag.sleep', 50, array( 'seconds' => 0 ) ) ), 'queue' => self::QUEUE ) );
		$this->assertSame( 201, $r->get_status(), wp_json_encode( $r->get_data() ) );
		$id  = $r->get_data()['id'];
		$job = \KBJobs_Engine::get()->get( $id );
		$this->assertSame( 'combined', $job->type );
		$this->assertSame( self::QUEUE, $job->queue );
		$this->assertSame( array( '1-diag.echo', '2-diag.sleep' ), array_column( $job->params['phases'], 'name' ) );
		$this->assertStringContainsString( 'page=kbjobs-job&id=' . $id, $r->get_data()['url'] );
		$audit = \KBJobs_Engine::get()->auditLog( array( 'limit' => 10 ) )['entries'];
		$this->assertSame( 'chain.run', $audit[0]['action'] );
		$this->assertSame( 'ok', $audit[0]['outcome'] );

		$bad = self::request( 'POST', '/chains/run', array( 'steps' => array( self::step( 'diag.echo', 60 ) ), 'queue' => self::QUEUE ) );
		$this->assertSame( 400, $bad->get_status() );
		$this->assertSame( 'kbjobs_invalid', $bad->get_data()['code'] );
		$this->assertNotEmpty( $bad->get_data()['data']['errors'] );
		$this->assertSame( 1, $this->jobs_in_queue() );

		wp_set_current_user( self::$users['editor'] );
		$this->assertSame( 403, self::request( 'POST', '/chains/run', array( 'steps' => array( self::step( 'diag.echo', 100 ) ), 'queue' => self::QUEUE ) )->get_status() );
		$this->assertSame( 1, $this->jobs_in_queue() );
	}

	public function test_templates_crud_and_who_may(): void {
		self::clean();
		$steps   = array( self::step( 'diag.echo', 34 ), self::step( 'diag.crud', 33 ), self::step( 'diag.sleep', 33, array( 'seconds' => 0 ) ) );
		$created = self::request( 'POST', '/chain-templates', array( 'name' => 'Nightly check', 'steps' => $steps, 'queue' => self::QUEUE ) );
		$this->assertSame( 201, $created->get_status(), wp_json_encode( $created->get_data() ) );
		$t = $created->get_data();
		$this->assertSame( 'Nightly check', $t['name'] );
		$this->assertSame( 'chaintest_administrator', $t['author'] );
		$this->assertSame( '{"seconds":0}', wp_json_encode( $t['steps'][2]['params'] ) );
		$this->assertSame( '{}', wp_json_encode( $t['steps'][0]['params'] ) );

		$this->assertSame( 400, self::request( 'POST', '/chain-templates', array( 'name' => 'nightly CHECK', 'steps' => $steps ) )->get_status() );
		$other = self::request( 'POST', '/chain-templates', array( 'name' => 'Other', 'steps' => array( self::step( 'diag.echo', 100 ) ) ) )->get_data();

		$list = self::request( 'GET', '/chain-templates' )->get_data();
		$this->assertSame( array( 'Nightly check', 'Other' ), array_column( $list, 'name' ) );
		$this->assertSame( wp_json_encode( $t ), wp_json_encode( self::request( 'GET', '/chain-templates/' . $t['id'] )->get_data() ) );

		$renamed = self::request( 'PUT', '/chain-templates/' . $t['id'], array( 'name' => 'Morning check' ) );
		$this->assertSame( 200, $renamed->get_status() );
		$this->assertSame( 'Morning check', $renamed->get_data()['name'] );
		$this->assertSame( wp_json_encode( $t['steps'] ), wp_json_encode( $renamed->get_data()['steps'] ) );
		$this->assertSame( 400, self::request( 'PUT', '/chain-templates/' . $t['id'], array( 'name' => 'Other' ) )->get_status() );

		// An editor may neither read nor change them.
		wp_set_current_user( self::$users['editor'] );
		$this->assertSame( 403, self::request( 'GET', '/chain-templates' )->get_status() );
		$this->assertSame( 403, self::request( 'POST', '/chain-templates', array( 'name' => 'Mine', 'steps' => $steps ) )->get_status() );
		$this->assertSame( 403, self::request( 'PUT', '/chain-templates/' . $t['id'], array( 'name' => 'Mine' ) )->get_status() );
		$this->assertSame( 403, self::request( 'DELETE', '/chain-templates/' . $t['id'] )->get_status() );
		wp_set_current_user( self::$users['administrator'] );
		$this->assertCount( 2, \KBJobs_Data_Chain_Templates::all() );

		$this->assertSame( 200, self::request( 'DELETE', '/chain-templates/' . $other['id'] )->get_status() );
		$this->assertSame( 404, self::request( 'GET', '/chain-templates/' . $other['id'] )->get_status() );
		$this->assertSame( 404, self::request( 'DELETE', '/chain-templates/' . $other['id'] )->get_status() );

		$actions = array_column( \KBJobs_Engine::get()->auditLog( array( 'limit' => 20 ) )['entries'], 'action' );
		$this->assertContains( 'chain_template.create', $actions );
		$this->assertContains( 'chain_template.update', $actions );
		$this->assertContains( 'chain_template.delete', $actions );
	}

	public function test_type_and_chain_commands_through_the_real_wp(): void {
		self::clean();
		list( $code, $out ) = self::wp( 'kb', 'type', 'list', '--category=diagnostics', '--format=json' );
		$this->assertSame( 0, $code );
		$this->assertSame( array( 'diag.crud', 'diag.crud_latency', 'diag.echo', 'diag.fail', 'diag.sleep' ), array_column( json_decode( $out, true ), 'name' ) );
		list( $code, $out ) = self::wp( 'kb', 'type', 'get', 'diag.crud_latency', '--format=json' );
		$this->assertSame( 0, $code );
		$this->assertSame( 100, json_decode( $out, true )['schema']['properties']['hold_ms']['default'] );
		list( $code, , $err ) = self::wp( 'kb', 'type', 'get', 'no.such.type' );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( 'No job type no.such.type', $err );

		\KBJobs_Data_Chain_Templates::create(
			array(
				'name'  => 'CLI check',
				'queue' => self::QUEUE,
				'steps' => array( self::step( 'diag.echo', 50, array( 'message' => 'from the cli' ) ), self::step( 'diag.sleep', 50, array( 'seconds' => 0.1 ) ) ),
			)
		);
		list( $code, $out ) = self::wp( 'kb', 'chain', 'list', '--format=json' );
		$this->assertSame( 0, $code );
		$this->assertSame( array( 'CLI check' ), array_column( json_decode( $out, true ), 'name' ) );
		list( $code, $out ) = self::wp( 'kb', 'chain', 'list', '--fields=name,steps', '--format=csv' );
		$this->assertStringContainsString( '"CLI check","diag.echo:50 > diag.sleep:50"', $out );

		list( $code, $out, $err ) = self::wp( 'kb', 'chain', 'run', 'cli check', '--wait' );
		$this->assertSame( 0, $code, $out . $err );
		$this->assertMatchesRegularExpression( '/Chain job ([0-9a-f]{16}) completed/', $out );
		preg_match( '/Chain job ([0-9a-f]{16})/', $out, $m );
		$job = \KBJobs_Engine::get()->get( $m[1] );
		$this->assertSame( 'completed', $job->status );
		$this->assertSame( self::QUEUE, $job->queue );

		list( $code, $out ) = self::wp( 'kb', 'chain', 'run', 'CLI check', '--porcelain' );
		$this->assertSame( 0, $code );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{16}$/', trim( $out ) );
		$this->assertSame( 'queued', \KBJobs_Engine::get()->get( trim( $out ) )->status );

		list( $code, , $err ) = self::wp( 'kb', 'chain', 'run', 'nothing like it' );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( 'No chain template nothing like it', $err );
		$this->assertSame( 'chain.run', \KBJobs_Engine::get()->auditLog( array( 'limit' => 1 ) )['entries'][0]['action'] );
	}

	public function test_resource_list_shows_busy_while_a_job_holds_it_then_idle(): void {
		self::clean();
		$id     = \KBJobs_Engine::get()->submit( 'diag.sleep', array( 'seconds' => 3 ), array( 'queue' => self::QUEUE, 'resources' => array( array( 'name' => self::RESOURCE, 'op' => 'reindex' ) ) ) );
		$runner = proc_open(
			array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work', '--queues=' . self::QUEUE, '--no-cron', '--until-empty', '--max-seconds=30' ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', '/dev/null', 'w' ), 2 => array( 'file', '/dev/null', 'w' ) ),
			$pipes
		);
		try {
			$busy = null;
			for ( $i = 0; $i < 50 && ! $busy; $i++ ) {
				list( , $out ) = self::wp( 'kb', 'resource', 'list', '--format=json' );
				foreach ( (array) json_decode( $out, true ) as $row ) {
					if ( self::RESOURCE === $row['name'] && 'busy' === $row['state'] ) {
						$busy = $row;
					}
				}
				if ( ! $busy ) {
					usleep( 100000 );
				}
			}
			$this->assertNotNull( $busy, 'the resource was seen busy' );
			$this->assertSame( $id, $busy['job_id'] );
			$this->assertSame( 'reindex', $busy['op'] );
			$texts = self::request( 'GET', '/resources', array( 'view' => 'texts' ) )->get_data()['texts'];
			$row   = array_column( $texts['resources'], null, 'id' )[ self::RESOURCE ];
			$this->assertSame( array( 'busy', $id, 'reindex' ), array( $row['state'], $row['job'], $row['op'] ) );
		} finally {
			proc_close( $runner );
		}
		$this->assertSame( 'completed', \KBJobs_Engine::get()->get( $id )->status );
		list( $code, $out ) = self::wp( 'kb', 'resource', 'list', '--format=json' );
		$this->assertSame( 0, $code );
		$rows = array_column( (array) json_decode( $out, true ), null, 'name' );
		$this->assertSame( 'idle', $rows[ self::RESOURCE ]['state'] ?? null, $out );
		$this->assertNull( $rows[ self::RESOURCE ]['job_id'] );
		// The Resources screen's texts (and GET /resources?view=texts) say the same.
		$texts = self::request( 'GET', '/resources', array( 'view' => 'texts' ) )->get_data()['texts'];
		$row   = array_column( $texts['resources'], null, 'id' )[ self::RESOURCE ];
		$this->assertSame( array( 'idle', '' ), array( $row['state'], $row['job'] ) );
	}
}
