<?php
/**
 * Kept only for KBJobs_Import::failed_items(), which reads the failed-items file under
 * the data directory until it asks the engine for them; remove with that change. The
 * data directory is KBJobs_Settings's; the version report is KBJobs_Data_Versions.
 *
 * @package KBJobs
 */

defined( 'ABSPATH' ) || exit;

/**
 * The data directory, under its old name.
 */
final class KBJobs_Health {

	/**
	 * The data directory (see KBJobs_Settings::data_dir()).
	 *
	 * @deprecated Use KBJobs_Settings::data_dir().
	 * @return string
	 */
	public static function data_dir(): string {
		return KBJobs_Settings::data_dir();
	}
}
