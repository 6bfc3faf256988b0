/*
 * php_kbjobs.h - what the files of ext/ share: the module entry, INI globals, the class
 * entries and object structs, and the conversion and exception helpers. ext/ is glue:
 * it converts, calls the engine through its public headers (engine/kbj.h,
 * engine/kbj_import.h and engine/kbj_cron.h, the only engine headers ext/ includes) and
 * throws; no job logic lives here.
 */
#ifndef PHP_KBJOBS_H
#define PHP_KBJOBS_H

#include <sys/types.h>

#include "kbj.h"
#include "kbj_import.h"
#include "kbj_cron.h"

extern zend_module_entry kbjobs_module_entry;
#define phpext_kbjobs_ptr &kbjobs_module_entry

#define PHP_KBJOBS_VERSION KBJ_VERSION

struct kbjobs_run_frame;

ZEND_BEGIN_MODULE_GLOBALS(kbjobs)
    char *data_dir;
    zend_long lease_seconds;
    zend_long claim_batch;
    zend_long heartbeat_seconds;
    zend_long lost_after_seconds;
    /* The innermost Engine::run() on this thread (ext/engine_run.c), or NULL. A module
     * global, not a static, so a ZTS build gives each thread its own; PHP here is built
     * without ZTS, so the ZTS build is untested. */
    struct kbjobs_run_frame *current_frame;
ZEND_END_MODULE_GLOBALS(kbjobs)

ZEND_EXTERN_MODULE_GLOBALS(kbjobs)
#define KBJOBS_G(v) ZEND_MODULE_GLOBALS_ACCESSOR(kbjobs, v)

#if defined(ZTS) && defined(COMPILE_DL_KBJOBS)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

extern zend_class_entry *kbjobs_ce_exception, *kbjobs_ce_not_found, *kbjobs_ce_conflict,
    *kbjobs_ce_lease_lost, *kbjobs_ce_database, *kbjobs_ce_connection_lost, *kbjobs_ce_filesystem,
    *kbjobs_ce_non_retryable;
extern zend_class_entry *kbjobs_ce_engine, *kbjobs_ce_job, *kbjobs_ce_context,
    *kbjobs_ce_tracker, *kbjobs_ce_failure_log;

/* KBJobs\Engine */
typedef struct kbjobs_engine_obj {
    kbj_engine *eng;
    pid_t pid;              /* the process that connected: a forked child reconnects */
    zval handlers;          /* array: job type => callable */
    zval sink;              /* the import sink while run() runs, else undefined */
    int in_run;
    zend_object std;
} kbjobs_engine_obj;

/* KBJobs\JobTracker and KBJobs\FailureLog: views over an Engine they keep alive. */
typedef struct kbjobs_view_obj {
    zval engine;
    zend_object std;
} kbjobs_view_obj;

/* KBJobs\Context: valid only while its handler runs. */
typedef struct kbjobs_context_obj {
    kbj_ctx *ctx;
    int stopped_early;      /* the handler called stopEarly() */
    zend_object std;
} kbjobs_context_obj;

static inline kbjobs_engine_obj *kbjobs_engine_from(zend_object *o)
{
    return (kbjobs_engine_obj *)((char *)o - XtOffsetOf(kbjobs_engine_obj, std));
}
static inline kbjobs_view_obj *kbjobs_view_from(zend_object *o)
{
    return (kbjobs_view_obj *)((char *)o - XtOffsetOf(kbjobs_view_obj, std));
}
static inline kbjobs_context_obj *kbjobs_context_from(zend_object *o)
{
    return (kbjobs_context_obj *)((char *)o - XtOffsetOf(kbjobs_context_obj, std));
}

/* The connected engine of an Engine object as `eng`, or return with the exception. */
#define ENGINE_OR_THROW(o, eng)             \
    kbj_engine *eng = kbjobs_engine_get(o); \
    if (!eng)                               \
        RETURN_THROWS();

/* Option parsing shared by the methods (ext/engine_options.c). Each returns 0, or -1 with
 * a ValueError/TypeError thrown naming the option. Absent options give 0 / NULL. */
int kbjobs_opt_long(HashTable *opts, const char *key, zend_long min, zend_long max, zend_long *out);
int kbjobs_opt_double(HashTable *opts, const char *key, double min, double max, double *out);
int kbjobs_opt_string(HashTable *opts, const char *key, const char **out);
/* Integer and number options within the range the engine gives for them (a double's
 * range divided by `scale`: 1000 where the engine counts ms and the option seconds). */
int kbjobs_opt_long_in(HashTable *opts, const char *key, const kbj_option_range *r, zend_long *out);
int kbjobs_opt_double_in(HashTable *opts, const char *key, const kbj_option_range *r, double scale, double *out);
/* Refuses option names not in the NULL-terminated `keys`. */
int kbjobs_known_keys(HashTable *opts, const char *const *keys, const char *what);
/* submit()'s options (kbjobs_submit_keys) into `s`; params (may be NULL) encoded into
 * *params_out, which the caller releases; `res` holds KBJ_MAX_RESOURCES resources. */
extern const char *const kbjobs_submit_keys[];
int kbjobs_parse_submit(HashTable *opts, zval *params, kbj_submit *s, zend_string **params_out,
                        kbj_resource *res);
/* A method's third argument of submit options (submit(), import()): no "type" or
 * "params" in it, only known names, then kbjobs_parse_submit. -1 after throwing. */
int kbjobs_parse_submit_arg(HashTable *opts, zval *params, kbj_submit *s, zend_string **params_out,
                            kbj_resource *res);
/* A job filter (list(), count(), statusCounts()): status, type, queue,
 * concurrency_key, created_after, created_before, search, unique_key_prefix, limit,
 * cursor; unknown keys refused. The strings point into `filter`. -1 after throwing. */
int kbjobs_parse_job_filter(HashTable *filter, kbj_job_filter *f);
/* registerType()'s options into `def` (its name and handler are the caller's): `res`
 * holds KBJ_MAX_RESOURCES resources, `rules` KBJOBS_MAX_RULES rules; *schema holds the
 * encoded schema, released by the caller. */
#define KBJOBS_MAX_RULES 32
int kbjobs_parse_type(HashTable *opts, kbj_type_def *def, kbj_resource *res, kbj_chain_rule *rules,
                      zend_string **schema);

/* Class set-up, called from MINIT. */
void kbjobs_engine_minit(void);
void kbjobs_job_minit(void);
void kbjobs_context_minit(void);
void kbjobs_views_minit(void);

/* The connected engine behind an Engine object, reconnected after a fork; NULL with an
 * exception thrown when it is unusable. */
kbj_engine *kbjobs_engine_get(kbjobs_engine_obj *o);

/* Throws the exception that matches an engine error code: ValueError for KBJ_EINVAL,
 * NotFoundException, ConflictException, DatabaseException, FilesystemException, or
 * KBJobs\Exception; the message is kbj_errmsg(eng) and the code is `rc`. */
void kbjobs_throw(kbj_engine *eng, int rc);

/* Throws the matching exception and returns from the PHP method when `call` fails. */
#define KBJOBS_CHECK(eng, call)             \
    do {                                    \
        int rc_ = (call);                   \
        if (rc_) {                          \
            kbjobs_throw(eng, rc_);         \
            RETURN_THROWS();                \
        }                                   \
    } while (0)

/* Adds a Unix time to an array, or null when it is not set (0). */
void kbjobs_add_time(zval *arr, const char *key, double t);

/* Encodes a PHP array as a JSON object text (an empty array as {}); NULL with a
 * ValueError thrown naming `what` for a list or a value JSON cannot hold. The caller
 * releases the string. */
zend_string *kbjobs_json_object(zval *arr, const char *what);
/* Encodes any value as JSON text; NULL with an exception thrown on failure. */
zend_string *kbjobs_json_encode(zval *v, const char *what);
/* Decodes JSON text into `out` (objects as arrays); `out` is null for NULL or bad JSON. */
void kbjobs_json_decode(const char *json, zval *out);

/* A checkpoint as a PHP array. */
void kbjobs_checkpoint_to_array(const kbj_checkpoint *c, zval *out);

/* Builds a KBJobs\Job from an engine view. */
void kbjobs_job_from(const kbj_job *j, zval *out);

/* Creates a tracker/failure-log view over an Engine object. */
void kbjobs_view_new(zend_class_entry *ce, zend_object *engine, zval *out);

/* Creates a Context for a running handler, and invalidates it afterwards. */
void kbjobs_context_new(kbj_ctx *ctx, zval *out);
void kbjobs_context_end(zval *ctx);
/* Whether the handler called Context::stopEarly(). */
int kbjobs_context_stopped_early(zval *ctx);

/* How a guarded call ended. */
typedef enum kbjobs_call_outcome {
    KBJOBS_CALL_OK,     /* returned: *retval set (the caller releases it) */
    KBJOBS_CALL_FATAL,  /* a fatal error: the run is stopped and run() bails out after it */
    KBJOBS_CALL_EXIT,   /* exit(): the run is stopped and run() ends the script after it */
    KBJOBS_CALL_THREW   /* an exception, left in EG(exception) for the caller */
} kbjobs_call_outcome;

/*
 * Calls `cb` with `argc` arguments for a running job or event inside zend_try: what a
 * job handler and an event runner share. A fatal error or exit() is recorded on run()'s
 * frame and stops the run (PHP's bailout or exit continues once run() returns); *retval
 * is undefined unless KBJOBS_CALL_OK.
 */
kbjobs_call_outcome kbjobs_call_guarded(kbjobs_engine_obj *o, zval *cb, zval *args, uint32_t argc, zval *retval);

/* "Class: message" of an exception (emalloc'd). */
char *kbjobs_exception_message(zend_object *ex);

/* run()'s "cron" option: the callable and its engine, for the event handler. */
typedef struct kbjobs_cron_runner {
    kbjobs_engine_obj *o;
    zval *cb;
} kbjobs_cron_runner;

/* run()'s options cron, cron_trigger, cron_batch, cron_event and cron_only into `opts`
 * (ext/engine_cron_runs.c); `runner` receives the callable (a pointer into `options`,
 * which outlives the run). 0, or -1 with a TypeError/ValueError naming the option. */
int kbjobs_run_cron_options(kbjobs_engine_obj *o, HashTable *options, kbj_run_opts *opts, kbjobs_cron_runner *runner);

/*
 * Calls `cb` with `argc` arguments for the job `ctx` runs, inside zend_try: a fatal
 * error or exit() fails the attempt and stops the run (PHP's bailout or exit continues
 * once run() returns); an exception fails the attempt with its message (retryable
 * unless it is a NonRetryableException). Returns 0 with *retval set (the caller
 * releases it), or the code of kbj_ctx_fail with *retval undefined. With
 * `stopped_early`, args[0] is a Context and the flag says whether it called stopEarly().
 */
int kbjobs_call_in_job(kbjobs_engine_obj *o, kbj_ctx *ctx, zval *cb, zval *args, uint32_t argc,
                       zval *retval, int *stopped_early);

/* The import sink run() installs when given a "sink" callable (ext/engine_import.c):
 * documents in, post ids out. */
int kbjobs_import_sink(kbj_ctx *ctx, const kbj_import_doc *docs, size_t n,
                       long long *post_ids, char **errors, void *arg);

/* Runs PHP's pending VM interrupts (pcntl signal handlers) while kbj_run idles. */
void kbjobs_idle_tick(void *arg);

#endif /* PHP_KBJOBS_H */
