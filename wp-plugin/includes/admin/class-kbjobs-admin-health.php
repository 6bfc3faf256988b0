<?php
/**
 * The Health screen: what runs (the component versions), whether the site is fit to run
 * it (the plugin's own Site Health tests, run as the page loads; the one that makes a
 * loopback request is asked of its REST route by the page's script, as Site Health
 * does), and whether the database and the data directory agree (reconciliation).
 *
 * Reconciliation shows the last run (or the run named by `job`): status, when, how
 * long, progress and time left while it runs (the page reloads itself every few seconds
 * then, while the tab is visible), the counts per kind and its findings, a page at a time
 * by the byte cursor of the report file (`cursor`, Next / First) and filtered by `kind`.
 * "Run now" and the repairs are forms (KBJobs_Admin_Forms: nonce, kbjobs_operate). A
 * repair is two steps: "Repair ghosts" (a link: `repair=ghosts`) shows the dry run of
 * that report, counts and first actions, re-checked by KBJobs_Reconcile_Repair::plan();
 * only its "Apply" button (a form) repairs. Everything here reads and acts through
 * KBJobs_Reconcile and KBJobs_Reconcile_Repair.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Health screen.
 */
final class KBJobs_Admin_Health extends KBJobs_Admin_Screen {

	/**
	 * Findings per page.
	 */
	const PER_PAGE = 50;

	/**
	 * Actions a dry run lists on the page.
	 */
	const PLAN_ROWS = 50;

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'health';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Health', 'kb-jobs' );
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'Versions, the plugin\'s Site Health tests, and reconciliation: a job that compares the artifact index and the job rows with the files of the data directory, and the imported posts with the index. Ghost: a record whose file is missing. Orphan: a file no record names. Drift: a file whose content is not what its record says (or that is truncated or not JSON). Dangling: a post whose record points elsewhere, two posts for one URL, an import record without its job or a job without its record. Unsafe: a symbolic link, a hostile name or a special file (never followed). A repair shows what it would do first; ghosts and drift are fetched again, orphans moved to quarantine/ (never deleted).', 'kb-jobs' );
	}

	/**
	 * The page's script: the async Site Health test, and a reload every 5 s while a
	 * reconciliation runs and the tab is visible.
	 */
	public function enqueue(): void {
		wp_add_inline_script(
			'kbjobs-admin',
			'(function(){'
			. 'var cell=document.querySelector("[data-kbjobs-health-async]");'
			. 'if(cell&&window.wp&&wp.apiFetch){wp.apiFetch({path:cell.getAttribute("data-kbjobs-health-async")}).then(function(r){'
			. 'var row=cell.parentNode;row.querySelector(".kbjobs-health-status").textContent=r.status;row.className="kbjobs-health-"+r.status;'
			. 'row.querySelector(".kbjobs-health-label").textContent=r.label;'
			. 'var d=document.createElement("div");d.innerHTML=r.description;cell.textContent=d.textContent;'
			. '}).catch(function(e){cell.textContent=(e&&e.message)||"error";});}'
			. 'if(document.querySelector("[data-kbjobs-reconcile-running]")){setInterval(function(){'
			. 'if(!document.hidden&&!document.querySelector(".kbjobs-health-plan")){window.location.reload();}},5000);}'
			. '})();'
		);
	}

	/**
	 * "Run now" beside the title.
	 */
	protected function heading_actions(): void {
		if ( ! $this->can_operate() ) {
			return;
		}
		echo ' <form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="kbjobs-inline-form kbjobs-reconcile-run">';
		echo KBJobs_Admin_Forms::fields( 'reconcile.run' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
		echo '<button type="submit" class="page-title-action">' . esc_html__( 'Run reconciliation now', 'kb-jobs' ) . '</button></form>';
	}

	/**
	 * The page.
	 */
	protected function render(): void {
		$this->render_versions();
		$this->render_site_health();
		$this->render_reconcile();
	}

	/**
	 * The versions (as the Overview shows them).
	 */
	private function render_versions(): void {
		echo '<h2>' . esc_html__( 'Versions', 'kb-jobs' ) . '</h2>';
		echo '<table class="widefat striped kbjobs-versions"><thead><tr><th scope="col">' . esc_html__( 'Component', 'kb-jobs' ) . '</th><th scope="col">' . esc_html__( 'Version', 'kb-jobs' ) . '</th></tr></thead><tbody>';
		foreach ( KBJobs_Data_Versions::rows() as $row ) {
			echo '<tr><td>' . esc_html( $row['component'] ) . '</td><td>' . esc_html( $row['version'] ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}

	/**
	 * The plugin's Site Health tests: the direct ones run now, the async one (a loopback
	 * request) asked of its route by the script.
	 */
	private function render_site_health(): void {
		echo '<h2>' . esc_html__( 'Site Health', 'kb-jobs' ) . '</h2>';
		echo '<table class="widefat striped kbjobs-site-health"><thead><tr>';
		foreach ( array( __( 'Test', 'kb-jobs' ), __( 'Result', 'kb-jobs' ), __( 'Details', 'kb-jobs' ) ) as $head ) {
			echo '<th scope="col">' . esc_html( $head ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		$tests = KBJobs_Site_Health::tests( array() );
		foreach ( (array) ( $tests['direct'] ?? array() ) as $id => $test ) {
			try {
				$result = call_user_func( $test['test'] );
			} catch ( \Throwable $e ) {
				$result = array(
					'status'      => 'critical',
					'label'       => (string) $test['label'],
					'description' => esc_html( $e->getMessage() ),
				);
			}
			printf(
				'<tr class="kbjobs-health-%1$s" data-kbjobs-test="%2$s"><td class="kbjobs-health-label">%3$s</td><td class="kbjobs-health-status">%4$s</td><td>%5$s</td></tr>',
				esc_attr( (string) $result['status'] ),
				esc_attr( (string) $id ),
				esc_html( (string) $result['label'] ),
				esc_html( self::status_label( (string) $result['status'] ) ),
				esc_html( wp_strip_all_tags( (string) $result['description'] ) )
			);
		}
		foreach ( (array) ( $tests['async'] ?? array() ) as $id => $test ) {
			$path = (string) wp_parse_url( (string) $test['test'], PHP_URL_PATH );
			$path = preg_replace( '#^.*?/wp-json#', '', $path );
			printf(
				'<tr data-kbjobs-test="%1$s"><td class="kbjobs-health-label">%2$s</td><td class="kbjobs-health-status">%3$s</td><td data-kbjobs-health-async="%4$s">%5$s</td></tr>',
				esc_attr( (string) $id ),
				esc_html( (string) $test['label'] ),
				esc_html__( 'checking…', 'kb-jobs' ),
				esc_attr( (string) $path ),
				esc_html__( 'This test makes a request to the site; the page asks for it once loaded (Tools › Site Health runs it too).', 'kb-jobs' )
			);
		}
		echo '</tbody></table>';
		printf( '<p><a href="%1$s">%2$s</a></p>', esc_url( admin_url( 'site-health.php' ) ), esc_html__( 'All of the site\'s health checks', 'kb-jobs' ) );
	}

	/**
	 * A Site Health status's label.
	 *
	 * @param string $status good, recommended or critical.
	 * @return string
	 */
	private static function status_label( string $status ): string {
		$labels = array(
			'good'        => __( 'good', 'kb-jobs' ),
			'recommended' => __( 'recommended', 'kb-jobs' ),
			'critical'    => __( 'critical', 'kb-jobs' ),
		);
		return $labels[ $status ] ?? $status;
	}

	/**
	 * A finding kind's label.
	 *
	 * @param string $kind ghost, orphan, drift, dangling or unsafe.
	 * @return string
	 */
	public static function kind_label( string $kind ): string {
		$labels = array(
			'ghost'    => __( 'Ghosts', 'kb-jobs' ),
			'orphan'   => __( 'Orphans', 'kb-jobs' ),
			'drift'    => __( 'Drift', 'kb-jobs' ),
			'dangling' => __( 'Dangling', 'kb-jobs' ),
			'unsafe'   => __( 'Unsafe', 'kb-jobs' ),
		);
		return $labels[ $kind ] ?? $kind;
	}

	/**
	 * The query args this page reads: the report, the kind, the cursor, the repair.
	 *
	 * @return array{job:string,kind:string,cursor:int,repair:string}
	 */
	private static function query(): array {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- reads that change nothing.
		$job    = isset( $_GET['job'] ) ? sanitize_key( wp_unslash( $_GET['job'] ) ) : '';
		$kind   = isset( $_GET['kind'] ) ? sanitize_key( wp_unslash( $_GET['kind'] ) ) : '';
		$cursor = isset( $_GET['cursor'] ) ? absint( $_GET['cursor'] ) : 0;
		$repair = isset( $_GET['repair'] ) ? sanitize_key( wp_unslash( $_GET['repair'] ) ) : '';
		// phpcs:enable
		return array(
			'job'    => KBJobs_Data_Jobs::is_id( $job ) ? $job : '',
			'kind'   => in_array( $kind, KBJobs_Actions_Reconcile::FINDING_KINDS, true ) ? $kind : '',
			'cursor' => $cursor,
			'repair' => in_array( $repair, KBJobs_Actions_Reconcile::REPAIR_KINDS, true ) ? $repair : '',
		);
	}

	/**
	 * The reconciliation section.
	 */
	private function render_reconcile(): void {
		echo '<h2 id="kbjobs-reconcile">' . esc_html__( 'Reconciliation', 'kb-jobs' ) . '</h2>';
		$q = self::query();
		try {
			$report = KBJobs_Reconcile::report( '' !== $q['job'] ? $q['job'] : null );
		} catch ( \Throwable $e ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( KBJobs_Action::error_from( $e )->get_error_message() ) );
			return;
		}
		if ( null === $report ) {
			echo '<p class="kbjobs-reconcile-none">' . esc_html(
				'' !== $q['job']
					/* translators: %s: job id */
					? sprintf( __( 'Job %s is not a reconciliation.', 'kb-jobs' ), $q['job'] )
					: __( 'No reconciliation has run yet. It runs every day; "Run reconciliation now" starts one.', 'kb-jobs' )
			) . '</p>';
			return;
		}
		$this->render_last_run( $report );
		$this->render_counts( $report, $q );
		if ( '' !== $q['repair'] ) {
			$this->render_plan( $report, $q['repair'] );
		}
		$this->render_findings( $report, $q );
	}

	/**
	 * The run: status, when, how long, progress, time left.
	 *
	 * @param array $report KBJobs_Reconcile::report().
	 */
	private function render_last_run( array $report ): void {
		$running  = in_array( $report['status'], array( 'queued', 'running' ), true );
		$duration = null !== $report['finished_at'] && null !== $report['created_at'] ? (int) $report['finished_at'] - (int) $report['created_at'] : null;
		$rows     = array(
			__( 'Job', 'kb-jobs' )      => sprintf( '<a href="%1$s" class="kbjobs-id">%2$s</a>', esc_url( KBJobs_Admin::url( 'job', array( 'id' => $report['id'] ) ) ), esc_html( $report['id'] ) ),
			__( 'Status', 'kb-jobs' )   => '<span class="kbjobs-state kbjobs-reconcile-status">' . esc_html( KBJobs_Admin_Overview::status_label( (string) $report['status'] ) ) . '</span>',
			__( 'Started', 'kb-jobs' )  => self::time_html( $report['created_at'] ),
			__( 'Finished', 'kb-jobs' ) => self::time_html( $report['finished_at'] ),
			__( 'Duration', 'kb-jobs' ) => null !== $duration ? esc_html( KBJobs_Admin_Job::duration_text( $duration ) ) : '&mdash;',
			__( 'Progress', 'kb-jobs' ) => sprintf( '<progress class="kbjobs-progress" max="100" value="%1$d" aria-label="%2$s">%1$d%%</progress> <span class="kbjobs-progress-text">%1$d%%</span>', (int) $report['progress'], esc_attr__( 'Reconciliation progress', 'kb-jobs' ) )
				. ( $running && null !== $report['eta']
					/* translators: %s: a duration */
					? ' <span class="kbjobs-reconcile-eta">' . esc_html( sprintf( __( 'about %s left', 'kb-jobs' ), KBJobs_Admin_Job::duration_text( (int) $report['eta'] ) ) ) . '</span>'
					: '' ),
			__( 'Scanned', 'kb-jobs' )  => esc_html( number_format_i18n( (int) $report['scanned'] ) ),
		);
		if ( null !== $report['error'] && '' !== (string) $report['error'] ) {
			$rows[ __( 'Error', 'kb-jobs' ) ] = '<span class="kbjobs-error">' . esc_html( (string) $report['error'] ) . '</span>';
		}
		echo '<table class="widefat striped kbjobs-reconcile-run"' . ( $running ? ' data-kbjobs-reconcile-running="1"' : '' ) . '><tbody>';
		foreach ( $rows as $label => $html ) {
			echo '<tr><th scope="row">' . esc_html( $label ) . '</th><td>' . $html . '</td></tr>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- each cell escaped above.
		}
		echo '</tbody></table>';
	}

	/**
	 * The counts per kind (each a link to its findings) and, for a finished run, the
	 * repair links.
	 *
	 * @param array $report KBJobs_Reconcile::report().
	 * @param array $q      The query args.
	 */
	private function render_counts( array $report, array $q ): void {
		$base = array( 'job' => $report['id'] );
		echo '<ul class="kbjobs-counts kbjobs-reconcile-counts">';
		foreach ( KBJobs_Actions_Reconcile::FINDING_KINDS as $kind ) {
			printf(
				'<li class="kbjobs-count kbjobs-kind-%1$s"><a href="%2$s"><span class="kbjobs-count-n" data-kbjobs-kind="%1$s">%3$s</span> <span class="kbjobs-count-label">%4$s</span></a></li>',
				esc_attr( $kind ),
				esc_url( KBJobs_Admin::url( 'health', $base + array( 'kind' => $kind ) ) . '#kbjobs-findings' ),
				esc_html( number_format_i18n( (int) ( $report['counts'][ $kind ] ?? 0 ) ) ),
				esc_html( self::kind_label( $kind ) )
			);
		}
		echo '</ul>';
		/* translators: %s: number of findings */
		echo '<p class="kbjobs-reconcile-total">' . esc_html( sprintf( _n( '%s finding in all.', '%s findings in all.', (int) $report['total'], 'kb-jobs' ), number_format_i18n( (int) $report['total'] ) ) ) . '</p>';
		if ( ! $this->can_operate() || 'completed' !== $report['status'] ) {
			return;
		}
		$links = array();
		$map   = array(
			'ghosts'  => 'ghost',
			'orphans' => 'orphan',
			'drift'   => 'drift',
		);
		foreach ( $map as $repair => $kind ) {
			if ( (int) ( $report['counts'][ $kind ] ?? 0 ) <= 0 ) {
				continue;
			}
			$labels  = array(
				'ghosts'  => __( 'Repair ghosts…', 'kb-jobs' ),
				'orphans' => __( 'Repair orphans…', 'kb-jobs' ),
				'drift'   => __( 'Repair drift…', 'kb-jobs' ),
			);
			$links[] = sprintf(
				'<a class="button kbjobs-repair-%1$s" href="%2$s">%3$s</a>',
				esc_attr( $repair ),
				esc_url( KBJobs_Admin::url( 'health', $base + array( 'repair' => $repair ) ) . '#kbjobs-repair' ),
				esc_html( $labels[ $repair ] )
			);
		}
		if ( $links ) {
			echo '<p class="kbjobs-reconcile-repairs">' . implode( ' ', $links ) . ' <span class="description">' . esc_html__( 'Shows what would be done first; nothing changes until you apply it.', 'kb-jobs' ) . '</span></p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- links built above with esc_url and esc_html.
		}
	}

	/**
	 * A repair's dry run and the form that applies it.
	 *
	 * @param array  $report KBJobs_Reconcile::report().
	 * @param string $repair ghosts, orphans or drift.
	 */
	private function render_plan( array $report, string $repair ): void {
		echo '<div class="kbjobs-health-plan" id="kbjobs-repair">';
		/* translators: %s: ghosts, orphans or drift */
		echo '<h3>' . esc_html( sprintf( __( 'Repair %s: what it would do', 'kb-jobs' ), $repair ) ) . '</h3>';
		$plan = KBJobs_Actions_Reconcile::repair( $report['id'], array( $repair ), true, self::PLAN_ROWS );
		if ( is_wp_error( $plan ) ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div></div>', esc_html( $plan->get_error_message() ) );
			return;
		}
		$counts = array(
			'refetch'    => 0,
			'quarantine' => 0,
			'skip'       => 0,
		);
		foreach ( (array) $plan['counts'] as $by_action ) {
			foreach ( (array) $by_action as $action => $n ) {
				$counts[ $action ] = ( $counts[ $action ] ?? 0 ) + (int) $n;
			}
		}
		printf(
			'<p class="kbjobs-plan-counts">%s</p>',
			esc_html(
				sprintf(
					/* translators: 1: re-fetches, 2: files to quarantine, 3: skipped, 4: findings no longer true */
					__( 'Re-fetch: %1$s. Quarantine: %2$s. Skip: %3$s. No longer true: %4$s.', 'kb-jobs' ),
					number_format_i18n( $counts['refetch'] ),
					number_format_i18n( $counts['quarantine'] ),
					number_format_i18n( $counts['skip'] ),
					number_format_i18n( (int) $plan['stale'] )
				)
			)
		);
		if ( $plan['actions'] ) {
			echo '<table class="widefat striped kbjobs-plan-actions"><thead><tr>';
			foreach ( array( __( 'Action', 'kb-jobs' ), __( 'Kind', 'kb-jobs' ), __( 'Reason', 'kb-jobs' ), __( 'Path or URL', 'kb-jobs' ), __( 'To', 'kb-jobs' ), __( 'Why', 'kb-jobs' ) ) as $head ) {
				echo '<th scope="col">' . esc_html( $head ) . '</th>';
			}
			echo '</tr></thead><tbody>';
			foreach ( $plan['actions'] as $action ) {
				printf(
					'<tr><td>%1$s</td><td>%2$s</td><td><code>%3$s</code></td><td><code class="kbjobs-path">%4$s</code></td><td><code class="kbjobs-path">%5$s</code></td><td>%6$s</td></tr>',
					esc_html( (string) ( $action['action'] ?? '' ) ),
					esc_html( (string) ( $action['kind'] ?? '' ) ),
					esc_html( (string) ( $action['reason'] ?? '' ) ),
					esc_html( (string) ( $action['path'] ?? $action['url'] ?? '' ) ),
					esc_html( (string) ( $action['to'] ?? '' ) ),
					esc_html( (string) ( $action['why'] ?? '' ) )
				);
			}
			echo '</tbody></table>';
		}
		if ( $counts['refetch'] + $counts['quarantine'] > 0 ) {
			echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="kbjobs-inline-form kbjobs-repair-apply">';
			echo KBJobs_Admin_Forms::fields( 'reconcile.repair' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- hidden fields built with esc_attr and wp_nonce_field.
			echo '<input type="hidden" name="id" value="' . esc_attr( $report['id'] ) . '">';
			echo '<input type="hidden" name="kinds" value="' . esc_attr( $repair ) . '">';
			/* translators: %s: ghosts, orphans or drift */
			echo '<button type="submit" class="button button-primary">' . esc_html( sprintf( __( 'Apply: repair %s', 'kb-jobs' ), $repair ) ) . '</button></form> ';
		} else {
			echo '<p>' . esc_html__( 'Nothing to repair.', 'kb-jobs' ) . '</p>';
		}
		printf( '<a class="button" href="%1$s">%2$s</a>', esc_url( KBJobs_Admin::url( 'health', array( 'job' => $report['id'] ) ) ), esc_html__( 'Cancel', 'kb-jobs' ) );
		echo '</div>';
	}

	/**
	 * The findings: a kind filter, a page from the cursor, Next / First.
	 *
	 * @param array $report KBJobs_Reconcile::report().
	 * @param array $q      The query args.
	 */
	private function render_findings( array $report, array $q ): void {
		echo '<h3 id="kbjobs-findings">' . esc_html__( 'Findings', 'kb-jobs' ) . '</h3>';
		echo '<form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '" class="kbjobs-findings-filter">';
		echo '<input type="hidden" name="page" value="kbjobs-health"><input type="hidden" name="job" value="' . esc_attr( $report['id'] ) . '">';
		echo '<label for="kbjobs-findings-kind">' . esc_html__( 'Kind', 'kb-jobs' ) . '</label> <select id="kbjobs-findings-kind" name="kind"><option value="">' . esc_html__( 'All kinds', 'kb-jobs' ) . '</option>';
		foreach ( KBJobs_Actions_Reconcile::FINDING_KINDS as $kind ) {
			printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( $kind ), selected( $q['kind'], $kind, false ), esc_html( self::kind_label( $kind ) ) );
		}
		echo '</select> <button type="submit" class="button">' . esc_html__( 'Filter', 'kb-jobs' ) . '</button></form>';

		$page = KBJobs_Reconcile::findings( $report['id'], $q['cursor'], self::PER_PAGE, '' !== $q['kind'] ? $q['kind'] : null );
		if ( is_wp_error( $page ) ) {
			printf( '<div class="notice notice-error inline"><p>%s</p></div>', esc_html( $page->get_error_message() ) );
			return;
		}
		echo '<table class="widefat striped kbjobs-findings"><thead><tr>';
		foreach ( array( __( 'Kind', 'kb-jobs' ), __( 'Reason', 'kb-jobs' ), __( 'Path', 'kb-jobs' ), __( 'Links', 'kb-jobs' ) ) as $head ) {
			echo '<th scope="col">' . esc_html( $head ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		if ( ! $page['findings'] ) {
			echo '<tr><td colspan="4">' . esc_html(
				null !== $page['next_cursor']
					? __( 'None of this kind in this part of the report: go on with Next.', 'kb-jobs' )
					: ( 0 === $q['cursor'] ? __( 'No findings.', 'kb-jobs' ) : __( 'No more findings.', 'kb-jobs' ) )
			) . '</td></tr>';
		}
		foreach ( $page['findings'] as $finding ) {
			printf(
				'<tr class="kbjobs-finding"><td>%1$s</td><td><code>%2$s</code></td><td><code class="kbjobs-path">%3$s</code>%4$s</td><td>%5$s</td></tr>',
				esc_html( (string) ( $finding['kind'] ?? '' ) ),
				esc_html( (string) ( $finding['reason'] ?? '' ) ),
				esc_html( (string) ( $finding['path'] ?? '' ) ),
				isset( $finding['url'] ) ? '<br><span class="kbjobs-muted kbjobs-url">' . esc_html( (string) $finding['url'] ) . '</span>' : '',
				self::links_html( $finding ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built with esc_url and esc_html.
			);
		}
		echo '</tbody></table>';
		$base  = array_filter(
			array(
				'job'  => $report['id'],
				'kind' => $q['kind'],
			)
		);
		$pages = array();
		if ( $q['cursor'] > 0 ) {
			$pages[] = sprintf( '<a class="button kbjobs-findings-first" href="%1$s">%2$s</a>', esc_url( KBJobs_Admin::url( 'health', $base ) . '#kbjobs-findings' ), esc_html__( '« First', 'kb-jobs' ) );
		}
		if ( null !== $page['next_cursor'] ) {
			$pages[] = sprintf( '<a class="button kbjobs-findings-next" href="%1$s">%2$s</a>', esc_url( KBJobs_Admin::url( 'health', $base + array( 'cursor' => (int) $page['next_cursor'] ) ) . '#kbjobs-findings' ), esc_html__( 'Next »', 'kb-jobs' ) );
		}
		if ( $pages ) {
			echo '<p class="kbjobs-pager">' . implode( ' ', $pages ) . '</p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built above with esc_url and esc_html.
		}
	}

	/**
	 * A finding's links: its post(s) (the edit screen) and its job (the job screen).
	 *
	 * @param array $finding The finding.
	 * @return string HTML.
	 */
	private static function links_html( array $finding ): string {
		$links = array();
		foreach ( array( 'post_id', 'other_post_id' ) as $key ) {
			$post_id = isset( $finding[ $key ] ) ? (int) $finding[ $key ] : 0;
			if ( $post_id <= 0 ) {
				continue;
			}
			$url = get_post( $post_id ) ? get_edit_post_link( $post_id, 'raw' ) : '';
			/* translators: %d: post id */
			$text    = sprintf( __( 'Post %d', 'kb-jobs' ), $post_id );
			$links[] = $url ? sprintf( '<a href="%1$s">%2$s</a>', esc_url( $url ), esc_html( $text ) ) : esc_html( $text . ' ' . __( '(gone)', 'kb-jobs' ) );
		}
		$job = (string) ( $finding['job_id'] ?? '' );
		if ( KBJobs_Data_Jobs::is_id( $job ) ) {
			/* translators: %s: job id */
			$links[] = sprintf( '<a href="%1$s">%2$s</a>', esc_url( KBJobs_Admin::url( 'job', array( 'id' => $job ) ) ), esc_html( sprintf( __( 'Job %s', 'kb-jobs' ), $job ) ) );
		}
		return $links ? implode( '<br>', $links ) : '&mdash;';
	}

	/**
	 * The screen's form operations (KBJobs_Admin_Forms has checked the nonce):
	 * `reconcile.run` starts a run, `reconcile.repair` applies a repair whose dry run
	 * the page showed. Both go back to this screen, on the run concerned.
	 *
	 * @param string $op reconcile.run or reconcile.repair.
	 * @return array|WP_Error
	 */
	public static function form( string $op ) {
		if ( 'reconcile.run' === $op ) {
			$result = KBJobs_Actions_Reconcile::start( array(), 'manual' );
			if ( is_wp_error( $result ) ) {
				return $result; // The 409's notice links to the running job (its data['id']).
			}
			return array(
				/* translators: %s: job id */
				'message'  => sprintf( __( 'Reconciliation started as job %s.', 'kb-jobs' ), $result['id'] ),
				'redirect' => KBJobs_Admin::url( 'health', array( 'job' => $result['id'] ) ),
			);
		}
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- KBJobs_Admin_Forms::handle() checked it.
		$id    = isset( $_POST['id'] ) ? sanitize_key( wp_unslash( $_POST['id'] ) ) : '';
		$kinds = isset( $_POST['kinds'] ) ? sanitize_text_field( wp_unslash( $_POST['kinds'] ) ) : '';
		// phpcs:enable
		$result = KBJobs_Actions_Reconcile::repair( $id, array( $kinds ), false );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		return array(
			'message'    => KBJobs_Actions_Reconcile::repair_message( $result ),
			'notice_job' => (string) ( $result['refetch_job'] ?? '' ),
			'redirect'   => KBJobs_Admin::url( 'health', array( 'job' => $id ) ),
		);
	}
}
