<?php
/**
 * Every write a job makes through WordPress is fenced by its lease, tried with real
 * runners (the real WP-CLI) against the real site and MariaDB:
 *
 * - the zombie case, both sinks: a runner frozen (SIGSTOP) inside the sink's transaction
 *   at a random point of a chunk, its lease run out, another runner completing the
 *   import, the first thawed: nothing of the frozen runner lands, one post per URL, and
 *   the counts equal the posts (KBJOBS_FENCE_RUNS runs per sink, default 10);
 * - a PHP job type writing through kbjobs_fenced_transaction(), frozen between its two
 *   writes past its lease: both are rolled back and the job is not completed;
 * - MariaDB restarted three times during one import with one long-running `wp kb work`:
 *   the import completes on its first attempt and the runner stays up.
 *
 * The freezes come from tests/wp/mu-plugins/kbjobs-test-hooks.php, copied into the site
 * for this class only.
 */

namespace KBJobs\Tests;

final class FenceTest extends TestCase {

	public static function setUpBeforeClass(): void {
		self::install_test_hooks();
	}

	public static function tearDownAfterClass(): void {
		self::remove_test_hooks();
	}

	protected function setUp(): void {
		if ( ! getenv( 'KBJOBS_FIXTURE_URL' ) ) {
			$this->fail( 'KBJOBS_FIXTURE_URL is not set: run through `make test-wp`' );
		}
		\KBJobs_Engine::get();
		$this->clean();
	}

	protected function tearDown(): void {
		foreach ( $this->procs as $proc ) {
			$pid = proc_get_status( $proc )['pid'];
			posix_kill( $pid, SIGCONT );
			posix_kill( $pid, SIGKILL );
			proc_close( $proc );
		}
		foreach ( $this->files as $f ) {
			@unlink( $f );
		}
		$this->clean();
	}

	private function clean(): void {
		global $wpdb;
		self::delete_articles();
		$wpdb->query( kbjobs_test_jobs_sql( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'kbjobs_test.fenced_write'" ) );
		$wpdb->query( "DELETE FROM {$wpdb->options} WHERE option_name LIKE 'kbjobs\\_test\\_%'" );
		wp_cache_flush();
	}

	private function list_file( array $urls ): string {
		$file = tempnam( sys_get_temp_dir(), 'kbjobs-list-' );
		file_put_contents( $file, implode( "\n", $urls ) . "\n" );
		$this->files[] = $file;
		return $file;
	}

	private function pages( int $first, int $n, string $query = '' ): array {
		$out = array();
		for ( $i = $first; $i < $first + $n; $i++ ) {
			$out[] = getenv( 'KBJOBS_FIXTURE_URL' ) . '/page/' . $i . $query;
		}
		return $out;
	}

	/** Starts `wp kb work` in the background; returns [process, pid, output file]. */
	private function runner( array $args, array $env_extra = array() ): array {
		$env = getenv();
		foreach ( $env_extra as $k => $v ) {
			$env[ $k ] = $v;
		}
		$out  = tempnam( sys_get_temp_dir(), 'kbjobs-runner-' );
		$this->files[] = $out;
		$proc = proc_open(
			array_merge( array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work' ), $args ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $out, 'w' ), 2 => array( 'file', $out, 'a' ) ),
			$pipes,
			null,
			$env
		);
		$this->assertIsResource( $proc );
		$this->procs[] = $proc;
		return array( $proc, proc_get_status( $proc )['pid'], $out );
	}

	/** Waits for a runner to finish; returns [exit code, output]. */
	private function finish( $proc, string $out, int $timeout = 60 ): array {
		$deadline = microtime( true ) + $timeout;
		// the exit code is reported once, by the first call that sees the process gone
		while ( ( $status = proc_get_status( $proc ) )['running'] && microtime( true ) < $deadline ) {
			usleep( 50000 );
		}
		$this->assertFalse( $status['running'], 'the runner did not finish: ' . file_get_contents( $out ) );
		$this->procs = array_values( array_filter( $this->procs, static fn ( $p ) => $p !== $proc ) );
		proc_close( $proc );
		return array( $status['exitcode'], (string) file_get_contents( $out ) );
	}

	private function wait_stopped( int $pid, string $out ): void {
		$deadline = microtime( true ) + 60;
		while ( microtime( true ) < $deadline ) {
			$stat = @file_get_contents( "/proc/$pid/stat" );
			if ( false === $stat ) {
				$this->fail( 'the runner exited before it froze: ' . file_get_contents( $out ) );
			}
			if ( 'T' === explode( ' ', substr( $stat, strrpos( $stat, ')' ) + 2 ) )[0] ) {
				return;
			}
			usleep( 20000 );
		}
		$this->fail( 'the runner never froze: ' . file_get_contents( $out ) );
	}

	/** Reaps until the job's lease, run out while its runner is frozen, is taken back. */
	private function wait_interrupted( string $id ): void {
		$engine   = \KBJobs_Engine::get();
		$deadline = microtime( true ) + 30;
		do {
			$engine->reap();
			$status = $engine->get( $id )->status;
			if ( 'interrupted' === $status ) {
				return;
			}
			usleep( 200000 );
		} while ( microtime( true ) < $deadline );
		$this->fail( "job $id is $status, not interrupted, 30 s after its runner froze" );
	}

	private function article_count(): int {
		global $wpdb;
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_type = 'kb_article'" );
	}

	/** What must hold after an import of $n URLs, whatever happened on the way. */
	private function assert_one_post_per_url( string $id, int $n, string $what ): void {
		global $wpdb;
		\KBJobs_Engine::reset();
		$job = \KBJobs_Engine::get()->get( $id );
		$this->assertSame( 'completed', $job->status, "$what: " . $job->error );
		$this->assertNull( $job->error, "$what: a completed job keeps no earlier error" );
		$this->assertSame( $n, $this->article_count(), "$what: posts" );
		$this->assertSame( array(), $wpdb->get_col( "SELECT meta_value FROM {$wpdb->postmeta} WHERE meta_key = '_kbjobs_source_url' GROUP BY meta_value HAVING COUNT(*) > 1" ), "$what: URLs with two posts" );
		$this->assertSame( $n, (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->postmeta} WHERE meta_key = '_kbjobs_source_url'" ), "$what: source meta rows" );
		$this->assertSame( 0, (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->postmeta} m LEFT JOIN {$wpdb->posts} p ON p.ID = m.post_id WHERE p.ID IS NULL" ), "$what: meta without a post" );
		$this->assertSame( $n, (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_artifacts a JOIN {$wpdb->posts} p ON p.ID = a.post_id AND p.post_type = 'kb_article'" ), "$what: index rows pointing at the posts" );
		$this->assertSame( $n, $job->metrics['created'], "$what: created" );
		$this->assertSame( 0, $job->metrics['updated'] + $job->metrics['unchanged'] + $job->metrics['failed'], "$what: counts " . wp_json_encode( $job->metrics ) );
	}

	/**
	 * One zombie run: the import's first runner freezes at $freeze inside the sink's
	 * transaction; its lease runs out; a second runner completes the import; then the
	 * first is thawed.
	 */
	private function zombie_run( string $sink, string $freeze, int $first ): void {
		$what = "$sink sink, frozen at $freeze";
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $this->list_file( $this->pages( $first, 20 ) ), '--sink=' . $sink, '--porcelain' );
		$this->assertSame( 0, $code, $err );
		$id = trim( $out );

		list( $zombie, $pid, $zout ) = $this->runner(
			array( '--queues=import', '--until-empty', '--due-within=0', '--format=json' ),
			array(
				'KBJOBS_TEST_FREEZE' => $freeze,
				'WP_CLI_PHP_ARGS'    => '-d kbjobs.lease_seconds=2',
			)
		);
		$this->wait_stopped( $pid, $zout );
		$this->wait_interrupted( $id );

		// Another runner takes the import over (an operator resumed it) and completes it.
		\KBJobs_Engine::get()->resume( $id );
		list( $code, , $err ) = self::wp( 'kb', 'work', '--queues=import', '--until-empty', '--due-within=0' );
		$this->assertSame( 0, $code, "$what: $err" );

		// Thawed, the first runner finds its lease gone and writes nothing more.
		posix_kill( $pid, SIGCONT );
		list( $code, $output ) = $this->finish( $zombie, $zout );
		$this->assertSame( 0, $code, "$what: $output" );
		$report = json_decode( substr( $output, strrpos( $output, '{"runner"' ) ), true );
		$this->assertSame( 1, $report['lost'] ?? null, "$what: the thawed runner reports the job lost: $output" );
		$this->assertSame( 0, $report['completed'], $what );

		$this->assert_one_post_per_url( $id, 20, $what );
		$this->clean();
	}

	private static function runs(): int {
		return max( 1, (int) ( getenv( 'KBJOBS_FENCE_RUNS' ) ?: 10 ) );
	}

	public function test_a_runner_frozen_in_the_compatible_sink_writes_nothing_after_its_lease(): void {
		for ( $run = 0; $run < self::runs(); $run++ ) {
			// after the k-th post of the chunk's 10
			$this->zombie_run( 'compatible', 'post:' . random_int( 1, 10 ), 1000 + 20 * $run );
		}
	}

	public function test_a_runner_frozen_in_the_bulk_sink_writes_nothing_after_its_lease(): void {
		for ( $run = 0; $run < self::runs(); $run++ ) {
			// before the k-th of its statements: posts, their ids (2), meta, the index
			$this->zombie_run( 'bulk', 'query:' . random_int( 1, 5 ), 5000 + 20 * $run );
		}
	}

	public function test_a_php_job_frozen_past_its_lease_has_its_fenced_writes_rolled_back(): void {
		global $wpdb;
		$engine = \KBJobs_Engine::get();
		$id     = $engine->submit( 'kbjobs_test.fenced_write', array(), array( 'queue' => 'default' ) );
		list( $proc, $pid, $out ) = $this->runner(
			array( '--queues=default', '--until-empty', '--due-within=0', '--format=json' ),
			array(
				'KBJOBS_TEST_FREEZE' => 'handler:1',
				'WP_CLI_PHP_ARGS'    => '-d kbjobs.lease_seconds=2',
			)
		);
		$this->wait_stopped( $pid, $out );
		$this->wait_interrupted( $id );
		posix_kill( $pid, SIGCONT );
		list( $code, $output ) = $this->finish( $proc, $out );
		$this->assertSame( 0, $code, $output );
		$report = json_decode( substr( $output, strrpos( $output, '{"runner"' ) ), true );
		$this->assertSame( 1, $report['lost'], $output );
		$this->assertSame( 0, (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE %s", 'kbjobs\_test\_' . $id . '%' ) ), 'neither write landed' );
		$this->assertSame( 'interrupted', $engine->get( $id )->status );

		// Resumed and run normally, the same job writes both.
		$engine->resume( $id );
		list( $code, , $err ) = self::wp( 'kb', 'work', '--queues=default', '--until-empty', '--due-within=0' );
		$this->assertSame( 0, $code, $err );
		$this->assertSame( 'completed', $engine->get( $id )->status );
		$this->assertSame( 2, (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE %s", 'kbjobs\_test\_' . $id . '%' ) ) );
	}

	private function restart_mariadb(): void {
		list( $code, $out, $err ) = self::run_command( array( getenv( 'KBJOBS_ROOT' ) . '/tools/mariadb.sh', 'stop' ) );
		$this->assertSame( 0, $code, $out . $err );
		usleep( 300000 );
		list( $code, $out, $err ) = self::run_command( array( getenv( 'KBJOBS_ROOT' ) . '/tools/mariadb.sh', 'start' ) );
		$this->assertSame( 0, $code, $out . $err );
	}

	public function test_mariadb_restarts_cost_an_import_no_attempt_and_its_runner_stays_up(): void {
		global $wpdb;
		$n = 120;
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $this->list_file( $this->pages( 9000, $n, '?sleep_ms=250' ) ), '--porcelain' );
		$this->assertSame( 0, $code, $err );
		$id = trim( $out );
		list( $proc, , $rout ) = $this->runner( array( '--queues=import' ) );

		for ( $restart = 1; $restart <= 3; $restart++ ) {
			$want     = 20 * $restart;
			$deadline = microtime( true ) + 60;
			while ( $this->article_count() < $want && microtime( true ) < $deadline ) {
				usleep( 50000 );
			}
			$this->assertGreaterThanOrEqual( $want, $this->article_count(), "before restart $restart: " . file_get_contents( $rout ) );
			$this->assertLessThan( $n, $this->article_count(), "restart $restart comes mid-import" );
			$this->restart_mariadb();
			$wpdb->check_connection();
			$this->assertTrue( proc_get_status( $proc )['running'], "the runner is up after restart $restart: " . file_get_contents( $rout ) );
		}

		\KBJobs_Engine::reset();
		$engine   = \KBJobs_Engine::get();
		$deadline = microtime( true ) + 120;
		while ( 'completed' !== $engine->get( $id )->status && microtime( true ) < $deadline ) {
			usleep( 200000 );
		}
		$this->assertTrue( proc_get_status( $proc )['running'], 'the runner stays up: ' . file_get_contents( $rout ) );
		$job = $engine->get( $id );
		$this->assertSame( 1, $job->attempts, 'completed on its first attempt: ' . wp_json_encode( $engine->attempts( $id ) ) );
		$this->assert_one_post_per_url( $id, $n, 'after three restarts' );

		proc_terminate( $proc, SIGTERM );
		list( $code, $output ) = $this->finish( $proc, $rout );
		$this->assertSame( 0, $code, $output );
		$this->assertStringNotContainsString( 'Error establishing', $output );
	}
}
