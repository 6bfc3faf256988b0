<?php
/**
 * WP-Cron events a page at a time: KBJobs_Data_Cron::events() walks a list by its
 * cursors forward and back across events due at the same second, filters by state in
 * the engine, and refuses a cursor of another order; GET /cron/events pages with
 * cursor and per_page (next and prev headers and links); the Scheduled Queue shows one
 * page with First, Previous and Next links that keep its filter, and "≈" before an
 * estimated count; `wp kb cron event list` still lists every event.
 */

namespace KBJobs\Tests;

final class CronPagesTest extends TestCase {

	const HOOK = 'kbjobs_test_pages_';

	/** @var int[] The events made, in the list's order (soonest first, then id). */
	private $ids = array();

	protected function setUp(): void {
		\KBJobs_Engine::get();
		self::clean();
		wp_set_current_user( 1 );
	}

	protected function tearDown(): void {
		self::clean();
		wp_set_current_user( 0 );
	}

	private static function clean(): void {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_cron_events WHERE hook LIKE %s", $wpdb->esc_like( self::HOOK ) . '%' ) );
		\KBJobs_Cron_Store::invalidate();
	}

	/**
	 * Adds $n events of HOOK.<i>, two a second from an hour ahead, every third paused;
	 * as the engine writes them (due_at = next_run).
	 */
	private function seed( int $n ): void {
		global $wpdb;
		$t = time() + HOUR_IN_SECONDS;
		$wpdb->query(
			$wpdb->prepare(
				"INSERT INTO {$wpdb->prefix}kbjobs_cron_events (hook, args_key, args, args_php, next_run, due_at, paused, created_at, updated_at)"
				. " SELECT CONCAT(%s, s.seq), MD5(s.seq), '[]', '', %d + s.seq DIV 2, %d + s.seq DIV 2, s.seq %% 3 = 0, NOW(6), NOW(6) FROM seq_1_to_{$n} s",
				self::HOOK,
				$t,
				$t
			)
		);
		$this->ids = array_map( 'intval', $wpdb->get_col( $wpdb->prepare( "SELECT id FROM {$wpdb->prefix}kbjobs_cron_events WHERE hook LIKE %s ORDER BY next_run, id", $wpdb->esc_like( self::HOOK ) . '%' ) ) );
		\KBJobs_Cron_Store::invalidate();
	}

	private static function ids( array $page ): array {
		return array_column( $page['events'], 'id' );
	}

	public function test_pages_walk_the_list_both_ways_across_events_due_at_the_same_second(): void {
		$this->seed( 9 );
		$filter = array(
			'search' => self::HOOK,
			'limit'  => 2,
		);
		$pages  = array();
		$cursor = '';
		do {
			$page    = \KBJobs_Data_Cron::events( array( 'cursor' => $cursor ) + $filter );
			$pages[] = $page;
			$cursor  = (string) $page['next_cursor'];
		} while ( '' !== $cursor );
		$this->assertCount( 5, $pages );
		$this->assertSame( $this->ids, array_merge( ...array_map( array( self::class, 'ids' ), $pages ) ), 'every event once, in order' );
		$this->assertNull( $pages[0]['prev_cursor'], 'the first page has none before it' );
		$this->assertNull( $pages[4]['next_cursor'] );
		// Back from the last page, page by page, to the first.
		$back = array();
		$page = $pages[4];
		while ( null !== $page['prev_cursor'] ) {
			$page = \KBJobs_Data_Cron::events( array( 'cursor' => $page['prev_cursor'] ) + $filter );
			array_unshift( $back, self::ids( $page ) );
		}
		$this->assertSame( array_slice( array_map( array( self::class, 'ids' ), $pages ), 0, 4 ), $back );
		$this->assertNotNull( $page['next_cursor'], 'a page reached backward leads forward again' );

		// In id order.
		$by_id = \KBJobs_Data_Cron::events( array( 'order' => 'id' ) + $filter );
		$next  = \KBJobs_Data_Cron::events( array( 'order' => 'id', 'cursor' => $by_id['next_cursor'] ) + $filter );
		$all   = $this->ids;
		sort( $all );
		$this->assertSame( array_slice( $all, 0, 4 ), array_merge( self::ids( $by_id ), self::ids( $next ) ) );

		// A cursor of the other order, or made up, is refused.
		foreach ( array( (string) $by_id['next_cursor'], 'x1', '1.2.3' ) as $bad ) {
			try {
				\KBJobs_Data_Cron::events( array( 'cursor' => $bad ) + $filter );
				$this->fail( "cursor $bad accepted" );
			} catch ( \InvalidArgumentException $e ) {
				$this->assertStringContainsString( 'cursor', $e->getMessage() );
			}
		}
	}

	public function test_a_state_filter_is_read_by_the_engine_a_page_at_a_time(): void {
		global $wpdb;
		$this->seed( 9 );
		$paused = \KBJobs_Data_Cron::events(
			array(
				'search' => self::HOOK,
				'state'  => 'paused',
				'limit'  => 2,
			)
		);
		$this->assertSame( array( true, true ), array_column( $paused['events'], 'paused' ) );
		$this->assertNotNull( $paused['next_cursor'] );
		$rest = \KBJobs_Data_Cron::events(
			array(
				'search' => self::HOOK,
				'state'  => 'paused',
				'cursor' => $paused['next_cursor'],
			)
		);
		$this->assertCount( 1, $rest['events'], 'three of nine are paused' );
		$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->prefix}kbjobs_cron_events SET fail_streak = 1 WHERE id = %d", $this->ids[4] ) );
		$failing = \KBJobs_Data_Cron::events(
			array(
				'search' => self::HOOK,
				'state'  => 'failing',
			)
		);
		$this->assertSame( array( $this->ids[4] ), self::ids( $failing ) );
		$this->expectException( \InvalidArgumentException::class );
		\KBJobs_Data_Cron::events( array( 'state' => 'late' ) );
	}

	public function test_rest_pages_with_cursor_and_per_page(): void {
		$this->seed( 5 );
		$request = new \WP_REST_Request( 'GET', '/kbjobs/v1/cron/events' );
		$request->set_query_params(
			array(
				'search'   => self::HOOK,
				'per_page' => 2,
			)
		);
		$first = rest_do_request( $request );
		$this->assertSame( 200, $first->get_status() );
		$this->assertSame( array_slice( $this->ids, 0, 2 ), array_column( $first->get_data()['events'], 'id' ) );
		$next = $first->get_headers()['X-KBJobs-Next-Cursor'];
		$this->assertSame( $first->get_data()['next_cursor'], $next );
		$this->assertArrayNotHasKey( 'X-KBJobs-Prev-Cursor', $first->get_headers() );

		$request->set_param( 'cursor', $next );
		$second = rest_do_request( $request );
		$this->assertSame( array_slice( $this->ids, 2, 2 ), array_column( $second->get_data()['events'], 'id' ) );
		$prev = $second->get_headers()['X-KBJobs-Prev-Cursor'];
		$this->assertStringContainsString( 'rel="prev"', implode( ',', (array) $second->get_headers()['Link'] ) );
		$request->set_param( 'cursor', $prev );
		$this->assertSame( array_slice( $this->ids, 0, 2 ), array_column( rest_do_request( $request )->get_data()['events'], 'id' ) );

		$request->set_param( 'cursor', 'nope' );
		$this->assertSame( 400, rest_do_request( $request )->get_status() );
		$request = new \WP_REST_Request( 'GET', '/kbjobs/v1/cron/events' );
		$request->set_query_params(
			array(
				'search' => self::HOOK,
				'state'  => 'paused',
			)
		);
		$this->assertSame( array( $this->ids[2] ), array_column( rest_do_request( $request )->get_data()['events'], 'id' ) );
	}

	public function test_the_screen_shows_one_page_with_links_that_keep_the_filter_and_marks_estimates(): void {
		$this->seed( 2 * \KBJobs_Admin_Cron::PER_PAGE + 10 );
		$_GET = array(
			'page'   => 'kbjobs-cron',
			'search' => self::HOOK,
		);
		$html = self::render();
		$this->assertSame( \KBJobs_Admin_Cron::PER_PAGE, substr_count( $html, 'data-kbjobs-cell="hook"' ) );
		$this->assertMatchesRegularExpression( '/class="button kbjobs-next-page" href="[^"]*search=kbjobs_test_pages_[^"]*cursor=/', $html );
		$this->assertStringNotContainsString( 'kbjobs-prev-page', $html );
		// more events than the counts' cap: the total is an estimate
		$this->assertMatchesRegularExpression( '/≈[0-9,.]+ events:/', $html );
		$this->assertStringContainsString( 'kbjobs-estimated', $html );

		preg_match( '/class="button kbjobs-next-page" href="[^"]*cursor=([^"&]+)/', $html, $m );
		$_GET['cursor'] = rawurldecode( html_entity_decode( $m[1] ) );
		$_GET['state']  = '';
		$html           = self::render();
		$this->assertStringContainsString( 'kbjobs-prev-page', $html );
		$this->assertStringContainsString( 'kbjobs-first-page', $html );
		$this->assertStringContainsString( '<code data-kbjobs-cell="hook">' . self::HOOK . ( \KBJobs_Admin_Cron::PER_PAGE + 1 ) . '</code>', $html );

		$_GET = array(
			'page'   => 'kbjobs-cron',
			'search' => self::HOOK,
			'state'  => 'paused',
		);
		$html = self::render();
		$this->assertStringContainsString( 'value="paused" selected', $html );
		$this->assertStringNotContainsString( '<code data-kbjobs-cell="hook">' . self::HOOK . '1</code>', $html, 'event 1 is not paused' );
		$this->assertStringContainsString( '<code data-kbjobs-cell="hook">' . self::HOOK . '3</code>', $html );
		$_GET = array();
	}

	public function test_the_cli_still_lists_every_event(): void {
		$this->seed( 520 );
		list( $code, $out ) = self::wp( 'kb', 'cron', 'event', 'list', '--search=' . self::HOOK, '--format=count' );
		$this->assertSame( 0, $code, $out );
		$this->assertSame( '520', trim( $out ) );
		list( , $out ) = self::wp( 'kb', 'cron', 'event', 'list', '--search=' . self::HOOK, '--limit=3', '--format=ids' );
		$this->assertSame( implode( ' ', array_slice( $this->ids, 0, 3 ) ), trim( $out ) );
	}

	private static function render(): string {
		ob_start();
		( new \KBJobs_Admin_Cron() )->render_page();
		return (string) ob_get_clean();
	}
}
