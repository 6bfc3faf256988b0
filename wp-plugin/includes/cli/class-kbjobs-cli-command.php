<?php
/**
 * What the `wp kb` commands that run jobs share: stopping cleanly on a signal.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Base of the commands that run jobs in their own process.
 */
abstract class KBJobs_CLI_Command {

	/**
	 * Set when SIGTERM or SIGINT asked this process to stop.
	 *
	 * @var bool
	 */
	protected $stop_requested = false;

	/**
	 * Makes SIGTERM and SIGINT finish the chunk in hand and give the job back.
	 *
	 * @param \KBJobs\Engine $engine The engine running.
	 */
	protected function trap_signals( \KBJobs\Engine $engine ): void {
		if ( ! function_exists( 'pcntl_signal' ) ) {
			return;
		}
		pcntl_async_signals( true );
		$handler = function () use ( $engine ) {
			$this->stop_requested = true;
			$engine->requestStop();
		};
		pcntl_signal( SIGTERM, $handler );
		pcntl_signal( SIGINT, $handler );
	}
}
