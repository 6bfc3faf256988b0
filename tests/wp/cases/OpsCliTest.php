<?php
/**
 * The operator commands through the real WP-CLI: `wp kb status`, `job`, `failure`,
 * `alert`, `runner`, `queue`, `checkpoint`, `import-job` and `audit`, each format
 * (table as a drawn table, json, csv, yaml, ids, count), times as ISO 8601 UTC, each
 * error path with its message and a non-zero exit, `--user` for a WordPress user and the
 * command-line operator without it, and one audit row per action with source cli.
 */

namespace KBJobs\Tests;

final class OpsCliTest extends TestCase {

	const QUEUE      = 'cli-test';
	const FAIL_QUEUE = 'cli-test-fail';

	/** @var int A subscriber, to run commands as with --user. */
	private static $subscriber = 0;

	public static function setUpBeforeClass(): void {
		\KBJobs_Engine::get();
		$user = get_user_by( 'login', 'cli_subscriber' );
		if ( $user ) {
			require_once ABSPATH . 'wp-admin/includes/user.php';
			wp_delete_user( $user->ID );
		}
		self::$subscriber = wp_insert_user(
			array(
				'user_login' => 'cli_subscriber',
				'user_pass'  => wp_generate_password( 24 ),
				'user_email' => 'cli_subscriber@example.test',
				'role'       => 'subscriber',
			)
		);
	}

	public static function tearDownAfterClass(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		wp_delete_user( self::$subscriber );
		self::clean();
		putenv( 'SHELL_PIPE' );
	}

	protected function setUp(): void {
		self::clean();
		putenv( 'SHELL_PIPE' );
	}

	private static function clean(): void {
		global $wpdb;
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue IN (%s, %s)", self::QUEUE, self::FAIL_QUEUE ) ) );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_failures" );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_audit" );
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_queues WHERE name = %s", self::QUEUE ) );
	}

	private static function queued( int $n ): array {
		$ids = array();
		for ( $i = 0; $i < $n; $i++ ) {
			$ids[] = \KBJobs_Engine::get()->submit( 'diag.echo', array( 'i' => $i ), array( 'queue' => self::QUEUE, 'delay' => 3600 ) );
		}
		return $ids;
	}

	/** Jobs that failed for good, in a queue of their own (the runner takes only them). */
	private static function failed( int $n ): array {
		$engine = \KBJobs_Engine::get();
		$ids    = array();
		for ( $i = 0; $i < $n; $i++ ) {
			$ids[] = $engine->submit( 'diag.fail', array( 'message' => "broken $i", 'retryable' => false ), array( 'queue' => self::FAIL_QUEUE, 'max_attempts' => 1 ) );
		}
		$engine->run( array( 'queues' => array( self::FAIL_QUEUE ), 'until_empty' => true, 'max_seconds' => 60 ) );
		return $ids;
	}

	private static function ok( string ...$args ): string {
		list( $code, $out, $err ) = self::wp( ...$args );
		self::assertSame( 0, $code, implode( ' ', $args ) . ": $out $err" );
		return $out;
	}

	private function refused( string $message, string ...$args ): void {
		list( $code, $out, $err ) = self::wp( ...$args );
		$this->assertSame( 1, $code, implode( ' ', $args ) . ": $out $err" );
		$this->assertStringContainsString( 'Error: ', $err );
		$this->assertStringContainsString( $message, $err );
	}

	public function test_job_list_in_every_format_with_iso_times(): void {
		$ids = self::queued( 3 );

		putenv( 'SHELL_PIPE=0' ); // as on a terminal: WP-CLI draws the table
		$table = self::ok( 'kb', 'job', 'list', '--queue=' . self::QUEUE );
		$this->assertMatchesRegularExpression( '/^\+-+\+/', $table, 'a drawn table' );
		$this->assertStringContainsString( '| id ', $table );
		putenv( 'SHELL_PIPE' );

		$json = json_decode( self::ok( 'kb', 'job', 'list', '--queue=' . self::QUEUE, '--format=json' ), true );
		$this->assertSame( array_reverse( $ids ), array_column( $json, 'id' ) );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $json[0]['created_at'] );
		$this->assertSame( \KBJobs_Data_Jobs::LIST_FIELDS, array_keys( $json[0] ) );

		$csv = explode( "\n", trim( self::ok( 'kb', 'job', 'list', '--queue=' . self::QUEUE, '--format=csv', '--fields=id,status' ) ) );
		$this->assertSame( 'id,status', $csv[0] );
		$this->assertSame( $ids[2] . ',queued', $csv[1] );
		$this->assertStringContainsString( "status: queued", self::ok( 'kb', 'job', 'list', '--queue=' . self::QUEUE, '--format=yaml' ) );
		$this->assertSame( implode( ' ', array_reverse( $ids ) ), trim( self::ok( 'kb', 'job', 'list', '--queue=' . self::QUEUE, '--format=ids' ) ) );
		$this->assertSame( '3', trim( self::ok( 'kb', 'job', 'list', '--queue=' . self::QUEUE, '--format=count' ) ) );
		$this->assertSame( '1', trim( self::ok( 'kb', 'job', 'list', '--search=' . $ids[1], '--format=count' ) ) );

		list( $code, $out, $err ) = self::wp( 'kb', 'job', 'list', '--queue=' . self::QUEUE, '--limit=2', '--format=ids' );
		$this->assertSame( 0, $code );
		$this->assertSame( 2, count( explode( ' ', trim( $out ) ) ) );
		$this->assertMatchesRegularExpression( '/More jobs: --cursor=(\S+)/', $err );
		preg_match( '/--cursor=(\S+)/', $err, $m );
		$this->assertSame( $ids[0], trim( self::ok( 'kb', 'job', 'list', '--queue=' . self::QUEUE, '--limit=2', '--format=ids', '--cursor=' . $m[1] ) ) );

		$this->refused( "Invalid value specified for 'status'", 'kb', 'job', 'list', '--status=bogus' );
		$this->refused( 'created_after must be an ISO 8601 date-time', 'kb', 'job', 'list', '--created-after=soonish' );
	}

	public function test_job_get_cancel_resume_rerun_attempts_logs(): void {
		list( $id ) = self::queued( 1 );
		putenv( 'SHELL_PIPE=0' );
		$table = self::ok( 'kb', 'job', 'get', $id );
		$this->assertMatchesRegularExpression( '/\| Field +\| Value/', $table );
		putenv( 'SHELL_PIPE' );
		$this->assertSame( 'queued', trim( self::ok( 'kb', 'job', 'get', $id, '--field=status' ) ) );
		$job = json_decode( self::ok( 'kb', 'job', 'get', $id, '--format=json' ), true );
		$this->assertSame( $id, $job['id'] );
		$this->assertStringStartsWith( 'Scheduled', ucfirst( (string) $job['waiting'] ) );
		$this->assertMatchesRegularExpression( '/Z$/', $job['run_at'] );
		$this->assertSame( $id, trim( self::ok( 'kb', 'job', 'get', $id, '--format=ids' ) ) );

		$this->assertStringContainsString( "Cancelled job $id", self::ok( 'kb', 'job', 'cancel', $id ) );
		$this->refused( 'can be cancelled', 'kb', 'job', 'cancel', $id );
		$this->assertStringContainsString( 'queued again', self::ok( 'kb', 'job', 'resume', $id ) );
		$this->refused( 'is not a job id', 'kb', 'job', 'get', '../../etc/passwd' );
		$this->refused( 'no job 0123456789abcdef', 'kb', 'job', 'get', '0123456789abcdef' );
		$this->refused( '', 'kb', 'job', 'rerun', $id );

		list( $failed ) = self::failed( 1 );
		$new            = trim( self::ok( 'kb', 'job', 'rerun', $failed, '--porcelain' ) );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{16}$/', $new );
		$this->assertSame( $failed, \KBJobs_Engine::get()->get( $new )->rerunOf );
		$attempts = json_decode( self::ok( 'kb', 'job', 'attempts', $failed, '--format=json' ), true );
		$this->assertSame( 'broken 0', $attempts[0]['error'] );
		$this->assertMatchesRegularExpression( '/Z$/', $attempts[0]['finished_at'] );

		\KBJobs_Engine::get()->log( $id, 'info', 'first', array( 'n' => 1 ) );
		\KBJobs_Engine::get()->log( $id, 'error', 'second' );
		$text = self::ok( 'kb', 'job', 'logs', $id );
		$this->assertMatchesRegularExpression( '/info +first \{"n":1\}/', $text );
		$this->assertSame( 'second', json_decode( trim( self::ok( 'kb', 'job', 'logs', $id, '--tail=1', '--format=json' ) ), true )['msg'] );
		\KBJobs_Engine::get()->cancel( $id );
		$this->assertStringContainsString( 'second', self::ok( 'kb', 'job', 'logs', $id, '--follow' ), '--follow ends when the job has finished' );

		$audit = \KBJobs_Engine::get()->auditLog( array( 'limit' => 20 ) )['entries'];
		$this->assertSame( array( 'job.rerun', 'job.rerun', 'job.resume', 'job.cancel', 'job.cancel' ), array_column( $audit, 'action' ) );
		foreach ( $audit as $entry ) {
			$this->assertSame( 'cli', $entry['source'] );
			$this->assertStringStartsWith( 'cli:', $entry['user_login'], 'the command-line operator' );
		}
	}

	public function test_user_flag_runs_as_that_user_and_checks_capabilities(): void {
		list( $id ) = self::queued( 1 );
		$this->refused( 'kbjobs_view', 'kb', 'job', 'list', '--user=cli_subscriber' );
		$this->refused( 'kbjobs_operate', 'kb', 'job', 'cancel', $id, '--user=cli_subscriber' );
		$this->assertSame( 'queued', \KBJobs_Engine::get()->get( $id )->status );
		$denied = \KBJobs_Engine::get()->auditLog( array( 'outcome' => 'denied' ) )['entries'];
		$this->assertSame( 'cli_subscriber', $denied[0]['user_login'] );

		self::ok( 'kb', 'job', 'cancel', $id, '--user=' . getenv( 'KBJOBS_ADMIN_USER' ) );
		$entry = \KBJobs_Engine::get()->auditLog( array( 'action' => 'job.cancel', 'outcome' => 'ok' ) )['entries'][0];
		$this->assertSame( getenv( 'KBJOBS_ADMIN_USER' ), $entry['user_login'] );
	}

	public function test_failures_alerts_and_bulk(): void {
		$ids  = self::failed( 3 );
		$rows = json_decode( self::ok( 'kb', 'failure', 'list', '--format=json' ), true );
		$this->assertEqualsCanonicalizing( $ids, array_column( $rows, 'job_id' ) );
		$this->assertSame( 'job', $rows[0]['kind'] );
		$this->assertSame( '3', trim( self::ok( 'kb', 'failure', 'list', '--format=count' ) ) );
		$this->assertStringContainsString( '1 entries resubmitted', self::ok( 'kb', 'failure', 'resubmit', $ids[0] ) );
		$this->refused( 'Give job ids, or --all', 'kb', 'failure', 'delete' );
		$this->refused( 'not in the FailureLog', 'kb', 'failure', 'delete', $ids[0] );
		$this->assertStringContainsString( '2 entries deleted', self::ok( 'kb', 'failure', 'delete', '--all', '--yes' ) );
		$this->assertSame( '0', trim( self::ok( 'kb', 'failure', 'list', '--format=count' ) ) );
		$this->assertIsArray( json_decode( self::ok( 'kb', 'alert', 'list', '--format=json' ), true ) );
		$this->refused( 'is not an alert id', 'kb', 'alert', 'ack', 'x' );

		// Bulk: a dry run counts, --yes starts the background job.
		$this->assertStringContainsString( '2 jobs match', self::ok( 'kb', 'job', 'bulk', 'resubmit', '--queue=' . self::FAIL_QUEUE, '--status=failed', '--dry-run' ) );
		$job = trim( self::ok( 'kb', 'job', 'bulk', 'resubmit', '--queue=' . self::FAIL_QUEUE, '--status=failed', '--yes', '--porcelain' ) );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{16}$/', $job );
		$this->assertSame( 'kbjobs.bulk', \KBJobs_Engine::get()->get( $job )->type );
		$this->refused( 'Invalid value specified for positional arg', 'kb', 'job', 'bulk', 'explode' );

		// --wait runs the bulk job here, with a progress bar, to its end.
		$queued = self::queued( 3 );
		list( $code, $out, $err ) = self::wp( 'kb', 'job', 'bulk', 'cancel', '--queue=' . self::QUEUE, '--status=queued', '--yes', '--wait' );
		$this->assertSame( 0, $code, $out . $err );
		$this->assertStringContainsString( '3 done, 0 skipped', $out );
		foreach ( $queued as $id ) {
			$this->assertSame( 'cancelled', \KBJobs_Engine::get()->get( $id )->status );
		}
		$this->assertSame( 'completed', \KBJobs_Engine::get()->get( $job )->status, 'the first bulk job ran too' );
		$this->assertSame( 'queued', \KBJobs_Engine::get()->get( $ids[1] )->status, 'and resubmitted the failed jobs' );
	}

	public function test_settings_changes_are_audited(): void {
		self::ok( 'option', 'update', 'kbjobs_remove_all_data', '1' );
		self::ok( 'option', 'delete', 'kbjobs_remove_all_data' );
		$entries = \KBJobs_Engine::get()->auditLog( array( 'action' => 'settings.update' ) )['entries'];
		$this->assertCount( 2, $entries );
		$this->assertSame( 'kbjobs_remove_all_data', $entries[1]['target'] );
		$this->assertSame( '1', $entries[1]['detail']['after'] );
		$this->assertNull( $entries[0]['detail']['after'] );
		$this->assertSame( 'cli', $entries[0]['source'] );
	}

	public function test_queue_runner_checkpoint_import_job_audit_and_status(): void {
		self::queued( 2 );
		$this->assertStringContainsString( 'concurrency 2', self::ok( 'kb', 'queue', 'set', self::QUEUE, '--concurrency=2' ) );
		self::ok( 'kb', 'queue', 'pause', self::QUEUE );
		$queues = array_column( json_decode( self::ok( 'kb', 'queue', 'list', '--format=json' ), true ), null, 'name' );
		$this->assertTrue( (bool) $queues[ self::QUEUE ]['paused'] );
		$this->assertSame( 2, $queues[ self::QUEUE ]['concurrency'] );
		$this->assertContains( self::QUEUE, explode( ' ', trim( self::ok( 'kb', 'queue', 'list', '--format=ids' ) ) ) );
		self::ok( 'kb', 'queue', 'resume', self::QUEUE );
		$this->refused( '--concurrency must be a whole number', 'kb', 'queue', 'set', self::QUEUE, '--concurrency=-3' );
		$this->refused( 'Give --concurrency', 'kb', 'queue', 'set', self::QUEUE );
		$this->refused( 'queue name', 'kb', 'queue', 'pause', 'Bad Queue' );

		$runners = json_decode( self::ok( 'kb', 'runner', 'list', '--format=json' ), true );
		$this->assertIsArray( $runners );
		if ( $runners ) {
			$this->assertArrayHasKey( 'memory', $runners[0] );
		}
		$this->assertIsArray( json_decode( self::ok( 'kb', 'checkpoint', 'list', '--format=json' ), true ) );
		$this->refused( 'not interrupted', 'kb', 'checkpoint', 'discard', self::queued( 1 )[0] );
		$this->assertStringContainsString( 'Removed the checkpoints of', self::ok( 'kb', 'checkpoint', 'clean', '--days=30' ) );
		$this->assertIsArray( json_decode( self::ok( 'kb', 'import-job', 'list', '--format=json' ), true ) );
		$this->refused( 'is not an import', 'kb', 'import-job', 'get', self::queued( 1 )[0] );

		$audit = json_decode( self::ok( 'kb', 'audit', 'list', '--format=json' ), true );
		$this->assertSame( array( 'checkpoint.clean', 'checkpoint.discard', 'queue.pause', 'queue.resume', 'queue.pause', 'queue.set' ), array_column( $audit, 'action' ), 'what the command refused before acting is not an action' );
		$this->assertSame( array( 'ok', 'error', 'error', 'ok', 'ok', 'ok' ), array_column( $audit, 'outcome' ) );
		$this->assertSame( array( 'queue.set' ), array_column( json_decode( self::ok( 'kb', 'audit', 'list', '--action=queue.set', '--format=json' ), true ), 'action' ) );
		$this->assertSame( '0', trim( self::ok( 'kb', 'audit', 'list', '--source=rest', '--format=count' ) ) );

		list( $code, $out, $err ) = self::wp( 'kb', 'status' );
		$this->assertContains( $code, array( 0, 1 ), $err );
		$this->assertStringContainsString( 'Jobs:', $out );
		$this->assertStringContainsString( 'WP-Cron:', $out );
		list( , $json ) = self::wp( 'kb', 'status', '--format=json' );
		$status = json_decode( $json, true );
		$this->assertSame( \KBJobs_Data_Jobs::STATUSES, array_keys( $status['jobs'] ) );
	}
}
