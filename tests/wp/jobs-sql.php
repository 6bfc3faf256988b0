<?php
/**
 * The one way the WordPress and browser tests write jobs directly. The jobs are a view
 * over two tables since schema 14 (engine/core/schema_split.c), and no statement may
 * change both through it or delete from it: an UPDATE or DELETE of
 * `{prefix}kbjobs_jobs` is rewritten to the two tables joined by id (the view's
 * columns, bar its computed ones, are theirs, and `id` names the join's). Anything else
 * is returned as it is.
 *
 * @param string $sql A statement, prepared already.
 * @return string The statement to run.
 */
function kbjobs_test_jobs_sql( string $sql ): string {
	global $wpdb;
	$view = $wpdb->prefix . 'kbjobs_jobs ';
	$both = "{$wpdb->prefix}kbjobs_job_state JOIN {$wpdb->prefix}kbjobs_job_data USING (id) ";
	if ( str_starts_with( $sql, 'UPDATE ' . $view ) ) {
		return 'UPDATE ' . $both . substr( $sql, strlen( 'UPDATE ' . $view ) );
	}
	if ( str_starts_with( $sql, 'DELETE FROM ' . $view ) ) {
		return "DELETE {$wpdb->prefix}kbjobs_job_state, {$wpdb->prefix}kbjobs_job_data FROM " . $both
			. substr( $sql, strlen( 'DELETE FROM ' . $view ) );
	}
	return $sql;
}

/**
 * The statements that insert $n copies of job $tpl (a row id) into the jobs' two tables,
 * for tests that need many jobs fast. Each column of the copies holds the template's
 * value unless $set gives an SQL expression for it by the view's column name; `s.seq`
 * numbers the copies 1..$n (MariaDB's seq_1_to_N table) and `t` is the template's row.
 * The copies' ids are chosen here (after the highest id so far), so both rows of a copy
 * share one.
 *
 * @param int                  $tpl The template job's row id.
 * @param int                  $n   How many copies.
 * @param array<string,string> $set Column => SQL expression.
 * @return string[] Two INSERT statements, data then state.
 */
function kbjobs_test_clone_jobs_sql( int $tpl, int $n, array $set ): array {
	global $wpdb;
	$max = (int) $wpdb->get_var( "SELECT COALESCE(MAX(id), 0) FROM {$wpdb->prefix}kbjobs_job_data" );
	$set = array( 'id' => "$max + s.seq" ) + $set;
	$out = array();
	foreach ( array( 'kbjobs_job_data', 'kbjobs_job_state' ) as $table ) {
		$cols = array();
		foreach ( $wpdb->get_results( "SHOW COLUMNS FROM {$wpdb->prefix}$table" ) as $col ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( false === stripos( $col->Extra, 'GENERATED' ) ) { // generated columns are computed, not written
				$cols[] = $col->Field;
			}
		}
		$sel = array();
		foreach ( $cols as $c ) {
			$sel[] = $set[ $c ] ?? "t.`$c`";
		}
		$out[] = "INSERT INTO {$wpdb->prefix}$table (`" . implode( '`, `', $cols ) . '`) SELECT ' . implode( ', ', $sel )
			. " FROM seq_1_to_$n s JOIN {$wpdb->prefix}$table t ON t.id = $tpl";
	}
	return $out;
}
