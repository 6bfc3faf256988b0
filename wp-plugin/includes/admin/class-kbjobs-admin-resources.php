<?php
/**
 * Resources: every resource the engine knows of (those job types and jobs declare, such
 * as a vector index's dimension), busy while a running job holds it (with the job, the
 * operation it declared and its concurrency key) or idle, and how many queued jobs wait
 * for it. Rendered on the server, then kept current from GET
 * /kbjobs/v1/resources?view=texts every two seconds while the tab is visible.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Resources screen.
 */
final class KBJobs_Admin_Resources extends KBJobs_Admin_Table_Screen {

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'resources';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Resources', 'kb-jobs' );
	}

	/**
	 * Live.
	 *
	 * @return bool
	 */
	protected function is_live(): bool {
		return true;
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'A resource is something only one job may use at a time, named by its job type or by the job itself (for example vector.768, the 768-dimension vector index). Busy: a running job holds it; the job, the operation it declared and its concurrency key are shown. Waiting: queued jobs that need it. The same list: GET /wp-json/kbjobs/v1/resources and wp kb resource list.', 'kb-jobs' );
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	protected function columns(): array {
		return array(
			'name'    => __( 'Resource', 'kb-jobs' ),
			'state'   => __( 'State', 'kb-jobs' ),
			'job'     => __( 'Held by job', 'kb-jobs' ),
			'op'      => __( 'Operation', 'kb-jobs' ),
			'key'     => __( 'Concurrency key', 'kb-jobs' ),
			'waiting' => __( 'Jobs waiting', 'kb-jobs' ),
		);
	}

	/**
	 * Keys of a row.
	 *
	 * @return string[]
	 */
	protected function row_keys(): array {
		return array( 'id', 'row_class', 'name', 'state', 'job', 'op', 'key', 'waiting' );
	}

	/**
	 * Cells.
	 *
	 * @param array<string,string> $row The row's texts.
	 * @return array<string,string>
	 */
	protected function cells( array $row ): array {
		return array(
			'name'    => '<strong>' . self::text( $row, 'name' ) . '</strong>',
			'state'   => self::text( $row, 'state', 'kbjobs-state' ),
			'job'     => self::text( $row, 'job', 'kbjobs-id' ),
			'op'      => self::text( $row, 'op' ),
			'key'     => self::text( $row, 'key' ),
			'waiting' => self::text( $row, 'waiting' ),
		);
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		try {
			$t = self::texts( KBJobs_Data_Queues::resources() );
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		echo '<div class="kbjobs-live" data-kbjobs-live="resources" data-kbjobs-poll="' . esc_attr( '/kbjobs/v1/resources?view=texts' ) . '">';
		echo '<p class="kbjobs-summary" data-kbjobs-key="summary" aria-live="polite">' . esc_html( $t['summary'] ) . '</p>';
		$this->table( 'resources', $t['resources'], __( 'No resource is known: no job type or job declares one.', 'kb-jobs' ) );
		echo '</div>';
	}

	/**
	 * What the page shows: the summary and a row of texts per resource.
	 *
	 * @param array<int,array<string,mixed>> $resources Engine::resources()'s rows.
	 * @return array<string,mixed>
	 */
	public static function texts( array $resources ): array {
		$rows = array();
		$busy = 0;
		foreach ( $resources as $r ) {
			$is_busy = 'busy' === $r['state'];
			$busy   += $is_busy ? 1 : 0;
			$rows[]  = array(
				'id'        => (string) $r['name'],
				'row_class' => 'kbjobs-resource-' . ( $is_busy ? 'busy' : 'idle' ),
				'name'      => (string) $r['name'],
				'state'     => $is_busy ? __( 'busy', 'kb-jobs' ) : __( 'idle', 'kb-jobs' ),
				'job'       => (string) ( $r['job_id'] ?? '' ),
				'op'        => (string) ( $r['op'] ?? '' ),
				'key'       => (string) ( $r['concurrency_key'] ?? '' ),
				'waiting'   => number_format_i18n( (int) $r['waiting'] ),
			);
		}
		return array(
			/* translators: 1: resources, 2: busy ones, 3: idle ones */
			'summary'   => sprintf( __( '%1$s resources: %2$s busy, %3$s idle.', 'kb-jobs' ), number_format_i18n( count( $rows ) ), number_format_i18n( $busy ), number_format_i18n( count( $rows ) - $busy ) ),
			'resources' => $rows,
		);
	}
}
