<?php
/**
 * `wp kb reconcile`: run a reconciliation (in this process, or queued with --async),
 * show its counts and findings, repair them (the dry run first), and read past reports.
 *
 * One command with a positional first word, not a command group: `wp kb reconcile`
 * alone must run, and WP-CLI lets a command have either its own action or subcommands.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reconciliation from the command line.
 */
final class KBJobs_CLI_Reconcile extends KBJobs_CLI_Command {

	/**
	 * The fields of a finding row.
	 */
	const FIELDS = array( 'kind', 'reason', 'path', 'url', 'post_id', 'job_id' );

	/**
	 * Checks the artifacts, job files and imported posts against their records.
	 *
	 * `wp kb reconcile` starts a reconciliation and runs it here, in the foreground
	 * (as `wp kb work` runs jobs), with a progress line; if one is already queued or
	 * running, it waits for that one. Then it prints the counts per kind and the
	 * findings. With --repair it shows what the repair would do and asks before doing
	 * it (unless --yes); a repair that re-fetches runs that import here too, then a new
	 * reconciliation tells what remains.
	 *
	 * `wp kb reconcile report [<id>]` shows a report (default: the latest);
	 * `wp kb reconcile findings <id>` lists a report's findings from --cursor.
	 *
	 * Exit status: 0 when no findings remain (after the run, or after the repair), 1
	 * when some do or on an error. --async exits 0 once the job is queued; `report` and
	 * `findings` exit 0 unless they fail.
	 *
	 * ## OPTIONS
	 *
	 * [<action>]
	 * : run (the default), report or findings.
	 *
	 * [<id>]
	 * : The reconciliation job (report: default the latest; findings: required).
	 *
	 * [--async]
	 * : Queue the reconciliation and print its id; a runner does it.
	 *
	 * [--repair=<kinds>]
	 * : After the run, repair these kinds: ghosts, orphans, drift (comma-separated).
	 *
	 * [--dry-run]
	 * : With --repair: show what the repair would do, and do nothing.
	 *
	 * [--yes]
	 * : With --repair: do not ask.
	 *
	 * [--grace-seconds=<n>]
	 * : A file modified this recently is never an orphan nor drift (default 600).
	 *
	 * [--shallow]
	 * : Do not read the artifacts' content.
	 *
	 * [--kind=<kind>]
	 * : Only findings of this kind.
	 * ---
	 * options:
	 *   - ghost
	 *   - orphan
	 *   - drift
	 *   - dangling
	 *   - unsafe
	 * ---
	 *
	 * [--limit=<n>]
	 * : Findings shown at most (findings: report lines read).
	 * ---
	 * default: 50
	 * ---
	 *
	 * [--cursor=<offset>]
	 * : findings: the byte offset to start at (the "next cursor" of the previous page).
	 * ---
	 * default: 0
	 * ---
	 *
	 * [--fields=<fields>]
	 * : Limit the findings' output to specific fields.
	 *
	 * [--field=<field>]
	 * : Print one field only (report: e.g. --field=id).
	 *
	 * [--format=<format>]
	 * : table (counts, then findings), json (the report with its findings; with
	 * --repair a second line, {"plan": ...}), csv (findings), count (the number of
	 * findings).
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 *   - yaml
	 *   - count
	 * ---
	 *
	 * ## AVAILABLE FIELDS
	 *
	 * kind, reason, path, url, post_id, job_id, and where known url_hash, other_post_id,
	 * content_hash, file_hash, escaped.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb reconcile
	 *     $ wp kb reconcile --format=json --kind=orphan
	 *     $ wp kb reconcile --repair=ghosts,drift --dry-run
	 *     $ wp kb reconcile --repair=orphans --yes
	 *     $ wp kb reconcile --async
	 *     $ wp kb reconcile report
	 *     $ wp kb reconcile findings 0123456789abcdef --cursor=8192 --kind=ghost
	 *
	 * @param array<int,string>    $args       [action, id].
	 * @param array<string,string> $assoc_args Options.
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		$action = $args[0] ?? 'run';
		$id     = $args[1] ?? null;
		switch ( $action ) {
			case 'run':
				if ( null !== $id ) {
					\WP_CLI::error( 'run takes no id: it starts a new reconciliation.' );
				}
				$this->run( $assoc_args );
				return;
			case 'report':
				$this->report( $id, $assoc_args );
				return;
			case 'findings':
				if ( null === $id ) {
					\WP_CLI::error( 'findings needs the reconciliation\'s job id.' );
				}
				$this->findings( $id, $assoc_args );
				return;
		}
		\WP_CLI::error( sprintf( 'Unknown action "%s": use run, report or findings.', $action ) );
	}

	/**
	 * Runs a reconciliation (and a repair), prints, exits.
	 *
	 * @param array<string,string> $assoc_args Options.
	 */
	private function run( array $assoc_args ): void {
		$repair = isset( $assoc_args['repair'] ) ? $this->check( KBJobs_Actions_Reconcile::kinds( (string) $assoc_args['repair'] ) ) : array();
		if ( ! $repair && ( isset( $assoc_args['dry-run'] ) || isset( $assoc_args['yes'] ) ) ) {
			\WP_CLI::error( '--dry-run and --yes go with --repair.' );
		}
		$async = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'async', false );
		if ( $async && $repair ) {
			\WP_CLI::error( '--repair needs the run to finish first: leave out --async.' );
		}
		$start_args = array();
		if ( isset( $assoc_args['grace-seconds'] ) ) {
			$start_args['grace_seconds'] = (int) $assoc_args['grace-seconds'];
		}
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'shallow', false ) ) {
			$start_args['shallow'] = true;
		}
		$id = $this->start( $start_args, ! $async );
		if ( $async ) {
			\WP_CLI::success( sprintf( 'Reconciliation queued as job %s.', $id ) );
			return;
		}
		$report = $this->wait( $id );
		$this->show( $report, $assoc_args );
		if ( 'completed' !== $report['status'] ) {
			\WP_CLI::error( sprintf( 'Reconciliation %s ended %s: %s', $id, $report['status'], (string) $report['error'] ) );
		}
		if ( $repair ) {
			$report = $this->repair( $report, $repair, $assoc_args, $start_args );
		}
		\WP_CLI::halt( (int) $report['total'] > 0 ? 1 : 0 );
	}

	/**
	 * Starts a reconciliation; when one is queued or running already, $join returns its
	 * id (it is waited for), else the command ends with the error.
	 *
	 * @param array $start_args KBJobs_Reconcile::start()'s args.
	 * @param bool  $join       Whether to take over a run in progress.
	 * @return string The job id.
	 */
	private function start( array $start_args, bool $join ): string {
		$result = KBJobs_Actions_Reconcile::start( $start_args, 'cli' );
		if ( is_wp_error( $result ) && $join && 'kbjobs_reconcile_running' === $result->get_error_code() ) {
			$id = (string) ( $result->get_error_data()['id'] ?? '' );
			\WP_CLI::warning( sprintf( 'A reconciliation is already queued or running (job %s): waiting for it.', $id ) );
			return $id;
		}
		return (string) $this->check( $result )['id'];
	}

	/**
	 * Runs job $id in this process (one job at a time from its queue, as `wp kb work`
	 * does) until it is finished, printing its progress; while another runner has it,
	 * only watches. Returns its report.
	 *
	 * @param string $id The job.
	 * @return array The report.
	 */
	private function wait( string $id ): array {
		$engine = KBJobs_Engine::get();
		$this->trap_signals( $engine );
		$queue = $engine->get( $id )->queue;
		$shown = '';
		while ( true ) {
			$report = $this->check( $this->report_of( $id ) );
			$line   = sprintf( 'Reconciliation %s: %s, %d%%', $id, $report['status'], (int) $report['progress'] )
				. ( null !== $report['eta'] ? sprintf( ', about %s left', KBJobs_Admin_Job::duration_text( (int) $report['eta'] ) ) : '' );
			if ( $line !== $shown ) {
				// On STDERR, beside the output: --format=json or count stays parseable.
				fwrite( STDERR, $line . "\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fwrite -- progress, not data.
				$shown = $line;
			}
			if ( ! in_array( $report['status'], array( 'queued', 'running' ), true ) || $this->stop_requested ) {
				return $report;
			}
			$ran = array( 'claimed' => 0 );
			if ( 'queued' === $report['status'] ) {
				try {
					$ran = KBJobs_Runner::run(
						array(
							'queues'           => array( $queue ),
							'max_jobs'         => 1,
							'until_empty'      => true,
							'until_empty_wait' => 0,
						),
						false
					);
				} catch ( \ValueError | \TypeError | \KBJobs\Exception $e ) {
					\WP_CLI::error( $e->getMessage() );
				}
			}
			if ( 0 === (int) $ran['claimed'] ) {
				sleep( 1 ); // Another runner has it, or it waits for its resource.
			}
		}
	}

	/**
	 * A report, or a WP_Error when there is none.
	 *
	 * @param string|null $id The job (null: the latest).
	 * @return array|WP_Error
	 */
	private function report_of( ?string $id ) {
		$report = KBJobs_Action::read(
			static function () use ( $id ) {
				return KBJobs_Reconcile::report( $id );
			}
		);
		if ( null === $report ) {
			return new WP_Error( 'kbjobs_not_found', null === $id ? 'No reconciliation has run yet.' : sprintf( 'No reconciliation %s.', $id ) );
		}
		return $report;
	}

	/**
	 * Prints a finished run: the counts and its first findings, in --format.
	 *
	 * @param array                $report     The report.
	 * @param array<string,string> $assoc_args Options.
	 */
	private function show( array $report, array $assoc_args ): void {
		$format = \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'table' );
		$kind   = $assoc_args['kind'] ?? null;
		$limit  = max( 1, (int) ( $assoc_args['limit'] ?? 50 ) );
		if ( 'count' === $format ) {
			\WP_CLI::line( (string) ( null !== $kind ? (int) ( $report['counts'][ $kind ] ?? 0 ) : (int) $report['total'] ) );
			return;
		}
		$findings = $this->collect( $report['id'], $limit, $kind );
		if ( 'json' === $format || 'yaml' === $format ) {
			unset( $report['first'] );
			$report['findings'] = $findings;
			\WP_CLI::print_value( $report, array( 'format' => $format ) );
			return;
		}
		if ( 'table' === $format ) {
			$counts = array();
			foreach ( KBJobs_Actions_Reconcile::FINDING_KINDS as $k ) {
				$counts[] = sprintf( '%s %d', $k, (int) ( $report['counts'][ $k ] ?? 0 ) );
			}
			\WP_CLI::log( sprintf( 'Findings: %d (%s); %d items scanned.', (int) $report['total'], implode( ', ', $counts ), (int) $report['scanned'] ) );
			if ( ! $findings ) {
				return;
			}
		}
		$this->display_list( $assoc_args, $this->rows( $findings ), self::FIELDS, 'path' );
		$shown = null !== $kind ? (int) ( $report['counts'][ $kind ] ?? 0 ) : (int) $report['total'];
		if ( 'table' === $format && $shown > count( $findings ) ) {
			\WP_CLI::log( sprintf( '%d more: wp kb reconcile findings %s', $shown - count( $findings ), $report['id'] ) );
		}
	}

	/**
	 * The first $limit findings of a report (of $kind), read by cursor.
	 *
	 * @param string      $id    The job.
	 * @param int         $limit At most.
	 * @param string|null $kind  Only this kind.
	 * @return array<int,array<string,mixed>>
	 */
	private function collect( string $id, int $limit, ?string $kind ): array {
		$out    = array();
		$cursor = 0;
		$have   = 0;
		do {
			$page = $this->check( KBJobs_Reconcile::findings( $id, $cursor, max( 100, $limit ), $kind ) );
			$out  = array_merge( $out, $page['findings'] );
			$have = count( $out );
			// A kind filter may leave a page empty: read on, by cursor, until enough.
			$cursor = $page['next_cursor'];
		} while ( null !== $cursor && $have < $limit );
		return array_slice( $out, 0, $limit );
	}

	/**
	 * Findings as rows with every default field (absent ones empty).
	 *
	 * @param array<int,array<string,mixed>> $findings The findings.
	 * @return array<int,array<string,mixed>>
	 */
	private function rows( array $findings ): array {
		$blank = array_fill_keys( self::FIELDS, '' );
		return array_map(
			static function ( $finding ) use ( $blank ) {
				return array_merge( $blank, (array) $finding );
			},
			$findings
		);
	}

	/**
	 * The repair: the plan, the question, the repair, the re-fetch run here, and a new
	 * reconciliation whose report says what remains.
	 *
	 * @param array                $report     The finished report.
	 * @param string[]             $kinds      The repair kinds.
	 * @param array<string,string> $assoc_args Options.
	 * @param array                $start_args How the run was started (for the new run).
	 * @return array The report that decides the exit status.
	 */
	private function repair( array $report, array $kinds, array $assoc_args, array $start_args ): array {
		$plan   = $this->check( KBJobs_Actions_Reconcile::repair( $report['id'], $kinds, true ) );
		$format = \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'table' );
		if ( 'json' === $format || 'yaml' === $format ) {
			\WP_CLI::print_value( array( 'plan' => $plan ), array( 'format' => $format ) );
		} else {
			$this->show_plan( $plan );
		}
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'dry-run', false ) ) {
			return $report;
		}
		$todo = 0;
		foreach ( (array) $plan['counts'] as $by_action ) {
			$todo += (int) ( $by_action['refetch'] ?? 0 ) + (int) ( $by_action['quarantine'] ?? 0 );
		}
		if ( 0 === $todo ) {
			\WP_CLI::log( 'Nothing to repair.' );
			return $report;
		}
		$this->confirm( sprintf( 'Repair %s of reconciliation %s as shown?', implode( ', ', $kinds ), $report['id'] ), $assoc_args );
		$done = $this->check( KBJobs_Actions_Reconcile::repair( $report['id'], $kinds, false ) );
		\WP_CLI::log( KBJobs_Actions_Reconcile::repair_message( $done ) );
		if ( ! empty( $done['refetch_job'] ) ) {
			$this->run_job( (string) $done['refetch_job'] );
		}
		\WP_CLI::log( 'Checking again:' );
		$after = $this->wait( $this->start( $start_args, true ) );
		$this->show( $after, array( 'format' => 'table' ) + $assoc_args );
		return $after;
	}

	/**
	 * Runs a job here until it is finished (the repair's re-fetch import).
	 *
	 * @param string $id The job.
	 */
	private function run_job( string $id ): void {
		$engine = KBJobs_Engine::get();
		$queue  = $engine->get( $id )->queue;
		\WP_CLI::log( sprintf( 'Running the re-fetch import %s…', $id ) );
		for ( $i = 0; $i < 3600 && ! $this->stop_requested; $i++ ) {
			$job = $engine->get( $id );
			if ( ! in_array( $job->status, array( 'queued', 'running' ), true ) ) {
				\WP_CLI::log( sprintf( 'Re-fetch import %s: %s.', $id, $job->status ) );
				return;
			}
			$ran = KBJobs_Runner::run(
				array(
					'queues'           => array( $queue ),
					'until_empty'      => true,
					'until_empty_wait' => 5,
					'max_seconds'      => 60,
				),
				false
			);
			if ( 0 === (int) $ran['claimed'] ) {
				sleep( 1 );
			}
		}
	}

	/**
	 * Prints a dry run.
	 *
	 * @param array $plan KBJobs_Reconcile_Repair::plan().
	 */
	private function show_plan( array $plan ): void {
		foreach ( (array) $plan['counts'] as $kind => $by_action ) {
			$parts = array();
			foreach ( (array) $by_action as $action => $n ) {
				$parts[] = sprintf( '%s %d', $action, (int) $n );
			}
			\WP_CLI::log( sprintf( 'Repair %s: %s.', $kind, implode( ', ', $parts ) ) );
		}
		\WP_CLI::log( sprintf( 'No longer true (left alone): %d.', (int) $plan['stale'] ) );
		if ( $plan['actions'] ) {
			$rows = array_map(
				static function ( $a ) {
					return array_merge( array_fill_keys( array( 'action', 'kind', 'reason', 'path', 'url', 'post_id', 'to', 'why' ), '' ), (array) $a );
				},
				$plan['actions']
			);
			\WP_CLI\Utils\format_items( 'table', array_map( array( 'KBJobs_Format', 'flat' ), $rows ), array( 'action', 'kind', 'reason', 'path', 'url', 'post_id', 'to', 'why' ) );
		}
	}

	/**
	 * `report [<id>]`.
	 *
	 * @param string|null          $id         The job (null: the latest).
	 * @param array<string,string> $assoc_args Options.
	 */
	private function report( ?string $id, array $assoc_args ): void {
		if ( null !== $id ) {
			$this->require_job_id( $id );
		}
		$report = $this->check( $this->report_of( $id ) );
		$format = \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'table' );
		if ( 'count' === $format ) {
			\WP_CLI::line( (string) (int) $report['total'] );
			return;
		}
		$this->display_item( $assoc_args, $report );
	}

	/**
	 * `findings <id>`: one page from --cursor; the next cursor goes to STDERR.
	 *
	 * @param string               $id         The job.
	 * @param array<string,string> $assoc_args Options.
	 */
	private function findings( string $id, array $assoc_args ): void {
		$this->require_job_id( $id );
		$page = $this->check(
			KBJobs_Action::read(
				static function () use ( $id, $assoc_args ) {
					return KBJobs_Reconcile::findings( $id, max( 0, (int) ( $assoc_args['cursor'] ?? 0 ) ), max( 1, min( 1000, (int) ( $assoc_args['limit'] ?? 50 ) ) ), $assoc_args['kind'] ?? null );
				}
			)
		);
		$this->display_list( $assoc_args, $this->rows( $page['findings'] ), self::FIELDS, 'path' );
		if ( null !== $page['next_cursor'] ) {
			fwrite( STDERR, sprintf( "Next page: --cursor=%d\n", (int) $page['next_cursor'] ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fwrite -- a hint beside the data, not in it.
		}
	}
}
