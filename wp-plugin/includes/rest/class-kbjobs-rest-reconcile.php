<?php
/**
 * The kbjobs/v1 reconciliation routes: start a run (202; 409 while one is queued or
 * running, with its id), the latest report and a report by id, a report's findings by
 * the byte cursor of its file, and a repair of a finished report, which is a dry run
 * unless `dry_run` is false. Reading needs kbjobs_view; starting and repairing (a dry run
 * too: it re-checks files and posts) kbjobs_operate.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /reconcile routes.
 */
final class KBJobs_REST_Reconcile extends KBJobs_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/reconcile',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_latest' ),
					'permission_callback' => array( $this, 'can_view' ),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => array(
						'grace_seconds' => array(
							'description' => __( 'A file modified this recently is never an orphan nor drift (default 600).', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 1,
							'maximum'     => 86400,
						),
						'shallow'       => array(
							'description' => __( 'Do not read the artifacts (no drift checks of their content).', 'kb-jobs' ),
							'type'        => 'boolean',
						),
						'keep'          => array(
							'description' => __( 'Findings kept in the job\'s result (default 50).', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 1,
							'maximum'     => 1000,
						),
					),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/reconcile/' . self::ID_REGEX,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => array( $this, 'can_view' ),
				),
				'schema' => array( $this, 'get_public_item_schema' ),
			)
		);
		register_rest_route(
			$this->namespace,
			'/reconcile/' . self::ID_REGEX . '/findings',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'findings' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array(
						'cursor'   => array(
							'description' => __( 'A byte offset into the report: the X-KBJobs-Next-Cursor of the previous page (0: the start).', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'default'     => 0,
						),
						'per_page' => array(
							'description' => __( 'Report lines read at most (with a kind, fewer findings may come back; go on with the cursor).', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 1,
							'maximum'     => 1000,
							'default'     => 100,
						),
						'kind'     => array(
							'description' => __( 'Only findings of this kind.', 'kb-jobs' ),
							'type'        => 'string',
							'enum'        => KBJobs_Actions_Reconcile::FINDING_KINDS,
						),
					),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/reconcile/' . self::ID_REGEX . '/repair',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'repair' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => array(
						'kinds'   => array(
							'description' => __( 'What to repair: ghosts, orphans, drift (a list, or comma-separated).', 'kb-jobs' ),
							'type'        => array( 'array', 'string' ),
							'items'       => array(
								'type' => 'string',
								'enum' => KBJobs_Actions_Reconcile::REPAIR_KINDS,
							),
							'required'    => true,
						),
						'dry_run' => array(
							'description' => __( 'Only say what would be done (the default); false repairs.', 'kb-jobs' ),
							'type'        => 'boolean',
							'default'     => true,
						),
						'limit'   => array(
							'description' => __( 'Actions a dry run lists at most.', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 1,
							'maximum'     => 1000,
							'default'     => 200,
						),
					),
				),
			)
		);
	}

	/**
	 * A report's schema.
	 *
	 * @return array<string,mixed>
	 */
	public function get_item_schema() {
		$count = array( 'type' => 'integer' );
		return array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'kbjobs-reconcile-report',
			'type'       => 'object',
			'properties' => array(
				'id'          => array( 'type' => 'string' ),
				'status'      => array(
					'type' => 'string',
					'enum' => KBJobs_Data_Jobs::STATUSES,
				),
				'created_at'  => array( 'type' => array( 'integer', 'null' ) ),
				'finished_at' => array( 'type' => array( 'integer', 'null' ) ),
				'progress'    => array(
					'type'    => 'integer',
					'minimum' => 0,
					'maximum' => 100,
				),
				'eta'         => array( 'type' => array( 'integer', 'null' ) ),
				'counts'      => array(
					'type'       => 'object',
					'properties' => array_fill_keys( KBJobs_Actions_Reconcile::FINDING_KINDS, $count ),
				),
				'total'       => $count,
				'scanned'     => $count,
				'first'       => array(
					'type'  => 'array',
					'items' => array( 'type' => 'object' ),
				),
				'error'       => array( 'type' => array( 'string', 'null' ) ),
			),
		);
	}

	/**
	 * A report, or 404.
	 *
	 * @param string|null $id The job (null: the latest).
	 * @return WP_REST_Response|WP_Error
	 */
	private function report( ?string $id ) {
		$report = $this->read(
			static function () use ( $id ) {
				return KBJobs_Reconcile::report( $id );
			}
		);
		if ( null === $report ) {
			return null === $id
				? new WP_Error( 'kbjobs_not_found', __( 'No reconciliation has run yet.', 'kb-jobs' ), array( 'status' => 404 ) )
				/* translators: %s: job id */
				: new WP_Error( 'kbjobs_not_found', sprintf( __( 'No reconciliation %s.', 'kb-jobs' ), $id ), array( 'status' => 404 ) );
		}
		return $this->respond( $report );
	}

	/**
	 * GET /reconcile: the latest report (404 when none ever ran).
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_latest() {
		return $this->report( null );
	}

	/**
	 * GET /reconcile/{id}.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		return $this->report( (string) $request['id'] );
	}

	/**
	 * POST /reconcile: 202 with the job's id and a Location to its report; 409
	 * (kbjobs_reconcile_running, data.id the running job) while one is queued or running.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		$args = array();
		foreach ( array( 'grace_seconds', 'shallow', 'keep' ) as $key ) {
			if ( null !== $request[ $key ] ) {
				$args[ $key ] = $request[ $key ];
			}
		}
		$result = KBJobs_Actions_Reconcile::start( $args, 'rest' );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		$response = $this->respond( array( 'id' => $result['id'] ), 202 );
		$response->header( 'Location', rest_url( sprintf( '%s/reconcile/%s', $this->namespace, $result['id'] ) ) );
		return $response;
	}

	/**
	 * GET /reconcile/{id}/findings: a page of findings; the next page's cursor in
	 * X-KBJobs-Next-Cursor and Link (none after the last).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function findings( $request ) {
		$id     = (string) $request['id'];
		$cursor = (int) $request['cursor'];
		$limit  = (int) $request['per_page'];
		$kind   = null !== $request['kind'] ? (string) $request['kind'] : null;
		$page   = $this->read(
			static function () use ( $id, $cursor, $limit, $kind ) {
				return KBJobs_Reconcile::findings( $id, $cursor, $limit, $kind );
			}
		);
		if ( is_wp_error( $page ) ) {
			return $page;
		}
		return $this->respond_page( $request, $page['findings'], $page['next_cursor'] );
	}

	/**
	 * POST /reconcile/{id}/repair: the dry run (dry_run true, the default) or the repair
	 * (dry_run false), of a finished report.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function repair( $request ) {
		return $this->respond(
			KBJobs_Actions_Reconcile::repair(
				(string) $request['id'],
				(array) ( is_array( $request['kinds'] ) ? $request['kinds'] : explode( ',', (string) $request['kinds'] ) ),
				(bool) $request['dry_run'],
				(int) $request['limit']
			)
		);
	}
}
