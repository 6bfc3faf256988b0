<?php
/**
 * `wp kb migrate` through the real WP-CLI, and the admin notice while the tables wait for
 * it. The site's tables are current (schema 14); "behind" is made by writing schema 13
 * into kbjobs_meta: the migration's steps then find their work done (the jobs view is
 * there, no rows to move) and only the version moves on, which is what the command's
 * checks and messages are about. The move of rows itself is tested in the engine
 * (tests/engine/test_migrate_split.c).
 */

namespace KBJobs\Tests;

final class MigrateCliTest extends TestCase {

	const RUNNER = 'feedfacefeedface';

	protected function tearDown(): void {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_runners WHERE public_id = %s", self::RUNNER ) );
		self::wp( 'kb', 'migrate', '--force' );
		delete_transient( \KBJobs_Engine::BEHIND_TRANSIENT );
		\KBJobs_Engine::reset();
		parent::tearDown();
	}

	private static function set_version( int $version ): void {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->prefix}kbjobs_meta SET value = %d WHERE name = 'schema_version'", $version ) );
	}

	public function test_current_tables_need_nothing(): void {
		list( $code, $out ) = self::wp( 'kb', 'migrate' );
		$this->assertSame( 0, $code );
		$this->assertStringContainsString( 'The kbjobs tables are at schema 14 already: nothing to do.', $out );
	}

	public function test_a_live_runner_is_refused_unless_forced_then_the_tables_are_current(): void {
		global $wpdb;
		set_transient( \KBJobs_Engine::BEHIND_TRANSIENT, array( 'version' => 13, 'oldest' => 14 ), DAY_IN_SECONDS );
		self::set_version( 13 );
		$wpdb->query(
			$wpdb->prepare(
				"INSERT INTO {$wpdb->prefix}kbjobs_runners (public_id, host, pid, version, queues, started_at, heartbeat_at)"
				. ' VALUES (%s, %s, 4242, %s, %s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))',
				self::RUNNER,
				'web-7',
				'0.0.0',
				'default'
			)
		);

		list( $code, , $err ) = self::wp( 'kb', 'migrate' );
		$this->assertSame( 1, $code );
		// the test's runner row is named (a runner another test left beating may be named too)
		$this->assertMatchesRegularExpression( '/\d+ runner\(s\) are alive \([^)]*web-7:4242[^)]*\): stop them first/', $err );
		$this->assertSame( '13', $wpdb->get_var( "SELECT value FROM {$wpdb->prefix}kbjobs_meta WHERE name = 'schema_version'" ) );

		list( $code, $out, $err ) = self::wp( 'kb', 'migrate', '--force' );
		$this->assertSame( 0, $code, $err );
		$this->assertMatchesRegularExpression( '/Success: The kbjobs tables went from schema 13 to 14 \(\d+ jobs\)\./', $out );
		$this->assertSame( '14', $wpdb->get_var( "SELECT value FROM {$wpdb->prefix}kbjobs_meta WHERE name = 'schema_version'" ) );
		$this->assertSame( '14', $wpdb->get_var( "SELECT value FROM {$wpdb->prefix}kbjobs_meta WHERE name = 'min_code_version'" ) );
		wp_cache_flush(); // the command ran in another process
		$this->assertFalse( get_transient( \KBJobs_Engine::BEHIND_TRANSIENT ), 'the notice goes once the tables are current' );
	}

	public function test_operators_see_what_to_do_while_the_tables_wait(): void {
		set_transient( \KBJobs_Engine::BEHIND_TRANSIENT, array( 'version' => 13, 'oldest' => 14 ), DAY_IN_SECONDS );
		$admin = get_user_by( 'login', getenv( 'KBJOBS_ADMIN_USER' ) );
		wp_set_current_user( $admin->ID );
		ob_start();
		\KBJobs_Admin::schema_notice();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'KB Jobs is waiting for its database upgrade.', $html );
		$this->assertStringContainsString( 'Its tables are at schema 13 and this version needs 14, which moves rows: stop the runners, run `wp kb migrate`', $html );

		wp_set_current_user( self::factory_subscriber() );
		ob_start();
		\KBJobs_Admin::schema_notice();
		$this->assertSame( '', ob_get_clean(), 'only operators see it' );
		wp_set_current_user( 0 );
	}

	/** A subscriber (made once). */
	private static function factory_subscriber(): int {
		$user = get_user_by( 'login', 'kbjobs_migrate_subscriber' );
		if ( $user ) {
			return $user->ID;
		}
		return (int) wp_insert_user(
			array(
				'user_login' => 'kbjobs_migrate_subscriber',
				'user_pass'  => wp_generate_password(),
				'role'       => 'subscriber',
			)
		);
	}
}
