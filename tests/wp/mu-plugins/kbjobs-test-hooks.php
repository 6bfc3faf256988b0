<?php
/**
 * Test hooks for the fence tests (tests/wp/cases/FenceTest.php copies this file into the
 * test site's mu-plugins and removes it afterwards). Inert unless a runner is started
 * with KBJOBS_TEST_FREEZE in its environment:
 *
 * - `post:K`    the process stops itself (SIGSTOP) right after its K-th wp_insert_post;
 * - `query:K`   it stops itself before the K-th statement of a fenced transaction's work;
 * - `handler:1` the test job type stops it between its two fenced writes.
 *
 * It also registers job types: `kbjobs_test.fenced_write` writes two options in one
 * fenced transaction (kbjobs_fenced_transaction()); `kbjobs_test.dies` calls wp_die();
 * `kbjobs_test.flaky` fails its first attempt and is retried 1 s later.
 */

defined( 'ABSPATH' ) || exit;

$kbjobs_test_freeze = (string) getenv( 'KBJOBS_TEST_FREEZE' );

/** Stops this process until a SIGCONT. */
function kbjobs_test_freeze_now(): void {
	posix_kill( getmypid(), SIGSTOP );
}

if ( preg_match( '/^(post|query):(\d+)$/', $kbjobs_test_freeze, $kbjobs_test_m ) ) {
	$kbjobs_test_k = (int) $kbjobs_test_m[2];
	if ( 'post' === $kbjobs_test_m[1] ) {
		add_action(
			'wp_insert_post',
			static function () use ( $kbjobs_test_k ) {
				static $n = 0;
				if ( ++$n === $kbjobs_test_k ) {
					kbjobs_test_freeze_now();
				}
			}
		);
	} else {
		// Before KBJobs_Fence's own check (PHP_INT_MAX), and only inside a fenced transaction.
		add_filter(
			'query',
			static function ( $query ) use ( $kbjobs_test_k ) {
				static $n = 0;
				if ( has_filter( 'query', array( 'KBJobs_Fence', 'before_statement' ) ) && ++$n === $kbjobs_test_k ) {
					kbjobs_test_freeze_now();
				}
				return $query;
			},
			10
		);
	}
}

add_action(
	'kbjobs_register_types',
	static function ( \KBJobs\Engine $engine ) use ( $kbjobs_test_freeze ) {
		$engine->registerType(
			'kbjobs_test.fenced_write',
			static function ( \KBJobs\Context $ctx ) use ( $kbjobs_test_freeze ) {
				return kbjobs_fenced_transaction(
					$ctx,
					static function () use ( $ctx, $kbjobs_test_freeze ) {
						add_option( 'kbjobs_test_' . $ctx->id() . '_1', 'first', '', 'no' );
						if ( 'handler:1' === $kbjobs_test_freeze ) {
							kbjobs_test_freeze_now();
						}
						add_option( 'kbjobs_test_' . $ctx->id() . '_2', 'second', '', 'no' );
						return array( 'written' => 2 );
					}
				);
			},
			array( 'queue' => 'default', 'max_attempts' => 3 )
		);
		$engine->registerType(
			'kbjobs_test.dies',
			static function () {
				wp_die( '<p>The kbjobs <em>test</em> handler gave up.</p>', 'Gave up' );
			},
			array( 'queue' => 'default', 'max_attempts' => 1 )
		);
		$engine->registerType(
			'kbjobs_test.flaky',
			static function ( \KBJobs\Context $ctx ) {
				if ( 1 === $ctx->attempt() ) {
					throw new \RuntimeException( 'the first attempt fails' );
				}
				return array( 'attempt' => $ctx->attempt() );
			},
			array(
				'queue'        => 'default',
				'max_attempts' => 2,
				'backoff'      => array( 'kind' => 'fixed', 'base_ms' => 1000, 'jitter' => 0 ),
			)
		);
	}
);
