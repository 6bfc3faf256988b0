<?php
/**
 * The kbjobs/v1 audit log: who did what, from where, with what outcome.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /audit route.
 */
final class KBJobs_REST_Audit extends KBJobs_REST_Controller {

	/**
	 * Registers the route.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/audit',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => $this->get_collection_params(),
				),
			)
		);
	}

	/**
	 * The route's args.
	 *
	 * @return array<string,array<string,mixed>>
	 */
	public function get_collection_params() {
		return array(
			'user'    => array(
				'description' => __( 'Only actions of this user (id or login).', 'kb-jobs' ),
				'type'        => 'string',
				'maxLength'   => 60,
			),
			'action'  => array(
				'description' => __( 'Only this action (job.cancel, queue.pause, ...).', 'kb-jobs' ),
				'type'        => 'string',
				'pattern'     => '^[a-z0-9_.-]{1,64}$',
			),
			'target'  => array(
				'description' => __( 'Only actions on this target (a job id, a queue, ...).', 'kb-jobs' ),
				'type'        => 'string',
				'maxLength'   => 191,
			),
			'source'  => array(
				'type' => 'string',
				'enum' => KBJobs_Audit::SOURCES,
			),
			'outcome' => array(
				'type' => 'string',
				'enum' => KBJobs_Audit::OUTCOMES,
			),
			'after'   => array(
				'type'   => 'string',
				'format' => 'date-time',
			),
			'before'  => array(
				'type'   => 'string',
				'format' => 'date-time',
			),
		) + $this->cursor_args();
	}

	/**
	 * GET /audit.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$filter = array(
			'limit'  => (int) $request['per_page'],
			'cursor' => (string) $request['cursor'],
		);
		foreach ( array( 'action', 'target', 'source', 'outcome', 'after', 'before' ) as $key ) {
			$filter[ $key ] = $request[ $key ];
		}
		$user = (string) $request['user'];
		if ( '' !== $user ) {
			$filter[ ctype_digit( $user ) ? 'user_id' : 'user_login' ] = $user;
		}
		$page = $this->read(
			static function () use ( $filter ) {
				return KBJobs_Data_Audit::page( $filter );
			}
		);
		if ( is_wp_error( $page ) ) {
			return $page;
		}
		return $this->respond_page( $request, $page['entries'], $page['next_cursor'] );
	}
}
