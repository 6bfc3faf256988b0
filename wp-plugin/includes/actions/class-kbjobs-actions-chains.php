<?php
/**
 * Chains of job types (the Job Builder, POST /chains/*, `wp kb chain`): validating a
 * chain (a read: the engine's errors and warnings, each tied to the steps it names),
 * running one as a combined job, and the saved templates' changes. Runs and template
 * changes need kbjobs_operate and are audited (chain.run, chain_template.create,
 * chain_template.update, chain_template.delete).
 *
 * A step is ['type' => string, 'params' => array, 'weight' => int] (and optionally a
 * 'name'); KBJobs_Data_Chain_Templates::phases() turns steps into the engine's phases.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Chain and template actions.
 */
final class KBJobs_Actions_Chains {

	/**
	 * Validates steps as a chain without running it: ['valid' => bool, 'errors' =>
	 * [['message' => string, 'steps' => int[]], ...], 'warnings' => the same]. steps
	 * lists the 0-based indexes of the steps a message names ("phase 2 ..."); empty for
	 * a message about the whole chain (the weights' sum).
	 *
	 * @param array<int,array<string,mixed>> $steps The steps.
	 * @return array|WP_Error
	 */
	public static function validate( array $steps ) {
		return KBJobs_Action::read(
			static function () use ( $steps ) {
				$report = KBJobs_Engine::get()->validateChain( KBJobs_Data_Chain_Templates::phases( $steps ) );
				return array(
					'valid'    => (bool) $report['valid'],
					'errors'   => array_map( array( self::class, 'located' ), $report['errors'] ),
					'warnings' => array_map( array( self::class, 'located' ), $report['warnings'] ),
				);
			}
		);
	}

	/**
	 * Runs steps as one combined job: ['id' => job id, 'warnings' => as validate()'s,
	 * 'url' => the job's page]. An invalid chain is refused (kbjobs_invalid, 400) with
	 * the validation report in the error's data, and nothing is submitted.
	 *
	 * @param array<int,array<string,mixed>> $steps    The steps.
	 * @param string                         $queue    The combined job's queue ('' for the default).
	 * @param int                            $template The template it comes from (0: none), for the audit log.
	 * @return array|WP_Error
	 */
	public static function run( array $steps, string $queue = '', int $template = 0 ) {
		$detail = array( 'types' => implode( ',', array_column( $steps, 'type' ) ) ) + ( $template ? array( 'template' => $template ) : array() ) + ( '' !== $queue ? array( 'queue' => $queue ) : array() );
		return KBJobs_Action::run(
			'chain.run',
			$template ? 'template:' . $template : 'chain',
			static function () use ( $steps, $queue ) {
				$engine = KBJobs_Engine::get();
				$phases = KBJobs_Data_Chain_Templates::phases( $steps );
				$report = $engine->validateChain( $phases );
				if ( ! $report['valid'] ) {
					$errors = array_map( array( self::class, 'located' ), $report['errors'] );
					return new WP_Error(
						'kbjobs_invalid',
						/* translators: %s: the first error */
						sprintf( __( 'The chain is invalid: %s', 'kb-jobs' ), $errors[0]['message'] ),
						array(
							'status'   => 400,
							'errors'   => $errors,
							'warnings' => array_map( array( self::class, 'located' ), $report['warnings'] ),
						)
					);
				}
				$done = $engine->submitCombined( $phases, '' !== $queue ? array( 'queue' => $queue ) : array() );
				return array(
					'id'       => $done['id'],
					'warnings' => array_map( array( self::class, 'located' ), $done['warnings'] ),
					'url'      => KBJobs_Admin::url( 'job', array( 'id' => $done['id'] ) ),
					'audit'    => array( 'job' => $done['id'] ),
				);
			},
			$detail
		);
	}

	/**
	 * Runs a saved template.
	 *
	 * @param string $key   Its id or name.
	 * @param string $queue A queue to use instead of the template's ('' keeps it).
	 * @return array|WP_Error As run().
	 */
	public static function run_template( string $key, string $queue = '' ) {
		$template = KBJobs_Action::read(
			static function () use ( $key ) {
				return KBJobs_Data_Chain_Templates::get( $key );
			}
		);
		if ( is_wp_error( $template ) ) {
			return $template;
		}
		$steps = json_decode( (string) wp_json_encode( $template['steps'] ), true );
		return self::run( $steps, '' !== $queue ? $queue : (string) $template['queue'], (int) $template['id'] );
	}

	/**
	 * Saves a new template.
	 *
	 * @param array<string,mixed> $data name, steps, queue.
	 * @return array|WP_Error The template.
	 */
	public static function create_template( array $data ) {
		$name = is_string( $data['name'] ?? null ) ? $data['name'] : '';
		return KBJobs_Action::run(
			'chain_template.create',
			$name,
			static function () use ( $data ) {
				$item = KBJobs_Data_Chain_Templates::create( $data );
				return $item + array( 'audit' => array( 'id' => $item['id'] ) );
			},
			array( 'steps' => is_array( $data['steps'] ?? null ) ? count( $data['steps'] ) : 0 )
		);
	}

	/**
	 * Changes a template (rename, new steps, queue).
	 *
	 * @param int                 $id   The template.
	 * @param array<string,mixed> $data name, steps, queue: those given change.
	 * @return array|WP_Error The template as it is now.
	 */
	public static function update_template( int $id, array $data ) {
		return KBJobs_Action::run(
			'chain_template.update',
			'template:' . $id,
			static function () use ( $id, $data ) {
				$before = KBJobs_Data_Chain_Templates::get( $id );
				$item   = KBJobs_Data_Chain_Templates::update( $id, $data );
				return $item + array(
					'audit' => array(
						'before' => $before['name'],
						'after'  => $item['name'],
					),
				);
			},
			array( 'changed' => implode( ',', array_keys( array_intersect_key( $data, array_flip( array( 'name', 'steps', 'queue' ) ) ) ) ) )
		);
	}

	/**
	 * Deletes a template.
	 *
	 * @param int $id The template.
	 * @return array|WP_Error ['deleted' => true, 'id' => int, 'name' => string].
	 */
	public static function delete_template( int $id ) {
		return KBJobs_Action::run(
			'chain_template.delete',
			'template:' . $id,
			static function () use ( $id ) {
				$item = KBJobs_Data_Chain_Templates::delete( $id );
				return array(
					'deleted' => true,
					'id'      => $id,
					'name'    => $item['name'],
					'audit'   => array( 'name' => $item['name'] ),
				);
			}
		);
	}

	/**
	 * An engine message with the steps it names: every "phase N" in it.
	 *
	 * @param string $message The engine's message.
	 * @return array{message:string,steps:int[]}
	 */
	public static function located( string $message ): array {
		preg_match_all( '/\bphase (\d+)\b/', $message, $m );
		$steps = array_values( array_unique( array_map( static fn( $n ) => (int) $n - 1, $m[1] ) ) );
		return array(
			'message' => $message,
			'steps'   => $steps,
		);
	}
}
