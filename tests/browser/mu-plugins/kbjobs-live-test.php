<?php
/**
 * Test hooks of the live screens' browser tests (tests/browser/live-screens.test.mjs
 * copies this file into the test site's mu-plugins and removes it afterwards):
 *
 * - the job type `kbjobs_test.titled` sets its title from params.title, then reports
 *   progress every 200 ms for params.seconds, stopping early when asked to;
 * - `wp kbtest submit <json>` submits a list of {type, params, options} and prints the
 *   ids, one a line;
 * - `wp kbtest users <password> <login:role[:cap]>...` (re)creates users;
 * - `wp kbtest cleanup <prefix>` cancels the unfinished jobs of the queues named
 *   <prefix>*, drops those queues' settings and deletes the users kbjobs_live_*;
 * - `wp kbtest interrupted <queue>` leaves an interrupted job with a checkpoint at 3 of
 *   10 (a runner whose lease runs out, as a killed one's would) and prints its id;
 * - `wp kbtest cron-add <hook> <json-args> <delay> [<recurrence>]` schedules a WP-Cron
 *   event through core's API (delay in seconds, negative for past due; with a
 *   recurrence, wp_schedule_event()) and prints its id; `wp kbtest cron-clear <hook>`
 *   removes every event of the hook;
 * - the WP-Cron hook `kbtest_cron_ok` prints its arguments (hostile text in the run's
 *   output), makes one database query and one HTTP request (answered here, nothing is
 *   sent); `kbtest_cron_fail` throws a RuntimeException;
 * - admin-ajax.php?action=kbjobs_test_nonce&op=<op> answers the current user's nonce
 *   for a dashboard form operation, so a test can forge a POST that only the
 *   capability check may refuse.
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'kbjobs_register_types',
	static function ( \KBJobs\Engine $engine ) {
		$engine->registerType(
			'kbjobs_test.titled',
			static function ( \KBJobs\Context $ctx ) {
				$params = $ctx->params();
				$ctx->title( (string) ( $params['title'] ?? '' ) );
				$steps = (int) ( 5 * (float) ( $params['seconds'] ?? 1 ) );
				for ( $i = 0; $i < $steps; $i++ ) {
					$ctx->progress( $i, $steps, 'waiting' );
					if ( $ctx->shouldStop() ) {
						$ctx->stopEarly();
						return array();
					}
					usleep( 200000 );
				}
				return array( 'steps' => $steps );
			},
			array(
				'queue'        => 'live-xss',
				'max_attempts' => 1,
			)
		);
	}
);

add_action(
	'kbtest_cron_ok',
	static function ( ...$args ) {
		global $wpdb;
		echo 'kbtest_cron_ok ran with ', wp_json_encode( $args, JSON_UNESCAPED_SLASHES ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- the run's output, kept as text.
		$wpdb->get_var( 'SELECT 1' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a query for the run's count.
		wp_remote_get( 'http://kbtest.invalid/cron' );
	},
	10,
	5
);

add_action(
	'kbtest_cron_fail',
	static function () {
		throw new RuntimeException( 'kbtest failure <b>as text</b>' );
	}
);

// The kbtest_cron_ok hook's request, answered without the network.
add_filter(
	'pre_http_request',
	static function ( $pre, $args, $url ) {
		return 'http://kbtest.invalid/cron' === $url ? array(
			'headers'  => array(),
			'body'     => 'ok',
			'response' => array(
				'code'    => 200,
				'message' => 'OK',
			),
			'cookies'  => array(),
			'filename' => null,
		) : $pre;
	},
	10,
	3
);

add_action(
	'wp_ajax_kbjobs_test_nonce',
	static function () {
		$op = isset( $_GET['op'] ) ? sanitize_text_field( wp_unslash( $_GET['op'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		wp_send_json( array( 'nonce' => wp_create_nonce( 'kbjobs-' . $op ) ) );
	}
);

if ( defined( 'WP_CLI' ) && WP_CLI ) {
	WP_CLI::add_command(
		'kbtest submit',
		static function ( $args ) {
			foreach ( (array) json_decode( $args[0], true ) as $job ) {
				$id = kbjobs_enqueue( $job['type'], (array) ( $job['params'] ?? array() ), (array) ( $job['options'] ?? array() ) );
				if ( is_wp_error( $id ) ) {
					WP_CLI::error( $id );
				}
				WP_CLI::line( $id );
			}
		}
	);
	WP_CLI::add_command(
		'kbtest users',
		static function ( $args ) {
			require_once ABSPATH . 'wp-admin/includes/user.php';
			$password = array_shift( $args );
			foreach ( $args as $spec ) {
				list( $login, $role, $cap ) = array_pad( explode( ':', $spec ), 3, '' );
				$old = get_user_by( 'login', $login );
				if ( $old ) {
					wp_delete_user( $old->ID );
				}
				$id = wp_insert_user(
					array(
						'user_login' => $login,
						'user_pass'  => $password,
						'user_email' => $login . '@example.test',
						'role'       => $role,
					)
				);
				if ( is_wp_error( $id ) ) {
					WP_CLI::error( $id );
				}
				if ( '' !== $cap ) {
					( new WP_User( $id ) )->add_cap( $cap );
				}
			}
		}
	);
	WP_CLI::add_command(
		'kbtest cleanup',
		static function ( $args ) {
			global $wpdb;
			require_once ABSPATH . 'wp-admin/includes/user.php';
			$prefix = $wpdb->esc_like( $args[0] ) . '%';
			$engine = KBJobs_Engine::get();
			foreach ( $engine->queues() as $queue ) {
				if ( 0 !== strpos( $queue['name'], $args[0] ) ) {
					continue;
				}
				foreach ( array( 'queued', 'running', 'interrupted' ) as $status ) {
					$page = $engine->list(
						array(
							'queue'  => $queue['name'],
							'status' => $status,
							'limit'  => 1000,
						)
					);
					foreach ( $page['jobs'] as $job ) {
						$engine->cancel( $job->id );
					}
				}
			}
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_queues WHERE name LIKE %s", $prefix ) );
			foreach ( get_users( array( 'search' => 'kbjobs_live_*', 'search_columns' => array( 'user_login' ) ) ) as $user ) {
				wp_delete_user( $user->ID );
			}
		}
	);
	WP_CLI::add_command(
		'kbtest interrupted',
		static function ( $args ) {
			global $wpdb;
			$queue  = $args[0];
			$engine = new \KBJobs\Engine( DB_HOST, DB_USER, DB_PASSWORD, DB_NAME, $wpdb->prefix, KBJobs_Settings::data_dir(), array( 'lease_seconds' => 1 ) );
			$engine->registerType(
				'kbjobs_test.checkpointed',
				static function ( \KBJobs\Context $ctx ) {
					$ctx->progress( 3, 10 );
					$ctx->checkpoint( array( 'at' => 3 ), array(), null, true );
					$ctx->assertLease( 'the test lets the lease go, as a killed runner would' );
				}
			);
			$id = $engine->submit( 'kbjobs_test.checkpointed', array(), array( 'queue' => $queue ) );
			$engine->run(
				array(
					'queues'      => array( $queue ),
					'max_jobs'    => 1,
					'until_empty' => true,
				)
			);
			usleep( 1500000 );
			$engine->reap();
			if ( 'interrupted' !== $engine->get( $id )->status ) {
				WP_CLI::error( "job $id is " . $engine->get( $id )->status );
			}
			WP_CLI::line( $id );
		}
	);
	WP_CLI::add_command(
		'kbtest cron-add',
		static function ( $args ) {
			$event_args = (array) json_decode( $args[1], true );
			$time       = time() + (int) $args[2];
			$scheduled  = isset( $args[3] )
				? wp_schedule_event( $time, $args[3], $args[0], $event_args, true )
				: wp_schedule_single_event( $time, $args[0], $event_args, true );
			if ( $scheduled instanceof WP_Error ) {
				WP_CLI::error( $scheduled );
			}
			$event = wp_get_scheduled_event( $args[0], $event_args, $time );
			$found = $event ? KBJobs_Engine::get()->cronEvents(
				array(
					'hook'     => $args[0],
					'args_key' => md5( serialize( $event_args ) ), // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.serialize_serialize -- core's key of an event's arguments.
				)
			) : array();
			if ( ! $found ) {
				WP_CLI::error( 'the event is not in kbjobs_cron_events' );
			}
			WP_CLI::line( (string) $found[0]['id'] );
		}
	);
	WP_CLI::add_command(
		'kbtest cron-clear',
		static function ( $args ) {
			wp_unschedule_hook( $args[0] );
		}
	);
}
