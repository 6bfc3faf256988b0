<?php
/**
 * tuned.php LIST - the import as a WordPress expert would write it in plain PHP:
 * curl_multi with 16 transfers at once (a sliding window, connections reused), DOMDocument
 * for the title and the body's text, wp_insert_post() with the guid passed (WordPress then
 * skips its extra UPDATE of the guid), term counting deferred, START TRANSACTION / COMMIT
 * around every 50 posts, and the in-memory object cache emptied after each commit so a
 * long import does not grow. Every hook still fires. Prints one JSON line.
 *
 * Run by tests/bench/import/run.sh with the same php -d flags as tools/wp.
 */
require __DIR__ . '/wp-boot.php';

const KBB_CONCURRENT = 16;
const KBB_PER_TX     = 50;

global $wpdb;
$urls    = kbb_urls( $argv[1] );
$ok      = 0;
$failed  = 0;
$in_tx   = 0;
$start   = microtime( true );
$next    = 0;
$running = 0;

/**
 * Writes one fetched page as a post.
 *
 * @param string $url  The source URL.
 * @param string $html The page.
 * @return bool
 */
function kbb_write( string $url, string $html ): bool {
	libxml_use_internal_errors( true );
	$dom = new DOMDocument();
	$dom->loadHTML( $html );
	libxml_clear_errors();
	$title   = $dom->getElementsByTagName( 'title' )->item( 0 );
	$body    = $dom->getElementsByTagName( 'body' )->item( 0 );
	$post_id = wp_insert_post(
		array(
			'post_type'    => 'kb_article',
			'post_status'  => 'publish',
			'post_title'   => $title ? trim( $title->textContent ) : $url,
			'post_content' => $body ? trim( $body->textContent ) : '',
			'guid'         => esc_url_raw( $url ),
			'meta_input'   => array( '_source_url' => $url ),
		),
		true
	);
	return ! is_wp_error( $post_id );
}

wp_defer_term_counting( true );
$mh = curl_multi_init();
curl_multi_setopt( $mh, CURLMOPT_MAXCONNECTS, KBB_CONCURRENT );

$add = static function () use ( &$next, &$running, $urls, $mh ): void {
	while ( $running < KBB_CONCURRENT && $next < count( $urls ) ) {
		$ch = curl_init( $urls[ $next ] );
		curl_setopt_array(
			$ch,
			array(
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_FOLLOWLOCATION => true,
				CURLOPT_MAXREDIRS      => 5,
				CURLOPT_CONNECTTIMEOUT => 10,
				CURLOPT_TIMEOUT        => 30,
				CURLOPT_ENCODING       => '',
				CURLOPT_USERAGENT      => 'tuned-importer/1.0',
				CURLOPT_PRIVATE        => (string) $next,
			)
		);
		curl_multi_add_handle( $mh, $ch );
		$next++;
		$running++;
	}
};

$wpdb->query( 'START TRANSACTION' );
$add();
do {
	$status = curl_multi_exec( $mh, $active );
	while ( $info = curl_multi_info_read( $mh ) ) { // phpcs:ignore Generic.CodeAnalysis.AssignmentInCondition.FoundInWhileCondition
		$ch  = $info['handle'];
		$url = $urls[ (int) curl_getinfo( $ch, CURLINFO_PRIVATE ) ];
		if ( CURLE_OK === $info['result'] && 200 === curl_getinfo( $ch, CURLINFO_RESPONSE_CODE )
			&& kbb_write( $url, (string) curl_multi_getcontent( $ch ) ) ) {
			$ok++;
			if ( ++$in_tx >= KBB_PER_TX ) {
				$wpdb->query( 'COMMIT' );
				wp_cache_flush();
				$wpdb->query( 'START TRANSACTION' );
				$in_tx = 0;
			}
		} else {
			$failed++;
		}
		curl_multi_remove_handle( $mh, $ch );
		curl_close( $ch );
		$running--;
		$add();
	}
	if ( $active ) {
		curl_multi_select( $mh, 0.1 );
	}
} while ( CURLM_OK === $status && ( $active || $running > 0 ) );
$wpdb->query( 'COMMIT' );
curl_multi_close( $mh );
wp_defer_term_counting( false );

kbb_report(
	array(
		'urls'    => count( $urls ),
		'ok'      => $ok,
		'failed'  => $failed,
		'seconds' => round( microtime( true ) - $start, 3 ),
	)
);
exit( $failed ? 2 : 0 );
