/*
 * engine_cron_runs.c - running WP-Cron events from PHP: run()'s "cron" option (the event
 * runner, a PHP callable, called for each claimed event with the run as an array) and
 * its companions, and KBJobs\Engine's run history methods: cronRuns, cronPrune and
 * cronRunnerAlive.
 *
 * An event's outcome is what its runner returned (null: it ran; an array: its error,
 * peak memory, queries, HTTP requests and output), or what stopped it: an exception
 * ("Class: message"), exit() or a fatal error, which also end the run as they do in a
 * job handler (kbjobs_call_guarded, shared with jobs).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>

#include "php.h"
#include "zend_exceptions.h"

#include "php_kbjobs.h"

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))

/* ---- the event runner ------------------------------------------------------------ */

static void run_failed(kbj_cron_run *run, const char *msg, size_t len)
{
    run->failed = 1;
    free(run->error);
    run->error = malloc(len + 1);
    if (run->error) {
        memcpy(run->error, msg, len);
        run->error[len] = '\0';
    }
}

static void run_to_array(const kbj_cron_run *run, zval *out)
{
    array_init(out);
    add_assoc_long(out, "event_id", (zend_long)run->event_id);
    add_assoc_long(out, "run_id", (zend_long)run->run_id);
    add_assoc_string(out, "hook", run->hook);
    add_assoc_string(out, "args_key", (char *)run->args_key);
    add_assoc_string(out, "args_json", run->args_json);
    add_assoc_stringl(out, "args_php", run->args_php ? run->args_php : "", run->args_php ? run->args_php_len : 0);
    if (run->schedule)
        add_assoc_string(out, "schedule", run->schedule);
    else
        add_assoc_null(out, "schedule");
    add_assoc_long(out, "interval", (zend_long)run->interval);
    add_assoc_long(out, "due", (zend_long)run->due);
    add_assoc_long(out, "attempt", run->attempt);
    add_assoc_string(out, "trigger", (char *)run->trigger);
}

/* A count the runner reported, or -1 when absent or not an integer. */
static long long count_of(HashTable *ht, const char *key)
{
    zval *v = zend_hash_str_find_deref(ht, key, strlen(key));
    return v && Z_TYPE_P(v) == IS_LONG && Z_LVAL_P(v) >= 0 ? (long long)Z_LVAL_P(v) : -1;
}

/* The runner's return value into the run's outcome fields. */
static void result_into_run(zval *ret, kbj_cron_run *run)
{
    HashTable *ht;
    zval *v;

    if (Z_TYPE_P(ret) == IS_UNDEF || Z_TYPE_P(ret) == IS_NULL)
        return;
    if (Z_TYPE_P(ret) != IS_ARRAY) {
        char msg[128];
        int n = snprintf(msg, sizeof msg, "the event runner returned %s, not an array or null",
                         zend_zval_type_name(ret));
        run_failed(run, msg, (size_t)n);
        return;
    }
    ht = Z_ARRVAL_P(ret);
    run->memory_peak = count_of(ht, "memory_peak");
    run->queries = count_of(ht, "queries");
    run->http_requests = count_of(ht, "http_requests");
    v = zend_hash_str_find_deref(ht, "output", sizeof "output" - 1);
    if (v && Z_TYPE_P(v) == IS_STRING) {
        /* only the first KBJ_CRON_OUTPUT_MAX bytes are kept: copy no more */
        size_t len = Z_STRLEN_P(v) < KBJ_CRON_OUTPUT_MAX ? Z_STRLEN_P(v) : KBJ_CRON_OUTPUT_MAX;
        free(run->output);
        run->output = malloc(len + 1);
        if (run->output) {
            memcpy(run->output, Z_STRVAL_P(v), len);
            run->output[len] = '\0';
            run->output_len = len;
        }
    }
    v = zend_hash_str_find_deref(ht, "error", sizeof "error" - 1);
    if (v && Z_TYPE_P(v) == IS_STRING)
        run_failed(run, Z_STRVAL_P(v), Z_STRLEN_P(v));
    else if (v && Z_TYPE_P(v) != IS_NULL)
        run_failed(run, "the event runner's \"error\" must be a string or null",
                   sizeof "the event runner's \"error\" must be a string or null" - 1);
}

/* kbj_run's cron handler: calls the PHP runner with the run array. Always KBJ_OK: every
 * outcome, a failure included, is in the run's fields. */
static int cron_handler(kbj_cron_run *run, void *arg)
{
    kbjobs_cron_runner *r = arg;
    zval zrun, retval;
    kbjobs_call_outcome how;

    run_to_array(run, &zrun);
    how = kbjobs_call_guarded(r->o, r->cb, &zrun, 1, &retval);
    zval_ptr_dtor(&zrun);
    if (how == KBJOBS_CALL_FATAL) {
        const char *last = PG(last_error_message) ? ZSTR_VAL(PG(last_error_message)) : "unknown";
        size_t cap = strlen(last) + sizeof "fatal error: ";
        char *msg = emalloc(cap);
        int n = snprintf(msg, cap, "fatal error: %s", last);
        run_failed(run, msg, (size_t)n);
        efree(msg);
    } else if (how == KBJOBS_CALL_EXIT) {
        run_failed(run, "the event called exit()", sizeof "the event called exit()" - 1);
    } else if (how == KBJOBS_CALL_THREW) {
        char *msg = kbjobs_exception_message(EG(exception));
        zend_clear_exception();
        run_failed(run, msg, strlen(msg));
        efree(msg);
    } else {
        result_into_run(&retval, run);
        zval_ptr_dtor(&retval);
    }
    return KBJ_OK;
}

int kbjobs_run_cron_options(kbjobs_engine_obj *o, HashTable *options, kbj_run_opts *opts, kbjobs_cron_runner *runner)
{
    zval *cb = options ? zend_hash_str_find_deref(options, "cron", sizeof "cron" - 1) : NULL;
    const char *trigger = NULL;
    zend_long batch = 0, event = 0, only = 0;

    if (kbjobs_opt_string(options, "cron_trigger", &trigger) ||
        kbjobs_opt_long(options, "cron_batch", 0, 1000, &batch) ||
        kbjobs_opt_long(options, "cron_event", 0, ZEND_LONG_MAX, &event) ||
        kbjobs_opt_long(options, "cron_only", 0, 1, &only))
        return -1;
    if (cb && Z_TYPE_P(cb) == IS_NULL)
        cb = NULL;
    if (cb && !zend_is_callable(cb, 0, NULL)) {
        zend_type_error("option \"cron\" must be a callable");
        return -1;
    }
    if (!cb && (trigger || batch || event || only)) {
        zend_value_error("options \"cron_trigger\", \"cron_batch\", \"cron_event\" and \"cron_only\" need the "
                         "\"cron\" option");
        return -1;
    }
    if (!cb)
        return 0;
    /* the callable stays in `options`, which the caller of run() holds until it returns */
    runner->o = o;
    runner->cb = cb;
    opts->cron_handler = cron_handler;
    opts->cron_arg = runner;
    opts->cron_trigger = trigger;
    opts->cron_batch = (unsigned)batch;
    opts->cron_event = (unsigned long long)event;
    opts->cron_only = (int)only;
    return 0;
}

/* ---- the history -------------------------------------------------------------------- */

static void add_count(zval *arr, const char *key, long long v)
{
    if (v >= 0)
        add_assoc_long(arr, key, (zend_long)v);
    else
        add_assoc_null(arr, key);
}

static void run_info_to_array(const kbj_cron_run_info *r, zval *out)
{
    array_init(out);
    add_assoc_long(out, "id", (zend_long)r->id);
    add_assoc_long(out, "event_id", (zend_long)r->event_id);
    add_assoc_string(out, "hook", r->hook);
    add_assoc_string(out, "args_key", (char *)r->args_key);
    add_assoc_string(out, "args_json", r->args_json);
    if (r->schedule)
        add_assoc_string(out, "schedule", r->schedule);
    else
        add_assoc_null(out, "schedule");
    add_assoc_long(out, "due", (zend_long)r->due);
    add_assoc_long(out, "attempt", r->attempt);
    add_assoc_string(out, "trigger", (char *)r->trigger);
    if (r->runner[0])
        add_assoc_string(out, "runner", (char *)r->runner);
    else
        add_assoc_null(out, "runner");
    add_assoc_string(out, "host", r->host);
    add_assoc_long(out, "pid", r->pid);
    add_assoc_double(out, "started_at", r->started_at);
    kbjobs_add_time(out, "ended_at", r->ended_at);
    add_assoc_string(out, "outcome", (char *)r->outcome);
    if (r->error)
        add_assoc_string(out, "error", r->error);
    else
        add_assoc_null(out, "error");
    add_count(out, "memory_peak", r->memory_peak);
    add_count(out, "queries", r->queries);
    add_count(out, "http_requests", r->http_requests);
    if (r->output)
        add_assoc_stringl(out, "output", r->output, r->output_len);
    else
        add_assoc_null(out, "output");
}

static const char *const runs_filter_keys[] = { "event_id", "hook", "outcome", "trigger", "before", "limit", NULL };

PHP_METHOD(KBJobs_Engine, cronRuns)
{
    HashTable *filter = NULL;
    kbjobs_engine_obj *o = THIS_ENGINE();
    kbj_cron_runs_filter f = { 0 };
    kbj_cron_run_info *runs = NULL;
    size_t n = 0;
    zend_long v;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(filter)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(o, eng);
    if (kbjobs_known_keys(filter, runs_filter_keys, "cron runs filter") ||
        kbjobs_opt_string(filter, "hook", &f.hook) || kbjobs_opt_string(filter, "outcome", &f.outcome) ||
        kbjobs_opt_string(filter, "trigger", &f.trigger))
        RETURN_THROWS();
    if (kbjobs_opt_long(filter, "event_id", 0, ZEND_LONG_MAX, &v))
        RETURN_THROWS();
    f.event_id = (unsigned long long)v;
    if (kbjobs_opt_long(filter, "before", 0, ZEND_LONG_MAX, &v))
        RETURN_THROWS();
    f.before_id = (unsigned long long)v;
    if (kbjobs_opt_long(filter, "limit", 0, 1000, &v))
        RETURN_THROWS();
    f.limit = (size_t)v;
    KBJOBS_CHECK(eng, kbj_cron_runs(eng, &f, &runs, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        run_info_to_array(&runs[i], &row);
        add_next_index_zval(return_value, &row);
    }
    kbj_cron_run_info_free(runs, n);
}

PHP_METHOD(KBJobs_Engine, cronPrune)
{
    zend_long days = 30, per_hook = 100;
    kbjobs_engine_obj *o = THIS_ENGINE();
    unsigned long long removed = 0;

    ZEND_PARSE_PARAMETERS_START(0, 2)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(days)
        Z_PARAM_LONG(per_hook)
    ZEND_PARSE_PARAMETERS_END();
    if (days < 0 || days > 36600) {
        zend_argument_value_error(1, "must be between 0 and 36600");
        RETURN_THROWS();
    }
    if (per_hook < 0 || per_hook > 1000000) {
        zend_argument_value_error(2, "must be between 0 and 1000000");
        RETURN_THROWS();
    }
    ENGINE_OR_THROW(o, eng);
    KBJOBS_CHECK(eng, kbj_cron_prune(eng, (unsigned)days, (unsigned)per_hook, &removed));
    RETURN_LONG((zend_long)removed);
}

PHP_METHOD(KBJobs_Engine, cronRunnerAlive)
{
    kbjobs_engine_obj *o = THIS_ENGINE();
    int alive = 0;

    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(o, eng);
    KBJOBS_CHECK(eng, kbj_cron_runner_alive(eng, &alive));
    RETURN_BOOL(alive);
}
