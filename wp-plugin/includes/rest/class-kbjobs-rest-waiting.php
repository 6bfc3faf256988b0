<?php
/**
 * The kbjobs/v1 waiting jobs: GET /waiting lists the queued jobs (of every queue, or of
 * `queue`), newest first by keyset cursor, each with why it is not running (`waiting`);
 * with view=queue it adds the texts
 * the Queue screen shows, keyed by the element showing each.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /waiting route.
 */
final class KBJobs_REST_Waiting extends KBJobs_REST_Controller {

	/**
	 * Registers the route.
	 */
	public function register_routes() {
		$args             = $this->cursor_args();
		$args['per_page'] = array_merge(
			$args['per_page'],
			array(
				'default' => 25,
				'maximum' => 200,
			)
		);
		$args['queue']    = array(
			'description' => __( 'Only the jobs of this queue.', 'kb-jobs' ),
			'type'        => 'string',
			'pattern'     => '^[a-z0-9_.-]{1,64}$',
		);
		$args['view']     = array(
			'description' => __( 'Also the texts a dashboard screen shows, keyed by the element showing each.', 'kb-jobs' ),
			'type'        => 'string',
			'enum'        => array( 'queue' ),
		);
		register_rest_route(
			$this->namespace,
			'/waiting',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => $args,
				),
			)
		);
	}

	/**
	 * GET /waiting: ['jobs' => [...], 'next_cursor' => ?string], and 'texts' with a view;
	 * the next page's cursor is also in X-KBJobs-Next-Cursor and a Link header.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$cursor = (string) $request['cursor'];
		$limit  = (int) $request['per_page'];
		$queue  = (string) $request['queue'];
		$page   = $this->read(
			static function () use ( $cursor, $limit, $queue ) {
				return KBJobs_Data_Waiting::page( $cursor, $limit, $queue );
			}
		);
		if ( is_wp_error( $page ) ) {
			return $page;
		}
		if ( 'queue' === $request['view'] ) {
			$page['texts'] = KBJobs_Admin_Waiting::texts( $page );
		}
		return $this->respond_page( $request, $page, $page['next_cursor'] );
	}
}
