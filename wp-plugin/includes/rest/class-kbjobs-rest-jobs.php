<?php
/**
 * The kbjobs/v1 jobs: list (filters, search, keyset cursor), submit, one job, cancel, rerun,
 * resume, its log and its failed attempts, and bulk actions (by ids in the request; by
 * filter as a preview count, then, confirmed, as a background job).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /jobs routes.
 */
final class KBJobs_REST_Jobs extends KBJobs_REST_Controller {

	/**
	 * Sets the base.
	 */
	public function __construct() {
		parent::__construct();
		$this->rest_base = 'jobs';
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$base = '/' . $this->rest_base;
		register_rest_route(
			$this->namespace,
			$base,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => $this->get_collection_params(),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => $this->submit_args(),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			$base . '/bulk',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'bulk' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => $this->bulk_args(),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			$base . '/' . self::ID_REGEX,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array( 'id' => $this->id_arg() ),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		foreach ( array( 'cancel', 'rerun', 'resume' ) as $verb ) {
			register_rest_route(
				$this->namespace,
				$base . '/' . self::ID_REGEX . '/' . $verb,
				array(
					array(
						'methods'             => WP_REST_Server::CREATABLE,
						'callback'            => array( $this, $verb ),
						'permission_callback' => array( $this, 'can_operate' ),
						'args'                => array( 'id' => $this->id_arg() ),
					),
				)
			);
		}
		register_rest_route(
			$this->namespace,
			$base . '/' . self::ID_REGEX . '/logs',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'logs' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array(
						'id'     => $this->id_arg(),
						'cursor' => array(
							'description' => __( 'Byte offset to read from: the next_cursor of the previous read.', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'default'     => 0,
						),
						'tail'   => array(
							'description' => __( 'The last this many lines instead.', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 1,
							'maximum'     => 10000,
						),
					),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			$base . '/' . self::ID_REGEX . '/attempts',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'attempts' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array( 'id' => $this->id_arg() ),
				),
			)
		);
	}

	/**
	 * The id path arg.
	 *
	 * @return array<string,mixed>
	 */
	private function id_arg(): array {
		return array(
			'description' => __( 'Job id: 16 lowercase hexadecimal characters.', 'kb-jobs' ),
			'type'        => 'string',
			'pattern'     => '^[0-9a-f]{16}$',
		);
	}

	/**
	 * GET /jobs's args.
	 *
	 * @return array<string,array<string,mixed>>
	 */
	public function get_collection_params() {
		return $this->job_filter_args() + $this->cursor_args() + array(
			'orderby' => array(
				'description' => __( 'Sort key: jobs are listed by creation, newest first.', 'kb-jobs' ),
				'type'        => 'string',
				'enum'        => array( 'created_at' ),
				'default'     => 'created_at',
			),
			'order'   => array(
				'description' => __( 'Sort order (the keyset cursor walks newest first).', 'kb-jobs' ),
				'type'        => 'string',
				'enum'        => array( 'desc' ),
				'default'     => 'desc',
			),
		);
	}

	/**
	 * POST /jobs's args.
	 *
	 * @return array<string,array<string,mixed>>
	 */
	private function submit_args(): array {
		return array(
			'type'     => array(
				'description' => __( 'Job type, registered by the engine or a plugin.', 'kb-jobs' ),
				'type'        => 'string',
				'pattern'     => '^[a-z0-9_.-]{1,64}$',
				'required'    => true,
			),
			'params'   => array(
				'description' => __( 'The job\'s parameters, checked against its type\'s schema.', 'kb-jobs' ),
				'type'        => 'object',
				'default'     => array(),
			),
			'options'  => array(
				'description'          => __( 'How to run it.', 'kb-jobs' ),
				'type'                 => 'object',
				'default'              => array(),
				'additionalProperties' => false,
				'properties'           => array(
					'queue'           => array(
						'type'    => 'string',
						'pattern' => '^[a-z0-9_.-]{1,64}$',
					),
					'priority'        => array(
						'type'    => 'integer',
						'minimum' => -100,
						'maximum' => 100,
					),
					'run_at'          => array(
						'type'   => 'string',
						'format' => 'date-time',
					),
					'delay'           => array(
						'type'    => 'number',
						'minimum' => 0,
					),
					'max_attempts'    => array(
						'type'    => 'integer',
						'minimum' => 1,
						'maximum' => 1000,
					),
					'concurrency_key' => array(
						'type'      => 'string',
						'maxLength' => 191,
					),
					'unique_key'      => array(
						'type'      => 'string',
						'maxLength' => 191,
					),
					'unique_scope'    => array(
						'type' => 'string',
						'enum' => array( 'active', 'retained' ),
					),
				),
			),
			'existing' => array(
				'description' => __( 'When the unique key belongs to an interrupted job with a checkpoint: resume it, or start it fresh. Without it the answer is 409 kbjobs_interrupted_exists.', 'kb-jobs' ),
				'type'        => 'string',
				'enum'        => array( 'resume', 'fresh' ),
			),
		);
	}

	/**
	 * POST /jobs/bulk's args.
	 *
	 * @return array<string,array<string,mixed>>
	 */
	private function bulk_args(): array {
		return array(
			'action'  => array(
				'description' => __( 'What to do to each job.', 'kb-jobs' ),
				'type'        => 'string',
				'enum'        => KBJobs_Actions_Jobs::BULK_ACTIONS,
				'required'    => true,
			),
			'ids'     => $this->ids_arg( false ),
			'filter'  => array(
				'description'          => __( 'Instead of ids: every job matching this filter.', 'kb-jobs' ),
				'type'                 => 'object',
				'additionalProperties' => false,
				'properties'           => $this->job_filter_args(),
			),
			'confirm' => array(
				'description' => __( 'With a filter: false (the default) answers with the number of jobs matched; true starts the background job.', 'kb-jobs' ),
				'type'        => 'boolean',
				'default'     => false,
			),
		);
	}

	/**
	 * GET /jobs.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$filter = $this->job_filter( $request ) + array(
			'limit'  => (int) $request['per_page'],
			'cursor' => (string) $request['cursor'],
		);
		$page   = $this->read(
			static function () use ( $filter ) {
				return KBJobs_Data_Jobs::page( $filter );
			}
		);
		if ( is_wp_error( $page ) ) {
			return $page;
		}
		return $this->respond_page( $request, $page['jobs'], $page['next_cursor'] );
	}

	/**
	 * POST /jobs.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		$options = (array) $request['options'];
		if ( isset( $options['run_at'] ) ) {
			$options['run_at'] = KBJobs_Format::parse_time( $options['run_at'] );
		}
		$result = KBJobs_Actions_Jobs::submit( $request['type'], (array) $request['params'], $options, (string) $request['existing'] );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		$response = $this->respond( $result['job'], 201 );
		$response->header( 'Location', rest_url( sprintf( '%s/%s/%s', $this->namespace, $this->rest_base, $result['id'] ) ) );
		return $response;
	}

	/**
	 * GET /jobs/{id}.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		$id = (string) $request['id'];
		return $this->respond(
			$this->read(
				static function () use ( $id ) {
					return KBJobs_Data_Jobs::get( $id );
				}
			)
		);
	}

	/**
	 * POST /jobs/{id}/cancel.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function cancel( $request ) {
		return $this->respond( KBJobs_Actions_Jobs::cancel( (string) $request['id'] ) );
	}

	/**
	 * POST /jobs/{id}/rerun: 201 with the new job's id.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function rerun( $request ) {
		return $this->respond( KBJobs_Actions_Jobs::rerun( (string) $request['id'] ), 201 );
	}

	/**
	 * POST /jobs/{id}/resume.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function resume( $request ) {
		return $this->respond( KBJobs_Actions_Jobs::resume( (string) $request['id'] ) );
	}

	/**
	 * GET /jobs/{id}/logs.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function logs( $request ) {
		$id     = (string) $request['id'];
		$cursor = (int) $request['cursor'];
		$tail   = null === $request['tail'] ? null : (int) $request['tail'];
		return $this->respond(
			$this->read(
				static function () use ( $id, $cursor, $tail ) {
					return KBJobs_Data_Jobs::logs( $id, $cursor, $tail );
				}
			)
		);
	}

	/**
	 * GET /jobs/{id}/attempts.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function attempts( $request ) {
		$id = (string) $request['id'];
		return $this->respond(
			$this->read(
				static function () use ( $id ) {
					KBJobs_Engine::get()->get( $id );
					return KBJobs_Data_Jobs::attempts( $id );
				}
			)
		);
	}

	/**
	 * POST /jobs/bulk: ids in the request are done at once (200); a filter first answers
	 * with the count it matches (200, preview), and with confirm=true starts a background
	 * job (202, its id and a Location to follow its progress).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function bulk( $request ) {
		$action = (string) $request['action'];
		$ids    = $request['ids'];
		$filter = $request['filter'];
		if ( ( null === $ids ) === ( null === $filter ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'Give either ids or a filter.', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		if ( null !== $ids ) {
			return $this->respond( KBJobs_Actions_Jobs::bulk_ids( $action, (array) $ids ) );
		}
		$filter = $this->job_filter( (array) $filter );
		if ( ! $request['confirm'] ) {
			return $this->respond( KBJobs_Actions_Jobs::bulk_preview( $action, $filter ) );
		}
		$result = KBJobs_Actions_Jobs::bulk_filter( $action, $filter );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		$response = $this->respond( $result, 202 );
		$response->header( 'Location', rest_url( sprintf( '%s/%s/%s', $this->namespace, $this->rest_base, $result['job_id'] ) ) );
		return $response;
	}

	/**
	 * The job's schema.
	 *
	 * @return array<string,mixed>
	 */
	public function get_item_schema() {
		if ( $this->schema ) {
			return $this->add_additional_fields_schema( $this->schema );
		}
		$string_or_null = array( 'string', 'null' );
		$time           = array(
			'type'   => $string_or_null,
			'format' => 'date-time',
		);
		$this->schema   = array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'kbjobs-job',
			'type'       => 'object',
			'properties' => array(
				'id'               => array(
					'type'     => 'string',
					'pattern'  => '^[0-9a-f]{16}$',
					'readonly' => true,
				),
				'type'             => array( 'type' => 'string' ),
				'queue'            => array( 'type' => 'string' ),
				'status'           => array(
					'type' => 'string',
					'enum' => KBJobs_Data_Jobs::STATUSES,
				),
				'priority'         => array( 'type' => 'integer' ),
				'title'            => array( 'type' => $string_or_null ),
				'phase'            => array( 'type' => $string_or_null ),
				'progress_done'    => array( 'type' => 'integer' ),
				'progress_total'   => array( 'type' => 'integer' ),
				'percent'          => array( 'type' => array( 'number', 'null' ) ),
				'rate'             => array(
					'description' => __( 'Items per second since the job started.', 'kb-jobs' ),
					'type'        => array( 'number', 'null' ),
				),
				'eta_seconds'      => array( 'type' => array( 'integer', 'null' ) ),
				'attempts'         => array( 'type' => 'integer' ),
				'max_attempts'     => array( 'type' => 'integer' ),
				'error'            => array( 'type' => $string_or_null ),
				'concurrency_key'  => array( 'type' => $string_or_null ),
				'unique_key'       => array( 'type' => $string_or_null ),
				'cancel_requested' => array( 'type' => 'boolean' ),
				'runner'           => array( 'type' => $string_or_null ),
				'rerun_of'         => array( 'type' => $string_or_null ),
				'run_at'           => $time,
				'created_at'       => $time,
				'started_at'       => $time,
				'progress_at'      => $time,
				'finished_at'      => $time,
				'updated_at'       => $time,
				'params'           => array( 'type' => 'object' ),
				'result'           => array(),
				'metrics'          => array( 'type' => array( 'object', 'array' ) ),
				'resources'        => array( 'type' => 'array' ),
				'waiting'          => array(
					'description' => __( 'Why a queued job is not running yet (GET /jobs/{id} only).', 'kb-jobs' ),
					'type'        => array( 'object', 'null' ),
				),
			),
		);
		return $this->add_additional_fields_schema( $this->schema );
	}
}
