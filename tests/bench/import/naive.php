<?php
/**
 * naive.php LIST - the import as a WordPress developer would first write it: one URL after
 * another, wp_remote_get(), DOMDocument for the title and the body's text,
 * wp_insert_post(). Prints one JSON line (urls, ok, failed, seconds).
 *
 * Run by tests/bench/import/run.sh with the same php -d flags as tools/wp.
 */
require __DIR__ . '/wp-boot.php';

$urls   = kbb_urls( $argv[1] );
$ok     = 0;
$failed = 0;
$start  = microtime( true );
foreach ( $urls as $url ) {
	$response = wp_remote_get( $url, array( 'timeout' => 30 ) );
	if ( is_wp_error( $response ) || 200 !== wp_remote_retrieve_response_code( $response ) ) {
		$failed++;
		continue;
	}
	$html = wp_remote_retrieve_body( $response );

	libxml_use_internal_errors( true );
	$dom = new DOMDocument();
	$dom->loadHTML( $html );
	libxml_clear_errors();
	$title = $dom->getElementsByTagName( 'title' )->item( 0 );
	$body  = $dom->getElementsByTagName( 'body' )->item( 0 );

	$post_id = wp_insert_post(
		array(
			'post_type'    => 'kb_article',
			'post_status'  => 'publish',
			'post_title'   => $title ? trim( $title->textContent ) : $url,
			'post_content' => $body ? trim( $body->textContent ) : '',
			'meta_input'   => array( '_source_url' => $url ),
		),
		true
	);
	if ( is_wp_error( $post_id ) ) {
		$failed++;
		continue;
	}
	$ok++;
}
kbb_report(
	array(
		'urls'    => count( $urls ),
		'ok'      => $ok,
		'failed'  => $failed,
		'seconds' => round( microtime( true ) - $start, 3 ),
	)
);
exit( $failed ? 2 : 0 );
