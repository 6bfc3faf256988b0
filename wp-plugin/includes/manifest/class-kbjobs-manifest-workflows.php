<?php
/**
 * Workflows: what `wp kb plan <workflow>` turns into a manifest. Each is a callable that
 * takes the command's options and yields manifest lines (arrays), so a plan of a million
 * lines is streamed, never held. Built in:
 *
 * - system-test: --count lines of the diagnostics (--mode echo, sleep, crud,
 *   crud-latency, or mix: the four in turn), spread over --queue (a comma-separated
 *   list, round robin; default: the types' queue). Each line's params carry its number
 *   and the plan's --run label (default: the time it was planned), so each plan is new
 *   work and the same plan dispatched twice is not.
 * - reimport: the source URLs of the imported posts whose artifacts were fetched more
 *   than --older-than days ago, as import lines of up to --per-line URLs; read from the
 *   artifact index a page of posts at a time. Posts with no artifact are left out: that
 *   is the reconciliation's repair, not a reimport.
 *
 * Plugins add workflows with the kbjobs_manifest_workflows filter (name => callable).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The workflows of `wp kb plan`.
 */
final class KBJobs_Manifest_Workflows {

	/** The system test's modes and the diagnostic each plans. */
	const MODES = array(
		'echo'         => 'diag.echo',
		'sleep'        => 'diag.sleep',
		'crud'         => 'diag.crud',
		'crud-latency' => 'diag.crud_latency',
	);

	/** Posts read from the index at a time. */
	const PAGE = 500;

	/**
	 * Every workflow: name => callable( array $opts ): iterable of lines.
	 *
	 * @return array<string,callable>
	 */
	public static function all(): array {
		$builtin = array(
			'system-test' => array( self::class, 'system_test' ),
			'reimport'    => array( self::class, 'reimport' ),
		);
		/**
		 * Filters the workflows `wp kb plan` knows.
		 *
		 * @param array<string,callable> $workflows name => fn( array $opts ): iterable of
		 *                                          manifest lines (arrays: type, params,
		 *                                          and optionally queue, key, priority, id).
		 */
		$all = apply_filters( 'kbjobs_manifest_workflows', $builtin );
		return is_array( $all ) ? array_filter( $all, 'is_callable' ) : $builtin;
	}

	/**
	 * The lines of a workflow.
	 *
	 * @param string $name Workflow.
	 * @param array  $opts Its options.
	 * @return iterable<array>
	 * @throws InvalidArgumentException For an unknown workflow.
	 */
	public static function plan( string $name, array $opts ): iterable {
		$all = self::all();
		if ( ! isset( $all[ $name ] ) ) {
			/* translators: 1: workflow, 2: known workflows */
			throw new InvalidArgumentException( sprintf( __( 'Unknown workflow "%1$s"; known: %2$s.', 'kb-jobs' ), $name, implode( ', ', array_keys( $all ) ) ) );
		}
		return call_user_func( $all[ $name ], $opts );
	}

	/**
	 * A manifest line as written: JSON without spaces, slashes as they are.
	 *
	 * @param array $line The line.
	 * @return string
	 */
	public static function encode( array $line ): string {
		if ( isset( $line['params'] ) && array() === $line['params'] ) {
			$line['params'] = new stdClass();
		}
		return (string) wp_json_encode( $line, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	}

	/**
	 * The system test: --count (default 100), --mode (default mix), --queue (a list,
	 * round robin), --seconds (diag.sleep, default 0.1), --hold-ms (diag.crud_latency,
	 * default 10), --run (a label in every line's params; default the time now).
	 *
	 * @param array $opts Options.
	 * @return Generator<array>
	 * @throws InvalidArgumentException For a bad option.
	 */
	public static function system_test( array $opts ): Generator {
		$count = (int) ( $opts['count'] ?? 100 );
		$mode  = (string) ( $opts['mode'] ?? 'mix' );
		if ( $count < 1 || $count > 100000000 ) {
			throw new InvalidArgumentException( __( '--count must be from 1 to 100000000.', 'kb-jobs' ) );
		}
		if ( 'mix' !== $mode && ! isset( self::MODES[ $mode ] ) ) {
			throw new InvalidArgumentException( __( '--mode must be echo, sleep, crud, crud-latency or mix.', 'kb-jobs' ) );
		}
		$queues = array_values( array_filter( array_map( 'trim', explode( ',', (string) ( $opts['queue'] ?? '' ) ) ) ) );
		foreach ( $queues as $queue ) {
			if ( 1 !== preg_match( '/^[a-z0-9_.-]{1,64}$/D', $queue ) ) {
				/* translators: %s: queue name */
				throw new InvalidArgumentException( sprintf( __( 'Bad queue name "%s".', 'kb-jobs' ), $queue ) );
			}
		}
		$seconds = (float) ( $opts['seconds'] ?? 0.1 );
		$hold    = (int) ( $opts['hold-ms'] ?? 10 );
		$run     = (string) ( $opts['run'] ?? gmdate( 'Ymd\THis\Z' ) );
		$modes   = 'mix' === $mode ? array_keys( self::MODES ) : array( $mode );
		for ( $i = 1; $i <= $count; $i++ ) {
			$m      = $modes[ ( $i - 1 ) % count( $modes ) ];
			$params = array(
				'run' => $run,
				'n'   => $i,
			);
			if ( 'sleep' === $m ) {
				$params['seconds'] = $seconds;
			} elseif ( 'crud-latency' === $m ) {
				$params['hold_ms'] = $hold;
			}
			$line = array(
				'type'   => self::MODES[ $m ],
				'params' => $params,
				'id'     => 'system-test-' . $i,
			);
			if ( $queues ) {
				$line['queue'] = $queues[ ( $i - 1 ) % count( $queues ) ];
			}
			yield $line;
		}
	}

	/**
	 * Reimport: --older-than=<days> (required), --per-line (URLs per import line, default
	 * 100), --post-type (default the plugin's article type).
	 *
	 * @param array $opts Options.
	 * @return Generator<array>
	 * @throws InvalidArgumentException For a bad option.
	 */
	public static function reimport( array $opts ): Generator {
		global $wpdb;
		if ( ! isset( $opts['older-than'] ) || ! is_numeric( $opts['older-than'] ) || (float) $opts['older-than'] < 0 ) {
			throw new InvalidArgumentException( __( 'reimport needs --older-than=<days>.', 'kb-jobs' ) );
		}
		$cutoff    = time() - (float) $opts['older-than'] * DAY_IN_SECONDS;
		$per_line  = max( 1, min( KBJobs_Manifest::MAX_IMPORT_URLS, (int) ( $opts['per-line'] ?? 100 ) ) );
		$post_type = (string) ( $opts['post-type'] ?? KBJobs_Post_Types::article_type() );
		$engine    = KBJobs_Engine::get();
		$after     = 0;
		$urls      = array();
		do {
			// A keyset page of post ids (WordPress's own table, by its primary key).
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a keyset page; nothing to cache.
			$ids = array_map( 'intval', $wpdb->get_col( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE post_type = %s AND ID > %d ORDER BY ID LIMIT %d", $post_type, $after, self::PAGE ) ) );
			if ( ! $ids ) {
				break;
			}
			$after = end( $ids );
			foreach ( array_chunk( $ids, 1000 ) as $chunk ) {
				foreach ( $engine->postSources( $chunk ) as $source ) {
					if ( null !== $source['fetched_at'] && $source['fetched_at'] < $cutoff && false === strpos( $source['url'], '***' ) ) {
						$urls[] = $source['url'];
					}
					if ( count( $urls ) >= $per_line ) {
						yield self::import_line( $urls );
						$urls = array();
					}
				}
			}
			$full = count( $ids ) === self::PAGE;
		} while ( $full );
		if ( $urls ) {
			yield self::import_line( $urls );
		}
	}

	/**
	 * An import line that rewrites the posts of its URLs.
	 *
	 * @param string[] $urls URLs.
	 * @return array
	 */
	private static function import_line( array $urls ): array {
		return array(
			'type'   => 'import',
			'params' => array(
				'urls'    => array_values( $urls ),
				'rewrite' => true,
			),
			'key'    => 'reimport/' . gmdate( 'Y-m-d' ) . '/' . hash( 'sha256', implode( "\n", $urls ) ),
		);
	}
}
