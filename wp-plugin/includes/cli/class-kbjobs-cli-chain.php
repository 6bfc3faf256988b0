<?php
/**
 * `wp kb chain`: the Job Builder's saved chain templates, listed and run as combined
 * jobs from the command line.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists and runs chain templates.
 */
final class KBJobs_CLI_Chain extends KBJobs_CLI_Command {

	/**
	 * Lists the saved chain templates.
	 *
	 * ## OPTIONS
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
	 * ## AVAILABLE FIELDS
	 *
	 * id, name, steps (type:weight, in order; the full steps with --format=json), queue,
	 * author, created, updated.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb chain list
	 *     $ wp kb chain list --format=json
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$rows   = $this->read( array( 'KBJobs_Data_Chain_Templates', 'all' ) );
		$format = \WP_CLI\Utils\get_flag_value( $assoc_args, 'format', 'table' );
		if ( 'json' !== $format && 'yaml' !== $format ) {
			foreach ( $rows as $i => $row ) {
				$rows[ $i ]['steps'] = implode(
					' > ',
					array_map(
						static function ( $step ) {
							return $step['type'] . ':' . $step['weight'];
						},
						$row['steps']
					)
				);
			}
		}
		$this->display_list( $assoc_args, $rows, KBJobs_Data_Chain_Templates::FIELDS );
	}

	/**
	 * Runs a saved chain template as one combined job and prints its id.
	 *
	 * The chain is validated first: an invalid one is refused with the engine's errors
	 * and nothing is submitted; warnings are printed and the job submitted.
	 *
	 * ## OPTIONS
	 *
	 * <template>
	 * : The template's id or name.
	 *
	 * [--queue=<queue>]
	 * : Submit the combined job to this queue instead of the template's.
	 *
	 * [--wait]
	 * : Run it here (the jobs of its queue, as `wp kb work --queues=<queue>` would)
	 * until it is finished, with a progress bar; exit 1 unless it completed.
	 *
	 * [--porcelain]
	 * : Print only the job id.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb chain run "System check"
	 *     $ wp kb chain run 3 --queue=maintenance --wait
	 *
	 * @param array<int,string>    $args       The template.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function run( array $args, array $assoc_args ): void {
		$queue = (string) \WP_CLI\Utils\get_flag_value( $assoc_args, 'queue', '' );
		if ( '' !== $queue && 1 !== preg_match( '/^[a-z0-9_.-]{1,64}$/D', $queue ) ) {
			\WP_CLI::error( 'A queue name is 1 to 64 of a-z, 0-9, "_", "." and "-".' );
		}
		$result = KBJobs_Actions_Chains::run_template( $args[0], $queue );
		if ( is_wp_error( $result ) ) {
			$data = $result->get_error_data();
			foreach ( is_array( $data ) ? (array) ( $data['errors'] ?? array() ) : array() as $error ) {
				\WP_CLI::warning( $error['message'] );
			}
			\WP_CLI::error( $result->get_error_message() );
		}
		foreach ( $result['warnings'] as $warning ) {
			\WP_CLI::warning( $warning['message'] );
		}
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'porcelain', false ) && ! \WP_CLI\Utils\get_flag_value( $assoc_args, 'wait', false ) ) {
			\WP_CLI::line( $result['id'] );
			return;
		}
		if ( ! \WP_CLI\Utils\get_flag_value( $assoc_args, 'wait', false ) ) {
			\WP_CLI::success( sprintf( 'Chain submitted as job %s: `wp kb job get %s` shows it.', $result['id'], $result['id'] ) );
			return;
		}
		$this->wait_for( $result['id'] );
	}

	/**
	 * Runs the jobs of the combined job's queue here until it is finished.
	 *
	 * @param string $id The combined job.
	 */
	private function wait_for( string $id ): void {
		$engine = KBJobs_Engine::get();
		$job    = $engine->get( $id );
		$bar    = \WP_CLI\Utils\make_progress_bar( sprintf( 'Chain %s', $id ), 100 );
		$shown  = 0;
		$this->trap_signals( $engine );
		while ( in_array( $job->status, array( 'queued', 'running' ), true ) && ! $this->stop_requested ) {
			$run = KBJobs_Runner::run(
				array(
					'queues'      => array( $job->queue ),
					'max_seconds' => 2,
					'until_empty' => true,
					'idle_ms'     => 200,
				)
			);
			if ( 0 === $run['claimed'] ) {
				usleep( 200000 ); // Another runner has it, or it is not due yet.
			}
			$job     = $engine->get( $id );
			$percent = $job->progressTotal > 0 ? (int) floor( 100 * $job->progressDone / $job->progressTotal ) : 0;
			$bar->tick( max( 0, $percent - $shown ) );
			$shown = max( $shown, $percent );
		}
		$bar->finish();
		if ( 'completed' !== $job->status ) {
			\WP_CLI::error( sprintf( 'Chain job %s is %s.%s', $id, $job->status, $job->error ? ' ' . $job->error : '' ) );
		}
		\WP_CLI::success( sprintf( 'Chain job %s completed.', $id ) );
	}
}
