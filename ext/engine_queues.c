/*
 * engine_queues.c - KBJobs\Engine's methods on what jobs run in: combined jobs and chains
 * (submitCombined, validateChain), job types as listed, queues (limits, pause, stats),
 * resources, and why a queued job is not running.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"

#include "php_kbjobs.h"

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))

/* Reads phases from a PHP list; strings point into it, params are encoded into pj[]. */
static int parse_phases(HashTable *list, kbj_phase *out, zend_string **pj, size_t *n)
{
    zval *e;
    *n = 0;
    ZEND_HASH_FOREACH_VAL(list, e) {
        zval *name, *type, *params, *weight;
        if (Z_TYPE_P(e) != IS_ARRAY) {
            zend_argument_type_error(1, "must be a list of phase arrays");
            return -1;
        }
        name = zend_hash_str_find(Z_ARRVAL_P(e), "name", 4);
        type = zend_hash_str_find(Z_ARRVAL_P(e), "type", 4);
        params = zend_hash_str_find(Z_ARRVAL_P(e), "params", 6);
        weight = zend_hash_str_find(Z_ARRVAL_P(e), "weight", 6);
        if (!name || Z_TYPE_P(name) != IS_STRING || !type || Z_TYPE_P(type) != IS_STRING ||
            !weight || Z_TYPE_P(weight) != IS_LONG || (params && Z_TYPE_P(params) != IS_ARRAY) ||
            zend_str_has_nul_byte(Z_STR_P(name)) || zend_str_has_nul_byte(Z_STR_P(type))) {
            zend_argument_value_error(1, "each phase must be ['name' => string, 'type' => string, "
                                         "'params' => array, 'weight' => int]");
            return -1;
        }
        out[*n].name = Z_STRVAL_P(name);
        out[*n].type = Z_STRVAL_P(type);
        out[*n].weight = Z_LVAL_P(weight) < -1000 || Z_LVAL_P(weight) > 1000 ? -1 : (int)Z_LVAL_P(weight);
        out[*n].params = NULL;
        if (params) {
            pj[*n] = kbjobs_json_object(params, "phase params");
            if (!pj[*n])
                return -1;
            out[*n].params = ZSTR_VAL(pj[*n]);
        }
        (*n)++;
    } ZEND_HASH_FOREACH_END();
    return 0;
}

static void report_to_array(kbj_chain_report *r, zval *out)
{
    zval errors, warnings;
    array_init(out);
    add_assoc_bool(out, "valid", r->nerrors == 0);
    array_init(&errors);
    for (size_t i = 0; i < r->nerrors; i++)
        add_next_index_string(&errors, r->errors[i]);
    array_init(&warnings);
    for (size_t i = 0; i < r->nwarnings; i++)
        add_next_index_string(&warnings, r->warnings[i]);
    add_assoc_zval(out, "errors", &errors);
    add_assoc_zval(out, "warnings", &warnings);
}

#define MAX_PHASE_ARGS 64

static void chain_call(INTERNAL_FUNCTION_PARAMETERS, int submit)
{
    HashTable *list, *options = NULL;
    kbj_phase *phases;
    zend_string **pj;
    kbj_submit s = { 0 };
    kbj_resource res[KBJ_MAX_RESOURCES];
    zend_string *unused = NULL;
    kbj_chain_report r;
    char id[KBJ_ID_LEN + 1];
    size_t n = 0, count;
    int rc = KBJ_OK, bad = 0;

    ZEND_PARSE_PARAMETERS_START(1, submit ? 2 : 1)
        Z_PARAM_ARRAY_HT(list)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    count = zend_hash_num_elements(list);
    if (count > MAX_PHASE_ARGS) {
        zend_argument_value_error(1, "must hold at most %d phases", MAX_PHASE_ARGS);
        RETURN_THROWS();
    }
    if (options && (kbjobs_known_keys(options, kbjobs_submit_keys, "submit option") ||
                    kbjobs_parse_submit(options, NULL, &s, &unused, res)))
        RETURN_THROWS();
    phases = ecalloc(count + 1, sizeof *phases);
    pj = ecalloc(count + 1, sizeof *pj);
    bad = parse_phases(list, phases, pj, &n);
    if (!bad) {
        memset(&r, 0, sizeof r);
        rc = submit ? kbj_submit_combined(eng, &s, phases, n, id, &r) : kbj_validate_chain(eng, phases, n, &r);
        if (rc == KBJ_OK && submit) {
            zval warnings;
            array_init(return_value);
            add_assoc_stringl(return_value, "id", id, KBJ_ID_LEN);
            array_init(&warnings);
            for (size_t i = 0; i < r.nwarnings; i++)
                add_next_index_string(&warnings, r.warnings[i]);
            add_assoc_zval(return_value, "warnings", &warnings);
        } else if (rc == KBJ_OK) {
            report_to_array(&r, return_value);
        } else {
            kbjobs_throw(eng, rc);
        }
        kbj_chain_report_free(&r);
    }
    for (size_t i = 0; i < count; i++)
        if (pj[i])
            zend_string_release(pj[i]);
    efree(pj);
    efree(phases);
}

PHP_METHOD(KBJobs_Engine, submitCombined)
{
    chain_call(INTERNAL_FUNCTION_PARAM_PASSTHRU, 1);
}

PHP_METHOD(KBJobs_Engine, validateChain)
{
    chain_call(INTERNAL_FUNCTION_PARAM_PASSTHRU, 0);
}

/*
 * checkParams: a job's params against its type's schema, without submitting (a
 * manifest's dry run). The engine's one check of params without a submit is chain
 * validation, so the job is validated as the single phase of a chain and the phase's
 * prefix is taken off the message; a chain's own rules (weights, ordering) cannot
 * fire for one phase of weight 100. "combined" cannot be a phase: its phases are the
 * caller's to validate (validateChain).
 */
PHP_METHOD(KBJobs_Engine, checkParams)
{
    static const char prefix[] = "phase 1 (params): ";
    zend_string *type, *pj;
    zval *params;
    kbj_type_info info[128];
    kbj_phase phase = { 0 };
    kbj_chain_report r;
    size_t n, i;
    int rc;

    ZEND_PARSE_PARAMETERS_START(2, 2)
        Z_PARAM_STR(type)
        Z_PARAM_ARRAY(params)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (zend_str_has_nul_byte(type) || strcmp(ZSTR_VAL(type), "combined") == 0) {
        zend_argument_value_error(1, "must be a job type other than \"combined\"");
        RETURN_THROWS();
    }
    n = kbj_types_list(eng, info, 128);
    for (i = 0; i < n && i < 128; i++)
        if (strcmp(info[i].name, ZSTR_VAL(type)) == 0)
            break;
    if (i == n || i == 128)
        RETURN_STR(zend_strpprintf(0, "unknown job type \"%.64s\"", ZSTR_VAL(type)));
    pj = kbjobs_json_object(params, "params");
    if (!pj)
        RETURN_THROWS();
    phase.name = "params";
    phase.type = ZSTR_VAL(type);
    phase.params = ZSTR_VAL(pj);
    phase.weight = 100;
    memset(&r, 0, sizeof r);
    rc = kbj_validate_chain(eng, &phase, 1, &r);
    zend_string_release(pj);
    if (rc) {
        kbjobs_throw(eng, rc);
        RETURN_THROWS();
    }
    if (r.nerrors == 0) {
        kbj_chain_report_free(&r);
        RETURN_NULL();
    }
    if (strncmp(r.errors[0], prefix, sizeof prefix - 1) == 0)
        RETVAL_STRING(r.errors[0] + sizeof prefix - 1);
    else
        RETVAL_STRING(r.errors[0]);
    kbj_chain_report_free(&r);
}

PHP_METHOD(KBJobs_Engine, types)
{
    kbj_type_info info[128];
    kbjobs_engine_obj *o = THIS_ENGINE();
    size_t n;
    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(o, eng);
    n = kbj_types_list(eng, info, 128);
    if (n > 128)
        n = 128;
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row, res, schema, rules;
        array_init(&row);
        add_assoc_string(&row, "name", (char *)info[i].name);
        add_assoc_string(&row, "label", (char *)info[i].label);
        add_assoc_string(&row, "category", (char *)info[i].category);
        if (info[i].queue)
            add_assoc_string(&row, "queue", (char *)info[i].queue);
        else
            add_assoc_null(&row, "queue");
        add_assoc_long(&row, "max_attempts", info[i].max_attempts);
        add_assoc_bool(&row, "has_handler", info[i].has_handler);
        kbjobs_json_decode(info[i].params_schema, &schema);
        add_assoc_zval(&row, "schema", &schema);
        array_init(&res);
        for (size_t k = 0; k < info[i].nresources; k++) {
            zval one;
            array_init(&one);
            add_assoc_string(&one, "name", (char *)info[i].resources[k].name);
            if (info[i].resources[k].op)
                add_assoc_string(&one, "op", (char *)info[i].resources[k].op);
            else
                add_assoc_null(&one, "op");
            add_next_index_zval(&res, &one);
        }
        add_assoc_zval(&row, "resources", &res);
        array_init(&rules);
        for (size_t k = 0; k < info[i].nrules; k++) {
            const kbj_chain_rule *r = &info[i].rules[k];
            zval one;
            array_init(&one);
            add_assoc_string(&one, "before", (char *)r->before);
            add_assoc_string(&one, "after", (char *)r->after);
            add_assoc_string(&one, "severity", r->severity == KBJ_CHAIN_ERROR ? "error" : "warning");
            add_assoc_string(&one, "message", (char *)(r->message ? r->message : ""));
            add_next_index_zval(&rules, &one);
        }
        add_assoc_zval(&row, "rules", &rules);
        /* A type this Engine registered with a PHP callable is "php"; the rest are the
         * engine's own (or known here and run by another process: has_handler false). */
        add_assoc_string(&row, "origin",
                         zend_hash_str_exists(Z_ARRVAL(o->handlers), info[i].name, strlen(info[i].name)) ? "php"
                                                                                                          : "native");
        add_next_index_zval(return_value, &row);
    }
}

PHP_METHOD(KBJobs_Engine, setQueue)
{
    zend_string *queue;
    zend_long concurrency = 0, rate = 0, period = 0;
    ZEND_PARSE_PARAMETERS_START(1, 4)
        Z_PARAM_PATH_STR(queue)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(concurrency)
        Z_PARAM_LONG(rate)
        Z_PARAM_LONG(period)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (concurrency < 0 || concurrency > 100000) {
        zend_argument_value_error(2, "must be between 0 and 100000");
        RETURN_THROWS();
    }
    if (rate < 0 || rate > 1000000) {
        zend_argument_value_error(3, "must be between 0 and 1000000");
        RETURN_THROWS();
    }
    if (period < 0 || period > 86400000 || (rate > 0 && period == 0)) {
        zend_argument_value_error(4, "must be between 1 and 86400000 when a rate is given");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_queue_set(eng, ZSTR_VAL(queue), (unsigned)concurrency, (unsigned)rate, (unsigned)period));
}

static void queue_pause(INTERNAL_FUNCTION_PARAMETERS, int paused)
{
    zend_string *queue;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(queue)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_queue_pause(eng, ZSTR_VAL(queue), paused));
}

PHP_METHOD(KBJobs_Engine, pauseQueue)
{
    queue_pause(INTERNAL_FUNCTION_PARAM_PASSTHRU, 1);
}

PHP_METHOD(KBJobs_Engine, resumeQueue)
{
    queue_pause(INTERNAL_FUNCTION_PARAM_PASSTHRU, 0);
}

/* Adds a string to an array, or null when it is empty. */
static void add_string_or_null(zval *arr, const char *key, const char *s)
{
    if (s[0])
        add_assoc_string(arr, key, (char *)s);
    else
        add_assoc_null(arr, key);
}

static void queue_to_array(const kbj_queue_stats *s, zval *out)
{
    array_init(out);
    add_assoc_string(out, "name", (char *)s->name);
    add_assoc_long(out, "concurrency", s->max_running);
    add_assoc_long(out, "rate", s->rate);
    add_assoc_long(out, "period_ms", s->period_ms);
    add_assoc_bool(out, "paused", s->paused);
    add_assoc_long(out, "queued", (zend_long)s->queued);
    add_assoc_long(out, "running", (zend_long)s->running);
    add_assoc_long(out, "due", (zend_long)s->due);
    {
        zval est;
        array_init(&est);
        if (s->queued_how != KBJ_COUNT_EXACT)
            add_next_index_string(&est, "queued");
        if (s->running_how != KBJ_COUNT_EXACT)
            add_next_index_string(&est, "running");
        if (s->due_how != KBJ_COUNT_EXACT)
            add_next_index_string(&est, "due");
        add_assoc_zval(out, "estimated", &est);
    }
    add_assoc_double(out, "oldest_due_age", s->oldest_due_age);
    add_assoc_long(out, "started_last_minute", (zend_long)s->started_last_minute);
    if (s->blocked[0])
        add_assoc_string(out, "blocked", (char *)s->blocked);
    else
        add_assoc_null(out, "blocked");
    if (s->rate_limited_until > 0)
        add_assoc_double(out, "rate_limited_until", s->rate_limited_until);
    else
        add_assoc_null(out, "rate_limited_until");
    add_assoc_long(out, "backlog", (zend_long)s->held);
    if (s->held_how != KBJ_COUNT_EXACT) {
        zval *est = zend_hash_str_find(Z_ARRVAL_P(out), "estimated", sizeof("estimated") - 1);
        add_next_index_string(est, "backlog");
    }
    add_string_or_null(out, "backlog_name", s->held_backlog);
    add_string_or_null(out, "reason", s->reason);
    add_string_or_null(out, "reason_code", s->reason_code);
    if (s->reason_until > 0)
        add_assoc_double(out, "reason_until", s->reason_until);
    else
        add_assoc_null(out, "reason_until");
}

PHP_METHOD(KBJobs_Engine, queue)
{
    zend_string *queue;
    kbj_queue_stats s;
    bool exact = false;
    ZEND_PARSE_PARAMETERS_START(1, 2)
        Z_PARAM_PATH_STR(queue)
        Z_PARAM_OPTIONAL
        Z_PARAM_BOOL(exact)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_queue_stats_get_opt(eng, ZSTR_VAL(queue), exact ? KBJ_COUNT_FLAG_EXACT : 0, &s));
    queue_to_array(&s, return_value);
}

PHP_METHOD(KBJobs_Engine, queues)
{
    kbj_queue_stats *all = NULL;
    size_t n = 0;
    bool exact = false;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_BOOL(exact)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_queues_list_opt(eng, exact ? KBJ_COUNT_FLAG_EXACT : 0, &all, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        queue_to_array(&all[i], &row);
        add_next_index_zval(return_value, &row);
    }
    free(all);
}

PHP_METHOD(KBJobs_Engine, releaseBacklog)
{
    zend_string *name;
    unsigned long long released = 0;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(name)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_backlog_release(eng, ZSTR_VAL(name), &released));
    RETURN_LONG((zend_long)released);
}

PHP_METHOD(KBJobs_Engine, backlogs)
{
    kbj_backlog_stats *all = NULL;
    size_t n = 0;
    bool exact = false;
    /* the keys in the order a screen shows them: held first, then as a job moves on */
    static const int order[] = { KBJ_ST_HELD, KBJ_ST_QUEUED, KBJ_ST_RUNNING, KBJ_ST_COMPLETED, KBJ_ST_FAILED,
                                 KBJ_ST_CANCELLED, KBJ_ST_INTERRUPTED };
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_BOOL(exact)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_backlogs_list(eng, exact ? KBJ_COUNT_FLAG_EXACT : 0, &all, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row, est;
        array_init(&row);
        array_init(&est);
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
            int s = order[k];
            add_assoc_long(&row, kbj_status_name(s), (zend_long)all[i].counts[s]);
            if (all[i].how[s] != KBJ_COUNT_EXACT)
                add_next_index_string(&est, kbj_status_name(s));
        }
        add_assoc_zval(&row, "estimated", &est);
        add_assoc_zval(return_value, all[i].name, &row);
    }
    free(all);
}

PHP_METHOD(KBJobs_Engine, resources)
{
    kbj_resource_status *st = NULL;
    size_t n = 0;
    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_resources_status(eng, &st, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init(&row);
        add_assoc_string(&row, "name", st[i].name);
        add_assoc_string(&row, "state", st[i].busy ? "busy" : "idle");
        if (st[i].busy) {
            add_assoc_string(&row, "job_id", st[i].job_id);
            if (st[i].op[0])
                add_assoc_string(&row, "op", st[i].op);
            else
                add_assoc_null(&row, "op");
            if (st[i].concurrency_key[0])
                add_assoc_string(&row, "concurrency_key", st[i].concurrency_key);
            else
                add_assoc_null(&row, "concurrency_key");
        } else {
            add_assoc_null(&row, "job_id");
            add_assoc_null(&row, "op");
            add_assoc_null(&row, "concurrency_key");
        }
        add_assoc_long(&row, "waiting", (zend_long)st[i].waiting);
        add_next_index_zval(return_value, &row);
    }
    free(st);
}

PHP_METHOD(KBJobs_Engine, why)
{
    zend_string *id;
    kbj_why w;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_why(eng, ZSTR_VAL(id), &w));
    /* a job that is not queued is not waiting for anything */
    if (!w.code[0])
        RETURN_NULL();
    array_init_size(return_value, 9);
    add_assoc_string(return_value, "code", w.code);
    add_assoc_string(return_value, "message", w.message);
    kbjobs_add_time(return_value, "until", w.until);
    add_assoc_string(return_value, "queue", w.queue);
    add_string_or_null(return_value, "holder", w.holder);
    add_string_or_null(return_value, "resource", w.resource);
    add_assoc_long(return_value, "attempt", w.attempt);
    add_assoc_long(return_value, "running", (zend_long)w.running);
    if (w.limit > 0)
        add_assoc_long(return_value, "limit", (zend_long)w.limit);
    else
        add_assoc_null(return_value, "limit");
}
