<?php
/**
 * The kbjobs/v1 view of the machinery: the health summary (/status), the metrics
 * (/stats), the live screens' shared snapshot (/snapshot), runners, queues (with limits,
 * pause and resume) and resources.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /status, /stats, /snapshot, /runners, /queues and /resources routes.
 */
final class KBJobs_REST_System extends KBJobs_REST_Controller {

	/**
	 * The /snapshot views: the screen class whose static texts() builds each view's texts.
	 */
	const SNAPSHOT_VIEWS = array(
		'overview' => 'KBJobs_Admin_Overview',
		'active'   => 'KBJobs_Admin_Active',
		'runners'  => 'KBJobs_Admin_Runners',
		'queues'   => 'KBJobs_Admin_Queues',
	);

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$this->get_route( '/status', 'status', array() );
		$this->get_route(
			'/stats',
			'stats',
			array(
				'since' => array(
					'description' => __( 'The window: this many seconds back from now (at most 90 days).', 'kb-jobs' ),
					'type'        => 'integer',
					'minimum'     => 60,
					'maximum'     => KBJobs_Data_Stats::MAX_SINCE,
					'default'     => HOUR_IN_SECONDS,
				),
				'step'  => array(
					'description' => __( 'Seconds per point of the series: 60 (the window at most 48 hours) or 3600. Default: 60 up to 48 hours, else 3600.', 'kb-jobs' ),
					'type'        => 'integer',
					'enum'        => array( 60, 3600 ),
				),
				'queue' => array(
					'description' => __( 'Only this queue.', 'kb-jobs' ),
					'type'        => 'string',
					'minLength'   => 1,
					'maxLength'   => 64,
				),
				'type'  => array(
					'description' => __( 'Only this job type.', 'kb-jobs' ),
					'type'        => 'string',
					'minLength'   => 1,
					'maxLength'   => 64,
				),
			)
		);
		$this->get_route(
			'/snapshot',
			'snapshot',
			array(
				'view' => array(
					'description' => __( 'Also the texts a dashboard screen shows, keyed by the element showing each.', 'kb-jobs' ),
					'type'        => 'string',
					'enum'        => array_keys( self::SNAPSHOT_VIEWS ),
				),
			)
		);
		$this->get_route(
			'/runners',
			'runners',
			array(
				'hours' => array(
					'description' => __( 'Runners seen within this many hours.', 'kb-jobs' ),
					'type'        => 'integer',
					'minimum'     => 1,
					'maximum'     => 876600,
					'default'     => 24,
				),
			)
		);
		$this->get_route( '/queues', 'queues', array() );
		$this->get_route(
			'/resources',
			'resources',
			array(
				'view' => array(
					'description' => __( 'texts: the list as {resources, texts}, texts being what the Resources screen shows.', 'kb-jobs' ),
					'type'        => 'string',
					'enum'        => array( 'texts' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/queues/(?P<name>[a-z0-9_.-]{1,64})',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'queue' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array( 'name' => $this->name_arg() ),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'update_queue' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => array(
						'name'        => $this->name_arg(),
						'concurrency' => array(
							'description' => __( 'At most this many running jobs (0: no limit).', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'maximum'     => 100000,
						),
						'rate'        => array(
							'description' => __( 'At most this many starts per period_ms (0: no rate limit).', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'maximum'     => 1000000,
						),
						'period_ms'   => array(
							'description' => __( 'The rate limit\'s period in milliseconds.', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'maximum'     => 86400000,
						),
						'paused'      => array(
							'description' => __( 'true pauses the queue, false resumes it.', 'kb-jobs' ),
							'type'        => 'boolean',
						),
					),
				),
			)
		);
	}

	/**
	 * Registers a read route.
	 *
	 * @param string $route    The route.
	 * @param string $callback The method.
	 * @param array  $args     Its args.
	 */
	private function get_route( string $route, string $callback, array $args ): void {
		register_rest_route(
			$this->namespace,
			$route,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, $callback ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => $args,
				),
			)
		);
	}

	/**
	 * The queue name path arg.
	 *
	 * @return array<string,mixed>
	 */
	private function name_arg(): array {
		return array(
			'description' => __( 'Queue name.', 'kb-jobs' ),
			'type'        => 'string',
			'pattern'     => '^[a-z0-9_.-]{1,64}$',
		);
	}

	/**
	 * GET /status.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function status() {
		return $this->respond( $this->read( array( 'KBJobs_Data_Status', 'summary' ) ) );
	}

	/**
	 * GET /stats: started, completed, failed and retried jobs, and median and p95 wait
	 * and run times, in total, by queue, by type and as a series over the window (see
	 * KBJobs\Engine::stats(); times ISO 8601 UTC).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function stats( $request ) {
		$options = array(
			'since' => (int) $request['since'],
			'step'  => null === $request['step'] ? null : (int) $request['step'],
			'queue' => $request['queue'],
			'type'  => $request['type'],
		);
		return $this->respond(
			$this->read(
				static function () use ( $options ) {
					return KBJobs_Data_Stats::format( KBJobs_Data_Stats::get( $options ) );
				}
			)
		);
	}

	/**
	 * GET /snapshot: what the live screens show (status, running jobs, runners), at most
	 * a second old, computed once a second at most for every reader together.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function snapshot( $request ) {
		$snapshot = $this->read( array( 'KBJobs_Data_Snapshot', 'get' ) );
		$view     = (string) $request['view'];
		if ( ! is_wp_error( $snapshot ) && isset( self::SNAPSHOT_VIEWS[ $view ] ) ) {
			$snapshot['texts'] = call_user_func( array( self::SNAPSHOT_VIEWS[ $view ], 'texts' ), $snapshot );
		}
		return $this->respond( $snapshot );
	}

	/**
	 * GET /runners.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function runners( $request ) {
		$hours = (int) $request['hours'];
		return $this->respond(
			$this->read(
				static function () use ( $hours ) {
					return KBJobs_Data_Runners::all( $hours );
				}
			)
		);
	}

	/**
	 * GET /queues.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function queues() {
		return $this->respond( $this->read( array( 'KBJobs_Data_Queues', 'all' ) ) );
	}

	/**
	 * GET /queues/{name}.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function queue( $request ) {
		$name = (string) $request['name'];
		return $this->respond(
			$this->read(
				static function () use ( $name ) {
					return KBJobs_Data_Queues::get( $name );
				}
			)
		);
	}

	/**
	 * POST /queues/{name}: limits (the keys given), then pause or resume.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_queue( $request ) {
		$name   = (string) $request['name'];
		$limits = array();
		foreach ( array( 'concurrency', 'rate', 'period_ms' ) as $key ) {
			if ( null !== $request[ $key ] ) {
				$limits[ $key ] = (int) $request[ $key ];
			}
		}
		if ( ! $limits && null === $request['paused'] ) {
			return new WP_Error( 'kbjobs_invalid', __( 'Give concurrency, rate and period_ms, or paused.', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		$result = null;
		if ( $limits ) {
			$result = KBJobs_Actions_Queues::set( $name, $limits );
			if ( is_wp_error( $result ) ) {
				return $result;
			}
		}
		if ( null !== $request['paused'] ) {
			$result = $request['paused'] ? KBJobs_Actions_Queues::pause( $name ) : KBJobs_Actions_Queues::resume( $name );
		}
		return $this->respond( $result );
	}

	/**
	 * GET /resources: every known resource, busy or idle; with view=texts, also the
	 * Resources screen's texts.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function resources( WP_REST_Request $request ) {
		$list = $this->read( array( 'KBJobs_Data_Queues', 'resources' ) );
		if ( is_wp_error( $list ) || 'texts' !== $request->get_param( 'view' ) ) {
			return $this->respond( $list );
		}
		return $this->respond(
			array(
				'resources' => $list,
				'texts'     => KBJobs_Admin_Resources::texts( $list ),
			)
		);
	}
}
