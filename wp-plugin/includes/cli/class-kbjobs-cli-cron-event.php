<?php
/**
 * `wp kb cron event`: WP-Cron events kept by kbjobs.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists, runs, pauses, resumes and deletes WP-Cron events.
 */
final class KBJobs_CLI_Cron_Event extends KBJobs_CLI_Command {

	/**
	 * Lists events, soonest first: hook, arguments, next run, recurrence, how late,
	 * paused, running, last run and its outcome, failures in a row.
	 *
	 * ## OPTIONS
	 *
	 * [--hook=<hook>]
	 * : Only the events of this hook.
	 *
	 * [--search=<prefix>]
	 * : Only the events whose hook starts with this.
	 *
	 * [--state=<state>]
	 * : Only events in this state.
	 * ---
	 * options:
	 *   - due
	 *   - paused
	 *   - running
	 *   - failing
	 * ---
	 *
	 * [--limit=<n>]
	 * : At most this many events (default: all, read 500 at a time).
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
	 *     $ wp kb cron event list
	 *     $ wp kb cron event list --state=failing --format=json
	 *
	 * @subcommand list
	 *
	 * @param array<int,string>    $args       Unused.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function list_( array $args, array $assoc_args ): void {
		$filter = array(
			'hook'   => $assoc_args['hook'] ?? '',
			'search' => $assoc_args['search'] ?? '',
			'state'  => $assoc_args['state'] ?? '',
		);
		$max    = max( 0, (int) ( $assoc_args['limit'] ?? 0 ) );
		$rows   = array();
		$this->read(
			static function () use ( $filter, $max, &$rows ) {
				return KBJobs_Data_Cron::each_event(
					$filter,
					static function ( array $events ) use ( &$rows ) {
						array_push( $rows, ...$events );
					},
					$max
				);
			}
		);
		$this->display_list( $assoc_args, $rows, KBJobs_Data_Cron::FIELDS );
	}

	/**
	 * Shows one event with its last runs.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The event's id (from `wp kb cron event list`).
	 *
	 * [--runs=<n>]
	 * : How many of its last runs.
	 * ---
	 * default: 10
	 * ---
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
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb cron event get 12 --format=json
	 *
	 * @param array<int,string>    $args       The id.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function get( array $args, array $assoc_args ): void {
		$id    = $this->event_id( $args[0] );
		$runs  = (int) ( $assoc_args['runs'] ?? 10 );
		$event = $this->read(
			static function () use ( $id, $runs ) {
				return KBJobs_Data_Cron::event( $id, $runs );
			}
		);
		$this->display_item( $assoc_args, $event );
	}

	/**
	 * Runs events in this process now, whatever their due time (a recurring event keeps
	 * its schedule), and records each run in the history with the trigger "cli"; or,
	 * with --due-now, every event that is due.
	 *
	 * ## OPTIONS
	 *
	 * [<id>...]
	 * : The events' ids.
	 *
	 * [--due-now]
	 * : Run every due event (and return when none is due).
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb cron event run 12
	 *     $ wp kb cron event run --due-now
	 *
	 * @param array<int,string>    $args       The ids.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function run( array $args, array $assoc_args ): void {
		if ( \WP_CLI\Utils\get_flag_value( $assoc_args, 'due-now', false ) ) {
			if ( $args ) {
				\WP_CLI::error( 'Give event ids or --due-now, not both.' );
			}
			$report = $this->check(
				KBJobs_Action::run(
					'cron.run_due',
					'',
					static function () {
						return KBJobs_Runner::run(
							array(
								'cron_only'        => true,
								'until_empty'      => true,
								'until_empty_wait' => 0,
							) + KBJobs_Cron_Runner::run_options( 'cli' )
						);
					}
				)
			);
			KBJobs_Cron_Store::invalidate();
			\WP_CLI::success( sprintf( 'Ran %d due events: %d failed.', $report['cron_ran'], $report['cron_failed'] ) );
			return;
		}
		if ( ! $args ) {
			\WP_CLI::error( 'Give one or more event ids, or --due-now.' );
		}
		$failed = 0;
		foreach ( $args as $arg ) {
			$run = $this->check( KBJobs_Actions_Cron::run_here( $this->event_id( $arg ) ) );
			if ( 'ok' === $run['outcome'] ) {
				\WP_CLI::log( sprintf( 'Ran %s (event %d) in %d ms.', $run['hook'], $run['event_id'], $run['duration_ms'] ) );
			} else {
				++$failed;
				\WP_CLI::warning( sprintf( '%s (event %d) failed: %s', $run['hook'], $run['event_id'], $run['error'] ) );
			}
		}
		if ( $failed ) {
			\WP_CLI::error( sprintf( '%d of %d events failed.', $failed, count( $args ) ) );
		}
		\WP_CLI::success( sprintf( 'Ran %d events.', count( $args ) ) );
	}

	/**
	 * Pauses events: they stay scheduled (so plugins do not schedule them again) and do
	 * not run until resumed.
	 *
	 * ## OPTIONS
	 *
	 * <id>...
	 * : The events' ids.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb cron event pause 12
	 *
	 * @param array<int,string>    $args       The ids.
	 * @param array<string,string> $assoc_args Unused.
	 */
	public function pause( array $args, array $assoc_args ): void {
		foreach ( $args as $arg ) {
			$event = $this->check( KBJobs_Actions_Cron::pause( $this->event_id( $arg ) ) );
			\WP_CLI::log( sprintf( 'Paused %s (event %d).', $event['hook'], $event['id'] ) );
		}
		\WP_CLI::success( sprintf( 'Paused %d events.', count( $args ) ) );
	}

	/**
	 * Resumes paused events; one whose time passed meanwhile runs once, then keeps its
	 * schedule.
	 *
	 * ## OPTIONS
	 *
	 * <id>...
	 * : The events' ids.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb cron event resume 12
	 *
	 * @param array<int,string>    $args       The ids.
	 * @param array<string,string> $assoc_args Unused.
	 */
	public function resume( array $args, array $assoc_args ): void {
		foreach ( $args as $arg ) {
			$event = $this->check( KBJobs_Actions_Cron::resume( $this->event_id( $arg ) ) );
			\WP_CLI::log( sprintf( 'Resumed %s (event %d).', $event['hook'], $event['id'] ) );
		}
		\WP_CLI::success( sprintf( 'Resumed %d events.', count( $args ) ) );
	}

	/**
	 * Deletes events (their runs stay in the history; a run in progress finishes).
	 *
	 * ## OPTIONS
	 *
	 * <id>...
	 * : The events' ids.
	 *
	 * [--yes]
	 * : Do not ask for confirmation.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp kb cron event delete 12 --yes
	 *
	 * @param array<int,string>    $args       The ids.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function delete( array $args, array $assoc_args ): void {
		$this->confirm( sprintf( 'Delete %d WP-Cron events?', count( $args ) ), $assoc_args );
		foreach ( $args as $arg ) {
			$event = $this->check( KBJobs_Actions_Cron::delete( $this->event_id( $arg ) ) );
			\WP_CLI::log( sprintf( 'Deleted %s (event %d).', $event['hook'], $event['id'] ) );
		}
		\WP_CLI::success( sprintf( 'Deleted %d events.', count( $args ) ) );
	}

	/**
	 * An event id given on the command line; ends the command when it is not one.
	 *
	 * @param string $arg What was given.
	 * @return int
	 */
	private function event_id( string $arg ): int {
		if ( ! ctype_digit( $arg ) || (int) $arg < 1 ) {
			\WP_CLI::error( sprintf( '"%s" is not an event id (a whole number, from `wp kb cron event list`).', $arg ) );
		}
		return (int) $arg;
	}
}
