<?php
/**
 * How kbjobs values leave the plugin through REST and WP-CLI: times as ISO 8601 UTC,
 * jobs, runners and the rest as plain arrays with stable keys. Screens format times in
 * the site's timezone themselves.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Turns engine values into output arrays.
 */
final class KBJobs_Format {

	/**
	 * A Unix time as ISO 8601 UTC ("2026-12-05T17:40:00Z"), or null when not set.
	 *
	 * @param float|int|null $time Unix time; 0 and null mean "not set".
	 * @return string|null
	 */
	public static function time( $time ): ?string {
		if ( null === $time || ! is_numeric( $time ) || (float) $time <= 0 ) {
			return null;
		}
		return gmdate( 'Y-m-d\TH:i:s\Z', (int) floor( (float) $time ) );
	}

	/**
	 * An ISO 8601 date-time (or a Unix time) as a Unix time, or null when it is not one.
	 *
	 * @param mixed $value "2026-12-05T17:40:00Z", "2026-12-05 17:40", 1796477472.
	 * @return float|null
	 */
	public static function parse_time( $value ): ?float {
		if ( is_int( $value ) || is_float( $value ) || ( is_string( $value ) && is_numeric( $value ) ) ) {
			return (float) $value;
		}
		if ( ! is_string( $value ) || '' === $value ) {
			return null;
		}
		try {
			$date = new DateTimeImmutable( $value, new DateTimeZone( 'UTC' ) );
		} catch ( \Exception $e ) {
			return null;
		}
		return (float) $date->format( 'U.u' );
	}

	/**
	 * A job as REST and `wp kb job get` show it.
	 *
	 * @param \KBJobs\Job $job The job.
	 * @return array<string,mixed>
	 */
	public static function job( \KBJobs\Job $job ): array {
		$rate = $job->rate();
		$eta  = $job->eta();
		return array(
			'id'               => $job->id,
			'type'             => $job->type,
			'queue'            => $job->queue,
			'status'           => $job->status,
			'priority'         => $job->priority,
			'title'            => $job->title,
			'phase'            => $job->phase,
			'progress_done'    => $job->progressDone,
			'progress_total'   => $job->progressTotal,
			'percent'          => $job->progressTotal > 0 ? round( 100 * min( 1, $job->progressDone / $job->progressTotal ), 1 ) : null,
			'rate'             => null === $rate ? null : round( $rate, 3 ),
			'eta_seconds'      => null === $eta ? null : (int) ceil( $eta ),
			'attempts'         => $job->attempts,
			'max_attempts'     => $job->maxAttempts,
			'error'            => $job->error,
			'concurrency_key'  => $job->concurrencyKey,
			'unique_key'       => $job->uniqueKey,
			'cancel_requested' => $job->cancelRequested,
			'runner'           => $job->runner,
			'rerun_of'         => $job->rerunOf,
			'run_at'           => self::time( $job->runAt ),
			'created_at'       => self::time( $job->createdAt ),
			'started_at'       => self::time( $job->startedAt ),
			'progress_at'      => self::time( $job->progressAt ),
			'finished_at'      => self::time( $job->finishedAt ),
			'updated_at'       => self::time( $job->updatedAt ),
			'params'           => $job->params,
			'result'           => $job->result,
			'metrics'          => $job->metrics,
			'resources'        => $job->resources,
		);
	}

	/**
	 * Replaces the named keys' Unix times with ISO 8601 UTC.
	 *
	 * @param array<string,mixed> $row  A row from the engine.
	 * @param string[]            $keys The keys holding times.
	 * @return array<string,mixed>
	 */
	public static function times( array $row, array $keys ): array {
		foreach ( $keys as $key ) {
			if ( array_key_exists( $key, $row ) ) {
				$row[ $key ] = self::time( $row[ $key ] );
			}
		}
		return $row;
	}

	/**
	 * A row for a text table or CSV: nested arrays as JSON, booleans as true/false, null
	 * as "".
	 *
	 * @param array<string,mixed> $row A row.
	 * @return array<string,string|int|float>
	 */
	public static function flat( array $row ): array {
		foreach ( $row as $key => $value ) {
			if ( is_array( $value ) || is_object( $value ) ) {
				$row[ $key ] = wp_json_encode( $value, JSON_UNESCAPED_SLASHES );
			} elseif ( is_bool( $value ) ) {
				$row[ $key ] = $value ? 'true' : 'false';
			} elseif ( null === $value ) {
				$row[ $key ] = '';
			}
		}
		return $row;
	}
}
