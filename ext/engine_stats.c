/*
 * engine_stats.c - KBJobs\Engine's metrics and cleanup methods: stats() (the engine's
 * kbj_stats_read as arrays) and cleanup() (kbj_cleanup run now, in this process).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"

#include "php_kbjobs.h"

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))

/* A percentile in ms, or null when there was no sample. */
static void add_ms(zval *arr, const char *key, double ms)
{
    if (ms < 0)
        add_assoc_null(arr, key);
    else
        add_assoc_double(arr, key, ms);
}

static void row_to_array(const kbj_stats_row *r, zval *out)
{
    add_assoc_long(out, "started", (zend_long)r->started);
    add_assoc_long(out, "completed", (zend_long)r->completed);
    add_assoc_long(out, "failed", (zend_long)r->failed);
    add_assoc_long(out, "retried", (zend_long)r->retried);
    add_ms(out, "wait_p50_ms", r->wait_p50_ms);
    add_ms(out, "wait_p95_ms", r->wait_p95_ms);
    add_ms(out, "run_p50_ms", r->run_p50_ms);
    add_ms(out, "run_p95_ms", r->run_p95_ms);
}

static void named_to_array(const kbj_stats_named *n, size_t count, zval *out)
{
    array_init_size(out, (uint32_t)count);
    for (size_t i = 0; i < count; i++) {
        zval row;
        array_init(&row);
        row_to_array(&n[i].row, &row);
        add_assoc_zval(out, n[i].name, &row);
    }
}

/* An optional string option that is null or absent (NULL), or a string; -1 with a
 * TypeError otherwise. */
static int opt_nullable_string(HashTable *opts, const char *key, const char **out)
{
    zval *v = opts ? zend_hash_str_find(opts, key, strlen(key)) : NULL;
    *out = NULL;
    if (!v || Z_TYPE_P(v) == IS_NULL)
        return 0;
    if (Z_TYPE_P(v) != IS_STRING) {
        zend_type_error("option \"%s\" must be a string or null", key);
        return -1;
    }
    *out = Z_STRVAL_P(v);
    return 0;
}

PHP_METHOD(KBJobs_Engine, stats)
{
    static const char *const keys[] = { "since", "step", "queue", "type", NULL };
    HashTable *opts = NULL;
    zend_long since = 0, step = 0;
    kbj_stats_opts o = { 0 };
    kbj_stats *s = NULL;
    zval totals, queues, types, series;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(opts)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (kbjobs_known_keys(opts, keys, "stats option") ||
        kbjobs_opt_long(opts, "since", 1, 90L * 86400, &since) ||
        kbjobs_opt_long(opts, "step", 0, 3600, &step) ||
        opt_nullable_string(opts, "queue", &o.queue) || opt_nullable_string(opts, "type", &o.type))
        RETURN_THROWS();
    if (step != 0 && step != 60 && step != 3600) {
        zend_value_error("option \"step\" must be 60 or 3600");
        RETURN_THROWS();
    }
    o.since = since;
    o.step = (unsigned)step;
    if (o.step == 60 && (since ? since : 3600) > KBJ_METRICS_MINUTES_KEEP) {
        zend_value_error("option \"step\" 60 reaches back 48 hours at most: use 3600 for a longer \"since\"");
        RETURN_THROWS();
    }
    {
        int rc = kbj_stats_read(eng, &o, &s);
        if (rc == KBJ_EINVAL) {
            zend_value_error("%s", kbj_errmsg(eng));
            RETURN_THROWS();
        }
        KBJOBS_CHECK(eng, rc);
    }

    array_init(return_value);
    add_assoc_long(return_value, "since", (zend_long)s->since);
    add_assoc_long(return_value, "until", (zend_long)s->until);
    add_assoc_long(return_value, "step", (zend_long)s->step);
    array_init(&totals);
    row_to_array(&s->totals, &totals);
    add_assoc_zval(return_value, "totals", &totals);
    named_to_array(s->queues, s->nqueues, &queues);
    add_assoc_zval(return_value, "queues", &queues);
    named_to_array(s->types, s->ntypes, &types);
    add_assoc_zval(return_value, "types", &types);
    array_init_size(&series, (uint32_t)s->nseries);
    for (size_t i = 0; i < s->nseries; i++) {
        zval point;
        array_init(&point);
        add_assoc_long(&point, "t", (zend_long)s->series[i].t);
        row_to_array(&s->series[i].row, &point);
        add_next_index_zval(&series, &point);
    }
    add_assoc_zval(return_value, "series", &series);
    kbj_stats_free(s);
}

PHP_METHOD(KBJobs_Engine, cleanup)
{
    static const char *const keys[] = { "jobs_days", "logs_days", "metrics_days", "audit_days", "quarantine_days",
                                        "checkpoint_days", "batch", "max_seconds", "dry_run", NULL };
    static const char *const days[] = { "jobs_days", "logs_days", "metrics_days", "audit_days", "quarantine_days",
                                        "checkpoint_days" };
    HashTable *opts = NULL;
    zend_long v[6], batch = 0;
    double max_seconds = 0;
    zval *dry;
    kbj_cleanup_opts o = { 0 };
    kbj_cleanup_result r;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(opts)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (kbjobs_known_keys(opts, keys, "cleanup option"))
        RETURN_THROWS();
    for (size_t i = 0; i < 6; i++) {
        zval *given = opts ? zend_hash_str_find(opts, days[i], strlen(days[i])) : NULL;
        /* 0 is the engine's "default": a caller asking for 0 days gets an error, not 30 */
        if (kbjobs_opt_long(opts, days[i], given && Z_TYPE_P(given) != IS_NULL ? 1 : 0, 36500, &v[i]))
            RETURN_THROWS();
    }
    if (kbjobs_opt_long(opts, "batch", 1, 10000, &batch) || kbjobs_opt_double(opts, "max_seconds", 0.001, 3600,
                                                                            &max_seconds))
        RETURN_THROWS();
    dry = opts ? zend_hash_str_find(opts, "dry_run", sizeof("dry_run") - 1) : NULL;
    if (dry && Z_TYPE_P(dry) != IS_NULL && Z_TYPE_P(dry) != IS_TRUE && Z_TYPE_P(dry) != IS_FALSE) {
        zend_type_error("option \"dry_run\" must be a bool");
        RETURN_THROWS();
    }
    o.jobs_days = (unsigned)v[0];
    o.logs_days = (unsigned)v[1];
    o.metrics_days = (unsigned)v[2];
    o.audit_days = (unsigned)v[3];
    o.quarantine_days = (unsigned)v[4];
    o.checkpoint_days = (unsigned)v[5];
    o.batch = (unsigned)batch;
    o.max_seconds = max_seconds;
    o.dry_run = dry && Z_TYPE_P(dry) == IS_TRUE;
    KBJOBS_CHECK(eng, kbj_cleanup(eng, &o, &r));

    array_init(return_value);
    add_assoc_long(return_value, "jobs", (zend_long)r.jobs);
    add_assoc_long(return_value, "logs", (zend_long)r.logs);
    add_assoc_long(return_value, "checkpoints", (zend_long)r.checkpoints);
    add_assoc_long(return_value, "lists", (zend_long)r.lists);
    add_assoc_long(return_value, "failed_items", (zend_long)r.failed_items);
    add_assoc_long(return_value, "metrics_rolled_up", (zend_long)r.metrics_rolled_up);
    add_assoc_long(return_value, "metrics_deleted", (zend_long)r.metrics_deleted);
    add_assoc_long(return_value, "audit", (zend_long)r.audit);
    add_assoc_long(return_value, "quarantine", (zend_long)r.quarantine);
    add_assoc_long(return_value, "bytes_freed", (zend_long)r.bytes_freed);
    add_assoc_bool(return_value, "more", r.more);
    add_assoc_bool(return_value, "dry_run", o.dry_run);
}

/* Engine::rollupMetrics(): the complete hours not rolled up yet, into hourly rows
 * (kbj_metrics_rollup, one hour per transaction); the plugin runs it hourly, so a day's
 * charts read hourly rows. */
PHP_METHOD(KBJobs_Engine, rollupMetrics)
{
    size_t rows = 0;
    int more = 0;

    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_metrics_rollup(eng, 0, 0, &rows, &more));
    array_init(return_value);
    add_assoc_long(return_value, "rows", (zend_long)rows);
}
