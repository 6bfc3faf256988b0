<?php
/**
 * Job and queue counts above the engine's cap (190) as the operator surfaces show them:
 * GET /status and /queues flag the estimated ones, the Jobs screen's status tabs read
 * "≈ …" with a tooltip (and "more than 190" under a type filter no index serves), and
 * `wp kb status` prints "≈" unless --exact. The jobs are seeded with SQL, as copies of
 * one the engine submitted (as tests/scale does), so the test stays fast.
 */

namespace KBJobs\Tests;

final class CountsTest extends TestCase {

	const QUEUE = 'counts-wp-test';
	const TYPE  = 'countstest.seed';

	public static function setUpBeforeClass(): void {
		require_once ABSPATH . 'wp-admin/includes/admin.php';
		self::clean();
		self::seed( 400, 'completed' );
		self::seed( 250, 'queued' );
		rest_get_server();
	}

	public static function tearDownAfterClass(): void {
		self::clean();
		wp_set_current_user( 0 );
	}

	protected function setUp(): void {
		wp_set_current_user( 1 );
		\KBJobs_Data_Snapshot::expire();
	}

	protected function tearDown(): void {
		unset( $_GET['queue'], $_GET['type'] );
	}

	private static function clean(): void {
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s", self::QUEUE ) ) );
	}

	/** $n jobs of queue QUEUE in $status: copies of a submitted job, run_at an hour ahead. */
	private static function seed( int $n, string $status ): void {
		global $wpdb;
		$jobs = $wpdb->prefix . 'kbjobs_jobs';
		$id   = \KBJobs_Engine::get()->submit( self::TYPE, array(), array( 'queue' => self::QUEUE ) );
		$tpl  = (int) $wpdb->get_var( $wpdb->prepare( "SELECT id FROM $jobs WHERE public_id = %s", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$set  = array(
			'id'            => 'NULL',
			'public_id'     => "CONCAT(LEFT(t.public_id, 8), LPAD(LOWER(HEX(s.seq)), 6, '0'), IF('$status' = 'queued', 'a0', 'c0'))",
			'status'        => "'$status'",
			'uniq_active'   => 'NULL',
			'uniq_retained' => 'NULL',
			'unique_key'    => 'NULL',
			'run_at'        => 'NOW(6) + INTERVAL 1 HOUR',
			'finished_at'   => 'completed' === $status ? 'NOW(6)' : 'NULL',
		);
		foreach ( kbjobs_test_clone_jobs_sql( $tpl, $n, $set ) as $sql ) {
			$wpdb->query( $sql ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- built from column names and ints.
		}
		$wpdb->query( kbjobs_test_jobs_sql( "DELETE FROM $jobs WHERE id = $tpl" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	private static function get( string $route ): array {
		$response = rest_do_request( new \WP_REST_Request( 'GET', '/kbjobs/v1' . $route ) );
		self::assertSame( 200, $response->get_status(), $route );
		// as a client reads it: through JSON
		return json_decode( wp_json_encode( $response->get_data() ), true );
	}

	public function test_rest_flags_the_counts_above_the_cap_as_estimated(): void {
		$status = self::get( '/status' );
		$this->assertSame( 'estimate', $status['jobs_estimated']['completed'] ?? null );
		$this->assertSame( 'estimate', $status['jobs_estimated']['queued'] ?? null );
		$this->assertArrayNotHasKey( 'interrupted', $status['jobs_estimated'] );
		$this->assertGreaterThan( 190, $status['jobs']['completed'] );
		$this->assertIsInt( $status['jobs']['completed'] );

		$queue = self::get( '/queues/' . self::QUEUE );
		$this->assertSame( array( 'queued' ), $queue['estimated'] );
		$this->assertGreaterThan( 190, $queue['queued'] );
		$this->assertSame( 0, $queue['due'] ); // none due: exact, and no job read to say so
		$listed = array_column( self::get( '/queues' ), null, 'name' );
		$this->assertSame( array( 'queued' ), $listed[ self::QUEUE ]['estimated'] );

		// below the cap nothing is flagged: an empty object, not a list
		self::clean();
		self::seed( 5, 'queued' );
		\KBJobs_Data_Snapshot::expire();
		$this->assertSame( array(), self::get( '/queues/' . self::QUEUE )['estimated'] );
		$response = rest_do_request( new \WP_REST_Request( 'GET', '/kbjobs/v1/status' ) );
		$this->assertIsObject( $response->get_data()['jobs_estimated'] );
		self::clean();
		self::seed( 400, 'completed' );
		self::seed( 250, 'queued' );
	}

	public function test_the_jobs_screen_shows_estimates_with_a_tooltip_and_more_than_under_a_type(): void {
		$_GET['queue'] = self::QUEUE;
		$html          = self::render( new \KBJobs_Admin_Jobs() );
		// the tabs under a queue filter: the claim index serves it, so estimates
		$this->assertMatchesRegularExpression( '/Completed <span class="count">\(<span class="kbjobs-count-estimate" title="Estimated from the database index[^"]*">≈ [0-9.,]+<\/span>\)/u', $html );
		$this->assertMatchesRegularExpression( '/All <span class="count">\(<span class="kbjobs-count-estimate"[^>]*>≈ /u', $html );
		$this->assertStringContainsString( 'Failed <span class="count">(0)</span>', $html );

		unset( $_GET['queue'] );
		$_GET['type'] = self::TYPE;
		$html         = self::render( new \KBJobs_Admin_Jobs() );
		$this->assertMatchesRegularExpression( '/Completed <span class="count">\(<span class="kbjobs-count-estimate" title="Counted up to 190[^"]*">more than 190<\/span>\)/u', $html );

		// the Overview's numbers and its queue table
		unset( $_GET['type'] );
		$html = self::render( new \KBJobs_Admin_Overview() );
		$this->assertMatchesRegularExpression( '/data-kbjobs-key="status\.jobs\.completed" title="Estimated[^"]*">≈ /u', $html );
		$this->assertStringContainsString( '<td>' . self::QUEUE . '</td><td>≈ ', $html );
	}

	public function test_wp_kb_status_prints_estimates_and_exact_counts_on_request(): void {
		global $wpdb;
		list( , $out ) = self::wp( 'kb', 'status' );
		$this->assertMatchesRegularExpression( '/^Jobs: .*completed ≈ /m', $out );
		$this->assertMatchesRegularExpression( '/^Queue ' . preg_quote( self::QUEUE, '/' ) . ' +≈ [0-9.,k]+ queued, 0 due/m', $out );

		$completed     = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_jobs WHERE status = 'completed'" );
		list( , $out ) = self::wp( 'kb', 'status', '--exact' );
		$this->assertStringContainsString( 'completed ' . number_format( $completed ), $out );
		$this->assertMatchesRegularExpression( '/^Queue ' . preg_quote( self::QUEUE, '/' ) . ' +250 queued/m', $out );
		$this->assertStringNotContainsString( '≈', $out );

		list( , $json ) = self::wp( 'kb', 'status', '--format=json' );
		$this->assertSame( 'estimate', json_decode( $json, true )['jobs_estimated']['completed'] ?? null );
	}

	/** A screen's page as the current user sees it. */
	private static function render( \KBJobs_Admin_Screen $screen ): string {
		ob_start();
		$screen->render_page();
		return (string) ob_get_clean();
	}
}
