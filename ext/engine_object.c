/*
 * engine_object.c - KBJobs\Engine as a PHP object: its handlers (create, free, gc, no clone),
 * the constructor and the connection (reconnected after a fork), migrations, and the
 * views it hands out (tracker, failure log). The methods live by concern in
 * engine_jobs.c, engine_queues.c, engine_run.c and engine_import.c; option parsing in
 * engine_options.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <unistd.h>

#include "php.h"
#include "zend_exceptions.h"

#include "php_kbjobs.h"

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))

static zend_object_handlers engine_handlers;

static zend_object *engine_create(zend_class_entry *ce)
{
    kbjobs_engine_obj *o = zend_object_alloc(sizeof(kbjobs_engine_obj), ce);
    zend_object_std_init(&o->std, ce);
    object_properties_init(&o->std, ce);
    array_init(&o->handlers);
    ZVAL_UNDEF(&o->sink);
    o->std.handlers = &engine_handlers;
    return &o->std;
}

static void engine_free(zend_object *obj)
{
    kbjobs_engine_obj *o = kbjobs_engine_from(obj);
    if (o->eng) {
        /* A forked child must not close the parent's connection politely. */
        if (o->pid != getpid())
            kbj_engine_forget_connection(o->eng);
        kbj_engine_free(o->eng);
        o->eng = NULL;
    }
    zval_ptr_dtor(&o->handlers);
    zval_ptr_dtor(&o->sink);
    zend_object_std_dtor(obj);
}

static HashTable *engine_get_gc(zend_object *obj, zval **table, int *n)
{
    kbjobs_engine_obj *o = kbjobs_engine_from(obj);
    *table = &o->handlers; /* handlers and sink, side by side */
    *n = 2;
    return zend_std_get_properties(obj);
}

/* The engine, whatever its schema: for migrate() and schemaInfo(). */
static kbj_engine *engine_any(kbjobs_engine_obj *o)
{
    if (!o->eng) {
        zend_throw_error(NULL, "KBJobs\\Engine is not connected");
        return NULL;
    }
    if (o->pid != getpid()) {
        /* After pcntl_fork: drop the parent's socket and reconnect on first use. */
        kbj_engine_forget_connection(o->eng);
        o->pid = getpid();
    }
    return o->eng;
}

kbj_engine *kbjobs_engine_get(kbjobs_engine_obj *o)
{
    kbj_engine *eng = engine_any(o);
    int rc;
    /* tables older than this code works with: every method but migrate() and
     * schemaInfo() says to migrate */
    if (eng && kbj_schema_behind(eng) && (rc = kbj_schema_require(eng))) {
        kbjobs_throw(eng, rc);
        return NULL;
    }
    return eng;
}

static const char *const engine_keys[] = { "lease_seconds", "claim_batch", "failure_cap",
    "lost_after_seconds", "alert_threshold", "alert_window_seconds", "heartbeat_seconds", NULL };

/* {{{ KBJobs\Engine::__construct */
PHP_METHOD(KBJobs_Engine, __construct)
{
    zend_string *host, *user, *password, *database, *prefix = NULL, *data_dir = NULL;
    HashTable *options = NULL;
    kbjobs_engine_obj *o = THIS_ENGINE();
    kbj_config cfg = { 0 };
    zend_long v;
    int rc;

    ZEND_PARSE_PARAMETERS_START(4, 7)
        Z_PARAM_PATH_STR(host)
        Z_PARAM_PATH_STR(user)
        Z_PARAM_PATH_STR(password)
        Z_PARAM_PATH_STR(database)
        Z_PARAM_OPTIONAL
        Z_PARAM_PATH_STR(prefix)
        Z_PARAM_PATH_STR_OR_NULL(data_dir)
        Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();

    if (o->eng) {
        zend_throw_error(NULL, "KBJobs\\Engine is already constructed");
        RETURN_THROWS();
    }
    if (!data_dir && (!KBJOBS_G(data_dir) || !*KBJOBS_G(data_dir))) {
        zend_argument_value_error(6, "must be given when the kbjobs.data_dir INI setting is empty");
        RETURN_THROWS();
    }
    if (kbjobs_known_keys(options, engine_keys, "engine option"))
        RETURN_THROWS();
    cfg.db.host = ZSTR_VAL(host);
    cfg.db.user = ZSTR_VAL(user);
    cfg.db.password = ZSTR_VAL(password);
    cfg.db.database = ZSTR_VAL(database);
    cfg.db.prefix = prefix ? ZSTR_VAL(prefix) : "wp_";
    cfg.data_dir = data_dir ? ZSTR_VAL(data_dir) : KBJOBS_G(data_dir);
    cfg.lease_seconds = (unsigned)KBJOBS_G(lease_seconds);
    cfg.claim_batch = (unsigned)KBJOBS_G(claim_batch);
    if (kbjobs_opt_long(options, "lease_seconds", 0, 86400, &v))
        RETURN_THROWS();
    if (v)
        cfg.lease_seconds = (unsigned)v;
    if (kbjobs_opt_long(options, "claim_batch", 0, 1000, &v))
        RETURN_THROWS();
    if (v)
        cfg.claim_batch = (unsigned)v;
    if (kbjobs_opt_long(options, "failure_cap", 0, 100000, &v))
        RETURN_THROWS();
    cfg.failure_cap = (unsigned)v;
    /* heartbeat_seconds and lost_after_seconds: the option, else the INI setting (0 for
     * lost_after: four heartbeats); the engine refuses a heartbeat not below lost_after */
    cfg.heartbeat_seconds = (unsigned)KBJOBS_G(heartbeat_seconds);
    cfg.lost_after_seconds = (unsigned)KBJOBS_G(lost_after_seconds);
    if (kbjobs_opt_long(options, "heartbeat_seconds", 0, KBJ_HEARTBEAT_SECONDS_MAX, &v))
        RETURN_THROWS();
    if (v)
        cfg.heartbeat_seconds = (unsigned)v;
    if (kbjobs_opt_long(options, "lost_after_seconds", 0, KBJ_LOST_AFTER_SECONDS_MAX, &v))
        RETURN_THROWS();
    if (v)
        cfg.lost_after_seconds = (unsigned)v;
    if (kbjobs_opt_long(options, "alert_threshold", 0, 100000, &v))
        RETURN_THROWS();
    cfg.alert_threshold = (unsigned)v;
    if (kbjobs_opt_long(options, "alert_window_seconds", 0, 86400 * 30, &v))
        RETURN_THROWS();
    cfg.alert_window_seconds = (unsigned)v;

    o->eng = kbj_engine_new();
    if (!o->eng) {
        zend_throw_error(NULL, "out of memory");
        RETURN_THROWS();
    }
    rc = kbj_engine_connect(o->eng, &cfg);
    if (rc == KBJ_OK)
        rc = kbj_register_builtin_types(o->eng);
    if (rc) {
        kbjobs_throw(o->eng, rc);
        kbj_engine_free(o->eng);
        o->eng = NULL;
        RETURN_THROWS();
    }
    o->pid = getpid();
}
/* }}} */


typedef struct migrate_progress {
    zend_fcall_info fci;
    zend_fcall_info_cache fcc;
    int failed;
} migrate_progress;

/* Calls the progress callable with (moved, at_id, top_id); an exception it throws is
 * kept for after the migration (which goes on: stopping halfway helps nobody). */
static void call_progress(unsigned long long moved, unsigned long long at_id, unsigned long long top_id, void *arg)
{
    migrate_progress *p = arg;
    zval args[3], ret;
    if (p->failed || EG(exception))
        return;
    ZVAL_LONG(&args[0], (zend_long)moved);
    ZVAL_LONG(&args[1], (zend_long)at_id);
    ZVAL_LONG(&args[2], (zend_long)top_id);
    p->fci.retval = &ret;
    p->fci.params = args;
    p->fci.param_count = 3;
    if (zend_call_function(&p->fci, &p->fcc) != SUCCESS)
        p->failed = 1;
    zval_ptr_dtor(&ret);
}

PHP_METHOD(KBJobs_Engine, migrate)
{
    bool all = false;
    zend_fcall_info fci = empty_fcall_info;
    zend_fcall_info_cache fcc = empty_fcall_info_cache;
    migrate_progress mp;
    kbj_migrate_progress progress = { call_progress, &mp };
    kbj_engine *eng;
    int version = 0, min_code = 0, rc;

    ZEND_PARSE_PARAMETERS_START(0, 2)
        Z_PARAM_OPTIONAL
        Z_PARAM_BOOL(all)
        Z_PARAM_FUNC_OR_NULL(fci, fcc)
    ZEND_PARSE_PARAMETERS_END();
    if (!(eng = engine_any(THIS_ENGINE())))
        RETURN_THROWS();
    KBJOBS_CHECK(eng, kbj_schema_info(eng, &version, &min_code));
    memset(&mp, 0, sizeof mp);
    mp.fci = fci;
    mp.fcc = fcc;
    rc = all ? kbj_migrate_all(eng, ZEND_FCI_INITIALIZED(fci) ? &progress : NULL) : kbj_migrate(eng);
    if (EG(exception))
        RETURN_THROWS();
    KBJOBS_CHECK(eng, rc);
    array_init(return_value);
    add_assoc_long(return_value, "from", version);
    KBJOBS_CHECK(eng, kbj_schema_info(eng, &version, &min_code));
    add_assoc_long(return_value, "to", version);
    add_assoc_bool(return_value, "behind", kbj_schema_behind(eng));
}

PHP_METHOD(KBJobs_Engine, schemaInfo)
{
    int version = 0, min_code = 0;
    kbj_engine *eng;
    ZEND_PARSE_PARAMETERS_NONE();
    if (!(eng = engine_any(THIS_ENGINE())))
        RETURN_THROWS();
    KBJOBS_CHECK(eng, kbj_schema_info(eng, &version, &min_code));
    array_init(return_value);
    add_assoc_long(return_value, "version", version);
    add_assoc_long(return_value, "min_code", min_code);
    add_assoc_long(return_value, "code", KBJ_SCHEMA_VERSION);
    add_assoc_long(return_value, "oldest", KBJ_SCHEMA_OLDEST);
    add_assoc_bool(return_value, "behind", version < KBJ_SCHEMA_OLDEST);
}

PHP_METHOD(KBJobs_Engine, tracker)
{
    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    (void)eng;
    kbjobs_view_new(kbjobs_ce_tracker, Z_OBJ_P(ZEND_THIS), return_value);
}

PHP_METHOD(KBJobs_Engine, failures)
{
    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    (void)eng;
    kbjobs_view_new(kbjobs_ce_failure_log, Z_OBJ_P(ZEND_THIS), return_value);
}

void kbjobs_engine_minit(void)
{
    kbjobs_ce_engine->create_object = engine_create;
    memcpy(&engine_handlers, zend_get_std_object_handlers(), sizeof engine_handlers);
    engine_handlers.offset = XtOffsetOf(kbjobs_engine_obj, std);
    engine_handlers.free_obj = engine_free;
    engine_handlers.get_gc = engine_get_gc;
    engine_handlers.clone_obj = NULL;
    kbjobs_ce_engine->ce_flags |= ZEND_ACC_NOT_SERIALIZABLE;
}
