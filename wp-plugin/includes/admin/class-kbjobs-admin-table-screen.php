<?php
/**
 * A screen whose content is a table of rows that the page's script can keep current:
 * each row is a flat array of texts (its `id` names it), rendered by cells() on the
 * server, and the same cells with empty texts form a `<template>` the script copies for
 * a row that appears later. The script (kbjobs-admin.js, applyRows) sets only texts
 * (`data-kbjobs-cell`), a few attributes (`data-kbjobs-attr`: class, title, datetime,
 * value), visibility (`data-kbjobs-show`) and, in a new row, its forms' target field,
 * never HTML.
 *
 * Not a WP_List_Table: its rows are rendered once and cannot be re-rendered by the
 * script from texts, and its pagination counts pages, where these lists page by keyset
 * cursor or not at all.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Base of the screens showing one table of rows.
 */
abstract class KBJobs_Admin_Table_Screen extends KBJobs_Admin_Screen {

	/**
	 * The columns: key => heading.
	 *
	 * @return array<string,string>
	 */
	abstract protected function columns(): array;

	/**
	 * One row's cells, as HTML by column key, from the row's texts (every text '' for
	 * the template).
	 *
	 * @param array<string,string> $row The row's texts.
	 * @return array<string,string>
	 */
	abstract protected function cells( array $row ): array;

	/**
	 * The row keys the template needs (all set to '').
	 *
	 * @return string[]
	 */
	protected function row_keys(): array {
		return array( 'id', 'row_class' );
	}

	/**
	 * Renders the table.
	 *
	 * @param string                          $key   The key of its rows in the texts (data-kbjobs-rows); '' for a table the script leaves alone.
	 * @param array<int,array<string,string>> $rows  The rows' texts.
	 * @param string                          $empty What an empty table says.
	 */
	protected function table( string $key, array $rows, string $empty ): void {
		$columns = $this->columns();
		echo '<table class="widefat striped kbjobs-table kbjobs-table-' . esc_attr( $this->slug() ) . '"><thead><tr>';
		foreach ( $columns as $column => $heading ) {
			echo '<th scope="col" class="' . esc_attr( 'column-' . $column ) . '">' . esc_html( $heading ) . '</th>';
		}
		if ( '' === $key ) {
			echo '</tr></thead><tbody>';
		} else {
			echo '</tr></thead><tbody data-kbjobs-rows="' . esc_attr( $key ) . '">';
			echo '<template>' . $this->row_html( array_fill_keys( $this->row_keys(), '' ) ) . '</template>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- row_html() escapes.
		}
		printf(
			'<tr class="kbjobs-empty-row"%1$s><td colspan="%2$d">%3$s</td></tr>',
			$rows ? ' hidden' : '', // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a literal.
			count( $columns ),
			esc_html( $empty )
		);
		foreach ( $rows as $row ) {
			echo $this->row_html( $row ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- row_html() escapes.
		}
		echo '</tbody></table>';
	}

	/**
	 * One row.
	 *
	 * @param array<string,string> $row The row's texts.
	 * @return string HTML.
	 */
	protected function row_html( array $row ): string {
		$cells = $this->cells( $row );
		$class = trim( 'kbjobs-row ' . ( $row['row_class'] ?? '' ) );
		$html  = '<tr data-kbjobs-row="' . esc_attr( (string) ( $row['id'] ?? '' ) ) . '" class="' . esc_attr( $class ) . '" data-kbjobs-attr="class:row_class">';
		foreach ( $this->columns() as $column => $heading ) {
			$html .= '<td class="' . esc_attr( 'column-' . $column ) . '" data-colname="' . esc_attr( $heading ) . '">' . ( $cells[ $column ] ?? '' ) . '</td>';
		}
		return $html . '</tr>';
	}

	/**
	 * A text the script keeps current.
	 *
	 * @param array<string,string> $row     The row's texts.
	 * @param string               $key     The text's key.
	 * @param string               $classes Classes of its element.
	 * @return string HTML.
	 */
	protected static function text( array $row, string $key, string $classes = '' ): string {
		return '<span data-kbjobs-cell="' . esc_attr( $key ) . '"' . ( '' !== $classes ? ' class="' . esc_attr( $classes ) . '"' : '' ) . '>'
			. esc_html( (string) ( $row[ $key ] ?? '' ) ) . '</span>';
	}

	/**
	 * A time the script keeps current: its text is $row[$key] (the site's timezone),
	 * its UTC form (ISO 8601) $row[$key . '_utc'] on hover.
	 *
	 * @param array<string,string> $row The row's texts.
	 * @param string               $key The text's key.
	 * @return string HTML.
	 */
	protected static function time( array $row, string $key ): string {
		$utc = (string) ( $row[ $key . '_utc' ] ?? '' );
		return sprintf(
			'<time data-kbjobs-cell="%1$s" data-kbjobs-attr="%2$s" datetime="%3$s" title="%3$s">%4$s</time>',
			esc_attr( $key ),
			esc_attr( 'datetime:' . $key . '_utc title:' . $key . '_utc' ),
			esc_attr( $utc ),
			esc_html( (string) ( $row[ $key ] ?? '' ) )
		);
	}

	/**
	 * A progress bar the script keeps current: $row[$key . '_percent'] (0..100) and the
	 * text $row[$key] ("3 / 10").
	 *
	 * @param array<string,string> $row The row's texts.
	 * @param string               $key The text's key.
	 * @return string HTML.
	 */
	protected static function progress( array $row, string $key ): string {
		$percent = (int) ( $row[ $key . '_percent' ] ?? 0 );
		return sprintf(
			'<progress class="kbjobs-progress" max="100" value="%1$d" data-kbjobs-attr="%2$s" aria-label="%3$s">%1$d%%</progress> ',
			$percent,
			esc_attr( 'value:' . $key . '_percent aria-label:' . $key . '_label' ),
			esc_attr( (string) ( $row[ $key . '_label' ] ?? '' ) )
		) . self::text( $row, $key, 'kbjobs-progress-text' );
	}

	/**
	 * A part of a row shown only while $row[$key] is set (not '' nor '0').
	 *
	 * @param array<string,string> $row  The row's texts.
	 * @param string               $key  The flag's key.
	 * @param string               $html What is shown (HTML, escaped by the caller).
	 * @return string HTML.
	 */
	protected static function shown_if( array $row, string $key, string $html ): string {
		$on = '' !== (string) ( $row[ $key ] ?? '' ) && '0' !== (string) ( $row[ $key ] ?? '' );
		return '<span data-kbjobs-show="' . esc_attr( $key ) . '"' . ( $on ? '' : ' hidden' ) . '>' . $html . '</span>';
	}

	/**
	 * A time's texts for a row: [$key => in the site's timezone, $key_utc => ISO 8601].
	 *
	 * @param string $key  The key.
	 * @param mixed  $time An ISO 8601 UTC time, a Unix time, or empty.
	 * @return array<string,string>
	 */
	public static function time_texts( string $key, $time ): array {
		$unix = is_numeric( $time ) ? (int) $time : ( is_string( $time ) && '' !== $time ? (int) strtotime( $time ) : 0 );
		if ( $unix <= 0 ) {
			return array(
				$key          => '—',
				$key . '_utc' => '',
			);
		}
		return array(
			$key          => wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $unix ),
			$key . '_utc' => gmdate( 'Y-m-d\TH:i:s\Z', $unix ),
		);
	}

	/**
	 * A progress bar's texts for a row.
	 *
	 * @param string $key   The key.
	 * @param int    $done  Items done.
	 * @param int    $total Items in all (0: unknown).
	 * @return array<string,string>
	 */
	public static function progress_texts( string $key, int $done, int $total ): array {
		$percent = $total > 0 ? min( 100, (int) floor( 100 * $done / $total ) ) : 0;
		return array(
			$key              => $total > 0 ? sprintf( '%s / %s', number_format_i18n( $done ), number_format_i18n( $total ) ) : number_format_i18n( $done ),
			$key . '_percent' => (string) $percent,
			/* translators: %d: percent done */
			$key . '_label'   => sprintf( __( '%d%% done', 'kb-jobs' ), $percent ),
		);
	}

	/**
	 * The admin URL of another dashboard screen, or '' when this build has no such
	 * screen (screens are added one by one).
	 *
	 * @param string $slug The screen's slug.
	 * @param array  $args Query args.
	 * @return string
	 */
	public static function screen_url( string $slug, array $args = array() ): string {
		foreach ( KBJobs_Admin::SCREENS as $class_name ) {
			if ( class_exists( $class_name ) && ( new $class_name() )->slug() === $slug ) {
				return KBJobs_Admin::url( $slug, $args );
			}
		}
		return '';
	}

	/**
	 * A link to another screen, or its label alone when there is no such screen.
	 *
	 * @param string $slug  The screen's slug.
	 * @param string $label The link's text.
	 * @return string HTML.
	 */
	public static function screen_link( string $slug, string $label ): string {
		$url = self::screen_url( $slug );
		return '' === $url ? esc_html( $label ) : '<a href="' . esc_url( $url ) . '">' . esc_html( $label ) . '</a>';
	}

	/**
	 * Where every job is: queued on the Queue, running on Active Jobs, interrupted on
	 * Interrupted, held in a backlog not yet released on Queues (its Backlog column and
	 * Backlogs table), finished (completed, failed, cancelled) on Jobs (History). Each
	 * job is on exactly one of the five.
	 *
	 * @param array<string,int>    $counts    Jobs by status.
	 * @param array<string,string> $estimated How the counts that are not exact are known
	 *                                        (KBJobs_Data_Jobs::counts_flagged()).
	 * @return string HTML.
	 */
	public static function where_jobs_are( array $counts, array $estimated = array() ): string {
		$finished = (int) ( $counts['completed'] ?? 0 ) + (int) ( $counts['failed'] ?? 0 ) + (int) ( $counts['cancelled'] ?? 0 );
		$n        = static function ( string $state ) use ( $counts, $estimated ): string {
			return KBJobs_Format::count_text( (int) ( $counts[ $state ] ?? 0 ), $estimated[ $state ] ?? null );
		};
		$parts    = array(
			/* translators: %s: number of jobs */
			self::screen_link( 'queue', sprintf( __( 'Queue: %s waiting', 'kb-jobs' ), $n( 'queued' ) ) ),
			/* translators: %s: number of jobs */
			self::screen_link( 'active', sprintf( __( 'Active Jobs: %s running', 'kb-jobs' ), $n( 'running' ) ) ),
			/* translators: %s: number of jobs */
			self::screen_link( 'interrupted', sprintf( __( 'Interrupted: %s', 'kb-jobs' ), $n( 'interrupted' ) ) ),
			/* translators: %s: number of jobs */
			self::screen_link( 'queues', sprintf( __( 'Backlogs: %s held', 'kb-jobs' ), $n( 'held' ) ) ),
			/* translators: %s: number of jobs */
			self::screen_link( 'jobs', sprintf( __( 'History: %s finished (completed, failed or cancelled)', 'kb-jobs' ), KBJobs_Format::count_text( $finished, KBJobs_Format::sum_how( $estimated, array( 'completed', 'failed', 'cancelled' ) ) ) ) ),
		);
		$title    = $estimated ? ' title="' . esc_attr( KBJobs_Format::count_title( 'estimate' ) ) . '"' : '';
		return '<p class="kbjobs-where"' . $title . '>' . esc_html__( 'Every job is in exactly one of these five places:', 'kb-jobs' ) . ' ' . implode( ' · ', $parts ) . '</p>';
	}
}
