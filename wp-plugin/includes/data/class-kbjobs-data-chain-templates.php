<?php
/**
 * Chain templates: named chains of steps saved on the server (the Job Builder's "Save
 * as template"), shared by every user who may operate, and run again from the screen,
 * REST or `wp kb chain run <template>`.
 *
 * They live in one option, kbjobs_chain_templates (not autoloaded: only the Builder and
 * `wp kb chain` read it): ['next_id' => int, 'items' => [id => template]]. A template is
 * ['id' => int, 'name' => string, 'queue' => string ('' for the combined job's default),
 * 'steps' => [['type', 'params', 'weight'], ...], 'author' => user login, 'created' and
 * 'updated' => ISO 8601 UTC]. Two admins saving at once must not lose one another's
 * change, so every write re-reads the option under a MariaDB named lock
 * (GET_LOCK), changes it and writes it back before releasing it. Uninstalling removes
 * the option with the plugin's others.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reads and writes chain templates.
 */
final class KBJobs_Data_Chain_Templates {

	const OPTION    = 'kbjobs_chain_templates';
	const MAX_ITEMS = 500;
	const MAX_NAME  = 100;
	const MAX_STEPS = 64;
	const MAX_BYTES = 65536;
	const FIELDS    = array( 'id', 'name', 'steps', 'queue', 'author', 'updated' );

	/**
	 * Every template, by name.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	public static function all(): array {
		$items = array_values( self::load()['items'] );
		usort(
			$items,
			static function ( $a, $b ) {
				$by_name = strcasecmp( $a['name'], $b['name'] );
				return 0 !== $by_name ? $by_name : $a['id'] <=> $b['id'];
			}
		);
		return $items;
	}

	/**
	 * A template by id, or by name (case-insensitive) when $key is not all digits.
	 *
	 * @param string|int $key Id or name.
	 * @return array<string,mixed>
	 * @throws \KBJobs\NotFoundException When there is none.
	 */
	public static function get( $key ): array {
		$items = self::load()['items'];
		if ( is_int( $key ) || ctype_digit( (string) $key ) ) {
			if ( isset( $items[ (int) $key ] ) ) {
				return $items[ (int) $key ];
			}
		} else {
			foreach ( $items as $item ) {
				if ( 0 === strcasecmp( $item['name'], (string) $key ) ) {
					return $item;
				}
			}
		}
		/* translators: %s: a template's id or name */
		throw new \KBJobs\NotFoundException( sprintf( __( 'No chain template %s.', 'kb-jobs' ), (string) $key ) );
	}

	/**
	 * Creates a template.
	 *
	 * @param array<string,mixed> $data name, steps, queue.
	 * @return array<string,mixed> The template.
	 */
	public static function create( array $data ): array {
		return self::write(
			static function ( array $all ) use ( $data ) {
				if ( count( $all['items'] ) >= self::MAX_ITEMS ) {
					/* translators: %d: how many templates may be kept */
					throw new \ValueError( sprintf( __( 'At most %d chain templates are kept: delete one first.', 'kb-jobs' ), self::MAX_ITEMS ) );
				}
				$item = self::clean( $data, $all['items'], 0 );
				$now  = gmdate( 'Y-m-d\TH:i:s\Z' );
				$user = wp_get_current_user();

				$item['id']      = $all['next_id'];
				$item['author']  = $user->exists() ? $user->user_login : '';
				$item['created'] = $now;
				$item['updated'] = $now;

				$all['items'][ $item['id'] ] = $item;
				++$all['next_id'];
				return array( $all, $item );
			}
		);
	}

	/**
	 * Changes a template: its name, steps or queue (a key left out keeps its value).
	 *
	 * @param int                 $id   The template.
	 * @param array<string,mixed> $data name, steps, queue.
	 * @return array<string,mixed> The template as it is now.
	 */
	public static function update( int $id, array $data ): array {
		return self::write(
			static function ( array $all ) use ( $id, $data ) {
				if ( ! isset( $all['items'][ $id ] ) ) {
					/* translators: %d: a template's id */
					throw new \KBJobs\NotFoundException( sprintf( __( 'No chain template %d.', 'kb-jobs' ), $id ) );
				}
				$old  = $all['items'][ $id ];
				$item = self::clean( $data + $old, $all['items'], $id );

				$item['id']      = $id;
				$item['author']  = $old['author'];
				$item['created'] = $old['created'];
				$item['updated'] = gmdate( 'Y-m-d\TH:i:s\Z' );

				$all['items'][ $id ] = $item;
				return array( $all, $item );
			}
		);
	}

	/**
	 * Deletes a template.
	 *
	 * @param int $id The template.
	 * @return array<string,mixed> The template deleted.
	 */
	public static function delete( int $id ): array {
		return self::write(
			static function ( array $all ) use ( $id ) {
				if ( ! isset( $all['items'][ $id ] ) ) {
					/* translators: %d: a template's id */
					throw new \KBJobs\NotFoundException( sprintf( __( 'No chain template %d.', 'kb-jobs' ), $id ) );
				}
				$item = $all['items'][ $id ];
				unset( $all['items'][ $id ] );
				return array( $all, $item );
			}
		);
	}

	/**
	 * A template's steps as the engine's phases: each named "<n>-<type>" (unique, and
	 * what the job's page shows), with its params and weight.
	 *
	 * @param array<int,array<string,mixed>> $steps Steps: type, params, weight.
	 * @return array<int,array<string,mixed>>
	 */
	public static function phases( array $steps ): array {
		$phases = array();
		foreach ( array_values( $steps ) as $i => $step ) {
			$type     = is_string( $step['type'] ?? null ) ? $step['type'] : '';
			$name     = isset( $step['name'] ) && is_string( $step['name'] ) && '' !== $step['name'] ? $step['name'] : substr( ( $i + 1 ) . '-' . $type, 0, 64 );
			$phases[] = array(
				'name'   => $name,
				'type'   => $type,
				'params' => is_array( $step['params'] ?? null ) ? $step['params'] : array(),
				'weight' => is_int( $step['weight'] ?? null ) ? $step['weight'] : (int) ( $step['weight'] ?? 0 ),
			);
		}
		return $phases;
	}

	/**
	 * Checks and normalises a template's name, steps and queue. The chain itself is not
	 * validated here (a template may be saved half-built); running it is.
	 *
	 * @param array<string,mixed>            $data  name, steps, queue.
	 * @param array<int,array<string,mixed>> $items The templates there are.
	 * @param int                            $self  The template's own id (0: a new one).
	 * @return array<string,mixed>
	 * @throws \ValueError When a value does not fit.
	 */
	private static function clean( array $data, array $items, int $self ): array {
		$name = is_string( $data['name'] ?? null ) ? trim( $data['name'] ) : '';
		if ( '' === $name || mb_strlen( $name ) > self::MAX_NAME || preg_match( '/[\x00-\x1f\x7f]/', $name ) ) {
			/* translators: %d: maximum length */
			throw new \ValueError( sprintf( __( 'A template needs a name of 1 to %d characters, without control characters.', 'kb-jobs' ), self::MAX_NAME ) );
		}
		if ( ctype_digit( $name ) ) {
			throw new \ValueError( __( 'A template name cannot be only digits (a number names a template by its id).', 'kb-jobs' ) );
		}
		foreach ( $items as $id => $item ) {
			if ( $id !== $self && 0 === strcasecmp( $item['name'], $name ) ) {
				/* translators: %s: template name */
				throw new \ValueError( sprintf( __( 'A template named "%s" exists already.', 'kb-jobs' ), $item['name'] ) );
			}
		}
		$queue = is_string( $data['queue'] ?? null ) ? $data['queue'] : '';
		if ( '' !== $queue && 1 !== preg_match( '/^[a-z0-9_.-]{1,64}$/D', $queue ) ) {
			throw new \ValueError( __( 'A queue name is 1 to 64 of a-z, 0-9, "_", "." and "-".', 'kb-jobs' ) );
		}
		$steps = $data['steps'] ?? null;
		if ( ! is_array( $steps ) || ! $steps || count( $steps ) > self::MAX_STEPS ) {
			/* translators: %d: maximum number of steps */
			throw new \ValueError( sprintf( __( 'A template has 1 to %d steps.', 'kb-jobs' ), self::MAX_STEPS ) );
		}
		$clean = array();
		foreach ( array_values( $steps ) as $i => $step ) {
			$type   = is_array( $step ) && is_string( $step['type'] ?? null ) ? $step['type'] : '';
			$params = is_array( $step ) ? $step['params'] ?? array() : null;
			$params = $params instanceof \stdClass ? (array) $params : $params;
			if ( 1 !== preg_match( '/^[a-z0-9_.-]{1,64}$/D', $type ) || ! is_array( $params ) || ! is_int( $step['weight'] ?? null ) ) {
				/* translators: %d: step number */
				throw new \ValueError( sprintf( __( 'Step %d must have a type, params (an object) and a weight (a whole number).', 'kb-jobs' ), $i + 1 ) );
			}
			$clean[] = array(
				'type'   => $type,
				'params' => (object) $params,
				'weight' => $step['weight'],
			);
		}
		$item = array(
			'name'  => $name,
			'queue' => $queue,
			'steps' => $clean,
		);
		if ( strlen( (string) wp_json_encode( $item ) ) > self::MAX_BYTES ) {
			/* translators: %d: bytes */
			throw new \ValueError( sprintf( __( 'A template is at most %d bytes of JSON.', 'kb-jobs' ), self::MAX_BYTES ) );
		}
		// Stored as arrays; the params go back to objects when sent as JSON (see load()).
		$item['steps'] = json_decode( (string) wp_json_encode( $clean ), true );
		return $item;
	}

	/**
	 * The option, read afresh from the database (a write under the lock must see the
	 * other process's last write, not this process's cached copy).
	 *
	 * @return array{next_id:int,items:array<int,array<string,mixed>>}
	 */
	private static function load(): array {
		wp_cache_delete( self::OPTION, 'options' );
		wp_cache_delete( 'notoptions', 'options' );
		$all = get_option( self::OPTION );
		if ( ! is_array( $all ) || ! isset( $all['next_id'], $all['items'] ) || ! is_array( $all['items'] ) ) {
			$all = array(
				'next_id' => 1,
				'items'   => array(),
			);
		}
		foreach ( $all['items'] as $id => $item ) {
			// Empty params are stored as [] but are a JSON object to every client.
			foreach ( $item['steps'] as $k => $step ) {
				$all['items'][ $id ]['steps'][ $k ]['params'] = (object) $step['params'];
			}
		}
		return $all;
	}

	/**
	 * Runs a change under the named lock: $change( $all ) returns [$all, $result], and
	 * $all is saved.
	 *
	 * @param callable $change The change.
	 * @return array<string,mixed> Its result.
	 * @throws \KBJobs\DatabaseException When the lock cannot be had within 10 s.
	 */
	private static function write( callable $change ): array {
		global $wpdb;
		$lock = $wpdb->prefix . self::OPTION;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a named lock, not a table: no API for it.
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 10)', $lock ) ) ) {
			throw new \KBJobs\DatabaseException( __( 'The chain templates are being changed by someone else; try again.', 'kb-jobs' ) );
		}
		try {
			list( $all, $result ) = $change( self::load() );
			foreach ( $all['items'] as $id => $item ) {
				$all['items'][ $id ]['steps'] = json_decode( (string) wp_json_encode( $item['steps'] ), true );
			}
			if ( false === get_option( self::OPTION ) ) {
				add_option( self::OPTION, $all, '', false );
			} else {
				update_option( self::OPTION, $all, false );
			}
			foreach ( $result['steps'] as $k => $step ) {
				$result['steps'][ $k ]['params'] = (object) $step['params'];
			}
			return $result;
		} finally {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- releases the named lock taken above.
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) );
		}
	}
}
