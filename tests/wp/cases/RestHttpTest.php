<?php
/**
 * The kbjobs/v1 REST API over real HTTP, authenticated as WordPress does it: a logged-in
 * cookie with a valid X-WP-Nonce (200), a bad nonce (403 rest_cookie_invalid_nonce), no
 * nonce (the cookie is ignored: 401), an application password (WP_ENVIRONMENT_TYPE is
 * local, so they work over plain HTTP) as administrator and as subscriber; a list
 * uploaded as a multipart file, in parts beyond the upload limit, and as URLs in the
 * body, with rejected lines and their numbers in the answer; hostile strings served as
 * JSON text.
 */

namespace KBJobs\Tests;

final class RestHttpTest extends TestCase {

	/** @var array<string,array{id:int,login:string,pass:string}> Users by role. */
	private static $users = array();

	/** @var string[] Files to remove. */
	private $files = array();

	public static function setUpBeforeClass(): void {
		\KBJobs_Engine::get();
		foreach ( array( 'administrator', 'subscriber' ) as $role ) {
			$login = 'http_' . $role;
			$user  = get_user_by( 'login', $login );
			if ( $user ) {
				require_once ABSPATH . 'wp-admin/includes/user.php';
				wp_delete_user( $user->ID );
			}
			$pass                 = wp_generate_password( 24, false );
			self::$users[ $role ] = array(
				'id'    => wp_insert_user(
					array(
						'user_login' => $login,
						'user_pass'  => $pass,
						'user_email' => $login . '@example.test',
						'role'       => $role,
					)
				),
				'login' => $login,
				'pass'  => $pass,
			);
		}
	}

	public static function tearDownAfterClass(): void {
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( self::$users as $user ) {
			wp_delete_user( $user['id'] );
		}
		global $wpdb;
		$wpdb->query( "DELETE p, m FROM {$wpdb->posts} p LEFT JOIN {$wpdb->postmeta} m ON m.post_id = p.ID WHERE p.post_type = 'kb_import_job'" );
		$wpdb->query( kbjobs_test_jobs_sql( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE type = 'import' OR queue = 'http-test'" ) );
		wp_cache_flush();
	}

	protected function tearDown(): void {
		foreach ( $this->files as $f ) {
			@unlink( $f );
		}
	}

	/**
	 * One HTTP request to the site.
	 *
	 * @param array<string,string> $headers Extra headers.
	 * @param string|array|null    $body    A JSON-encoded string, or multipart fields (CURLFile for files).
	 * @return array{status:int,headers:array<string,string>,body:string,json:mixed}
	 */
	private static function http( string $method, string $path, array $headers = array(), $body = null, ?string $cookies = null ): array {
		$ch   = curl_init( getenv( 'KBJOBS_WP_URL' ) . $path );
		$head = array();
		foreach ( $headers as $k => $v ) {
			$head[] = "$k: $v";
		}
		if ( is_string( $body ) && ! isset( $headers['Content-Type'] ) ) {
			$head[] = 'Content-Type: application/json';
		}
		$got = array();
		curl_setopt_array(
			$ch,
			array(
				CURLOPT_CUSTOMREQUEST  => $method,
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_HTTPHEADER     => $head,
				CURLOPT_TIMEOUT        => 60,
				CURLOPT_HEADERFUNCTION => static function ( $ch, $line ) use ( &$got ) {
					$parts = explode( ':', $line, 2 );
					if ( 2 === count( $parts ) ) {
						$got[ strtolower( trim( $parts[0] ) ) ] = trim( $parts[1] );
					}
					return strlen( $line );
				},
			)
		);
		if ( null !== $body ) {
			curl_setopt( $ch, CURLOPT_POSTFIELDS, $body );
		}
		if ( null !== $cookies ) {
			curl_setopt( $ch, CURLOPT_COOKIEFILE, $cookies );
			curl_setopt( $ch, CURLOPT_COOKIEJAR, $cookies );
		}
		$out = curl_exec( $ch );
		self::assertNotFalse( $out, curl_error( $ch ) );
		$status = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
		curl_close( $ch );
		return array(
			'status'  => $status,
			'headers' => $got,
			'body'    => $out,
			'json'    => json_decode( $out, true ),
		);
	}

	/** Logs in through wp-login.php; returns the cookie jar and a wp_rest nonce. */
	private function login( string $role ): array {
		$jar           = tempnam( sys_get_temp_dir(), 'kbjobs-cookies-' );
		$this->files[] = $jar;
		$user          = self::$users[ $role ];
		self::http( 'GET', '/wp-login.php', array(), null, $jar ); // the test cookie
		$r = self::http(
			'POST',
			'/wp-login.php',
			array( 'Content-Type' => 'application/x-www-form-urlencoded' ),
			http_build_query(
				array(
					'log'        => $user['login'],
					'pwd'        => $user['pass'],
					'testcookie' => 1,
					'wp-submit'  => 'Log In',
				)
			),
			$jar
		);
		$this->assertSame( 302, $r['status'], 'logged in: ' . substr( $r['body'], 0, 500 ) );
		$nonce = self::http( 'GET', '/wp-admin/admin-ajax.php?action=rest-nonce', array(), null, $jar );
		$this->assertSame( 200, $nonce['status'] );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{10}$/', $nonce['body'] );
		return array( $jar, $nonce['body'] );
	}

	private static function app_password( string $role ): string {
		$user = self::$users[ $role ];
		list( $password ) = \WP_Application_Passwords::create_new_application_password( $user['id'], array( 'name' => 'kbjobs tests ' . uniqid() ) );
		return 'Basic ' . base64_encode( $user['login'] . ':' . $password );
	}

	public function test_cookie_auth_needs_a_valid_nonce(): void {
		list( $jar, $nonce ) = $this->login( 'administrator' );
		$r = self::http( 'GET', '/wp-json/kbjobs/v1/jobs?per_page=1', array( 'X-WP-Nonce' => $nonce ), null, $jar );
		$this->assertSame( 200, $r['status'], $r['body'] );
		$this->assertStringStartsWith( 'application/json', $r['headers']['content-type'] );

		$r = self::http( 'GET', '/wp-json/kbjobs/v1/jobs', array( 'X-WP-Nonce' => 'deadbeef00' ), null, $jar );
		$this->assertSame( 403, $r['status'] );
		$this->assertSame( 'rest_cookie_invalid_nonce', $r['json']['code'] );

		$r = self::http( 'GET', '/wp-json/kbjobs/v1/jobs', array(), null, $jar );
		$this->assertSame( 401, $r['status'], 'a cookie without a nonce counts as nobody' );
		$this->assertSame( 'rest_forbidden', $r['json']['code'] );

		$r = self::http( 'POST', '/wp-json/kbjobs/v1/queues/http-test', array(), wp_json_encode( array( 'paused' => true ) ), $jar );
		$this->assertSame( 401, $r['status'], 'no nonce, no action: the cookie alone cannot be ridden (CSRF)' );

		$r = self::http( 'POST', '/wp-json/kbjobs/v1/queues/http-test', array( 'X-WP-Nonce' => $nonce ), wp_json_encode( array( 'paused' => true ) ), $jar );
		$this->assertSame( 200, $r['status'], $r['body'] );
		$this->assertTrue( (bool) $r['json']['paused'] );
		$r = self::http( 'POST', '/wp-json/kbjobs/v1/queues/http-test', array( 'X-WP-Nonce' => $nonce ), wp_json_encode( array( 'paused' => false ) ), $jar );
		$this->assertFalse( (bool) $r['json']['paused'] );

		$entry = \KBJobs_Engine::get()->auditLog( array( 'action' => 'queue.pause', 'limit' => 1 ) )['entries'][0];
		$this->assertSame( 'rest', $entry['source'] );
		$this->assertSame( 'http_administrator', $entry['user_login'] );
	}

	public function test_a_subscriber_is_refused_whatever_the_authentication(): void {
		list( $jar, $nonce ) = $this->login( 'subscriber' );
		$r = self::http( 'GET', '/wp-json/kbjobs/v1/jobs', array( 'X-WP-Nonce' => $nonce ), null, $jar );
		$this->assertSame( 403, $r['status'] );
		$this->assertSame( 'rest_forbidden', $r['json']['code'] );
		$r = self::http( 'GET', '/wp-json/kbjobs/v1/status', array( 'Authorization' => self::app_password( 'subscriber' ) ) );
		$this->assertSame( 403, $r['status'] );
		$r = self::http( 'GET', '/wp-json/kbjobs/v1/status' );
		$this->assertSame( 401, $r['status'] );
	}

	public function test_application_passwords_work_for_scripts(): void {
		$auth = self::app_password( 'administrator' );
		$r    = self::http( 'GET', '/wp-json/kbjobs/v1/status', array( 'Authorization' => $auth ) );
		$this->assertSame( 200, $r['status'], $r['body'] );
		$this->assertArrayHasKey( 'jobs', $r['json'] );
		$r = self::http( 'POST', '/wp-json/kbjobs/v1/jobs', array( 'Authorization' => $auth ), wp_json_encode( array( 'type' => 'diag.echo', 'options' => array( 'queue' => 'http-test', 'delay' => 3600 ) ) ) );
		$this->assertSame( 201, $r['status'], $r['body'] );
		$id = $r['json']['id'];
		$r  = self::http( 'GET', '/wp-json/kbjobs/v1/jobs/' . $id, array( 'Authorization' => $auth ) );
		$this->assertSame( 'queued', $r['json']['status'] );
		$r = self::http( 'GET', '/wp-json/kbjobs/v1/jobs/..%2F..%2Fetc%2Fpasswd', array( 'Authorization' => $auth ) );
		$this->assertContains( $r['status'], array( 400, 404 ) );
		$this->assertStringNotContainsString( 'root:', $r['body'] );
		$r = self::http( 'GET', '/wp-json/kbjobs/v1/jobs', array( 'Authorization' => 'Basic ' . base64_encode( 'http_administrator:wrong password' ) ) );
		$this->assertSame( 401, $r['status'], 'a wrong password is nobody' );
	}

	public function test_imports_from_a_file_from_parts_and_from_urls_with_rejected_lines(): void {
		$auth          = self::app_password( 'administrator' );
		$base          = getenv( 'KBJOBS_FIXTURE_URL' );
		$list          = tempnam( sys_get_temp_dir(), 'kbjobs-list-' );
		$this->files[] = $list;
		file_put_contents( $list, "$base/page/1\nnot a url\n$base/page/2\n\njavascript:alert(1)\n" );

		$r = self::http( 'POST', '/wp-json/kbjobs/v1/imports', array( 'Authorization' => $auth ), array( 'list' => new \CURLFile( $list, 'text/plain', 'urls.txt' ), 'sink' => 'bulk' ) );
		$this->assertSame( 201, $r['status'], $r['body'] );
		$this->assertSame( 2, $r['json']['accepted'] );
		$this->assertSame( 2, $r['json']['rejected'] );
		$this->assertSame( array( 2, 5 ), array_column( $r['json']['rejections'], 'line' ) );
		$this->assertStringEndsWith( '/kbjobs/v1/imports/' . $r['json']['id'], $r['headers']['location'] );
		$import = self::http( 'GET', '/wp-json/kbjobs/v1/imports/' . $r['json']['id'], array( 'Authorization' => $auth ) );
		$this->assertSame( 'urls.txt', $import['json']['source'] );
		$this->assertSame( 'import', $import['json']['type'] );

		// In parts, as a client does for a list beyond the upload limit.
		$r = self::http( 'POST', '/wp-json/kbjobs/v1/imports/uploads', array( 'Authorization' => $auth ) );
		$this->assertSame( 201, $r['status'], $r['body'] );
		$upload = $r['json']['upload'];
		$text   = "$base/page/3\n$base/page/4\n$base/page/5\n";
		$parts  = array( substr( $text, 0, 17 ), substr( $text, 17, 30 ), substr( $text, 47 ) );
		$offset = 0;
		foreach ( $parts as $i => $part ) {
			$file          = tempnam( sys_get_temp_dir(), 'kbjobs-part-' );
			$this->files[] = $file;
			file_put_contents( $file, $part );
			$r = self::http( 'POST', "/wp-json/kbjobs/v1/imports/uploads/$upload", array( 'Authorization' => $auth ), array( 'part' => new \CURLFile( $file ), 'offset' => (string) $offset ) );
			$this->assertSame( 200, $r['status'], $r['body'] );
			$offset += strlen( $part );
			$this->assertSame( $offset, $r['json']['bytes'] );
			if ( 1 === $i ) {
				// The same part again (its answer was lost): refused, nothing doubled.
				$r = self::http( 'POST', "/wp-json/kbjobs/v1/imports/uploads/$upload", array( 'Authorization' => $auth ), array( 'part' => new \CURLFile( $file ), 'offset' => (string) ( $offset - strlen( $part ) ) ) );
				$this->assertSame( 409, $r['status'] );
				$this->assertSame( $offset, $r['json']['data']['bytes'] );
			}
		}
		$r = self::http( 'POST', '/wp-json/kbjobs/v1/imports', array( 'Authorization' => $auth ), wp_json_encode( array( 'upload' => $upload ) ) );
		$this->assertSame( 201, $r['status'], $r['body'] );
		$this->assertSame( 3, $r['json']['accepted'] );
		$r = self::http( 'POST', '/wp-json/kbjobs/v1/imports', array( 'Authorization' => $auth ), wp_json_encode( array( 'upload' => $upload ) ) );
		$this->assertSame( 404, $r['status'], 'an upload is imported once' );

		// Another user's upload is not theirs to read.
		$r = self::http( 'POST', '/wp-json/kbjobs/v1/imports/uploads', array( 'Authorization' => $auth ) );
		wp_set_current_user( self::$users['subscriber']['id'] );
		$this->assertSame( '', \KBJobs_Uploads::path( $r['json']['upload'] ) );
		wp_set_current_user( 0 );

		// URLs in the body; a list without a valid URL is refused with the reason.
		$r = self::http( 'POST', '/wp-json/kbjobs/v1/imports', array( 'Authorization' => $auth ), wp_json_encode( array( 'urls' => array( "$base/page/6", 'ftp://x' ) ) ) );
		$this->assertSame( 201, $r['status'], $r['body'] );
		$this->assertSame( 1, $r['json']['accepted'] );
		$r = self::http( 'POST', '/wp-json/kbjobs/v1/imports', array( 'Authorization' => $auth ), wp_json_encode( array( 'urls' => "nothing here\n<script>alert(1)</script>" ) ) );
		$this->assertSame( 400, $r['status'], $r['body'] );
		$this->assertSame( 'kbjobs_invalid', $r['json']['code'] );
		$this->assertStringNotContainsString( '<script>', $r['body'], 'the excerpt is JSON-escaped' );
		$r = self::http( 'POST', '/wp-json/kbjobs/v1/imports', array( 'Authorization' => $auth ), wp_json_encode( array() ) );
		$this->assertSame( 400, $r['status'] );

		$imports = self::http( 'GET', '/wp-json/kbjobs/v1/imports?per_page=10', array( 'Authorization' => $auth ) );
		$this->assertGreaterThanOrEqual( 3, count( $imports['json'] ) );
	}

	public function test_hostile_strings_are_served_as_json_text(): void {
		$auth   = self::app_password( 'administrator' );
		$engine = \KBJobs_Engine::get();
		$xss    = '<script>alert(1)</script><svg onload=alert(2)>';
		$id     = $engine->submit( 'diag.echo', array( 'title' => $xss ), array( 'queue' => 'http-test', 'delay' => 3600 ) );
		$engine->log( $id, 'warning', $xss );
		foreach ( array( "/wp-json/kbjobs/v1/jobs/$id", "/wp-json/kbjobs/v1/jobs/$id/logs" ) as $path ) {
			$r = self::http( 'GET', $path, array( 'Authorization' => $auth ) );
			$this->assertSame( 200, $r['status'] );
			$this->assertStringStartsWith( 'application/json', $r['headers']['content-type'] );
			$this->assertSame( 'nosniff', $r['headers']['x-content-type-options'] );
			$this->assertStringNotContainsString( '<script>', $r['body'] );
			$this->assertStringNotContainsString( '<svg', $r['body'] );
			$this->assertStringContainsString( '\\u003Cscript\\u003Ealert(1)', $r['body'] );
			$this->assertStringContainsString( $xss, (string) json_encode( $r['json'], JSON_UNESCAPED_SLASHES ), 'decoded, the text is intact' );
		}
	}
}
