<?php
/**
 * The plugin in a PHP without the extension: WordPress still runs, the plugin does
 * nothing but explain, in an admin notice, what is missing. (The browser suite checks
 * the same on real admin pages.)
 */

namespace KBJobs\Tests;

final class NoExtensionTest extends TestCase {

	public function test_without_the_extension_the_plugin_only_shows_a_notice(): void {
		// A PHP that does not load kbjobs.so: the same binary without the -d extension.
		list( $code, $out, $err ) = self::run_command(
			array(
				PHP_BINARY,
				'-d',
				'auto_prepend_file=' . getenv( 'KBJOBS_ROOT' ) . '/tools/php/prepend.php',
				__DIR__ . '/../probes/no-extension.php',
			)
		);
		$this->assertSame( 0, $code, $out . $err );
		$probe = json_decode( $out, true );
		$this->assertIsArray( $probe, $out . $err );

		$this->assertFalse( $probe['extension_loaded'] );
		$this->assertTrue( $probe['plugin_active'] );
		$this->assertFalse( $probe['admin_class_loaded'], 'nothing beyond the notice is loaded' );
		// the post types stay registered, so imported articles never 404
		$this->assertTrue( $probe['article_type_registered'] );
		$this->assertTrue( $probe['import_job_type_registered'] );
		$this->assertStringContainsString( 'kbjobs-requirements-notice', $probe['notice'] );
		$this->assertStringContainsString( 'the kbjobs PHP extension is not loaded', $probe['notice'] );
		$this->assertStringContainsString( 'extension=kbjobs.so', $probe['notice'] );
		$this->assertSame( '', $probe['notice_for_subscriber'] );
	}
}
