/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: 67730965dacc8075317b4a339f7cc2494948b8e4 */

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_KBJobs_versions, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_KBJobs_Engine___construct, 0, 0, 4)
	ZEND_ARG_TYPE_INFO(0, host, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, user, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, password, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, database, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, prefix, IS_STRING, 0, "\"wp_\"")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, dataDir, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_migrate, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, all, _IS_BOOL, 0, "false")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, progress, IS_CALLABLE, 1, "null")
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_schemaInfo arginfo_KBJobs_versions

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_submit, 0, 1, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, type, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, params, IS_ARRAY, 0, "[]")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_submitMany, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, jobs, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_submitCombined, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, phases, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_validateChain, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, phases, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_import, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, list, IS_MIXED, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, params, IS_ARRAY, 0, "[]")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_checkList, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, list, IS_MIXED, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_configureImport, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, settings, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_artifact, 0, 1, IS_ARRAY, 1)
	ZEND_ARG_TYPE_INFO(0, url, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_postSources, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, postIds, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_importPostIds, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, importId, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, by, IS_STRING, 0, "\"any\"")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, after, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, limit, IS_LONG, 0, "100")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_failedItems, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, cursor, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, limit, IS_LONG, 0, "100")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_resubmitFailedItems, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, importId, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_checkParams, 0, 2, IS_STRING, 1)
	ZEND_ARG_TYPE_INFO(0, type, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, params, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_types arginfo_KBJobs_versions

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_jobsByUniqueKeys, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, keys, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_KBJobs_Engine_get, 0, 1, KBJobs\\Job, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_list, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, filter, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_count, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, filter, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_statusCounts, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, filter, IS_ARRAY, 0, "[]")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, exact, _IS_BOOL, 0, "false")
	ZEND_ARG_INFO_WITH_DEFAULT_VALUE(1, estimated, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_applyToJobs, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, action, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, ids, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_cancel, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_resume, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_rerun, 0, 1, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_attempts, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_log, 0, 3, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, level, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, message, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, context, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_logs, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, cursor, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, maxBytes, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_tail, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, lines, IS_LONG, 0, "100")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_retention, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, days, IS_LONG, 0, "30")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_quarantine, 0, 1, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, relPath, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_stats, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_cleanup arginfo_class_KBJobs_Engine_stats

#define arginfo_class_KBJobs_Engine_rollupMetrics arginfo_KBJobs_versions

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_interrupted, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, limit, IS_LONG, 0, "50")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_checkpoint, 0, 1, IS_ARRAY, 1)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_discardCheckpoint arginfo_class_KBJobs_Engine_resume

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_cleanupCheckpoints, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, days, IS_LONG, 0, "7")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_setQueue, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, queue, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, concurrency, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, rate, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, periodMs, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_pauseQueue, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, queue, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_resumeQueue arginfo_class_KBJobs_Engine_pauseQueue

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_queue, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, queue, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, exact, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_queues, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, exact, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_releaseBacklog, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_backlogs arginfo_class_KBJobs_Engine_queues

#define arginfo_class_KBJobs_Engine_resources arginfo_KBJobs_versions

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_reap, 0, 0, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_why arginfo_class_KBJobs_Engine_checkpoint

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_audit, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, entry, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_auditLog arginfo_class_KBJobs_Engine_list

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_auditRetention, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, days, IS_LONG, 0, "90")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_cronSchedule, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, event, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, mode, IS_STRING, 0, "\"single\"")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, now, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_cronUnschedule, 0, 3, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, hook, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, argsKey, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, timestamp, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_cronClear, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, hook, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, argsKey, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_cronEvents arginfo_class_KBJobs_Engine_list

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_cronEvent, 0, 1, IS_ARRAY, 1)
	ZEND_ARG_TYPE_INFO(0, id, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_cronCounts arginfo_KBJobs_versions

#define arginfo_class_KBJobs_Engine_cronScheduleUses arginfo_KBJobs_versions

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_cronUpdate, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, changes, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_cronDelete, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_cronRunNow arginfo_class_KBJobs_Engine_cronDelete

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_registerType, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, type, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, handler, IS_CALLABLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Engine_run arginfo_class_KBJobs_Engine_stats

#define arginfo_class_KBJobs_Engine_cronRuns arginfo_class_KBJobs_Engine_list

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_cronPrune, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, days, IS_LONG, 0, "30")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, perHook, IS_LONG, 0, "100")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_cronRunnerAlive, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Engine_requestStop, 0, 0, IS_VOID, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_KBJobs_Engine_tracker, 0, 0, KBJobs\\JobTracker, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_KBJobs_Engine_failures, 0, 0, KBJobs\\FailureLog, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_KBJobs_Job___construct, 0, 0, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Job_rate, 0, 0, IS_DOUBLE, 1)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Job_eta arginfo_class_KBJobs_Job_rate

#define arginfo_class_KBJobs_Job_toArray arginfo_KBJobs_versions

#define arginfo_class_KBJobs_Context___construct arginfo_class_KBJobs_Job___construct

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Context_id, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Context_type arginfo_class_KBJobs_Context_id

#define arginfo_class_KBJobs_Context_attempt arginfo_class_KBJobs_Engine_reap

#define arginfo_class_KBJobs_Context_params arginfo_KBJobs_versions

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Context_progress, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, done, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, total, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, phase, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Context_title, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, title, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Context_log, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, level, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, message, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, context, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Context_metrics, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, metrics, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Context_checkpoint, 0, 0, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, cursor, IS_MIXED, 0, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, counts, IS_ARRAY, 0, "[]")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, state, IS_MIXED, 0, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, force, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Context_lastCheckpoint, 0, 0, IS_ARRAY, 1)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Context_shouldStop arginfo_class_KBJobs_Engine_cronRunnerAlive

#define arginfo_class_KBJobs_Context_cancelled arginfo_class_KBJobs_Engine_cronRunnerAlive

#define arginfo_class_KBJobs_Context_stopEarly arginfo_class_KBJobs_Engine_requestStop

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Context_leaseRemaining, 0, 0, IS_DOUBLE, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Context_assertLease, 0, 0, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, lostBecause, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_Context_fenceStatement arginfo_class_KBJobs_Context_id

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_Context_recordPostsStatement, 0, 1, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, posts, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_JobTracker___construct arginfo_class_KBJobs_Job___construct

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_JobTracker_runners, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, hours, IS_LONG, 0, "24")
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_JobTracker_activeJobs arginfo_KBJobs_versions

#define arginfo_class_KBJobs_FailureLog___construct arginfo_class_KBJobs_Job___construct

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_FailureLog_list, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, limit, IS_LONG, 0, "50")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, offset, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, kind, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_FailureLog_count, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, kind, IS_STRING, 0, "\"job\"")
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_FailureLog_evicted arginfo_class_KBJobs_FailureLog_count

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_KBJobs_FailureLog_resubmit, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_MASK(0, ids, MAY_BE_STRING|MAY_BE_ARRAY, NULL)
ZEND_END_ARG_INFO()

#define arginfo_class_KBJobs_FailureLog_delete arginfo_class_KBJobs_FailureLog_resubmit

#define arginfo_class_KBJobs_FailureLog_alerts arginfo_KBJobs_versions

#define arginfo_class_KBJobs_FailureLog_acknowledgeAlert arginfo_class_KBJobs_Engine_cronDelete


ZEND_FUNCTION(KBJobs_versions);
ZEND_METHOD(KBJobs_Engine, __construct);
ZEND_METHOD(KBJobs_Engine, migrate);
ZEND_METHOD(KBJobs_Engine, schemaInfo);
ZEND_METHOD(KBJobs_Engine, submit);
ZEND_METHOD(KBJobs_Engine, submitMany);
ZEND_METHOD(KBJobs_Engine, submitCombined);
ZEND_METHOD(KBJobs_Engine, validateChain);
ZEND_METHOD(KBJobs_Engine, import);
ZEND_METHOD(KBJobs_Engine, checkList);
ZEND_METHOD(KBJobs_Engine, configureImport);
ZEND_METHOD(KBJobs_Engine, artifact);
ZEND_METHOD(KBJobs_Engine, postSources);
ZEND_METHOD(KBJobs_Engine, importPostIds);
ZEND_METHOD(KBJobs_Engine, failedItems);
ZEND_METHOD(KBJobs_Engine, resubmitFailedItems);
ZEND_METHOD(KBJobs_Engine, checkParams);
ZEND_METHOD(KBJobs_Engine, types);
ZEND_METHOD(KBJobs_Engine, jobsByUniqueKeys);
ZEND_METHOD(KBJobs_Engine, get);
ZEND_METHOD(KBJobs_Engine, list);
ZEND_METHOD(KBJobs_Engine, count);
ZEND_METHOD(KBJobs_Engine, statusCounts);
ZEND_METHOD(KBJobs_Engine, applyToJobs);
ZEND_METHOD(KBJobs_Engine, cancel);
ZEND_METHOD(KBJobs_Engine, resume);
ZEND_METHOD(KBJobs_Engine, rerun);
ZEND_METHOD(KBJobs_Engine, attempts);
ZEND_METHOD(KBJobs_Engine, log);
ZEND_METHOD(KBJobs_Engine, logs);
ZEND_METHOD(KBJobs_Engine, tail);
ZEND_METHOD(KBJobs_Engine, retention);
ZEND_METHOD(KBJobs_Engine, quarantine);
ZEND_METHOD(KBJobs_Engine, stats);
ZEND_METHOD(KBJobs_Engine, cleanup);
ZEND_METHOD(KBJobs_Engine, rollupMetrics);
ZEND_METHOD(KBJobs_Engine, interrupted);
ZEND_METHOD(KBJobs_Engine, checkpoint);
ZEND_METHOD(KBJobs_Engine, discardCheckpoint);
ZEND_METHOD(KBJobs_Engine, cleanupCheckpoints);
ZEND_METHOD(KBJobs_Engine, setQueue);
ZEND_METHOD(KBJobs_Engine, pauseQueue);
ZEND_METHOD(KBJobs_Engine, resumeQueue);
ZEND_METHOD(KBJobs_Engine, queue);
ZEND_METHOD(KBJobs_Engine, queues);
ZEND_METHOD(KBJobs_Engine, releaseBacklog);
ZEND_METHOD(KBJobs_Engine, backlogs);
ZEND_METHOD(KBJobs_Engine, resources);
ZEND_METHOD(KBJobs_Engine, reap);
ZEND_METHOD(KBJobs_Engine, why);
ZEND_METHOD(KBJobs_Engine, audit);
ZEND_METHOD(KBJobs_Engine, auditLog);
ZEND_METHOD(KBJobs_Engine, auditRetention);
ZEND_METHOD(KBJobs_Engine, cronSchedule);
ZEND_METHOD(KBJobs_Engine, cronUnschedule);
ZEND_METHOD(KBJobs_Engine, cronClear);
ZEND_METHOD(KBJobs_Engine, cronEvents);
ZEND_METHOD(KBJobs_Engine, cronEvent);
ZEND_METHOD(KBJobs_Engine, cronCounts);
ZEND_METHOD(KBJobs_Engine, cronScheduleUses);
ZEND_METHOD(KBJobs_Engine, cronUpdate);
ZEND_METHOD(KBJobs_Engine, cronDelete);
ZEND_METHOD(KBJobs_Engine, cronRunNow);
ZEND_METHOD(KBJobs_Engine, registerType);
ZEND_METHOD(KBJobs_Engine, run);
ZEND_METHOD(KBJobs_Engine, cronRuns);
ZEND_METHOD(KBJobs_Engine, cronPrune);
ZEND_METHOD(KBJobs_Engine, cronRunnerAlive);
ZEND_METHOD(KBJobs_Engine, requestStop);
ZEND_METHOD(KBJobs_Engine, tracker);
ZEND_METHOD(KBJobs_Engine, failures);
ZEND_METHOD(KBJobs_Job, __construct);
ZEND_METHOD(KBJobs_Job, rate);
ZEND_METHOD(KBJobs_Job, eta);
ZEND_METHOD(KBJobs_Job, toArray);
ZEND_METHOD(KBJobs_Context, __construct);
ZEND_METHOD(KBJobs_Context, id);
ZEND_METHOD(KBJobs_Context, type);
ZEND_METHOD(KBJobs_Context, attempt);
ZEND_METHOD(KBJobs_Context, params);
ZEND_METHOD(KBJobs_Context, progress);
ZEND_METHOD(KBJobs_Context, title);
ZEND_METHOD(KBJobs_Context, log);
ZEND_METHOD(KBJobs_Context, metrics);
ZEND_METHOD(KBJobs_Context, checkpoint);
ZEND_METHOD(KBJobs_Context, lastCheckpoint);
ZEND_METHOD(KBJobs_Context, shouldStop);
ZEND_METHOD(KBJobs_Context, cancelled);
ZEND_METHOD(KBJobs_Context, stopEarly);
ZEND_METHOD(KBJobs_Context, leaseRemaining);
ZEND_METHOD(KBJobs_Context, assertLease);
ZEND_METHOD(KBJobs_Context, fenceStatement);
ZEND_METHOD(KBJobs_Context, recordPostsStatement);
ZEND_METHOD(KBJobs_JobTracker, __construct);
ZEND_METHOD(KBJobs_JobTracker, runners);
ZEND_METHOD(KBJobs_JobTracker, activeJobs);
ZEND_METHOD(KBJobs_FailureLog, __construct);
ZEND_METHOD(KBJobs_FailureLog, list);
ZEND_METHOD(KBJobs_FailureLog, count);
ZEND_METHOD(KBJobs_FailureLog, evicted);
ZEND_METHOD(KBJobs_FailureLog, resubmit);
ZEND_METHOD(KBJobs_FailureLog, delete);
ZEND_METHOD(KBJobs_FailureLog, alerts);
ZEND_METHOD(KBJobs_FailureLog, acknowledgeAlert);


static const zend_function_entry ext_functions[] = {
	ZEND_NS_FALIAS("KBJobs", versions, KBJobs_versions, arginfo_KBJobs_versions)
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_Exception_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_NotFoundException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_ConflictException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_LeaseLostException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_DatabaseException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_ConnectionLostException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_FilesystemException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_NonRetryableException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_Engine_methods[] = {
	ZEND_ME(KBJobs_Engine, __construct, arginfo_class_KBJobs_Engine___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, migrate, arginfo_class_KBJobs_Engine_migrate, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, schemaInfo, arginfo_class_KBJobs_Engine_schemaInfo, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, submit, arginfo_class_KBJobs_Engine_submit, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, submitMany, arginfo_class_KBJobs_Engine_submitMany, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, submitCombined, arginfo_class_KBJobs_Engine_submitCombined, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, validateChain, arginfo_class_KBJobs_Engine_validateChain, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, import, arginfo_class_KBJobs_Engine_import, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, checkList, arginfo_class_KBJobs_Engine_checkList, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, configureImport, arginfo_class_KBJobs_Engine_configureImport, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, artifact, arginfo_class_KBJobs_Engine_artifact, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, postSources, arginfo_class_KBJobs_Engine_postSources, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, importPostIds, arginfo_class_KBJobs_Engine_importPostIds, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, failedItems, arginfo_class_KBJobs_Engine_failedItems, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, resubmitFailedItems, arginfo_class_KBJobs_Engine_resubmitFailedItems, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, checkParams, arginfo_class_KBJobs_Engine_checkParams, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, types, arginfo_class_KBJobs_Engine_types, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, jobsByUniqueKeys, arginfo_class_KBJobs_Engine_jobsByUniqueKeys, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, get, arginfo_class_KBJobs_Engine_get, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, list, arginfo_class_KBJobs_Engine_list, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, count, arginfo_class_KBJobs_Engine_count, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, statusCounts, arginfo_class_KBJobs_Engine_statusCounts, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, applyToJobs, arginfo_class_KBJobs_Engine_applyToJobs, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cancel, arginfo_class_KBJobs_Engine_cancel, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, resume, arginfo_class_KBJobs_Engine_resume, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, rerun, arginfo_class_KBJobs_Engine_rerun, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, attempts, arginfo_class_KBJobs_Engine_attempts, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, log, arginfo_class_KBJobs_Engine_log, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, logs, arginfo_class_KBJobs_Engine_logs, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, tail, arginfo_class_KBJobs_Engine_tail, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, retention, arginfo_class_KBJobs_Engine_retention, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, quarantine, arginfo_class_KBJobs_Engine_quarantine, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, stats, arginfo_class_KBJobs_Engine_stats, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cleanup, arginfo_class_KBJobs_Engine_cleanup, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, rollupMetrics, arginfo_class_KBJobs_Engine_rollupMetrics, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, interrupted, arginfo_class_KBJobs_Engine_interrupted, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, checkpoint, arginfo_class_KBJobs_Engine_checkpoint, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, discardCheckpoint, arginfo_class_KBJobs_Engine_discardCheckpoint, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cleanupCheckpoints, arginfo_class_KBJobs_Engine_cleanupCheckpoints, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, setQueue, arginfo_class_KBJobs_Engine_setQueue, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, pauseQueue, arginfo_class_KBJobs_Engine_pauseQueue, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, resumeQueue, arginfo_class_KBJobs_Engine_resumeQueue, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, queue, arginfo_class_KBJobs_Engine_queue, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, queues, arginfo_class_KBJobs_Engine_queues, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, releaseBacklog, arginfo_class_KBJobs_Engine_releaseBacklog, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, backlogs, arginfo_class_KBJobs_Engine_backlogs, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, resources, arginfo_class_KBJobs_Engine_resources, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, reap, arginfo_class_KBJobs_Engine_reap, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, why, arginfo_class_KBJobs_Engine_why, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, audit, arginfo_class_KBJobs_Engine_audit, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, auditLog, arginfo_class_KBJobs_Engine_auditLog, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, auditRetention, arginfo_class_KBJobs_Engine_auditRetention, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronSchedule, arginfo_class_KBJobs_Engine_cronSchedule, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronUnschedule, arginfo_class_KBJobs_Engine_cronUnschedule, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronClear, arginfo_class_KBJobs_Engine_cronClear, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronEvents, arginfo_class_KBJobs_Engine_cronEvents, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronEvent, arginfo_class_KBJobs_Engine_cronEvent, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronCounts, arginfo_class_KBJobs_Engine_cronCounts, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronScheduleUses, arginfo_class_KBJobs_Engine_cronScheduleUses, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronUpdate, arginfo_class_KBJobs_Engine_cronUpdate, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronDelete, arginfo_class_KBJobs_Engine_cronDelete, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronRunNow, arginfo_class_KBJobs_Engine_cronRunNow, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, registerType, arginfo_class_KBJobs_Engine_registerType, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, run, arginfo_class_KBJobs_Engine_run, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronRuns, arginfo_class_KBJobs_Engine_cronRuns, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronPrune, arginfo_class_KBJobs_Engine_cronPrune, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, cronRunnerAlive, arginfo_class_KBJobs_Engine_cronRunnerAlive, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, requestStop, arginfo_class_KBJobs_Engine_requestStop, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, tracker, arginfo_class_KBJobs_Engine_tracker, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Engine, failures, arginfo_class_KBJobs_Engine_failures, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_Job_methods[] = {
	ZEND_ME(KBJobs_Job, __construct, arginfo_class_KBJobs_Job___construct, ZEND_ACC_PRIVATE)
	ZEND_ME(KBJobs_Job, rate, arginfo_class_KBJobs_Job_rate, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Job, eta, arginfo_class_KBJobs_Job_eta, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Job, toArray, arginfo_class_KBJobs_Job_toArray, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_Context_methods[] = {
	ZEND_ME(KBJobs_Context, __construct, arginfo_class_KBJobs_Context___construct, ZEND_ACC_PRIVATE)
	ZEND_ME(KBJobs_Context, id, arginfo_class_KBJobs_Context_id, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, type, arginfo_class_KBJobs_Context_type, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, attempt, arginfo_class_KBJobs_Context_attempt, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, params, arginfo_class_KBJobs_Context_params, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, progress, arginfo_class_KBJobs_Context_progress, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, title, arginfo_class_KBJobs_Context_title, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, log, arginfo_class_KBJobs_Context_log, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, metrics, arginfo_class_KBJobs_Context_metrics, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, checkpoint, arginfo_class_KBJobs_Context_checkpoint, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, lastCheckpoint, arginfo_class_KBJobs_Context_lastCheckpoint, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, shouldStop, arginfo_class_KBJobs_Context_shouldStop, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, cancelled, arginfo_class_KBJobs_Context_cancelled, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, stopEarly, arginfo_class_KBJobs_Context_stopEarly, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, leaseRemaining, arginfo_class_KBJobs_Context_leaseRemaining, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, assertLease, arginfo_class_KBJobs_Context_assertLease, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, fenceStatement, arginfo_class_KBJobs_Context_fenceStatement, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_Context, recordPostsStatement, arginfo_class_KBJobs_Context_recordPostsStatement, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_JobTracker_methods[] = {
	ZEND_ME(KBJobs_JobTracker, __construct, arginfo_class_KBJobs_JobTracker___construct, ZEND_ACC_PRIVATE)
	ZEND_ME(KBJobs_JobTracker, runners, arginfo_class_KBJobs_JobTracker_runners, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_JobTracker, activeJobs, arginfo_class_KBJobs_JobTracker_activeJobs, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_KBJobs_FailureLog_methods[] = {
	ZEND_ME(KBJobs_FailureLog, __construct, arginfo_class_KBJobs_FailureLog___construct, ZEND_ACC_PRIVATE)
	ZEND_ME(KBJobs_FailureLog, list, arginfo_class_KBJobs_FailureLog_list, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_FailureLog, count, arginfo_class_KBJobs_FailureLog_count, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_FailureLog, evicted, arginfo_class_KBJobs_FailureLog_evicted, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_FailureLog, resubmit, arginfo_class_KBJobs_FailureLog_resubmit, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_FailureLog, delete, arginfo_class_KBJobs_FailureLog_delete, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_FailureLog, alerts, arginfo_class_KBJobs_FailureLog_alerts, ZEND_ACC_PUBLIC)
	ZEND_ME(KBJobs_FailureLog, acknowledgeAlert, arginfo_class_KBJobs_FailureLog_acknowledgeAlert, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};

static void register_kbjobs_symbols(int module_number)
{
	REGISTER_STRING_CONSTANT("KBJobs\\VERSION", KBJ_VERSION, CONST_PERSISTENT);
}

static zend_class_entry *register_class_KBJobs_Exception(zend_class_entry *class_entry_RuntimeException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "Exception", class_KBJobs_Exception_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RuntimeException);

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_NotFoundException(zend_class_entry *class_entry_KBJobs_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "NotFoundException", class_KBJobs_NotFoundException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_KBJobs_Exception);
	class_entry->ce_flags |= ZEND_ACC_FINAL;

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_ConflictException(zend_class_entry *class_entry_KBJobs_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "ConflictException", class_KBJobs_ConflictException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_KBJobs_Exception);

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_LeaseLostException(zend_class_entry *class_entry_KBJobs_ConflictException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "LeaseLostException", class_KBJobs_LeaseLostException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_KBJobs_ConflictException);
	class_entry->ce_flags |= ZEND_ACC_FINAL;

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_DatabaseException(zend_class_entry *class_entry_KBJobs_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "DatabaseException", class_KBJobs_DatabaseException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_KBJobs_Exception);

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_ConnectionLostException(zend_class_entry *class_entry_KBJobs_DatabaseException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "ConnectionLostException", class_KBJobs_ConnectionLostException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_KBJobs_DatabaseException);
	class_entry->ce_flags |= ZEND_ACC_FINAL;

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_FilesystemException(zend_class_entry *class_entry_KBJobs_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "FilesystemException", class_KBJobs_FilesystemException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_KBJobs_Exception);
	class_entry->ce_flags |= ZEND_ACC_FINAL;

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_NonRetryableException(zend_class_entry *class_entry_KBJobs_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "NonRetryableException", class_KBJobs_NonRetryableException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_KBJobs_Exception);

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_Engine(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "Engine", class_KBJobs_Engine_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES;


	zend_add_parameter_attribute(zend_hash_str_find_ptr(&class_entry->function_table, "__construct", sizeof("__construct") - 1), 2, ZSTR_KNOWN(ZEND_STR_SENSITIVEPARAMETER), 0);

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_Job(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "Job", class_KBJobs_Job_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES;

	zval property_id_default_value;
	ZVAL_UNDEF(&property_id_default_value);
	zend_string *property_id_name = zend_string_init("id", sizeof("id") - 1, 1);
	zend_declare_typed_property(class_entry, property_id_name, &property_id_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_id_name);

	zval property_type_default_value;
	ZVAL_UNDEF(&property_type_default_value);
	zend_string *property_type_name = zend_string_init("type", sizeof("type") - 1, 1);
	zend_declare_typed_property(class_entry, property_type_name, &property_type_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_type_name);

	zval property_queue_default_value;
	ZVAL_UNDEF(&property_queue_default_value);
	zend_string *property_queue_name = zend_string_init("queue", sizeof("queue") - 1, 1);
	zend_declare_typed_property(class_entry, property_queue_name, &property_queue_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_queue_name);

	zval property_status_default_value;
	ZVAL_UNDEF(&property_status_default_value);
	zend_string *property_status_name = zend_string_init("status", sizeof("status") - 1, 1);
	zend_declare_typed_property(class_entry, property_status_name, &property_status_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_status_name);

	zval property_priority_default_value;
	ZVAL_UNDEF(&property_priority_default_value);
	zend_string *property_priority_name = zend_string_init("priority", sizeof("priority") - 1, 1);
	zend_declare_typed_property(class_entry, property_priority_name, &property_priority_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG));
	zend_string_release(property_priority_name);

	zval property_params_default_value;
	ZVAL_UNDEF(&property_params_default_value);
	zend_string *property_params_name = zend_string_init("params", sizeof("params") - 1, 1);
	zend_declare_typed_property(class_entry, property_params_name, &property_params_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ARRAY));
	zend_string_release(property_params_name);

	zval property_result_default_value;
	ZVAL_UNDEF(&property_result_default_value);
	zend_string *property_result_name = zend_string_init("result", sizeof("result") - 1, 1);
	zend_declare_typed_property(class_entry, property_result_name, &property_result_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ANY));
	zend_string_release(property_result_name);

	zval property_error_default_value;
	ZVAL_UNDEF(&property_error_default_value);
	zend_string *property_error_name = zend_string_init("error", sizeof("error") - 1, 1);
	zend_declare_typed_property(class_entry, property_error_name, &property_error_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_error_name);

	zval property_metrics_default_value;
	ZVAL_UNDEF(&property_metrics_default_value);
	zend_string *property_metrics_name = zend_string_init("metrics", sizeof("metrics") - 1, 1);
	zend_declare_typed_property(class_entry, property_metrics_name, &property_metrics_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ARRAY));
	zend_string_release(property_metrics_name);

	zval property_title_default_value;
	ZVAL_UNDEF(&property_title_default_value);
	zend_string *property_title_name = zend_string_init("title", sizeof("title") - 1, 1);
	zend_declare_typed_property(class_entry, property_title_name, &property_title_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_title_name);

	zval property_phase_default_value;
	ZVAL_UNDEF(&property_phase_default_value);
	zend_string *property_phase_name = zend_string_init("phase", sizeof("phase") - 1, 1);
	zend_declare_typed_property(class_entry, property_phase_name, &property_phase_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_phase_name);

	zval property_progressDone_default_value;
	ZVAL_UNDEF(&property_progressDone_default_value);
	zend_string *property_progressDone_name = zend_string_init("progressDone", sizeof("progressDone") - 1, 1);
	zend_declare_typed_property(class_entry, property_progressDone_name, &property_progressDone_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG));
	zend_string_release(property_progressDone_name);

	zval property_progressTotal_default_value;
	ZVAL_UNDEF(&property_progressTotal_default_value);
	zend_string *property_progressTotal_name = zend_string_init("progressTotal", sizeof("progressTotal") - 1, 1);
	zend_declare_typed_property(class_entry, property_progressTotal_name, &property_progressTotal_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG));
	zend_string_release(property_progressTotal_name);

	zval property_attempts_default_value;
	ZVAL_UNDEF(&property_attempts_default_value);
	zend_string *property_attempts_name = zend_string_init("attempts", sizeof("attempts") - 1, 1);
	zend_declare_typed_property(class_entry, property_attempts_name, &property_attempts_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG));
	zend_string_release(property_attempts_name);

	zval property_maxAttempts_default_value;
	ZVAL_UNDEF(&property_maxAttempts_default_value);
	zend_string *property_maxAttempts_name = zend_string_init("maxAttempts", sizeof("maxAttempts") - 1, 1);
	zend_declare_typed_property(class_entry, property_maxAttempts_name, &property_maxAttempts_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG));
	zend_string_release(property_maxAttempts_name);

	zval property_concurrencyKey_default_value;
	ZVAL_UNDEF(&property_concurrencyKey_default_value);
	zend_string *property_concurrencyKey_name = zend_string_init("concurrencyKey", sizeof("concurrencyKey") - 1, 1);
	zend_declare_typed_property(class_entry, property_concurrencyKey_name, &property_concurrencyKey_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_concurrencyKey_name);

	zval property_uniqueKey_default_value;
	ZVAL_UNDEF(&property_uniqueKey_default_value);
	zend_string *property_uniqueKey_name = zend_string_init("uniqueKey", sizeof("uniqueKey") - 1, 1);
	zend_declare_typed_property(class_entry, property_uniqueKey_name, &property_uniqueKey_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_uniqueKey_name);

	zval property_resources_default_value;
	ZVAL_UNDEF(&property_resources_default_value);
	zend_string *property_resources_name = zend_string_init("resources", sizeof("resources") - 1, 1);
	zend_declare_typed_property(class_entry, property_resources_name, &property_resources_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ARRAY));
	zend_string_release(property_resources_name);

	zval property_cancelRequested_default_value;
	ZVAL_UNDEF(&property_cancelRequested_default_value);
	zend_string *property_cancelRequested_name = zend_string_init("cancelRequested", sizeof("cancelRequested") - 1, 1);
	zend_declare_typed_property(class_entry, property_cancelRequested_name, &property_cancelRequested_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_BOOL));
	zend_string_release(property_cancelRequested_name);

	zval property_runner_default_value;
	ZVAL_UNDEF(&property_runner_default_value);
	zend_string *property_runner_name = zend_string_init("runner", sizeof("runner") - 1, 1);
	zend_declare_typed_property(class_entry, property_runner_name, &property_runner_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_runner_name);

	zval property_rerunOf_default_value;
	ZVAL_UNDEF(&property_rerunOf_default_value);
	zend_string *property_rerunOf_name = zend_string_init("rerunOf", sizeof("rerunOf") - 1, 1);
	zend_declare_typed_property(class_entry, property_rerunOf_name, &property_rerunOf_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_rerunOf_name);

	zval property_runAt_default_value;
	ZVAL_UNDEF(&property_runAt_default_value);
	zend_string *property_runAt_name = zend_string_init("runAt", sizeof("runAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_runAt_name, &property_runAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_DOUBLE|MAY_BE_NULL));
	zend_string_release(property_runAt_name);

	zval property_createdAt_default_value;
	ZVAL_UNDEF(&property_createdAt_default_value);
	zend_string *property_createdAt_name = zend_string_init("createdAt", sizeof("createdAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_createdAt_name, &property_createdAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_DOUBLE|MAY_BE_NULL));
	zend_string_release(property_createdAt_name);

	zval property_startedAt_default_value;
	ZVAL_UNDEF(&property_startedAt_default_value);
	zend_string *property_startedAt_name = zend_string_init("startedAt", sizeof("startedAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_startedAt_name, &property_startedAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_DOUBLE|MAY_BE_NULL));
	zend_string_release(property_startedAt_name);

	zval property_progressAt_default_value;
	ZVAL_UNDEF(&property_progressAt_default_value);
	zend_string *property_progressAt_name = zend_string_init("progressAt", sizeof("progressAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_progressAt_name, &property_progressAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_DOUBLE|MAY_BE_NULL));
	zend_string_release(property_progressAt_name);

	zval property_finishedAt_default_value;
	ZVAL_UNDEF(&property_finishedAt_default_value);
	zend_string *property_finishedAt_name = zend_string_init("finishedAt", sizeof("finishedAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_finishedAt_name, &property_finishedAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_DOUBLE|MAY_BE_NULL));
	zend_string_release(property_finishedAt_name);

	zval property_updatedAt_default_value;
	ZVAL_UNDEF(&property_updatedAt_default_value);
	zend_string *property_updatedAt_name = zend_string_init("updatedAt", sizeof("updatedAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_updatedAt_name, &property_updatedAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_DOUBLE|MAY_BE_NULL));
	zend_string_release(property_updatedAt_name);

	zval property_backlog_default_value;
	ZVAL_UNDEF(&property_backlog_default_value);
	zend_string *property_backlog_name = zend_string_init("backlog", sizeof("backlog") - 1, 1);
	zend_declare_typed_property(class_entry, property_backlog_name, &property_backlog_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_backlog_name);

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_Context(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "Context", class_KBJobs_Context_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES;

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_JobTracker(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "JobTracker", class_KBJobs_JobTracker_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES;

	return class_entry;
}

static zend_class_entry *register_class_KBJobs_FailureLog(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "KBJobs", "FailureLog", class_KBJobs_FailureLog_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES;

	return class_entry;
}
