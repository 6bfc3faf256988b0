<?php
/**
 * `wp kb` commands through the real WP-CLI binary against the real site.
 */

namespace KBJobs\Tests;

final class CliTest extends TestCase {

	public function test_kb_version_as_json_names_the_extension_and_libraries(): void {
		list( $code, $out, $err ) = self::wp( 'kb', 'version', '--format=json' );
		$this->assertSame( 0, $code, $err );
		$rows = json_decode( $out, true );
		$this->assertIsArray( $rows, $out );
		$versions = array_column( $rows, 'version', 'component' );
		$this->assertSame( phpversion( 'kbjobs' ), $versions['extension'] );
		$this->assertSame( KBJOBS_PLUGIN_VERSION, $versions['plugin'] );
		$this->assertArrayHasKey( 'libmariadb', $versions );
		$this->assertArrayHasKey( 'libxml2', $versions );
		$this->assertSame( '', $err, 'no notices or deprecations on stderr' );
	}

	public function test_kb_version_supports_csv_fields_and_count(): void {
		list( $code, $out ) = self::wp( 'kb', 'version', '--format=csv', '--fields=component' );
		$this->assertSame( 0, $code );
		$lines = explode( "\n", trim( $out ) );
		$this->assertSame( 'component', $lines[0] );
		$this->assertContains( 'extension', $lines );

		list( $code, $out ) = self::wp( 'kb', 'version', '--format=count' );
		$this->assertSame( 0, $code );
		$this->assertSame( (string) count( \KBJobs_Data_Versions::rows() ), trim( $out ) );
	}

	public function test_kb_version_refuses_an_unknown_format(): void {
		list( $code, , $err ) = self::wp( 'kb', 'version', '--format=xml' );
		$this->assertNotSame( 0, $code );
		$this->assertStringContainsString( 'Invalid value specified for \'format\'', $err );
	}

	public function test_kb_help_documents_the_command(): void {
		list( $code, $out ) = self::wp( 'help', 'kb', 'version' );
		$this->assertSame( 0, $code );
		$this->assertStringContainsString( 'AVAILABLE FIELDS', $out );
		$this->assertStringContainsString( 'wp kb version --format=json', $out );
	}

	public function test_kb_lists_its_commands_with_their_synopsis(): void {
		list( $code, $out, $err ) = self::wp( 'kb' );
		$this->assertSame( 0, $code, $err );
		$this->assertStringContainsString( 'usage: wp kb alert <command>', $out );
		$this->assertStringContainsString( 'or: wp kb import <file> [--sink=<mode>] [--chunk-size=<n>] [--ranges=<n>] [--max-per-host=<n>] [--host-limits=<list>] [--post-type=<type>] [--status=<status>] [--author=<user>] [--wait] [--unique-key=<key>] [--resume] [--fresh] [--porcelain]', $out );
		foreach ( array( 'audit', 'checkpoint', 'cron', 'failure', 'import-job', 'job', 'queue', 'runner' ) as $noun ) {
			$this->assertStringContainsString( 'or: wp kb ' . $noun . ' <command>', $out );
		}
		$this->assertStringContainsString( 'or: wp kb status [--exact] [--format=<format>]', $out );
		$this->assertStringContainsString( 'or: wp kb version [--fields=<fields>] [--format=<format>]', $out );
		$this->assertStringContainsString( 'or: wp kb work [--queues=<queues>] [--max-seconds=<n>] [--max-jobs=<n>] [--max-memory=<mb>] [--until-empty] [--due-within=<seconds>] [--[no-]cron] [--idle-ms=<ms>] [--idle-min-ms=<ms>] [--[no-]wake] [--format=<format>]', $out );

		list( $code, $out ) = self::wp( 'help', 'kb' );
		$this->assertSame( 0, $code );
		$this->assertStringContainsString( 'Operates the kbjobs engine from the command line.', $out );

		list( $code, $out ) = self::wp( 'kb', 'job' );
		$this->assertSame( 0, $code );
		$this->assertStringContainsString( 'wp kb job get <id> [--fields=<fields>] [--field=<field>] [--format=<format>]', $out );
		$this->assertStringContainsString( 'wp kb job bulk <action>', $out );

		list( $code, $out ) = self::wp( 'kb', 'cron' );
		$this->assertSame( 0, $code );
		foreach ( array( 'wp kb cron event <command>', 'wp kb cron history [<hook>]', 'wp kb cron schedule <command>' ) as $synopsis ) {
			$this->assertStringContainsString( $synopsis, $out );
		}
	}
}
