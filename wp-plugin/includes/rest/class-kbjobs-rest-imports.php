<?php
/**
 * The kbjobs/v1 imports: list and start imports, one import, its failed items (a cursor by
 * list index), and an import of only its failed URLs. A list comes as a multipart file
 * (field "list"), as URLs in the body ("urls": an array, or text with one URL a line),
 * or, when it exceeds the upload limit, in parts: POST /imports/uploads opens an upload,
 * each part is POSTed to /imports/uploads/{upload} with its byte offset, and
 * POST /imports with "upload" starts the import of the whole.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The /imports routes.
 */
final class KBJobs_REST_Imports extends KBJobs_REST_Controller {

	const UPLOAD_REGEX = '(?P<upload>[0-9a-f]{32})';

	/**
	 * Registers the routes.
	 */
	public function register_routes() {
		register_rest_route(
			$this->namespace,
			'/imports',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_items' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array(
						'status'         => array(
							'type' => 'string',
							'enum' => KBJobs_Data_Jobs::STATUSES,
						),
						'created_after'  => array(
							'type'   => 'string',
							'format' => 'date-time',
						),
						'created_before' => array(
							'type'   => 'string',
							'format' => 'date-time',
						),
					) + $this->cursor_args(),
				),
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'create_item' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => $this->import_args(),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/imports/uploads',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'open_upload' ),
					'permission_callback' => array( $this, 'can_operate' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/imports/uploads/' . self::UPLOAD_REGEX,
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'append_part' ),
					'permission_callback' => array( $this, 'can_operate' ),
					'args'                => array(
						'upload' => array(
							'type'    => 'string',
							'pattern' => '^[0-9a-f]{32}$',
						),
						'offset' => array(
							'description' => __( 'The byte offset of this part in the whole list.', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'required'    => true,
						),
					),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/imports/' . self::ID_REGEX,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => array( $this, 'can_view' ),
				),
			)
		);
		register_rest_route(
			$this->namespace,
			'/imports/' . self::ID_REGEX . '/failed',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'callback'            => array( $this, 'failed' ),
					'permission_callback' => array( $this, 'can_view' ),
					'args'                => array(
						'cursor'   => array(
							'description' => __( 'The list index to start at: the X-KBJobs-Next-Cursor of the previous page.', 'kb-jobs' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'default'     => 0,
						),
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
		register_rest_route(
			$this->namespace,
			'/imports/' . self::ID_REGEX . '/resubmit-failed',
			array(
				array(
					'methods'             => WP_REST_Server::CREATABLE,
					'callback'            => array( $this, 'resubmit_failed' ),
					'permission_callback' => array( $this, 'can_operate' ),
				),
			)
		);
	}

	/**
	 * POST /imports's args (the file, if any, comes as the multipart field "list").
	 *
	 * @return array<string,array<string,mixed>>
	 */
	private function import_args(): array {
		return array(
			'urls'         => array(
				'description' => __( 'The URLs: an array, or text with one URL a line.', 'kb-jobs' ),
				'type'        => array( 'array', 'string' ),
				'items'       => array( 'type' => 'string' ),
				'maxItems'    => 100000,
			),
			'upload'       => array(
				'description' => __( 'An upload sent in parts (see /imports/uploads).', 'kb-jobs' ),
				'type'        => 'string',
				'pattern'     => '^[0-9a-f]{32}$',
			),
			'source'       => array(
				'description' => __( 'What the list is, for the record (default: the file name).', 'kb-jobs' ),
				'type'        => 'string',
				'maxLength'   => 200,
			),
			'chunk_size'   => array(
				'type'    => 'integer',
				'minimum' => 1,
				'maximum' => 500,
			),
			'sink'         => array(
				'type' => 'string',
				'enum' => array( 'compatible', 'bulk' ),
			),
			'max_per_host' => array(
				'description' => __( 'Requests at once to one host for this import (default: the site\'s setting).', 'kb-jobs' ),
				'type'        => 'integer',
				'minimum'     => 1,
				'maximum'     => 100,
			),
			'host_limits'  => array(
				'description' => __( 'Per-host limits for this import: "docs.example.com=2, example.org:8443=16".', 'kb-jobs' ),
				'type'        => 'string',
				'maxLength'   => 4000,
			),
			'post_type'    => array(
				'type'    => 'string',
				'pattern' => '^[a-z0-9_-]{1,20}$',
			),
			'status'       => array(
				'type' => 'string',
				'enum' => array( 'publish', 'draft', 'pending', 'private' ),
			),
			'author'       => array(
				'type'    => 'integer',
				'minimum' => 0,
			),
			'unique_key'   => array(
				'type'      => 'string',
				'maxLength' => 191,
			),
			'priority'     => array(
				'type'    => 'integer',
				'minimum' => -100,
				'maximum' => 100,
			),
			'existing'     => array(
				'description' => __( 'When the unique key belongs to an interrupted import with a checkpoint: resume it, or start it fresh.', 'kb-jobs' ),
				'type'        => 'string',
				'enum'        => array( 'resume', 'fresh' ),
			),
		);
	}

	/**
	 * GET /imports.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_items( $request ) {
		$filter = array(
			'status'         => $request['status'],
			'created_after'  => $request['created_after'],
			'created_before' => $request['created_before'],
			'limit'          => (int) $request['per_page'],
			'cursor'         => (string) $request['cursor'],
		);
		$page   = $this->read(
			static function () use ( $filter ) {
				return KBJobs_Data_Imports::page( $filter );
			}
		);
		if ( is_wp_error( $page ) ) {
			return $page;
		}
		return $this->respond_page( $request, $page['imports'], $page['next_cursor'] );
	}

	/**
	 * GET /imports/{id}.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_item( $request ) {
		$id = (string) $request['id'];
		return $this->respond(
			$this->read(
				static function () use ( $id ) {
					return KBJobs_Data_Imports::get( $id );
				}
			)
		);
	}

	/**
	 * POST /imports: 201 with the engine's report (id, lines, accepted, duplicates,
	 * rejected and the rejected lines with their numbers), or 400 with why the list was
	 * refused.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_item( $request ) {
		$files   = $request->get_file_params();
		$file    = $files['list'] ?? null;
		$sources = ( null !== $file ? 1 : 0 ) + ( null !== $request['urls'] ? 1 : 0 ) + ( null !== $request['upload'] ? 1 : 0 );
		if ( 1 !== $sources ) {
			return new WP_Error( 'kbjobs_invalid', __( 'Give the list one way: a file in the field "list", "urls", or an "upload".', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		$staged = '';
		if ( null !== $file ) {
			$error = $this->check_file( $file );
			if ( is_wp_error( $error ) ) {
				return $error;
			}
			$list   = $file['tmp_name'];
			$source = sanitize_file_name( (string) $file['name'] );
		} elseif ( null !== $request['upload'] ) {
			$staged = KBJobs_Uploads::path( (string) $request['upload'] );
			if ( '' === $staged ) {
				return new WP_Error( 'kbjobs_not_found', __( 'No such upload, or it is not yours.', 'kb-jobs' ), array( 'status' => 404 ) );
			}
			$list   = $staged;
			$source = 'upload';
		} else {
			$urls   = $request['urls'];
			$list   = is_array( $urls ) ? array_map( 'strval', $urls ) : preg_split( '/\r\n|\n|\r/', (string) $urls );
			$source = 'REST request';
		}
		if ( '' !== (string) $request['source'] ) {
			$source = sanitize_text_field( (string) $request['source'] );
		}
		$params = array();
		foreach ( array( 'chunk_size', 'sink', 'post_type', 'status', 'author', 'max_per_host', 'host_limits' ) as $key ) {
			if ( null !== $request[ $key ] ) {
				$params[ $key ] = $request[ $key ];
			}
		}
		$options = array();
		foreach ( array( 'unique_key', 'priority' ) as $key ) {
			if ( null !== $request[ $key ] ) {
				$options[ $key ] = $request[ $key ];
			}
		}
		$result = KBJobs_Actions_Imports::start( $list, $params, $options, $source, (string) $request['existing'] );
		if ( '' !== $staged ) {
			KBJobs_Uploads::remove( (string) $request['upload'] );
		}
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		$response = $this->respond( $result, 201 );
		$response->header( 'Location', rest_url( sprintf( '%s/imports/%s', $this->namespace, $result['id'] ) ) );
		return $response;
	}

	/**
	 * Refuses a file PHP did not receive whole.
	 *
	 * @param array $file The $_FILES entry.
	 * @return true|WP_Error
	 */
	private function check_file( array $file ) {
		$code = (int) ( $file['error'] ?? UPLOAD_ERR_NO_FILE );
		if ( UPLOAD_ERR_INI_SIZE === $code || UPLOAD_ERR_FORM_SIZE === $code ) {
			return new WP_Error(
				'kbjobs_upload_too_large',
				/* translators: %s: size limit, e.g. "2 MB" */
				sprintf( __( 'The list exceeds the upload limit of %s: send it in parts through /imports/uploads.', 'kb-jobs' ), size_format( wp_max_upload_size() ) ),
				array(
					'status'    => 413,
					'max_bytes' => wp_max_upload_size(),
				)
			);
		}
		if ( UPLOAD_ERR_OK !== $code || empty( $file['tmp_name'] ) || ! is_uploaded_file( $file['tmp_name'] ) ) {
			/* translators: %d: PHP's upload error code */
			return new WP_Error( 'kbjobs_invalid', sprintf( __( 'The list did not arrive whole (upload error %d).', 'kb-jobs' ), $code ), array( 'status' => 400 ) );
		}
		return true;
	}

	/**
	 * POST /imports/uploads: opens an upload for a list sent in parts.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function open_upload() {
		$id = KBJobs_Uploads::open();
		if ( is_wp_error( $id ) ) {
			return $id;
		}
		return $this->respond(
			array(
				'upload'         => $id,
				'bytes'          => 0,
				'max_part_bytes' => wp_max_upload_size(),
				'max_bytes'      => KBJobs_Uploads::MAX_BYTES,
			),
			201
		);
	}

	/**
	 * POST /imports/uploads/{upload}: appends the part in the multipart field "part" at
	 * "offset", which must be the bytes received so far (a part sent again after a lost
	 * answer is 409 with the size to go on from).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function append_part( $request ) {
		$files = $request->get_file_params();
		if ( ! isset( $files['part'] ) ) {
			return new WP_Error( 'kbjobs_invalid', __( 'Send the part as the multipart file field "part".', 'kb-jobs' ), array( 'status' => 400 ) );
		}
		$error = $this->check_file( $files['part'] );
		if ( is_wp_error( $error ) ) {
			return $error;
		}
		return $this->respond( KBJobs_Uploads::append( (string) $request['upload'], (int) $request['offset'], $files['part']['tmp_name'] ) );
	}

	/**
	 * GET /imports/{id}/failed.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function failed( $request ) {
		$id     = (string) $request['id'];
		$cursor = (int) $request['cursor'];
		$limit  = (int) $request['per_page'];
		$page   = $this->read(
			static function () use ( $id, $cursor, $limit ) {
				KBJobs_Data_Imports::get( $id );
				return KBJobs_Data_Imports::failed( $id, $cursor, $limit );
			}
		);
		if ( is_wp_error( $page ) ) {
			return $page;
		}
		return $this->respond_page( $request, $page['items'], $page['next_cursor'] );
	}

	/**
	 * POST /imports/{id}/resubmit-failed: 201 with the new import's id.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function resubmit_failed( $request ) {
		return $this->respond( KBJobs_Actions_Imports::resubmit_failed( (string) $request['id'] ), 201 );
	}
}
