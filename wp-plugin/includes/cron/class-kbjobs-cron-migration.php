<?php
/**
 * Moves WP-Cron's events between core's `cron` option and the engine's events table,
 * both ways, losing none and duplicating none:
 *
 * - in(): every event of the option into the engine (its EXACT mode: the same hook,
 *   args and time replace, nothing is refused, so importing twice changes nothing), rows
 *   the option no longer has (left by a fall-back, then run or removed by core) deleted,
 *   then the option emptied to array( 'version' => 2 ) and the state set to 'kbjobs'.
 *   An entry the engine refuses (a hook longer than the table allows, a recurring entry
 *   with no interval anywhere) is kept in the `kbjobs_cron_unimported` option and given
 *   back to core by out() and fall_back().
 * - out(): every event core's API sees written back into the option (merged with what
 *   is there), then the engine's rows deleted, the state set to 'core'.
 * - fall_back(): the same without the extension (a PHP upgrade left it behind): the
 *   events read through $wpdb with KBJobs_Cron_Store's statement and written into the
 *   option, so core takes over instead of seeing no events at all. The rows stay; the
 *   next in() reconciles them with the option.
 *
 * Each move runs under a MariaDB named lock taken through $wpdb (released by the server
 * if the request dies), and re-reads the state under it, so two requests that both
 * found the state behind move the events once. An event scheduled through the adapter
 * by another request while out() runs may be lost: disabling is an operator's action.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The moves of the events between the option and the engine.
 */
final class KBJobs_Cron_Migration {

	/**
	 * Entries of the option the engine refused, kept for core.
	 */
	const UNIMPORTED_OPTION = 'kbjobs_cron_unimported';

	/**
	 * How long a move waits for another one, in seconds.
	 */
	const LOCK_WAIT = 30;

	/**
	 * Imports the option's events into the engine (see the class).
	 *
	 * @return bool Whether the events are in the engine now (false: the lock was not
	 *              had, or the database refused; the option is then untouched).
	 */
	public static function in(): bool {
		if ( ! self::lock() ) {
			return false;
		}
		$hooked = KBJobs_Cron_Adapter::added();
		KBJobs_Cron_Adapter::remove();
		try {
			if ( 'kbjobs' === self::fresh_state() ) {
				return true;
			}
			$crons  = self::fresh_cron_array();
			$engine = KBJobs_Engine::get();
			foreach ( self::engine_events( $engine ) as $event ) {
				if ( ! isset( $crons[ $event['timestamp'] ][ $event['hook'] ][ $event['args_key'] ] ) ) {
					$engine->cronUnschedule( $event['hook'], $event['args_key'], $event['timestamp'] );
				}
			}
			$refused = array();
			foreach ( $crons as $timestamp => $hooks ) {
				foreach ( is_array( $hooks ) ? $hooks : array() as $hook => $entries ) {
					foreach ( is_array( $entries ) ? $entries : array() as $key => $entry ) {
						try {
							KBJobs_Cron_Adapter::import( (int) $timestamp, (string) $hook, (string) $key, $entry );
						} catch ( \ValueError | \TypeError $e ) {
							$refused[ $timestamp ][ $hook ][ $key ] = $entry;
						}
					}
				}
			}
			update_option( 'cron', array( 'version' => 2 ) );
			if ( $refused ) {
				update_option( self::UNIMPORTED_OPTION, $refused, false );
			} else {
				delete_option( self::UNIMPORTED_OPTION );
			}
			update_option( KBJobs_Cron::STATE_OPTION, 'kbjobs' );
			return true;
		} catch ( \KBJobs\Exception $e ) {
			return false;
		} finally {
			self::unlock();
			KBJobs_Cron_Store::invalidate();
			if ( $hooked ) {
				KBJobs_Cron_Adapter::add();
			}
		}
	}

	/**
	 * Writes the engine's events back into the option and deletes them from the engine
	 * (see the class). The adapter is unhooked for the rest of the request.
	 *
	 * @return bool Whether the events are in the option now.
	 */
	public static function out(): bool {
		if ( ! self::lock() ) {
			return false;
		}
		KBJobs_Cron_Adapter::remove();
		try {
			if ( 'kbjobs' !== self::fresh_state() ) {
				return true;
			}
			$engine = KBJobs_Engine::get();
			$events = self::engine_events( $engine );
			$crons  = self::without_pairs(
				self::fresh_cron_array(),
				array_map( static fn( $e ) => array( $e['hook'], $e['args_key'] ), $events )
			);
			foreach ( $events as $event ) {
				$entry = array(
					'schedule' => null === $event['schedule'] ? false : $event['schedule'],
					'args'     => maybe_unserialize( $event['args_php'] ),
				);
				if ( null !== $event['schedule'] ) {
					$entry['interval'] = (int) $event['interval'];
				}
				$crons[ $event['timestamp'] ][ $event['hook'] ][ $event['args_key'] ] = $entry;
			}
			self::write_option( $crons );
			$pairs = array();
			foreach ( $events as $event ) {
				$pairs[ $event['hook'] . "\0" . $event['args_key'] ] = array( $event['hook'], $event['args_key'] );
			}
			foreach ( $pairs as $pair ) {
				$engine->cronClear( $pair[0], $pair[1] );
			}
			update_option( KBJobs_Cron::STATE_OPTION, 'core' );
			return true;
		} catch ( \KBJobs\Exception $e ) {
			return false;
		} finally {
			self::unlock();
			KBJobs_Cron_Store::invalidate();
		}
	}

	/**
	 * Without the extension: the events read through $wpdb written into the option, the
	 * state set to 'core' (see the class). Does nothing when the state is 'core'.
	 *
	 * @return bool Whether the events are in the option now.
	 */
	public static function fall_back(): bool {
		global $wpdb;
		if ( 'kbjobs' !== KBJobs_Cron::state() ) {
			return true;
		}
		if ( ! self::lock() ) {
			return false;
		}
		try {
			if ( 'kbjobs' !== self::fresh_state() ) {
				return true;
			}
			$table = $wpdb->prefix . 'kbjobs_cron_events';
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching -- whether the engine's table is there at all.
			$exists = $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) );
			$rows   = $exists ? KBJobs_Cron_Store::fetch() : array();
			if ( null === $rows ) {
				// The database answered with an error: core keeps the option as it is
				// and the next request tries again.
				return false;
			}
			$crons = self::without_pairs( self::fresh_cron_array(), array_map( static fn( $r ) => array( $r[1], $r[2] ), $rows ) );
			foreach ( $rows as $row ) {
				$crons[ $row[6] ][ $row[1] ][ $row[2] ] = KBJobs_Cron_Store::entry( $row );
			}
			self::write_option( $crons );
			update_option( KBJobs_Cron::STATE_OPTION, 'core' );
			return true;
		} finally {
			self::unlock();
			KBJobs_Cron_Store::invalidate();
		}
	}

	/**
	 * Takes in what was scheduled in the option before the plugin loaded (core's
	 * recovery mode does it in wp-settings.php before regular plugins load; mu-plugins
	 * can): such code asked wp_next_scheduled() of the option, which the adapter empties,
	 * so it scheduled its event there again.
	 *
	 * - An entry whose hook and arguments the engine already has is what that code would
	 *   not have scheduled had it seen the engine: it is left in the option as it is, so
	 *   the same code finds it on the next request and schedules nothing (no write on
	 *   any request; the adapter hides the option, so it never runs from there).
	 * - An entry the engine does not have is a new event: imported (EXACT) and removed
	 *   from the option, once.
	 *
	 * out() and fall_back() drop the left entries of pairs the engine gives back.
	 *
	 * @param array $option The `cron` option as core holds it, read before the adapter.
	 */
	public static function sweep( array $option ): void {
		unset( $option['version'] );
		$taken = false;
		foreach ( $option as $timestamp => $hooks ) {
			foreach ( is_array( $hooks ) ? $hooks : array() as $hook => $entries ) {
				foreach ( is_array( $entries ) ? $entries : array() as $key => $entry ) {
					if ( KBJobs_Cron_Store::count( (string) $hook, (string) $key ) > 0 ) {
						continue;
					}
					try {
						KBJobs_Cron_Adapter::import( (int) $timestamp, (string) $hook, (string) $key, $entry );
					} catch ( \KBJobs\Exception | \ValueError | \TypeError $e ) {
						// Left in the option: the next request tries again.
						continue;
					}
					unset( $option[ $timestamp ][ $hook ][ $key ] );
					if ( empty( $option[ $timestamp ][ $hook ] ) ) {
						unset( $option[ $timestamp ][ $hook ] );
					}
					if ( empty( $option[ $timestamp ] ) ) {
						unset( $option[ $timestamp ] );
					}
					$taken = true;
				}
			}
		}
		if ( $taken ) {
			$hooked = KBJobs_Cron_Adapter::added();
			KBJobs_Cron_Adapter::remove();
			$option['version'] = 2;
			update_option( 'cron', $option );
			if ( $hooked ) {
				KBJobs_Cron_Adapter::add();
			}
		}
	}

	/**
	 * Drops from a cron array the entries of the pairs (hook and key) that `$events`
	 * hold: what sweep() left there, older copies of the events being given back.
	 *
	 * @param array $crons  Cron array without 'version'.
	 * @param array $events [ hook, key ] pairs.
	 * @return array
	 */
	private static function without_pairs( array $crons, array $events ): array {
		$pairs = array();
		foreach ( $events as $event ) {
			$pairs[ $event[0] ][ $event[1] ] = true;
		}
		foreach ( $crons as $timestamp => $hooks ) {
			foreach ( is_array( $hooks ) ? $hooks : array() as $hook => $entries ) {
				foreach ( array_keys( is_array( $entries ) ? $entries : array() ) as $key ) {
					if ( isset( $pairs[ $hook ][ $key ] ) ) {
						unset( $crons[ $timestamp ][ $hook ][ $key ] );
					}
				}
				if ( empty( $crons[ $timestamp ][ $hook ] ) ) {
					unset( $crons[ $timestamp ][ $hook ] );
				}
			}
			if ( empty( $crons[ $timestamp ] ) ) {
				unset( $crons[ $timestamp ] );
			}
		}
		return $crons;
	}

	/**
	 * Every event core's API sees, from the engine, in id order.
	 *
	 * @param \KBJobs\Engine $engine The engine.
	 * @return array<int,array<string,mixed>>
	 */
	private static function engine_events( \KBJobs\Engine $engine ): array {
		$events = array();
		$after  = 0;
		do {
			$page = $engine->cronEvents(
				array(
					'visible_only' => true,
					'order'        => 'id',
					'after'        => $after,
					'limit'        => 1000,
				)
			);
			foreach ( $page as $event ) {
				$events[] = $event;
				$after    = (int) $event['id'];
			}
			$full = 1000 === count( $page );
		} while ( $full );
		return $events;
	}

	/**
	 * Writes a cron array into the option, with the entries the engine refused merged
	 * back in, sorted as core sorts it; the unimported entries are then the option's.
	 *
	 * @param array $crons Cron array without 'version'.
	 */
	private static function write_option( array $crons ): void {
		$refused = get_option( self::UNIMPORTED_OPTION );
		foreach ( is_array( $refused ) ? $refused : array() as $timestamp => $hooks ) {
			foreach ( $hooks as $hook => $entries ) {
				foreach ( $entries as $key => $entry ) {
					$crons[ $timestamp ][ $hook ][ $key ] = $entry;
				}
			}
		}
		uksort( $crons, 'strnatcasecmp' );
		$crons['version'] = 2;
		update_option( 'cron', $crons );
		delete_option( self::UNIMPORTED_OPTION );
	}

	/**
	 * The `cron` option as the database holds it now (not as this request cached it),
	 * read with the adapter unhooked, without 'version'.
	 *
	 * @return array
	 */
	private static function fresh_cron_array(): array {
		wp_cache_delete( 'alloptions', 'options' );
		wp_cache_delete( 'cron', 'options' );
		wp_cache_delete( 'notoptions', 'options' );
		$crons = get_option( 'cron' );
		if ( ! is_array( $crons ) ) {
			return array();
		}
		unset( $crons['version'] );
		return $crons;
	}

	/**
	 * The state as the database holds it now (another request may have moved the events
	 * since this one read its options).
	 *
	 * @return string 'kbjobs' or 'core'.
	 */
	private static function fresh_state(): string {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching -- read past the options cache on purpose, under the lock.
		$state = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", KBJobs_Cron::STATE_OPTION ) );
		wp_cache_delete( 'alloptions', 'options' );
		wp_cache_delete( KBJobs_Cron::STATE_OPTION, 'options' );
		return 'kbjobs' === $state ? 'kbjobs' : 'core';
	}

	/**
	 * The name of this site's lock (named locks are server-wide).
	 *
	 * @return string
	 */
	private static function lock_name(): string {
		global $wpdb;
		return 'kbjobs_cron_move_' . substr( md5( DB_NAME . '|' . $wpdb->prefix ), 0, 16 );
	}

	/**
	 * Takes the lock, waiting for a move in another request to end.
	 *
	 * @return bool Whether it was had.
	 */
	private static function lock(): bool {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching -- a named lock, nothing to cache.
		return '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, %d)', self::lock_name(), self::LOCK_WAIT ) );
	}

	/**
	 * Releases the lock.
	 */
	private static function unlock(): void {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching -- a named lock, nothing to cache.
		$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', self::lock_name() ) );
	}
}
