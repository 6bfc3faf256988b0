<?php
/**
 * The Operations dashboard: the admin menu and its screens.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Registers the menu and renders the Operations screen.
 */
final class KBJobs_Admin {

	const CAPABILITY = 'manage_options';
	const SLUG       = 'kbjobs';

	/**
	 * Hooks the admin menu.
	 */
	public static function init(): void {
		add_action( 'admin_menu', array( self::class, 'menu' ) );
	}

	/**
	 * Adds KB Jobs > Operations.
	 */
	public static function menu(): void {
		add_menu_page(
			__( 'KB Jobs Operations', 'kb-jobs' ),
			__( 'KB Jobs', 'kb-jobs' ),
			self::CAPABILITY,
			self::SLUG,
			array( self::class, 'render' ),
			'dashicons-clock',
			58
		);
		add_submenu_page(
			self::SLUG,
			__( 'KB Jobs Operations', 'kb-jobs' ),
			__( 'Operations', 'kb-jobs' ),
			self::CAPABILITY,
			self::SLUG,
			array( self::class, 'render' )
		);
	}

	/**
	 * Renders the Operations screen.
	 */
	public static function render(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You do not have permission to view KB Jobs operations.', 'kb-jobs' ), 403 );
		}
		$rows = KBJobs_Data_Versions::rows();
		?>
		<div class="wrap kbjobs-operations">
			<h1><?php esc_html_e( 'KB Jobs Operations', 'kb-jobs' ); ?></h1>
			<h2 id="kbjobs-health"><?php esc_html_e( 'Health', 'kb-jobs' ); ?></h2>
			<table class="widefat striped kbjobs-versions">
				<thead>
					<tr>
						<th scope="col"><?php esc_html_e( 'Component', 'kb-jobs' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Version', 'kb-jobs' ); ?></th>
					</tr>
				</thead>
				<tbody>
				<?php foreach ( $rows as $row ) : ?>
					<tr>
						<td><?php echo esc_html( $row['component'] ); ?></td>
						<td><?php echo esc_html( $row['version'] ); ?></td>
					</tr>
				<?php endforeach; ?>
				</tbody>
			</table>
		</div>
		<?php
	}
}
