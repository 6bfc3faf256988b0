<?php
/**
 * Scheduled Queue: every WP-Cron event as WordPress's own cron API reads it
 * (_get_cron_array(), core's reader of the `cron` option): hook, arguments (as JSON),
 * next run, recurrence (the schedule's display name), whether it is one of ours (a hook
 * starting with kbjobs_), and how late a past-due event is. Read-only: WP-Cron events
 * are WordPress's, not kbjobs jobs.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Scheduled Queue screen.
 */
final class KBJobs_Admin_Cron extends KBJobs_Admin_Table_Screen {

	/**
	 * At most this many events are listed.
	 */
	const LIMIT = 1000;

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'cron';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Scheduled Queue (WP-Cron)', 'kb-jobs' );
	}

	/**
	 * Menu label.
	 *
	 * @return string
	 */
	public function menu_title(): string {
		return __( 'Scheduled Queue', 'kb-jobs' );
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'Every WP-Cron event of this site, soonest first, read through WordPress\'s cron API: its hook, its arguments, when it runs next, how often it repeats, and whether it is one of KB Jobs\' own (hooks starting with kbjobs_). An event whose time has passed is late: WP-Cron runs it at the next page load (or the next system cron call when DISABLE_WP_CRON is set). This list is read-only.', 'kb-jobs' );
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	protected function columns(): array {
		return array(
			'hook'       => __( 'Hook', 'kb-jobs' ),
			'args'       => __( 'Arguments', 'kb-jobs' ),
			'next'       => __( 'Next run', 'kb-jobs' ),
			'recurrence' => __( 'Recurrence', 'kb-jobs' ),
		);
	}

	/**
	 * Cells.
	 *
	 * @param array<string,string> $row The row's texts.
	 * @return array<string,string>
	 */
	protected function cells( array $row ): array {
		return array(
			'hook'       => '<code>' . self::text( $row, 'hook' ) . '</code>'
				. ( '1' === $row['ours'] ? ' <span class="kbjobs-badge kbjobs-ours">' . esc_html__( 'KB Jobs', 'kb-jobs' ) . '</span>' : '' ),
			'args'       => '<code class="kbjobs-params">' . self::text( $row, 'args' ) . '</code>',
			'next'       => self::time( $row, 'next' )
				. ( '' !== $row['late'] ? '<br>' . self::text( $row, 'late', 'kbjobs-late' ) : '' ),
			'recurrence' => self::text( $row, 'recurrence' ),
		);
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		$events = self::events();
		$now    = time();
		$late   = 0;
		$ours   = 0;
		foreach ( $events as $event ) {
			$late += $event['timestamp'] < $now ? 1 : 0;
			$ours += self::is_ours( $event['hook'] ) ? 1 : 0;
		}
		/* translators: 1: number of events, 2: of them KB Jobs' own, 3: of them late */
		echo '<p class="kbjobs-summary">' . esc_html( sprintf( __( '%1$s events, %2$s of them KB Jobs\' own, %3$s late.', 'kb-jobs' ), number_format_i18n( count( $events ) ), number_format_i18n( $ours ), number_format_i18n( $late ) ) ) . '</p>';
		if ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) {
			echo '<div class="notice notice-info inline"><p>' . esc_html__( 'DISABLE_WP_CRON is set: page loads do not run these events; a system cron calling wp-cron.php (or `wp cron event run --due-now`) must.', 'kb-jobs' ) . '</p></div>';
		}
		if ( count( $events ) > self::LIMIT ) {
			/* translators: %s: number of events */
			echo '<div class="notice notice-warning inline"><p>' . esc_html( sprintf( __( 'Only the first %s events are listed.', 'kb-jobs' ), number_format_i18n( self::LIMIT ) ) ) . '</p></div>';
		}
		$rows = array();
		foreach ( array_slice( $events, 0, self::LIMIT ) as $event ) {
			$rows[] = self::row( $event, $now );
		}
		$this->table( '', $rows, __( 'No WP-Cron event is scheduled.', 'kb-jobs' ) );
	}

	/**
	 * Every event, soonest first.
	 *
	 * @return array<int,array{timestamp:int,hook:string,args:array,schedule:string|false,interval:int}>
	 */
	public static function events(): array {
		$crons  = function_exists( '_get_cron_array' ) ? _get_cron_array() : array();
		$events = array();
		foreach ( is_array( $crons ) ? $crons : array() as $timestamp => $hooks ) {
			if ( ! is_array( $hooks ) ) {
				continue;
			}
			foreach ( $hooks as $hook => $by_key ) {
				foreach ( (array) $by_key as $event ) {
					$events[] = array(
						'timestamp' => (int) $timestamp,
						'hook'      => (string) $hook,
						'args'      => isset( $event['args'] ) ? (array) $event['args'] : array(),
						'schedule'  => empty( $event['schedule'] ) ? false : (string) $event['schedule'],
						'interval'  => (int) ( $event['interval'] ?? 0 ),
					);
				}
			}
		}
		usort(
			$events,
			static function ( $a, $b ) {
				return $a['timestamp'] === $b['timestamp'] ? strcmp( $a['hook'], $b['hook'] ) : $a['timestamp'] <=> $b['timestamp'];
			}
		);
		return $events;
	}

	/**
	 * Whether a hook is one of KB Jobs' own.
	 *
	 * @param string $hook A hook.
	 * @return bool
	 */
	public static function is_ours( string $hook ): bool {
		return 0 === strpos( $hook, 'kbjobs_' );
	}

	/**
	 * An event's row.
	 *
	 * @param array<string,mixed> $event An event of events().
	 * @param int                 $now   The time now.
	 * @return array<string,string>
	 */
	private static function row( array $event, int $now ): array {
		$args = (string) wp_json_encode( $event['args'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR );
		if ( mb_strlen( $args ) > 500 ) {
			$args = mb_substr( $args, 0, 499 ) . '…';
		}
		$late = '';
		if ( $event['timestamp'] < $now ) {
			/* translators: %s: a duration, e.g. "5 mins" */
			$late = sprintf( __( 'Late by %s', 'kb-jobs' ), human_time_diff( $event['timestamp'], $now ) );
		}
		$classes = array();
		if ( self::is_ours( $event['hook'] ) ) {
			$classes[] = 'kbjobs-cron-ours';
		}
		if ( '' !== $late ) {
			$classes[] = 'kbjobs-cron-late';
		}
		return array(
			'id'         => md5( $event['timestamp'] . $event['hook'] . $args ),
			'row_class'  => implode( ' ', $classes ),
			'hook'       => $event['hook'],
			'ours'       => self::is_ours( $event['hook'] ) ? '1' : '',
			'args'       => $args,
			'late'       => $late,
			'recurrence' => self::recurrence( $event ),
		) + self::time_texts( 'next', $event['timestamp'] );
	}

	/**
	 * How often an event repeats, in words.
	 *
	 * @param array<string,mixed> $event An event of events().
	 * @return string
	 */
	private static function recurrence( array $event ): string {
		if ( false === $event['schedule'] ) {
			return __( 'Once', 'kb-jobs' );
		}
		$schedules = wp_get_schedules();
		if ( isset( $schedules[ $event['schedule'] ]['display'] ) ) {
			return (string) $schedules[ $event['schedule'] ]['display'];
		}
		/* translators: 1: schedule name, 2: a duration, e.g. "1 hour" */
		return sprintf( __( '%1$s (unknown schedule; every %2$s)', 'kb-jobs' ), $event['schedule'], human_time_diff( 0, max( 1, $event['interval'] ) ) );
	}
}
