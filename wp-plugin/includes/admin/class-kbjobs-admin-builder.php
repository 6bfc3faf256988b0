<?php
/**
 * The Job Builder: chains job types into one combined job. A palette of the registered
 * types by category (a click adds a step); each step opens to a params form drawn from
 * its type's JSON Schema, carries an integer weight (an even split by default, summing
 * to 100), and moves by drag and drop or from the keyboard (Move up / Move down, or
 * Alt+Arrow keys on a focused step, each move announced). Validate asks the engine
 * (POST /kbjobs/v1/chains/validate) and shows its errors and warnings beside the steps
 * they name; Run Chain submits the combined job (POST /chains/run) and opens its page.
 * Chains are saved as named templates on the server (/chain-templates), shared by every
 * operator, and listed, loaded, renamed and deleted here; `wp kb chain run` runs them.
 *
 * The page is drawn by assets/js/kbjobs-builder.js from the types and templates given
 * to it here; without JavaScript it says so. Viewers (kbjobs_view) can build and
 * validate; running and saving need kbjobs_operate, which every route checks again.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Job Builder screen.
 */
final class KBJobs_Admin_Builder extends KBJobs_Admin_Screen {

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'builder';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Job Builder', 'kb-jobs' );
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'Click a job type to add it as a step; open a step to set its params. Drag a step by its handle, or focus it and press Alt+Up or Alt+Down (or use Move up / Move down) to reorder. Weights say how much of the progress bar each step takes and sum to 100. The chain is checked as you build it (Validate checks again): errors stop it from running, warnings (an ordering a job type advises against) do not. Run Chain submits one combined job and opens its page. Templates are saved on the server for every operator, and run from the command line with wp kb chain run <name>.', 'kb-jobs' );
	}

	/**
	 * The builder's script and its data: the types, the templates, what the user may do.
	 */
	public function enqueue(): void {
		$base = plugins_url( 'assets/', KBJOBS_PLUGIN_FILE );
		wp_enqueue_script( 'kbjobs-builder', $base . 'js/kbjobs-builder.js', array( 'kbjobs-admin', 'wp-api-fetch', 'wp-i18n' ), KBJOBS_PLUGIN_VERSION, true );
		wp_set_script_translations( 'kbjobs-builder', 'kb-jobs' );
		$types     = KBJobs_Action::read( array( 'KBJobs_Data_Types', 'all' ) );
		$templates = KBJobs_Action::read( array( 'KBJobs_Data_Chain_Templates', 'all' ) );
		$data      = array(
			'types'      => is_wp_error( $types ) ? array() : array_values(
				array_filter(
					$types,
					static function ( $type ) {
						return $type['chainable'];
					}
				)
			),
			'templates'  => is_wp_error( $templates ) ? array() : $templates,
			'canOperate' => current_user_can( KBJobs_Access::OPERATE ),
			'error'      => is_wp_error( $types ) ? $types->get_error_message() : '',
		);
		// JSON_HEX_TAG: a type's label or a template's name holding "</script>" stays text.
		wp_add_inline_script( 'kbjobs-builder', 'window.kbjobsBuilder = ' . wp_json_encode( $data, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT ) . ';', 'before' );
	}

	/**
	 * The page: the frame the script fills.
	 */
	protected function render(): void {
		echo '<noscript><div class="notice notice-warning inline"><p>' . esc_html__( 'The Job Builder needs JavaScript (steps are added, dragged and checked in the page). Without it, run saved chains with wp kb chain run <template>, or submit combined jobs through POST /wp-json/kbjobs/v1/chains/run.', 'kb-jobs' ) . '</p></div></noscript>';
		echo '<div id="kbjobs-builder" class="kbjobs-builder-app" hidden>';

		echo '<div class="kbjobs-builder-palette"><h2 id="kbjobs-palette-title">' . esc_html__( 'Job types', 'kb-jobs' ) . '</h2>';
		echo '<p class="description">' . esc_html__( 'Click a type to add it to the chain.', 'kb-jobs' ) . '</p>';
		echo '<div data-kbjobs-palette aria-labelledby="kbjobs-palette-title"></div></div>';

		echo '<div class="kbjobs-builder-chain"><h2 id="kbjobs-chain-title">' . esc_html__( 'Chain', 'kb-jobs' ) . '</h2>';
		echo '<p class="description" data-kbjobs-weights></p>';
		echo '<ol class="kbjobs-steps" data-kbjobs-steps aria-labelledby="kbjobs-chain-title"></ol>';
		echo '<p class="kbjobs-steps-empty" data-kbjobs-empty>' . esc_html__( 'No steps yet: add one from the job types.', 'kb-jobs' ) . '</p>';
		echo '<div class="kbjobs-chain-messages" data-kbjobs-chain-messages></div>';
		echo '<p class="kbjobs-builder-actions">';
		echo '<label>' . esc_html__( 'Queue', 'kb-jobs' ) . ' <input type="text" class="regular-text kbjobs-queue" data-kbjobs-queue placeholder="default" pattern="[a-z0-9_.\-]{1,64}" maxlength="64"></label> ';
		echo '<button type="button" class="button" data-kbjobs-validate>' . esc_html__( 'Validate', 'kb-jobs' ) . '</button> ';
		echo '<button type="button" class="button button-primary" data-kbjobs-run>' . esc_html__( 'Run Chain', 'kb-jobs' ) . '</button>';
		echo '</p></div>';

		echo '<div class="kbjobs-builder-templates"><h2>' . esc_html__( 'Templates', 'kb-jobs' ) . '</h2>';
		echo '<p><label for="kbjobs-template-name">' . esc_html__( 'Name', 'kb-jobs' ) . '</label><br>';
		echo '<input type="text" id="kbjobs-template-name" class="regular-text" maxlength="' . esc_attr( (string) KBJobs_Data_Chain_Templates::MAX_NAME ) . '" data-kbjobs-template-name> ';
		echo '<button type="button" class="button" data-kbjobs-save>' . esc_html__( 'Save as template', 'kb-jobs' ) . '</button></p>';
		echo '<p><label for="kbjobs-template-list">' . esc_html__( 'Saved templates', 'kb-jobs' ) . '</label><br>';
		echo '<select id="kbjobs-template-list" data-kbjobs-templates></select> ';
		echo '<button type="button" class="button" data-kbjobs-load>' . esc_html__( 'Load', 'kb-jobs' ) . '</button> ';
		echo '<button type="button" class="button" data-kbjobs-rename>' . esc_html__( 'Rename to the name above', 'kb-jobs' ) . '</button> ';
		echo '<button type="button" class="button button-link-delete" data-kbjobs-delete>' . esc_html__( 'Delete', 'kb-jobs' ) . '</button></p>';
		echo '</div>';

		echo '<div class="screen-reader-text" aria-live="assertive" data-kbjobs-announce></div>';
		echo '<div class="kbjobs-builder-status" role="status" aria-live="polite" data-kbjobs-status></div>';
		echo '</div>';
	}
}
