/*
 * engine_run.c - KBJobs\Engine::run() and what it dispatches to: PHP handlers registered
 * with registerType(), the import sink (engine_import.c), WP-Cron events
 * (engine_cron_runs.c), and kbjobs_call_guarded(), which calls PHP for a running job or
 * event and turns exit(), fatal errors and exceptions into an outcome (for jobs:
 * kbjobs_call_in_job).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <malloc.h>

#include "php.h"
#include "zend_exceptions.h"

#include "php_kbjobs.h"

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))

/* What a handler left behind that must reach the caller of run() once kbj_run has
 * returned: exit() or a graceful shutdown (pending), or a fatal error (bailout). The
 * innermost run()'s frame is KBJOBS_G(current_frame), a module global, so each thread
 * of a ZTS build has its own; PHP here is built without ZTS, so the ZTS build is
 * untested. */
struct kbjobs_run_frame {
    kbjobs_engine_obj *o;
    zend_object *pending;  /* exit() in a handler */
    int bailout;           /* a fatal error in a handler */
    kbjobs_cron_runner cron; /* the "cron" option's event runner */
};

static const char *const run_keys[] = { "queues", "max_seconds", "max_jobs", "max_memory", "idle_ms",
    "until_empty", "until_empty_wait", "grace_seconds", "checkpoint_seconds", "checkpoint_items", "sink",
    "claim_batch", "cron", "cron_trigger", "cron_batch", "cron_event", "cron_only", "idle_min_ms", "wake", NULL };

char *kbjobs_exception_message(zend_object *ex)
{
    zval rv, *msg = zend_read_property_ex(ex->ce, ex, ZSTR_KNOWN(ZEND_STR_MESSAGE), 1, &rv);
    zend_string *s = zval_try_get_string(msg);
    char *out;
    size_t n;
    if (!s)
        return estrdup(ZSTR_VAL(ex->ce->name));
    n = ZSTR_LEN(ex->ce->name) + ZSTR_LEN(s) + 3;
    out = emalloc(n);
    snprintf(out, n, "%s: %s", ZSTR_VAL(ex->ce->name), ZSTR_VAL(s));
    zend_string_release(s);
    return out;
}

kbjobs_call_outcome kbjobs_call_guarded(kbjobs_engine_obj *o, zval *cb, zval *args, uint32_t argc, zval *retval)
{
    volatile int bailed = 0;

    ZVAL_UNDEF(retval);
    zend_try {
        zend_fcall_info fci;
        zend_fcall_info_cache fcc;
        char *err = NULL;
        if (zend_fcall_info_init(cb, 0, &fci, &fcc, NULL, &err) == SUCCESS) {
            fci.retval = retval;
            fci.param_count = argc;
            fci.params = args;
            zend_call_function(&fci, &fcc);
        }
        if (err)
            efree(err);
    } zend_catch {
        bailed = 1;
    } zend_end_try();

    if (bailed) {
        /* A fatal error: stop the run, and let PHP carry on with the bailout once run()
         * has put everything back. */
        if (KBJOBS_G(current_frame))
            KBJOBS_G(current_frame)->bailout = 1;
        kbj_request_stop(o->eng);
        ZVAL_UNDEF(retval);
        return KBJOBS_CALL_FATAL;
    }
    if (!EG(exception))
        return KBJOBS_CALL_OK;
    zval_ptr_dtor(retval);
    ZVAL_UNDEF(retval);
    if (zend_is_unwind_exit(EG(exception)) || zend_is_graceful_exit(EG(exception))) {
        /* exit(): kept for run() to throw again once it has wound down */
        zend_object *ex = EG(exception);
        if (KBJOBS_G(current_frame) && !KBJOBS_G(current_frame)->pending) {
            GC_ADDREF(ex);
            KBJOBS_G(current_frame)->pending = ex;
        }
        zend_clear_exception();
        kbj_request_stop(o->eng);
        return KBJOBS_CALL_EXIT;
    }
    return KBJOBS_CALL_THREW;
}

int kbjobs_call_in_job(kbjobs_engine_obj *o, kbj_ctx *ctx, zval *cb, zval *args, uint32_t argc,
                       zval *retval, int *stopped_early)
{
    kbjobs_call_outcome how = kbjobs_call_guarded(o, cb, args, argc, retval);
    int rc = KBJ_OK;

    if (stopped_early && argc > 0)
        *stopped_early = kbjobs_context_stopped_early(&args[0]);
    if (how == KBJOBS_CALL_FATAL)
        return kbj_ctx_fail(ctx, "the handler stopped with a fatal error", 1);
    if (how == KBJOBS_CALL_EXIT)
        return kbj_ctx_fail(ctx, "the handler called exit()", 1);
    if (how == KBJOBS_CALL_THREW) {
        zend_object *ex = EG(exception);
        if (instanceof_function(ex->ce, kbjobs_ce_lease_lost)) {
            /* the job is not this runner's any more: nothing is written for it */
            zend_string *s = zval_get_string(zend_read_property(ex->ce, ex, "message", sizeof "message" - 1, 1, NULL));
            zend_clear_exception();
            rc = kbj_ctx_lease_lost(ctx, ZSTR_VAL(s));
            zend_string_release(s);
        } else if (instanceof_function(ex->ce, kbjobs_ce_connection_lost)) {
            char *msg = kbjobs_exception_message(ex);
            zend_clear_exception();
            rc = kbj_ctx_disconnected(ctx, msg);
            efree(msg);
        } else {
            char *msg = kbjobs_exception_message(ex);
            int retryable = !instanceof_function(ex->ce, kbjobs_ce_non_retryable);
            zend_clear_exception();
            rc = kbj_ctx_fail(ctx, msg, retryable);
            efree(msg);
        }
    }
    return rc;
}

static int php_handler(kbj_ctx *ctx, void *udata)
{
    kbjobs_engine_obj *o = udata;
    const kbj_lease *l = kbj_ctx_lease(ctx);
    zval *cb = zend_hash_str_find(Z_ARRVAL(o->handlers), l->type, strlen(l->type));
    zval zctx, retval;
    int rc, stopped = 0;

    if (!cb)
        return kbj_ctx_fail(ctx, "no PHP handler is registered for this job type", 0);
    kbjobs_context_new(ctx, &zctx);
    rc = kbjobs_call_in_job(o, ctx, cb, &zctx, 1, &retval, &stopped);
    kbjobs_context_end(&zctx);
    if (rc == KBJ_OK && stopped) {
        rc = KBJ_ESTOPPED;
    } else if (rc == KBJ_OK && Z_TYPE(retval) != IS_UNDEF && Z_TYPE(retval) != IS_NULL) {
        zend_string *json = kbjobs_json_encode(&retval, "the handler's return value");
        if (json) {
            rc = kbj_ctx_set_result(ctx, ZSTR_VAL(json));
            zend_string_release(json);
        } else {
            char *msg = EG(exception) ? kbjobs_exception_message(EG(exception)) : estrdup("bad result");
            zend_clear_exception();
            rc = kbj_ctx_fail(ctx, msg, 0);
            efree(msg);
        }
    }
    zval_ptr_dtor(&retval);
    zval_ptr_dtor(&zctx);
    return rc;
}

PHP_METHOD(KBJobs_Engine, registerType)
{
    zend_string *type;
    zval *handler;
    HashTable *options = NULL;
    kbjobs_engine_obj *o = THIS_ENGINE();
    kbj_type_def def = { 0 };
    kbj_resource res[KBJ_MAX_RESOURCES];
    kbj_chain_rule rules[KBJOBS_MAX_RULES];
    zend_string *schema = NULL;
    int rc;

    ZEND_PARSE_PARAMETERS_START(2, 3)
        Z_PARAM_PATH_STR(type)
        Z_PARAM_ZVAL(handler)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(o, eng);
    if (!zend_is_callable(handler, 0, NULL)) {
        zend_argument_type_error(2, "must be a valid callback");
        RETURN_THROWS();
    }
    if (kbjobs_parse_type(options, &def, res, rules, &schema))
        RETURN_THROWS();
    def.name = ZSTR_VAL(type);
    def.handler = php_handler;
    def.udata = o;
    rc = kbj_register_type(eng, &def);
    if (schema)
        zend_string_release(schema);
    if (rc) {
        kbjobs_throw(eng, rc);
        RETURN_THROWS();
    }
    Z_TRY_ADDREF_P(handler);
    zend_hash_update(Z_ARRVAL(o->handlers), type, handler);
}

void kbjobs_idle_tick(void *arg)
{
    (void)arg;
    if (zend_atomic_bool_load_ex(&EG(vm_interrupt))) {
        zend_atomic_bool_store_ex(&EG(vm_interrupt), false);
        if (zend_interrupt_function)
            zend_interrupt_function(EG(current_execute_data));
        if (EG(exception) && KBJOBS_G(current_frame))
            kbj_request_stop(KBJOBS_G(current_frame)->o->eng);
    }
}

/* Memory used by PHP and by the engine: Zend's heap and malloc's arena. Where those
 * cannot be measured (USE_ZEND_ALLOC=0 and a malloc that keeps no arena statistics, as
 * under valgrind), the resident size stands in, so a budget is never silently ignored. */
static size_t memory_usage(void *arg)
{
    struct mallinfo2 mi = mallinfo2();
    size_t used = zend_memory_usage(1) + mi.uordblks;
    (void)arg;
    if (used < 1024 * 1024) {
        size_t rss = kbj_process_rss();
        if (rss > used)
            used = rss;
    }
    return used;
}

/* The "queues" option: one name or a list, as an emalloc'd array of *n names pointing
 * into the option (NULL and 0 when absent). -1 with an exception thrown otherwise. */
static int run_queues(HashTable *options, const char ***out, size_t *n)
{
    zval *q = options ? zend_hash_str_find(options, "queues", 6) : NULL, *e;
    const char **queues;

    *out = NULL;
    *n = 0;
    if (!q || Z_TYPE_P(q) == IS_NULL)
        return 0;
    if (Z_TYPE_P(q) == IS_STRING) {
        if (zend_str_has_nul_byte(Z_STR_P(q))) {
            zend_value_error("option \"queues\" must not contain any null bytes");
            return -1;
        }
        *out = emalloc(sizeof **out);
        (*out)[(*n)++] = Z_STRVAL_P(q);
        return 0;
    }
    if (Z_TYPE_P(q) != IS_ARRAY) {
        zend_type_error("option \"queues\" must be a string or a list of strings");
        return -1;
    }
    queues = emalloc(sizeof *queues * (zend_hash_num_elements(Z_ARRVAL_P(q)) + 1));
    ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(q), e) {
        if (Z_TYPE_P(e) != IS_STRING || zend_str_has_nul_byte(Z_STR_P(e))) {
            efree(queues);
            *n = 0;
            zend_value_error(Z_TYPE_P(e) == IS_STRING ? "option \"queues\" must not contain any null bytes"
                                                      : "option \"queues\" must be a string or a list of strings");
            return -1;
        }
        queues[(*n)++] = Z_STRVAL_P(e);
    } ZEND_HASH_FOREACH_END();
    *out = queues;
    return 0;
}

/* The budgets and cadences of run()'s options into `opts`, converted with the ranges the
 * engine checks (kbj_run_option_range). -1 with an exception thrown on a bad value. */
static int run_limits(HashTable *options, kbj_run_opts *opts)
{
    zend_long v;
    double secs;

#define RUN_OPT(call) \
    if (call)         \
        return -1;
    RUN_OPT(kbjobs_opt_double_in(options, "max_seconds", kbj_run_option_range("max_seconds"), 1, &secs));
    opts->max_seconds = secs;
    RUN_OPT(kbjobs_opt_long(options, "max_jobs", 0, ZEND_LONG_MAX, &v));
    opts->max_jobs = (unsigned long)v;
    RUN_OPT(kbjobs_opt_long(options, "max_memory", 0, ZEND_LONG_MAX, &v));
    opts->max_memory = (size_t)v;
    RUN_OPT(kbjobs_opt_long_in(options, "claim_batch", kbj_run_option_range("claim_batch"), &v));
    opts->claim_batch = (unsigned)v;
    RUN_OPT(kbjobs_opt_long_in(options, "idle_ms", kbj_run_option_range("idle_ms"), &v));
    opts->idle_ms = (unsigned)v;
    RUN_OPT(kbjobs_opt_long_in(options, "idle_min_ms", kbj_run_option_range("idle_min_ms"), &v));
    opts->idle_min_ms = (unsigned)v;
    {
        /* "wake": a bool, true when absent (0 and 1 taken too; "no" is not read as false) */
        zval *w = options ? zend_hash_str_find(options, "wake", sizeof("wake") - 1) : NULL;
        if (w && Z_TYPE_P(w) != IS_NULL) {
            if (Z_TYPE_P(w) != IS_TRUE && Z_TYPE_P(w) != IS_FALSE &&
                !(Z_TYPE_P(w) == IS_LONG && (Z_LVAL_P(w) == 0 || Z_LVAL_P(w) == 1))) {
                zend_type_error("option \"wake\" must be a bool");
                return -1;
            }
            opts->no_wake = Z_TYPE_P(w) == IS_FALSE || (Z_TYPE_P(w) == IS_LONG && Z_LVAL_P(w) == 0);
        }
    }
    RUN_OPT(kbjobs_opt_long(options, "until_empty", 0, 1, &v));
    opts->until_empty = (int)v;
    RUN_OPT(kbjobs_opt_double_in(options, "until_empty_wait", kbj_run_option_range("until_empty_wait_ms"), 1000,
                                 &secs));
    opts->until_empty_wait_ms = (unsigned)(secs * 1000);
    RUN_OPT(kbjobs_opt_long_in(options, "grace_seconds", kbj_run_option_range("grace_seconds"), &v));
    opts->grace_seconds = (unsigned)v;
    RUN_OPT(kbjobs_opt_double_in(options, "checkpoint_seconds", kbj_run_option_range("checkpoint_seconds"), 1,
                                 &secs));
    opts->checkpoint_seconds = secs;
    RUN_OPT(kbjobs_opt_long(options, "checkpoint_items", 0, ZEND_LONG_MAX, &v));
    opts->checkpoint_items = (long long)v;
#undef RUN_OPT
    return 0;
}

/* The "sink" option: a callable kept on the object for the run and installed as the
 * engine's import sink. -1 with a TypeError when it is not callable. */
static int run_sink(kbjobs_engine_obj *o, HashTable *options)
{
    zval *sink = options ? zend_hash_str_find(options, "sink", 4) : NULL;
    if (!sink || Z_TYPE_P(sink) == IS_NULL)
        return 0;
    if (!zend_is_callable(sink, 0, NULL)) {
        zend_type_error("option \"sink\" must be a callable");
        return -1;
    }
    ZVAL_COPY(&o->sink, sink);
    kbj_import_set_sink(o->eng, kbjobs_import_sink, o);
    return 0;
}

static void run_report_to_array(const kbj_run_report *rep, zval *out)
{
    array_init(out);
    add_assoc_string(out, "runner", (char *)rep->runner);
    add_assoc_long(out, "claimed", (zend_long)rep->claimed);
    add_assoc_long(out, "completed", (zend_long)rep->completed);
    add_assoc_long(out, "failed", (zend_long)rep->failed);
    add_assoc_long(out, "retried", (zend_long)rep->retried);
    add_assoc_long(out, "cancelled", (zend_long)rep->cancelled);
    add_assoc_long(out, "interrupted", (zend_long)rep->interrupted);
    add_assoc_long(out, "lost", (zend_long)rep->lost);
    add_assoc_long(out, "deferred", (zend_long)rep->deferred);
    add_assoc_long(out, "cron_ran", (zend_long)rep->cron_ran);
    add_assoc_long(out, "cron_failed", (zend_long)rep->cron_failed);
    add_assoc_long(out, "cron_lost", (zend_long)rep->cron_lost);
    add_assoc_long(out, "wakeups", (zend_long)rep->wakeups);
    add_assoc_double(out, "elapsed", rep->elapsed);
    add_assoc_string(out, "stop_reason", (char *)rep->stop_reason);
}

/* Runs kbj_run with this object's frame as the innermost, and puts everything back:
 * the sink, the in-run flag. Returns kbj_run's code. */
static int run_framed(kbjobs_engine_obj *o, kbj_engine *eng, const kbj_run_opts *opts, kbj_run_report *rep,
                      struct kbjobs_run_frame *frame)
{
    struct kbjobs_run_frame *outer = KBJOBS_G(current_frame);
    int rc;

    o->in_run = 1;
    KBJOBS_G(current_frame) = frame;
    rc = kbj_run(eng, opts, rep);
    KBJOBS_G(current_frame) = outer;
    o->in_run = 0;
    kbj_import_set_sink(eng, NULL, NULL);
    zval_ptr_dtor(&o->sink);
    ZVAL_UNDEF(&o->sink);
    return rc;
}

PHP_METHOD(KBJobs_Engine, run)
{
    HashTable *options = NULL;
    kbjobs_engine_obj *o = THIS_ENGINE();
    kbj_run_opts opts = { 0 };
    kbj_run_report rep;
    const char **queues = NULL;
    struct kbjobs_run_frame frame = { o, NULL, 0, { NULL, NULL } };
    int rc;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(o, eng);
    if (o->in_run) {
        zend_throw_error(NULL, "KBJobs\\Engine::run() is already running on this engine");
        RETURN_THROWS();
    }
    if (kbjobs_known_keys(options, run_keys, "run option") || run_queues(options, &queues, &opts.nqueues))
        RETURN_THROWS();
    opts.queues = queues;
    opts.memory_usage = memory_usage;
    opts.idle_tick = kbjobs_idle_tick;
    if (run_limits(options, &opts) || kbjobs_run_cron_options(o, options, &opts, &frame.cron) ||
        run_sink(o, options)) {
        if (queues)
            efree(queues);
        RETURN_THROWS();
    }

    GC_ADDREF(&o->std); /* the handlers' udata points at this object */
    rc = run_framed(o, eng, &opts, &rep, &frame);
    if (queues)
        efree(queues);
    if (frame.bailout) {
        OBJ_RELEASE(&o->std);
        zend_bailout();
    }
    if (frame.pending) {
        OBJ_RELEASE(&o->std);
        zend_throw_exception_internal(frame.pending);
        RETURN_THROWS();
    }
    if (rc) {
        kbjobs_throw(eng, rc);
        OBJ_RELEASE(&o->std);
        RETURN_THROWS();
    }
    run_report_to_array(&rep, return_value);
    OBJ_RELEASE(&o->std);
}

PHP_METHOD(KBJobs_Engine, requestStop)
{
    kbjobs_engine_obj *o = THIS_ENGINE();
    ZEND_PARSE_PARAMETERS_NONE();
    if (o->eng)
        kbj_request_stop(o->eng);
}
