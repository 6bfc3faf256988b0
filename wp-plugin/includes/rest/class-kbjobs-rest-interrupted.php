<?php
/**
 * The kbjobs/v1 interrupted jobs: list them with their checkpoints, and resume (from the
 * checkpoint), fresh (drop it and run again from the start) or discard (drop it and
 * cancel the job) one.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /interrupted routes.
 */
final class KBJobs_REST_Interrupted extends KBJobs_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/interrupted',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array(
						'per_page' => array(
							'type'    => 'integer',
							'minimum' => 1,
							'maximum' => 1000,
							'default' => 100,
						),
					),
				),
			)
		);
		foreach ( array( 'resume', 'fresh', 'discard' ) as $verb ) {
			register_rest_route(
				$this->namespace,
				'/interrupted/' . self::ID_REGEX . '/' . $verb,
				array(
					array(
						'methods'             => WP_REST_Server::CREATABLE,
						'callback'            => array( $this, $verb ),
						'permission_callback' => array( $this, 'can_operate' ),
						'args'                => array(
							'id' => array(
								'type'    => 'string',
								'pattern' => '^[0-9a-f]{16}$',
							),
						),
					),
				)
			);
		}
	}

	/**
	 * GET /interrupted.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$limit = (int) $request['per_page'];
		return $this->respond(
			$this->read(
				static function () use ( $limit ) {
					return KBJobs_Data_Interrupted::all( $limit );
				}
			)
		);
	}

	/**
	 * POST /interrupted/{id}/resume.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function resume( $request ) {
		return $this->respond( KBJobs_Actions_Checkpoints::resume( (string) $request['id'] ) );
	}

	/**
	 * POST /interrupted/{id}/fresh.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function fresh( $request ) {
		return $this->respond( KBJobs_Actions_Checkpoints::fresh( (string) $request['id'] ) );
	}

	/**
	 * POST /interrupted/{id}/discard.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function discard( $request ) {
		return $this->respond( KBJobs_Actions_Checkpoints::discard( (string) $request['id'] ) );
	}
}
