<?php
/**
 * `wp kb`: the namespace the commands are registered under (KBJobs_Plugin::COMMANDS).
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * Operates the kbjobs engine from the command line.
 */
final class KBJobs_CLI_Namespace extends \WP_CLI\Dispatcher\CommandNamespace {
}
