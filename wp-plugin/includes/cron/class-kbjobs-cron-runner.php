<?php
/**
 * Running WP-Cron events kept by kbjobs: the engine claims a due event with a lease and
 * hands it here; this class calls its hook's callbacks as wp-cron.php would (DOING_CRON
 * set, do_action_ref_array) and measures the run (peak memory, database queries, HTTP
 * requests, the first 4 KiB of output) for the run history. A Throwable fails the run;
 * exit() and fatal errors fail it too, through the extension (see KBJobs\Engine::run()).
 *
 * Where events run: `wp kb work` runners (unless --no-cron), and, when no live runner
 * takes events, wp-cron.php: core's spawn_cron() still fires the loopback request when an
 * event is due (with its lock, DISABLE_WP_CRON, ALTERNATE_WP_CRON and the cron_request
 * filter), this class fires it once a minute for due jobs, and inside wp-cron.php it runs
 * the engine within a time budget and answers core's wp_get_ready_cron_jobs() with
 * nothing, so core itself never runs an event kbjobs owns.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Runs events; the wp-cron.php loopback.
 */
final class KBJobs_Cron_Runner {

	/**
	 * Bytes of a run's output kept in its history.
	 */
	const OUTPUT_MAX = 4096;

	/**
	 * The trigger recorded for runs started by the wp-cron.php loopback.
	 */
	const LOOPBACK = 'loopback';

	/**
	 * HTTP requests made by the run in progress (counted on pre_http_request).
	 *
	 * @var int
	 */
	private static $http_requests = 0;

	/**
	 * The output kept so far of the run in progress.
	 *
	 * @var string
	 */
	private static $output = '';

	/**
	 * Hooks the loopback: inside wp-cron.php, and the once-a-minute spawn for due jobs.
	 */
	public static function init(): void {
		add_filter( 'pre_get_ready_cron_jobs', array( __CLASS__, 'in_wp_cron' ), 5 );
		add_action( 'wp_loaded', array( __CLASS__, 'maybe_spawn' ), 30 );
	}

	/**
	 * The run() options that make a runner take events: its callback and trigger.
	 *
	 * @param string $trigger runner, loopback, run-now or cli.
	 * @return array<string,mixed>
	 */
	public static function run_options( string $trigger = 'runner' ): array {
		return array(
			'cron'         => array( __CLASS__, 'run_event' ),
			'cron_trigger' => $trigger,
		);
	}

	/**
	 * Runs one claimed event: the engine's `cron` callback.
	 *
	 * @param array<string,mixed> $run The claimed run (hook, args_php, trigger, ...).
	 * @throws \UnexpectedValueException Caught inside: stored arguments that cannot be read.
	 * @return array<string,mixed> What the history records: error (when it failed),
	 *                             memory_peak, queries, http_requests, output.
	 */
	public static function run_event( array $run ): array {
		global $wpdb;
		if ( ! defined( 'DOING_CRON' ) ) {
			// What wp-cron.php sets for the callbacks it runs (wp_doing_cron()). A runner
			// process keeps it once its first event ran.
			define( 'DOING_CRON', true ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedConstantFound -- core's constant, set as wp-cron.php sets it.
		}
		// The claim moved this event (a recurring one is already scheduled at its next time).
		KBJobs_Cron_Store::invalidate();
		$args = self::args( (string) $run['args_php'] );
		$hook = (string) $run['hook'];

		self::$http_requests = 0;
		self::$output        = '';
		$count_http          = static function ( $pre ) {
			++self::$http_requests;
			return $pre;
		};
		add_filter( 'pre_http_request', $count_http, PHP_INT_MIN );
		$queries = (int) $wpdb->num_queries;
		$level   = ob_get_level();
		ob_start( array( __CLASS__, 'keep_output' ), self::OUTPUT_MAX );
		memory_reset_peak_usage();
		$error = null;
		try {
			if ( null === $args ) {
				throw new \UnexpectedValueException( 'the stored arguments of this event cannot be read back (unserialize failed)' );
			}
			do_action_ref_array( $hook, $args ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.DynamicHooknameFound -- the event's own hook, as wp-cron.php calls it.
		} catch ( \Throwable $e ) {
			$error = get_class( $e ) . ': ' . $e->getMessage();
		} finally {
			$memory = memory_get_peak_usage();
			// A callback may have opened buffers of its own and left them open.
			while ( ob_get_level() > $level ) {
				ob_end_flush();
			}
			remove_filter( 'pre_http_request', $count_http, PHP_INT_MIN );
			KBJobs_Cron_Store::invalidate();
		}
		return array(
			'error'         => $error,
			'memory_peak'   => $memory,
			'queries'       => max( 0, (int) $wpdb->num_queries - $queries ),
			'http_requests' => self::$http_requests,
			'output'        => self::$output,
		);
	}

	/**
	 * The output buffer's callback: keeps the first OUTPUT_MAX bytes, prints nothing.
	 *
	 * @param string $buffer The chunk.
	 * @return string
	 */
	public static function keep_output( string $buffer ): string {
		$room = self::OUTPUT_MAX - strlen( self::$output );
		if ( $room > 0 && '' !== $buffer ) {
			self::$output .= substr( $buffer, 0, $room );
		}
		return '';
	}

	/**
	 * An event's arguments as its callbacks get them, or null when they cannot be read.
	 *
	 * @param string $stored serialize()d arguments.
	 * @return array|null
	 */
	private static function args( string $stored ): ?array {
		if ( 'a:0:{}' === $stored || '' === $stored ) {
			return array();
		}
		// The same trust as core's own `cron` option, which holds serialize()d arguments
		// that WordPress unserializes with every class allowed.
		$args = @unserialize( $stored ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged, WordPress.PHP.DiscouragedPHPFunctions.serialize_unserialize -- a corrupt value is reported as the run's error, not as a notice.
		return is_array( $args ) ? $args : null;
	}

	/**
	 * Whether this request is wp-cron.php (not a WP-CLI process that defined DOING_CRON,
	 * and not a runner, which defines it when its first event runs).
	 *
	 * @return bool
	 */
	private static function is_wp_cron_request(): bool {
		if ( ! wp_doing_cron() || ( defined( 'WP_CLI' ) && WP_CLI ) ) {
			return false;
		}
		$script = isset( $_SERVER['SCRIPT_FILENAME'] ) ? basename( sanitize_text_field( wp_unslash( $_SERVER['SCRIPT_FILENAME'] ) ) ) : '';
		return 'wp-cron.php' === $script;
	}

	/**
	 * Inside wp-cron.php: runs due events and jobs through the engine (unless a live
	 * runner takes events), then tells core there is nothing for it to run.
	 *
	 * @param null|array $pre What an earlier filter answered.
	 * @return null|array
	 */
	public static function in_wp_cron( $pre ) {
		static $ran = false;
		if ( null !== $pre || ! KBJobs_Cron::active() || ! self::is_wp_cron_request() ) {
			return $pre;
		}
		if ( ! $ran ) {
			$ran = true;
			self::loopback();
		}
		return array();
	}

	/**
	 * The loopback's run: due events and jobs within a time budget below
	 * max_execution_time, unless a live runner takes events (it will run them).
	 */
	public static function loopback(): void {
		update_option( KBJobs_Data_Status::LAST_TICK_OPTION, time(), false );
		try {
			if ( KBJobs_Engine::get()->cronRunnerAlive() ) {
				return;
			}
			ignore_user_abort( true );
			KBJobs_Runner::run( KBJobs_Runner::budget_options() + self::run_options( self::LOOPBACK ) );
		} catch ( \KBJobs\Exception $e ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- a loopback request has no one to answer: the error log is the only place this failure can go.
			error_log( 'kbjobs wp-cron loopback: ' . $e->getMessage() );
		}
	}

	/**
	 * Once a minute at most, fires the loopback for jobs (core's spawn_cron() fires it
	 * only for due events): with core's lock, so the two never spawn twice in a minute.
	 * Nothing when DISABLE_WP_CRON is set (a system cron calls wp-cron.php), in
	 * wp-cron.php itself, in WP-CLI and in AJAX requests.
	 */
	public static function maybe_spawn(): void {
		if ( ! KBJobs_Cron::active() || ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) || wp_doing_cron()
			|| wp_doing_ajax() || ( defined( 'WP_CLI' ) && WP_CLI ) || isset( $_GET['doing_wp_cron'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only its presence, as core's spawn_cron() checks it.
			return;
		}
		$now  = microtime( true );
		$lock = (float) get_transient( 'doing_cron' );
		if ( $lock > $now + 10 * MINUTE_IN_SECONDS ) {
			$lock = 0;
		}
		if ( $lock + WP_CRON_LOCK_TIMEOUT > $now ) {
			return;
		}
		self::spawn( $now );
	}

	/**
	 * Fires the wp-cron.php loopback as core's spawn_cron() does (its lock, its
	 * cron_request filter, a non-blocking request).
	 *
	 * @param float $now The time now.
	 * @return bool Whether the request went out.
	 */
	public static function spawn( float $now ): bool {
		$key = sprintf( '%.22F', $now );
		set_transient( 'doing_cron', $key );
		// phpcs:disable WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's filters, applied as spawn_cron() applies them.
		/** This filter is documented in wp-includes/cron.php */
		$request = apply_filters(
			'cron_request',
			array(
				'url'  => add_query_arg( 'doing_wp_cron', $key, site_url( 'wp-cron.php' ) ),
				'key'  => $key,
				'args' => array(
					'timeout'   => 0.01,
					'blocking'  => false,
					/** This filter is documented in wp-includes/class-wp-http-streams.php */
					'sslverify' => apply_filters( 'https_local_ssl_verify', false ),
				),
			),
			$key
		);
		// phpcs:enable
		return ! is_wp_error( wp_remote_post( $request['url'], $request['args'] ) );
	}
}
