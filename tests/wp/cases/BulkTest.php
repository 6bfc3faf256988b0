<?php
/**
 * A bulk action by filter at scale, through the REST API: 10,000 failed jobs (far past
 * the FailureLog's cap, so most have no entry) resubmitted with POST /jobs/bulk. The
 * preview counts them and changes nothing; the confirmed request returns at once with a
 * background job; that job, run by a real `wp kb work`, resubmits every one of them,
 * reports its progress, and leaves one audit row.
 */

namespace KBJobs\Tests;

final class BulkTest extends TestCase {

	const QUEUE = 'bulk-test';
	const JOBS  = 10000;

	protected function setUp(): void {
		\KBJobs_Engine::get();
		$this->clean();
		wp_set_current_user( get_user_by( 'login', getenv( 'KBJOBS_ADMIN_USER' ) )->ID );
		rest_get_server();
	}

	protected function tearDown(): void {
		$this->clean();
		wp_set_current_user( 0 );
	}

	private function clean(): void {
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s OR type = 'kbjobs.bulk'", self::QUEUE ) ) );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_failures" );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_alerts" );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_audit" );
	}

	private static function bulk( array $body ): \WP_REST_Response {
		$request = new \WP_REST_Request( 'POST', '/kbjobs/v1/jobs/bulk' );
		$request->set_header( 'content-type', 'application/json' );
		$request->set_body( wp_json_encode( $body ) );
		return rest_do_request( $request );
	}

	public function test_ten_thousand_failed_jobs_resubmitted_by_filter_in_the_background(): void {
		$engine = \KBJobs_Engine::get();
		$jobs   = array();
		for ( $i = 0; $i < self::JOBS; $i++ ) {
			$jobs[] = array(
				'type'         => 'diag.fail',
				'params'       => array(
					'message'   => 'down',
					'retryable' => false,
				),
				'queue'        => self::QUEUE,
				'max_attempts' => 1,
			);
		}
		foreach ( array_chunk( $jobs, 2000 ) as $chunk ) {
			$engine->submitMany( $chunk );
		}
		$engine->run( array( 'queues' => array( self::QUEUE ), 'until_empty' => true, 'max_seconds' => 600 ) );
		$filter = array(
			'queue'  => self::QUEUE,
			'status' => 'failed',
		);
		$this->assertSame( self::JOBS, $engine->count( $filter ) );
		$this->assertLessThanOrEqual( 50, $engine->failures()->count(), 'the FailureLog keeps its cap' );

		$preview = self::bulk(
			array(
				'action' => 'resubmit',
				'filter' => $filter,
			)
		);
		$this->assertSame( 200, $preview->get_status(), wp_json_encode( $preview->get_data() ) );
		$this->assertSame( self::JOBS, $preview->get_data()['matched'] );
		$this->assertSame( self::JOBS, $engine->count( $filter ), 'the preview changed nothing' );

		$start    = microtime( true );
		$response = self::bulk(
			array(
				'action'  => 'resubmit',
				'filter'  => $filter,
				'confirm' => true,
			)
		);
		$took     = microtime( true ) - $start;
		$this->assertSame( 202, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$job_id = $response->get_data()['job_id'];
		$this->assertSame( self::JOBS, $response->get_data()['matched'] );
		$this->assertSame( self::JOBS, $engine->count( $filter ), 'nothing was done inside the request' );
		$this->assertLessThan( 10, $took, 'the request only submits the background job' );

		// A real runner takes the bulk job from its queue (not the test queue).
		$bulk_queue               = $engine->get( $job_id )->queue;
		list( $code, $out, $err ) = self::wp( 'kb', 'work', '--queues=' . $bulk_queue, '--until-empty', '--max-seconds=300', '--format=json' );
		$this->assertSame( 0, $code, $out . $err );

		$job = $engine->get( $job_id );
		$this->assertSame( 'completed', $job->status, (string) $job->error );
		$this->assertSame( self::JOBS, $job->progressTotal );
		$this->assertSame( self::JOBS, $job->progressDone );
		$this->assertSame( self::JOBS, $job->result['done'] );
		$this->assertSame( 0, $engine->count( $filter ) );
		$this->assertSame(
			self::JOBS,
			$engine->count(
				array(
					'queue'  => self::QUEUE,
					'status' => 'queued',
				)
			)
		);
		$this->assertSame( 0, $engine->failures()->count(), 'their entries went with them' );

		$audit = $engine->auditLog( array( 'limit' => 10 ) )['entries'];
		$this->assertCount( 1, $audit, 'one row for the whole bulk action' );
		$this->assertSame( 'job.bulk.resubmit', $audit[0]['action'] );
		$this->assertSame( 'rest', $audit[0]['source'] );
		$this->assertSame( self::JOBS, $audit[0]['detail']['matched'] );
		$this->assertSame( $job_id, $audit[0]['detail']['job_id'] );
	}
}
