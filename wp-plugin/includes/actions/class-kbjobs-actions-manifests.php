<?php
/**
 * Manifest actions shared by `wp kb dispatch|verify`, the /manifests routes and the
 * Manifests screen: validation and verification are reads (kbjobs_view), a dispatch
 * is an action (kbjobs_operate, audited with its counts).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Validate, dispatch, verify.
 */
final class KBJobs_Actions_Manifests {

	/**
	 * Checks the options a dispatch takes.
	 *
	 * @param array $opts queue, backlog.
	 * @return true|WP_Error
	 */
	public static function check_options( array $opts ) {
		foreach ( array( 'queue', 'backlog' ) as $name ) {
			$value = (string) ( $opts[ $name ] ?? '' );
			if ( '' !== $value && 1 !== preg_match( '/^[a-z0-9_.-]{1,64}$/D', $value ) ) {
				return new WP_Error(
					'kbjobs_invalid',
					/* translators: %s: option name */
					sprintf( __( '%s must be 1 to 64 of a-z, 0-9, "_", "." and "-".', 'kb-jobs' ), $name ),
					array( 'status' => 400 )
				);
			}
		}
		return true;
	}

	/**
	 * Validates a manifest (the dry run).
	 *
	 * @param string $path The file.
	 * @param array  $opts queue.
	 * @return array|WP_Error KBJobs_Manifest::validate()'s report.
	 */
	public static function validate( string $path, array $opts = array() ) {
		$ok = self::check_options( $opts );
		if ( is_wp_error( $ok ) ) {
			return $ok;
		}
		return KBJobs_Action::read(
			static function () use ( $path, $opts ) {
				return KBJobs_Manifest::validate( $path, $opts );
			}
		);
	}

	/**
	 * Dispatches a manifest.
	 *
	 * @param string        $path     The file.
	 * @param string        $name     What it is, for the audit log (its file name).
	 * @param array         $opts     queue, backlog, hold, skip_invalid, dry_run.
	 * @param callable|null $progress See KBJobs_Manifest::dispatch().
	 * @return array|WP_Error The report.
	 */
	public static function dispatch( string $path, string $name, array $opts = array(), ?callable $progress = null ) {
		$ok = self::check_options( $opts );
		if ( is_wp_error( $ok ) ) {
			return $ok;
		}
		$detail = array_filter(
			array(
				'queue'        => $opts['queue'] ?? null,
				'backlog'      => $opts['backlog'] ?? null,
				'hold'         => ! empty( $opts['hold'] ) ? true : null,
				'skip_invalid' => ! empty( $opts['skip_invalid'] ) ? true : null,
				'dry_run'      => ! empty( $opts['dry_run'] ) ? true : null,
			)
		);
		return KBJobs_Action::run(
			'manifest.dispatch',
			$name,
			static function () use ( $path, $opts, $progress ) {
				$report          = KBJobs_Manifest::dispatch( $path, $opts, $progress );
				$report['audit'] = array(
					'lines'      => $report['lines'],
					'added'      => $report['added'],
					'existing'   => $report['existing'],
					'invalid'    => $report['invalid'],
					'dispatched' => $report['dispatched'],
				);
				return $report;
			},
			$detail
		);
	}

	/**
	 * Verifies a manifest.
	 *
	 * @param string        $path The file.
	 * @param array         $opts queue, state, limit.
	 * @param callable|null $each See KBJobs_Manifest::verify().
	 * @return array|WP_Error The report.
	 */
	public static function verify( string $path, array $opts = array(), ?callable $each = null ) {
		$ok = self::check_options( $opts );
		if ( is_wp_error( $ok ) ) {
			return $ok;
		}
		if ( isset( $opts['state'] ) && '' !== $opts['state'] && ! in_array( $opts['state'], KBJobs_Manifest::STATES, true ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'state must be completed, failed, pending, missing or invalid.', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		return KBJobs_Action::read(
			static function () use ( $path, $opts, $each ) {
				return KBJobs_Manifest::verify( $path, $opts, $each );
			}
		);
	}
}
