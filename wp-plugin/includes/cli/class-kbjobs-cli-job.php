<?php
/**
 * `wp kb job`: list, show and steer jobs.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists, shows, cancels, reruns and resumes jobs, one or many at once.
 */
final class KBJobs_CLI_Job extends KBJobs_CLI_Command {

	/**
	 * Lists jobs, newest first.
	 *
	 * ## OPTIONS
	 *
	 * [--status=<status>]
	 * : Only jobs with this status.
	 * ---
	 * options:
	 *   - queued
	 *   - running
	 *   - completed
	 *   - failed
	 *   - cancelled
	 *   - interrupted
	 *   - held
	 * ---
	 *
	 * [--queue=<queue>]
	 * : Only jobs of this queue.
	 *
	 * [--type=<type>]
	 * : Only jobs of this type.
	 *
	 * [--search=<text>]
	 * : A job id, or the start of a type or of a unique key.
	 *
	 * [--created-after=<time>]
	 * : Only jobs created after this time (ISO 8601, e.g. 2026-12-01T00:00:00Z).
	 *
	 * [--created-before=<time>]
	 * : Only jobs created before this time.
	 *
	 * [--limit=<n>]
	 * : At most this many jobs (1-1000).
	 * ---
	 * default: 50
	 * ---
	 *
	 * [--cursor=<cursor>]
	 * : Start after the page that printed this cursor (shown on standard error).
	 *
	 * [--fields=<fields>]
	 * : Limit the output to specific fields (comma-separated).
	 *
	 * [--field=<field>]
	 * : Print the value of a single field.
	 *
	 * [--format=<format>]
	 * : Render output in a particular format.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 *   - yaml
	 *   - ids
	 *   - count
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb job list --status=failed
	 *     $ wp kb job list --type=import --format=json
	 *     $ wp kb job list --status=queued --format=ids
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$filter = $this->filter( $assoc_args ) + array(
			'limit'  => (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'limit', 50 ),
			'cursor' => (string) \WP_CLI\Utils\get_flag_value( $assoc_args, 'cursor', '' ),
		);
		$page   = $this->read(
			static function () use ( $filter ) {
				return KBJobs_Data_Jobs::page( $filter );
			}
		);
		$this->display_list( $assoc_args, $page['jobs'], KBJobs_Data_Jobs::LIST_FIELDS );
		if ( null !== $page['next_cursor'] ) {
			// On standard error, so the list on standard output stays clean for pipes.
			\WP_CLI::warning( sprintf( 'More jobs: --cursor=%s', $page['next_cursor'] ) );
		}
	}

	/**
	 * Shows a job: status, progress, rate and ETA, attempts, times (ISO 8601 UTC) and,
	 * when it is queued, why it is not running yet.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * [--fields=<fields>]
	 * : Limit the output to specific fields (comma-separated).
	 *
	 * [--field=<field>]
	 * : Print the value of a single field.
	 *
	 * [--format=<format>]
	 * : Render output in a particular format.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 *   - yaml
	 *   - ids
	 *   - count
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb job get 3f9c2a7d5e1b4c60
	 *     $ wp kb job get 3f9c2a7d5e1b4c60 --field=status
	 *
	 * @param array<int,string>    $args       The job id.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function get( array $args, array $assoc_args ): void {
		$id = $args[0];
		$this->require_job_id( $id );
		$job = $this->read(
			static function () use ( $id ) {
				return KBJobs_Data_Jobs::get( $id );
			}
		);
		if ( is_array( $job['waiting'] ) ) {
			$job['waiting'] = $job['waiting']['message'];
		}
		$this->display_item( $assoc_args, $job );
	}

	/**
	 * Cancels a job: at once when queued or interrupted, at its next check when running.
	 *
	 * ## OPTIONS
	 *
	 * <id>...
	 * : One or more job ids.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb job cancel 3f9c2a7d5e1b4c60
	 *
	 * @param array<int,string>    $args       Job ids.
	 * @param array<string,string> $assoc_args Unused.
	 */
	public function cancel( array $args, array $assoc_args ): void {
		$failed = 0;
		foreach ( $args as $id ) {
			$result = KBJobs_Actions_Jobs::cancel( $id );
			if ( is_wp_error( $result ) ) {
				\WP_CLI::warning( $result->get_error_message() );
				++$failed;
				continue;
			}
			\WP_CLI::log( $result['was_running'] ? sprintf( 'Cancel requested for running job %s: it stops at its next check.', $id ) : sprintf( 'Cancelled job %s.', $id ) );
		}
		$this->finish( count( $args ), $failed, 'cancelled' );
	}

	/**
	 * Runs a finished job again as a new job (its rerun_of is the first).
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * [--porcelain]
	 * : Print only the new job's id.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb job rerun 3f9c2a7d5e1b4c60
	 *
	 * @param array<int,string>    $args       The job id.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function rerun( array $args, array $assoc_args ): void {
		$result = $this->check( KBJobs_Actions_Jobs::rerun( $args[0] ) );
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'porcelain', false ) ) {
			\WP_CLI::line( $result['id'] );
			return;
		}
		\WP_CLI::success( sprintf( 'Job %s runs again as %s.', $args[0], $result['id'] ) );
	}

	/**
	 * Puts an interrupted, cancelled or failed job back in its queue (from its
	 * checkpoint, if it has one; with --fresh, from the start).
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * [--fresh]
	 * : Drop the job's checkpoint first, so it starts from the beginning.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb job resume 3f9c2a7d5e1b4c60
	 *     $ wp kb job resume 3f9c2a7d5e1b4c60 --fresh
	 *
	 * @param array<int,string>    $args       The job id.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function resume( array $args, array $assoc_args ): void {
		$id    = $args[0];
		$fresh = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'fresh', false );
		if ( $fresh ) {
			$this->require_job_id( $id );
			$status = $this->read(
				static function () use ( $id ) {
					return KBJobs_Engine::get()->get( $id )->status;
				}
			);
			$result = 'interrupted' === $status ? KBJobs_Actions_Checkpoints::fresh( $id ) : $this->fresh_resume( $id );
		} else {
			$result = KBJobs_Actions_Jobs::resume( $id );
		}
		$this->check( $result );
		\WP_CLI::success( sprintf( 'Job %s is queued again%s.', $id, $fresh ? ', from the start' : '' ) );
	}

	/**
	 * Drops a cancelled or failed job's checkpoint and resumes it (one audited action).
	 *
	 * @param string $id The job id.
	 * @return array|WP_Error
	 */
	private function fresh_resume( string $id ) {
		return KBJobs_Action::run(
			'job.resume',
			$id,
			static function () use ( $id ) {
				$engine = KBJobs_Engine::get();
				$engine->discardCheckpoint( $id );
				$engine->resume( $id );
				return array(
					'id'    => $id,
					'audit' => array( 'fresh' => true ),
				);
			},
			array( 'fresh' => true )
		);
	}

	/**
	 * Prints a job's log, or its last lines; with --follow, keeps printing new lines
	 * until the job finishes (or Ctrl-C).
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * [--tail=<n>]
	 * : Only the last n lines (1-10000).
	 *
	 * [--follow]
	 * : Keep printing lines as they are written, until the job finishes.
	 *
	 * [--format=<format>]
	 * : text: time, level, message and context a line; json: one JSON object a line.
	 * ---
	 * default: text
	 * options:
	 *   - text
	 *   - json
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb job logs 3f9c2a7d5e1b4c60 --tail=20 --follow
	 *
	 * @param array<int,string>    $args       The job id.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function logs( array $args, array $assoc_args ): void {
		$id = $args[0];
		$this->require_job_id( $id );
		$tail   = isset( $assoc_args['tail'] ) ? (int) $assoc_args['tail'] : null;
		$follow = (bool) \WP_CLI\Utils\get_flag_value( $assoc_args, 'follow', false );
		$json   = 'json' === \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'text' );
		$cursor = 0;
		$first  = true;
		while ( true ) {
			$read = $this->read(
				static function () use ( $id, $cursor, $tail, $first ) {
					return KBJobs_Data_Jobs::logs( $id, $cursor, $first ? $tail : null );
				}
			);
			foreach ( $read['lines'] as $line ) {
				\WP_CLI::line( $json ? (string) wp_json_encode( $line, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) : self::text_line( $line ) );
			}
			$cursor = $read['next_cursor'];
			$first  = false;
			if ( ! $follow ) {
				return;
			}
			if ( $read['eof'] ) {
				$status = KBJobs_Engine::get()->get( $id )->status;
				if ( ! in_array( $status, array( 'queued', 'running' ), true ) ) {
					return;
				}
				usleep( 500000 );
			}
		}
	}

	/**
	 * A log line as text: "2026-12-05T17:40:00 info  message {context}".
	 *
	 * @param array<string,mixed> $line The engine's line.
	 * @return string
	 */
	private static function text_line( array $line ): string {
		$text = sprintf( '%s %-7s %s', $line['ts'] ?? '', $line['level'] ?? '', $line['msg'] ?? '' );
		if ( ! empty( $line['ctx'] ) ) {
			$text .= ' ' . wp_json_encode( $line['ctx'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
		}
		return $text;
	}

	/**
	 * Lists a job's failed attempts, oldest first, with their errors.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * [--fields=<fields>]
	 * : Limit the output to specific fields (comma-separated).
	 *
	 * [--field=<field>]
	 * : Print the value of a single field.
	 *
	 * [--format=<format>]
	 * : Render output in a particular format.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 *   - yaml
	 *   - ids
	 *   - count
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb job attempts 3f9c2a7d5e1b4c60
	 *
	 * @param array<int,string>    $args       The job id.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function attempts( array $args, array $assoc_args ): void {
		$id = $args[0];
		$this->require_job_id( $id );
		$rows = $this->read(
			static function () use ( $id ) {
				KBJobs_Engine::get()->get( $id );
				return KBJobs_Data_Jobs::attempts( $id );
			}
		);
		$this->display_list( $assoc_args, $rows, array( 'attempt', 'outcome', 'runner', 'started_at', 'finished_at', 'error' ), 'attempt' );
	}

	/**
	 * Does one action to every job matching a filter, as a background job (chunked,
	 * cancellable, with progress: follow it with `wp kb job get <id>`). Asks first,
	 * showing how many jobs match, unless --yes; --dry-run only counts.
	 *
	 * ## OPTIONS
	 *
	 * <action>
	 * : What to do to each job.
	 * ---
	 * options:
	 *   - cancel
	 *   - resume
	 *   - rerun
	 *   - resubmit
	 * ---
	 *
	 * [--status=<status>]
	 * : Only jobs with this status.
	 *
	 * [--queue=<queue>]
	 * : Only jobs of this queue.
	 *
	 * [--type=<type>]
	 * : Only jobs of this type.
	 *
	 * [--search=<text>]
	 * : A job id, or the start of a type or of a unique key.
	 *
	 * [--created-after=<time>]
	 * : Only jobs created after this time (ISO 8601).
	 *
	 * [--created-before=<time>]
	 * : Only jobs created before this time.
	 *
	 * [--dry-run]
	 * : Print how many jobs match and change nothing.
	 *
	 * [--yes]
	 * : Do not ask for confirmation.
	 *
	 * [--wait]
	 * : Run the background job here until it is finished, with a progress bar.
	 *
	 * [--porcelain]
	 * : Print only the background job's id.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb job bulk resubmit --status=failed --type=import --dry-run
	 *     $ wp kb job bulk cancel --queue=import --status=queued --yes --wait
	 *
	 * @param array<int,string>    $args       The action.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function bulk( array $args, array $assoc_args ): void {
		$action  = $args[0];
		$filter  = $this->filter( $assoc_args );
		$preview = $this->check( KBJobs_Actions_Jobs::bulk_preview( $action, $filter ) );
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'dry-run', false ) ) {
			\WP_CLI::line( sprintf( '%d jobs match: %s would be applied to each.', $preview['matched'], $action ) );
			return;
		}
		if ( 0 === $preview['matched'] ) {
			\WP_CLI::warning( 'No job matches the filter: nothing to do.' );
			return;
		}
		$this->confirm( sprintf( '%s %d jobs?', ucfirst( $action ), $preview['matched'] ), $assoc_args );
		$result = $this->check( KBJobs_Actions_Jobs::bulk_filter( $action, $filter ) );
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'porcelain', false ) ) {
			\WP_CLI::line( $result['job_id'] );
		} else {
			\WP_CLI::success( sprintf( 'Bulk %s of %d jobs runs as job %s.', $action, $result['matched'], $result['job_id'] ) );
		}
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'wait', false ) ) {
			$this->wait_for_bulk( $result['job_id'], (int) $result['matched'] );
		}
	}

	/**
	 * Runs a bulk job to its end in this process (it is the only job of its queue this
	 * run takes), with a progress bar; ends with an error unless it completed.
	 *
	 * @param string $id    The bulk job.
	 * @param int    $total The jobs it matched.
	 */
	private function wait_for_bulk( string $id, int $total ): void {
		$engine = KBJobs_Engine::get();
		$bar    = \WP_CLI\Utils\make_progress_bar( 'Applying', $total );
		$shown  = 0;
		$queue  = $engine->get( $id )->queue;
		$this->trap_signals( $engine );
		while ( ! $this->stop_requested ) {
			$job = $engine->get( $id );
			$bar->tick( max( 0, $job->progressDone - $shown ) );
			$shown = $job->progressDone;
			if ( ! in_array( $job->status, array( 'queued', 'running' ), true ) ) {
				break;
			}
			$run = KBJobs_Runner::run(
				array(
					'queues'      => array( $queue ),
					'max_seconds' => 1,
					'until_empty' => true,
					'idle_ms'     => 200,
				)
			);
			if ( 0 === $run['claimed'] ) {
				usleep( 200000 ); // Another runner has it.
			}
		}
		$bar->finish();
		$job = $engine->get( $id );
		if ( 'completed' !== $job->status ) {
			\WP_CLI::error( sprintf( 'Bulk job %s is %s.%s', $id, $job->status, $job->error ? ' ' . $job->error : '' ) );
		}
		$r = is_array( $job->result ) ? $job->result : array();
		\WP_CLI::success( sprintf( '%d done, %d skipped (not in a state for it), %d gone.', $r['done'] ?? 0, $r['skipped'] ?? 0, $r['missing'] ?? 0 ) );
	}

	/**
	 * The filter options given.
	 *
	 * @param array<string,string> $assoc_args Options.
	 * @return array<string,string>
	 */
	private function filter( array $assoc_args ): array {
		$filter = array();
		foreach ( KBJobs_Data_Jobs::FILTER_KEYS as $key ) {
			$option = str_replace( '_', '-', $key );
			if ( isset( $assoc_args[ $option ] ) && '' !== $assoc_args[ $option ] ) {
				$filter[ $key ] = (string) $assoc_args[ $option ];
			}
		}
		return $filter;
	}

	/**
	 * Ends a command on many ids: success, or an error naming how many failed.
	 *
	 * @param int    $total  Ids given.
	 * @param int    $failed Ids that failed.
	 * @param string $done   The past participle, for the message.
	 */
	private function finish( int $total, int $failed, string $done ): void {
		if ( $failed ) {
			\WP_CLI::error( sprintf( '%d of %d jobs could not be %s.', $failed, $total, $done ) );
		}
		\WP_CLI::success( sprintf( '%d jobs %s.', $total, $done ) );
	}
}
