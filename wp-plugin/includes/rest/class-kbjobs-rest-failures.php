<?php
/**
 * The kbjobs/v1 FailureLog and alerts: list, resubmit and delete entries (many ids at
 * once), list and acknowledge alerts.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /failures and /alerts routes.
 */
final class KBJobs_REST_Failures extends KBJobs_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/failures',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array(
						'page'     => array(
							'type'    => 'integer',
							'minimum' => 1,
							'default' => 1,
						),
						'per_page' => array(
							'type'    => 'integer',
							'minimum' => 1,
							'maximum' => 1000,
							'default' => 50,
						),
					),
				),
			)
		);
		foreach ( array( 'resubmit', 'delete' ) as $verb ) {
			register_rest_route(
				$this->namespace,
				'/failures/' . $verb,
				array(
					array(
						'methods'             => WP_REST_Server::CREATABLE,
						'callback'            => array( $this, $verb ),
						'permission_callback' => array( $this, 'can_operate' ),
						'args'                => array( 'ids' => $this->ids_arg() ),
					),
				)
			);
		}
		register_rest_route(
			$this->namespace,
			'/alerts',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'alerts' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array(
						'open' => array(
							'description' => __( 'Only the alerts not acknowledged yet.', 'kb-jobs' ),
							'type'        => 'boolean',
							'default'     => false,
						),
					),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'acknowledge' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => array(
						'action' => array(
							'type'     => 'string',
							'enum'     => array( 'acknowledge' ),
							'required' => true,
						),
						'ids'    => array(
							'description' => __( 'Alert ids.', 'kb-jobs' ),
							'type'        => 'array',
							'required'    => true,
							'minItems'    => 1,
							'maxItems'    => 1000,
							'items'       => array(
								'type'    => 'integer',
								'minimum' => 1,
							),
						),
					),
				),
			)
		);
		$this->register_raised_routes();
	}

	/**
	 * GET /alerts/raised and /alerts/resolved: the alerts the conditions raised
	 * (KBJobs_Alerts), held now or resolved lately.
	 */
	private function register_raised_routes(): void {
		foreach ( array( 'raised', 'resolved' ) as $which ) {
			register_rest_route(
				$this->namespace,
				'/alerts/' . $which,
				array(
					array(
						'methods'             => WP_REST_Server::READABLE,
						'callback'            => array( $this, 'alerts_' . $which ),
						'permission_callback' => array( $this, 'can_view' ),
					),
				)
			);
		}
	}

	/**
	 * GET /alerts/raised: the alerts whose condition holds (or cleared less than
	 * alert_clear_minutes ago: clear_since set), oldest first.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function alerts_raised() {
		return $this->respond( $this->read( array( KBJobs_Alerts::class, 'active' ) ) );
	}

	/**
	 * GET /alerts/resolved: the last resolved alerts, newest first.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function alerts_resolved() {
		return $this->respond( $this->read( array( KBJobs_Alerts::class, 'resolved' ) ) );
	}

	/**
	 * GET /failures: entries newest first; X-WP-Total and X-KBJobs-Evicted headers.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$limit  = (int) $request['per_page'];
		$offset = ( (int) $request['page'] - 1 ) * $limit;
		$page   = $this->read(
			static function () use ( $limit, $offset ) {
				return KBJobs_Data_Failures::page( $limit, $offset );
			}
		);
		if ( is_wp_error( $page ) ) {
			return $page;
		}
		$response = new WP_REST_Response( $page['failures'], 200 );
		$response->header( 'X-WP-Total', (string) $page['total'] );
		$response->header( 'X-WP-TotalPages', (string) max( 1, (int) ceil( $page['total'] / $limit ) ) );
		$response->header( 'X-KBJobs-Evicted', (string) $page['evicted'] );
		return $response;
	}

	/**
	 * POST /failures/resubmit.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function resubmit( $request ) {
		return $this->respond( KBJobs_Actions_Failures::resubmit( (array) $request['ids'] ) );
	}

	/**
	 * POST /failures/delete.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete( $request ) {
		return $this->respond( KBJobs_Actions_Failures::delete( (array) $request['ids'] ) );
	}

	/**
	 * GET /alerts.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function alerts( $request ) {
		$open = (bool) $request['open'];
		return $this->respond(
			$this->read(
				static function () use ( $open ) {
					return KBJobs_Data_Failures::alerts( $open );
				}
			)
		);
	}

	/**
	 * POST /alerts with action=acknowledge: each id acknowledged (404 for the first
	 * unknown one, after those before it).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function acknowledge( $request ) {
		$done = array();
		foreach ( array_unique( array_map( 'intval', (array) $request['ids'] ) ) as $id ) {
			$result = KBJobs_Actions_Failures::acknowledge_alert( $id );
			if ( is_wp_error( $result ) ) {
				return $result;
			}
			$done[] = $id;
		}
		return $this->respond( array( 'acknowledged' => $done ) );
	}
}
