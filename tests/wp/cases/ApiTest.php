<?php
/**
 * The developer API with the extension: kbjobs_register_type(), kbjobs_enqueue(),
 * kbjobs_enqueue_many(), the lifecycle actions around a plugin's handler (completed,
 * retrying, failed, cancelled), and WP_Errors for bad input. (Without the extension:
 * NoExtensionTest.)
 */

namespace KBJobs\Tests;

final class ApiTest extends TestCase {

	const QUEUE = 'api-test';

	/** @var array<int,array> The lifecycle actions fired, in order. */
	private $fired = array();

	protected function setUp(): void {
		\KBJobs_Engine::get();
		$this->clean();
		foreach ( array( 'completed' => 3, 'failed' => 3, 'retrying' => 4, 'cancelled' => 2 ) as $event => $args ) {
			add_action(
				'kbjobs_job_' . $event,
				function ( ...$a ) use ( $event ) {
					$this->fired[] = array_merge( array( $event ), $a );
				},
				10,
				$args
			);
		}
	}

	protected function tearDown(): void {
		foreach ( array( 'completed', 'failed', 'retrying', 'cancelled' ) as $event ) {
			remove_all_actions( 'kbjobs_job_' . $event );
		}
		$this->clean();
	}

	private function clean(): void {
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s", self::QUEUE ) ) );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_failures" );
	}

	private static function run_queue(): void {
		\KBJobs_Engine::get()->run(
			array(
				'queues'           => array( self::QUEUE ),
				'until_empty'      => true,
				'until_empty_wait' => 3,
				'max_seconds'      => 60,
			)
		);
	}

	public function test_a_registered_type_runs_and_fires_completed(): void {
		$this->assertTrue(
			kbjobs_register_type(
				'apitest.double',
				static function ( \KBJobs\Context $ctx ) {
					return array( 'twice' => 2 * $ctx->params()['n'] );
				},
				array( 'queue' => self::QUEUE )
			)
		);
		$id = kbjobs_enqueue( 'apitest.double', array( 'n' => 21 ) );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{16}$/', $id );
		$ids = kbjobs_enqueue_many(
			array(
				array(
					'type'   => 'apitest.double',
					'params' => array( 'n' => 1 ),
				),
				array(
					'type'   => 'apitest.double',
					'params' => array( 'n' => 2 ),
				),
			)
		);
		$this->assertCount( 2, $ids );
		self::run_queue();
		$this->assertSame( array( 'twice' => 42 ), \KBJobs_Engine::get()->get( $id )->result );
		$this->assertContains( array( 'completed', $id, 'apitest.double', array( 'twice' => 42 ) ), $this->fired );
		$this->assertCount( 3, $this->fired );
	}

	public function test_failures_fire_retrying_then_failed_and_cancel_fires_cancelled(): void {
		kbjobs_register_type(
			'apitest.broken',
			static function () {
				throw new \RuntimeException( 'no luck' );
			},
			array(
				'queue'        => self::QUEUE,
				'max_attempts' => 2,
				'backoff'      => array(
					'kind'    => 'fixed',
					'base_ms' => 100,
				),
			)
		);
		$id = kbjobs_enqueue( 'apitest.broken' );
		self::run_queue();
		$this->assertSame( 'failed', \KBJobs_Engine::get()->get( $id )->status );
		$this->assertSame(
			array(
				array( 'retrying', $id, 'apitest.broken', 'no luck', 1 ),
				array( 'failed', $id, 'apitest.broken', 'no luck' ),
			),
			$this->fired
		);

		$this->fired = array();
		$queued      = kbjobs_enqueue( 'apitest.broken', array(), array( 'delay' => 3600 ) );
		$this->assertWPError( \KBJobs_Actions_Jobs::cancel( $queued ), 'kbjobs_not_logged_in', 401 );
		wp_set_current_user( get_user_by( 'login', getenv( 'KBJOBS_ADMIN_USER' ) )->ID );
		$this->assertIsArray( \KBJobs_Actions_Jobs::cancel( $queued ) );
		wp_set_current_user( 0 );
		$this->assertSame( array( array( 'cancelled', $queued, 'apitest.broken' ) ), $this->fired );
	}

	public function test_bad_input_is_a_wp_error(): void {
		$error = kbjobs_enqueue( 'Not A Type!' );
		$this->assertWPError( $error, 'kbjobs_invalid' );
		$this->assertWPError( kbjobs_register_type( 'Bad Name', '__return_null' ), 'kbjobs_invalid' );
		$this->assertWPError( kbjobs_enqueue( 'diag.echo', array(), array( 'priority' => 1000 ) ), 'kbjobs_invalid' );
		$this->assertWPError( kbjobs_enqueue_many( array( array( 'params' => array() ) ) ), 'kbjobs_invalid' );
	}

	private function assertWPError( $value, string $code, int $status = 400 ): void {
		$this->assertInstanceOf( \WP_Error::class, $value );
		$this->assertSame( $code, $value->get_error_code(), $value->get_error_message() );
		$this->assertSame( $status, $value->get_error_data()['status'] );
	}
}
