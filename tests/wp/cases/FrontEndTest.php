<?php
/**
 * The site's front end over HTTP, as a visitor sees it: the home page and imported
 * articles at their permalinks, rendered by the block theme Twenty Twenty-Three (installed
 * and activated by tools/wordpress.sh), with hostile titles and content shown as text.
 */

namespace KBJobs\Tests;

final class FrontEndTest extends TestCase {

	/** @var string The fixture page whose <title> carries scripts and handlers. */
	const XSS_TITLE = '/hostile/xss-title';

	/** @var array<string,\WP_Post> The imported posts by fixture path. */
	private static $posts = array();

	/** One import of the pages every test looks at, through the real WP-CLI. */
	public static function setUpBeforeClass(): void {
		if ( ! getenv( 'KBJOBS_FIXTURE_URL' ) ) {
			self::fail( 'KBJOBS_FIXTURE_URL is not set: run through `make test-wp`' );
		}
		\KBJobs_Engine::get(); // creates the engine's tables on a fresh site
		self::delete_articles();
		$base  = getenv( 'KBJOBS_FIXTURE_URL' );
		$paths = array( '/page/3', self::XSS_TITLE, '/hostile/xss' );
		$list  = tempnam( sys_get_temp_dir(), 'kbjobs-list-' );
		file_put_contents( $list, $base . implode( "\n" . $base, $paths ) . "\n" );
		list( $code, $out, $err ) = self::wp( 'kb', 'import', $list, '--wait' );
		unlink( $list );
		self::assertSame( 0, $code, $out . $err );
		foreach ( $paths as $path ) {
			$found = get_posts( array( 'post_type' => 'kb_article', 'meta_key' => '_kbjobs_source_url', 'meta_value' => $base . $path ) );
			self::assertCount( 1, $found, "one published post for $path" );
			self::$posts[ $path ] = $found[0];
		}
	}

	public static function tearDownAfterClass(): void {
		self::delete_articles();
		self::$posts = array();
	}

	/**
	 * GETs a URL of the site without following redirects.
	 *
	 * @return array{0:int,1:string,2:string} Status, body, Location header.
	 */
	private static function get( string $url ): array {
		$ctx  = stream_context_create(
			array(
				'http' => array(
					'timeout'         => 60,
					'ignore_errors'   => true,
					'follow_location' => 0,
				),
			)
		);
		$body = file_get_contents( $url, false, $ctx );
		self::assertNotFalse( $body, "GET $url" );
		$status   = 0;
		$location = '';
		foreach ( $http_response_header as $line ) {
			if ( preg_match( '#^HTTP/\S+ (\d{3})#', $line, $m ) ) {
				$status = (int) $m[1];
			} elseif ( 0 === stripos( $line, 'Location:' ) ) {
				$location = trim( substr( $line, 9 ) );
			}
		}
		return array( $status, $body, $location );
	}

	/** The text of the first element matching an XPath query in an HTML page. */
	private static function text( string $html, string $query ): ?string {
		$doc = new \DOMDocument();
		libxml_use_internal_errors( true );
		$doc->loadHTML( '<?xml encoding="utf-8"?>' . $html, LIBXML_NONET );
		libxml_clear_errors();
		$nodes = ( new \DOMXPath( $doc ) )->query( $query );
		return $nodes && $nodes->length > 0 ? $nodes->item( 0 )->textContent : null;
	}

	/** The raw markup between <$tag ...> and </$tag> of the first element with $class. */
	private static function inner( string $html, string $tag, string $class = '' ): ?string {
		$attrs = '' === $class ? '[^>]*' : '[^>]*class="[^"]*\b' . preg_quote( $class, '#' ) . '\b[^"]*"[^>]*';
		return preg_match( "#<$tag$attrs>(.*?)</$tag>#s", $html, $m ) ? $m[1] : null;
	}

	public function test_the_home_page_answers_with_the_theme(): void {
		$this->assertSame( 'twentytwentythree', get_stylesheet() );
		$this->assertTrue( wp_get_theme()->exists(), 'the theme is in the instance (tools/wordpress.sh)' );
		list( $status, $body ) = self::get( getenv( 'KBJOBS_WP_URL' ) . '/' );
		$this->assertSame( 200, $status, $body );
		$this->assertStringContainsString( '/wp-content/themes/twentytwentythree/', $body );
		$this->assertStringStartsWith( get_bloginfo( 'name' ), (string) self::text( $body, '//head/title' ) );
	}

	public function test_an_imported_article_shows_at_its_permalink(): void {
		$post      = self::$posts['/page/3'];
		$permalink = get_permalink( $post );
		$this->assertStringStartsWith( getenv( 'KBJOBS_WP_URL' ) . '/kb/', $permalink, 'pretty permalinks, the post type\'s slug' );
		list( $status, $body ) = self::get( $permalink );
		$this->assertSame( 200, $status, $body );
		$this->assertSame( 'Fixture page 3', self::text( $body, '//h1[contains(@class, "wp-block-post-title")]' ) );
		$this->assertStringStartsWith( 'Fixture page 3 ', (string) self::text( $body, '//head/title' ) );
		$this->assertStringContainsString( 'Marker: kbjobs-fixture-page-3-end', $body, 'the content' );
		$this->assertStringContainsString( '<h1>Page 3 heading</h1>', $body );

		// The plain form of the link leads to the same place.
		list( $status, , $location ) = self::get( getenv( 'KBJOBS_WP_URL' ) . '/?p=' . $post->ID );
		$this->assertSame( 301, $status );
		$this->assertSame( $permalink, $location );

		// The post type's archive lists it.
		list( $status, $body ) = self::get( get_post_type_archive_link( 'kb_article' ) );
		$this->assertSame( 200, $status, $body );
		$this->assertStringContainsString( 'Fixture page 3', $body );
	}

	public function test_a_hostile_title_is_shown_as_text(): void {
		$post = self::$posts[ self::XSS_TITLE ];
		// What the import kept of the title: words and punctuation, no tag.
		$this->assertStringStartsWith( 'Hostile title', $post->post_title );
		$this->assertDoesNotMatchRegularExpression( '#<[a-z/!?]#i', $post->post_title );

		list( $status, $body ) = self::get( get_permalink( $post ) );
		$this->assertSame( 200, $status, $body );

		// The title shows as the text WordPress makes of it, in the heading and the
		// document's title.
		$shown = html_entity_decode( get_the_title( $post ), ENT_QUOTES | ENT_HTML5, 'UTF-8' );
		$this->assertStringStartsWith( 'Hostile title', $shown );
		$this->assertSame( $shown, self::text( $body, '//h1[contains(@class, "wp-block-post-title")]' ) );
		$this->assertStringStartsWith( $shown . ' ', (string) self::text( $body, '//head/title' ) );

		// Escaped: no markup inside either, the payload's '">' as entities in <title>.
		$heading = self::inner( $body, 'h1', 'wp-block-post-title' );
		$this->assertNotNull( $heading );
		$this->assertStringNotContainsString( '<', $heading );
		$title = self::inner( $body, 'title' );
		$this->assertNotNull( $title );
		$this->assertStringStartsWith( 'Hostile title ', $title );
		$this->assertDoesNotMatchRegularExpression( '#[<>"]#', $title );
		$this->assertStringContainsString( '&gt;', $title );

		// Nothing of the payload runs: none of its scripts, handlers or elements.
		foreach ( array( 'alert(', 'onerror=', 'onload=alert', '<img src=x', '<svg onload' ) as $bad ) {
			$this->assertStringNotContainsStringIgnoringCase( $bad, $body );
		}
	}

	public function test_hostile_content_is_shown_without_its_scripts(): void {
		list( $status, $body ) = self::get( get_permalink( self::$posts['/hostile/xss'] ) );
		$this->assertSame( 200, $status, $body );
		$this->assertStringContainsString( 'Hostile marker text for xss.', $body );
		$this->assertStringContainsString( 'a fine link', $body );
		foreach ( array( 'alert(', 'javascript:', 'onclick=', 'onerror=', 'onmouseover=', '<iframe', 'https://example.com/"></iframe' ) as $bad ) {
			$this->assertStringNotContainsStringIgnoringCase( $bad, $body );
		}
	}
}
