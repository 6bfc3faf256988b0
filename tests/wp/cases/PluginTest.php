<?php
/**
 * The plugin on the real WordPress with the extension loaded.
 */

namespace KBJobs\Tests;

final class PluginTest extends TestCase {

	public function test_plugin_is_active_on_the_real_wordpress(): void {
		$this->assertTrue( is_plugin_active( 'kb-jobs/kb-jobs.php' ) );
		$this->assertContains( 'kb-jobs/kb-jobs.php', (array) get_option( 'active_plugins' ) );
		$this->assertTrue( defined( 'KBJOBS_PLUGIN_VERSION' ) );
	}

	public function test_requirements_are_met_when_the_extension_is_loaded(): void {
		$this->assertTrue( \KBJobs_Requirements::met() );
		$this->assertSame( phpversion( 'kbjobs' ), \KBJobs_Requirements::extension_version() );
		$this->assertSame( '', \KBJobs_Requirements::problem() );
		$this->assertFalse( has_action( 'admin_notices', array( 'KBJobs_Requirements', 'render_notice' ) ) );
	}

	public function test_registers_the_import_job_and_article_post_types(): void {
		$this->assertTrue( post_type_exists( 'kb_import_job' ) );
		$this->assertFalse( get_post_type_object( 'kb_import_job' )->public );
		$this->assertTrue( post_type_exists( 'kb_article' ) );
		$this->assertTrue( get_post_type_object( 'kb_article' )->public );
		$this->assertSame( 'kb_article', \KBJobs_Post_Types::article_type() );
	}

	public function test_article_post_type_is_filterable(): void {
		$filter = static fn() => 'page';
		add_filter( 'kbjobs_article_post_type', $filter );
		try {
			$this->assertSame( 'page', \KBJobs_Post_Types::article_type() );
		} finally {
			remove_filter( 'kbjobs_article_post_type', $filter );
		}
	}

	public function test_health_reports_the_extension_and_its_libraries(): void {
		$versions = \KBJobs_Data_Versions::versions();
		$this->assertSame( KBJOBS_PLUGIN_VERSION, $versions['plugin'] );
		$this->assertSame( phpversion( 'kbjobs' ), $versions['extension'] );
		foreach ( array( 'libmariadb', 'libcurl', 'jansson', 'libxml2' ) as $lib ) {
			$this->assertArrayHasKey( $lib, $versions );
			$this->assertMatchesRegularExpression( '/^\d+\.\d+/', $versions[ $lib ] );
		}
	}

	public function test_every_class_file_is_found_by_the_autoloader_under_its_name(): void {
		$root  = getenv( 'KBJOBS_ROOT' ) . '/wp-plugin/includes';
		$files = array_merge( glob( $root . '/class-*.php' ), glob( $root . '/*/class-*.php' ) );
		$this->assertGreaterThan( 10, count( $files ) );
		foreach ( $files as $file ) {
			$name  = substr( basename( $file, '.php' ), strlen( 'class-' ) );
			$class = implode( '_', array_map( 'ucfirst', explode( '-', $name ) ) );
			$class = preg_replace( array( '/^Kbjobs/', '/_Cli_/' ), array( 'KBJobs', '_CLI_' ), $class );
			$this->assertSame( realpath( $file ), realpath( \KBJobs_Autoloader::path( $class ) ), $class );
			if ( 0 === strpos( $class, 'KBJobs_CLI_' ) ) {
				continue; // they extend WP-CLI's classes: loaded by CliTest through the real WP-CLI
			}
			$this->assertTrue( class_exists( $class ) || trait_exists( $class ), $class );
			$this->assertSame( realpath( $file ), realpath( ( new \ReflectionClass( $class ) )->getFileName() ), $class );
		}
		$this->assertSame( '', \KBJobs_Autoloader::path( 'KBJobs_No_Such_Thing' ) );
		$this->assertSame( '', \KBJobs_Autoloader::path( 'KBJobs_../../wp-config' ) );
	}

	public function test_the_fenced_transaction_helper_is_defined(): void {
		$this->assertTrue( function_exists( 'kbjobs_fenced_transaction' ) );
	}

	public function test_operations_page_is_registered_for_administrators_only(): void {
		global $_registered_pages;
		require_once ABSPATH . 'wp-admin/includes/admin.php';
		wp_set_current_user( 1 );
		set_current_screen( 'dashboard' );
		\KBJobs_Admin::menu();
		$this->assertArrayHasKey( get_plugin_page_hookname( 'kbjobs', '' ), $_registered_pages );
		$this->assertSame( 'manage_options', \KBJobs_Admin::CAPABILITY );

		$subscriber = wp_insert_user(
			array(
				'user_login' => 'kbjobs_sub_' . wp_generate_password( 6, false ),
				'user_pass'  => wp_generate_password(),
				'role'       => 'subscriber',
			)
		);
		$this->assertIsInt( $subscriber );
		try {
			wp_set_current_user( $subscriber );
			$this->assertFalse( current_user_can( \KBJobs_Admin::CAPABILITY ) );
			ob_start();
			\KBJobs_Requirements::render_notice();
			$this->assertSame( '', ob_get_clean() );
		} finally {
			require_once ABSPATH . 'wp-admin/includes/user.php';
			wp_delete_user( $subscriber );
			wp_set_current_user( 0 );
		}
	}
}
