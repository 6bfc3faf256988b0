<?php
/**
 * The kbjobs/v1 backlogs: GET /backlogs lists them with their jobs by status (kbjobs_view);
 * POST /backlogs/{name}/release releases one (kbjobs_operate, audited).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /backlogs routes.
 */
final class KBJobs_REST_Backlogs extends KBJobs_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/backlogs',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array(
						'exact' => array(
							'description' => __( 'Count every job exactly (slow on a large table); otherwise counts above 190 are the index\'s estimate.', 'kb-jobs' ),
							'type'        => 'boolean',
							'default'     => false,
						),
					),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/backlogs/(?P<name>[a-z0-9_.-]{1,64})/release',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'release' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => array(
						'name' => array(
							'description' => __( 'The backlog.', 'kb-jobs' ),
							'type'        => 'string',
							'pattern'     => '^[a-z0-9_.-]{1,64}$',
						),
					),
				),
			)
		);
	}

	/**
	 * GET /backlogs: a list of ['name', 'held', 'queued', 'running', 'completed', 'failed',
	 * 'cancelled', 'interrupted', 'estimated'].
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$exact = (bool) $request['exact'];
		return $this->respond(
			$this->read(
				static function () use ( $exact ) {
					return KBJobs_Data_Backlogs::all( $exact );
				}
			)
		);
	}

	/**
	 * POST /backlogs/{name}/release: ['name', 'released' => int, 'backlog' => its counts].
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function release( $request ) {
		return $this->respond( KBJobs_Actions_Backlogs::release( (string) $request['name'] ) );
	}
}
