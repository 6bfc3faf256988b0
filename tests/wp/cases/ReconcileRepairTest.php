<?php
/**
 * Repairs after a reconciliation (KBJobs_Reconcile_Repair), in process against the real
 * site, MariaDB and the fixture site: a real import, then artifacts deleted, truncated
 * and changed and stray files put in artifacts/, logs/ and checkpoints/; a native
 * `reconcile` job run here finds them; the dry run lists what would be done and changes
 * nothing (file tree and posts identical); apply re-fetches the ghosts and drift in one
 * import for the same posts (no new post) and moves the strays to quarantine/<date>/
 * (nothing deleted), skipping findings made stale in between; a second reconciliation no
 * longer reports them. And retention: an old import's job goes with its list files, and
 * its record is marked expired.
 */

namespace KBJobs\Tests;

final class ReconcileRepairTest extends TestCase {

	/** @var string The data directory. */
	private $dir;

	/** @var string[] Files to remove after the test. */
	private $files = array();

	protected function setUp(): void {
		if ( ! getenv( 'KBJOBS_FIXTURE_URL' ) ) {
			$this->fail( 'KBJOBS_FIXTURE_URL is not set: run through `make test-wp`' );
		}
		\KBJobs_Engine::reset();
		\KBJobs_Engine::get();
		self::delete_articles();
		wp_set_current_user( get_user_by( 'login', getenv( 'KBJOBS_ADMIN_USER' ) )->ID );
		$this->dir = \KBJobs_Settings::data_dir();
	}

	protected function tearDown(): void {
		foreach ( $this->files as $f ) {
			@unlink( $f );
		}
		self::delete_articles();
		wp_set_current_user( 0 );
	}

	/** Runs the queued jobs of $queues here, with the import sink. */
	private function work( array $queues ): void {
		\KBJobs_Engine::reset();
		\KBJobs_Runner::run(
			array(
				'queues'      => $queues,
				'until_empty' => true,
				'max_seconds' => 60,
			),
			false
		);
	}

	/** Imports fixture pages; returns url => [post_id, path]. */
	private function import( int $first, int $n ): array {
		$urls = array();
		for ( $i = $first; $i < $first + $n; $i++ ) {
			$urls[] = getenv( 'KBJOBS_FIXTURE_URL' ) . '/page/' . $i . '?repair=' . getmypid();
		}
		$report = \KBJobs_Import::start( $urls, array( 'status' => 'publish' ), 'repair test' );
		$this->work( array( 'import' ) );
		$this->assertSame( 'completed', \KBJobs_Engine::get()->get( $report['id'] )->status );
		$out = array();
		foreach ( $urls as $url ) {
			$a = \KBJobs_Engine::get()->artifact( $url );
			$this->assertGreaterThan( 0, $a['post_id'] );
			$out[ $url ] = array( $a['post_id'], $a['path'] );
		}
		return $out;
	}

	/** Runs a reconciliation here; returns its id. */
	private function reconcile(): string {
		$id = \KBJobs_Engine::get()->submit( 'reconcile', array( 'grace_seconds' => 600 ) );
		$this->work( array( 'default' ) );
		$job = \KBJobs_Engine::get()->get( $id );
		$this->assertSame( 'completed', $job->status, (string) $job->error );
		$this->files[] = $this->dir . '/logs/' . $id . '.reconcile.jsonl';
		$this->files[] = $this->dir . '/logs/' . $id . '.log';
		return $id;
	}

	/** The report's findings' paths. */
	private function reported( string $id ): array {
		$paths = array();
		foreach ( file( $this->dir . '/logs/' . $id . '.reconcile.jsonl' ) as $line ) {
			$f       = json_decode( $line, true );
			$paths[] = $f['kind'] . ' ' . ( $f['path'] ?? '' );
		}
		return $paths;
	}

	/** A file an hour old (older than the grace period). */
	private function put_old( string $rel, string $data ): string {
		$full = $this->dir . '/' . $rel;
		if ( ! is_dir( dirname( $full ) ) ) {
			mkdir( dirname( $full ), 0750, true );
		}
		file_put_contents( $full, $data );
		touch( $full, time() - 3600 );
		$this->files[] = $full;
		return $full;
	}

	/** Every file of the data directory: path => size, mtime, sha1. */
	private function tree(): array {
		$out = array();
		$it  = new \RecursiveIteratorIterator( new \RecursiveDirectoryIterator( $this->dir, \FilesystemIterator::SKIP_DOTS ) );
		foreach ( $it as $file ) {
			$out[ $file->getPathname() ] = array( $file->getSize(), $file->getMTime(), sha1_file( $file->getPathname() ) );
		}
		ksort( $out );
		return $out;
	}

	/** Every article: ID => modified, content. */
	private function posts(): array {
		global $wpdb;
		return $wpdb->get_results( "SELECT ID, post_modified_gmt, post_content, post_status FROM {$wpdb->posts} WHERE post_type = 'kb_article' ORDER BY ID", ARRAY_A );
	}

	public function test_plan_changes_nothing_and_apply_refetches_for_the_same_posts_and_quarantines_strays(): void {
		$engine   = \KBJobs_Engine::get();
		$imported = $this->import( 400, 6 );
		$urls     = array_keys( $imported );
		$posts    = count( $this->posts() );
		$this->assertSame( 6, $posts );

		// Three ghosts (the third comes back before apply), a truncated and a changed
		// artifact (drift), strays in three folders (one removed before apply).
		$saved = file_get_contents( $this->dir . '/' . $imported[ $urls[2] ][1] );
		foreach ( array( 0, 1, 2 ) as $i ) {
			$this->assertTrue( unlink( $this->dir . '/' . $imported[ $urls[ $i ] ][1] ) );
		}
		$trunc = $this->dir . '/' . $imported[ $urls[3] ][1];
		file_put_contents( $trunc, substr( (string) file_get_contents( $trunc ), 0, 40 ) );
		touch( $trunc, time() - 3600 );
		$changed = $this->dir . '/' . $imported[ $urls[4] ][1];
		$doc     = json_decode( (string) file_get_contents( $changed ), true );
		$doc['text'] .= ' tampered';
		file_put_contents( $changed, wp_json_encode( $doc ) );
		touch( $changed, time() - 3600 );
		$stray_hash = hash( 'sha256', 'stray ' . getmypid() );
		$strays     = array(
			'artifacts/' . substr( $stray_hash, 0, 2 ) . '/' . $stray_hash . '.json',
			'logs/' . substr( $stray_hash, 0, 16 ) . '.log',
			'checkpoints/' . substr( $stray_hash, 16, 16 ) . '.checkpoint.json',
			'logs/' . substr( $stray_hash, 32, 16 ) . '.log',
		);
		foreach ( $strays as $rel ) {
			$this->put_old( $rel, '{"stray":true}' );
		}

		$job      = $this->reconcile();
		$reported = $this->reported( $job );
		foreach ( $strays as $rel ) {
			$this->assertContains( 'orphan ' . $rel, $reported );
		}

		// The dry run: what would be done, and nothing done.
		$tree_before  = $this->tree();
		$posts_before = $this->posts();
		$plan         = \KBJobs_Reconcile_Repair::plan( $job, array( 'ghosts', 'orphans', 'drift' ), 100000 ); // every action: other tests leave files too
		$this->assertIsArray( $plan, is_wp_error( $plan ) ? $plan->get_error_message() : '' );
		$this->assertSame( 3, $plan['counts']['ghosts']['refetch'] );
		$this->assertSame( 2, $plan['counts']['drift']['refetch'] );
		$this->assertGreaterThanOrEqual( 4, $plan['counts']['orphans']['quarantine'] );
		$by_path = array();
		foreach ( $plan['actions'] as $a ) {
			$by_path[ $a['path'] ] = $a;
		}
		foreach ( $strays as $rel ) {
			$this->assertSame( 'quarantine', $by_path[ $rel ]['action'] ?? null, $rel );
		}
		$this->assertSame( 'refetch', $by_path[ $imported[ $urls[0] ][1] ]['action'] );
		$this->assertSame( $urls[0], $by_path[ $imported[ $urls[0] ][1] ]['url'] );
		$this->assertSame( $imported[ $urls[0] ][0], $by_path[ $imported[ $urls[0] ][1] ]['post_id'] );
		$this->assertSame( 'refetch', $by_path[ $imported[ $urls[3] ][1] ]['action'] );
		$this->assertSame( 'invalid_json', $by_path[ $imported[ $urls[3] ][1] ]['reason'] );
		$this->assertSame( $tree_before, $this->tree(), 'the dry run changed no file' );
		$this->assertSame( $posts_before, $this->posts(), 'the dry run changed no post' );

		// Stale between plan and apply: a ghost's file is back, a stray is gone.
		file_put_contents( $this->dir . '/' . $imported[ $urls[2] ][1], $saved );
		unlink( $this->dir . '/' . $strays[3] );

		$done = \KBJobs_Reconcile_Repair::apply( $job, array( 'ghosts', 'orphans', 'drift' ) );
		$this->assertIsArray( $done, is_wp_error( $done ) ? $done->get_error_message() : '' );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{16}$/', (string) $done['refetch_job'] );
		$this->assertSame( 4, $done['refetched'] );
		$this->assertGreaterThanOrEqual( 2, $done['stale'] );
		$this->assertGreaterThanOrEqual( 3, $done['quarantined'] );
		$refetch = $engine->get( $done['refetch_job'] );
		$this->assertTrue( $refetch->params['rewrite'] );

		// Strays moved, not deleted: quarantine/<today>/<the same path>.
		$day = gmdate( 'Y-m-d' );
		foreach ( array_slice( $strays, 0, 3 ) as $rel ) {
			$this->assertFileDoesNotExist( $this->dir . '/' . $rel );
			$moved = $this->dir . '/quarantine/' . $day . '/' . $rel;
			$this->assertFileExists( $moved );
			$this->assertSame( '{"stray":true}', file_get_contents( $moved ) );
			$this->files[] = $moved;
		}

		// The re-fetch: files back and valid, the same posts, no new one.
		$this->work( array( 'import' ) );
		$this->assertSame( 'completed', $engine->get( $done['refetch_job'] )->status );
		foreach ( array( 0, 1, 3, 4 ) as $i ) {
			$a = $engine->artifact( $urls[ $i ] );
			$this->assertSame( $imported[ $urls[ $i ] ][0], $a['post_id'], 'the same post' );
			$this->assertSame( $done['refetch_job'], $a['job'] );
			$doc = json_decode( (string) file_get_contents( $this->dir . '/' . $a['path'] ), true );
			$this->assertIsArray( $doc );
			$this->assertSame( hash( 'sha256', $doc['title'] . "\n" . $doc['text'] ), $doc['content_hash'] );
			$this->assertSame( 'publish', get_post_status( $a['post_id'] ) );
		}
		$this->assertSame( $posts, count( $this->posts() ), 'no new posts' );

		// A second reconciliation reports none of it.
		$again = $this->reported( $this->reconcile() );
		foreach ( $strays as $rel ) {
			$this->assertNotContains( 'orphan ' . $rel, $again );
		}
		foreach ( $urls as $url ) {
			$this->assertNotContains( 'ghost ' . $imported[ $url ][1], $again );
			$this->assertNotContains( 'drift ' . $imported[ $url ][1], $again );
		}
	}

	public function test_the_articles_re_fetch_restores_a_missing_artifact_for_the_same_post(): void {
		$imported = $this->import( 430, 1 );
		$url      = array_keys( $imported )[0];
		list( $post_id, $path ) = $imported[ $url ];
		wp_update_post( array( 'ID' => $post_id, 'post_status' => 'draft' ) );
		$this->assertTrue( unlink( $this->dir . '/' . $path ) );

		$result = \KBJobs_Admin_Articles::refetch( $post_id );
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$this->assertTrue( \KBJobs_Engine::get()->get( $result['id'] )->params['rewrite'] );
		$this->work( array( 'import' ) );
		$this->assertFileExists( $this->dir . '/' . $path, 'an unchanged page is written again' );
		$this->assertSame( $post_id, \KBJobs_Engine::get()->artifact( $url )['post_id'] );
		$this->assertSame( 'draft', get_post_status( $post_id ), 'the post keeps its status' );
		$this->assertCount( 1, $this->posts() );
	}

	public function test_plan_refuses_bad_kinds_unfinished_jobs_and_users_who_may_not_operate(): void {
		$engine = \KBJobs_Engine::get();
		$job    = $this->reconcile();
		$bad    = \KBJobs_Reconcile_Repair::plan( $job, array( 'ghosts', 'everything' ) );
		$this->assertSame( 'kbjobs_invalid', $bad->get_error_code() );
		$this->assertSame( 'kbjobs_not_found', \KBJobs_Reconcile_Repair::plan( $engine->submit( 'diag.echo', array(), array( 'queue' => 'repair-none' ) ), array( 'ghosts' ) )->get_error_code() );
		wp_set_current_user( 0 );
		$this->assertSame( 'kbjobs_not_logged_in', \KBJobs_Reconcile_Repair::plan( $job, array( 'ghosts' ) )->get_error_code() );
		$this->assertSame( 'kbjobs_not_logged_in', \KBJobs_Reconcile_Repair::apply( $job, array( 'orphans' ) )->get_error_code() );
	}

	public function test_retention_removes_an_import_s_list_files_and_its_record_is_marked_expired(): void {
		global $wpdb;
		$engine = \KBJobs_Engine::get();
		$urls   = array( getenv( 'KBJOBS_FIXTURE_URL' ) . '/page/420?expire=' . getmypid() );
		$report = \KBJobs_Import::start( $urls, array(), 'expiring list' );
		$this->work( array( 'import' ) );
		$id = $report['id'];
		$this->assertFileExists( $this->dir . '/lists/' . $id . '.urls' );
		file_put_contents( $this->dir . '/logs/' . $id . '.reconcile.jsonl', "{}\n" );

		// The job finished 40 days ago, its record was made then.
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "UPDATE {$wpdb->prefix}kbjobs_jobs SET finished_at = NOW(6) - INTERVAL 40 DAY WHERE public_id = %s", $id ) ) );
		$wpdb->update( $wpdb->posts, array( 'post_date_gmt' => gmdate( 'Y-m-d H:i:s', time() - 40 * DAY_IN_SECONDS ) ), array( 'ID' => $report['post_id'] ) );
		clean_post_cache( $report['post_id'] );
		delete_option( \KBJobs_Maintenance::EXPIRED_CURSOR );
		$this->assertSame( 0, \KBJobs_Maintenance::mark_expired_imports(), 'its job is still there' );

		$this->assertGreaterThanOrEqual( 1, $engine->retention( 30 ) );
		foreach ( array( 'lists/' . $id . '.urls', 'lists/' . $id . '.idx', 'logs/' . $id . '.log', 'logs/' . $id . '.reconcile.jsonl' ) as $rel ) {
			$this->assertFileDoesNotExist( $this->dir . '/' . $rel );
		}
		$this->assertSame( 1, \KBJobs_Maintenance::mark_expired_imports() );
		$this->assertGreaterThan( time() - 60, (int) get_post_meta( $report['post_id'], \KBJobs_Import::META_EXPIRED, true ) );
		$this->assertSame( 0, \KBJobs_Maintenance::mark_expired_imports(), 'marked once' );
		$this->assertNotSame( '', get_post_meta( $report['post_id'], \KBJobs_Import::META_COUNTS, true ), 'kept with its counts' );

		$import = \KBJobs_Data_Imports::get( $id );
		$this->assertSame( 'expired', $import['status'] );
		$this->assertSame( 1, $import['list']['accepted'] );
		$this->assertSame( 'expiring list', $import['source'] );
	}
}
