<?php
/**
 * Alerts that reach people: each injected fault (a type that always fails, a streak of
 * failures, a stopped runner with due jobs, an old due job in a queue no runner serves)
 * raises exactly one email (caught on pre_wp_mail) and one signed webhook POST (to a
 * php -S receiver on 127.0.0.1 started here), nothing more while it holds, and one
 * "resolved" notice once the fault is gone.
 */

namespace KBJobs\Tests;

final class AlertsTest extends TestCase {

	const QUEUE  = 'kbjobs-alerts-test';
	/**
	 * A type of this test only: the metrics of the types of earlier tests stay for 48
	 * hours and would count in its failure rate.
	 *
	 * @var string
	 */
	private $type = '';
	const SECRET = 'alerts-test-secret';

	const OPTIONS = array(
		'kbjobs_alert_email_to',
		'kbjobs_alert_webhook_url',
		'kbjobs_alert_webhook_secret',
		'kbjobs_alert_failure_streak',
		'kbjobs_alert_failure_min_jobs',
		'kbjobs_alert_due_age_minutes',
		'kbjobs_alert_clear_minutes',
		'kbjobs_alert_no_runner_minutes',
	);

	/**
	 * Whether the test type fails.
	 *
	 * @var bool
	 */
	private static $broken = true;

	/** @var resource|null */
	private $receiver = null;

	/** @var string */
	private $log = '';

	/** @var int */
	private $port = 0;

	/** @var array<int,array<string,mixed>> */
	private $mails = array();

	/** @var array<int,array{0:string,1:array}> */
	private $actions = array();

	/** @var array<string,callable> */
	private $filters = array();

	protected function setUp(): void {
		global $wpdb;
		self::clean();
		// Nothing else may be due, and no other failure counted: other tests' leftovers
		// (queued jobs, the metrics of their failed jobs) would raise alerts of their own.
		$wpdb->query( kbjobs_test_jobs_sql( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE status = 'queued'" ) );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_metrics" );
		$wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_metrics_hist" );
		update_option( \KBJobs_Data_Status::LAST_TICK_OPTION, time(), false );

		$this->log  = sys_get_temp_dir() . '/kbjobs-alerts-' . getmypid() . '.jsonl';
		$this->port = self::free_port();
		@unlink( $this->log );
		$this->receiver = proc_open(
			array( PHP_BINARY, '-n', '-S', '127.0.0.1:' . $this->port, __DIR__ . '/../probes/webhook-receiver.php' ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', '/dev/null', 'w' ), 2 => array( 'file', '/dev/null', 'w' ) ),
			$pipes,
			null,
			array( 'KBJOBS_RECEIVER_LOG' => $this->log )
		);
		$this->wait_for( fn() => false !== @fsockopen( '127.0.0.1', $this->port ), 'the receiver to listen' );

		update_option( 'kbjobs_alert_email_to', 'ops@example.test' );
		update_option( 'kbjobs_alert_webhook_url', 'http://127.0.0.1:' . $this->port . '/hook?site=<a>' );
		update_option( 'kbjobs_alert_webhook_secret', self::SECRET );
		// One condition per fault: the others set out of reach unless a test wants them.
		update_option( 'kbjobs_alert_failure_streak', 1000 );
		update_option( 'kbjobs_alert_failure_min_jobs', 1000 );
		update_option( 'kbjobs_alert_due_age_minutes', 30 );
		// Resolved at the first clear check, unless a test damps flapping.
		update_option( 'kbjobs_alert_clear_minutes', 0 );

		$port          = $this->port;
		$this->filters = array(
			// The receiver is on 127.0.0.1, on a port of its own: allowed here explicitly.
			'http_request_host_is_external' => static fn( $external, $host ) => '127.0.0.1' === $host ? true : $external,
			'http_allowed_safe_ports'       => static fn( $ports ) => array_merge( (array) $ports, array( $port ) ),
			'pre_wp_mail'                   => function ( $pre, $atts ) {
				$this->mails[] = $atts;
				return $pre;
			},
		);
		foreach ( $this->filters as $hook => $callback ) {
			add_filter( $hook, $callback, 1, 2 );
		}
		add_action( 'kbjobs_alert', array( $this, 'on_alert' ), 10, 2 );

		self::$broken = true;
		$this->type   = 'kbjobs_test.alerting_' . substr( md5( uniqid( '', true ) ), 0, 10 );
		\KBJobs_Engine::get()->registerType(
			$this->type,
			static function () {
				if ( self::$broken ) {
					throw new \RuntimeException( 'broken on purpose' );
				}
				return array();
			},
			array(
				'queue'        => self::QUEUE,
				'max_attempts' => 1,
			)
		);
	}

	protected function tearDown(): void {
		foreach ( $this->filters as $hook => $callback ) {
			remove_filter( $hook, $callback, 1 );
		}
		remove_action( 'kbjobs_alert', array( $this, 'on_alert' ), 10 );
		foreach ( self::OPTIONS as $option ) {
			delete_option( $option );
		}
		if ( $this->receiver ) {
			proc_terminate( $this->receiver );
			proc_close( $this->receiver );
		}
		@unlink( $this->log );
		self::clean();
	}

	public function on_alert( string $event, array $alert ): void {
		$this->actions[] = array( $event, $alert );
	}

	public function test_a_type_that_always_fails_raises_one_alert_then_one_resolved_notice(): void {
		update_option( 'kbjobs_alert_failure_min_jobs', 10 );
		$this->submit( 10 );
		$this->drain();

		$this->assertSame( array( array( 'raised', 'failure_rate:' . $this->type ) ), \KBJobs_Alerts::check() );
		$post = $this->assert_one_notice( 'raised', 'failure_rate:' . $this->type );
		$this->assertSame( 'failure_rate', $post['condition'] );
		$this->assertSame( 10, $post['details']['failed'] );
		$this->assertSame( 100, $post['details']['percent'] );
		$this->assertStringContainsString( 'ops@example.test', implode( ',', (array) $this->mails[0]['to'] ) );
		$this->assertStringContainsString( $this->type, $this->mails[0]['subject'] );

		// It still holds: nothing more within the cooldown.
		$this->assertSame( array(), \KBJobs_Alerts::check() );
		$this->assertSame( array(), \KBJobs_Alerts::check() );
		$this->assertCount( 1, $this->mails );
		$this->assertCount( 1, $this->posts() );
		$this->assertSame( array( 'failure_rate:' . $this->type ), array_column( \KBJobs_Alerts::active(), 'key' ) );

		// After the cooldown, one reminder.
		$state = get_option( \KBJobs_Alerts::STATE_OPTION );
		$state[ 'failure_rate:' . $this->type ]['last_notified_at'] -= 61 * MINUTE_IN_SECONDS;
		update_option( \KBJobs_Alerts::STATE_OPTION, $state, false );
		$this->assertSame( array( array( 'raised', 'failure_rate:' . $this->type ) ), \KBJobs_Alerts::check() );
		$this->assertCount( 2, $this->mails );
		$this->assertCount( 2, $this->posts() );

		// Fixed: 15 successes bring the rate to 10 of 25, under 50 %.
		self::$broken = false;
		$this->submit( 15 );
		$this->drain();
		$this->mails = array();
		$this->assertSame( array( array( 'resolved', 'failure_rate:' . $this->type ) ), \KBJobs_Alerts::check() );
		$this->assertSame( array(), \KBJobs_Alerts::check() );
		$this->assertCount( 1, $this->mails );
		$this->assertStringContainsString( 'resolved', $this->mails[0]['subject'] );
		$posts = $this->posts();
		$this->assertCount( 3, $posts );
		$this->assertSame( 'resolved', json_decode( $posts[2]['body'], true )['event'] );
		$this->assertSame( array( 'raised', 'raised', 'resolved' ), array_column( $this->actions, 0 ) );
		$this->assertSame( array(), \KBJobs_Alerts::active() );
	}

	public function test_a_failure_streak_reuses_the_engines_alert_and_clears_on_a_success(): void {
		update_option( 'kbjobs_alert_failure_streak', 5 );
		$this->submit( 5 );
		$this->drain();
		$this->assertContains( $this->type, array_column( \KBJobs_Engine::get()->failures()->alerts(), 'type' ) );

		$this->assertSame( array( array( 'raised', 'failure_streak:' . $this->type ) ), \KBJobs_Alerts::check() );
		$post = $this->assert_one_notice( 'raised', 'failure_streak:' . $this->type );
		$this->assertStringContainsString( 'failed within', $post['details']['engine_alert'] );
		$this->assertSame( array(), \KBJobs_Alerts::check() );

		self::$broken = false;
		$this->submit( 1 );
		$this->drain();
		$this->assertSame( array( array( 'resolved', 'failure_streak:' . $this->type ) ), \KBJobs_Alerts::check() );
		$this->assertCount( 2, $this->mails );
		$this->assertCount( 2, $this->posts() );
	}

	public function test_due_jobs_with_a_stopped_runner_raise_no_runner(): void {
		self::$broken = false;
		$this->drain(); // a runner ran here, and stopped
		$this->submit( 2, array( 'run_at' => time() - 5 * MINUTE_IN_SECONDS ) );

		$this->assertSame( array( array( 'raised', 'no_runner' ) ), \KBJobs_Alerts::check() );
		$post = $this->assert_one_notice( 'raised', 'no_runner' );
		$this->assertSame( 2, $post['details']['due'] );
		$this->assertSame( array(), \KBJobs_Alerts::check() );

		$this->drain();
		$this->assertSame( array( array( 'resolved', 'no_runner' ) ), \KBJobs_Alerts::check() );
		$this->assertCount( 2, $this->mails );
		$this->assertCount( 2, $this->posts() );
	}

	public function test_an_old_due_job_in_a_queue_no_runner_serves_raises_due_age(): void {
		global $wpdb;
		self::$broken = false;
		// A live runner, serving another queue.
		$runner = proc_open(
			array( getenv( 'KBJOBS_ROOT' ) . '/tools/wp', 'kb', 'work', '--queues=kbjobs-alerts-elsewhere', '--no-cron', '--max-seconds=60' ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', '/dev/null', 'w' ), 2 => array( 'file', '/dev/null', 'w' ) ),
			$pipes
		);
		try {
			$this->wait_for( fn() => in_array( 'active', array_column( \KBJobs_Engine::get()->tracker()->runners( 1 ), 'state' ), true ), 'a live runner' );
			$this->submit( 1, array( 'run_at' => time() - 40 * MINUTE_IN_SECONDS ) );
			$key = 'due_age:' . self::QUEUE;
			$this->assertSame( array( array( 'raised', $key ) ), \KBJobs_Alerts::check() );
			$post = $this->assert_one_notice( 'raised', $key );
			$this->assertSame( self::QUEUE, $post['details']['queue'] );
			$this->assertGreaterThanOrEqual( 40 * 60, $post['details']['oldest_due_age'] );
			$this->assertSame( array(), \KBJobs_Alerts::check() );

			$this->drain();
			$this->assertSame( array( array( 'resolved', $key ) ), \KBJobs_Alerts::check() );
			$this->assertCount( 2, $this->mails );
			$this->assertCount( 2, $this->posts() );
		} finally {
			proc_terminate( $runner );
			proc_close( $runner );
		}
	}

	public function test_wp_cron_not_ticking_with_no_runner_raises_cron_stale(): void {
		global $wpdb;
		// The last tick 20 minutes ago: the option, and (WP-Cron on kbjobs) the runs'
		// history, moved back for the test and forward again after it.
		update_option( \KBJobs_Data_Status::LAST_TICK_OPTION, time() - 20 * MINUTE_IN_SECONDS, false );
		$wpdb->query( "UPDATE {$wpdb->prefix}kbjobs_cron_runs SET started_at = started_at - INTERVAL 1 DAY" );
		try {
			$this->assertSame( array( array( 'raised', 'cron_stale' ) ), \KBJobs_Alerts::check() );
			$post = $this->assert_one_notice( 'raised', 'cron_stale' );
			$this->assertSame( 10, $post['details']['threshold_minutes'] );
			$this->assertStringContainsString( 'WP-Cron has not ticked for 20 minutes', $post['summary'] );
			$this->assertSame( array(), \KBJobs_Alerts::check() );
		} finally {
			$wpdb->query( "UPDATE {$wpdb->prefix}kbjobs_cron_runs SET started_at = started_at + INTERVAL 1 DAY" );
		}
		update_option( \KBJobs_Data_Status::LAST_TICK_OPTION, time(), false );
		$this->assertSame( array( array( 'resolved', 'cron_stale' ) ), \KBJobs_Alerts::check() );
		$this->assertCount( 2, $this->mails );
		$this->assertCount( 2, $this->posts() );
	}

	public function test_a_flapping_condition_stays_one_alert_and_resolves_once_clear_long_enough(): void {
		global $wpdb;
		update_option( 'kbjobs_alert_clear_minutes', 5 );
		$stale = static function ( bool $on ) use ( $wpdb ) {
			// As in the cron_stale test: the tick, and the runs' history, 20 minutes back (or now).
			update_option( \KBJobs_Data_Status::LAST_TICK_OPTION, $on ? time() - 20 * MINUTE_IN_SECONDS : time(), false );
			$wpdb->query( "UPDATE {$wpdb->prefix}kbjobs_cron_runs SET started_at = started_at " . ( $on ? '-' : '+' ) . ' INTERVAL 1 DAY' );
		};
		$stale( true );
		$this->assertSame( array( array( 'raised', 'cron_stale' ) ), \KBJobs_Alerts::check() );
		$stale( false );
		// Clear, but not for 5 minutes yet: still raised, nothing sent.
		$this->assertSame( array(), \KBJobs_Alerts::check() );
		$raised = \KBJobs_Alerts::active();
		$this->assertSame( 'cron_stale', $raised[0]['key'] );
		$this->assertNotNull( $raised[0]['clear_since'] );
		// Back again: the same alert, one flap, no new notice (the cooldown holds).
		$stale( true );
		$this->assertSame( array(), \KBJobs_Alerts::check() );
		$stale( false );
		$this->assertSame( array(), \KBJobs_Alerts::check() );
		$this->assertCount( 1, $this->mails );
		$this->assertCount( 1, $this->posts() );

		wp_set_current_user( 1 );
		$response = rest_do_request( new \WP_REST_Request( 'GET', '/kbjobs/v1/alerts/raised' ) );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( array( 'cron_stale' ), array_column( $response->get_data(), 'key' ) );
		$this->assertSame( 1, $response->get_data()[0]['flaps'] );

		// Clear for 6 minutes: resolved, once, and kept in the history.
		$state                              = get_option( \KBJobs_Alerts::STATE_OPTION );
		$state['cron_stale']['clear_since'] -= 6 * MINUTE_IN_SECONDS;
		update_option( \KBJobs_Alerts::STATE_OPTION, $state, false );
		$this->assertSame( array( array( 'resolved', 'cron_stale' ) ), \KBJobs_Alerts::check() );
		$this->assertSame( array(), \KBJobs_Alerts::check() );
		$this->assertCount( 2, $this->mails );
		$this->assertCount( 2, $this->posts() );
		$response = rest_do_request( new \WP_REST_Request( 'GET', '/kbjobs/v1/alerts/resolved' ) );
		$this->assertSame( 200, $response->get_status() );
		$resolved = $response->get_data();
		$this->assertSame( 'cron_stale', $resolved[0]['key'] );
		$this->assertSame( 1, $resolved[0]['flaps'] );
		$this->assertMatchesRegularExpression( '/Z$/', $resolved[0]['resolved_at'] );
		$this->assertSame( array(), rest_do_request( new \WP_REST_Request( 'GET', '/kbjobs/v1/alerts/raised' ) )->get_data() );
		list( $code, $out ) = self::wp( 'kb', 'alert', 'list', '--resolved', '--format=json' );
		$this->assertSame( 0, $code );
		$this->assertSame( 'resolved', json_decode( $out, true )[0]['kind'] );

		wp_set_current_user( 0 );
		$this->assertSame( 401, rest_do_request( new \WP_REST_Request( 'GET', '/kbjobs/v1/alerts/resolved' ) )->get_status() );
	}

	public function test_no_runner_waits_for_its_setting_and_a_late_check_waits_for_the_page_to_end(): void {
		self::$broken = false;
		$this->drain(); // a runner ran here, and stopped
		$this->submit( 2, array( 'run_at' => time() - 5 * MINUTE_IN_SECONDS ) );
		update_option( 'kbjobs_alert_no_runner_minutes', 10 );
		$this->assertSame( array(), \KBJobs_Alerts::check(), 'due 5 minutes, under the 10 set' );
		update_option( 'kbjobs_alert_no_runner_minutes', 4 );

		// The every-minute check on time: a page view leaves it to WP-Cron.
		wp_clear_scheduled_hook( \KBJobs_Alerts::HOOK );
		wp_schedule_event( time() + 30, \KBJobs_Runner::SCHEDULE, \KBJobs_Alerts::HOOK );
		remove_action( 'shutdown', array( \KBJobs_Alerts::class, 'run_after_response' ), 1000 );
		\KBJobs_Alerts::maybe_run_late();
		$this->assertFalse( has_action( 'shutdown', array( \KBJobs_Alerts::class, 'run_after_response' ) ) );
		// Overdue by 10 minutes, and not checked since: the page view checks, at shutdown, once.
		delete_option( \KBJobs_Alerts::CHECKED_OPTION );
		wp_clear_scheduled_hook( \KBJobs_Alerts::HOOK );
		wp_schedule_event( time() - 10 * MINUTE_IN_SECONDS, \KBJobs_Runner::SCHEDULE, \KBJobs_Alerts::HOOK );
		try {
			\KBJobs_Alerts::maybe_run_late();
			$this->assertSame( 1000, has_action( 'shutdown', array( \KBJobs_Alerts::class, 'run_after_response' ) ) );
			$this->assertCount( 0, $this->mails, 'nothing checked before the page ends' );
			\KBJobs_Alerts::run_after_response();
			$this->assert_one_notice( 'raised', 'no_runner' );
			remove_action( 'shutdown', array( \KBJobs_Alerts::class, 'run_after_response' ), 1000 );
			\KBJobs_Alerts::maybe_run_late();
			$this->assertFalse( has_action( 'shutdown', array( \KBJobs_Alerts::class, 'run_after_response' ) ), 'checked a moment ago' );
		} finally {
			wp_clear_scheduled_hook( \KBJobs_Alerts::HOOK );
		}
		$this->drain();
	}

	public function test_a_failing_webhook_is_logged_and_does_not_stop_the_email(): void {
		update_option( 'kbjobs_alert_webhook_url', 'http://127.0.0.1:' . self::free_port() . '/nobody' );
		update_option( 'kbjobs_alert_failure_min_jobs', 3 );
		$this->submit( 3 );
		$this->drain();
		$log = ini_set( 'error_log', '/dev/null' );
		try {
			$this->assertSame( array( array( 'raised', 'failure_rate:' . $this->type ) ), \KBJobs_Alerts::check() );
		} finally {
			ini_set( 'error_log', (string) $log );
		}
		$this->assertCount( 1, $this->mails );
		$this->assertArrayHasKey( 'webhook', \KBJobs_Alerts::state()[ 'failure_rate:' . $this->type ]['errors'] );

		// A URL that is not http(s) never reaches the webhook: the settings refuse it.
		update_option( 'kbjobs_alert_webhook_url', 'file:///etc/passwd' );
		$this->assertSame( '', \KBJobs_Settings::get( 'alert_webhook_url' ) );
	}

	public function test_wp_kb_alert_status_and_the_overview_show_the_raised_alerts(): void {
		update_option( 'kbjobs_alert_failure_min_jobs', 5 );
		$this->submit( 5 );
		$this->drain();
		\KBJobs_Alerts::check();
		list( $code, $out, $err ) = self::wp( 'kb', 'alert', 'list', '--format=json' );
		$this->assertSame( 0, $code, $err );
		$rows = json_decode( $out, true );
		$this->assertContains( 'failure_rate:' . $this->type, array_column( $rows, 'key' ) );
		$this->assertContains( $this->type, array_column( $rows, 'type' ), 'the engine\'s repeated-failure rows are listed too' );
		list( $code, $out ) = self::wp( 'kb', 'alert', 'list', '--raised', '--format=json' );
		$this->assertSame( 0, $code );
		$rows = json_decode( $out, true );
		$this->assertSame( array( 'failure_rate:' . $this->type ), array_column( $rows, 'key' ) );
		$this->assertSame( 'raised', $rows[0]['kind'] );
		$this->assertSame( 1, $rows[0]['notices'] );

		// `wp kb status` and the Overview's attention lines name it.
		list( $code, $out ) = self::wp( 'kb', 'status' );
		$this->assertStringContainsString( 'Alert:     Jobs of type ' . $this->type . ' are failing', $out );
		$status = \KBJobs_Data_Status::summary();
		$this->assertSame( 'failure_rate:' . $this->type, $status['alerts'][0]['key'] );
		$lines = \KBJobs_Admin_Overview::texts( array( 'at' => 'now', 'status' => $status ) )['attention'];
		$this->assertStringStartsWith( 'Alert: Jobs of type ' . $this->type, $lines[0] );

		// `wp kb alert check` checks in its own process: nothing new to send.
		list( $code, $out, $err ) = self::wp( 'kb', 'alert', 'check' );
		$this->assertSame( 0, $code, $err );
		$this->assertStringContainsString( '0 notices sent.', $out );
	}

	/**
	 * Asserts that exactly one email and one webhook POST went out, for this event and
	 * key, with a good signature; returns the POST's body.
	 */
	private function assert_one_notice( string $event, string $key ): array {
		$this->assertCount( 1, $this->mails );
		$this->assertStringContainsString( $key, $this->mails[0]['message'] );
		$posts = $this->posts();
		$this->assertCount( 1, $posts );
		$this->assertSame( 'POST', $posts[0]['method'] );
		$this->assertSame( '/hook?site=<a>', rawurldecode( $posts[0]['path'] ) );
		$this->assertSame( 'application/json', $posts[0]['headers']['content-type'] );
		$this->assertSame( 'sha256=' . hash_hmac( 'sha256', $posts[0]['body'], self::SECRET ), $posts[0]['headers']['x-kbjobs-signature'] );
		$this->assertEqualsWithDelta( time(), (int) $posts[0]['headers']['x-kbjobs-timestamp'], 10 );
		$body = json_decode( $posts[0]['body'], true );
		$this->assertSame( $event, $body['event'] );
		$this->assertSame( $key, $body['key'] );
		$this->assertSame( home_url( '/' ), $body['site'] );
		$this->assertMatchesRegularExpression( '/Z$/', $body['time'] );
		$this->assertNotSame( '', $body['summary'] );
		$this->assertSame( array( array( $event, $key ) ), array_map( fn( $a ) => array( $a[0], $a[1]['key'] ), $this->actions ) );
		return $body;
	}

	/** @return array<int,array<string,mixed>> The requests the receiver got. */
	private function posts(): array {
		$lines = is_file( $this->log ) ? file( $this->log, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES ) : array();
		return array_map( fn( $l ) => json_decode( $l, true ), $lines );
	}

	private function submit( int $n, array $options = array() ): void {
		for ( $i = 0; $i < $n; $i++ ) {
			\KBJobs_Engine::get()->submit( $this->type, array(), $options );
		}
	}

	private function drain(): void {
		\KBJobs_Engine::get()->run(
			array(
				'queues'           => array( self::QUEUE ),
				'max_seconds'      => 20,
				'until_empty'      => true,
				'until_empty_wait' => 0,
			)
		);
	}

	private function wait_for( callable $ready, string $what ): void {
		for ( $i = 0; $i < 200; $i++ ) {
			if ( $ready() ) {
				return;
			}
			usleep( 50000 );
		}
		$this->fail( 'timed out waiting for ' . $what );
	}

	private static function free_port(): int {
		$socket = stream_socket_server( 'tcp://127.0.0.1:0' );
		$port   = (int) substr( strrchr( stream_socket_get_name( $socket, false ), ':' ), 1 );
		fclose( $socket );
		return $port;
	}

	private static function clean(): void {
		global $wpdb;
		$like = $wpdb->esc_like( 'kbjobs_test.alerting_' ) . '%';
		$wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE type LIKE %s", $like ) ) );
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_failures WHERE type LIKE %s", $like ) );
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_alerts WHERE type LIKE %s", $like ) );
		delete_option( \KBJobs_Alerts::STATE_OPTION );
		delete_option( \KBJobs_Alerts::CHECKED_OPTION );
	}
}
