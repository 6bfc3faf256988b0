<?php
/**
 * Batch imports through the real WP-CLI against the real site and the fixture site on
 * 127.0.0.1: posts made once per URL in both sink modes, content through kses, failed
 * items accounted for, re-imports that change nothing, the WP-Cron tick, and a
 * `wp kb work` runner killed with SIGKILL mid-import whose import, resumed, ends with
 * exactly one post per URL.
 */

namespace KBJobs\Tests;

final class ImportTest extends TestCase {

	/** @var string[] Files to remove after the test. */
	private $files = array();

	protected function setUp(): void {
		if ( ! getenv( 'KBJOBS_FIXTURE_URL' ) ) {
			$this->fail( 'KBJOBS_FIXTURE_URL is not set: run through `make test-wp`' );
		}
		\KBJobs_Engine::get(); // creates the engine's tables on a fresh site
		self::delete_articles();
	}

	protected function tearDown(): void {
		foreach ( $this->files as $f ) {
			@unlink( $f );
		}
		self::delete_articles();
	}

	/** A list file of fixture URLs. */
	private function list_file( array $paths ): string {
		$file = tempnam( sys_get_temp_dir(), 'kbjobs-list-' );
		$base = getenv( 'KBJOBS_FIXTURE_URL' );
		file_put_contents(
			$file,
			implode(
				"\n",
				array_map(
					static function ( $p ) use ( $base ) {
						return '/' === $p[0] ? $base . $p : $p;
					},
					$paths
				)
			) . "\n"
		);
		$this->files[] = $file;
		return $file;
	}

	private function pages( int $first, int $n, string $suffix = '' ): array {
		$out = array();
		for ( $i = $first; $i < $first + $n; $i++ ) {
			$out[] = '/page/' . $i . $suffix;
		}
		return $out;
	}

	private function article_count(): int {
		global $wpdb;
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_type = 'kb_article'" );
	}

	/** Source URLs that have more than one post. */
	private function duplicate_sources(): array {
		global $wpdb;
		return $wpdb->get_col( "SELECT meta_value FROM {$wpdb->postmeta} m JOIN {$wpdb->posts} p ON p.ID = m.post_id WHERE m.meta_key = '_kbjobs_source_url' AND p.post_type = 'kb_article' GROUP BY meta_value HAVING COUNT(*) > 1" );
	}

	private function job( string $id ): \KBJobs\Job {
		\KBJobs_Engine::reset();
		return \KBJobs_Engine::get()->get( $id );
	}

	public function test_import_with_wait_makes_one_post_per_page_and_accounts_for_failures(): void {
		$list = $this->list_file( array_merge( $this->pages( 1, 12 ), array( '/status/404', '/image.png', '/hostile/xss' ) ) );
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $list, '--wait', '--porcelain', '--author=' . getenv( 'KBJOBS_ADMIN_USER' ) );
		$this->assertSame( 0, $code, $out . $err );
		$this->assertStringContainsString( '2 URLs failed: `wp kb import-job failed', $err );
		$id = trim( explode( "\n", trim( $out ) )[0] );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{16}$/', $id );
		$job = $this->job( $id );
		$this->assertSame( 'completed', $job->status, (string) $job->error );
		$this->assertStringContainsString( 'completed', $err . $out );

		$this->assertSame( 13, $this->article_count(), 'twelve pages and the hostile one' );
		$this->assertSame( array(), $this->duplicate_sources() );
		$this->assertSame( 13, $job->metrics['created'] );
		$this->assertSame( 2, $job->metrics['failed'] );

		// The post of page 3: title, kses'd content, meta, the artifact index points at it.
		$base  = getenv( 'KBJOBS_FIXTURE_URL' );
		$posts = get_posts( array( 'post_type' => 'kb_article', 'meta_key' => '_kbjobs_source_url', 'meta_value' => $base . '/page/3', 'post_status' => 'any' ) );
		$this->assertCount( 1, $posts );
		$post = $posts[0];
		$this->assertNotSame( '', $post->post_title );
		$this->assertSame( 'publish', $post->post_status );
		$this->assertSame( get_user_by( 'login', getenv( 'KBJOBS_ADMIN_USER' ) )->ID, (int) $post->post_author );
		$this->assertSame( $base . '/page/3', $post->guid );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{64}$/', get_post_meta( $post->ID, '_kbjobs_content_hash', true ) );
		$this->assertSame( '200', get_post_meta( $post->ID, '_kbjobs_http_status', true ) );
		$artifact = \KBJobs_Engine::get()->artifact( $base . '/page/3' );
		$this->assertSame( $post->ID, $artifact['post_id'] );
		$this->assertFileExists( \KBJobs_Settings::data_dir() . '/' . $artifact['path'] );

		// Hostile markup never reaches a post.
		$xss = get_posts( array( 'post_type' => 'kb_article', 'meta_key' => '_kbjobs_source_url', 'meta_value' => $base . '/hostile/xss', 'post_status' => 'any' ) );
		$this->assertCount( 1, $xss );
		foreach ( array( '<script', 'onerror', 'onclick', 'javascript:', '<iframe', '<style' ) as $bad ) {
			$this->assertStringNotContainsStringIgnoringCase( $bad, $xss[0]->post_content );
		}

		// The failed items, with reasons, through `wp kb import-job failed`.
		list( $code, $out ) = self::wp( 'kb', 'import-job', 'failed', $id, '--format=json' );
		$this->assertSame( 0, $code );
		$items = json_decode( $out, true );
		$this->assertCount( 2, $items );
		$this->assertSame( 'HTTP 404', $items[0]['error'] );
		$this->assertStringContainsString( 'image/png', $items[1]['error'] );

		// One kb_import_job post records the import.
		$records = get_posts( array( 'post_type' => 'kb_import_job', 'meta_key' => '_kbjobs_job_id', 'meta_value' => $id ) );
		$this->assertCount( 1, $records );
	}

	public function test_reimporting_the_same_list_creates_nothing_new(): void {
		$list = $this->list_file( $this->pages( 20, 15 ) );
		list( $code, , $err ) = self::wp( 'kb', 'import', $list, '--wait' );
		$this->assertSame( 0, $code, $err );
		$this->assertSame( 15, $this->article_count() );
		global $wpdb;
		$modified = $wpdb->get_col( "SELECT CONCAT(ID, post_modified_gmt) FROM {$wpdb->posts} WHERE post_type = 'kb_article' ORDER BY ID" );

		list( $code, $out, $err ) = self::wp( 'kb', 'import', $list, '--wait', '--porcelain' );
		$this->assertSame( 0, $code, $err );
		$job = $this->job( trim( explode( "\n", trim( $out ) )[0] ) );
		$this->assertSame( 15, $job->metrics['unchanged'] );
		$this->assertSame( 0, $job->metrics['created'] );
		$this->assertSame( 0, $job->metrics['updated'] );
		$this->assertSame( 15, $this->article_count() );
		$this->assertSame( $modified, $wpdb->get_col( "SELECT CONCAT(ID, post_modified_gmt) FROM {$wpdb->posts} WHERE post_type = 'kb_article' ORDER BY ID" ), 'no post was touched' );
	}

	public function test_bulk_sink_writes_posts_meta_and_unique_slugs(): void {
		global $wpdb;
		$list = $this->list_file( $this->pages( 40, 25 ) );
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $list, '--sink=bulk', '--chunk-size=10', '--wait', '--porcelain', '--author=' . getenv( 'KBJOBS_ADMIN_USER' ), '--status=draft' );
		$this->assertSame( 0, $code, $out . $err );
		$admin = get_user_by( 'login', getenv( 'KBJOBS_ADMIN_USER' ) )->ID;
		$this->assertSame( 25, (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_type = 'kb_article' AND post_author = %d AND post_status = 'draft'", $admin ) ) );
		$this->assertSame( 25, $this->article_count() );
		$this->assertSame( array(), $this->duplicate_sources() );
		global $wpdb;
		$this->assertSame( 25, (int) $wpdb->get_var( "SELECT COUNT(DISTINCT post_name) FROM {$wpdb->posts} WHERE post_type = 'kb_article'" ) );
		$this->assertSame( 25 * 5, (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->postmeta} m JOIN {$wpdb->posts} p ON p.ID = m.post_id WHERE p.post_type = 'kb_article' AND m.meta_key LIKE '\\_kbjobs\\_%'" ) );
		$this->assertSame( 25, (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_artifacts WHERE post_id > 0" ) );
		// The import's page finds its posts through the artifact index.
		$made = \KBJobs_Engine::get()->importPostIds( trim( explode( "\n", trim( $out ) )[0] ), 'created', 0, 100 )['post_ids'];
		$this->assertCount( 25, $made );

		// Changed content updates the same posts in bulk mode too.
		$wpdb->query( "UPDATE {$wpdb->prefix}kbjobs_artifacts SET post_hash = 'stale' LIMIT 4" );
		list( $code, $out ) = self::wp( 'kb', 'import', $list, '--sink=bulk', '--wait', '--porcelain' );
		$this->assertSame( 0, $code );
		$job = $this->job( trim( explode( "\n", trim( $out ) )[0] ) );
		$this->assertSame( 4, $job->metrics['updated'] );
		$this->assertSame( 25, $this->article_count() );
	}

	public function test_wp_cron_php_runs_a_submitted_import_without_a_runner(): void {
		global $wpdb;
		$list = $this->list_file( $this->pages( 70, 8 ) );
		list( $code, $out ) = self::wp( 'kb', 'import', $list, '--porcelain' );
		$this->assertSame( 0, $code );
		$id = trim( $out );
		$this->assertSame( 'queued', $this->job( $id )->status );

		// With WP-Cron on kbjobs there is no tick event: WordPress's own wp-cron.php
		// request (a visitor's spawn, or a system cron) runs due jobs when no runner is
		// alive. Runners of earlier tests are marked stopped.
		$this->assertFalse( wp_next_scheduled( \KBJobs_Runner::TICK ) );
		$wpdb->query( "UPDATE {$wpdb->prefix}kbjobs_runners SET stopped_at = NOW(6) WHERE stopped_at IS NULL" );
		$ctx = stream_context_create( array( 'http' => array( 'timeout' => 120 ) ) );
		$this->assertNotFalse( file_get_contents( getenv( 'KBJOBS_WP_URL' ) . '/wp-cron.php', false, $ctx ) );
		$this->assertSame( 'completed', $this->job( $id )->status );
		$this->assertSame( 8, $this->article_count() );
		$this->assertGreaterThan( time() - 120, (int) get_option( \KBJobs_Data_Status::LAST_TICK_OPTION ), 'the loopback is the tick the Overview shows' );
	}

	public function test_hostile_lists_are_reported_line_by_line(): void {
		$list = $this->list_file( array( 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://example.com/', str_repeat( 'a', 3000 ), '/page/90' ) );
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $list, '--porcelain' );
		$this->assertSame( 0, $code, $err );
		$this->assertStringContainsString( 'line 1: scheme must be http or https', $err );
		$this->assertStringContainsString( 'line 2:', $err );
		$this->assertStringContainsString( 'line 3: scheme must be http or https', $err );
		$this->assertStringContainsString( 'line 4: longer than 2048 bytes', $err );

		$bad = $this->list_file( array( 'file:///etc/passwd', 'not a url' ) );
		list( $code, , $err ) = self::wp( 'kb', 'import', $bad );
		$this->assertSame( 1, $code );
		$this->assertStringContainsString( 'no valid URL', $err );
	}

	public function test_a_killed_runner_s_import_resumes_with_one_post_per_url(): void {
		$list = $this->list_file( $this->pages( 100, 60, '?sleep_ms=150' ) );
		list( $code, $out ) = self::wp( 'kb', 'import', $list, '--porcelain' );
		$this->assertSame( 0, $code );
		$id = trim( $out );

		// A runner with a 3 s lease, killed with SIGKILL once some posts exist.
		$env  = getenv();
		$env['WP_CLI_PHP_ARGS'] = '-d kbjobs.lease_seconds=3';
		$proc = proc_open( array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work', '--queues=import' ), array( 1 => array( 'file', '/dev/null', 'w' ), 2 => array( 'file', '/dev/null', 'w' ) ), $pipes, null, $env );
		$this->assertIsResource( $proc );
		$deadline = microtime( true ) + 60;
		while ( $this->article_count() < 15 && microtime( true ) < $deadline ) {
			usleep( 50000 );
		}
		proc_terminate( $proc, 9 );
		proc_close( $proc );
		$before = $this->article_count();
		$this->assertGreaterThanOrEqual( 15, $before );
		$this->assertLessThan( 60, $before, 'killed mid-import' );

		// The lease runs out; the reaper leaves the import interrupted; resume it.
		sleep( 4 );
		\KBJobs_Engine::reset();
		$engine = \KBJobs_Engine::get();
		$engine->reap();
		$this->assertSame( 'interrupted', $engine->get( $id )->status );
		$engine->resume( $id );
		list( $code, , $err ) = self::wp( 'kb', 'work', '--until-empty' );
		$this->assertSame( 0, $code, $err );
		$job = $this->job( $id );
		$this->assertSame( 'completed', $job->status, (string) $job->error );
		$this->assertSame( 60, $this->article_count() );
		$this->assertSame( array(), $this->duplicate_sources() );
	}

	public function test_ranges_run_on_two_runners_and_the_import_sums_them(): void {
		$list = $this->list_file( array_merge( $this->pages( 300, 60, '?sleep_ms=100' ), array( '/status/404', '/status/410' ) ) );
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $list, '--ranges=2', '--sink=bulk', '--porcelain' );
		$this->assertSame( 0, $code, $err );
		$id    = trim( $out );
		$argv  = array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work', '--until-empty', '--format=json' );
		$spec  = array( 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) );
		$one   = proc_open( $argv, $spec, $p1 );
		$two   = proc_open( $argv, $spec, $p2 );
		$r1    = json_decode( stream_get_contents( $p1[1] ), true );
		$r2    = json_decode( stream_get_contents( $p2[1] ), true );
		$this->assertSame( 0, proc_close( $one ) );
		$this->assertSame( 0, proc_close( $two ) );
		$this->assertGreaterThan( 0, $r1['completed'], 'each runner did part of the work' );
		$this->assertGreaterThan( 0, $r2['completed'], 'each runner did part of the work' );
		if ( 'completed' !== $this->job( $id )->status ) {
			self::wp( 'kb', 'work', '--until-empty' ); // the import's last look at its ranges
		}
		$job = $this->job( $id );
		$this->assertSame( 'completed', $job->status, (string) $job->error );
		$this->assertSame( 62, $job->progressDone );
		$this->assertSame( 60, $job->metrics['created'] );
		$this->assertSame( 2, $job->metrics['failed'] );
		$this->assertSame( 60, $this->article_count() );
		$this->assertSame( array(), $this->duplicate_sources() );
		list( , $out ) = self::wp( 'kb', 'import-job', 'failed', $id, '--format=count' );
		$this->assertSame( '2', trim( $out ), 'the ranges\' failed items are the import\'s' );
	}

	public function test_sigterm_finishes_the_chunk_and_gives_the_import_back(): void {
		$list = $this->list_file( $this->pages( 200, 60, '?sleep_ms=100' ) );
		list( , $out ) = self::wp( 'kb', 'import', $list, '--porcelain' );
		$id   = trim( $out );
		$proc = proc_open( array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work', '--queues=import' ), array( 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ), $pipes );
		$deadline = microtime( true ) + 60;
		while ( $this->article_count() < 10 && microtime( true ) < $deadline ) {
			usleep( 50000 );
		}
		proc_terminate( $proc, 15 );
		$out = stream_get_contents( $pipes[1] ) . stream_get_contents( $pipes[2] );
		$this->assertSame( 0, proc_close( $proc ), $out );
		$this->assertStringContainsString( 'given back', $out );
		$job = $this->job( $id );
		$this->assertSame( 'queued', $job->status );
		$this->assertSame( 0, $job->progressDone % 10, 'the cursor stops at a chunk boundary' );
		$this->assertSame( $job->progressDone, $this->article_count() );
	}
}
