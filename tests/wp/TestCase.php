<?php
/**
 * Base class of the WordPress integration tests: helpers to run the real tools.
 */

namespace KBJobs\Tests;

abstract class TestCase extends \PHPUnit\Framework\TestCase {

	/**
	 * Runs a command with the test instance's environment and returns [exit code,
	 * stdout, stderr].
	 *
	 * @param string[] $argv Command and arguments, not passed through a shell.
	 * @return array{0:int,1:string,2:string}
	 */
	protected static function run_command( array $argv, ?string $stdin = null ): array {
		$proc = proc_open( $argv, array( 0 => array( 'pipe', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ), $pipes );
		if ( ! is_resource( $proc ) ) {
			self::fail( 'cannot start ' . implode( ' ', $argv ) );
		}
		if ( null !== $stdin ) {
			fwrite( $pipes[0], $stdin );
		}
		fclose( $pipes[0] );
		$out = stream_get_contents( $pipes[1] );
		$err = stream_get_contents( $pipes[2] );
		fclose( $pipes[1] );
		fclose( $pipes[2] );
		return array( proc_close( $proc ), $out, $err );
	}

	/**
	 * Runs the real WP-CLI (tools/wp) against the test site.
	 *
	 * @param string ...$args Arguments after `wp`.
	 * @return array{0:int,1:string,2:string}
	 */
	protected static function wp( string ...$args ): array {
		return self::run_command( array_merge( array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp' ), $args ) );
	}

	/**
	 * Deletes every imported article and import record, the artifact index and the
	 * import jobs: the tests share one site and each starts from none.
	 */
	protected static function delete_articles(): void {
		global $wpdb;
		$wpdb->query( "DELETE p, m FROM {$wpdb->posts} p LEFT JOIN {$wpdb->postmeta} m ON m.post_id = p.ID WHERE p.post_type IN ('kb_article', 'kb_import_job')" );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_artifacts" );
		$wpdb->query( kbjobs_test_jobs_sql( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'import'" ) );
		clean_post_cache( 0 );
		wp_cache_flush();
	}

	/**
	 * Puts tests/wp/mu-plugins/kbjobs-test-hooks.php (test job types and freezes) into
	 * the site for the runners a test starts, and registers its types in this process
	 * too, so submits here take their defaults. Undo with remove_test_hooks().
	 */
	protected static function install_test_hooks(): void {
		copy( __DIR__ . '/mu-plugins/kbjobs-test-hooks.php', self::test_hooks_path() );
		require_once self::test_hooks_path();
		\KBJobs_Engine::reset();
	}

	protected static function remove_test_hooks(): void {
		@unlink( self::test_hooks_path() );
	}

	private static function test_hooks_path(): string {
		return getenv( 'KBJOBS_WP_DIR' ) . '/wp-content/mu-plugins/kbjobs-test-hooks.php';
	}
}
