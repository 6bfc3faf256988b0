<?php
/**
 * The import screens' server side against the real site and engine: a `wp kb work`
 * runner killed with SIGKILL is listed as lost within 10 s (the default heartbeat and
 * lost_after), and the screens' form operations refuse a user without kbjobs_operate
 * (even with a valid nonce of their own) without staging a list, submitting an import
 * or re-fetching anything, and record the refusal. The pages themselves (steps, prompt,
 * lists, access) are tests/browser/import-screens.test.mjs's.
 */

namespace KBJobs\Tests;

final class DashboardImportTest extends TestCase {

	const QUEUE = 'dash-import-lost';

	/** @var array<string,int> User ids by role name. */
	private static $users = array();

	public static function setUpBeforeClass(): void {
		\KBJobs_Engine::get();
		add_role( 'kbjobs_dash_watcher', 'KB Jobs watcher', array( 'read' => true, 'edit_posts' => true, 'kbjobs_view' => true ) );
		foreach ( array( 'administrator', 'kbjobs_dash_watcher' ) as $role ) {
			$login = 'dashimp_' . $role;
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
	}

	public static function tearDownAfterClass(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( self::$users as $id ) {
			wp_delete_user( $id );
		}
		remove_role( 'kbjobs_dash_watcher' );
		wp_set_current_user( 0 );
		$_POST = array();
	}

	/**
	 * The runner of process $pid as the tracker lists it, or null.
	 *
	 * @return array<string,mixed>|null
	 */
	private static function runner_of( int $pid ): ?array {
		foreach ( \KBJobs_Engine::get()->tracker()->runners( 1 ) as $r ) {
			if ( $r['pid'] === $pid && gethostname() === $r['host'] ) {
				return $r;
			}
		}
		return null;
	}

	public function test_a_wp_kb_work_runner_killed_with_sigkill_is_lost_within_ten_seconds(): void {
		$proc = proc_open(
			array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work', '--queues=' . self::QUEUE ),
			array(
				1 => array( 'file', '/dev/null', 'w' ),
				2 => array( 'file', '/dev/null', 'w' ),
			),
			$pipes
		);
		$this->assertIsResource( $proc );
		$pid = proc_get_status( $proc )['pid']; // tools/wp execs PHP: this is the runner
		for ( $i = 0; $i < 300 && null === self::runner_of( $pid ); $i++ ) {
			usleep( 100000 );
		}
		$runner = self::runner_of( $pid );
		$this->assertNotNull( $runner, 'the runner registered' );
		$this->assertSame( 'active', $runner['state'] );
		// Alive for longer than a heartbeat: still active, its beats keep it so.
		sleep( 3 );
		$this->assertSame( 'active', self::runner_of( $pid )['state'] );

		proc_terminate( $proc, 9 );
		proc_close( $proc );
		$this->assertSame( 'active', self::runner_of( $pid )['state'], 'not lost at once: its last beat is recent' );
		// Polled every 0.5 s, at most 20 times: lost within 10 s.
		$polls = 0;
		while ( 'lost' !== self::runner_of( $pid )['state'] && $polls < 20 ) {
			usleep( 500000 );
			++$polls;
		}
		$this->assertSame( 'lost', self::runner_of( $pid )['state'], 'shown lost within 20 polls of 0.5 s' );
		$this->assertGreaterThanOrEqual( 4, $polls, 'not before a few beats were missed' );
	}

	public function test_the_import_forms_refuse_a_user_without_kbjobs_operate_and_change_nothing(): void {
		global $wpdb;
		$engine  = \KBJobs_Engine::get();
		$imports = $engine->count( array( 'type' => 'import' ) );
		$staged  = glob( \KBJobs_Settings::data_dir() . '/staging/*.part' );
		$audit   = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_audit WHERE outcome = 'denied'" );
		$post    = wp_insert_post(
			array(
				'post_type'   => 'kb_article',
				'post_title'  => 'Dashboard forms test',
				'post_status' => 'publish',
			)
		);

		wp_set_current_user( self::$users['kbjobs_dash_watcher'] );
		$this->assertTrue( current_user_can( 'kbjobs_view' ) );
		$this->assertFalse( current_user_can( 'kbjobs_operate' ) );
		$_POST = array(
			'urls'      => getenv( 'KBJOBS_FIXTURE_URL' ) . "/page/1\n",
			'sink'      => 'compatible',
			'post_type' => 'kb_article',
			'status'    => 'publish',
		);
		foreach ( array( 'import.check', 'import.start', 'import.discard' ) as $op ) {
			$result = \KBJobs_Admin_Import::form( $op );
			$this->assertInstanceOf( \WP_Error::class, $result, $op );
			$this->assertSame( 'kbjobs_forbidden', $result->get_error_code(), $op );
		}
		$result = \KBJobs_Admin_Articles::refetch( $post );
		$this->assertInstanceOf( \WP_Error::class, $result );
		$this->assertSame( 'kbjobs_forbidden', $result->get_error_code() );

		$this->assertSame( $imports, $engine->count( array( 'type' => 'import' ) ), 'no import submitted' );
		$this->assertSame( $staged, glob( \KBJobs_Settings::data_dir() . '/staging/*.part' ), 'no list staged' );
		$this->assertGreaterThanOrEqual( $audit + 4, (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_audit WHERE outcome = 'denied'" ), 'refusals recorded' );

		// The same check as an operator stages the list and submits nothing.
		wp_set_current_user( self::$users['administrator'] );
		$result = \KBJobs_Admin_Import::form( 'import.check' );
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$this->assertMatchesRegularExpression( '/page=kbjobs-import&upload=[0-9a-f]{32}$/', $result['redirect'] );
		$this->assertSame( $imports, $engine->count( array( 'type' => 'import' ) ), 'a check submits nothing' );
		$_POST  = array( 'upload' => $result['upload'] );
		$result = \KBJobs_Admin_Import::form( 'import.discard' );
		$this->assertSame( $staged, glob( \KBJobs_Settings::data_dir() . '/staging/*.part' ), 'discarded' );

		wp_delete_post( $post, true );
		$_POST = array();
	}

	public function test_the_import_form_sets_requests_at_once_per_site_for_that_import_only(): void {
		$engine = \KBJobs_Engine::get();
		wp_set_current_user( self::$users['administrator'] );
		$base = array(
			'urls'       => getenv( 'KBJOBS_FIXTURE_URL' ) . '/page/7?per-host=' . wp_rand() . "\n",
			'sink'       => 'compatible',
			'post_type'  => 'kb_article',
			'status'     => 'draft',
			'unique_key' => 'per-host-form-' . wp_rand(),
		);

		// Out of range or not a number: refused with the setting's name, nothing staged.
		foreach ( array( '0', '101', 'abc', '-3' ) as $bad ) {
			$_POST  = $base + array( 'max_per_host' => $bad );
			$result = \KBJobs_Admin_Import::form( 'import.check' );
			$this->assertInstanceOf( \WP_Error::class, $result, $bad );
			$this->assertStringContainsString( 'Requests at once per site', $result->get_error_message(), $bad );
		}

		// Given: it goes into the import's params, which the engine's fetcher reads.
		$_POST  = $base + array( 'max_per_host' => '3' );
		$result = \KBJobs_Admin_Import::form( 'import.check' );
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$_POST  = array( 'upload' => $result['upload'] );
		$result = \KBJobs_Admin_Import::form( 'import.start' );
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$made = $engine->list( array( 'unique_key_prefix' => $base['unique_key'] ) )['jobs'];
		$this->assertCount( 1, $made );
		$this->assertSame( 3, $made[0]->params['max_per_host'] ?? null );

		// Left empty: the site's setting applies (no max_per_host in the params).
		$empty  = 'per-host-form-empty-' . wp_rand();
		$_POST  = array_merge( $base, array( 'unique_key' => $empty, 'max_per_host' => '' ) );
		$result = \KBJobs_Admin_Import::form( 'import.check' );
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$_POST  = array( 'upload' => $result['upload'] );
		$result = \KBJobs_Admin_Import::form( 'import.start' );
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$made = $engine->list( array( 'unique_key_prefix' => $empty ) )['jobs'];
		$this->assertCount( 1, $made );
		$this->assertArrayNotHasKey( 'max_per_host', $made[0]->params );
		foreach ( array( $base['unique_key'], $empty ) as $key ) {
			foreach ( $engine->list( array( 'unique_key_prefix' => $key ) )['jobs'] as $job ) {
				$engine->cancel( $job->id );
			}
		}
		$_POST = array();
	}
}
