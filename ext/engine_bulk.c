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

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(filter)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (kbjobs_parse_job_filter(filter, &f))
        RETURN_THROWS();
    KBJOBS_CHECK(eng, kbj_job_status_counts(eng, &f, counts));
    array_init_size(return_value, KBJ_NSTATUS);
    for (int s = 0; s < KBJ_NSTATUS; s++)
        add_assoc_long(return_value, kbj_status_name(s), (zend_long)counts[s]);
}
