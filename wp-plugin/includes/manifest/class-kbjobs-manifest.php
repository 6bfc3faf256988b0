<?php
/**
 * Manifests: JSON-lines files of planned jobs, one job a line:
 *
 *     {"type": "diag.sleep", "params": {"seconds": 0.1}, "queue": "cloud", "key": "k1", "priority": 0, "id": "a"}
 *
 * type and params are required; queue, key (the idempotency key), priority (-100..100)
 * and id (an operator's label, only echoed back by verify) are optional. Blank lines are
 * skipped; line numbers count every line. A line of type "import" carries the URLs
 * themselves ("urls": a list of 1..1000 http(s) URLs) instead of a stored list: it is
 * dispatched through the import pipeline (the list is stored, then the import submitted).
 *
 * Each line's unique key is its "key", else the sha256 (hex) of its type, a newline
 * and its canonical params (object keys sorted recursively, JSON without spaces), never
 * its line number: dispatching a manifest twice, or a manifest whose lines moved, adds
 * nothing, and verify finds each line's job by the same key. The jobs are submitted with
 * the unique scope "retained": a line whose job completed is not run again while the job
 * is kept (retention removes it after its days; verify then says "missing").
 *
 * Files are read twice, line by line (a validation pass, then the dispatch pass) and
 * jobs submitted in batches, so a manifest of a million lines takes bounded memory: at
 * most one batch of jobs and the first MAX_ERRORS errors are held.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reads, validates, dispatches and verifies manifests.
 */
final class KBJobs_Manifest {

	/** The longest line: a job's params are at most 1 MiB, with room for the rest. */
	const MAX_LINE = 1114112;

	/** Jobs per submitMany() and per read of unique keys. */
	const BATCH = 500;

	/** Errors kept in a report (all are counted). */
	const MAX_ERRORS = 1000;

	/** URLs on one import line. */
	const MAX_IMPORT_URLS = 1000;

	/** The line states verify reports. */
	const STATES = array( 'completed', 'failed', 'pending', 'missing', 'invalid' );

	/** A line's own fields. */
	const FIELDS = array( 'type', 'params', 'queue', 'key', 'priority', 'id' );

	/**
	 * The lines of a manifest file: line number => text without its line end, blank lines
	 * left out; a line over MAX_LINE bytes comes as null (its rest is skipped).
	 *
	 * @param string $path The file.
	 * @return Generator<int,?string>
	 * @throws InvalidArgumentException When the file cannot be read.
	 */
	public static function lines( string $path ): Generator {
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fopen -- streamed line by line.
		$fh = is_file( $path ) ? fopen( $path, 'rb' ) : false;
		if ( ! $fh ) {
			/* translators: %s: file path */
			throw new InvalidArgumentException( sprintf( __( 'Cannot read the manifest %s.', 'kb-jobs' ), $path ) );
		}
		try {
			$no = 0;
			while ( true ) {
				$line = fgets( $fh, self::MAX_LINE + 2 );
				if ( false === $line ) {
					break;
				}
				++$no;
				if ( "\n" !== substr( $line, -1 ) && ! feof( $fh ) ) {
					// Too long: skip to the line's end, report it once.
					do {
						$rest = fgets( $fh, 65536 );
					} while ( false !== $rest && "\n" !== substr( $rest, -1 ) );
					yield $no => null;
					continue;
				}
				$line = rtrim( $line, "\r\n" );
				if ( 1 === $no && 0 === strncmp( $line, "\xEF\xBB\xBF", 3 ) ) {
					$line = substr( $line, 3 );
				}
				if ( '' !== trim( $line ) ) {
					yield $no => $line;
				}
			}
		} finally {
			// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fclose
			fclose( $fh );
		}
	}

	/**
	 * A value with every object's keys sorted, recursively (lists keep their order).
	 *
	 * @param mixed $value A value decoded with objects as stdClass.
	 * @return mixed
	 */
	private static function sorted( $value ) {
		if ( $value instanceof stdClass ) {
			$props = get_object_vars( $value );
			ksort( $props, SORT_STRING );
			foreach ( $props as $k => $v ) {
				$props[ $k ] = self::sorted( $v );
			}
			return (object) $props;
		}
		if ( is_array( $value ) ) {
			return array_map( array( self::class, 'sorted' ), $value );
		}
		return $value;
	}

	/**
	 * Canonical JSON of params: keys sorted recursively, no spaces, slashes and
	 * non-ASCII characters as they are.
	 *
	 * @param mixed $params Params decoded with objects as stdClass (or an array).
	 * @return string
	 */
	public static function canonical( $params ): string {
		if ( is_array( $params ) ) {
			// An array given by PHP code: its objects are its string-keyed arrays.
			$params = json_decode( (string) wp_json_encode( (object) $params ), false );
		}
		return (string) wp_json_encode( self::sorted( $params ), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	}

	/**
	 * The unique key of a line: its key, else sha256(type "\n" canonical params), in hex.
	 *
	 * @param string $type      Job type.
	 * @param string $canonical Its canonical params.
	 * @param string $key       The line's key, or ''.
	 * @return string
	 */
	public static function key_of( string $type, string $canonical, string $key = '' ): string {
		return '' !== $key ? $key : hash( 'sha256', $type . "\n" . $canonical );
	}

	/**
	 * Parses and validates one line.
	 *
	 * @param ?string $text  The line (null: too long).
	 * @param array   $opts  'queue' => default queue ('' for the type's), 'types' => known type names (as keys).
	 * @return array{job?:array,error?:string} The job (type, params, queue, key, priority,
	 *               id, unique_key) or why the line is refused.
	 */
	public static function parse( ?string $text, array $opts ): array {
		if ( null === $text ) {
			/* translators: %d: bytes */
			return array( 'error' => sprintf( __( 'the line is longer than %d bytes', 'kb-jobs' ), self::MAX_LINE ) );
		}
		$line = json_decode( $text, false, 64 );
		if ( ! $line instanceof stdClass ) {
			return array( 'error' => null === $line && JSON_ERROR_NONE !== json_last_error() ? sprintf( 'not JSON: %s', json_last_error_msg() ) : 'not a JSON object' );
		}
		foreach ( array_keys( get_object_vars( $line ) ) as $field ) {
			if ( ! in_array( $field, self::FIELDS, true ) ) {
				/* translators: %s: field name */
				return array( 'error' => sprintf( __( 'unknown field "%s" (a line has type, params, queue, key, priority, id)', 'kb-jobs' ), $field ) );
			}
		}
		$type = $line->type ?? null;
		if ( ! is_string( $type ) || 1 !== preg_match( '/^[a-z0-9_.-]{1,64}$/D', $type ) ) {
			return array( 'error' => __( '"type" must be a job type name: 1 to 64 of a-z, 0-9, "_", "." and "-"', 'kb-jobs' ) );
		}
		if ( ! isset( $opts['types'][ $type ] ) ) {
			/* translators: %s: job type */
			return array( 'error' => sprintf( __( 'unknown job type "%s"', 'kb-jobs' ), $type ) );
		}
		$params = property_exists( $line, 'params' ) ? $line->params : new stdClass();
		if ( ! $params instanceof stdClass ) {
			return array( 'error' => __( '"params" must be a JSON object', 'kb-jobs' ) );
		}
		$queue = $line->queue ?? ( $opts['queue'] ?? '' );
		if ( ! is_string( $queue ) || ( '' !== $queue && 1 !== preg_match( '/^[a-z0-9_.-]{1,64}$/D', $queue ) ) ) {
			return array( 'error' => __( '"queue" must be a queue name: 1 to 64 of a-z, 0-9, "_", "." and "-"', 'kb-jobs' ) );
		}
		$key = $line->key ?? '';
		if ( ! is_string( $key ) || strlen( $key ) > 191 || ( '' !== $key && ! wp_check_invalid_utf8( $key ) ) || ( property_exists( $line, 'key' ) && '' === $key ) ) {
			return array( 'error' => __( '"key" must be 1 to 191 bytes of UTF-8', 'kb-jobs' ) );
		}
		$priority = $line->priority ?? 0;
		if ( ! is_int( $priority ) || $priority < -100 || $priority > 100 ) {
			return array( 'error' => __( '"priority" must be an integer from -100 to 100', 'kb-jobs' ) );
		}
		$label = $line->id ?? '';
		if ( ! is_string( $label ) && ! is_int( $label ) ) {
			return array( 'error' => __( '"id" must be a string or an integer', 'kb-jobs' ) );
		}
		$canonical = self::canonical( $params );
		$array     = json_decode( $canonical, true );
		$error     = 'import' === $type ? self::check_import( $array ) : KBJobs_Engine::get()->checkParams( $type, $array );
		if ( null !== $error ) {
			return array( 'error' => $error );
		}
		return array(
			'job' => array(
				'type'       => $type,
				'params'     => $array,
				'queue'      => $queue,
				'priority'   => $priority,
				'id'         => (string) $label,
				'unique_key' => self::key_of( $type, $canonical, $key ),
			),
		);
	}

	/**
	 * An import line's params: "urls" (1..MAX_IMPORT_URLS http(s) URLs) and import's
	 * other params (its schema checked with a stand-in for the list it will get).
	 *
	 * @param array $params The params.
	 * @return ?string Why they are refused, or null.
	 */
	private static function check_import( array $params ): ?string {
		$urls = $params['urls'] ?? null;
		if ( ! is_array( $urls ) || ! $urls || count( $urls ) > self::MAX_IMPORT_URLS || ! array_is_list( $urls ) ) {
			/* translators: %d: most URLs */
			return sprintf( __( 'params/urls: an import line needs a list of 1 to %d URLs', 'kb-jobs' ), self::MAX_IMPORT_URLS );
		}
		foreach ( $urls as $i => $url ) {
			if ( ! is_string( $url ) || 1 !== preg_match( '#^https?://[^\s/]+#i', $url ) ) {
				/* translators: %d: index */
				return sprintf( __( 'params/urls/%d: must be an http or https URL', 'kb-jobs' ), $i );
			}
		}
		if ( isset( $params['list'] ) ) {
			return __( 'params/list: an import line gives its "urls", not a stored list', 'kb-jobs' );
		}
		unset( $params['urls'] );
		$params['list'] = str_repeat( '0', 16 );
		return KBJobs_Engine::get()->checkParams( 'import', $params );
	}

	/**
	 * The job types this process knows, as keys.
	 *
	 * @return array<string,true>
	 */
	private static function types(): array {
		return array_fill_keys( array_column( KBJobs_Engine::get()->types(), 'name' ), true );
	}

	/**
	 * Validates a whole manifest without dispatching anything.
	 *
	 * @param string $path The file.
	 * @param array  $opts 'queue' => the queue of lines that name none.
	 * @return array ['lines' => jobs read, 'valid' => n, 'invalid' => n, 'errors' =>
	 *               [['line' => n, 'error' => why], ...] (the first MAX_ERRORS),
	 *               'errors_truncated' => bool]
	 */
	public static function validate( string $path, array $opts = array() ): array {
		$opts['types'] = self::types();
		$report        = array(
			'lines'            => 0,
			'valid'            => 0,
			'invalid'          => 0,
			'errors'           => array(),
			'errors_truncated' => false,
		);
		foreach ( self::lines( $path ) as $no => $text ) {
			++$report['lines'];
			$parsed = self::parse( $text, $opts );
			if ( isset( $parsed['job'] ) ) {
				++$report['valid'];
				continue;
			}
			++$report['invalid'];
			if ( count( $report['errors'] ) < self::MAX_ERRORS ) {
				$report['errors'][] = array(
					'line'  => $no,
					'error' => $parsed['error'],
				);
			} else {
				$report['errors_truncated'] = true;
			}
		}
		return $report;
	}

	/**
	 * Dispatches a manifest: validated in full first (nothing is submitted when a line is
	 * invalid, unless skip_invalid), then submitted in batches of BATCH jobs.
	 *
	 * @param string        $path     The file.
	 * @param array         $opts     queue (for lines that name none), backlog, hold,
	 *                                skip_invalid, dry_run.
	 * @param callable|null $progress fn( int $lines_done, int $lines_total ) after each batch.
	 * @return array validate()'s report plus 'dispatched' => bool, 'added', 'existing'.
	 */
	public static function dispatch( string $path, array $opts = array(), ?callable $progress = null ): array {
		$report               = self::validate( $path, $opts );
		$report['added']      = 0;
		$report['existing']   = 0;
		$report['dispatched'] = false;
		if ( ! empty( $opts['dry_run'] ) || ( $report['invalid'] > 0 && empty( $opts['skip_invalid'] ) ) || 0 === $report['valid'] ) {
			return $report;
		}
		$options = array();
		if ( isset( $opts['backlog'] ) && '' !== (string) $opts['backlog'] ) {
			$options['backlog'] = (string) $opts['backlog'];
		}
		if ( ! empty( $opts['hold'] ) ) {
			$options['hold'] = true;
		}
		$opts['types'] = self::types();
		$batch         = array();
		$done          = 0;
		foreach ( self::lines( $path ) as $text ) {
			++$done;
			$parsed = self::parse( $text, $opts );
			if ( ! isset( $parsed['job'] ) ) {
				continue;
			}
			$batch[] = $parsed['job'];
			if ( count( $batch ) >= self::BATCH ) {
				self::submit( $batch, $options, $report );
				$batch = array();
				if ( $progress ) {
					$progress( $done, $report['lines'] );
				}
			}
		}
		if ( $batch ) {
			self::submit( $batch, $options, $report );
		}
		if ( $progress ) {
			$progress( $report['lines'], $report['lines'] );
		}
		$report['dispatched'] = true;
		return $report;
	}

	/**
	 * Submits a batch of parsed lines (one transaction for the plain jobs; an import line
	 * stores its list first, so each is its own submit) and counts added and existing.
	 *
	 * @param array $batch   Parsed jobs.
	 * @param array $options backlog, hold.
	 * @param array $report  Counts to update.
	 */
	private static function submit( array $batch, array $options, array &$report ): void {
		$engine = KBJobs_Engine::get();
		$keys   = array_values( array_unique( array_column( $batch, 'unique_key' ) ) );
		$held   = array();
		foreach ( array_chunk( $keys, 1000 ) as $chunk ) {
			$held += $engine->jobsByUniqueKeys( $chunk );
		}
		$held = array_change_key_case( $held, CASE_LOWER );
		$jobs = array();
		foreach ( $batch as $job ) {
			$lower = strtolower( $job['unique_key'] );
			if ( isset( $held[ $lower ] ) ) {
				++$report['existing'];
				continue;
			}
			$held[ $lower ] = true; // A key twice in one batch: the second is there already.
			$submit         = array(
				'unique_key'   => $job['unique_key'],
				'unique_scope' => 'retained',
				'priority'     => $job['priority'],
			) + $options;
			if ( '' !== $job['queue'] ) {
				$submit['queue'] = $job['queue'];
			}
			if ( 'import' === $job['type'] ) {
				$params = $job['params'];
				$urls   = $params['urls'];
				unset( $params['urls'] );
				$made = KBJobs_Import::start( $urls, $params, 'manifest', $submit );
				++$report[ empty( $made['existed'] ) ? 'added' : 'existing' ];
				continue;
			}
			$jobs[] = array(
				'type'   => $job['type'],
				'params' => $job['params'],
			) + $submit;
		}
		if ( $jobs ) {
			$engine->submitMany( $jobs );
			$report['added'] += count( $jobs );
		}
	}

	/**
	 * The state of a line from its job: completed, failed (a cancelled job too, with
	 * "cancelled" as its error), pending (queued, running, held, interrupted) or missing.
	 *
	 * @param ?array $job The job's toArray(), or null.
	 * @return array{0:string,1:string} State and error.
	 */
	private static function state_of( ?array $job ): array {
		if ( null === $job ) {
			return array( 'missing', '' );
		}
		switch ( $job['status'] ) {
			case 'completed':
				return array( 'completed', '' );
			case 'failed':
				return array( 'failed', (string) ( $job['error'] ?? '' ) );
			case 'cancelled':
				return array( 'failed', 'cancelled' );
			default:
				return array( 'pending', '' );
		}
	}

	/**
	 * Verifies a manifest: each line's job found by its unique key, in batches.
	 *
	 * @param string        $path    The file.
	 * @param array         $opts    queue (as dispatch had it), state (only lines in this
	 *                               state are kept), limit (lines kept, default 1000; 0: none).
	 * @param callable|null $each    fn( array $row ) for every line, kept or not.
	 * @return array ['summary' => [state => n, 'lines' => n, 'all_completed' => bool],
	 *               'lines' => [['line', 'id', 'type', 'key', 'job', 'status', 'state', 'error'], ...],
	 *               'truncated' => bool]
	 */
	public static function verify( string $path, array $opts = array(), ?callable $each = null ): array {
		$opts['types'] = self::types();
		$limit         = isset( $opts['limit'] ) ? max( 0, (int) $opts['limit'] ) : 1000;
		$only          = (string) ( $opts['state'] ?? '' );
		$out           = array(
			'summary'   => array_fill_keys( self::STATES, 0 ) + array(
				'lines'         => 0,
				'all_completed' => false,
			),
			'lines'     => array(),
			'truncated' => false,
		);
		$batch         = array();
		$flush         = static function () use ( &$batch, &$out, $limit, $only, $each ) {
			$keys  = array_values( array_unique( array_filter( array_column( $batch, 'key' ) ) ) );
			$found = array();
			foreach ( array_chunk( $keys, 1000 ) as $chunk ) {
				foreach ( KBJobs_Engine::get()->jobsByUniqueKeys( $chunk ) as $key => $job ) {
					$found[ strtolower( (string) $key ) ] = $job->toArray();
				}
			}
			foreach ( $batch as $row ) {
				if ( 'invalid' !== $row['state'] ) {
					$job                   = $found[ strtolower( $row['key'] ) ] ?? null;
					list( $state, $error ) = self::state_of( $job );
					$row['job']            = $job ? $job['id'] : '';
					$row['status']         = $job ? $job['status'] : '';
					$row['state']          = $state;
					$row['error']          = $error;
				}
				++$out['summary'][ $row['state'] ];
				if ( $each ) {
					$each( $row );
				}
				if ( '' === $only || $only === $row['state'] ) {
					if ( count( $out['lines'] ) < $limit ) {
						$out['lines'][] = $row;
					} else {
						$out['truncated'] = true;
					}
				}
			}
			$batch = array();
		};
		foreach ( self::lines( $path ) as $no => $text ) {
			++$out['summary']['lines'];
			$parsed  = self::parse( $text, $opts );
			$job     = $parsed['job'] ?? null;
			$batch[] = array(
				'line'   => $no,
				'id'     => $job ? $job['id'] : '',
				'type'   => $job ? $job['type'] : '',
				'key'    => $job ? $job['unique_key'] : '',
				'job'    => '',
				'status' => '',
				'state'  => $job ? '' : 'invalid',
				'error'  => $job ? '' : $parsed['error'],
			);
			if ( count( $batch ) >= self::BATCH ) {
				$flush();
			}
		}
		$flush();
		$out['summary']['all_completed'] = $out['summary']['lines'] > 0 && $out['summary']['completed'] === $out['summary']['lines'];
		return $out;
	}
}
