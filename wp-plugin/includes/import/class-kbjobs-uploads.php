<?php
/**
 * Lists uploaded in parts (for a list beyond PHP's upload limit): each upload is a file
 * under the data directory's staging/ folder, named by a random 32-hex id and owned by
 * the user who opened it (a transient keeps the owner and the size). Parts are appended
 * in order (each names its byte offset, so a part sent twice is refused, not doubled);
 * the import takes the whole file, then it is removed. Uploads left unfinished expire
 * with their transient after a day and are swept by the daily cleanup.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Staged uploads.
 */
final class KBJobs_Uploads {

	const MAX_BYTES = 1073741824; // The engine's default max_list_bytes (1 GiB).
	const TTL       = DAY_IN_SECONDS;

	/**
	 * The staging folder.
	 *
	 * @return string
	 */
	private static function dir(): string {
		return KBJobs_Settings::data_dir() . '/staging';
	}

	/**
	 * Opens an upload for the current user.
	 *
	 * @return string|WP_Error The upload id.
	 */
	public static function open() {
		$dir = self::dir();
		if ( ! is_dir( $dir ) && ! wp_mkdir_p( $dir ) ) {
			return new WP_Error( 'kbjobs_filesystem', __( 'Cannot create the staging folder in the data directory.', 'kb-jobs' ), array( 'status' => 500 ) );
		}
		$id = bin2hex( random_bytes( 16 ) );
		if ( ! touch( $dir . '/' . $id . '.part' ) ) {
			return new WP_Error( 'kbjobs_filesystem', __( 'Cannot write to the staging folder.', 'kb-jobs' ), array( 'status' => 500 ) );
		}
		set_transient(
			'kbjobs_upload_' . $id,
			array(
				'user'  => get_current_user_id(),
				'bytes' => 0,
			),
			self::TTL
		);
		return $id;
	}

	/**
	 * The staged file of an upload of the current user, or '' when there is none.
	 *
	 * @param string $id Upload id.
	 * @return string
	 */
	public static function path( string $id ): string {
		if ( 1 !== preg_match( '/^[0-9a-f]{32}$/D', $id ) ) {
			return '';
		}
		$meta = get_transient( 'kbjobs_upload_' . $id );
		$path = self::dir() . '/' . $id . '.part';
		if ( ! is_array( $meta ) || get_current_user_id() !== (int) $meta['user'] || ! is_file( $path ) ) {
			return '';
		}
		return $path;
	}

	/**
	 * Appends a part at $offset.
	 *
	 * @param string $id     Upload id.
	 * @param int    $offset Where the part goes: the bytes received so far.
	 * @param string $file   The part's temporary file.
	 * @return array|WP_Error ['upload' => id, 'bytes' => size now]
	 */
	public static function append( string $id, int $offset, string $file ) {
		$path = self::path( $id );
		if ( '' === $path ) {
			return new WP_Error( 'kbjobs_not_found', __( 'No such upload, or it is not yours.', 'kb-jobs' ), array( 'status' => 404 ) );
		}
		clearstatcache( true, $path );
		$size = (int) filesize( $path );
		if ( $offset !== $size ) {
			return new WP_Error(
				'kbjobs_upload_offset',
				/* translators: 1: offset given, 2: bytes received */
				sprintf( __( 'This part starts at byte %1$d, and %2$d bytes have arrived: send the part that starts there.', 'kb-jobs' ), $offset, $size ),
				array(
					'status' => 409,
					'bytes'  => $size,
				)
			);
		}
		$part = (int) filesize( $file );
		if ( $size + $part > self::MAX_BYTES ) {
			return new WP_Error( 'kbjobs_upload_too_large', __( 'The list would exceed 1 GiB.', 'kb-jobs' ), array( 'status' => 413 ) );
		}
		// phpcs:disable WordPress.WP.AlternativeFunctions -- streams between private files; WP_Filesystem has no append.
		$in  = fopen( $file, 'rb' );
		$out = fopen( $path, 'ab' );
		$ok  = $in && $out && false !== stream_copy_to_stream( $in, $out ) && fflush( $out );
		if ( $in ) {
			fclose( $in );
		}
		if ( $out ) {
			fclose( $out );
		}
		// phpcs:enable
		if ( ! $ok ) {
			return new WP_Error( 'kbjobs_filesystem', __( 'The part could not be written (is the disk full?).', 'kb-jobs' ), array( 'status' => 507 ) );
		}
		set_transient(
			'kbjobs_upload_' . $id,
			array(
				'user'  => get_current_user_id(),
				'bytes' => $size + $part,
			),
			self::TTL
		);
		return array(
			'upload' => $id,
			'bytes'  => $size + $part,
		);
	}

	/**
	 * Removes an upload.
	 *
	 * @param string $id Upload id.
	 */
	public static function remove( string $id ): void {
		if ( 1 === preg_match( '/^[0-9a-f]{32}$/D', $id ) ) {
			wp_delete_file( self::dir() . '/' . $id . '.part' );
			delete_transient( 'kbjobs_upload_' . $id );
		}
	}

	/**
	 * Removes staged files older than the upload's life (the daily cleanup).
	 *
	 * @return int Files removed.
	 */
	public static function sweep(): int {
		$removed = 0;
		foreach ( glob( self::dir() . '/*.part' ) ? glob( self::dir() . '/*.part' ) : array() as $path ) {
			if ( filemtime( $path ) < time() - self::TTL ) {
				wp_delete_file( $path );
				++$removed;
			}
		}
		return $removed;
	}
}
