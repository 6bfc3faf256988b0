<?php
/**
 * The kbjobs/v1 WP-Cron routes, for events kept by kbjobs:
 *
 * - GET /cron/events: events a page at a time (cursor, per_page), soonest first or in id
 *   order (order=id), by hook, search and state; GET /cron/events/{id}: one with its
 *   last runs;
 * - POST /cron/events/{id}/run (due now, as a run now), /pause, /resume; PATCH
 *   /cron/events/{id} (next_run, schedule); DELETE /cron/events/{id};
 * - GET /cron/runs: the run history, newest first (hook, event_id, outcome, trigger,
 *   cursor);
 * - GET /cron/schedules: the schedules and how many events use each.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /cron routes.
 */
final class KBJobs_REST_Cron extends KBJobs_REST_Controller {

	/**
	 * An event id in a route.
	 */
	const EVENT_ID = '(?P<id>[1-9][0-9]{0,18})';

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$id = array(
			'id' => array(
				'description' => __( 'The event.', 'kb-jobs' ),
				'type'        => 'integer',
				'minimum'     => 1,
			),
		);
		register_rest_route(
			$this->namespace,
			'/cron/events',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_events' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => $this->event_args(),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/cron/events/' . self::EVENT_ID,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_event' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => $id + array(
						'runs' => array(
							'description' => __( 'How many of its last runs.', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'maximum'     => 100,
							'default'     => 10,
						),
					),
				),
				array(
					'methods'             => WP_REST_Server::EDITABLE,
					'callback'            => array( $this, 'edit' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => $id + array(
						'next_run' => array(
							'description' => __( 'When it runs next (ISO 8601, or seconds since 1970).', 'kb-jobs' ),
							'type'        => array( 'string', 'integer' ),
						),
						'schedule' => array(
							'description' => __( 'A registered schedule\'s name, or an empty string for a single event.', 'kb-jobs' ),
							'type'        => 'string',
							'maxLength'   => 64,
						),
					),
				),
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'delete' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => $id,
				),
			)
		);
		foreach ( array( 'run', 'pause', 'resume' ) as $verb ) {
			register_rest_route(
				$this->namespace,
				'/cron/events/' . self::EVENT_ID . '/' . $verb,
				array(
					array(
						'methods'             => WP_REST_Server::CREATABLE,
						'callback'            => array( $this, $verb ),
						'permission_callback' => array( $this, 'can_operate' ),
						'args'                => $id,
					),
				)
			);
		}
		register_rest_route(
			$this->namespace,
			'/cron/runs',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_runs' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => $this->run_args(),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/cron/schedules',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_schedules' ),
					'permission_callback' => array( $this, 'can_view' ),
				),
			)
		);
	}

	/**
	 * GET /cron/events: ['events' => [...], 'next_cursor' => ?string, 'prev_cursor' =>
	 * ?string], with the X-KBJobs-Next-Cursor and X-KBJobs-Prev-Cursor headers and the
	 * next and prev links.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_events( $request ) {
		$filter   = array(
			'hook'   => (string) $request['hook'],
			'search' => (string) $request['search'],
			'state'  => (string) $request['state'],
			'order'  => (string) $request['order'],
			'cursor' => (string) $request['cursor'],
			'limit'  => (int) $request['per_page'],
		);
		$page     = $this->read(
			static function () use ( $filter ) {
				return KBJobs_Data_Cron::events( $filter );
			}
		);
		$response = $this->respond_page( $request, $page, is_array( $page ) ? $page['next_cursor'] : null );
		if ( $response instanceof WP_REST_Response && null !== $page['prev_cursor'] ) {
			$response->header( 'X-KBJobs-Prev-Cursor', $page['prev_cursor'] );
			$query = array_merge( $request->get_query_params(), array( 'cursor' => $page['prev_cursor'] ) );
			$response->link_header( 'prev', add_query_arg( urlencode_deep( $query ), rest_url( $this->namespace . $request->get_route() ) ) );
		}
		return $response;
	}

	/**
	 * GET /cron/events/{id}.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_event( $request ) {
		$id   = (int) $request['id'];
		$runs = (int) $request['runs'];
		return $this->respond(
			$this->read(
				static function () use ( $id, $runs ) {
					return KBJobs_Data_Cron::event( $id, $runs );
				}
			)
		);
	}

	/**
	 * POST /cron/events/{id}/run.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function run( $request ) {
		return $this->respond( KBJobs_Actions_Cron::run_now( (int) $request['id'] ), 202 );
	}

	/**
	 * POST /cron/events/{id}/pause.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function pause( $request ) {
		return $this->respond( KBJobs_Actions_Cron::pause( (int) $request['id'] ) );
	}

	/**
	 * POST /cron/events/{id}/resume.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function resume( $request ) {
		return $this->respond( KBJobs_Actions_Cron::resume( (int) $request['id'] ) );
	}

	/**
	 * PATCH /cron/events/{id}.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function edit( $request ) {
		$changes = array();
		foreach ( array( 'next_run', 'schedule' ) as $key ) {
			if ( null !== $request[ $key ] ) {
				$changes[ $key ] = $request[ $key ];
			}
		}
		return $this->respond( KBJobs_Actions_Cron::edit( (int) $request['id'], $changes ) );
	}

	/**
	 * DELETE /cron/events/{id}: the event as it was.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete( $request ) {
		return $this->respond( KBJobs_Actions_Cron::delete( (int) $request['id'] ) );
	}

	/**
	 * GET /cron/runs: ['runs' => [...], 'next_cursor' => ?int].
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_runs( $request ) {
		$filter = array(
			'hook'     => (string) $request['hook'],
			'event_id' => (int) $request['event_id'],
			'outcome'  => (string) $request['outcome'],
			'trigger'  => (string) $request['trigger'],
			'before'   => (int) $request['cursor'],
			'limit'    => (int) $request['per_page'],
		);
		$page   = $this->read(
			static function () use ( $filter ) {
				return KBJobs_Data_Cron::runs( $filter );
			}
		);
		return $this->respond_page( $request, $page, is_array( $page ) ? $page['next_cursor'] : null );
	}

	/**
	 * GET /cron/schedules.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_schedules( $request ) {
		return $this->respond( $this->read( array( 'KBJobs_Data_Cron', 'schedules' ) ) );
	}

	/**
	 * The args of GET /cron/events.
	 *
	 * @return array<string,array<string,mixed>>
	 */
	private function event_args(): array {
		$args                          = $this->cursor_args();
		$args['cursor']['pattern']     = KBJobs_Data_Cron::CURSOR_PATTERN;
		$args['cursor']['description'] = __( 'Which page: the X-KBJobs-Next-Cursor (or X-KBJobs-Prev-Cursor) of a page of the same order.', 'kb-jobs' );
		return $args + array(
			'hook'   => array(
				'description' => __( 'Only the events of this hook.', 'kb-jobs' ),
				'type'        => 'string',
				'maxLength'   => 191,
			),
			'search' => array(
				'description' => __( 'Only the events whose hook starts with this.', 'kb-jobs' ),
				'type'        => 'string',
				'maxLength'   => 191,
			),
			'state'  => array(
				'description' => __( 'Only events in this state.', 'kb-jobs' ),
				'type'        => 'string',
				'enum'        => KBJobs_Data_Cron::STATES,
			),
			'order'  => array(
				'description' => __( 'next_run (soonest first; due events by when they are due) or id.', 'kb-jobs' ),
				'type'        => 'string',
				'enum'        => array( 'next_run', 'id' ),
				'default'     => 'next_run',
			),
		);
	}

	/**
	 * The args of GET /cron/runs.
	 *
	 * @return array<string,array<string,mixed>>
	 */
	private function run_args(): array {
		$args                      = $this->cursor_args();
		$args['cursor']['pattern'] = '^[0-9]{1,19}$';
		return $args + array(
			'hook'     => array(
				'description' => __( 'Only the runs of this hook.', 'kb-jobs' ),
				'type'        => 'string',
				'maxLength'   => 191,
			),
			'event_id' => array(
				'description' => __( 'Only the runs of this event.', 'kb-jobs' ),
				'type'        => 'integer',
				'minimum'     => 1,
			),
			'outcome'  => array(
				'description' => __( 'Only runs with this outcome.', 'kb-jobs' ),
				'type'        => 'string',
				'enum'        => KBJobs_Data_Cron::OUTCOMES,
			),
			'trigger'  => array(
				'description' => __( 'Only runs started this way.', 'kb-jobs' ),
				'type'        => 'string',
				'enum'        => KBJobs_Data_Cron::TRIGGERS,
			),
		);
	}
}
