<?php
/**
 * The audit log of operator actions: who did what to which target, from where (screen,
 * REST, CLI), and how it ended. Stored by the engine (Engine::audit(), kept 90 days by
 * the daily cleanup), read by `GET /kbjobs/v1/audit` and `wp kb audit list`.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Records operator actions.
 */
final class KBJobs_Audit {

	const SOURCES   = array( 'screen', 'rest', 'cli', 'cron', 'api' );
	const OUTCOMES  = array( 'ok', 'error', 'denied', 'partial' );
	const KEEP_DAYS = 90;

	/**
	 * The source set by the entry point (REST controllers, commands, screens), or ''.
	 *
	 * @var string
	 */
	private static $source = '';

	/**
	 * Audits changes to the plugin's settings, wherever they come from (a settings
	 * screen, `wp option update`, another plugin).
	 */
	public static function init(): void {
		add_action( 'added_option', array( self::class, 'option_added' ), 10, 2 );
		add_action( 'updated_option', array( self::class, 'option_updated' ), 10, 3 );
		add_action( 'deleted_option', array( self::class, 'option_deleted' ) );
	}

	/**
	 * The added_option action.
	 *
	 * @param string $option Option name.
	 * @param mixed  $value  Its value.
	 */
	public static function option_added( $option, $value ): void {
		self::setting_changed( (string) $option, null, $value );
	}

	/**
	 * The updated_option action.
	 *
	 * @param string $option Option name.
	 * @param mixed  $old    The value before.
	 * @param mixed  $value  The value now.
	 */
	public static function option_updated( $option, $old, $value ): void {
		self::setting_changed( (string) $option, $old, $value );
	}

	/**
	 * The deleted_option action.
	 *
	 * @param string $option Option name.
	 */
	public static function option_deleted( $option ): void {
		self::setting_changed( (string) $option, null, null );
	}

	/**
	 * Records a change to one of KBJobs_Settings::OPTIONS.
	 *
	 * @param string $option Option name.
	 * @param mixed  $old    The value before (null: none).
	 * @param mixed  $value  The value now (null: deleted).
	 */
	private static function setting_changed( string $option, $old, $value ): void {
		if ( ! in_array( $option, KBJobs_Settings::OPTIONS, true ) ) {
			return;
		}
		if ( 'kbjobs_alert_webhook_secret' === $option ) {
			// The secret is write-only: the log says that it changed, never what it is.
			$old   = null === $old || '' === $old ? null : 'set';
			$value = null === $value || '' === $value ? null : 'set';
		}
		self::record(
			'settings.update',
			$option,
			'ok',
			array(
				'before' => $old,
				'after'  => $value,
			)
		);
	}

	/**
	 * Says where the actions of this request come from.
	 *
	 * @param string $source One of self::SOURCES.
	 */
	public static function set_source( string $source ): void {
		self::$source = in_array( $source, self::SOURCES, true ) ? $source : 'api';
	}

	/**
	 * Where the actions of this request come from: what the entry point said, else a
	 * guess from the request (a plugin calling the developer API is "api").
	 *
	 * @return string
	 */
	public static function source(): string {
		if ( '' !== self::$source ) {
			return self::$source;
		}
		if ( defined( 'WP_CLI' ) && WP_CLI ) {
			return 'cli';
		}
		if ( defined( 'REST_REQUEST' ) && REST_REQUEST ) {
			return 'rest';
		}
		if ( wp_doing_cron() ) {
			return 'cron';
		}
		return is_admin() ? 'screen' : 'api';
	}

	/**
	 * The acting user as the audit log names them: a WordPress user, or the command-line
	 * operator as "cli:<system user>".
	 *
	 * @return array{0:int,1:string} User id and login.
	 */
	public static function actor(): array {
		$user = wp_get_current_user();
		if ( $user->exists() ) {
			return array( (int) $user->ID, (string) $user->user_login );
		}
		if ( defined( 'WP_CLI' ) && WP_CLI ) {
			$name = function_exists( 'posix_geteuid' ) ? ( posix_getpwuid( posix_geteuid() )['name'] ?? '' ) : '';
			return array( 0, substr( 'cli:' . ( '' !== $name ? $name : 'operator' ), 0, 60 ) );
		}
		return array( 0, '' );
	}

	/**
	 * Records one action. Never throws: an audit log that cannot be written is reported
	 * to the PHP error log, and the action's own outcome stands.
	 *
	 * @param string              $action  What was done: job.cancel, queue.pause, ...
	 * @param string              $target  What it was done to: a job id, a queue name, a filter.
	 * @param string              $outcome One of self::OUTCOMES.
	 * @param array<string,mixed> $detail  Anything else worth keeping (counts, the error).
	 * @return int The entry's id, or 0 when it could not be written.
	 */
	public static function record( string $action, string $target, string $outcome, array $detail = array() ): int {
		list( $user_id, $login ) = self::actor();
		try {
			return (int) KBJobs_Engine::get()->audit(
				array(
					'user_id'    => $user_id,
					'user_login' => $login,
					'source'     => self::source(),
					'action'     => $action,
					'target'     => $target,
					'outcome'    => $outcome,
					'detail'     => $detail ? $detail : null,
				)
			);
		} catch ( \Throwable $e ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- the audit log itself failed; the PHP log is where an operator looks next.
			error_log( sprintf( 'kbjobs: could not record the audit entry for %s on %s: %s', $action, $target, $e->getMessage() ) );
			return 0;
		}
	}
}
