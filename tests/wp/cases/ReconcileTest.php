<?php
/**
 * Reconciliation as the site runs it (KBJobs_Reconcile): a real import from the fixture
 * site into WordPress, then damage behind the plugin's back, then the combined job (the
 * engine's `files` phase, the plugin's `posts` phase) run in this process. Checks the
 * findings of both phases in their one report, a run stopped in the posts phase and
 * resumed (its report cut back to its checkpoint) against an uninterrupted run byte for
 * byte, one reconciliation at a time (409), paging by byte cursor with a kind filter, and
 * the reconcile_findings alert raised and resolved.
 */

namespace KBJobs\Tests;

final class ReconcileTest extends TestCase {

	/** @var array<int,int> Post ids by fixture page number. */
	private $posts = array();

	/** @var string The import's job id. */
	private $import = '';

	/** @var callable Keeps alert emails from going out. */
	private $no_mail;

	protected function setUp(): void {
		$this->no_mail = static function () {
			return true;
		};
		add_filter( 'pre_wp_mail', $this->no_mail );
		if ( ! getenv( 'KBJOBS_FIXTURE_URL' ) ) {
			$this->fail( 'KBJOBS_FIXTURE_URL is not set: run through `make test-wp`' );
		}
		\KBJobs_Engine::get();
		self::clean();
	}

	protected function tearDown(): void {
		remove_all_actions( 'kbjobs_reconcile_posts_page' );
		remove_filter( 'pre_wp_mail', $this->no_mail );
		self::clean();
	}

	/**
	 * No articles, records, imports or reconciliations, and none of their files: each
	 * test's report holds only what it did.
	 */
	private static function clean( bool $alerts = true ): void {
		global $wpdb;
		self::delete_articles();
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'combined' AND unique_key = %s", \KBJobs_Reconcile::KEY ) ) );
		$dir = \KBJobs_Settings::data_dir();
		foreach ( array( 'artifacts', 'lists', 'logs', 'checkpoints' ) as $folder ) {
			if ( is_dir( "$dir/$folder" ) ) {
				self::run_command( array( 'rm', '-rf', "$dir/$folder" ) );
			}
		}
		if ( $alerts ) {
			delete_option( \KBJobs_Alerts::STATE_OPTION );
		}
	}

	/** Imports fixture pages 1..$n in this process; fills $this->posts. */
	private function import( int $n ): void {
		$base = getenv( 'KBJOBS_FIXTURE_URL' );
		$urls = array();
		for ( $i = 1; $i <= $n; $i++ ) {
			$urls[] = "$base/page/" . ( 900 + $i );
		}
		$report       = \KBJobs_Import::start( $urls, array( 'author' => 0 ), 'reconcile-test' );
		$this->import = $report['id'];
		\KBJobs_Runner::run(
			array(
				'queues'      => array( 'import' ),
				'until_empty' => true,
				'max_seconds' => 60,
			),
			false
		);
		$this->assertSame( 'completed', \KBJobs_Engine::get()->get( $this->import )->status );
		foreach ( $urls as $i => $url ) {
			$this->posts[ $i + 1 ] = (int) \KBJobs_Engine::get()->artifact( $url )['post_id'];
			$this->assertGreaterThan( 0, $this->posts[ $i + 1 ] );
		}
	}

	/** Runs what is due in the default queue (the reconciliation) in this process. */
	private static function work(): array {
		return \KBJobs_Runner::run(
			array(
				'queues'      => array( 'default' ),
				'until_empty' => true,
				'max_seconds' => 60,
			),
			false
		);
	}

	/** Starts a reconciliation and runs it to its end. */
	private function reconcile( array $args = array() ): string {
		$made = \KBJobs_Reconcile::start( $args + array( 'grace_seconds' => 1 ) );
		$this->assertIsArray( $made, is_wp_error( $made ) ? $made->get_error_message() : '' );
		self::work();
		return $made['id'];
	}

	/** Every finding of a report, through findings() a page at a time. */
	private static function all_findings( string $id, int $limit, ?string $kind = null ): array {
		$out    = array();
		$cursor = 0;
		do {
			$page = \KBJobs_Reconcile::findings( $id, $cursor, $limit, $kind );
			self::assertIsArray( $page );
			self::assertLessThanOrEqual( $limit, count( $page['findings'] ) );
			$out    = array_merge( $out, $page['findings'] );
			$cursor = $page['next_cursor'];
		} while ( null !== $cursor );
		return $out;
	}

	/** kind/reason/post of the findings, sorted, to compare as sets. */
	private static function summary( array $findings ): array {
		$out = array();
		foreach ( $findings as $f ) {
			$out[] = $f['kind'] . '/' . $f['reason'] . '/' . ( $f['post_id'] ?? $f['job_id'] ?? $f['path'] ?? '' );
		}
		sort( $out );
		return $out;
	}

	/**
	 * The damage the report must name: an artifact file deleted, a post deleted, a second
	 * post for one source URL, an import record whose job is gone (and one whose job
	 * retention removed), an import with no record.
	 *
	 * @return array<int,string> What the report must say, as summary() writes it.
	 */
	private function damage(): array {
		$dir  = \KBJobs_Settings::data_dir();
		$path = get_post_meta( $this->posts[1], '_kbjobs_artifact', true );
		$this->assertFileExists( "$dir/$path" );
		unlink( "$dir/$path" );

		wp_delete_post( $this->posts[2], true );

		$url = get_post_meta( $this->posts[3], '_kbjobs_source_url', true );
		$dup = wp_insert_post(
			array(
				'post_type'   => 'kb_article',
				'post_status' => 'draft',
				'post_title'  => 'A copy',
				'meta_input'  => array(
					'_kbjobs_source_url' => $url,
					'_kbjobs_artifact'   => get_post_meta( $this->posts[3], '_kbjobs_artifact', true ),
				),
			)
		);

		$gone    = wp_insert_post(
			array(
				'post_type'   => 'kb_import_job',
				'post_status' => 'publish',
				'post_title'  => 'An import whose job is gone',
				'meta_input'  => array( '_kbjobs_job_id' => 'feedfacefeedface' ),
			)
		);
		$expired = wp_insert_post(
			array(
				'post_type'   => 'kb_import_job',
				'post_status' => 'publish',
				'post_title'  => 'An import retention removed',
				'meta_input'  => array(
					'_kbjobs_job_id'      => 'deadbeefdeadbeef',
					'_kbjobs_job_expired' => time() - 60,
				),
			)
		);
		$this->assertGreaterThan( 0, $expired );

		// An import submitted without KBJobs_Import (so no record); it stays queued.
		$bare = \KBJobs_Engine::get()->import( array( getenv( 'KBJOBS_FIXTURE_URL' ) . '/page/990' ), array(), array( 'queue' => 'kbjobs-reconcile-test' ) );
		sleep( 2 ); // Older than grace_seconds (1): files may be findings, the import needs its record.

		$expected = array(
			'ghost/missing/' . $path,
			'ghost/post_without_artifact/' . $this->posts[1],
			'dangling/post_missing/' . $this->posts[2],
			'dangling/duplicate_url/' . $dup,
			'dangling/job_gone/' . $gone,
			'dangling/no_post/' . $bare['id'],
		);
		sort( $expected );
		return $expected;
	}

	public function test_both_phases_report_the_damage_in_one_file_and_the_alert_follows(): void {
		$this->import( 5 );
		sleep( 2 );
		$clean = \KBJobs_Reconcile::report( $this->reconcile() );
		$this->assertSame( 'completed', $clean['status'], (string) $clean['error'] );
		$this->assertSame( 0, $clean['total'], wp_json_encode( $clean['first'] ) );
		$this->assertArrayNotHasKey( 'reconcile_findings', \KBJobs_Alerts::conditions() );

		$expected = $this->damage();
		$id       = $this->reconcile();
		$report   = \KBJobs_Reconcile::report();
		$this->assertSame( $id, $report['id'], 'the newest reconciliation by default' );
		$this->assertSame( 'completed', $report['status'], (string) $report['error'] );
		$this->assertSame( 100, $report['progress'] );
		$this->assertNotNull( $report['finished_at'] );
		$this->assertSame(
			array(
				'ghost'    => 2,
				'orphan'   => 0,
				'drift'    => 0,
				'dangling' => 4,
				'unsafe'   => 0,
			),
			$report['counts'],
			wp_json_encode( $report['first'] )
		);
		$this->assertSame( 6, $report['total'] );
		$this->assertGreaterThan( 5, $report['scanned'] );
		$this->assertSame( $expected, self::summary( $report['first'] ) );
		// The native phase's lines come first, the posts phase's after them.
		$this->assertSame( 'missing', $report['first'][0]['reason'] );

		// The duplicate names the post the index points to; the gone post keeps its URL.
		foreach ( $report['first'] as $f ) {
			if ( 'duplicate_url' === $f['reason'] ) {
				$this->assertSame( $this->posts[3], $f['other_post_id'] );
			}
			if ( 'post_missing' === $f['reason'] ) {
				$this->assertStringEndsWith( '/page/902', $f['url'] );
				$this->assertSame( $this->import, $f['job_id'] );
			}
		}

		// Pages by byte cursor: the same findings whatever the page size; a kind filter.
		$this->assertSame( $report['first'], self::all_findings( $id, 1 ) );
		$this->assertSame( $report['first'], self::all_findings( $id, 4 ) );
		$dangling = self::all_findings( $id, 2, 'dangling' );
		$this->assertCount( 4, $dangling );
		$this->assertSame( array( 'dangling' ), array_values( array_unique( array_column( $dangling, 'kind' ) ) ) );
		$this->assertSame( 'kbjobs_invalid', \KBJobs_Reconcile::findings( $id, 3 )->get_error_code(), 'a cursor inside a line' );
		$this->assertSame( 'kbjobs_invalid', \KBJobs_Reconcile::findings( '../../etc/passwd' )->get_error_code() );
		$this->assertSame( 'kbjobs_not_found', \KBJobs_Reconcile::findings( 'feedfacefeedface' )->get_error_code() );

		$alert = \KBJobs_Alerts::conditions()['reconcile_findings'] ?? null;
		$this->assertNotNull( $alert );
		$this->assertSame( 6, $alert['details']['total'] );
		$this->assertStringContainsString( 'ghost 2, dangling 4', $alert['summary'] );
		$this->assertSame( array( array( 'raised', 'reconcile_findings' ) ), self::ours( \KBJobs_Alerts::check() ) );

		// Repaired by hand: a later run finds nothing, and the alert resolves.
		self::clean( false );
		$this->import( 2 );
		sleep( 2 );
		$this->assertSame( 0, \KBJobs_Reconcile::report( $this->reconcile() )['total'] );
		update_option( 'kbjobs_alert_clear_minutes', 0 );
		try {
			$this->assertSame( array( array( 'resolved', 'reconcile_findings' ) ), self::ours( \KBJobs_Alerts::check() ) );
		} finally {
			delete_option( 'kbjobs_alert_clear_minutes' );
		}
	}

	public function test_a_run_stopped_in_the_posts_phase_resumes_to_the_same_report_bytes(): void {
		$this->import( 5 );
		$this->damage();
		$whole = $this->reconcile( array( 'page' => 2 ) );
		$bytes = file_get_contents( \KBJobs_Reconcile_Posts::report_path( $whole ) );
		$this->assertSame( 6, substr_count( $bytes, "\n" ) );

		$made  = \KBJobs_Reconcile::start(
			array(
				'grace_seconds' => 1,
				'page'          => 2,
			)
		);
		$pages = 0;
		add_action(
			'kbjobs_reconcile_posts_page',
			static function ( $state ) use ( &$pages ) {
				if ( 1 === ++$pages ) {
					\KBJobs_Engine::get()->requestStop();
				}
			}
		);
		self::work();
		$this->assertSame( 1, $pages, 'stopped after its first page' );
		$job = \KBJobs_Engine::get()->get( $made['id'] );
		$this->assertSame( 'queued', $job->status, 'given back to its queue' );
		$path = \KBJobs_Reconcile_Posts::report_path( $made['id'] );
		// Whatever a killed run wrote past its checkpoint is cut off when it resumes.
		file_put_contents( $path, "{\"kind\":\"ghost\",\"reason\":\"written after the checkpoint\"}\n", FILE_APPEND );

		self::work();
		$this->assertGreaterThan( 2, $pages );
		$this->assertSame( 'completed', \KBJobs_Engine::get()->get( $made['id'] )->status );
		$this->assertSame( $bytes, file_get_contents( $path ) );
		$this->assertSame( 6, \KBJobs_Reconcile::report( $made['id'] )['total'] );
	}

	public function test_one_reconciliation_at_a_time(): void {
		$first = \KBJobs_Reconcile::start( array( 'source' => 'cli' ) );
		$this->assertIsArray( $first );
		$second = \KBJobs_Reconcile::start( array( 'source' => 'rest' ) );
		$this->assertWPError( $second );
		$this->assertSame( 'kbjobs_reconcile_running', $second->get_error_code() );
		$this->assertSame( 409, $second->get_error_data()['status'] );
		$this->assertSame( $first['id'], $second->get_error_data()['id'] );
		$this->assertSame( '', \KBJobs_Reconcile::daily(), 'the daily event skips quietly' );
		$this->assertSame( 'kbjobs_invalid', \KBJobs_Reconcile::start( array( 'source' => 'elsewhere' ) )->get_error_code() );
		$this->assertNotFalse( wp_next_scheduled( \KBJobs_Reconcile::HOOK ) );

		self::work();
		$this->assertSame( 'completed', \KBJobs_Engine::get()->get( $first['id'] )->status );
		$next = \KBJobs_Reconcile::start();
		$this->assertIsArray( $next, 'once it finished, another may start' );
		$this->assertNotSame( $first['id'], $next['id'] );
		self::work();
	}

	/** The notices of check() about this condition (the test site may raise others). */
	private static function ours( ?array $sent ): array {
		return array_values(
			array_filter(
				(array) $sent,
				static function ( $notice ) {
					return 'reconcile_findings' === $notice[1];
				}
			)
		);
	}

	private function assertWPError( $value ): void {
		$this->assertInstanceOf( \WP_Error::class, $value );
	}
}
