<?php
/**
 * URL lists through the real WP-CLI: `wp kb import` takes a list with a UTF-8 byte-order
 * mark from its first line, and refuses with the reason a UTF-16 list, a list without a
 * valid URL, binary input (/dev/zero on standard input), and standard input without end
 * (at the default line cap, and at a byte cap set through the kbjobs_import_settings
 * filter).
 */

namespace KBJobs\Tests;

final class ListTest extends TestCase {

	/** @var string[] Files to remove after the test. */
	private $files = array();

	protected function setUp(): void {
		if ( ! getenv( 'KBJOBS_FIXTURE_URL' ) ) {
			$this->fail( 'KBJOBS_FIXTURE_URL is not set: run through `make test-wp`' );
		}
		\KBJobs_Engine::get(); // creates the engine's tables on a fresh site
	}

	protected function tearDown(): void {
		global $wpdb;
		foreach ( $this->files as $f ) {
			@unlink( $f );
		}
		// Imports submitted here are not run: they go, with their records.
		$wpdb->query( "DELETE p, m FROM {$wpdb->posts} p LEFT JOIN {$wpdb->postmeta} m ON m.post_id = p.ID WHERE p.post_type = 'kb_import_job'" );
		$wpdb->query( kbjobs_test_jobs_sql( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'import'" ) );
		clean_post_cache( 0 );
		wp_cache_flush();
	}

	private function file( string $bytes ): string {
		$file = tempnam( sys_get_temp_dir(), 'kbjobs-list-' );
		file_put_contents( $file, $bytes );
		$this->files[] = $file;
		return $file;
	}

	/** The import jobs in the queue. */
	private function imports(): int {
		global $wpdb;
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'import'" );
	}

	/**
	 * Runs `wp <args>` with standard input from $stdin: a descriptor spec for proc_open, or
	 * a shell command whose output is piped in. A run that reads its input without end is
	 * killed after 120 s (exit code 137). Returns [exit code, stdout, stderr, seconds].
	 *
	 * @param array|string $stdin
	 * @return array{0:int,1:string,2:string,3:float}
	 */
	private static function wp_fed( $stdin, string ...$args ): array {
		$wp   = getenv( 'KBJOBS_ROOT' ) . '/tools/wp';
		$argv = is_string( $stdin )
			? array_merge( array( 'sh', '-c', $stdin . ' 2>/dev/null | "$0" "$@"', $wp ), $args )
			: array_merge( array( $wp ), $args );
		$argv = array_merge( array( 'timeout', '-s', 'KILL', '120' ), $argv );
		$spec = array(
			0 => is_string( $stdin ) ? array( 'file', '/dev/null', 'r' ) : $stdin,
			1 => array( 'pipe', 'w' ),
			2 => array( 'pipe', 'w' ),
		);
		$t0   = microtime( true );
		$proc = proc_open( $argv, $spec, $pipes );
		if ( ! is_resource( $proc ) ) {
			self::fail( 'cannot start ' . implode( ' ', $argv ) );
		}
		$out = stream_get_contents( $pipes[1] );
		$err = stream_get_contents( $pipes[2] );
		fclose( $pipes[1] );
		fclose( $pipes[2] );
		$code = proc_close( $proc );
		return array( $code, $out, $err, microtime( true ) - $t0 );
	}

	public function test_a_list_with_a_utf8_byte_order_mark_is_taken_from_its_first_line(): void {
		$base = getenv( 'KBJOBS_FIXTURE_URL' );
		$list = $this->file( "\xEF\xBB\xBF{$base}/page/1\n{$base}/page/2\n" );
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $list );
		$this->assertSame( 0, $code, $err );
		$this->assertSame( '', $err, 'no line is rejected' );
		$this->assertMatchesRegularExpression( '/^Success: Import [0-9a-f]{16} submitted: 2 URLs accepted, 0 duplicates dropped, 0 lines rejected\.$/', trim( $out ) );
		$this->assertSame( 1, $this->imports() );
	}

	public function test_a_utf16_list_is_refused_with_the_way_to_convert_it(): void {
		$base = getenv( 'KBJOBS_FIXTURE_URL' );
		$text = "{$base}/page/1\n{$base}/page/2\n";
		$le   = "\xFF\xFE" . implode( '', array_map( static fn ( $c ) => $c . "\0", str_split( $text ) ) );
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $this->file( $le ) );
		$this->assertSame( 1, $code, $out );
		$this->assertSame( "Error: the list is UTF-16 (little-endian); save it as UTF-8 (for example `iconv -f UTF-16 -t UTF-8 list.txt > list-utf8.txt`)\n", $err );

		// Without a byte-order mark, on standard input.
		$be = implode( '', array_map( static fn ( $c ) => "\0" . $c, str_split( $text ) ) );
		list( $code, , $err ) = self::wp_fed( array( 'file', $this->file( $be ), 'r' ), 'kb', 'import', '-' );
		$this->assertSame( 1, $code );
		$this->assertSame( "Error: the list looks like UTF-16 (big-endian, no byte-order mark); save it as UTF-8 (for example `iconv -f UTF-16BE -t UTF-8 list.txt > list-utf8.txt`)\n", $err );
		$this->assertSame( 0, $this->imports() );
	}

	public function test_a_list_without_a_valid_url_names_its_first_rejected_lines(): void {
		$list = $this->file( implode( "\n", array( 'file:///etc/passwd', 'javascript:alert(1)', '# a comment', 'www.example.com/page', str_repeat( 'a', 3000 ), 'http:///x', '', 'http://a b.example/' ) ) . "\n" );
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $list );
		$this->assertSame( 1, $code, $out );
		$this->assertSame( "Error: the list has no valid URL: line 1: scheme must be http or https; line 2: scheme must be http or https; line 4: not a URL; line 5: longer than 2048 bytes; line 6: no host; 1 more line rejected\n", $err );
		$this->assertSame( 0, $this->imports() );
	}

	public function test_binary_input_is_refused_at_once(): void {
		// `wp kb import - < /dev/zero`: its first read decides.
		list( $code, $out, $err, $seconds ) = self::wp_fed( array( 'file', '/dev/zero', 'r' ), 'kb', 'import', '-' );
		$this->assertSame( 1, $code, $out );
		$this->assertSame( "Error: the list looks binary: 8000 of its first 8000 bytes are NUL or other control bytes\n", $err );
		$this->assertLessThan( 30, $seconds );

		// An image: a PNG header and (fixed) noise.
		mt_srand( 7 );
		$png = "\x89PNG\r\n\x1a\n";
		for ( $i = 0; $i < 20000; $i++ ) {
			$png .= chr( mt_rand( 0, 255 ) );
		}
		list( $code, , $err ) = self::wp( 'kb', 'import', $this->file( $png ) );
		$this->assertSame( 1, $code );
		$this->assertMatchesRegularExpression( '/^Error: the list looks binary: \d+ of its first 8000 bytes are NUL or other control bytes\n$/', $err );
		$this->assertSame( 0, $this->imports() );
	}

	public function test_standard_input_without_end_stops_at_a_cap(): void {
		// `yes '' | wp kb import -`: the default line cap.
		list( $code, $out, $err, $seconds ) = self::wp_fed( "yes ''", 'kb', 'import', '-' );
		$this->assertSame( 1, $code, $out );
		$this->assertSame( "Error: the list has more than 5000000 lines (the max_list_lines setting)\n", $err );
		$this->assertLessThan( 60, $seconds );

		// A byte cap from the kbjobs_import_settings filter (set in a file WP-CLI loads first).
		$hook = $this->file( "<?php\nWP_CLI::add_wp_hook( 'kbjobs_import_settings', static function ( \$s ) {\n\treturn array( 'max_list_bytes' => 1048576 ) + \$s;\n} );\n" );
		$url  = getenv( 'KBJOBS_FIXTURE_URL' ) . '/page/1';
		list( $code, $out, $err ) = self::wp_fed( 'yes ' . escapeshellarg( $url ), '--require=' . $hook, 'kb', 'import', '-' );
		$this->assertSame( 1, $code, $out );
		$this->assertSame( "Error: the list is larger than 1048576 bytes (the max_list_bytes setting)\n", $err );
		$this->assertSame( 0, $this->imports() );
	}
}
