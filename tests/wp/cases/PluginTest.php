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
		foreach ( array( 'libmariadb', 'libcurl', 'jansson', 'libxml2', 'libcrypto' ) as $lib ) {
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

	public function test_operations_pages_are_registered_with_the_view_capability_and_settings_with_operate(): void {
		global $_registered_pages, $submenu;
		require_once ABSPATH . 'wp-admin/includes/admin.php';
		wp_set_current_user( 1 );
		set_current_screen( 'dashboard' );
		\KBJobs_Admin::menu();
		$this->assertArrayHasKey( get_plugin_page_hookname( 'kbjobs', '' ), $_registered_pages );
		foreach ( $submenu['kbjobs'] as $item ) {
			$this->assertSame( 'kbjobs-settings' === $item[2] ? 'kbjobs_operate' : 'kbjobs_view', $item[1], $item[0] );
		}
		$this->assertContains( 'kbjobs-settings', array_column( $submenu['kbjobs'], 2 ) );
		$this->assertTrue( current_user_can( 'kbjobs_view' ), 'an administrator may view, through manage_options' );
		wp_set_current_user( 0 );
	}

	/**
	 * Logs in through the real wp-login.php and returns the session's cookies.
	 *
	 * @return \WP_Http_Cookie[]
	 */
	private function log_in( string $login, string $password ): array {
		$response = wp_remote_post(
			getenv( 'KBJOBS_WP_URL' ) . '/wp-login.php',
			array(
				'timeout'     => 30,
				'redirection' => 0,
				'cookies'     => array(
					new \WP_Http_Cookie(
						array(
							'name'  => TEST_COOKIE,
							'value' => 'WP Cookie check',
						)
					),
				),
				'body'        => array(
					'log'         => $login,
					'pwd'         => $password,
					'wp-submit'   => 'Log In',
					'redirect_to' => getenv( 'KBJOBS_WP_URL' ) . '/wp-admin/',
					'testcookie'  => '1',
				),
			)
		);
		$this->assertNotWPError( $response );
		$this->assertSame( 302, wp_remote_retrieve_response_code( $response ), 'logged in as ' . $login . ': ' . wp_remote_retrieve_body( $response ) );
		$cookies = wp_remote_retrieve_cookies( $response );
		$this->assertNotEmpty( $cookies );
		return $cookies;
	}

	/**
	 * The Operations page as the user with these cookies sees it: [status, body].
	 *
	 * @param \WP_Http_Cookie[] $cookies A session.
	 * @return array{0:int,1:string}
	 */
	private function operations_page( array $cookies ): array {
		$response = wp_remote_get(
			getenv( 'KBJOBS_WP_URL' ) . '/wp-admin/admin.php?page=kbjobs',
			array(
				'timeout'     => 30,
				'redirection' => 0,
				'cookies'     => $cookies,
			)
		);
		$this->assertNotWPError( $response );
		return array( (int) wp_remote_retrieve_response_code( $response ), (string) wp_remote_retrieve_body( $response ) );
	}

	private function assertNotWPError( $thing ): void {
		$this->assertFalse( is_wp_error( $thing ), is_wp_error( $thing ) ? $thing->get_error_message() : '' );
	}

	public function test_operations_page_answers_403_to_a_subscriber_and_renders_for_an_administrator(): void {
		// The administrator sees the screen: the 403 below is about the capability, not
		// a page that does not exist (WordPress answers 403 for that too).
		list( $status, $body ) = $this->operations_page( $this->log_in( getenv( 'KBJOBS_ADMIN_USER' ), getenv( 'KBJOBS_ADMIN_PASSWORD' ) ) );
		$this->assertSame( 200, $status );
		$this->assertStringContainsString( 'KB Jobs Operations', $body );
		$this->assertStringContainsString( 'kbjobs-versions', $body );

		$password   = wp_generate_password( 20, false );
		$subscriber = wp_insert_user(
			array(
				'user_login' => 'kbjobs_sub_' . wp_generate_password( 6, false ),
				'user_pass'  => $password,
				'role'       => 'subscriber',
			)
		);
		$this->assertIsInt( $subscriber );
		try {
			$login = get_userdata( $subscriber )->user_login;
			list( $status, $body ) = $this->operations_page( $this->log_in( $login, $password ) );
			$this->assertSame( 403, $status );
			$this->assertStringContainsString( 'Sorry, you are not allowed', $body );
			$this->assertStringNotContainsString( 'KB Jobs Operations', $body );
			$this->assertStringNotContainsString( 'kbjobs-versions', $body );
		} finally {
			require_once ABSPATH . 'wp-admin/includes/user.php';
			wp_delete_user( $subscriber );
		}
	}
}
