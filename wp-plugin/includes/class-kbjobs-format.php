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
	 * Job counts are exact up to this many (the engine's KBJ_COUNT_CAP): above it they
	 * are the index's estimate, or "more than" where no index serves the filter.
	 */
	const COUNT_CAP = 190;

	/**
	 * A count as text: exact as a number ("1,234"), an estimate as "≈ 1.0M" (or "≈ 12.3k"),
	 * a lower bound as "more than 190".
	 *
	 * @param int         $n   The count (for "more", the engine's cap + 1).
	 * @param string|null $how null or '' (exact), 'estimate' or 'more'.
	 * @return string
	 */
	public static function count_text( int $n, ?string $how = null ): string {
		if ( 'more' === $how ) {
			/* translators: %s: a number of jobs */
			return sprintf( __( 'more than %s', 'kb-jobs' ), number_format_i18n( max( 0, $n - 1 ) ) );
		}
		if ( 'estimate' !== $how ) {
			return number_format_i18n( $n );
		}
		if ( $n >= 1000000 ) {
			$short = number_format_i18n( $n / 1000000, 1 ) . 'M';
		} elseif ( $n >= 10000 ) {
			$short = number_format_i18n( $n / 1000, 1 ) . 'k';
		} else {
			$short = number_format_i18n( $n );
		}
		return '≈ ' . $short;
	}

	/**
	 * What a count that is not exact means, for a tooltip ('' for an exact one).
	 *
	 * @param string|null $how null, 'estimate' or 'more'.
	 * @return string
	 */
	public static function count_title( ?string $how ): string {
		if ( 'estimate' === $how ) {
			/* translators: %s: a number */
			return sprintf( __( 'Estimated from the database index: counts are exact up to %s jobs.', 'kb-jobs' ), number_format_i18n( self::COUNT_CAP ) );
		}
		if ( 'more' === $how ) {
			/* translators: %s: a number */
			return sprintf( __( 'Counted up to %s jobs: no index serves this filter, so counting further would read every matching job.', 'kb-jobs' ), number_format_i18n( self::COUNT_CAP ) );
		}
		return '';
	}

	/**
	 * A count as escaped HTML: count_text(), in a span with count_title() as its tooltip
	 * when it is not exact.
	 *
	 * @param int         $n   The count.
	 * @param string|null $how null, 'estimate' or 'more'.
	 * @return string HTML.
	 */
	public static function count_html( int $n, ?string $how = null ): string {
		if ( 'estimate' !== $how && 'more' !== $how ) {
			return esc_html( number_format_i18n( $n ) );
		}
		return '<span class="kbjobs-count-estimate" title="' . esc_attr( self::count_title( $how ) ) . '">' . esc_html( self::count_text( $n, $how ) ) . '</span>';
	}

	/**
	 * How a sum of counts is known: 'more' when one of them is a lower bound, 'estimate'
	 * when one is an estimate, null when all are exact.
	 *
	 * @param array<string,string> $estimated How each count that is not exact is known.
	 * @param string[]             $keys      The counts summed.
	 * @return string|null
	 */
	public static function sum_how( array $estimated, array $keys ): ?string {
		$how = null;
		foreach ( $keys as $key ) {
			if ( 'more' === ( $estimated[ $key ] ?? null ) ) {
				return 'more';
			}
			if ( isset( $estimated[ $key ] ) ) {
				$how = 'estimate';
			}
		}
		return $how;
	}

	/**
	 * How a queue's count is known: 'estimate' when the engine lists it as estimated.
	 *
	 * @param array<string,mixed> $queue A queue row (its 'estimated' lists fields).
	 * @param string              $field queued, running or due.
	 * @return string|null
	 */
	public static function queue_how( array $queue, string $field ): ?string {
		return in_array( $field, (array) ( $queue['estimated'] ?? array() ), true ) ? 'estimate' : null;
	}

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
			'backlog'          => $job->backlog,
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
