<?php
/**
 * Runs the engine inside WordPress: the one-minute WP-Cron tick and `wp kb work` both
 * come here, with the import sink and the plugin's queues.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The WP-Cron schedule and the run loop.
 */
final class KBJobs_Runner {

	const TICK     = 'kbjobs_tick';
	const SCHEDULE = 'kbjobs_minute';

	/**
	 * The filters wp_die() picks its handler from, by kind of request.
	 */
	const DIE_HANDLERS = array( 'wp_die_handler', 'wp_die_ajax_handler', 'wp_die_json_handler', 'wp_die_jsonp_handler', 'wp_die_xml_handler' );

	/**
	 * Hooks the schedule and the tick.
	 */
	public static function init(): void {
		// phpcs:ignore WordPress.WP.CronInterval.CronSchedulesInterval -- every minute on purpose: without a runner process (`wp kb work`), this tick is what runs the jobs.
		add_filter( 'cron_schedules', array( __CLASS__, 'schedules' ) );
		add_action( self::TICK, array( __CLASS__, 'tick' ) );
		add_action( 'init', array( __CLASS__, 'schedule' ) );
	}

	/**
	 * Adds the one-minute schedule.
	 *
	 * @param array<string,array<string,mixed>> $schedules WordPress's schedules.
	 * @return array<string,array<string,mixed>>
	 */
	public static function schedules( array $schedules ): array {
		$schedules[ self::SCHEDULE ] = array(
			'interval' => 60,
			'display'  => __( 'Every minute (KB Jobs)', 'kb-jobs' ),
		);
		return $schedules;
	}

	/**
	 * Schedules the tick when it is not scheduled yet. With WP-Cron on kbjobs (see
	 * KBJobs_Cron) there is no tick: runners and the wp-cron.php loopback run jobs and
	 * events alike, so a tick left from before is removed.
	 */
	public static function schedule(): void {
		$next = wp_next_scheduled( self::TICK );
		if ( KBJobs_Cron::active() ) {
			if ( $next ) {
				wp_unschedule_hook( self::TICK );
			}
			return;
		}
		if ( ! $next ) {
			wp_schedule_event( time(), self::SCHEDULE, self::TICK );
		}
	}

	/**
	 * The queues runners of this site take work from, in order.
	 *
	 * @return string[]
	 */
	public static function queues(): array {
		/**
		 * Filters the queues the cron tick and `wp kb work` claim from.
		 *
		 * @param string[] $queues Default: kbjobs (bulk actions on jobs: short, and not
		 *                         held up behind the jobs they act on), import, default.
		 */
		return array_values( (array) apply_filters( 'kbjobs_runner_queues', array( 'kbjobs', 'import', 'default' ) ) );
	}

	/**
	 * Runs the engine with the import sink (see KBJobs\Engine::run() for the options).
	 * With WP-Cron on kbjobs the runner takes due events too, unless $events is false
	 * (`wp kb work --no-cron`) or the options already say how.
	 *
	 * @param array<string,mixed> $options Budgets and queues.
	 * @param bool                $events  Whether to run WP-Cron events as well.
	 * @return array<string,mixed> The run report.
	 */
	public static function run( array $options, bool $events = true ): array {
		// Imports run for minutes: a runner claims one job at a time, so the ranges of an
		// import go to as many runners as there are.
		$options += array(
			'queues'      => self::queues(),
			'claim_batch' => 1,
		);
		if ( $events && ! isset( $options['cron'] ) && KBJobs_Cron::active() ) {
			$options += KBJobs_Cron_Runner::run_options();
		}

		$options['sink'] = array( 'KBJobs_Sink', 'write' );
		// wp_die() (WordPress's "Error establishing a database connection" among others)
		// ends the job it was reached from, not the runner.
		$handler = static function () {
			return array( __CLASS__, 'die_in_job' );
		};
		foreach ( self::DIE_HANDLERS as $filter ) {
			add_filter( $filter, $handler, PHP_INT_MAX );
		}
		try {
			return KBJobs_Engine::get()->run( $options );
		} finally {
			foreach ( self::DIE_HANDLERS as $filter ) {
				remove_filter( $filter, $handler, PHP_INT_MAX );
			}
		}
	}

	/**
	 * The wp_die() handler while jobs run: throws instead of exiting, with WordPress's
	 * message, so the job's attempt records why and the runner goes on. A lost database
	 * (WordPress could not reconnect) is KBJobs\ConnectionLostException: an import waits
	 * and tries the chunk again instead of spending an attempt.
	 *
	 * @param string|\WP_Error $message What WordPress says.
	 * @param string           $title   Its title.
	 * @throws \KBJobs\ConnectionLostException|\RuntimeException Always.
	 */
	public static function die_in_job( $message, $title = '' ): void {
		global $wpdb;
		if ( is_wp_error( $message ) ) {
			$message = $message->get_error_message();
		}
		$text = trim( preg_replace( '/\s+/', ' ', html_entity_decode( wp_strip_all_tags( (string) $message ), ENT_QUOTES ) ) );
		if ( '' === $text && is_string( $title ) ) {
			$text = wp_strip_all_tags( $title );
		}
		if ( empty( $wpdb->dbh ) ) {
			throw new \KBJobs\ConnectionLostException( 'WordPress lost its database connection: ' . $text );
		}
		throw new \RuntimeException( 'WordPress stopped (wp_die): ' . $text );
	}

	/**
	 * The budgets of a run inside a web request (the tick, the wp-cron.php loopback): a
	 * time budget below max_execution_time, a memory budget below memory_limit, and
	 * a return as soon as nothing is due.
	 *
	 * @return array<string,mixed>
	 */
	public static function budget_options(): array {
		$max     = (int) ini_get( 'max_execution_time' );
		$seconds = $max > 0 ? max( 5, min( 50, $max - 10 ) ) : 50;
		$limit   = wp_convert_hr_to_bytes( (string) ini_get( 'memory_limit' ) );
		$options = array(
			'max_seconds' => $seconds,
			'until_empty' => true,
		);
		if ( $limit > 0 ) {
			$options['max_memory'] = (int) ( $limit * 0.8 );
		}
		return $options;
	}

	/**
	 * The WP-Cron tick: runs due jobs within a time budget below max_execution_time and
	 * a memory budget below memory_limit, and returns when nothing is due.
	 */
	public static function tick(): void {
		if ( KBJobs_Cron::active() ) {
			// A tick left from before WP-Cron moved to kbjobs (schedule() removes it):
			// runners and the wp-cron.php loopback run jobs now.
			return;
		}
		update_option( KBJobs_Data_Status::LAST_TICK_OPTION, time(), false );
		try {
			self::run( self::budget_options() );
		} catch ( \KBJobs\Exception $e ) {
			// The next tick tries again; the reason goes to the PHP error log.
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- a WP-Cron callback has no one to answer: the error log is the only place this failure can go.
			error_log( 'kbjobs tick: ' . $e->getMessage() );
		}
	}
}
