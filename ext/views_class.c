/*
 * views_class.c - KBJobs\JobTracker and KBJobs\FailureLog: views over an Engine,
 * which they keep alive.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"

#include "php_kbjobs.h"

static zend_object_handlers view_handlers;

static zend_object *view_create(zend_class_entry *ce)
{
    kbjobs_view_obj *o = zend_object_alloc(sizeof(kbjobs_view_obj), ce);
    zend_object_std_init(&o->std, ce);
    object_properties_init(&o->std, ce);
    ZVAL_UNDEF(&o->engine);
    o->std.handlers = &view_handlers;
    return &o->std;
}

static void view_free(zend_object *obj)
{
    kbjobs_view_obj *o = kbjobs_view_from(obj);
    zval_ptr_dtor(&o->engine);
    zend_object_std_dtor(obj);
}

static HashTable *view_get_gc(zend_object *obj, zval **table, int *n)
{
    kbjobs_view_obj *o = kbjobs_view_from(obj);
    *table = &o->engine;
    *n = Z_TYPE(o->engine) == IS_UNDEF ? 0 : 1;
    return zend_std_get_properties(obj);
}

void kbjobs_view_new(zend_class_entry *ce, zend_object *engine, zval *out)
{
    object_init_ex(out, ce);
    GC_ADDREF(engine);
    ZVAL_OBJ(&kbjobs_view_from(Z_OBJ_P(out))->engine, engine);
}

static kbj_engine *view_engine(zval *self)
{
    kbjobs_view_obj *o = kbjobs_view_from(Z_OBJ_P(self));
    if (Z_TYPE(o->engine) != IS_OBJECT) {
        zend_throw_error(NULL, "this view has no engine");
        return NULL;
    }
    return kbjobs_engine_get(kbjobs_engine_from(Z_OBJ(o->engine)));
}

#define VIEW_ENGINE(eng)                     \
    kbj_engine *eng = view_engine(ZEND_THIS); \
    if (!eng)                                \
        RETURN_THROWS();

PHP_METHOD(KBJobs_JobTracker, __construct)
{
    ZEND_PARSE_PARAMETERS_NONE();
}

PHP_METHOD(KBJobs_JobTracker, runners)
{
    zend_long hours = 24;
    kbj_runner_info *r = NULL;
    size_t n = 0;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(hours)
    ZEND_PARSE_PARAMETERS_END();
    VIEW_ENGINE(eng);
    if (hours < 1 || hours > 24 * 365) {
        zend_argument_value_error(1, "must be between 1 and 8760");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_runners_list(eng, (unsigned)hours, &r, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init(&row);
        add_assoc_string(&row, "id", r[i].id);
        add_assoc_string(&row, "host", r[i].host);
        add_assoc_long(&row, "pid", r[i].pid);
        add_assoc_string(&row, "version", r[i].version);
        add_assoc_string(&row, "queues", r[i].queues);
        add_assoc_string(&row, "state", r[i].state);
        kbjobs_add_time(&row, "started_at", r[i].started_at);
        kbjobs_add_time(&row, "heartbeat_at", r[i].heartbeat_at);
        kbjobs_add_time(&row, "stopped_at", r[i].stopped_at);
        add_assoc_long(&row, "running_jobs", r[i].running_jobs);
        /* bytes; a PHP int holds any resident set size there is */
        add_assoc_long(&row, "memory", (zend_long)r[i].memory);
        add_next_index_zval(return_value, &row);
    }
    free(r);
}

PHP_METHOD(KBJobs_JobTracker, activeJobs)
{
    kbj_job **jobs = NULL;
    size_t n = 0;
    ZEND_PARSE_PARAMETERS_NONE();
    VIEW_ENGINE(eng);
    KBJOBS_CHECK(eng, kbj_active_jobs(eng, &jobs, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval j;
        kbjobs_job_from(jobs[i], &j);
        add_next_index_zval(return_value, &j);
    }
    kbj_jobs_free(jobs, n);
}

PHP_METHOD(KBJobs_FailureLog, __construct)
{
    ZEND_PARSE_PARAMETERS_NONE();
}

PHP_METHOD(KBJobs_FailureLog, list)
{
    zend_long limit = 50, offset = 0;
    zend_string *kind = NULL;
    kbj_failure *f = NULL;
    size_t n = 0;
    ZEND_PARSE_PARAMETERS_START(0, 3)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(limit)
        Z_PARAM_LONG(offset)
        Z_PARAM_PATH_STR_OR_NULL(kind)
    ZEND_PARSE_PARAMETERS_END();
    VIEW_ENGINE(eng);
    if (limit < 1 || limit > 1000) {
        zend_argument_value_error(1, "must be between 1 and 1000");
        RETURN_THROWS();
    }
    if (offset < 0) {
        zend_argument_value_error(2, "must be greater than or equal to 0");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_failures_list_kind(eng, kind ? ZSTR_VAL(kind) : NULL, (size_t)limit, (size_t)offset,
                                             &f, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init(&row);
        add_assoc_string(&row, "job_id", f[i].job_id);
        add_assoc_string(&row, "type", f[i].type);
        add_assoc_string(&row, "message", f[i].message ? f[i].message : "");
        add_assoc_long(&row, "attempts", f[i].attempts);
        kbjobs_add_time(&row, "failed_at", f[i].failed_at);
        add_assoc_string(&row, "kind", f[i].kind);
        add_assoc_long(&row, "failed_items", (zend_long)f[i].failed_items);
        add_assoc_long(&row, "total_items", (zend_long)f[i].total_items);
        add_next_index_zval(return_value, &row);
    }
    kbj_failures_free(f, n);
}

/* count() and evicted(): one kind's numbers ("job" unless given). */
static void kind_numbers(INTERNAL_FUNCTION_PARAMETERS, int want_evicted)
{
    zend_string *kind = NULL;
    size_t count = 0;
    unsigned long long evicted = 0;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_PATH_STR(kind)
    ZEND_PARSE_PARAMETERS_END();
    VIEW_ENGINE(eng);
    KBJOBS_CHECK(eng, kbj_failures_count_kind(eng, kind ? ZSTR_VAL(kind) : KBJ_FAILURE_JOB, &count, &evicted));
    RETURN_LONG(want_evicted ? (zend_long)evicted : (zend_long)count);
}

PHP_METHOD(KBJobs_FailureLog, count)
{
    kind_numbers(INTERNAL_FUNCTION_PARAM_PASSTHRU, 0);
}

PHP_METHOD(KBJobs_FailureLog, evicted)
{
    kind_numbers(INTERNAL_FUNCTION_PARAM_PASSTHRU, 1);
}

typedef int (*ids_fn)(kbj_engine *, const char *const *, size_t, size_t *);

static void act_on_ids(INTERNAL_FUNCTION_PARAMETERS, ids_fn fn)
{
    zend_string *one = NULL;
    HashTable *many = NULL;
    const char **ids;
    size_t n = 0, done = 0;
    zval *v;
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ARRAY_HT_OR_STR(many, one)
    ZEND_PARSE_PARAMETERS_END();
    VIEW_ENGINE(eng);
    if (one) {
        const char *single = ZSTR_VAL(one);
        KBJOBS_CHECK(eng, fn(eng, &single, 1, &done));
        RETURN_LONG((zend_long)done);
    }
    if (zend_hash_num_elements(many) > 1000) {
        zend_argument_value_error(1, "must hold at most 1000 ids");
        RETURN_THROWS();
    }
    ids = ecalloc(zend_hash_num_elements(many) + 1, sizeof *ids);
    ZEND_HASH_FOREACH_VAL(many, v) {
        if (Z_TYPE_P(v) != IS_STRING) {
            efree(ids);
            zend_argument_type_error(1, "must be a string or a list of strings");
            RETURN_THROWS();
        }
        if (zend_str_has_nul_byte(Z_STR_P(v))) {
            efree(ids);
            zend_argument_value_error(1, "must not contain any null bytes");
            RETURN_THROWS();
        }
        ids[n++] = Z_STRVAL_P(v);
    } ZEND_HASH_FOREACH_END();
    rc = fn(eng, ids, n, &done);
    efree(ids);
    KBJOBS_CHECK(eng, rc);
    RETURN_LONG((zend_long)done);
}

PHP_METHOD(KBJobs_FailureLog, resubmit)
{
    act_on_ids(INTERNAL_FUNCTION_PARAM_PASSTHRU, kbj_failures_resubmit);
}

PHP_METHOD(KBJobs_FailureLog, delete)
{
    act_on_ids(INTERNAL_FUNCTION_PARAM_PASSTHRU, kbj_failures_delete);
}

PHP_METHOD(KBJobs_FailureLog, alerts)
{
    kbj_alert *a = NULL;
    size_t n = 0;
    ZEND_PARSE_PARAMETERS_NONE();
    VIEW_ENGINE(eng);
    KBJOBS_CHECK(eng, kbj_alerts_list(eng, &a, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init(&row);
        add_assoc_long(&row, "id", a[i].id);
        add_assoc_string(&row, "type", a[i].type);
        add_assoc_string(&row, "message", a[i].message ? a[i].message : "");
        add_assoc_long(&row, "failures", a[i].failures);
        add_assoc_long(&row, "window_seconds", a[i].window_seconds);
        kbjobs_add_time(&row, "created_at", a[i].created_at);
        add_next_index_zval(return_value, &row);
    }
    kbj_alerts_free(a, n);
}

PHP_METHOD(KBJobs_FailureLog, acknowledgeAlert)
{
    zend_long id;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_LONG(id)
    ZEND_PARSE_PARAMETERS_END();
    VIEW_ENGINE(eng);
    KBJOBS_CHECK(eng, kbj_alert_ack(eng, id));
}

void kbjobs_views_minit(void)
{
    memcpy(&view_handlers, zend_get_std_object_handlers(), sizeof view_handlers);
    view_handlers.offset = XtOffsetOf(kbjobs_view_obj, std);
    view_handlers.free_obj = view_free;
    view_handlers.get_gc = view_get_gc;
    view_handlers.clone_obj = NULL;
    kbjobs_ce_tracker->create_object = view_create;
    kbjobs_ce_failure_log->create_object = view_create;
    kbjobs_ce_tracker->ce_flags |= ZEND_ACC_NOT_SERIALIZABLE;
    kbjobs_ce_failure_log->ce_flags |= ZEND_ACC_NOT_SERIALIZABLE;
}
