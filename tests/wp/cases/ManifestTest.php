<?php
/**
 * Manifests end to end through the real `wp`: plan -> dispatch -> run -> verify with
 * 1,000 system-test lines of diag.sleep across a `local` queue (concurrency 1) and a
 * `cloud` queue (concurrency 10, 50 starts a second) served by 12 `wp kb work` runners,
 * one of them killed with SIGKILL mid-manifest. From the jobs' recorded start and end
 * times: local never ran two at once, cloud never more than 10, and in any window of T
 * seconds cloud started at most N + N*T/P jobs (the token bucket's bound). Dispatching
 * twice adds nothing; a bad line dispatches nothing and is named; verify exits non-zero
 * while lines are pending; the /manifests routes validate, dispatch and verify.
 */

namespace KBJobs\Tests;

final class ManifestTest extends TestCase {

	const LINES   = 1000;
	const RUNNERS = 12;
	const RATE    = 50;   // cloud: starts per period
	const PERIOD  = 1.0;  // seconds

	/** @var resource[] */
	private $procs = array();
	/** @var string[] */
	private $files = array();

	protected function setUp(): void {
		\KBJobs_Engine::get();
		$this->clean();
	}

	protected function tearDown(): void {
		foreach ( $this->procs as $proc ) {
			$status = proc_get_status( $proc );
			if ( $status['running'] ) {
				posix_kill( $status['pid'], SIGKILL );
			}
			proc_close( $proc );
		}
		foreach ( $this->files as $file ) {
			@unlink( $file );
		}
		$this->clean();
		wp_set_current_user( 0 );
	}

	private function clean(): void {
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue IN ('local', 'cloud', 'manifest-test')" ) );
		$engine = \KBJobs_Engine::get();
		$engine->setQueue( 'local', 0, 0, 0 );
		$engine->setQueue( 'cloud', 0, 0, 0 );
	}

	private function tmp( string $suffix = '.jsonl' ): string {
		$file          = tempnam( sys_get_temp_dir(), 'kbjobs-manifest-' ) . $suffix;
		$this->files[] = $file;
		return $file;
	}

	/** Starts `wp kb work` with a short lease, so a killed runner's job is reaped soon. */
	private function runner(): array {
		$env                     = getenv();
		$env['WP_CLI_PHP_ARGS']  = '-d kbjobs.lease_seconds=3';
		$out                     = $this->tmp( '.log' );
		$proc                    = proc_open(
			array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work', '--queues=local,cloud', '--until-empty', '--due-within=0', '--max-seconds=80' ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $out, 'w' ), 2 => array( 'file', $out, 'a' ) ),
			$pipes,
			null,
			$env
		);
		$this->assertIsResource( $proc );
		$this->procs[] = $proc;
		return array( $proc, proc_get_status( $proc )['pid'], $out );
	}

	private function wait_all( int $timeout ): void {
		$deadline = microtime( true ) + $timeout;
		foreach ( $this->procs as $proc ) {
			while ( proc_get_status( $proc )['running'] && microtime( true ) < $deadline ) {
				usleep( 100000 );
			}
			$this->assertFalse( proc_get_status( $proc )['running'], 'a runner did not finish in time' );
		}
	}

	private function verify_json( string $file ): array {
		list( $code, $out, $err ) = self::wp( 'kb', 'verify', $file, '--format=json', '--limit=' . self::LINES );
		$report                   = json_decode( $out, true );
		$this->assertIsArray( $report, $out . $err );
		return array( $code, $report );
	}

	public function test_plan_dispatch_run_verify_round_trip_keeps_queue_limits_and_survives_a_killed_runner(): void {
		$engine = \KBJobs_Engine::get();
		$engine->setQueue( 'local', 1, 0, 0 );
		$engine->setQueue( 'cloud', 10, self::RATE, (int) ( self::PERIOD * 1000 ) );
		$file = $this->tmp();

		// 1 line in 10 on local (it runs them one at a time), the rest on cloud.
		list( $code, $out, $err ) = self::wp( 'kb', 'plan', 'system-test', '--count=' . self::LINES, '--mode=sleep', '--seconds=0.25', '--queue=local,cloud,cloud,cloud,cloud,cloud,cloud,cloud,cloud,cloud', '--run=' . uniqid(), '--output=' . $file );
		$this->assertSame( 0, $code, $out . $err );
		$this->assertCount( self::LINES, file( $file ) );

		list( $code, $out, $err ) = self::wp( 'kb', 'dispatch', $file );
		$this->assertSame( 0, $code, $out . $err );
		$this->assertStringContainsString( '1000 lines: 1000 added, 0 already there, 0 invalid', $out );

		list( $code, $out ) = self::wp( 'kb', 'dispatch', $file );
		$this->assertSame( 0, $code );
		$this->assertStringContainsString( '1000 lines: 0 added, 1000 already there, 0 invalid', $out, 'dispatching twice adds nothing' );
		$this->assertSame( self::LINES, (int) $engine->count( array( 'queue' => 'local' ) ) + (int) $engine->count( array( 'queue' => 'cloud' ) ) );

		list( $code, $report ) = $this->verify_json( $file );
		$this->assertSame( 1, $code, 'verify exits non-zero while lines are pending' );
		$this->assertSame( self::LINES, $report['summary']['pending'] );

		$runners = array();
		for ( $i = 0; $i < self::RUNNERS; $i++ ) {
			$runners[] = $this->runner();
		}
		// Kill one runner while it holds a job, once a tenth of the manifest is done.
		$victim   = $runners[0];
		$deadline = microtime( true ) + 30;
		$killed   = null;
		while ( null === $killed && microtime( true ) < $deadline ) {
			usleep( 20000 );
			if ( $engine->count( array( 'status' => 'completed', 'queue' => 'cloud' ) ) < 100 ) {
				continue;
			}
			$ids = array();
			foreach ( $engine->tracker()->runners( 1 ) as $r ) {
				if ( (int) $r['pid'] === $victim[1] ) {
					$ids[] = $r['id'];
				}
			}
			foreach ( $engine->list( array( 'status' => 'running', 'limit' => 50 ) )['jobs'] as $job ) {
				if ( in_array( $job->runner, $ids, true ) ) {
					$killed = $job->id;
				}
			}
		}
		$this->assertNotNull( $killed, 'the runner to kill was seen holding a job' );
		posix_kill( $victim[1], SIGKILL );
		$this->wait_all( 75 );

		// The victim's job was interrupted (its lease expired), not lost: resuming it
		// runs it to completion.
		list( , $report ) = $this->verify_json( $file );
		$interrupted      = array_filter( $report['lines'], static fn ( $l ) => 'pending' === $l['state'] );
		$this->assertSame( array( $killed ), array_values( array_column( $interrupted, 'job' ) ), 'only the killed runner\'s job was cut short' );
		foreach ( $interrupted as $line ) {
			$this->assertSame( 'interrupted', $line['status'] );
			$engine->resume( $line['job'] );
		}
		$this->runner();
		$this->wait_all( 30 );

		list( $code, $report ) = $this->verify_json( $file );
		$this->assertSame( 0, $code, wp_json_encode( $report['summary'] ) );
		$this->assertSame( self::LINES, $report['summary']['completed'] );
		$this->assertTrue( $report['summary']['all_completed'] );

		// The limits, from the recorded times.
		$local = $this->intervals( 'local' );
		$cloud = $this->intervals( 'cloud' );
		$this->assertCount( 100, $local );
		$this->assertCount( 900, $cloud );
		$this->assertSame( 1, $this->max_overlap( $local ), 'local never ran two at once' );
		$peak = $this->max_overlap( $cloud );
		$this->assertLessThanOrEqual( 10, $peak, 'cloud never ran more than 10' );
		$this->assertGreaterThanOrEqual( 8, $peak, 'cloud was busy enough that its limit held it' );
		$starts = array_column( $cloud, 0 );
		sort( $starts );
		foreach ( array( 0.5, 1.0, 2.0, 5.0 ) as $t ) {
			$bound = self::RATE + self::RATE * $t / self::PERIOD;
			$most  = 0;
			for ( $i = 0, $j = 0, $n = count( $starts ); $i < $n; $i++ ) {
				while ( $j < $n && $starts[ $j ] <= $starts[ $i ] + $t ) {
					++$j;
				}
				$most = max( $most, $j - $i );
			}
			$this->assertLessThanOrEqual( $bound, $most, "cloud started at most N + N*T/P jobs in any {$t} s" );
		}
	}

	/** [started, finished] of the completed jobs of a queue. */
	private function intervals( string $queue ): array {
		$engine = \KBJobs_Engine::get();
		$out    = array();
		$cursor = '';
		do {
			$page = $engine->list(
				array(
					'queue'  => $queue,
					'status' => 'completed',
					'limit'  => 1000,
					'cursor' => $cursor,
				)
			);
			foreach ( $page['jobs'] as $job ) {
				$out[] = array( (float) $job->startedAt, (float) $job->finishedAt );
			}
			$cursor = (string) $page['next_cursor'];
		} while ( '' !== $cursor );
		return $out;
	}

	/** The most intervals open at one time (an end before a start at the same time). */
	private function max_overlap( array $intervals ): int {
		$events = array();
		foreach ( $intervals as list( $start, $end ) ) {
			$events[] = array( $start, 1 );
			$events[] = array( $end, -1 );
		}
		usort( $events, static fn ( $a, $b ) => $a[0] <=> $b[0] ?: $a[1] <=> $b[1] );
		$open = 0;
		$most = 0;
		foreach ( $events as $e ) {
			$open += $e[1];
			$most  = max( $most, $open );
		}
		return $most;
	}

	public function test_a_bad_line_dispatches_nothing_and_is_named(): void {
		$file = $this->tmp();
		file_put_contents(
			$file,
			'{"type":"diag.echo","params":{"a":1},"queue":"manifest-test"}' . "\n" .
			"\n" .
			'{"type":"diag.echo","params":{"a":2},"queue":"manifest-test"}' . "\n" .
			'{"type":"import","params":{"urls":["https://example.org/"],"chunk_size":0},"queue":"manifest-test"}' . "\n" .
			'{"type":"diag.echo","params":{"a":3}' . "\n" .
			'{"type":"no.such.type","params":{},"queue":"manifest-test"}' . "\n"
		);
		list( $code, $out, $err ) = self::wp( 'kb', 'dispatch', $file );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( 'line 4: params/chunk_size: must be at least 1', $err, 'the schema of the type names the field' );
		$this->assertStringContainsString( 'line 5: not JSON', $err );
		$this->assertStringContainsString( 'line 6: unknown job type "no.such.type"', $err );
		$this->assertStringContainsString( 'Nothing was dispatched', $err );
		$this->assertSame( 0, \KBJobs_Engine::get()->count( array( 'queue' => 'manifest-test' ) ) );

		list( $code, $out, $err ) = self::wp( 'kb', 'dispatch', $file, '--skip-invalid', '--format=json' );
		$this->assertSame( 1, $code, 'invalid lines still fail the command' );
		$report = json_decode( $out, true );
		$this->assertSame( 2, $report['added'] );
		$this->assertSame( 3, $report['invalid'] );
		$this->assertSame( 2, \KBJobs_Engine::get()->count( array( 'queue' => 'manifest-test' ) ) );
	}

	public function test_keys_are_the_line_key_else_the_hash_of_type_and_canonical_params(): void {
		$a = \KBJobs_Manifest::parse( '{"type":"diag.echo","params":{"b":{"y":1,"x":[2,{"d":1,"c":0}]},"a":"é/"}}', array( 'types' => array( 'diag.echo' => true ) ) );
		$b = \KBJobs_Manifest::parse( '{"params":{"a":"é/","b":{"x":[2,{"c":0,"d":1}],"y":1}},"type":"diag.echo","id":"other"}', array( 'types' => array( 'diag.echo' => true ) ) );
		$this->assertSame( $a['job']['unique_key'], $b['job']['unique_key'], 'key order and line order do not matter' );
		$this->assertSame( hash( 'sha256', "diag.echo\n" . '{"a":"é/","b":{"x":[2,{"c":0,"d":1}],"y":1}}' ), $a['job']['unique_key'] );
		$c = \KBJobs_Manifest::parse( '{"type":"diag.echo","params":{},"key":"mine"}', array( 'types' => array( 'diag.echo' => true ) ) );
		$this->assertSame( 'mine', $c['job']['unique_key'] );
	}

	public function test_rest_routes_validate_dispatch_and_verify_a_posted_manifest(): void {
		$manifest = '{"type":"diag.echo","params":{"r":1},"queue":"manifest-test","id":"one"}' . "\n" . '{"type":"diag.echo","params":{"r":2},"queue":"manifest-test"}' . "\n";
		wp_set_current_user( 0 );
		$request = new \WP_REST_Request( 'POST', '/kbjobs/v1/manifests/dispatch' );
		$request->set_param( 'manifest', $manifest );
		$this->assertSame( 401, rest_do_request( $request )->get_status(), 'no user, no dispatch' );

		wp_set_current_user( get_user_by( 'login', getenv( 'KBJOBS_ADMIN_USER' ) )->ID );
		$request = new \WP_REST_Request( 'POST', '/kbjobs/v1/manifests/validate' );
		$request->set_param( 'manifest', $manifest . "{oops\n" );
		$response = rest_do_request( $request );
		$this->assertSame( 200, $response->get_status() );
		$data = $response->get_data();
		$this->assertSame( array( 'line' => 3, 'error' => 'not JSON: Syntax error' ), $data['errors'][0] );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{32}$/', $data['upload'] );

		$request = new \WP_REST_Request( 'POST', '/kbjobs/v1/manifests/dispatch' );
		$request->set_param( 'upload', $data['upload'] );
		$this->assertSame( 422, rest_do_request( $request )->get_status(), 'the staged manifest has a bad line' );
		$this->assertSame( 0, \KBJobs_Engine::get()->count( array( 'queue' => 'manifest-test' ) ) );

		$request = new \WP_REST_Request( 'POST', '/kbjobs/v1/manifests/dispatch' );
		$request->set_param( 'manifest', $manifest );
		$response = rest_do_request( $request );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( 2, $response->get_data()['added'] );

		$request = new \WP_REST_Request( 'POST', '/kbjobs/v1/manifests/verify' );
		$request->set_param( 'upload', $response->get_data()['upload'] );
		$request->set_param( 'state', 'pending' );
		$data = rest_do_request( $request )->get_data();
		$this->assertSame( 2, $data['summary']['pending'] );
		$this->assertSame( 'one', $data['lines'][0]['id'] );
		$this->assertFalse( $data['summary']['all_completed'] );
	}
}
