/*
 * engine_bulk.c - KBJobs\Engine's methods over many jobs: counts under a filter, counts
 * by status, and actions applied to a list of jobs (a filter's worth runs as a
 * kbjobs.bulk job, submitted like any other).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"

#include "php_kbjobs.h"

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))

PHP_METHOD(KBJobs_Engine, count)
{
    HashTable *filter = NULL;
    kbj_job_filter f;
    unsigned long long n = 0;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(filter)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (kbjobs_parse_job_filter(filter, &f))
        RETURN_THROWS();
    KBJOBS_CHECK(eng, kbj_job_count(eng, &f, &n));
    RETURN_LONG((zend_long)n);
}

PHP_METHOD(KBJobs_Engine, statusCounts)
{
    HashTable *filter = NULL;
    kbj_job_filter f;
    unsigned long long counts[KBJ_NSTATUS];
    int how[KBJ_NSTATUS];
    bool exact = false;
    zval *estimated = NULL;

    ZEND_PARSE_PARAMETERS_START(0, 3)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(filter)
        Z_PARAM_BOOL(exact)
        Z_PARAM_ZVAL(estimated)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (kbjobs_parse_job_filter(filter, &f))
        RETURN_THROWS();
    KBJOBS_CHECK(eng, kbj_job_status_counts_opt(eng, &f, exact ? KBJ_COUNT_FLAG_EXACT : 0, counts, how));
    array_init_size(return_value, KBJ_NSTATUS);
    for (int s = 0; s < KBJ_NSTATUS; s++)
        add_assoc_long(return_value, kbj_status_name(s), (zend_long)counts[s]);
    if (estimated) {
        /* counts stay plain ints (callers sum them); how each is known goes here */
        zval flags;
        array_init(&flags);
        for (int s = 0; s < KBJ_NSTATUS; s++)
            if (how[s] != KBJ_COUNT_EXACT)
                add_assoc_string(&flags, kbj_status_name(s), how[s] == KBJ_COUNT_MORE ? "more" : "estimate");
        ZEND_TRY_ASSIGN_REF_VALUE(estimated, &flags);
    }
}

PHP_METHOD(KBJobs_Engine, applyToJobs)
{
    zend_string *action;
    HashTable *list;
    const char **ids;
    kbj_bulk_counts c;
    size_t n = 0;
    zval *v;
    int rc;

    ZEND_PARSE_PARAMETERS_START(2, 2)
        Z_PARAM_PATH_STR(action)
        Z_PARAM_ARRAY_HT(list)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    /* a page's worth at a time; a filter's worth is a kbjobs.bulk job */
    if (zend_hash_num_elements(list) > 1000) {
        zend_argument_value_error(2, "must hold at most 1000 ids (submit a kbjobs.bulk job for more)");
        RETURN_THROWS();
    }
    ids = ecalloc(zend_hash_num_elements(list) + 1, sizeof *ids);
    ZEND_HASH_FOREACH_VAL(list, v) {
        ZVAL_DEREF(v);
        if (Z_TYPE_P(v) != IS_STRING) {
            efree(ids);
            zend_argument_type_error(2, "must be a list of strings, %s given among them", zend_zval_type_name(v));
            RETURN_THROWS();
        }
        if (zend_str_has_nul_byte(Z_STR_P(v))) {
            efree(ids);
            zend_argument_value_error(2, "must not contain any null bytes");
            RETURN_THROWS();
        }
        ids[n++] = Z_STRVAL_P(v);
    } ZEND_HASH_FOREACH_END();
    rc = kbj_jobs_apply(eng, ZSTR_VAL(action), ids, n, &c);
    efree(ids);
    KBJOBS_CHECK(eng, rc);
    array_init_size(return_value, 3);
    add_assoc_long(return_value, "done", (zend_long)c.done);
    add_assoc_long(return_value, "skipped", (zend_long)c.skipped);
    add_assoc_long(return_value, "missing", (zend_long)c.missing);
}
