/*
 * job_class.c - KBJobs\Job: a read-only view of a job, with rate and ETA as the engine
 * computes them (kbj_job_rate, kbj_job_eta).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"

#include "php_kbjobs.h"

static void set_str(zend_object *o, const char *name, const char *v)
{
    if (v)
        zend_update_property_string(kbjobs_ce_job, o, name, strlen(name), v);
    else
        zend_update_property_null(kbjobs_ce_job, o, name, strlen(name));
}

static void set_time(zend_object *o, const char *name, double t)
{
    if (t > 0)
        zend_update_property_double(kbjobs_ce_job, o, name, strlen(name), t);
    else
        zend_update_property_null(kbjobs_ce_job, o, name, strlen(name));
}

static void set_json(zend_object *o, const char *name, const char *json, int empty_array)
{
    zval v;
    kbjobs_json_decode(json, &v);
    if (empty_array && Z_TYPE(v) != IS_ARRAY) {
        zval_ptr_dtor(&v);
        array_init(&v);
    }
    zend_update_property(kbjobs_ce_job, o, name, strlen(name), &v);
    zval_ptr_dtor(&v);
}

void kbjobs_job_from(const kbj_job *j, zval *out)
{
    zend_object *o;
    object_init_ex(out, kbjobs_ce_job);
    o = Z_OBJ_P(out);
    set_str(o, "id", j->id);
    set_str(o, "type", j->type);
    set_str(o, "queue", j->queue);
    set_str(o, "status", j->status);
    zend_update_property_long(kbjobs_ce_job, o, "priority", sizeof("priority") - 1, j->priority);
    set_json(o, "params", j->params, 1);
    set_json(o, "result", j->result, 0);
    set_str(o, "error", j->error);
    set_json(o, "metrics", j->metrics, 1);
    set_str(o, "title", j->title);
    set_str(o, "phase", j->phase);
    zend_update_property_long(kbjobs_ce_job, o, "progressDone", sizeof("progressDone") - 1, j->progress_done);
    zend_update_property_long(kbjobs_ce_job, o, "progressTotal", sizeof("progressTotal") - 1, j->progress_total);
    zend_update_property_long(kbjobs_ce_job, o, "attempts", sizeof("attempts") - 1, j->attempts);
    zend_update_property_long(kbjobs_ce_job, o, "maxAttempts", sizeof("maxAttempts") - 1, j->max_attempts);
    set_str(o, "concurrencyKey", j->concurrency_key);
    set_str(o, "uniqueKey", j->unique_key);
    set_json(o, "resources", j->resources, 1);
    zend_update_property_bool(kbjobs_ce_job, o, "cancelRequested", sizeof("cancelRequested") - 1, j->cancel_requested);
    set_str(o, "runner", j->runner[0] ? j->runner : NULL);
    set_str(o, "rerunOf", j->rerun_of[0] ? j->rerun_of : NULL);
    set_time(o, "runAt", j->run_at);
    set_time(o, "createdAt", j->created_at);
    set_time(o, "startedAt", j->started_at);
    set_time(o, "progressAt", j->progress_at);
    set_time(o, "finishedAt", j->finished_at);
    set_time(o, "updatedAt", j->updated_at);
    set_str(o, "backlog", j->backlog[0] ? j->backlog : NULL);
}

static zval *prop(zend_object *o, const char *name)
{
    zval rv;
    return zend_read_property(kbjobs_ce_job, o, name, strlen(name), 1, &rv);
}

/* The fields of the object that rate and ETA are computed from, as an engine view
 * (an unset time is 0, as the engine has it). */
static void job_view(zend_object *o, kbj_job *j)
{
    zval *status = prop(o, "status"), *done = prop(o, "progressDone"), *total = prop(o, "progressTotal");
    zval *started = prop(o, "startedAt"), *at = prop(o, "progressAt");
    memset(j, 0, sizeof *j);
    if (Z_TYPE_P(status) == IS_STRING)
        strlcpy(j->status, Z_STRVAL_P(status), sizeof j->status);
    j->progress_done = Z_TYPE_P(done) == IS_LONG ? Z_LVAL_P(done) : 0;
    j->progress_total = Z_TYPE_P(total) == IS_LONG ? Z_LVAL_P(total) : 0;
    j->started_at = Z_TYPE_P(started) == IS_DOUBLE ? Z_DVAL_P(started) : 0;
    j->progress_at = Z_TYPE_P(at) == IS_DOUBLE ? Z_DVAL_P(at) : 0;
}

PHP_METHOD(KBJobs_Job, __construct)
{
    ZEND_PARSE_PARAMETERS_NONE();
}

PHP_METHOD(KBJobs_Job, rate)
{
    kbj_job j;
    double r;
    ZEND_PARSE_PARAMETERS_NONE();
    job_view(Z_OBJ_P(ZEND_THIS), &j);
    r = kbj_job_rate(&j);
    if (r < 0)
        RETURN_NULL();
    RETURN_DOUBLE(r);
}

PHP_METHOD(KBJobs_Job, eta)
{
    kbj_job j;
    double eta;
    ZEND_PARSE_PARAMETERS_NONE();
    job_view(Z_OBJ_P(ZEND_THIS), &j);
    eta = kbj_job_eta(&j);
    if (eta < 0)
        RETURN_NULL();
    RETURN_DOUBLE(eta);
}

PHP_METHOD(KBJobs_Job, toArray)
{
    static const struct { const char *prop, *key; } map[] = {
        { "id", "id" }, { "type", "type" }, { "queue", "queue" }, { "status", "status" },
        { "priority", "priority" }, { "params", "params" }, { "result", "result" }, { "error", "error" },
        { "metrics", "metrics" }, { "title", "title" }, { "phase", "phase" },
        { "progressDone", "progress_done" }, { "progressTotal", "progress_total" },
        { "attempts", "attempts" }, { "maxAttempts", "max_attempts" },
        { "concurrencyKey", "concurrency_key" }, { "uniqueKey", "unique_key" }, { "resources", "resources" },
        { "cancelRequested", "cancel_requested" }, { "runner", "runner" }, { "rerunOf", "rerun_of" },
        { "runAt", "run_at" }, { "createdAt", "created_at" }, { "startedAt", "started_at" },
        { "progressAt", "progress_at" }, { "finishedAt", "finished_at" }, { "updatedAt", "updated_at" },
        { "backlog", "backlog" },
    };
    zend_object *o = Z_OBJ_P(ZEND_THIS);
    ZEND_PARSE_PARAMETERS_NONE();
    array_init_size(return_value, sizeof map / sizeof map[0]);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        zval *v = prop(o, map[i].prop);
        Z_TRY_ADDREF_P(v);
        add_assoc_zval(return_value, map[i].key, v);
    }
}

void kbjobs_job_minit(void)
{
    kbjobs_ce_job->ce_flags |= ZEND_ACC_NOT_SERIALIZABLE;
}
