<?php
/**
 * Alerts that reach people. Once a minute (the kbjobs_alerts WP-Cron event; and, when
 * WP-Cron itself stops, the next wp-admin page view or `wp kb alert check`) the
 * conditions below are checked; each active condition has a key ("failure_rate:import")
 * and raises ONE alert: an email (alert_email_to, else the site's admin email), a signed
 * webhook POST when alert_webhook_url is set, and the kbjobs_alert action. A still-active
 * alert is notified again only after alert_cooldown_minutes; when its condition has been
 * clear for alert_clear_minutes, one "resolved" notice goes out the same ways. A condition
 * that comes back before that (it flaps) is the same alert, not a new one: it is counted
 * in its `flaps` and sends nothing until its cooldown ends. Resolved alerts are kept in a
 * short history (the last HISTORY_SIZE).
 *
 * Conditions (thresholds from KBJobs_Settings):
 * - failure_rate:<type>  at least alert_failure_rate % of a type's jobs finished within
 *                        alert_failure_window_minutes failed, of at least
 *                        alert_failure_min_jobs finished;
 * - due_age:<queue>      a queue's oldest due job waits longer than alert_due_age_minutes
 *                        (paused queues hold their jobs on purpose and never alert);
 * - no_runner            jobs are due and nothing runs them: no live runner, and the
 *                        oldest due job has waited longer than alert_no_runner_minutes;
 * - cron_stale           WP-Cron drives kbjobs (no live runner takes events) and has not
 *                        ticked for alert_cron_stale_minutes;
 * - failure_streak:<type> the engine raised a repeated-failure alert for the type
 *                        (FailureLog::alerts()) and its last alert_failure_streak
 *                        finished jobs all failed;
 * - reconcile_findings   the newest finished reconciliation (KBJobs_Reconcile) found
 *                        something: its counts per kind; resolved when a later one
 *                        finds nothing.
 *
 * State (what is raised, since when, when last notified) is one option, written only
 * under a database lock, so two processes checking at once never notify twice.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Checks the alert conditions and notifies.
 */
final class KBJobs_Alerts {

	const HOOK = 'kbjobs_alerts';

	/**
	 * The raised alerts by key (not autoloaded: read once a minute, and by the Overview).
	 */
	const STATE_OPTION = 'kbjobs_alerts_state';

	/**
	 * When the conditions were last checked (Unix time).
	 */
	const CHECKED_OPTION = 'kbjobs_alerts_checked';

	/**
	 * The resolved alerts, newest first (not autoloaded).
	 */
	const HISTORY_OPTION = 'kbjobs_alerts_history';

	/**
	 * How many resolved alerts the history keeps.
	 */
	const HISTORY_SIZE = 50;

	/**
	 * The conditions, with their labels for people.
	 */
	const CONDITIONS = array( 'failure_rate', 'due_age', 'no_runner', 'cron_stale', 'failure_streak', 'reconcile_findings' );

	/**
	 * A wp-admin page view checks the conditions itself when the every-minute check is
	 * overdue by more than this (whatever runs WP-Cron's events has stopped).
	 */
	const ADMIN_CHECK_AFTER_SECONDS = 180;

	/**
	 * The webhook's timeout: an endpoint that hangs must not hold up the check.
	 */
	const WEBHOOK_TIMEOUT = 5;

	/**
	 * Hooks the check and schedules it.
	 */
	public static function init(): void {
		add_action( self::HOOK, array( self::class, 'run' ) );
		add_action( 'init', array( self::class, 'schedule' ) );
		add_action( 'admin_init', array( self::class, 'maybe_run_late' ) );
	}

	/**
	 * Schedules the check every minute when it is not scheduled yet.
	 */
	public static function schedule(): void {
		if ( ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + MINUTE_IN_SECONDS, KBJobs_Runner::SCHEDULE, self::HOOK );
		}
	}

	/**
	 * The WP-Cron callback: checks, and logs what stops the check (the next minute tries
	 * again).
	 */
	public static function run(): void {
		try {
			self::check();
		} catch ( \Throwable $e ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- a WP-Cron callback has no one to answer.
			error_log( 'kbjobs alerts: ' . $e->getMessage() );
		}
	}

	/**
	 * On a wp-admin page view, checks when WP-Cron has not for a while: that is how
	 * cron_stale can be noticed at all. The every-minute event's own time says it
	 * (schedule() has read it on `init` already, so this costs no query); only when it is
	 * overdue is the last check's time read, so that page views do not all check. The
	 * check runs once the page is sent (after fastcgi_finish_request() where PHP-FPM
	 * serves): a webhook's timeout never holds up the page.
	 */
	public static function maybe_run_late(): void {
		if ( wp_doing_ajax() ) {
			return;
		}
		$next = wp_next_scheduled( self::HOOK );
		if ( false !== $next && $next > time() - self::ADMIN_CHECK_AFTER_SECONDS ) {
			return;
		}
		if ( (int) get_option( self::CHECKED_OPTION, 0 ) > time() - self::ADMIN_CHECK_AFTER_SECONDS ) {
			return;
		}
		add_action( 'shutdown', array( self::class, 'run_after_response' ), 1000 );
	}

	/**
	 * The late check of maybe_run_late(), at shutdown: the response is finished first
	 * where the server can (PHP-FPM), then the check runs.
	 */
	public static function run_after_response(): void {
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
		}
		self::run();
	}

	/**
	 * Checks every condition, raises, re-notifies after the cooldown and resolves.
	 * Does nothing (and returns null) when another process is checking right now.
	 * A condition that cannot be read (the database refuses) throws before anything
	 * changes: a failed check never resolves alerts.
	 *
	 * @return array<int,array{0:string,1:string}>|null The notices sent: [event, key].
	 */
	public static function check(): ?array {
		global $wpdb;
		$lock = 'kbjobs_alerts_' . md5( DB_NAME . '|' . $wpdb->prefix );
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', $lock ) ) ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a named lock, no table.
			return null;
		}
		try {
			$active = self::conditions();
			$now    = time();
			$state  = self::state();
			$sent   = array();
			$wait   = max( 0, (int) self::setting( 'alert_cooldown_minutes' ) ) * MINUTE_IN_SECONDS;
			$clear  = max( 0, (int) self::setting( 'alert_clear_minutes' ) ) * MINUTE_IN_SECONDS;
			foreach ( $active as $key => $found ) {
				$alert = ( $state[ $key ] ?? array(
					'key'              => $key,
					'raised_at'        => $now,
					'last_notified_at' => 0,
					'notices'          => 0,
					'flaps'            => 0,
				) );
				if ( isset( $alert['clear_since'] ) ) {
					// Back before it stayed clear: the same alert, flapping.
					unset( $alert['clear_since'] );
					$alert['flaps'] = (int) ( $alert['flaps'] ?? 0 ) + 1;
				}
				$alert = array_merge( $alert, $found );
				if ( 0 === $alert['last_notified_at'] || $now - $alert['last_notified_at'] >= $wait ) {
					$alert['last_notified_at'] = $now;
					++$alert['notices'];
					$alert['errors'] = self::notify( 'raised', $alert );
					$sent[]          = array( 'raised', $key );
				}
				$state[ $key ] = $alert;
			}
			$history = array();
			foreach ( array_diff_key( $state, $active ) as $key => $alert ) {
				$alert['clear_since'] = (int) ( $alert['clear_since'] ?? $now );
				if ( $now - $alert['clear_since'] < $clear ) {
					$state[ $key ] = $alert;
					continue;
				}
				$alert['resolved_at'] = $now;
				self::notify( 'resolved', $alert );
				$sent[] = array( 'resolved', $key );
				unset( $state[ $key ] );
				$history[] = $alert;
			}
			update_option( self::STATE_OPTION, $state, false );
			if ( $history ) {
				wp_cache_delete( self::HISTORY_OPTION, 'options' );
				$old = get_option( self::HISTORY_OPTION, array() );
				update_option( self::HISTORY_OPTION, array_slice( array_merge( array_reverse( $history ), is_array( $old ) ? $old : array() ), 0, self::HISTORY_SIZE ), false );
			}
			update_option( self::CHECKED_OPTION, $now, false );
			return $sent;
		} finally {
			$wpdb->query( $wpdb->prepare( 'DO RELEASE_LOCK(%s)', $lock ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		}
	}

	/**
	 * The raised alerts, oldest first.
	 *
	 * @return array<string,array<string,mixed>> By key: key, condition, subject, summary,
	 *                                           details, raised_at, last_notified_at,
	 *                                           notices, errors.
	 */
	public static function state(): array {
		// A runner is a long process: another one may have changed the option since
		// this one cached it.
		wp_cache_delete( self::STATE_OPTION, 'options' );
		$state = get_option( self::STATE_OPTION, array() );
		return is_array( $state ) ? $state : array();
	}

	/**
	 * The raised alerts as REST and WP-CLI show them. `clear_since` is set while the
	 * condition has cleared but not for alert_clear_minutes yet.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	public static function active(): array {
		return array_map( array( self::class, 'shown' ), array_values( self::state() ) );
	}

	/**
	 * The resolved alerts, newest first (up to HISTORY_SIZE), as REST and WP-CLI show them.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	public static function resolved(): array {
		wp_cache_delete( self::HISTORY_OPTION, 'options' );
		$history = get_option( self::HISTORY_OPTION, array() );
		return array_map( array( self::class, 'shown' ), is_array( $history ) ? array_values( $history ) : array() );
	}

	/**
	 * One alert of the state or the history, with its times formatted.
	 *
	 * @param array<string,mixed> $alert The alert.
	 * @return array<string,mixed>
	 */
	private static function shown( array $alert ): array {
		return array(
			'key'              => (string) $alert['key'],
			'condition'        => (string) $alert['condition'],
			'summary'          => (string) $alert['summary'],
			'raised_at'        => KBJobs_Format::time( $alert['raised_at'] ),
			'last_notified_at' => KBJobs_Format::time( $alert['last_notified_at'] ),
			'notices'          => (int) $alert['notices'],
			'flaps'            => (int) ( $alert['flaps'] ?? 0 ),
			'clear_since'      => isset( $alert['clear_since'] ) ? KBJobs_Format::time( $alert['clear_since'] ) : null,
			'resolved_at'      => isset( $alert['resolved_at'] ) ? KBJobs_Format::time( $alert['resolved_at'] ) : null,
			'details'          => $alert['details'],
		);
	}

	/**
	 * The conditions that hold now.
	 *
	 * @return array<string,array{condition:string,subject:string,summary:string,details:array<string,mixed>}> By key.
	 */
	public static function conditions(): array {
		$engine  = KBJobs_Engine::get();
		$queues  = $engine->queues();
		$runners = $engine->tracker()->runners( 1 );
		$live    = in_array( 'active', array_column( $runners, 'state' ), true );
		return array_merge(
			self::failure_rates( $engine ),
			self::due_ages( $queues ),
			self::no_runner( $queues, $live ),
			self::cron_stale( $engine, $live ),
			self::failure_streaks( $engine ),
			self::reconcile_findings( $engine )
		);
	}

	/**
	 * Condition failure_rate:<type>, from Engine::stats(): the jobs of each type that
	 * finished within the window.
	 *
	 * @param \KBJobs\Engine $engine The engine.
	 * @return array<string,array<string,mixed>>
	 */
	private static function failure_rates( \KBJobs\Engine $engine ): array {
		$minutes = max( 1, (int) self::setting( 'alert_failure_window_minutes' ) );
		$rate    = max( 1, (int) self::setting( 'alert_failure_rate' ) );
		$min     = max( 1, (int) self::setting( 'alert_failure_min_jobs' ) );
		$counts  = array();
		// The metrics every runner records (kb17-metrics), per type: the jobs that
		// finished in the window, whoever ran them.
		$stats = $engine->stats( array( 'since' => $minutes * MINUTE_IN_SECONDS ) );
		foreach ( (array) $stats['types'] as $type => $row ) {
			$counts[ (string) $type ] = array( (int) $row['completed'], (int) $row['failed'] );
		}
		$found = array();
		foreach ( $counts as $type => list( $completed, $failed ) ) {
			$finished = $completed + $failed;
			if ( $finished < $min || $failed * 100 < $rate * $finished ) {
				continue;
			}
			$found[ 'failure_rate:' . $type ] = array(
				'condition' => 'failure_rate',
				'subject'   => $type,
				/* translators: 1: job type, 2: failed jobs, 3: finished jobs, 4: minutes */
				'summary'   => sprintf( __( 'Jobs of type %1$s are failing: %2$d of %3$d failed in the last %4$d minutes.', 'kb-jobs' ), $type, $failed, $finished, $minutes ),
				'details'   => array(
					'type'           => $type,
					'failed'         => $failed,
					'finished'       => $finished,
					'percent'        => (int) round( 100 * $failed / $finished ),
					'threshold'      => $rate,
					'window_minutes' => $minutes,
				),
			);
		}
		return $found;
	}

	/**
	 * Condition due_age:<queue>.
	 *
	 * @param array<int,array<string,mixed>> $queues Engine::queues().
	 * @return array<string,array<string,mixed>>
	 */
	private static function due_ages( array $queues ): array {
		$minutes = max( 1, (int) self::setting( 'alert_due_age_minutes' ) );
		$found   = array();
		foreach ( $queues as $queue ) {
			$age = (float) $queue['oldest_due_age'];
			if ( $queue['paused'] || (int) $queue['due'] < 1 || $age <= $minutes * MINUTE_IN_SECONDS ) {
				continue;
			}
			$name                        = (string) $queue['name'];
			$found[ 'due_age:' . $name ] = array(
				'condition' => 'due_age',
				'subject'   => $name,
				/* translators: 1: queue name, 2: minutes, 3: due jobs */
				'summary'   => sprintf( __( 'Queue %1$s: the oldest due job has waited %2$d minutes (%3$d due).', 'kb-jobs' ), $name, (int) floor( $age / 60 ), (int) $queue['due'] ),
				'details'   => array(
					'queue'             => $name,
					'oldest_due_age'    => (int) $age,
					'due'               => (int) $queue['due'],
					'running'           => (int) $queue['running'],
					'blocked'           => $queue['blocked'],
					'threshold_minutes' => $minutes,
				),
			);
		}
		return $found;
	}

	/**
	 * Condition no_runner.
	 *
	 * @param array<int,array<string,mixed>> $queues Engine::queues().
	 * @param bool                           $live   Whether a runner is alive.
	 * @return array<string,array<string,mixed>>
	 */
	private static function no_runner( array $queues, bool $live ): array {
		$due    = 0;
		$oldest = 0.0;
		foreach ( $queues as $queue ) {
			if ( ! $queue['paused'] && (int) $queue['due'] > 0 ) {
				$due   += (int) $queue['due'];
				$oldest = max( $oldest, (float) $queue['oldest_due_age'] );
			}
		}
		if ( $live || 0 === $due || $oldest <= max( 1, (int) self::setting( 'alert_no_runner_minutes' ) ) * MINUTE_IN_SECONDS ) {
			return array();
		}
		return array(
			'no_runner' => array(
				'condition' => 'no_runner',
				'subject'   => '',
				/* translators: 1: due jobs, 2: minutes */
				'summary'   => sprintf( __( 'No runner is alive while %1$d jobs are due (the oldest for %2$d minutes).', 'kb-jobs' ), $due, (int) floor( $oldest / 60 ) ),
				'details'   => array(
					'due'            => $due,
					'oldest_due_age' => (int) $oldest,
				),
			),
		);
	}

	/**
	 * Condition cron_stale: only while WP-Cron is what runs things (no live runner takes events,
	 * or, with WP-Cron off kbjobs, no live runner at all).
	 *
	 * @param \KBJobs\Engine $engine The engine.
	 * @param bool           $live   Whether a runner is alive.
	 * @return array<string,array<string,mixed>>
	 */
	private static function cron_stale( \KBJobs\Engine $engine, bool $live ): array {
		$driven = KBJobs_Cron::active() ? ! $engine->cronRunnerAlive() : ! $live;
		if ( ! $driven ) {
			return array();
		}
		$minutes = max( 1, (int) self::setting( 'alert_cron_stale_minutes' ) );
		$tick    = KBJobs_Data_Status::last_tick();
		if ( $tick > time() - $minutes * MINUTE_IN_SECONDS ) {
			return array();
		}
		return array(
			'cron_stale' => array(
				'condition' => 'cron_stale',
				'subject'   => '',
				'summary'   => 0 === $tick
					/* translators: %d: minutes */
					? sprintf( __( 'WP-Cron has never ticked for KB Jobs, and no runner is alive (checked after %d minutes).', 'kb-jobs' ), $minutes )
					/* translators: %d: minutes */
					: sprintf( __( 'WP-Cron has not ticked for %d minutes, and no runner is alive.', 'kb-jobs' ), (int) floor( ( time() - $tick ) / 60 ) ),
				'details'   => array(
					'last_tick'         => KBJobs_Format::time( $tick ),
					'disable_wp_cron'   => defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON,
					'threshold_minutes' => $minutes,
				),
			),
		);
	}

	/**
	 * Condition failure_streak:<type>: the engine's open repeated-failure alerts say which types
	 * to look at (and the types raised before, to see them clear); the type's newest
	 * jobs say whether its last N finished ones all failed.
	 *
	 * @param \KBJobs\Engine $engine The engine.
	 * @return array<string,array<string,mixed>>
	 */
	private static function failure_streaks( \KBJobs\Engine $engine ): array {
		$streak = max( 1, (int) self::setting( 'alert_failure_streak' ) );
		$types  = array();
		foreach ( $engine->failures()->alerts() as $row ) {
			if ( empty( $row['acknowledged_at'] ) ) {
				$types[ (string) $row['type'] ] = (string) $row['message'];
			}
		}
		foreach ( self::state() as $alert ) {
			if ( 'failure_streak' === $alert['condition'] && ! isset( $types[ $alert['subject'] ] ) ) {
				$types[ $alert['subject'] ] = (string) ( $alert['details']['engine_alert'] ?? '' );
			}
		}
		$found = array();
		foreach ( $types as $type => $message ) {
			// The newest jobs by id; the ones still queued or running are skipped, so a
			// few more than the streak are read.
			$finished = array();
			foreach ( $engine->list(
				array(
					'type'  => $type,
					'limit' => min(
						500,
						$streak * 2 + 20
					),
				)
			)['jobs'] as $job ) {
				$row = $job->toArray();
				if ( in_array( $row['status'], array( 'completed', 'failed' ), true ) ) {
					$finished[] = array( (float) $row['finished_at'], $row['status'] );
				}
			}
			rsort( $finished );
			$last = array_slice( $finished, 0, $streak );
			if ( count( $last ) < $streak || array( 'failed' ) !== array_values( array_unique( array_column( $last, 1 ) ) ) ) {
				continue;
			}
			$found[ 'failure_streak:' . $type ] = array(
				'condition' => 'failure_streak',
				'subject'   => $type,
				/* translators: 1: number of jobs, 2: job type */
				'summary'   => sprintf( __( 'The last %1$d jobs of type %2$s all failed.', 'kb-jobs' ), $streak, $type ),
				'details'   => array(
					'type'         => $type,
					'streak'       => $streak,
					'engine_alert' => $message,
				),
			);
		}
		return $found;
	}

	/**
	 * Condition reconcile_findings: the newest finished reconciliation's report has
	 * findings. A reconciliation queued or running does not clear it: the newest one that
	 * completed decides (a failed or cancelled one says nothing either way).
	 *
	 * @param \KBJobs\Engine $engine The engine.
	 * @return array<string,array<string,mixed>>
	 */
	private static function reconcile_findings( \KBJobs\Engine $engine ): array {
		$jobs   = $engine->list(
			array(
				'type'              => 'combined',
				'unique_key_prefix' => KBJobs_Reconcile::KEY,
				'status'            => 'completed',
				'limit'             => 1,
			)
		)['jobs'];
		$report = $jobs ? KBJobs_Reconcile::report( $jobs[0]->id ) : null;
		if ( null === $report || $report['total'] < 1 ) {
			return array();
		}
		$parts = array();
		foreach ( $report['counts'] as $kind => $n ) {
			if ( $n > 0 ) {
				$parts[] = $kind . ' ' . $n;
			}
		}
		return array(
			'reconcile_findings' => array(
				'condition' => 'reconcile_findings',
				'subject'   => '',
				/* translators: 1: number of findings, 2: counts per kind ("ghost 2, orphan 1"), 3: job id */
				'summary'   => sprintf( __( 'The last reconciliation found %1$d problems (%2$s): job %3$s.', 'kb-jobs' ), $report['total'], implode( ', ', $parts ), $report['id'] ),
				'details'   => array(
					'job'         => $report['id'],
					'counts'      => $report['counts'],
					'total'       => $report['total'],
					'finished_at' => KBJobs_Format::time( $report['finished_at'] ),
				),
			),
		);
	}

	/**
	 * Sends one notice by every channel; a channel that fails is logged and does not
	 * stop the others.
	 *
	 * @param string              $event raised or resolved.
	 * @param array<string,mixed> $alert The alert.
	 * @return array<string,string> The channels that failed, with why.
	 */
	private static function notify( string $event, array $alert ): array {
		$errors = array();
		if ( self::setting( 'alert_email' ) ) {
			$error = self::email( $event, $alert );
			if ( null !== $error ) {
				$errors['email'] = $error;
			}
		}
		$url = (string) self::setting( 'alert_webhook_url' );
		if ( '' !== $url ) {
			$error = self::webhook( $url, $event, $alert );
			if ( null !== $error ) {
				$errors['webhook'] = $error;
			}
		}
		foreach ( $errors as $channel => $error ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- the alert stays raised; the log is where a broken channel shows.
			error_log( sprintf( 'kbjobs alert %s %s: %s failed: %s', $event, $alert['key'], $channel, $error ) );
		}
		/**
		 * Fires for each notice, for other channels (chat, paging).
		 *
		 * @param string $event "raised" (first time, and again after the cooldown while
		 *                      it holds) or "resolved".
		 * @param array  $alert key, condition, subject, summary, details, raised_at,
		 *                      last_notified_at, notices (and resolved_at when resolved).
		 */
		do_action( 'kbjobs_alert', $event, $alert );
		return $errors;
	}

	/**
	 * The notice as the webhook's JSON body and the email's facts.
	 *
	 * @param string              $event raised or resolved.
	 * @param array<string,mixed> $alert The alert.
	 * @return array<string,mixed>
	 */
	public static function payload( string $event, array $alert ): array {
		return array(
			'event'     => $event,
			'key'       => (string) $alert['key'],
			'condition' => (string) $alert['condition'],
			'summary'   => (string) $alert['summary'],
			'details'   => $alert['details'],
			'raised_at' => KBJobs_Format::time( $alert['raised_at'] ),
			'site'      => home_url( '/' ),
			'time'      => KBJobs_Format::time( time() ),
		);
	}

	/**
	 * Emails the notice.
	 *
	 * @param string              $event raised or resolved.
	 * @param array<string,mixed> $alert The alert.
	 * @return string|null Why it failed, or null.
	 */
	private static function email( string $event, array $alert ): ?string {
		$to = (string) self::setting( 'alert_email_to' );
		if ( '' === $to ) {
			$to = (string) get_option( 'admin_email' );
		}
		$site    = wp_specialchars_decode( get_bloginfo( 'name' ), ENT_QUOTES );
		$subject = 'resolved' === $event
			/* translators: 1: site name, 2: what the alert said */
			? sprintf( __( '[%1$s] KB Jobs: resolved: %2$s', 'kb-jobs' ), $site, $alert['summary'] )
			/* translators: 1: site name, 2: what the alert says */
			: sprintf( __( '[%1$s] KB Jobs alert: %2$s', 'kb-jobs' ), $site, $alert['summary'] );
		$lines = array(
			'resolved' === $event ? __( 'This alert has cleared:', 'kb-jobs' ) : __( 'KB Jobs raised an alert:', 'kb-jobs' ),
			'',
			(string) $alert['summary'],
			'',
			/* translators: %s: alert key */
			sprintf( __( 'Alert: %s', 'kb-jobs' ), $alert['key'] ),
			/* translators: %s: time (UTC) */
			sprintf( __( 'Raised: %s', 'kb-jobs' ), KBJobs_Format::time( $alert['raised_at'] ) ),
		);
		foreach ( (array) $alert['details'] as $name => $value ) {
			$lines[] = $name . ': ' . ( is_scalar( $value ) ? (string) $value : wp_json_encode( $value ) );
		}
		$lines[] = '';
		$lines[] = admin_url( 'admin.php?page=kbjobs' );
		// Plain text: the summary carries queue and type names as they were given.
		$subject = str_replace( array( "\r", "\n" ), ' ', $subject );
		return wp_mail( $to, $subject, implode( "\n", $lines ) ) ? null : __( 'wp_mail() could not send the email.', 'kb-jobs' );
	}

	/**
	 * POSTs the notice to the webhook: JSON, signed with HMAC-SHA256 of the body under
	 * alert_webhook_secret (X-KBJobs-Signature: sha256=<hex>) when a secret is set,
	 * the time in X-KBJobs-Timestamp. The settings registry lets only http(s) URLs
	 * through. Through wp_safe_remote_post(): a private address
	 * is refused unless the http_request_host_is_external filter allows it.
	 *
	 * @param string              $url   The webhook URL.
	 * @param string              $event raised or resolved.
	 * @param array<string,mixed> $alert The alert.
	 * @return string|null Why it failed, or null.
	 */
	private static function webhook( string $url, string $event, array $alert ): ?string {
		$body    = (string) wp_json_encode( self::payload( $event, $alert ), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
		$headers = array(
			'Content-Type'       => 'application/json',
			'User-Agent'         => 'kbjobs/' . phpversion( 'kbjobs' ) . ' (+' . home_url( '/' ) . ')',
			'X-KBJobs-Event'     => $event,
			'X-KBJobs-Timestamp' => (string) time(),
		);
		$secret  = (string) self::setting( 'alert_webhook_secret' );
		if ( '' !== $secret ) {
			$headers['X-KBJobs-Signature'] = 'sha256=' . hash_hmac( 'sha256', $body, $secret );
		}
		$response = wp_safe_remote_post(
			$url,
			array(
				'body'        => $body,
				'headers'     => $headers,
				'timeout'     => self::WEBHOOK_TIMEOUT,
				'redirection' => 0,
			)
		);
		if ( is_wp_error( $response ) ) {
			return $response->get_error_message();
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		/* translators: %d: HTTP status code */
		return $code >= 200 && $code < 300 ? null : sprintf( __( 'the webhook answered HTTP %d.', 'kb-jobs' ), $code );
	}

	/**
	 * A setting through the settings registry.
	 *
	 * @param string $key The setting's key.
	 * @return mixed
	 */
	private static function setting( string $key ) {
		return KBJobs_Settings::get( $key );
	}
}
