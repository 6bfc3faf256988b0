<?php
/**
 * What every kbjobs/v1 controller shares: the namespace, the permission callbacks
 * (kbjobs_view to read, kbjobs_operate to act; WordPress's cookie-and-nonce or
 * application-password authentication has already run), the common args (ids, cursors,
 * pages), and the answer built from an action's result or WP_Error.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Base of the kbjobs/v1 controllers.
 */
abstract class KBJobs_REST_Controller extends WP_REST_Controller {

	const NS       = 'kbjobs/v1';
	const ID_REGEX = '(?P<id>[0-9a-f]{16})';

	/**
	 * Sets the namespace.
	 */
	public function __construct() {
		$this->namespace = self::NS;
	}

	/**
	 * The rest_json_encode_options filter: kbjobs/v1 answers escape <, >, &, ' and " as
	 * \u003C and so on, so a job title, a URL or a log line holding markup stays inert
	 * even where a client (or a sniffing browser) would treat the text as HTML. The
	 * decoded values are the same.
	 *
	 * @param int             $options json_encode() flags.
	 * @param WP_REST_Request $request The request.
	 * @return int
	 */
	public static function json_options( $options, $request ) {
		if ( $request instanceof WP_REST_Request && 0 === strpos( (string) $request->get_route(), '/' . self::NS . '/' ) ) {
			$options |= JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT;
		}
		return $options;
	}

	/**
	 * Permission callback of the read routes.
	 *
	 * @return true|WP_Error
	 */
	public function can_view() {
		return $this->check( KBJobs_Access::VIEW );
	}

	/**
	 * Permission callback of the action routes.
	 *
	 * @return true|WP_Error
	 */
	public function can_operate() {
		return $this->check( KBJobs_Access::OPERATE );
	}

	/**
	 * Checks a capability; the actions of the request are audited as coming from REST.
	 * A refused action is answered by WordPress (401 or 403, rest_forbidden) and not
	 * audited: nothing was attempted.
	 *
	 * @param string $cap The capability.
	 * @return true|WP_Error
	 */
	private function check( string $cap ) {
		KBJobs_Audit::set_source( 'rest' );
		if ( current_user_can( $cap ) ) {
			return true;
		}
		return new WP_Error(
			'rest_forbidden',
			/* translators: %s: capability name */
			sprintf( __( 'You need the %s capability to do this.', 'kb-jobs' ), $cap ),
			array( 'status' => rest_authorization_required_code() )
		);
	}

	/**
	 * The answer: a WP_Error as it is (its status in its data), else $data with $status.
	 *
	 * @param mixed $data   An action's or collector's result.
	 * @param int   $status HTTP status on success.
	 * @return WP_REST_Response|WP_Error
	 */
	protected function respond( $data, int $status = 200 ) {
		if ( is_wp_error( $data ) ) {
			return $data;
		}
		return new WP_REST_Response( $data, $status );
	}

	/**
	 * A list answer with its keyset cursor: the items, and the next page's cursor in the
	 * X-KBJobs-Next-Cursor header and a Link rel="next" header (none after the last page).
	 *
	 * @param WP_REST_Request $request     The request.
	 * @param array|WP_Error  $items       The items.
	 * @param string|int|null $next_cursor The cursor of the next page.
	 * @return WP_REST_Response|WP_Error
	 */
	protected function respond_page( WP_REST_Request $request, $items, $next_cursor ) {
		if ( is_wp_error( $items ) ) {
			return $items;
		}
		$response = new WP_REST_Response( $items, 200 );
		if ( null !== $next_cursor && '' !== (string) $next_cursor ) {
			$response->header( 'X-KBJobs-Next-Cursor', (string) $next_cursor );
			$query = array_merge( $request->get_query_params(), array( 'cursor' => (string) $next_cursor ) );
			$url   = add_query_arg( urlencode_deep( $query ), rest_url( $this->namespace . $request->get_route() ) );
			$response->link_header( 'next', $url );
		}
		return $response;
	}

	/**
	 * Runs a collector for a reader: its result, or the WP_Error of what it threw.
	 *
	 * @param callable $read The collector call.
	 * @return mixed|WP_Error
	 */
	protected function read( callable $read ) {
		return KBJobs_Action::read( $read );
	}

	/**
	 * The args of a keyset-paged list.
	 *
	 * @return array<string,array<string,mixed>>
	 */
	protected function cursor_args(): array {
		return array(
			'cursor'   => array(
				'description' => __( 'Where the page starts: the X-KBJobs-Next-Cursor of the previous page.', 'kb-jobs' ),
				'type'        => 'string',
				'pattern'     => '^[0-9A-Za-z:._-]{1,64}$',
			),
			'per_page' => array(
				'description' => __( 'Items per page.', 'kb-jobs' ),
				'type'        => 'integer',
				'default'     => 50,
				'minimum'     => 1,
				'maximum'     => 1000,
			),
		);
	}

	/**
	 * The arg of a list of job ids.
	 *
	 * @param bool $required Whether it must be given.
	 * @return array<string,mixed>
	 */
	protected function ids_arg( bool $required = true ): array {
		return array(
			'description' => __( 'Job ids.', 'kb-jobs' ),
			'type'        => 'array',
			'required'    => $required,
			'minItems'    => 1,
			'maxItems'    => 1000,
			'items'       => array(
				'type'    => 'string',
				'pattern' => '^[0-9a-f]{16}$',
			),
		);
	}

	/**
	 * The args filtering jobs (GET /jobs, POST /jobs/bulk's filter).
	 *
	 * @return array<string,array<string,mixed>>
	 */
	protected function job_filter_args(): array {
		return array(
			'status'            => array(
				'description' => __( 'Only jobs with this status.', 'kb-jobs' ),
				'type'        => 'string',
				'enum'        => KBJobs_Data_Jobs::STATUSES,
			),
			'queue'             => array(
				'description' => __( 'Only jobs of this queue.', 'kb-jobs' ),
				'type'        => 'string',
				'pattern'     => '^[a-z0-9_.-]{1,64}$',
			),
			'type'              => array(
				'description' => __( 'Only jobs of this type.', 'kb-jobs' ),
				'type'        => 'string',
				'pattern'     => '^[a-z0-9_.-]{1,64}$',
			),
			'search'            => array(
				'description' => __( 'A job id, or the start of a type or of a unique key.', 'kb-jobs' ),
				'type'        => 'string',
				'maxLength'   => 191,
			),
			'unique_key_prefix' => array(
				'description' => __( 'Only jobs whose unique key starts with this.', 'kb-jobs' ),
				'type'        => 'string',
				'maxLength'   => 191,
			),
			'created_after'     => array(
				'description' => __( 'Only jobs created after this time (ISO 8601).', 'kb-jobs' ),
				'type'        => 'string',
				'format'      => 'date-time',
			),
			'created_before'    => array(
				'description' => __( 'Only jobs created before this time (ISO 8601).', 'kb-jobs' ),
				'type'        => 'string',
				'format'      => 'date-time',
			),
		);
	}

	/**
	 * The filter keys present in a request.
	 *
	 * @param WP_REST_Request|array $source The request, or an array.
	 * @return array<string,mixed>
	 */
	protected function job_filter( $source ): array {
		$filter = array();
		foreach ( KBJobs_Data_Jobs::FILTER_KEYS as $key ) {
			$value = $source[ $key ] ?? null;
			if ( null !== $value && '' !== $value ) {
				$filter[ $key ] = $value;
			}
		}
		return $filter;
	}
}
