<?php
/**
 * `wp kb import`.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Submits an import, and with --wait runs it here.
 */
final class KBJobs_CLI_Import extends KBJobs_CLI_Command {

	/**
	 * Imports a list of URLs as knowledge-base articles, one post per page.
	 *
	 * The list is a file with one URL a line (blank lines and # comments skipped), or
	 * `-` for standard input. Rejected lines are listed with their line numbers; the
	 * import runs in the background (WP-Cron or `wp kb work`), or here with --wait.
	 *
	 * The list is UTF-8 text (a byte-order mark is skipped). A list in UTF-16, binary
	 * data, a list without a valid URL (the first rejected lines are named) and a list
	 * over 1 GiB or 5,000,000 lines are refused, with the reason. The caps are the
	 * `max_list_bytes` and `max_list_lines` keys of the `kbjobs_import_settings` filter.
	 *
	 * ## OPTIONS
	 *
	 * <file>
	 * : The URL list, or - to read standard input.
	 *
	 * [--sink=<mode>]
	 * : How posts are written.
	 * ---
	 * default: compatible
	 * options:
	 *   - compatible
	 *   - bulk
	 * ---
	 *
	 * [--chunk-size=<n>]
	 * : URLs fetched and written together (1-500).
	 * ---
	 * default: 10
	 * ---
	 *
	 * [--ranges=<n>]
	 * : Split the list into this many ranges that runners process at once (1-64), each
	 * with its own lease and checkpoint; the import sums them up.
	 * ---
	 * default: 1
	 * ---
	 *
	 * [--max-per-host=<n>]
	 * : Requests at once to one host for this import (1-100): connections over HTTP/1.1,
	 * streams over HTTP/2. Default: the site's setting (KBJOBS_FETCH_MAX_PER_HOST, else 6).
	 *
	 * [--host-limits=<list>]
	 * : Per-host limits for this import, winning over the site's for the hosts they name:
	 * "docs.example.com=2, example.org:8443=16" (host, or host:port for that port only; 1-100 each).
	 *
	 * [--post-type=<type>]
	 * : Post type of the articles (default: kb_article, or what the kbjobs_article_post_type filter says).
	 *
	 * [--status=<status>]
	 * : Post status of new articles.
	 * ---
	 * default: publish
	 * options:
	 *   - publish
	 *   - draft
	 *   - pending
	 *   - private
	 * ---
	 *
	 * [--author=<user>]
	 * : Author of the articles (id, login or email).
	 *
	 * [--wait]
	 * : Run the import here until it is finished, with a progress bar.
	 *
	 * [--unique-key=<key>]
	 * : Submit nothing when an unfinished import has this key (its id is printed). When
	 * that import was interrupted and has a checkpoint, the command stops and says so,
	 * unless --resume or --fresh says what to do with it.
	 *
	 * [--resume]
	 * : With --unique-key: resume the interrupted import from its checkpoint.
	 *
	 * [--fresh]
	 * : With --unique-key: start the interrupted import again from the beginning.
	 *
	 * [--porcelain]
	 * : Print only the job id.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb import urls.txt
	 *     $ cat urls.txt | wp kb import - --sink=bulk --wait
	 *     $ wp kb import big-list.txt --ranges=4   # then one `wp kb work` per range
	 *     $ wp kb import docs.txt --max-per-host=16 --host-limits="legacy.example.com=2"
	 *
	 * @param array<int,string>    $args       The file.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function __invoke( array $args, array $assoc_args ): void {
		$file   = $args[0];
		$params = array(
			'sink'       => \WP_CLI\Utils\get_flag_value( $assoc_args, 'sink', 'compatible' ),
			'chunk_size' => (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'chunk-size', 10 ),
			'ranges'     => (int) \WP_CLI\Utils\get_flag_value( $assoc_args, 'ranges', 1 ),
			'status'     => \WP_CLI\Utils\get_flag_value( $assoc_args, 'status', 'publish' ),
		);
		if ( isset( $assoc_args['max-per-host'] ) ) {
			// The range is the engine's (it refuses the import, naming the param); a
			// value that is no number at all is refused here, not turned into 0.
			if ( ! preg_match( '/^\d{1,9}$/', (string) $assoc_args['max-per-host'] ) ) {
				\WP_CLI::error( sprintf( '--max-per-host must be a number from 1 to 100, not "%s".', $assoc_args['max-per-host'] ) );
			}
			$params['max_per_host'] = (int) $assoc_args['max-per-host'];
		}
		if ( isset( $assoc_args['host-limits'] ) ) {
			$params['host_limits'] = (string) $assoc_args['host-limits'];
		}
		if ( isset( $assoc_args['post-type'] ) ) {
			$params['post_type'] = $assoc_args['post-type'];
		}
		if ( isset( $assoc_args['author'] ) ) {
			$fetcher          = new \WP_CLI\Fetchers\User();
			$params['author'] = $fetcher->get_check( $assoc_args['author'] )->ID;
		}
		if ( '-' === $file ) {
			$list   = STDIN;
			$source = 'standard input';
		} else {
			if ( ! is_file( $file ) || ! is_readable( $file ) ) {
				\WP_CLI::error( sprintf( 'Cannot read the URL list %s.', $file ) );
			}
			$list   = $file;
			$source = basename( $file );
		}
		$options = array();
		if ( isset( $assoc_args['unique-key'] ) ) {
			$options['unique_key'] = (string) $assoc_args['unique-key'];
		}
		$existing = \WP_CLI\Utils\get_flag_value( $assoc_args, 'fresh', false ) ? 'fresh' : ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'resume', false ) ? 'resume' : '' );
		$report   = KBJobs_Actions_Imports::start( $list, $params, $options, $source, $existing );
		if ( is_wp_error( $report ) && 'kbjobs_interrupted_exists' === $report->get_error_code() ) {
			\WP_CLI::error( $report->get_error_message() . ' Run again with --resume or --fresh.' );
		}
		$report = $this->check( $report );
		foreach ( $report['rejections'] as $r ) {
			\WP_CLI::warning( sprintf( 'line %d: %s: %s', $r['line'], $r['reason'], $r['excerpt'] ) );
		}
		if ( $report['rejections_truncated'] ) {
			\WP_CLI::warning( sprintf( '%d more rejected lines not shown.', $report['rejected'] - count( $report['rejections'] ) ) );
		}
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'porcelain', false ) ) {
			\WP_CLI::line( $report['id'] );
		} elseif ( ! empty( $report['existed'] ) ) {
			\WP_CLI::success( sprintf( 'Import %s holds this unique key already (%s): nothing new was submitted.', $report['id'], KBJobs_Engine::get()->get( $report['id'] )->status ) );
		} else {
			\WP_CLI::success(
				sprintf(
					'Import %s submitted: %d URLs accepted, %d duplicates dropped, %d lines rejected.',
					$report['id'],
					$report['accepted'],
					$report['duplicates'],
					$report['rejected']
				)
			);
		}
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'wait', false ) ) {
			$this->wait_for( $report['id'], (int) $report['accepted'] );
		}
	}

	/**
	 * Runs one import to its end in this process, with a progress bar.
	 *
	 * @param string $id    The job.
	 * @param int    $total Its URLs.
	 */
	private function wait_for( string $id, int $total ): void {
		$engine = KBJobs_Engine::get();
		$bar    = \WP_CLI\Utils\make_progress_bar( 'Importing', $total );
		$shown  = 0;
		$this->trap_signals( $engine );
		while ( true ) {
			$job = $engine->get( $id );
			if ( ! in_array( $job->status, array( 'queued', 'running' ), true ) ) {
				break;
			}
			$run = KBJobs_Runner::run(
				array(
					'max_seconds' => 2,
					'until_empty' => true,
					'idle_ms'     => 200,
				)
			);
			if ( 0 === $run['claimed'] ) {
				usleep( 200000 ); // Another runner has it, or it waits for its ranges.
			}
			$job = $engine->get( $id );
			$bar->tick( max( 0, $job->progressDone - $shown ) );
			$shown = $job->progressDone;
			if ( $this->stop_requested ) {
				break;
			}
		}
		$bar->finish();
		$this->report_job( $engine->get( $id ) );
	}

	/**
	 * Prints an import's outcome and ends with an error when it did not complete.
	 *
	 * @param \KBJobs\Job $job The import.
	 */
	private function report_job( \KBJobs\Job $job ): void {
		$metrics = is_array( $job->metrics ) ? $job->metrics : array();
		$summary = sprintf(
			'%d created, %d updated, %d unchanged, %d failed',
			$metrics['created'] ?? 0,
			$metrics['updated'] ?? 0,
			$metrics['unchanged'] ?? 0,
			$metrics['failed'] ?? 0
		);
		if ( 'completed' === $job->status ) {
			if ( ! empty( $metrics['failed'] ) ) {
				\WP_CLI::warning( sprintf( '%d URLs failed: `wp kb import-job failed %s` lists them with the reasons.', $metrics['failed'], $job->id ) );
			}
			\WP_CLI::success( sprintf( 'Import %s completed: %s.', $job->id, $summary ) );
			return;
		}
		\WP_CLI::error( sprintf( 'Import %s is %s: %s.%s', $job->id, $job->status, $summary, $job->error ? ' ' . $job->error : '' ) );
	}
}
