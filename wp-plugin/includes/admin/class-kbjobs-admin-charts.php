<?php
/**
 * The Overview's charts, drawn on the server as inline SVG (no script, no library, no
 * CDN): completed jobs and failures as bars, wait and run times (median and p95) as
 * lines, over a series of KBJobs\Engine::stats(). Each chart is an image with a title
 * and a description saying what it shows in words, followed by its numbers as a table
 * in a details element, for screen readers and for copying.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Renders the charts.
 */
final class KBJobs_Admin_Charts {

	const WIDTH  = 480;
	const HEIGHT = 150;

	/**
	 * Room for the axis labels: left, right, top, bottom.
	 */
	const PAD = array( 48, 8, 10, 22 );

	/**
	 * How many charts were drawn in this request (ids stay unique on the page).
	 *
	 * @var int
	 */
	private static $count = 0;

	/**
	 * The charts of one window: completed, failed, wait time, run time.
	 *
	 * @param array<string,mixed> $stats KBJobs\Engine::stats() (Unix times).
	 * @param string              $label The window in words ("the last hour").
	 * @return string HTML.
	 */
	public static function window( array $stats, string $label ): string {
		$series = $stats['series'];
		$step   = (int) $stats['step'];
		$per    = 60 === $step ? __( 'per minute', 'kb-jobs' ) : __( 'per hour', 'kb-jobs' );
		$html   = '<div class="kbjobs-charts">';
		/* translators: 1: per minute or per hour, 2: the window, e.g. "the last hour" */
		$html .= self::chart( $series, $step, sprintf( __( 'Completed jobs %1$s, %2$s', 'kb-jobs' ), $per, $label ), array( 'completed' => __( 'completed', 'kb-jobs' ) ), 'bars', '' );
		/* translators: 1: per minute or per hour, 2: the window */
		$html .= self::chart( $series, $step, sprintf( __( 'Failed jobs %1$s, %2$s', 'kb-jobs' ), $per, $label ), array( 'failed' => __( 'failed', 'kb-jobs' ) ), 'bars', '' );
		$html .= self::chart(
			$series,
			$step,
			/* translators: %s: the window */
			sprintf( __( 'Wait time (due to started), %s', 'kb-jobs' ), $label ),
			array(
				'wait_p50_ms' => __( 'median', 'kb-jobs' ),
				'wait_p95_ms' => __( 'p95', 'kb-jobs' ),
			),
			'lines',
			'ms'
		);
		$html .= self::chart(
			$series,
			$step,
			/* translators: %s: the window */
			sprintf( __( 'Run time, %s', 'kb-jobs' ), $label ),
			array(
				'run_p50_ms' => __( 'median', 'kb-jobs' ),
				'run_p95_ms' => __( 'p95', 'kb-jobs' ),
			),
			'lines',
			'ms'
		);
		return $html . '</div>';
	}

	/**
	 * One chart and its table.
	 *
	 * @param array<int,array<string,mixed>> $series The points ('t' and the fields).
	 * @param int                            $step   Seconds per point.
	 * @param string                         $title  The chart's title.
	 * @param array<string,string>           $fields The fields drawn, with their labels.
	 * @param string                         $kind   bars or lines.
	 * @param string                         $unit   '' (counts) or 'ms'.
	 * @return string HTML.
	 */
	public static function chart( array $series, int $step, string $title, array $fields, string $kind, string $unit ): string {
		$id   = 'kbjobs-chart-' . ( ++self::$count );
		$max  = 0.0;
		$seen = false;
		foreach ( $series as $point ) {
			foreach ( array_keys( $fields ) as $field ) {
				if ( null !== $point[ $field ] ) {
					$max  = max( $max, (float) $point[ $field ] );
					$seen = true;
				}
			}
		}
		$top    = self::nice( $max );
		$left   = self::PAD[0];
		$width  = self::WIDTH - self::PAD[0] - self::PAD[1];
		$height = self::HEIGHT - self::PAD[2] - self::PAD[3];
		$n      = max( 1, count( $series ) );
		$slot   = $width / $n;
		$y      = static function ( float $v ) use ( $top, $height ): float {
			return self::PAD[2] + $height - ( $top > 0 ? $v / $top * $height : 0 );
		};

		$svg  = sprintf(
			'<svg class="kbjobs-chart-svg" role="img" aria-labelledby="%1$s-title %1$s-desc" viewBox="0 0 %2$d %3$d" width="%2$d" height="%3$d" xmlns="http://www.w3.org/2000/svg">',
			esc_attr( $id ),
			self::WIDTH,
			self::HEIGHT
		);
		$svg .= '<title id="' . esc_attr( $id ) . '-title">' . esc_html( $title ) . '</title>';
		$svg .= '<desc id="' . esc_attr( $id ) . '-desc">' . esc_html( self::describe( $series, $fields, $unit, $seen ) ) . '</desc>';
		// Axes and the top value.
		$svg .= sprintf( '<line class="kbjobs-chart-axis" x1="%1$d" y1="%2$d" x2="%1$d" y2="%3$d"/>', $left, self::PAD[2], self::PAD[2] + $height );
		$svg .= sprintf( '<line class="kbjobs-chart-axis" x1="%1$d" y1="%2$d" x2="%3$d" y2="%2$d"/>', $left, self::PAD[2] + $height, $left + $width );
		$svg .= sprintf( '<text class="kbjobs-chart-label" x="%d" y="%d" text-anchor="end">%s</text>', $left - 4, self::PAD[2] + 8, esc_html( self::value( $top, $unit ) ) );
		$svg .= sprintf( '<text class="kbjobs-chart-label" x="%d" y="%d" text-anchor="end">0</text>', $left - 4, self::PAD[2] + $height );
		if ( $series ) {
			$first = reset( $series );
			$last  = end( $series );
			$svg  .= sprintf( '<text class="kbjobs-chart-label" x="%d" y="%d">%s</text>', $left, self::HEIGHT - 6, esc_html( self::time( (int) $first['t'], $step ) ) );
			$svg  .= sprintf( '<text class="kbjobs-chart-label" x="%d" y="%d" text-anchor="end">%s</text>', $left + $width, self::HEIGHT - 6, esc_html( self::time( (int) $last['t'], $step ) ) );
		}
		foreach ( array_keys( $fields ) as $index => $field ) {
			$class = 'kbjobs-chart-' . ( 'bars' === $kind ? 'bar' : 'line' ) . ' kbjobs-chart-s' . $index . ' kbjobs-chart-' . sanitize_html_class( $field );
			if ( 'bars' === $kind ) {
				foreach ( array_values( $series ) as $i => $point ) {
					$v = (float) $point[ $field ];
					if ( $v <= 0 ) {
						continue;
					}
					$svg .= sprintf(
						'<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>',
						esc_attr( $class ),
						$left + $i * $slot + $slot * 0.1,
						$y( $v ),
						max( 1, $slot * 0.8 ),
						self::PAD[2] + $height - $y( $v )
					);
				}
				continue;
			}
			// Lines break where a bucket has no sample (null), instead of dropping to 0.
			$points = array();
			foreach ( array_values( $series ) as $i => $point ) {
				if ( null === $point[ $field ] ) {
					$svg   .= self::polyline( $points, $class );
					$points = array();
					continue;
				}
				$points[] = sprintf( '%.1f,%.1f', $left + ( $i + 0.5 ) * $slot, $y( (float) $point[ $field ] ) );
			}
			$svg .= self::polyline( $points, $class );
		}
		$svg .= '</svg>';

		$legend = '';
		if ( count( $fields ) > 1 ) {
			$legend = '<ul class="kbjobs-chart-legend">';
			foreach ( array_values( $fields ) as $index => $label ) {
				$legend .= '<li><span class="kbjobs-chart-key kbjobs-chart-s' . $index . '" aria-hidden="true"></span>' . esc_html( $label ) . '</li>';
			}
			$legend .= '</ul>';
		}
		return '<figure class="kbjobs-chart"><figcaption class="kbjobs-chart-caption" aria-hidden="true">' . esc_html( $title ) . '</figcaption>' . $svg . $legend . self::table( $series, $step, $title, $fields, $unit ) . '</figure>';
	}

	/**
	 * A polyline, or a dot for a single point, or nothing.
	 *
	 * @param string[] $points "x,y" pairs.
	 * @param string   $class  Its class.
	 * @return string
	 */
	private static function polyline( array $points, string $class ): string {
		if ( ! $points ) {
			return '';
		}
		if ( 1 === count( $points ) ) {
			list( $x, $y ) = explode( ',', $points[0] );
			return sprintf( '<circle class="%s" cx="%s" cy="%s" r="2"/>', esc_attr( $class ), esc_attr( $x ), esc_attr( $y ) );
		}
		return sprintf( '<polyline class="%s" fill="none" points="%s"/>', esc_attr( $class ), esc_attr( implode( ' ', $points ) ) );
	}

	/**
	 * The chart in words: the total or the highest value of each field.
	 *
	 * @param array<int,array<string,mixed>> $series The points.
	 * @param array<string,string>           $fields The fields, with their labels.
	 * @param string                         $unit   '' or 'ms'.
	 * @param bool                           $seen   Whether any point has a value.
	 * @return string
	 */
	private static function describe( array $series, array $fields, string $unit, bool $seen ): string {
		if ( ! $seen ) {
			return __( 'No jobs in this window.', 'kb-jobs' );
		}
		$parts = array();
		foreach ( $fields as $field => $label ) {
			$values = array_filter(
				array_column( $series, $field ),
				static function ( $v ) {
					return null !== $v;
				}
			);
			if ( '' === $unit ) {
				/* translators: 1: series label, 2: total, 3: highest value */
				$parts[] = sprintf( __( '%1$s: %2$s in all, at most %3$s', 'kb-jobs' ), $label, number_format_i18n( array_sum( $values ) ), number_format_i18n( $values ? max( $values ) : 0 ) );
			} else {
				/* translators: 1: series label, 2: highest value */
				$parts[] = sprintf( __( '%1$s: at most %2$s', 'kb-jobs' ), $label, self::value( $values ? (float) max( $values ) : 0, $unit ) );
			}
		}
		return implode( '; ', $parts ) . '.';
	}

	/**
	 * The chart's numbers as a table, closed by default.
	 *
	 * @param array<int,array<string,mixed>> $series The points.
	 * @param int                            $step   Seconds per point.
	 * @param string                         $title  The chart's title.
	 * @param array<string,string>           $fields The fields, with their labels.
	 * @param string                         $unit   '' or 'ms'.
	 * @return string
	 */
	private static function table( array $series, int $step, string $title, array $fields, string $unit ): string {
		$html = '<details class="kbjobs-chart-data"><summary>' . esc_html__( 'Data table', 'kb-jobs' ) . '</summary>';
		// A scrolled region: focusable, so the keyboard can scroll it too.
		$html .= '<div class="kbjobs-chart-scroll" tabindex="0" role="region" aria-label="' . esc_attr( $title ) . '">';
		$html .= '<table class="widefat striped"><caption class="screen-reader-text">' . esc_html( $title ) . '</caption><thead><tr><th scope="col">' . esc_html__( 'Time', 'kb-jobs' ) . '</th>';
		foreach ( $fields as $label ) {
			$html .= '<th scope="col">' . esc_html( $label ) . '</th>';
		}
		$html .= '</tr></thead><tbody>';
		foreach ( $series as $point ) {
			$html .= '<tr><th scope="row">' . esc_html( self::time( (int) $point['t'], $step ) ) . '</th>';
			foreach ( array_keys( $fields ) as $field ) {
				$html .= '<td>' . esc_html( null === $point[ $field ] ? '—' : self::value( (float) $point[ $field ], $unit ) ) . '</td>';
			}
			$html .= '</tr>';
		}
		return $html . '</tbody></table></div></details>';
	}

	/**
	 * A bucket's start in the site's timezone.
	 *
	 * @param int $t    Unix time.
	 * @param int $step Seconds per bucket.
	 * @return string
	 */
	private static function time( int $t, int $step ): string {
		return (string) wp_date( $step >= 3600 ? 'M j, H:i' : 'H:i', $t );
	}

	/**
	 * A value: a count, or a duration from milliseconds.
	 *
	 * @param float  $v    The value.
	 * @param string $unit '' or 'ms'.
	 * @return string
	 */
	public static function value( float $v, string $unit ): string {
		if ( 'ms' !== $unit ) {
			return number_format_i18n( $v );
		}
		if ( $v >= 60000 ) {
			/* translators: %s: minutes */
			return sprintf( __( '%s min', 'kb-jobs' ), number_format_i18n( $v / 60000, 1 ) );
		}
		if ( $v >= 1000 ) {
			/* translators: %s: seconds */
			return sprintf( __( '%s s', 'kb-jobs' ), number_format_i18n( $v / 1000, 1 ) );
		}
		/* translators: %s: milliseconds */
		return sprintf( __( '%s ms', 'kb-jobs' ), number_format_i18n( $v, $v < 10 ? 1 : 0 ) );
	}

	/**
	 * A round top for the axis: 1, 2 or 5 times a power of ten, at least the highest
	 * value (0 stays 0).
	 *
	 * @param float $max The highest value.
	 * @return float
	 */
	private static function nice( float $max ): float {
		if ( $max <= 0 ) {
			return 0.0;
		}
		$power = pow( 10, floor( log10( $max ) ) );
		foreach ( array( 1, 2, 5, 10 ) as $m ) {
			if ( $m * $power >= $max ) {
				return $m * $power;
			}
		}
		return 10 * $power;
	}
}
