<?php
/**
 * The kbjobs/v1 manifests: POST /manifests/validate (the dry run: errors with line
 * numbers), POST /manifests/dispatch and POST /manifests/verify. A manifest comes as a
 * multipart file (field "manifest"), as text ("manifest"), or as an upload already
 * staged ("upload": one this user sent in parts through /imports/uploads, or the id a
 * previous /manifests call answered with). Files and text are staged in the data
 * directory like import uploads (KBJobs_Uploads: private, owned by the user, swept after
 * a day), so the screen validates a manifest once and then dispatches or verifies the
 * same file by its id. Validate and verify need kbjobs_view, dispatch kbjobs_operate;
 * cookie authentication needs the wp_rest nonce, as every route.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /manifests routes.
 */
final class KBJobs_REST_Manifests extends KBJobs_REST_Controller {

	/** The largest manifest sent in one request; larger ones go in parts. */
	const MAX_BYTES = 67108864;

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		$source = array(
			'manifest' => array(
				'description' => __( 'The manifest as text (JSON lines), when no file is sent.', 'kb-jobs' ),
				'type'        => 'string',
			),
			'upload'   => array(
				'description' => __( 'A staged manifest: an upload sent in parts, or the id a /manifests call answered with.', 'kb-jobs' ),
				'type'        => 'string',
				'pattern'     => '^[0-9a-f]{32}$',
			),
			'queue'    => array(
				'description' => __( 'The queue of lines that name none.', 'kb-jobs' ),
				'type'        => 'string',
				'pattern'     => '^[a-z0-9_.-]{1,64}$',
			),
		);
		foreach ( array( 'validate', 'dispatch', 'verify' ) as $action ) {
			$args = $source;
			if ( 'dispatch' === $action ) {
				$args += array(
					'backlog'      => array(
						'type'    => 'string',
						'pattern' => '^[a-z0-9_.-]{1,64}$',
					),
					'hold'         => array(
						'type'    => 'boolean',
						'default' => false,
					),
					'skip_invalid' => array(
						'type'    => 'boolean',
						'default' => false,
					),
				);
			} elseif ( 'verify' === $action ) {
				$args += array(
					'state' => array(
						'type' => 'string',
						'enum' => KBJobs_Manifest::STATES,
					),
					'limit' => array(
						'type'    => 'integer',
						'minimum' => 0,
						'maximum' => 10000,
						'default' => 100,
					),
				);
			}
			register_rest_route(
				$this->namespace,
				'/manifests/' . $action,
				array(
					array(
						'methods'             => WP_REST_Server::CREATABLE,
						'callback'            => array( $this, $action ),
						'permission_callback' => array( $this, 'dispatch' === $action ? 'can_operate' : 'can_view' ),
						'args'                => $args,
					),
				)
			);
		}
	}

	/**
	 * Stages the request's manifest; returns [upload id, path] or a WP_Error.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return array{0:string,1:string}|WP_Error
	 */
	private function stage( WP_REST_Request $request ) {
		$files   = $request->get_file_params();
		$file    = $files['manifest'] ?? null;
		$sources = ( null !== $file ? 1 : 0 ) + ( null !== $request['manifest'] ? 1 : 0 ) + ( null !== $request['upload'] ? 1 : 0 );
		if ( 1 !== $sources ) {
			return new WP_Error( 'kbjobs_invalid', __( 'Give the manifest one way: a file in the field "manifest", the text "manifest", or an "upload".', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		if ( null !== $request['upload'] ) {
			$path = KBJobs_Uploads::path( (string) $request['upload'] );
			if ( '' === $path ) {
				return new WP_Error( 'kbjobs_not_found', __( 'No such upload, or it is not yours.', 'kb-jobs' ), array( 'status' => 404 ) );
			}
			return array( (string) $request['upload'], $path );
		}
		$tmp = '';
		if ( null !== $file ) {
			$code = (int) ( $file['error'] ?? UPLOAD_ERR_NO_FILE );
			if ( UPLOAD_ERR_OK !== $code || ! is_uploaded_file( (string) $file['tmp_name'] ) && ! is_file( (string) $file['tmp_name'] ) ) {
				return new WP_Error(
					UPLOAD_ERR_INI_SIZE === $code || UPLOAD_ERR_FORM_SIZE === $code ? 'kbjobs_upload_too_large' : 'kbjobs_invalid',
					__( 'The manifest did not arrive whole: send a large one in parts through /imports/uploads.', 'kb-jobs' ),
					array( 'status' => UPLOAD_ERR_INI_SIZE === $code || UPLOAD_ERR_FORM_SIZE === $code ? 413 : 400 )
				);
			}
			$from = (string) $file['tmp_name'];
		} else {
			$text = (string) $request['manifest'];
			$tmp  = (string) tempnam( get_temp_dir(), 'kbjobs-manifest-' );
			// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_file_put_contents -- a private temporary file.
			if ( strlen( $text ) > self::MAX_BYTES || false === file_put_contents( $tmp, $text ) ) {
				wp_delete_file( $tmp );
				return new WP_Error( 'kbjobs_upload_too_large', __( 'The manifest is too large for one request: send it in parts through /imports/uploads.', 'kb-jobs' ), array( 'status' => 413 ) );
			}
			$from = $tmp;
		}
		if ( (int) filesize( $from ) > self::MAX_BYTES ) {
			wp_delete_file( $tmp );
			return new WP_Error( 'kbjobs_upload_too_large', __( 'The manifest is too large for one request: send it in parts through /imports/uploads.', 'kb-jobs' ), array( 'status' => 413 ) );
		}
		$id = KBJobs_Uploads::open();
		$ok = is_wp_error( $id ) ? $id : KBJobs_Uploads::append( $id, 0, $from );
		if ( '' !== $tmp ) {
			wp_delete_file( $tmp );
		}
		if ( is_wp_error( $ok ) ) {
			return $ok;
		}
		return array( $id, KBJobs_Uploads::path( $id ) );
	}

	/**
	 * POST /manifests/validate: the dry run. 200 with the report (lines, valid, invalid,
	 * errors with their line numbers) and the staged manifest's id in "upload".
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function validate( $request ) {
		$staged = $this->stage( $request );
		if ( is_wp_error( $staged ) ) {
			return $staged;
		}
		$report = KBJobs_Actions_Manifests::validate( $staged[1], array( 'queue' => (string) $request['queue'] ) );
		return $this->respond( is_wp_error( $report ) ? $report : array( 'upload' => $staged[0] ) + $report );
	}

	/**
	 * POST /manifests/dispatch: 200 with the counts (added, existing, invalid) and
	 * "dispatched"; when lines are invalid and skip_invalid is false, 422 with the
	 * errors and nothing dispatched.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function dispatch( $request ) {
		$staged = $this->stage( $request );
		if ( is_wp_error( $staged ) ) {
			return $staged;
		}
		$report = KBJobs_Actions_Manifests::dispatch(
			$staged[1],
			'upload ' . $staged[0],
			array(
				'queue'        => (string) $request['queue'],
				'backlog'      => (string) $request['backlog'],
				'hold'         => (bool) $request['hold'],
				'skip_invalid' => (bool) $request['skip_invalid'],
			)
		);
		if ( is_wp_error( $report ) ) {
			return $report;
		}
		$report = array( 'upload' => $staged[0] ) + $report;
		return $this->respond( $report, $report['dispatched'] || 0 === $report['invalid'] ? 200 : 422 );
	}

	/**
	 * POST /manifests/verify: the summary and the first `limit` lines (of `state`).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function verify( $request ) {
		$staged = $this->stage( $request );
		if ( is_wp_error( $staged ) ) {
			return $staged;
		}
		$report = KBJobs_Actions_Manifests::verify(
			$staged[1],
			array(
				'queue' => (string) $request['queue'],
				'state' => (string) $request['state'],
				'limit' => (int) $request['limit'],
			)
		);
		return $this->respond( is_wp_error( $report ) ? $report : array( 'upload' => $staged[0] ) + $report );
	}
}
