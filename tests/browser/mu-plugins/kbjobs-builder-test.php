<?php
/**
 * Test hooks of the Job Builder's browser test (tests/browser/job-builder.test.mjs copies
 * this file into the test site's mu-plugins and removes it afterwards): the job type
 * `kbjobs_test.publish`, whose schema has a field of each kind the Builder draws (a
 * required string with a default, an integer, a boolean, an enum, a list of strings),
 * and which declares that `diag.crud` should run before it (a warning), so moving it
 * above a diag.crud step makes the engine warn and moving it back clears the warning.
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'kbjobs_register_types',
	static function ( \KBJobs\Engine $engine ) {
		$engine->registerType(
			'kbjobs_test.publish',
			static function ( \KBJobs\Context $ctx ) {
				return array( 'published' => $ctx->params() );
			},
			array(
				'label'        => 'Publish (test)',
				'category'     => 'testing',
				'max_attempts' => 1,
				'schema'       => array(
					'type'       => 'object',
					'required'   => array( 'title' ),
					'properties' => array(
						'title'  => array(
							'type'    => 'string',
							'default' => 'Hello',
						),
						'copies' => array(
							'type'    => 'integer',
							'minimum' => 1,
							'maximum' => 10,
							'default' => 2,
						),
						'draft'  => array(
							'type'    => 'boolean',
							'default' => false,
						),
						'format' => array(
							'enum'    => array( 'html', 'text' ),
							'default' => 'html',
						),
						'tags'   => array(
							'type'  => 'array',
							'items' => array( 'type' => 'string' ),
						),
					),
				),
				'rules'        => array(
					array(
						'before'   => 'diag.crud',
						'after'    => 'kbjobs_test.publish',
						'severity' => 'warning',
						'message'  => 'check the database before publishing',
					),
				),
			)
		);
	}
);
