<?php
/**
 * tuned-same.php [--per-host=16] [--chunk=10] [--h2] [--ca-file=PEM] LIST - the plain-PHP
 * importer an expert would write to do the same work as the plugin's `compatible` sink,
 * so the two compare at equal work (tuned.php stores the body's text and one meta key;
 * this one stores what the sink stores).
 *
 * Fetching: curl_multi as a sliding window of --per-host handles (every list of the bench
 * is one host, so the window is the per-host concurrency the engine gets in the same
 * row), refilled as each transfer ends, connections kept. With --h2: HTTP/2 over TLS with
 * CURLPIPE_MULTIPLEX and CURLOPT_PIPEWAIT (the transfers wait for the first connection and
 * then share it as streams, instead of each opening its own); without: HTTP/1.1, at most
 * --per-host connections. --ca-file: the CA the bench's TLS listeners are signed with.
 *
 * Writing: each page as soon as it arrives (between two turns of curl_multi_exec, so the
 * transfers in flight go on while PHP works), DOMDocument as in tuned.php for the
 * normalising: the title, the <meta name="description">, and the main content (the first
 * <main>, else the <article>s, else <body>) without the elements the engine's normaliser
 * also drops; then the sink's fields exactly: title through wp_strip_all_tags() (the URL
 * when empty), the content's HTML through wp_kses_post() (once: by WordPress's
 * content_save_pre filter when it is active, as for the sink under `wp kb work`, else
 * here), the description as excerpt, the guid, the post type, status and author the sink
 * uses by default, and its five meta keys through meta_input, with wp_insert_post( ...,
 * true, false ) on wp_slash()ed data. As the sink: one transaction per --chunk posts,
 * term counting deferred within it, the runtime object cache emptied after it.
 *
 * Prints one JSON line. Run by tests/bench/import/run.sh with the same php -d flags as
 * tools/wp.
 */
require __DIR__ . '/wp-boot.php';

$kbb_opts = getopt( '', array( 'per-host:', 'chunk:', 'h2', 'ca-file:' ), $kbb_rest );
$kbb_list = $argv[ $kbb_rest ] ?? '';
$per_host = (int) ( $kbb_opts['per-host'] ?? 16 );
$chunk    = (int) ( $kbb_opts['chunk'] ?? 10 );
$h2       = isset( $kbb_opts['h2'] );
$ca_file  = (string) ( $kbb_opts['ca-file'] ?? '' );
if ( '' === $kbb_list || $per_host < 1 || $per_host > 100 || $chunk < 1 || $chunk > 500 ) {
	fwrite( STDERR, "usage: tuned-same.php [--per-host=1..100] [--chunk=1..500] [--h2] [--ca-file=PEM] LIST\n" );
	exit( 2 );
}

global $wpdb;
$urls     = kbb_urls( $kbb_list );
$ok       = 0;
$failed   = 0;
$in_tx    = 0;
$start    = microtime( true );
$next     = 0;
$running  = 0;
$streams  = 0;
$conns    = array();
$post_cfg = array(
	'post_type' => 'kb_article',
	'status'    => 'publish',
	'author'    => 0,
);
// As the sink: kses here only when WordPress's own filter will not run it (a user with
// unfiltered_html); with no user, as here and under `wp kb work`, the filter does it.
$kses_here = false === has_filter( 'content_save_pre', 'wp_filter_post_kses' );

/**
 * The page's main content element: the first <main> with text, else a fragment of the
 * <article>s with text, else <body> (the engine's normaliser's order), with the elements
 * it leaves out removed.
 *
 * @param DOMDocument $dom The page.
 * @return DOMNode|null
 */
function kbb_main( DOMDocument $dom ): ?DOMNode {
	foreach ( array( 'script', 'style', 'noscript', 'template', 'nav', 'header', 'footer', 'aside', 'form', 'svg', 'iframe', 'button', 'select', 'textarea', 'object', 'embed', 'canvas', 'audio', 'video' ) as $tag ) {
		$nodes = $dom->getElementsByTagName( $tag );
		for ( $i = $nodes->length - 1; $i >= 0; $i-- ) {
			$node = $nodes->item( $i );
			$node->parentNode->removeChild( $node ); // phpcs:ignore WordPress.NamingConventions.ValidVariableName.UsedPropertyNotSnakeCase -- DOM's name.
		}
	}
	$main = $dom->getElementsByTagName( 'main' )->item( 0 );
	if ( $main && '' !== trim( $main->textContent ) ) { // phpcs:ignore WordPress.NamingConventions.ValidVariableName.UsedPropertyNotSnakeCase -- DOM's name.
		return $main;
	}
	$articles = $dom->createDocumentFragment();
	foreach ( iterator_to_array( $dom->getElementsByTagName( 'article' ) ) as $article ) {
		if ( '' !== trim( $article->textContent ) ) { // phpcs:ignore WordPress.NamingConventions.ValidVariableName.UsedPropertyNotSnakeCase -- DOM's name.
			$articles->appendChild( $article );
		}
	}
	if ( $articles->hasChildNodes() ) {
		return $articles;
	}
	return $dom->getElementsByTagName( 'body' )->item( 0 );
}

/**
 * Normalises one page with DOMDocument: title, description, the main content's text and
 * HTML.
 *
 * @param string $html The page.
 * @return array{title:string,description:?string,text:string,html:string}
 */
function kbb_normalise( string $html ): array {
	libxml_use_internal_errors( true );
	$dom = new DOMDocument();
	$dom->loadHTML( $html, LIBXML_NONET | LIBXML_COMPACT );
	libxml_clear_errors();
	$title       = $dom->getElementsByTagName( 'title' )->item( 0 );
	$description = null;
	foreach ( $dom->getElementsByTagName( 'meta' ) as $meta ) {
		if ( 'description' === strtolower( $meta->getAttribute( 'name' ) ) ) {
			$description = trim( $meta->getAttribute( 'content' ) );
			break;
		}
	}
	$main = kbb_main( $dom );
	$out  = '';
	if ( $main ) {
		foreach ( $main->childNodes as $child ) { // phpcs:ignore WordPress.NamingConventions.ValidVariableName.UsedPropertyNotSnakeCase -- DOM's name.
			$out .= $dom->saveHTML( $child );
		}
	}
	return array(
		'title'       => $title ? trim( preg_replace( '/\s+/u', ' ', $title->textContent ) ) : '', // phpcs:ignore WordPress.NamingConventions.ValidVariableName.UsedPropertyNotSnakeCase -- DOM's name.
		'description' => $description,
		'text'        => $main ? trim( preg_replace( '/[ \t\r\n]+/u', ' ', $main->textContent ) ) : '', // phpcs:ignore WordPress.NamingConventions.ValidVariableName.UsedPropertyNotSnakeCase -- DOM's name.
		'html'        => $out,
	);
}

/**
 * Writes one fetched page as a post, with the sink's fields and meta.
 *
 * @param string $url        The source URL.
 * @param string $body       The page.
 * @param int    $status     Its HTTP status.
 * @param float  $fetched_at When its fetch ended (Unix time).
 * @param array  $cfg        Post type, status, author.
 * @param bool   $kses_here  Whether to run wp_kses_post() here (see $kses_here above).
 * @return bool
 */
function kbb_write_same( string $url, string $body, int $status, float $fetched_at, array $cfg, bool $kses_here ): bool {
	$doc      = kbb_normalise( $body );
	$title    = trim( wp_strip_all_tags( $doc['title'] ) );
	$url_hash = hash( 'sha256', $url );
	$post     = array(
		'post_type'    => $cfg['post_type'],
		'post_status'  => $cfg['status'],
		'post_author'  => $cfg['author'],
		'post_title'   => '' === $title ? $url : $title,
		'post_content' => $kses_here ? wp_kses_post( $doc['html'] ) : $doc['html'],
		'post_excerpt' => null === $doc['description'] ? '' : wp_strip_all_tags( $doc['description'] ),
		'guid'         => esc_url_raw( $url ),
		'meta_input'   => array(
			'_kbjobs_source_url'   => esc_url_raw( $url ),
			// The name the engine gives the artifact (no file is written: see the README).
			'_kbjobs_artifact'     => 'artifacts/' . substr( $url_hash, 0, 2 ) . '/' . $url_hash . '.json',
			'_kbjobs_content_hash' => hash( 'sha256', $doc['title'] . "\n" . $doc['text'] ),
			'_kbjobs_fetched_at'   => gmdate( 'Y-m-d\TH:i:s\Z', (int) $fetched_at ),
			'_kbjobs_http_status'  => (string) $status,
		),
	);
	$post_id = wp_insert_post( wp_slash( $post ), true, false );
	return ! is_wp_error( $post_id );
}

/** Ends the transaction of a chunk as the sink does, and begins the next one. */
function kbb_commit(): void {
	global $wpdb;
	wp_defer_term_counting( false );
	$wpdb->query( 'COMMIT' );
	if ( function_exists( 'wp_cache_flush_runtime' ) && wp_cache_supports( 'flush_runtime' ) ) {
		wp_cache_flush_runtime();
	} elseif ( ! wp_using_ext_object_cache() ) {
		wp_cache_flush();
	}
	wp_defer_term_counting( true );
	$wpdb->query( 'START TRANSACTION' );
}

$mh = curl_multi_init();
curl_multi_setopt( $mh, CURLMOPT_PIPELINING, $h2 ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING );
curl_multi_setopt( $mh, CURLMOPT_MAX_HOST_CONNECTIONS, $per_host );
curl_multi_setopt( $mh, CURLMOPT_MAXCONNECTS, $per_host );

$add = static function () use ( &$next, &$running, $urls, $mh, $per_host, $h2, $ca_file ): void {
	while ( $running < $per_host && $next < count( $urls ) ) {
		$ch   = curl_init( $urls[ $next ] );
		$opts = array(
			CURLOPT_RETURNTRANSFER => true,
			CURLOPT_FOLLOWLOCATION => true,
			CURLOPT_MAXREDIRS      => 5,
			CURLOPT_CONNECTTIMEOUT => 10,
			CURLOPT_TIMEOUT        => 30,
			CURLOPT_ENCODING       => '',
			CURLOPT_USERAGENT      => 'tuned-same-importer/1.0',
			CURLOPT_PRIVATE        => (string) $next,
			CURLOPT_HTTP_VERSION   => $h2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1,
		);
		if ( $h2 ) {
			$opts[ CURLOPT_PIPEWAIT ] = true;
		}
		if ( '' !== $ca_file ) {
			$opts[ CURLOPT_CAINFO ] = $ca_file;
		}
		curl_setopt_array( $ch, $opts );
		curl_multi_add_handle( $mh, $ch );
		$next++;
		$running++;
	}
};

wp_defer_term_counting( true );
$wpdb->query( 'START TRANSACTION' );
$add();
do {
	$status = curl_multi_exec( $mh, $active );
	while ( $info = curl_multi_info_read( $mh ) ) { // phpcs:ignore Generic.CodeAnalysis.AssignmentInCondition.FoundInWhileCondition
		$ch   = $info['handle'];
		$url  = $urls[ (int) curl_getinfo( $ch, CURLINFO_PRIVATE ) ];
		$code = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
		$body = CURLE_OK === $info['result'] ? (string) curl_multi_getcontent( $ch ) : '';
		if ( CURL_HTTP_VERSION_2_0 === (int) curl_getinfo( $ch, CURLINFO_HTTP_VERSION ) ) {
			$streams++;
		}
		$conns[ (int) curl_getinfo( $ch, CURLINFO_LOCAL_PORT ) ] = true;
		curl_multi_remove_handle( $mh, $ch );
		curl_close( $ch );
		$running--;
		// The next transfer starts before this page is written, so the window stays full.
		$add();
		curl_multi_exec( $mh, $active );
		if ( CURLE_OK === $info['result'] && 200 === $code
			&& kbb_write_same( $url, $body, $code, microtime( true ), $post_cfg, $kses_here ) ) {
			$ok++;
			if ( ++$in_tx >= $chunk ) {
				kbb_commit();
				$in_tx = 0;
			}
		} else {
			$failed++;
			if ( $failed <= 5 ) {
				fwrite( STDERR, "$url: " . ( CURLE_OK === $info['result'] ? "HTTP $code" : curl_strerror( $info['result'] ) ) . "\n" );
			}
		}
	}
	if ( $active ) {
		curl_multi_select( $mh, 0.1 );
	}
} while ( CURLM_OK === $status && ( $active || $running > 0 ) );
wp_defer_term_counting( false );
$wpdb->query( 'COMMIT' );
curl_multi_close( $mh );

kbb_report(
	array(
		'urls'        => count( $urls ),
		'ok'          => $ok,
		'failed'      => $failed,
		'seconds'     => round( microtime( true ) - $start, 3 ),
		'per_host'    => $per_host,
		'chunk'       => $chunk,
		'http2_pages' => $streams,
		'connections' => count( $conns ),
	)
);
exit( $failed ? 2 : 0 );
