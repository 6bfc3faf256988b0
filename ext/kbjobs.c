/*
 * kbjobs.c - the module: INI settings, startup (classes, exceptions, constants),
 * phpinfo and the namespace-level functions. Glue only: everything it reports comes
 * from the engine (engine/kbj.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "php_ini.h"
#include "ext/standard/info.h"
#include "zend_attributes.h"
#include "zend_exceptions.h"
#include "ext/spl/spl_exceptions.h"

#include "php_kbjobs.h"
#include "kbjobs_arginfo.h"

#define KBJOBS_MAX_LIBRARIES 8

ZEND_DECLARE_MODULE_GLOBALS(kbjobs)

zend_class_entry *kbjobs_ce_exception, *kbjobs_ce_not_found, *kbjobs_ce_conflict,
    *kbjobs_ce_lease_lost, *kbjobs_ce_database, *kbjobs_ce_connection_lost, *kbjobs_ce_filesystem,
    *kbjobs_ce_non_retryable;
zend_class_entry *kbjobs_ce_engine, *kbjobs_ce_job, *kbjobs_ce_context,
    *kbjobs_ce_tracker, *kbjobs_ce_failure_log;

static ZEND_INI_MH(on_update_positive)
{
    zend_long v = ZEND_STRTOL(ZSTR_VAL(new_value), NULL, 10);
    if (v < 1 || v > (strcmp(ZSTR_VAL(entry->name), "kbjobs.claim_batch") == 0 ? 1000 : 86400))
        return FAILURE;
    return OnUpdateLong(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

/* kbjobs.heartbeat_seconds (1..3600) and kbjobs.lost_after_seconds (0: four heartbeats,
 * else 2..604800): the engine's ranges; whether the heartbeat is below lost_after is
 * checked when an Engine is made, where both are known. */
static ZEND_INI_MH(on_update_runner_seconds)
{
    char *end;
    zend_long v = ZEND_STRTOL(ZSTR_VAL(new_value), &end, 10);
    int heartbeat = strcmp(ZSTR_VAL(entry->name), "kbjobs.heartbeat_seconds") == 0;
    if (end == ZSTR_VAL(new_value) || *end)
        return FAILURE;
    if (heartbeat ? (v < 1 || v > KBJ_HEARTBEAT_SECONDS_MAX)
                  : (v != 0 && (v < 2 || v > KBJ_LOST_AFTER_SECONDS_MAX)))
        return FAILURE;
    return OnUpdateLong(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

PHP_INI_BEGIN()
    STD_PHP_INI_ENTRY("kbjobs.data_dir", "", PHP_INI_ALL, OnUpdateString, data_dir,
                      zend_kbjobs_globals, kbjobs_globals)
    STD_PHP_INI_ENTRY("kbjobs.lease_seconds", "60", PHP_INI_ALL, on_update_positive, lease_seconds,
                      zend_kbjobs_globals, kbjobs_globals)
    STD_PHP_INI_ENTRY("kbjobs.claim_batch", "10", PHP_INI_ALL, on_update_positive, claim_batch,
                      zend_kbjobs_globals, kbjobs_globals)
    STD_PHP_INI_ENTRY("kbjobs.heartbeat_seconds", "2", PHP_INI_ALL, on_update_runner_seconds,
                      heartbeat_seconds, zend_kbjobs_globals, kbjobs_globals)
    STD_PHP_INI_ENTRY("kbjobs.lost_after_seconds", "0", PHP_INI_ALL, on_update_runner_seconds,
                      lost_after_seconds, zend_kbjobs_globals, kbjobs_globals)
PHP_INI_END()

/* {{{ KBJobs\versions(): array */
PHP_FUNCTION(KBJobs_versions)
{
    kbj_library libs[KBJOBS_MAX_LIBRARIES];
    size_t n;

    ZEND_PARSE_PARAMETERS_NONE();

    n = kbj_libraries(libs, KBJOBS_MAX_LIBRARIES);
    if (n > KBJOBS_MAX_LIBRARIES)
        n = KBJOBS_MAX_LIBRARIES;
    array_init_size(return_value, (uint32_t)n + 1);
    add_assoc_string(return_value, "kbjobs", (char *)kbj_version());
    for (size_t i = 0; i < n; i++)
        add_assoc_string(return_value, libs[i].name, (char *)libs[i].version);
}
/* }}} */

static PHP_GINIT_FUNCTION(kbjobs)
{
#if defined(ZTS) && defined(COMPILE_DL_KBJOBS)
    ZEND_TSRMLS_CACHE_UPDATE();
#endif
    memset(kbjobs_globals, 0, sizeof *kbjobs_globals);
}

static PHP_MINIT_FUNCTION(kbjobs)
{
    REGISTER_INI_ENTRIES();
    register_kbjobs_symbols(module_number);

    kbjobs_ce_exception = register_class_KBJobs_Exception(spl_ce_RuntimeException);
    kbjobs_ce_not_found = register_class_KBJobs_NotFoundException(kbjobs_ce_exception);
    kbjobs_ce_conflict = register_class_KBJobs_ConflictException(kbjobs_ce_exception);
    kbjobs_ce_lease_lost = register_class_KBJobs_LeaseLostException(kbjobs_ce_conflict);
    kbjobs_ce_database = register_class_KBJobs_DatabaseException(kbjobs_ce_exception);
    kbjobs_ce_connection_lost = register_class_KBJobs_ConnectionLostException(kbjobs_ce_database);
    kbjobs_ce_filesystem = register_class_KBJobs_FilesystemException(kbjobs_ce_exception);
    kbjobs_ce_non_retryable = register_class_KBJobs_NonRetryableException(kbjobs_ce_exception);

    kbjobs_ce_engine = register_class_KBJobs_Engine();
    kbjobs_ce_job = register_class_KBJobs_Job();
    kbjobs_ce_context = register_class_KBJobs_Context();
    kbjobs_ce_tracker = register_class_KBJobs_JobTracker();
    kbjobs_ce_failure_log = register_class_KBJobs_FailureLog();
    kbjobs_engine_minit();
    kbjobs_job_minit();
    kbjobs_context_minit();
    kbjobs_views_minit();
    return SUCCESS;
}

static PHP_MSHUTDOWN_FUNCTION(kbjobs)
{
    UNREGISTER_INI_ENTRIES();
    return SUCCESS;
}

static PHP_MINFO_FUNCTION(kbjobs)
{
    kbj_library libs[KBJOBS_MAX_LIBRARIES];
    size_t n = kbj_libraries(libs, KBJOBS_MAX_LIBRARIES);
    char schema[16];

    php_info_print_table_start();
    php_info_print_table_row(2, "kbjobs support", "enabled");
    php_info_print_table_row(2, "Version", kbj_version());
    snprintf(schema, sizeof schema, "%d", KBJ_SCHEMA_VERSION);
    php_info_print_table_row(2, "Schema version", schema);
    for (size_t i = 0; i < n && i < KBJOBS_MAX_LIBRARIES; i++) {
        char label[64];
        snprintf(label, sizeof label, "%s version", libs[i].name);
        php_info_print_table_row(2, label, libs[i].version);
    }
    php_info_print_table_end();
    DISPLAY_INI_ENTRIES();
}

zend_module_entry kbjobs_module_entry = {
    STANDARD_MODULE_HEADER_EX,
    NULL,
    NULL,
    "kbjobs",
    ext_functions,
    PHP_MINIT(kbjobs),
    PHP_MSHUTDOWN(kbjobs),
    NULL, /* RINIT */
    NULL, /* RSHUTDOWN */
    PHP_MINFO(kbjobs),
    PHP_KBJOBS_VERSION,
    PHP_MODULE_GLOBALS(kbjobs),
    PHP_GINIT(kbjobs),
    NULL, /* GSHUTDOWN */
    NULL, /* post deactivate */
    STANDARD_MODULE_PROPERTIES_EX
};

#ifdef COMPILE_DL_KBJOBS
#ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
#endif
ZEND_GET_MODULE(kbjobs)
#endif
