<?php
/**
 * The kbjobs/v1 routes of the Job Builder: job types (GET /types, GET /types/{name}),
 * chains (POST /chains/validate, POST /chains/run) and saved chain templates
 * (GET and POST /chain-templates, GET, PUT and DELETE /chain-templates/{id}).
 * Reading (types, templates, validating) needs kbjobs_view; running a chain and
 * changing templates need kbjobs_operate and are audited.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /types, /chains and /chain-templates routes.
 */
final class KBJobs_REST_Chains extends KBJobs_REST_Controller {

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$this->route( '/types', WP_REST_Server::READABLE, 'types', 'can_view', array() );
		$this->route(
			'/types/(?P<name>[a-z0-9_.-]{1,64})',
			WP_REST_Server::READABLE,
			'type',
			'can_view',
			array(
				'name' => array(
					'description' => __( 'Job type.', 'kb-jobs' ),
					'type'        => 'string',
				),
			)
		);
		$this->route( '/chains/validate', WP_REST_Server::CREATABLE, 'validate', 'can_view', array( 'steps' => $this->steps_arg( true ) ) );
		$this->route(
			'/chains/run',
			WP_REST_Server::CREATABLE,
			'run',
			'can_operate',
			array(
				'steps' => $this->steps_arg( true ),
				'queue' => $this->queue_arg(),
			)
		);
		register_rest_route(
			$this->namespace,
			'/chain-templates',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'templates' ),
					'permission_callback' => array( $this, 'can_view' ),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_template' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => array(
						'name'  => $this->name_arg( true ),
						'steps' => $this->steps_arg( true ),
						'queue' => $this->queue_arg(),
					),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/chain-templates/(?P<id>[0-9]{1,10})',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'template' ),
					'permission_callback' => array( $this, 'can_view' ),
				),
				array(
					'methods'             => WP_REST_Server::EDITABLE,
					'callback'            => array( $this, 'update_template' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => array(
						'name'  => $this->name_arg( false ),
						'steps' => $this->steps_arg( false ),
						'queue' => $this->queue_arg(),
					),
				),
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'callback'            => array( $this, 'delete_template' ),
					'permission_callback' => array( $this, 'can_operate' ),
				),
			)
		);
	}

	/**
	 * Registers one route with one method.
	 *
	 * @param string $route      The route.
	 * @param string $methods    Its methods.
	 * @param string $callback   The method of this class that answers.
	 * @param string $permission can_view or can_operate.
	 * @param array  $args       Its args.
	 */
	private function route( string $route, string $methods, string $callback, string $permission, array $args ): void {
		register_rest_route(
			$this->namespace,
			$route,
			array(
				array(
					'methods'             => $methods,
					'callback'            => array( $this, $callback ),
					'permission_callback' => array( $this, $permission ),
					'args'                => $args,
				),
			)
		);
	}

	/**
	 * The steps arg: a list of {type, params, weight}.
	 *
	 * @param bool $required Whether it must be given.
	 * @return array<string,mixed>
	 */
	private function steps_arg( bool $required ): array {
		return array(
			'description' => __( 'The chain\'s steps, in order: each a job type, its params and an integer weight (the weights sum to 100).', 'kb-jobs' ),
			'type'        => 'array',
			'required'    => $required,
			'minItems'    => 1,
			'maxItems'    => KBJobs_Data_Chain_Templates::MAX_STEPS,
			'items'       => array(
				'type'       => 'object',
				'required'   => array( 'type', 'weight' ),
				'properties' => array(
					'type'   => array(
						'type'    => 'string',
						'pattern' => '^[a-z0-9_.-]{1,64}$',
					),
					'name'   => array(
						'type'    => 'string',
						'pattern' => '^[a-z0-9_.-]{1,64}$',
					),
					'params' => array(
						'type' => 'object',
					),
					'weight' => array(
						'type' => 'integer',
					),
				),
			),
		);
	}

	/**
	 * The queue arg.
	 *
	 * @return array<string,mixed>
	 */
	private function queue_arg(): array {
		return array(
			'description' => __( 'The combined job\'s queue (empty: the default).', 'kb-jobs' ),
			'type'        => 'string',
			'pattern'     => '^([a-z0-9_.-]{1,64})?$',
		);
	}

	/**
	 * A template's name arg.
	 *
	 * @param bool $required Whether it must be given.
	 * @return array<string,mixed>
	 */
	private function name_arg( bool $required ): array {
		return array(
			'description' => __( 'The template\'s name, unique.', 'kb-jobs' ),
			'type'        => 'string',
			'required'    => $required,
			'minLength'   => 1,
			'maxLength'   => KBJobs_Data_Chain_Templates::MAX_NAME,
		);
	}

	/**
	 * The request's steps, as arrays (an empty params object arrives as an array).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return array<int,array<string,mixed>>
	 */
	private static function steps( WP_REST_Request $request ): array {
		return array_values( (array) $request->get_param( 'steps' ) );
	}

	/**
	 * GET /types: every registered job type.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function types() {
		return $this->respond( $this->read( array( 'KBJobs_Data_Types', 'all' ) ) );
	}

	/**
	 * GET /types/{name}.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function type( WP_REST_Request $request ) {
		$name = (string) $request['name'];
		return $this->respond(
			$this->read(
				static function () use ( $name ) {
					return KBJobs_Data_Types::get( $name );
				}
			)
		);
	}

	/**
	 * POST /chains/validate: the engine's errors and warnings, each with the steps it
	 * concerns. 200 whether or not the chain is valid (see "valid").
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function validate( WP_REST_Request $request ) {
		return $this->respond( KBJobs_Actions_Chains::validate( self::steps( $request ) ) );
	}

	/**
	 * POST /chains/run: 201 with the combined job's id and page; 400 with the report when
	 * the chain is invalid.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function run( WP_REST_Request $request ) {
		return $this->respond( KBJobs_Actions_Chains::run( self::steps( $request ), (string) $request->get_param( 'queue' ) ), 201 );
	}

	/**
	 * GET /chain-templates.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function templates() {
		return $this->respond( $this->read( array( 'KBJobs_Data_Chain_Templates', 'all' ) ) );
	}

	/**
	 * GET /chain-templates/{id}.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function template( WP_REST_Request $request ) {
		$id = (int) $request['id'];
		return $this->respond(
			$this->read(
				static function () use ( $id ) {
					return KBJobs_Data_Chain_Templates::get( $id );
				}
			)
		);
	}

	/**
	 * POST /chain-templates: 201 with the template.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_template( WP_REST_Request $request ) {
		$data = array(
			'name'  => (string) $request->get_param( 'name' ),
			'steps' => self::steps( $request ),
			'queue' => (string) $request->get_param( 'queue' ),
		);
		return $this->respond( KBJobs_Actions_Chains::create_template( $data ), 201 );
	}

	/**
	 * PUT /chain-templates/{id}: rename, new steps or queue.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_template( WP_REST_Request $request ) {
		$data = array();
		foreach ( array( 'name', 'queue' ) as $key ) {
			if ( null !== $request->get_param( $key ) ) {
				$data[ $key ] = (string) $request->get_param( $key );
			}
		}
		if ( null !== $request->get_param( 'steps' ) ) {
			$data['steps'] = self::steps( $request );
		}
		return $this->respond( KBJobs_Actions_Chains::update_template( (int) $request['id'], $data ) );
	}

	/**
	 * DELETE /chain-templates/{id}.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function delete_template( WP_REST_Request $request ) {
		return $this->respond( KBJobs_Actions_Chains::delete_template( (int) $request['id'] ) );
	}
}
