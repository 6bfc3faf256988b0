<?php
/**
 * Interrupted: the jobs whose runner died or whose lease ran out, newest first, with the
 * progress their checkpoint holds and its age; Resume (from the checkpoint), Start fresh
 * (drop it, run from the start) and Discard (drop it and cancel the job, asked first),
 * each a plain form (KBJobs_Admin_Forms: checkpoint.resume, checkpoint.fresh,
 * checkpoint.discard).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Interrupted screen.
 */
final class KBJobs_Admin_Interrupted extends KBJobs_Admin_Table_Screen {

	const LIMIT = 200;

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'interrupted';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Interrupted', 'kb-jobs' );
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'A job is interrupted when its runner stopped heartbeating or its lease ran out while it ran. Resume puts it back in its queue to go on from its last checkpoint; Start fresh drops the checkpoint and runs it again from the start; Discard drops the checkpoint and cancels the job. A job without a readable checkpoint can only start fresh or be discarded.', 'kb-jobs' );
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	protected function columns(): array {
		$columns = array(
			'job'         => __( 'Job', 'kb-jobs' ),
			'progress'    => __( 'Checkpoint progress', 'kb-jobs' ),
			'checkpoint'  => __( 'Checkpoint', 'kb-jobs' ),
			'interrupted' => __( 'Interrupted', 'kb-jobs' ),
		);
		if ( $this->can_operate() ) {
			$columns['actions'] = __( 'Actions', 'kb-jobs' );
		}
		return $columns;
	}

	/**
	 * Cells.
	 *
	 * @param array<string,string> $row The row's texts.
	 * @return array<string,string>
	 */
	protected function cells( array $row ): array {
		$id      = (string) $row['id'];
		$actions = '';
		if ( '1' === $row['resumable'] ) {
			$actions .= KBJobs_Admin_Forms::button( 'checkpoint.resume', $id, __( 'Resume', 'kb-jobs' ), 'button button-small button-primary' ) . ' ';
		}
		$actions .= KBJobs_Admin_Forms::button( 'checkpoint.fresh', $id, __( 'Start fresh', 'kb-jobs' ), 'button button-small' ) . ' ';
		/* translators: %s: job id */
		$confirm  = sprintf( __( 'Discard job %s? Its checkpoint is deleted and the job is cancelled.', 'kb-jobs' ), $id );
		$actions .= KBJobs_Admin_Forms::button( 'checkpoint.discard', $id, __( 'Discard', 'kb-jobs' ), 'button button-small button-link-delete', $confirm );
		return array(
			'job'         => '<strong>' . self::text( $row, 'type' ) . '</strong><br>' . self::text( $row, 'id', 'kbjobs-id' ),
			'progress'    => self::progress( $row, 'progress' ),
			'checkpoint'  => self::text( $row, 'checkpoint' ),
			'interrupted' => self::time( $row, 'interrupted' ) . '<br>' . self::text( $row, 'interrupted_ago', 'kbjobs-muted' ),
			'actions'     => $actions,
		);
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		try {
			$rows   = KBJobs_Data_Interrupted::all( self::LIMIT );
			$counts = KBJobs_Data_Jobs::counts_flagged();
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		echo self::where_jobs_are( $counts['counts'], $counts['estimated'] ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped there.
		if ( (int) $counts['counts']['interrupted'] > count( $rows ) ) {
			/* translators: 1: jobs shown, 2: interrupted jobs in all */
			echo '<div class="notice notice-info inline"><p>' . esc_html( sprintf( __( 'The newest %1$s of %2$s interrupted jobs are shown; act on these to see the others, or use `wp kb checkpoint`.', 'kb-jobs' ), number_format_i18n( count( $rows ) ), KBJobs_Format::count_text( (int) $counts['counts']['interrupted'], $counts['estimated']['interrupted'] ?? null ) ) ) . '</p></div>';
		}
		$this->table( '', array_map( array( self::class, 'row' ), $rows ), __( 'No job is interrupted.', 'kb-jobs' ) );
	}

	/**
	 * An interrupted job's row.
	 *
	 * @param array<string,mixed> $job A row of KBJobs_Data_Interrupted::all().
	 * @return array<string,string>
	 */
	private static function row( array $job ): array {
		$status = (string) $job['checkpoint'];
		$age    = null === $job['checkpoint_age'] ? null : (int) $job['checkpoint_age'];
		if ( 'ok' === $status ) {
			/* translators: %s: a duration, e.g. "5 mins" */
			$checkpoint = null === $age ? __( 'saved', 'kb-jobs' ) : sprintf( __( 'saved %s ago', 'kb-jobs' ), human_time_diff( 0, max( 1, $age ) ) );
		} elseif ( 'corrupt' === $status ) {
			$checkpoint = __( 'unreadable (corrupt): start fresh or discard', 'kb-jobs' );
		} else {
			$checkpoint = __( 'none: resuming starts from the beginning', 'kb-jobs' );
		}
		$at = $job['interrupted_at'] ? (int) strtotime( (string) $job['interrupted_at'] ) : 0;
		return array(
			'id'              => (string) $job['job_id'],
			'row_class'       => 'kbjobs-checkpoint-' . sanitize_html_class( $status ),
			'type'            => (string) $job['type'],
			'checkpoint'      => $checkpoint,
			'resumable'       => 'corrupt' === $status ? '' : '1',
			/* translators: %s: a duration, e.g. "5 mins" */
			'interrupted_ago' => $at > 0 ? sprintf( __( '%s ago', 'kb-jobs' ), human_time_diff( $at ) ) : '',
		) + self::time_texts( 'interrupted', $job['interrupted_at'] )
			+ self::progress_texts( 'progress', (int) $job['progress_done'], (int) $job['progress_total'] );
	}
}
