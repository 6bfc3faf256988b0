/*
 * kbjobs.c - the module: startup, phpinfo and the namespace-level functions.
 * Glue only: everything it reports comes from the engine (engine/kbj.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "ext/standard/info.h"

#include "php_kbjobs.h"
#include "kbjobs_arginfo.h"

#define KBJOBS_MAX_LIBRARIES 8

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

static PHP_MINIT_FUNCTION(kbjobs)
{
#if defined(ZTS) && defined(COMPILE_DL_KBJOBS)
    ZEND_TSRMLS_CACHE_UPDATE();
#endif
    register_kbjobs_symbols(module_number);
    return SUCCESS;
}

static PHP_MINFO_FUNCTION(kbjobs)
{
    kbj_library libs[KBJOBS_MAX_LIBRARIES];
    size_t n = kbj_libraries(libs, KBJOBS_MAX_LIBRARIES);

    php_info_print_table_start();
    php_info_print_table_row(2, "kbjobs support", "enabled");
    php_info_print_table_row(2, "Version", kbj_version());
    for (size_t i = 0; i < n && i < KBJOBS_MAX_LIBRARIES; i++) {
        char label[64];
        snprintf(label, sizeof label, "%s version", libs[i].name);
        php_info_print_table_row(2, label, libs[i].version);
    }
    php_info_print_table_end();
}

zend_module_entry kbjobs_module_entry = {
    STANDARD_MODULE_HEADER,
    "kbjobs",
    ext_functions,
    PHP_MINIT(kbjobs),
    NULL, /* MSHUTDOWN */
    NULL, /* RINIT */
    NULL, /* RSHUTDOWN */
    PHP_MINFO(kbjobs),
    PHP_KBJOBS_VERSION,
    STANDARD_MODULE_PROPERTIES
};

#ifdef COMPILE_DL_KBJOBS
#ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
#endif
ZEND_GET_MODULE(kbjobs)
#endif
