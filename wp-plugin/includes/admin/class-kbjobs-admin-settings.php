<?php
/**
 * The Settings screen: every operator setting of KBJobs_Settings, through the Settings
 * API. The form posts to options.php, which checks the group's nonce and the capability
 * the option_page_capability_kbjobs_settings filter names (kbjobs_operate, as the menu
 * entry: a kbjobs_view user has no Settings page). Each option has a sanitize callback
 * that validates with KBJobs_Settings::validate(): a bad value is refused with a
 * settings error naming the field, and the old value stays. Changes are audited as
 * settings.update by KBJobs_Audit (it watches the options, wherever they are written).
 *
 * A setting forced by a constant shows its value, disabled, with the constant named; the
 * browser does not send a disabled field, and its sanitize callback keeps the option as
 * it is. The webhook secret is write-only: the page says whether one is set and offers a
 * field to replace it (left empty: kept) and a box to remove it.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The Settings screen.
 */
final class KBJobs_Admin_Settings extends KBJobs_Admin_Screen {

	const GROUP = 'kbjobs_settings';
	const PAGE  = 'kbjobs-settings';

	/**
	 * The field that removes the webhook secret (not an option: read while sanitizing).
	 */
	const CLEAR_SECRET = 'kbjobs_alert_webhook_secret_clear';

	/**
	 * Slug.
	 *
	 * @return string
	 */
	public function slug(): string {
		return 'settings';
	}

	/**
	 * Title.
	 *
	 * @return string
	 */
	public function title(): string {
		return __( 'Settings', 'kb-jobs' );
	}

	/**
	 * Settings change how kbjobs runs: operators only.
	 *
	 * @return string
	 */
	public function capability(): string {
		return KBJobs_Access::OPERATE;
	}

	/**
	 * Help.
	 *
	 * @return string
	 */
	protected function help(): string {
		return __( 'How long kbjobs keeps finished jobs, logs, metrics and history, when it alerts and whom, how hard it fetches, and whether WP-Cron runs on kbjobs. A constant in wp-config.php wins over the value saved here: such a setting is shown greyed out with the constant that sets it.', 'kb-jobs' );
	}

	/**
	 * Hooks the registration (admin_init, where options.php looks for it) and the
	 * capability of the form.
	 */
	public static function init(): void {
		add_action( 'admin_init', array( self::class, 'register' ) );
		add_filter( 'option_page_capability_' . self::GROUP, array( self::class, 'form_capability' ) );
	}

	/**
	 * The option_page_capability_kbjobs_settings filter.
	 *
	 * @return string
	 */
	public static function form_capability(): string {
		return KBJobs_Access::OPERATE;
	}

	/**
	 * The sections, in order: id => title.
	 *
	 * @return array<string,string>
	 */
	private static function sections(): array {
		return array(
			'data'      => __( 'Data', 'kb-jobs' ),
			'retention' => __( 'Retention', 'kb-jobs' ),
			'alerts'    => __( 'Alerts', 'kb-jobs' ),
			'fetching'  => __( 'Fetching', 'kb-jobs' ),
			'cron'      => __( 'WP-Cron', 'kb-jobs' ),
			'uninstall' => __( 'Uninstall', 'kb-jobs' ),
		);
	}

	/**
	 * The fields: key => [section, label, description].
	 *
	 * @return array<string,array{0:string,1:string,2:string}>
	 */
	public static function fields(): array {
		return array(
			'retention_jobs_days'          => array( 'retention', __( 'Finished jobs (days)', 'kb-jobs' ), __( 'Completed, failed and cancelled jobs older than this are removed by the daily cleanup, with their URL lists, checkpoints and failed-item files.', 'kb-jobs' ) ),
			'retention_logs_days'          => array( 'retention', __( 'Job logs (days)', 'kb-jobs' ), __( 'Log files of finished jobs older than this are removed.', 'kb-jobs' ) ),
			'retention_metrics_days'       => array( 'retention', __( 'Metrics (days)', 'kb-jobs' ), __( 'Hourly metrics are kept this long; per-minute metrics always 48 hours.', 'kb-jobs' ) ),
			'retention_audit_days'         => array( 'retention', __( 'Audit log (days)', 'kb-jobs' ), '' ),
			'cron_history_days'            => array( 'retention', __( 'WP-Cron history (days)', 'kb-jobs' ), '' ),
			'cron_history_per_hook'        => array( 'retention', __( 'WP-Cron history (runs per hook)', 'kb-jobs' ), __( 'The newest runs kept per hook within those days; 0 keeps them all.', 'kb-jobs' ) ),
			'retention_quarantine_days'    => array( 'retention', __( 'Quarantine (days)', 'kb-jobs' ), __( 'Orphan files moved aside by reconciliation are deleted after this.', 'kb-jobs' ) ),
			'checkpoint_stale_days'        => array( 'retention', __( 'Stale checkpoints (days)', 'kb-jobs' ), __( 'An interrupted job\'s checkpoint is removed only once it is this old.', 'kb-jobs' ) ),
			'failure_log_cap'              => array( 'retention', __( 'Failure Log size', 'kb-jobs' ), __( 'Entries kept in the Failure Log; older ones are evicted and counted.', 'kb-jobs' ) ),
			'alert_email'                  => array( 'alerts', __( 'Email alerts', 'kb-jobs' ), __( 'Send an email when an alert is raised and when it is resolved.', 'kb-jobs' ) ),
			'alert_email_to'               => array( 'alerts', __( 'Email recipients', 'kb-jobs' ), __( 'Addresses separated by commas; empty: the site\'s administration email address.', 'kb-jobs' ) ),
			'alert_webhook_url'            => array( 'alerts', __( 'Webhook URL', 'kb-jobs' ), __( 'Alerts are also POSTed here as JSON; empty: no webhook.', 'kb-jobs' ) ),
			'alert_webhook_secret'         => array( 'alerts', __( 'Webhook secret', 'kb-jobs' ), __( 'Signs each webhook body. Never shown again once saved.', 'kb-jobs' ) ),
			'alert_cooldown_minutes'       => array( 'alerts', __( 'Cooldown (minutes)', 'kb-jobs' ), __( 'An alert that stays raised is not sent again within this time.', 'kb-jobs' ) ),
			'alert_failure_rate'           => array( 'alerts', __( 'Failure rate (%)', 'kb-jobs' ), __( 'Alert when this share of a job type\'s finished jobs failed in the window…', 'kb-jobs' ) ),
			'alert_failure_min_jobs'       => array( 'alerts', __( 'Failure rate: at least (jobs)', 'kb-jobs' ), __( '…and at least this many of its jobs finished…', 'kb-jobs' ) ),
			'alert_failure_window_minutes' => array( 'alerts', __( 'Failure rate: window (minutes)', 'kb-jobs' ), __( '…in this many minutes.', 'kb-jobs' ) ),
			'alert_due_age_minutes'        => array( 'alerts', __( 'Oldest due job (minutes)', 'kb-jobs' ), __( 'Alert when a queue\'s oldest due job has waited longer than this.', 'kb-jobs' ) ),
			'alert_cron_stale_minutes'     => array( 'alerts', __( 'WP-Cron silent (minutes)', 'kb-jobs' ), __( 'Alert when WP-Cron has not ticked for this long.', 'kb-jobs' ) ),
			'alert_failure_streak'         => array( 'alerts', __( 'Failure streak (jobs)', 'kb-jobs' ), __( 'Alert when this many jobs of one type failed in a row.', 'kb-jobs' ) ),
			'alert_no_runner_minutes'      => array( 'alerts', __( 'No runner (minutes)', 'kb-jobs' ), __( 'Alert when jobs have been due this long and no runner is alive.', 'kb-jobs' ) ),
			'alert_clear_minutes'          => array( 'alerts', __( 'Resolve after (minutes)', 'kb-jobs' ), __( 'An alert resolves once its condition has been clear this long; if it comes back sooner, it stays the same alert (0: resolve at once).', 'kb-jobs' ) ),
			'fetch_max_per_host'           => array( 'fetching', __( 'Requests at once per site', 'kb-jobs' ), __( 'An import may ask for another number; 1 to 100.', 'kb-jobs' ) ),
			'fetch_host_limits'            => array( 'fetching', __( 'Per-site limits', 'kb-jobs' ), __( 'For example: docs.example.com=2, example.org:8443=16', 'kb-jobs' ) ),
			'fetch_allow'                  => array( 'fetching', __( 'Private hosts allowed', 'kb-jobs' ), __( 'Addresses and ranges that may be fetched although private, for example 10.0.0.0/8, 192.168.1.20. Everything else private stays refused.', 'kb-jobs' ) ),
			'cron_enabled'                 => array( 'cron', __( 'Run WP-Cron on kbjobs', 'kb-jobs' ), __( 'Every WP-Cron event is claimed with a lease, run once per due time and recorded. Off: the events go back to WordPress\'s own cron.', 'kb-jobs' ) ),
			'remove_all_data'              => array( 'uninstall', __( 'Remove all data on uninstall', 'kb-jobs' ), __( 'Deleting the plugin then drops the job tables, the import records and the data directory. Imported articles always stay.', 'kb-jobs' ) ),
		);
	}

	/**
	 * Registers the settings, sections and fields (admin_init).
	 */
	public static function register(): void {
		foreach ( array_keys( self::fields() ) as $key ) {
			register_setting(
				self::GROUP,
				KBJobs_Settings::option_name( $key ),
				array(
					'type'              => 'int' === KBJobs_Settings::spec( $key )['type'] ? 'integer' : 'string',
					'show_in_rest'      => false,
					'sanitize_callback' => static function ( $value ) use ( $key ) {
						return self::sanitize( $key, $value );
					},
				)
			);
		}
		foreach ( self::sections() as $id => $title ) {
			add_settings_section( 'kbjobs_' . $id, $title, 'data' === $id ? array( self::class, 'render_data' ) : '__return_false', self::PAGE );
		}
		foreach ( self::fields() as $key => $field ) {
			add_settings_field(
				$key,
				esc_html( $field[1] ),
				array( self::class, 'render_field' ),
				self::PAGE,
				'kbjobs_' . $field[0],
				array(
					'key'       => $key,
					'label_for' => 'bool' === KBJobs_Settings::spec( $key )['type'] ? '' : KBJobs_Settings::option_name( $key ),
				)
			);
		}
	}

	/**
	 * Whether this request is our form's post to options.php (and not an update_option()
	 * made elsewhere in an admin request, which has no form fields to read).
	 *
	 * @return bool
	 */
	private static function from_form(): bool {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- options.php checked the group's nonce before any sanitize callback runs.
		return isset( $_POST['option_page'] ) && self::GROUP === $_POST['option_page'];
	}

	/**
	 * A setting's sanitize callback: the value to store, or the stored one (with a
	 * settings error) when the value given is refused.
	 *
	 * @param string $key   The setting.
	 * @param mixed  $value What was given (null: the form did not send the field).
	 * @return mixed
	 */
	public static function sanitize( string $key, $value ) {
		$option = KBJobs_Settings::option_name( $key );
		// get_option() answers false for an absent option: returning it makes
		// update_option() see no change and store nothing.
		$old  = get_option( $option );
		$spec = KBJobs_Settings::spec( $key );
		if ( self::from_form() ) {
			if ( KBJobs_Settings::forced( $key ) || null === $value ) {
				return $old;
			}
			if ( 'alert_webhook_secret' === $key ) {
				// phpcs:ignore WordPress.Security.NonceVerification.Missing -- see from_form().
				if ( ! empty( $_POST[ self::CLEAR_SECRET ] ) ) {
					return '';
				}
				if ( '' === trim( (string) $value ) ) {
					return $old;
				}
			}
		}
		// options.php unslashed the form's values already.
		$label = self::fields()[ $key ][1] ?? $key;
		$valid = KBJobs_Settings::validate( $key, $value, $label );
		if ( ! is_wp_error( $valid ) && '' !== $valid && in_array( $key, array( 'fetch_allow', 'fetch_host_limits' ), true ) ) {
			$valid = self::engine_check( $key, $valid, $label );
		}
		if ( is_wp_error( $valid ) ) {
			// settings_errors() prints messages as HTML: the value quoted in it is the
			// operator's input, so the message is escaped here.
			add_settings_error( self::GROUP, $option, esc_html( $valid->get_error_message() . ' ' . __( 'The previous value was kept.', 'kb-jobs' ) ) );
			return $old;
		}
		if ( 'bool' === $spec['type'] ) {
			return $valid ? '1' : '0';
		}
		return $valid;
	}

	/**
	 * Lets the engine parse a fetcher list (it owns the syntax: addresses, ranges,
	 * host=limit pairs) by configuring the request's engine with it, then back.
	 *
	 * @param string $key   fetch_allow or fetch_host_limits.
	 * @param string $value The list.
	 * @param string $label The field's label.
	 * @return string|WP_Error
	 */
	private static function engine_check( string $key, string $value, string $label ) {
		if ( ! KBJobs_Requirements::met() ) {
			return $value;
		}
		$name     = 'fetch_allow' === $key ? 'allow' : 'host_limits';
		$settings = KBJobs_Settings::import_settings();
		try {
			$engine = KBJobs_Engine::get();
			$engine->configureImport( array( $name => $value ) + $settings );
		} catch ( \Throwable $e ) {
			/* translators: 1: field label, 2: the engine's message */
			return new WP_Error( 'kbjobs_invalid_setting', sprintf( __( '%1$s: %2$s', 'kb-jobs' ), $label, $e->getMessage() ) );
		}
		try {
			$engine->configureImport( $settings );
		} catch ( \Throwable $e ) {
			// The site's own settings were refused (a bad constant): the engine said so
			// when it was made, and says so again on the next request.
			unset( $e );
		}
		return $value;
	}

	/**
	 * The Data section: where the data directory is, what it holds, what is free.
	 */
	public static function render_data(): void {
		$dir   = KBJobs_Settings::data_dir();
		$usage = get_option( KBJobs_Maintenance::USAGE_OPTION );
		$free  = is_dir( $dir ) ? @disk_free_space( $dir ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a vanished mount reads as unknown.
		echo '<table class="form-table" role="presentation"><tbody>';
		echo '<tr><th scope="row">' . esc_html__( 'Data directory', 'kb-jobs' ) . '</th><td><code class="kbjobs-data-dir">' . esc_html( $dir ) . '</code>';
		if ( KBJobs_Settings::data_dir_forced() ) {
			echo '<p class="description kbjobs-forced">' . esc_html( sprintf( /* translators: %s: constant name */ __( 'Set by %s in wp-config.php.', 'kb-jobs' ), 'KBJOBS_DATA_DIR' ) ) . '</p>';
		} else {
			echo '<p class="description">' . esc_html__( 'The default: a folder with an unguessable name under uploads, with deny rules for Apache. Under nginx, deny it in the server configuration (see Site Health), or move it outside the web root with KBJOBS_DATA_DIR in wp-config.php.', 'kb-jobs' ) . '</p>';
		}
		echo '</td></tr>';
		echo '<tr><th scope="row">' . esc_html__( 'Disk use', 'kb-jobs' ) . '</th><td>';
		if ( is_array( $usage ) && isset( $usage['bytes'] ) ) {
			echo esc_html(
				sprintf(
					/* translators: 1: size, 2: number of files */
					_n( '%1$s in %2$s file', '%1$s in %2$s files', (int) $usage['files'], 'kb-jobs' ),
					size_format( (int) $usage['bytes'] ),
					number_format_i18n( (int) $usage['files'] )
				)
			);
			echo ' <span class="description">(' . esc_html__( 'measured', 'kb-jobs' ) . ' ' . wp_kses_post( self::time_html( (int) ( $usage['at'] ?? 0 ) ) ) . ')</span>';
		} else {
			echo esc_html__( 'Not measured yet (the daily cleanup measures it).', 'kb-jobs' );
		}
		if ( false !== $free ) {
			/* translators: %s: size */
			echo '<br>' . esc_html( sprintf( __( '%s free on its disk', 'kb-jobs' ), size_format( (int) $free ) ) );
		}
		echo '</td></tr></tbody></table>';
	}

	/**
	 * One field (add_settings_field's callback).
	 *
	 * @param array{key:string} $args The setting.
	 */
	public static function render_field( array $args ): void {
		$key      = $args['key'];
		$spec     = KBJobs_Settings::spec( $key );
		$option   = KBJobs_Settings::option_name( $key );
		$forced   = KBJobs_Settings::forced( $key );
		$value    = KBJobs_Settings::get( $key );
		$field    = self::fields()[ $key ];
		$disabled = $forced ? ' disabled' : '';
		$describe = '' !== $field[2] || $forced ? ' aria-describedby="' . esc_attr( $option . '-description' ) . '"' : '';
		if ( 'alert_webhook_secret' === $key ) {
			$state = '' === $value ? __( 'Not set.', 'kb-jobs' ) : __( 'Set.', 'kb-jobs' );
			echo '<p class="kbjobs-secret-state">' . esc_html( $state ) . '</p>';
			$hint = '' === $value ? __( 'New secret', 'kb-jobs' ) : __( 'Replace the secret (empty: keep it)', 'kb-jobs' );
			$hint = '' === $value ? __( 'New secret', 'kb-jobs' ) : __( 'Replace the secret (empty: keep it)', 'kb-jobs' );
			if ( ! $forced ) {
				printf(
					'<input type="password" class="regular-text" id="%1$s" name="%1$s" value="" autocomplete="new-password" placeholder="%2$s"%3$s>',
					esc_attr( $option ),
					esc_attr( $hint ),
					$describe // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built with esc_attr() above.
				);
				if ( '' !== $value ) {
					printf( ' <label><input type="checkbox" name="%s" value="1"> %s</label>', esc_attr( self::CLEAR_SECRET ), esc_html__( 'Remove the secret', 'kb-jobs' ) );
				}
			}
		} elseif ( 'bool' === $spec['type'] ) {
			if ( ! $forced ) {
				printf( '<input type="hidden" name="%s" value="0">', esc_attr( $option ) );
			}
			printf(
				'<label><input type="checkbox" id="%1$s" name="%1$s" value="1"%2$s%3$s%4$s> %5$s</label>',
				esc_attr( $option ),
				checked( $value, true, false ),
				$disabled, // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a fixed attribute.
				$describe, // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built with esc_attr() above.
				esc_html( $field[1] )
			);
		} elseif ( 'int' === $spec['type'] ) {
			printf(
				'<input type="number" class="small-text" id="%1$s" name="%1$s" value="%2$s" min="%3$d" max="%4$d" step="1"%5$s%6$s>',
				esc_attr( $option ),
				esc_attr( (string) $value ),
				(int) $spec['min'],
				(int) $spec['max'],
				$disabled, // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a fixed attribute.
				$describe // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built with esc_attr() above.
			);
		} else {
			printf(
				'<input type="%1$s" class="regular-text" id="%2$s" name="%2$s" value="%3$s"%4$s%5$s>',
				esc_attr( 'url' === $spec['kind'] ? 'url' : 'text' ),
				esc_attr( $option ),
				esc_attr( (string) $value ),
				$disabled, // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a fixed attribute.
				$describe // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built with esc_attr() above.
			);
		}
		if ( '' !== $field[2] || $forced ) {
			echo '<p class="description" id="' . esc_attr( $option . '-description' ) . '">' . esc_html( $field[2] );
			if ( $forced ) {
				echo ' <strong class="kbjobs-forced">' . esc_html( sprintf( /* translators: %s: constant name */ __( 'Set by %s in wp-config.php.', 'kb-jobs' ), KBJobs_Settings::constant_name( $key ) ) ) . '</strong>';
			}
			echo '</p>';
		}
	}

	/**
	 * The form.
	 */
	protected function render(): void {
		// Every group's notices: options.php files "Settings saved." under 'general'.
		settings_errors();
		echo '<form method="post" action="' . esc_url( admin_url( 'options.php' ) ) . '" class="kbjobs-settings-form">';
		settings_fields( self::GROUP );
		do_settings_sections( self::PAGE );
		submit_button();
		echo '</form>';
	}
}
