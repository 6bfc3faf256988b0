/*
 * engine_class.c - KBJobs\Engine: the engine handle as a PHP object.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <malloc.h>
#include <unistd.h>

#include "php.h"
#include "zend_exceptions.h"
#include "zend_interfaces.h"

#include "php_kbjobs.h"

static zend_object_handlers engine_handlers;

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))

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

kbj_engine *kbjobs_engine_get(kbjobs_engine_obj *o)
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

/* Reads an integer option; 0 when absent. -1 with a ValueError on a bad value. */
int kbjobs_opt_long(HashTable *opts, const char *key, zend_long min, zend_long max, zend_long *out)
{
    zval *v = opts ? zend_hash_str_find(opts, key, strlen(key)) : NULL;
    *out = 0;
    if (!v || Z_TYPE_P(v) == IS_NULL)
        return 0;
    if (Z_TYPE_P(v) == IS_TRUE || Z_TYPE_P(v) == IS_FALSE) {
        *out = Z_TYPE_P(v) == IS_TRUE;
    } else if (Z_TYPE_P(v) == IS_LONG) {
        *out = Z_LVAL_P(v);
    } else if (Z_TYPE_P(v) == IS_DOUBLE && Z_DVAL_P(v) == (double)(zend_long)Z_DVAL_P(v)) {
        *out = (zend_long)Z_DVAL_P(v);
    } else {
        zend_value_error("option \"%s\" must be an integer", key);
        return -1;
    }
    if (*out < min || *out > max) {
        zend_value_error("option \"%s\" must be between " ZEND_LONG_FMT " and " ZEND_LONG_FMT, key, min, max);
        return -1;
    }
    return 0;
}

int kbjobs_opt_double(HashTable *opts, const char *key, double min, double max, double *out)
{
    zval *v = opts ? zend_hash_str_find(opts, key, strlen(key)) : NULL;
    *out = 0;
    if (!v || Z_TYPE_P(v) == IS_NULL)
        return 0;
    if (Z_TYPE_P(v) != IS_LONG && Z_TYPE_P(v) != IS_DOUBLE) {
        zend_value_error("option \"%s\" must be a number", key);
        return -1;
    }
    *out = zval_get_double(v);
    if (!(*out >= min && *out <= max)) {
        zend_value_error("option \"%s\" must be between %g and %g", key, min, max);
        return -1;
    }
    return 0;
}

/* An option whose range the engine gives (kbj_run_option_range, kbj_import_option_range):
 * the binding converts with the same bounds the engine checks, and its messages name
 * them. A double option's range is divided by `scale` (1000: the engine counts ms, the
 * option seconds). */
int kbjobs_opt_long_in(HashTable *opts, const char *key, const kbj_option_range *r, zend_long *out)
{
    ZEND_ASSERT(r);
    return kbjobs_opt_long(opts, key, (zend_long)r->min, (zend_long)r->max, out);
}

int kbjobs_opt_double_in(HashTable *opts, const char *key, const kbj_option_range *r, double scale, double *out)
{
    ZEND_ASSERT(r);
    return kbjobs_opt_double(opts, key, r->min / scale, r->max / scale, out);
}

/* A string option, or NULL; -1 with a TypeError when not a string. */
int kbjobs_opt_string(HashTable *opts, const char *key, const char **out)
{
    zval *v = opts ? zend_hash_str_find(opts, key, strlen(key)) : NULL;
    *out = NULL;
    if (!v || Z_TYPE_P(v) == IS_NULL)
        return 0;
    if (Z_TYPE_P(v) != IS_STRING) {
        zend_type_error("option \"%s\" must be a string", key);
        return -1;
    }
    if (zend_str_has_nul_byte(Z_STR_P(v))) {
        zend_value_error("option \"%s\" must not contain any null bytes", key);
        return -1;
    }
    *out = Z_STRVAL_P(v);
    return 0;
}

const char *const kbjobs_submit_keys[] = { "type", "params", "queue", "priority", "run_at", "delay",
    "max_attempts", "backoff", "on_expiry", "concurrency_key", "unique_key", "unique_scope", "resources", NULL };
static const char *const type_keys[] = { "label", "category", "queue", "max_attempts", "backoff",
    "on_expiry", "resources", "schema", "rules", NULL };

#define MAX_RULES 32

static int parse_rules(HashTable *opts, kbj_chain_rule *out, size_t *n)
{
    zval *v = opts ? zend_hash_str_find(opts, "rules", sizeof("rules") - 1) : NULL, *e;
    *n = 0;
    if (!v || Z_TYPE_P(v) == IS_NULL)
        return 0;
    if (Z_TYPE_P(v) != IS_ARRAY || zend_hash_num_elements(Z_ARRVAL_P(v)) > MAX_RULES) {
        zend_value_error("option \"rules\" must be a list of at most %d rules", MAX_RULES);
        return -1;
    }
    ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(v), e) {
        const char *before = NULL, *after = NULL, *sev = NULL, *msg = NULL;
        if (Z_TYPE_P(e) != IS_ARRAY || kbjobs_opt_string(Z_ARRVAL_P(e), "before", &before) ||
            kbjobs_opt_string(Z_ARRVAL_P(e), "after", &after) || kbjobs_opt_string(Z_ARRVAL_P(e), "severity", &sev) ||
            kbjobs_opt_string(Z_ARRVAL_P(e), "message", &msg) || !before || !after) {
            if (!EG(exception))
                zend_value_error("each rule must be ['before' => type, 'after' => type, 'severity' => "
                                 "'warning'|'error', 'message' => string]");
            return -1;
        }
        out[*n].before = before;
        out[*n].after = after;
        out[*n].message = msg;
        if (!sev || strcmp(sev, "warning") == 0)
            out[*n].severity = KBJ_CHAIN_WARNING;
        else if (strcmp(sev, "error") == 0)
            out[*n].severity = KBJ_CHAIN_ERROR;
        else {
            zend_value_error("a rule's severity must be \"warning\" or \"error\"");
            return -1;
        }
        (*n)++;
    } ZEND_HASH_FOREACH_END();
    return 0;
}

/* The "schema" option as JSON text (released by the caller), or NULL. */
static int parse_schema(HashTable *opts, zend_string **out)
{
    zval *v = opts ? zend_hash_str_find(opts, "schema", sizeof("schema") - 1) : NULL;
    *out = NULL;
    if (!v || Z_TYPE_P(v) == IS_NULL)
        return 0;
    if (Z_TYPE_P(v) == IS_STRING) {
        *out = zend_string_copy(Z_STR_P(v));
        return 0;
    }
    if (Z_TYPE_P(v) == IS_ARRAY) {
        *out = kbjobs_json_encode(v, "the schema");
        return *out ? 0 : -1;
    }
    zend_type_error("option \"schema\" must be an array or a JSON string");
    return -1;
}

/* Reads the "resources" option into out[] (strings point into the option array). */
static int parse_resources(HashTable *opts, kbj_resource *out, size_t *n)
{
    zval *v = opts ? zend_hash_str_find(opts, "resources", sizeof("resources") - 1) : NULL, *e;
    *n = 0;
    if (!v || Z_TYPE_P(v) == IS_NULL)
        return 0;
    if (Z_TYPE_P(v) != IS_ARRAY) {
        zend_type_error("option \"resources\" must be a list");
        return -1;
    }
    if (zend_hash_num_elements(Z_ARRVAL_P(v)) > KBJ_MAX_RESOURCES) {
        zend_value_error("option \"resources\" holds at most %d resources", KBJ_MAX_RESOURCES);
        return -1;
    }
    ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(v), e) {
        kbj_resource *r = &out[*n];
        r->op = NULL;
        if (Z_TYPE_P(e) == IS_STRING && zend_str_has_nul_byte(Z_STR_P(e))) {
            zend_value_error("a resource name must not contain any null bytes");
            return -1;
        } else if (Z_TYPE_P(e) == IS_STRING) {
            r->name = Z_STRVAL_P(e);
        } else if (Z_TYPE_P(e) == IS_ARRAY) {
            zval *name = zend_hash_str_find(Z_ARRVAL_P(e), "name", 4), *op = zend_hash_str_find(Z_ARRVAL_P(e), "op", 2);
            if (!name || Z_TYPE_P(name) != IS_STRING || (op && Z_TYPE_P(op) != IS_STRING && Z_TYPE_P(op) != IS_NULL) ||
                zend_str_has_nul_byte(Z_STR_P(name)) || (op && Z_TYPE_P(op) == IS_STRING && zend_str_has_nul_byte(Z_STR_P(op)))) {
                zend_value_error("each resource must be a name or ['name' => string, 'op' => ?string]");
                return -1;
            }
            r->name = Z_STRVAL_P(name);
            r->op = op && Z_TYPE_P(op) == IS_STRING ? Z_STRVAL_P(op) : NULL;
        } else {
            zend_value_error("each resource must be a name or ['name' => string, 'op' => ?string]");
            return -1;
        }
        (*n)++;
    } ZEND_HASH_FOREACH_END();
    return 0;
}
static const char *const run_keys[] = { "queues", "max_seconds", "max_jobs", "max_memory", "idle_ms",
    "until_empty", "until_empty_wait", "grace_seconds", "checkpoint_seconds", "checkpoint_items", "sink", "claim_batch", NULL };
static const char *const engine_keys[] = { "lease_seconds", "claim_batch", "failure_cap",
    "lost_after_seconds", "alert_threshold", "alert_window_seconds", NULL };

/* Refuses unknown option names, so a typo is not silently ignored. */
int kbjobs_known_keys(HashTable *opts, const char *const *keys, const char *what)
{
    zend_string *k;
    if (!opts)
        return 0;
    ZEND_HASH_FOREACH_STR_KEY(opts, k) {
        int ok = 0;
        if (!k) {
            zend_value_error("%s must be an array with string keys", what);
            return -1;
        }
        for (const char *const *p = keys; *p && !ok; p++)
            ok = strcmp(ZSTR_VAL(k), *p) == 0;
        if (!ok) {
            zend_value_error("unknown %s \"%s\"", what, ZSTR_VAL(k));
            return -1;
        }
    } ZEND_HASH_FOREACH_END();
    return 0;
}

static int parse_backoff(HashTable *opts, kbj_backoff *b)
{
    zval *v = opts ? zend_hash_str_find(opts, "backoff", sizeof("backoff") - 1) : NULL;
    zend_long base = 0, cap = 0;
    double jitter = 0;
    const char *kind = NULL;
    int k;

    memset(b, 0, sizeof *b);
    if (!v || Z_TYPE_P(v) == IS_NULL)
        return 0;
    if (Z_TYPE_P(v) == IS_STRING) {
        kind = Z_STRVAL_P(v);
    } else if (Z_TYPE_P(v) == IS_ARRAY) {
        static const char *const keys[] = { "kind", "base_ms", "cap_ms", "jitter", NULL };
        if (kbjobs_known_keys(Z_ARRVAL_P(v), keys, "backoff option") || kbjobs_opt_string(Z_ARRVAL_P(v), "kind", &kind) ||
            kbjobs_opt_long(Z_ARRVAL_P(v), "base_ms", 0, 86400000, &base) ||
            kbjobs_opt_long(Z_ARRVAL_P(v), "cap_ms", 0, 86400000 * 7L, &cap) ||
            kbjobs_opt_double(Z_ARRVAL_P(v), "jitter", -1, 1, &jitter))
            return -1;
    } else {
        zend_type_error("option \"backoff\" must be a string or an array");
        return -1;
    }
    k = kbj_backoff_parse(kind);
    if (k < 0) {
        zend_value_error("backoff kind \"%s\" must be fixed, linear, exponential or polynomial", kind);
        return -1;
    }
    b->kind = (kbj_backoff_kind)k;
    b->base_ms = (unsigned)base;
    b->cap_ms = (unsigned)cap;
    b->jitter = jitter;
    return 0;
}

static int parse_expiry(HashTable *opts, kbj_expiry *e)
{
    const char *s;
    *e = KBJ_EXPIRY_DEFAULT;
    if (kbjobs_opt_string(opts, "on_expiry", &s))
        return -1;
    if (!s)
        return 0;
    if (strcmp(s, "interrupt") == 0)
        *e = KBJ_EXPIRY_INTERRUPT;
    else if (strcmp(s, "requeue") == 0)
        *e = KBJ_EXPIRY_REQUEUE;
    else {
        zend_value_error("option \"on_expiry\" must be \"interrupt\" or \"requeue\"");
        return -1;
    }
    return 0;
}

/* Fills a kbj_submit from options; *params_out holds the encoded params (released by
 * the caller). */
int kbjobs_parse_submit(HashTable *opts, zval *params, kbj_submit *s, zend_string **params_out,
                        kbj_resource *res)
{
    zend_long prio = 0, attempts = 0;
    double run_at = 0, delay = 0;
    const char *scope = NULL;

    *params_out = NULL;
    if (kbjobs_opt_string(opts, "queue", &s->queue) || kbjobs_opt_long(opts, "priority", -100, 100, &prio) ||
        kbjobs_opt_double(opts, "run_at", 0, 32503680000.0, &run_at) ||
        kbjobs_opt_double(opts, "delay", 0, 10.0 * 365 * 86400, &delay) ||
        kbjobs_opt_long(opts, "max_attempts", 0, 1000, &attempts) || parse_backoff(opts, &s->backoff) ||
        parse_expiry(opts, &s->on_expiry) || kbjobs_opt_string(opts, "concurrency_key", &s->concurrency_key) ||
        kbjobs_opt_string(opts, "unique_key", &s->unique_key) || kbjobs_opt_string(opts, "unique_scope", &scope) ||
        parse_resources(opts, res, &s->nresources))
        return -1;
    s->resources = s->nresources ? res : NULL;
    s->priority = (int)prio;
    s->run_at = run_at;
    s->delay_ms = (long long)(delay * 1000);
    s->max_attempts = (int)attempts;
    if (scope) {
        if (strcmp(scope, "active") == 0)
            s->unique_scope = KBJ_UNIQUE_ACTIVE;
        else if (strcmp(scope, "retained") == 0)
            s->unique_scope = KBJ_UNIQUE_RETAINED;
        else {
            zend_value_error("option \"unique_scope\" must be \"active\" or \"retained\"");
            return -1;
        }
    } else if (s->unique_key) {
        s->unique_scope = KBJ_UNIQUE_ACTIVE;
    }
    if (params) {
        *params_out = kbjobs_json_object(params, "params");
        if (!*params_out)
            return -1;
        s->params = ZSTR_VAL(*params_out);
    }
    return 0;
}

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
    if (kbjobs_opt_long(options, "lost_after_seconds", 0, 86400 * 7, &v))
        RETURN_THROWS();
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
    if (rc) {
        kbjobs_throw(o->eng, rc);
        kbj_engine_free(o->eng);
        o->eng = NULL;
        RETURN_THROWS();
    }
    o->pid = getpid();
}
/* }}} */


PHP_METHOD(KBJobs_Engine, migrate)
{
    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_migrate(eng));
}

PHP_METHOD(KBJobs_Engine, schemaInfo)
{
    int version = 0, min_code = 0;
    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_schema_info(eng, &version, &min_code));
    array_init(return_value);
    add_assoc_long(return_value, "version", version);
    add_assoc_long(return_value, "min_code", min_code);
    add_assoc_long(return_value, "code", KBJ_SCHEMA_VERSION);
}

PHP_METHOD(KBJobs_Engine, submit)
{
    zend_string *type;
    zval *params = NULL;
    HashTable *options = NULL;
    kbj_submit s = { 0 };
    zend_string *pjson = NULL;
    char id[KBJ_ID_LEN + 1];
    kbj_resource res[KBJ_MAX_RESOURCES];
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 3)
        Z_PARAM_PATH_STR(type)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY(params)
        Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (options && (zend_hash_str_exists(options, "type", 4) || zend_hash_str_exists(options, "params", 6))) {
        zend_argument_value_error(3, "must not contain \"type\" or \"params\"");
        RETURN_THROWS();
    }
    if (kbjobs_known_keys(options, kbjobs_submit_keys, "submit option") || kbjobs_parse_submit(options, params, &s, &pjson, res))
        RETURN_THROWS();
    s.type = ZSTR_VAL(type);
    rc = kbj_submit_job(eng, &s, id, NULL);
    if (pjson)
        zend_string_release(pjson);
    if (rc) {
        kbjobs_throw(eng, rc);
        RETURN_THROWS();
    }
    RETURN_STRINGL(id, KBJ_ID_LEN);
}

PHP_METHOD(KBJobs_Engine, submitMany)
{
    HashTable *jobs;
    kbj_submit *subs;
    zend_string **pj;
    kbj_resource (*res)[KBJ_MAX_RESOURCES];
    char (*ids)[KBJ_ID_LEN + 1];
    uint32_t n, i = 0;
    zval *job;
    int rc = KBJ_OK, bad = 0;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ARRAY_HT(jobs)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    n = zend_hash_num_elements(jobs);
    if (n == 0)
        RETURN_EMPTY_ARRAY();
    if (n > 100000) {
        zend_argument_value_error(1, "must hold at most 100000 jobs");
        RETURN_THROWS();
    }
    subs = ecalloc(n, sizeof *subs);
    pj = ecalloc(n, sizeof *pj);
    res = ecalloc(n, sizeof *res);
    ids = ecalloc(n, sizeof *ids);
    ZEND_HASH_FOREACH_VAL(jobs, job) {
        zval *t, *p;
        ZVAL_DEREF(job);
        if (Z_TYPE_P(job) != IS_ARRAY) {
            zend_argument_type_error(1, "must be a list of arrays, element %u is %s", i, zend_zval_type_name(job));
            bad = 1;
            break;
        }
        t = zend_hash_str_find(Z_ARRVAL_P(job), "type", 4);
        p = zend_hash_str_find(Z_ARRVAL_P(job), "params", 6);
        if (!t || Z_TYPE_P(t) != IS_STRING || zend_str_has_nul_byte(Z_STR_P(t))) {
            zend_argument_value_error(1, t && Z_TYPE_P(t) == IS_STRING
                                         ? "element %u: \"type\" must not contain any null bytes"
                                         : "element %u must have a string \"type\"", i);
            bad = 1;
            break;
        }
        if (p && Z_TYPE_P(p) != IS_ARRAY) {
            zend_argument_type_error(1, "element %u: \"params\" must be an array", i);
            bad = 1;
            break;
        }
        if (kbjobs_known_keys(Z_ARRVAL_P(job), kbjobs_submit_keys, "submit option") ||
            kbjobs_parse_submit(Z_ARRVAL_P(job), p, &subs[i], &pj[i], res[i])) {
            bad = 1;
            break;
        }
        subs[i].type = Z_STRVAL_P(t);
        i++;
    } ZEND_HASH_FOREACH_END();
    if (!bad)
        rc = kbj_submit_many(eng, subs, n, ids);
    for (uint32_t k = 0; k < n; k++)
        if (pj[k])
            zend_string_release(pj[k]);
    if (!bad && rc == KBJ_OK) {
        array_init_size(return_value, n);
        for (uint32_t k = 0; k < n; k++)
            add_next_index_stringl(return_value, ids[k], KBJ_ID_LEN);
    } else if (!bad) {
        kbjobs_throw(eng, rc);
    }
    efree(subs);
    efree(pj);
    efree(res);
    efree(ids);
}

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

PHP_METHOD(KBJobs_Engine, types)
{
    kbj_type_info info[128];
    size_t n;
    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    n = kbj_types_list(eng, info, 128);
    if (n > 128)
        n = 128;
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row, res, schema;
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
        add_next_index_zval(return_value, &row);
    }
}

PHP_METHOD(KBJobs_Engine, get)
{
    zend_string *id;
    kbj_job *j = NULL;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_get(eng, ZSTR_VAL(id), &j));
    kbjobs_job_from(j, return_value);
    kbj_job_free(j);
}

PHP_METHOD(KBJobs_Engine, list)
{
    static const char *const keys[] = { "status", "type", "queue", "concurrency_key", "created_after",
                                        "created_before", "limit", "cursor", NULL };
    HashTable *filter = NULL;
    kbj_job_filter f = { 0 };
    kbj_job **jobs = NULL;
    size_t n = 0;
    char next[32];
    zend_long limit;
    zval list;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(filter)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (kbjobs_known_keys(filter, keys, "filter") || kbjobs_opt_string(filter, "status", &f.status) ||
        kbjobs_opt_string(filter, "type", &f.type) || kbjobs_opt_string(filter, "queue", &f.queue) ||
        kbjobs_opt_string(filter, "concurrency_key", &f.concurrency_key) ||
        kbjobs_opt_double(filter, "created_after", 0, 32503680000.0, &f.created_after) ||
        kbjobs_opt_double(filter, "created_before", 0, 32503680000.0, &f.created_before) ||
        kbjobs_opt_long(filter, "limit", 0, 1000, &limit) || kbjobs_opt_string(filter, "cursor", &f.cursor))
        RETURN_THROWS();
    f.limit = (size_t)limit;
    KBJOBS_CHECK(eng, kbj_job_list(eng, &f, &jobs, &n, next));
    array_init(return_value);
    array_init_size(&list, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval j;
        kbjobs_job_from(jobs[i], &j);
        add_next_index_zval(&list, &j);
    }
    kbj_jobs_free(jobs, n);
    add_assoc_zval(return_value, "jobs", &list);
    if (next[0])
        add_assoc_string(return_value, "next_cursor", next);
    else
        add_assoc_null(return_value, "next_cursor");
}

PHP_METHOD(KBJobs_Engine, cancel)
{
    zend_string *id;
    int was_running = 0;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_cancel(eng, ZSTR_VAL(id), &was_running));
    RETURN_BOOL(was_running);
}

PHP_METHOD(KBJobs_Engine, resume)
{
    zend_string *id;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_resume(eng, ZSTR_VAL(id)));
}

PHP_METHOD(KBJobs_Engine, rerun)
{
    zend_string *id;
    char new_id[KBJ_ID_LEN + 1];
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_rerun(eng, ZSTR_VAL(id), new_id));
    RETURN_STRINGL(new_id, KBJ_ID_LEN);
}

PHP_METHOD(KBJobs_Engine, attempts)
{
    zend_string *id;
    kbj_attempt *a = NULL;
    size_t n = 0;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_attempts(eng, ZSTR_VAL(id), &a, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init(&row);
        add_assoc_long(&row, "attempt", a[i].attempt);
        add_assoc_string(&row, "outcome", a[i].outcome);
        if (a[i].runner[0])
            add_assoc_string(&row, "runner", a[i].runner);
        else
            add_assoc_null(&row, "runner");
        kbjobs_add_time(&row, "started_at", a[i].started_at);
        kbjobs_add_time(&row, "finished_at", a[i].finished_at);
        if (a[i].error)
            add_assoc_string(&row, "error", a[i].error);
        else
            add_assoc_null(&row, "error");
        add_next_index_zval(return_value, &row);
    }
    kbj_attempts_free(a, n);
}

PHP_METHOD(KBJobs_Engine, log)
{
    zend_string *id, *level, *message;
    zval *context = NULL;
    zend_string *cjson = NULL;
    int rc;
    ZEND_PARSE_PARAMETERS_START(3, 4)
        Z_PARAM_PATH_STR(id)
        Z_PARAM_PATH_STR(level)
        Z_PARAM_PATH_STR(message)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY(context)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    {
        /* a log belongs to a job: one that does not exist would never be cleaned up */
        kbj_job *j = NULL;
        KBJOBS_CHECK(eng, kbj_job_get(eng, ZSTR_VAL(id), &j));
        kbj_job_free(j);
    }
    if (context && zend_hash_num_elements(Z_ARRVAL_P(context)) && !(cjson = kbjobs_json_object(context, "context")))
        RETURN_THROWS();
    rc = kbj_log(eng, ZSTR_VAL(id), ZSTR_VAL(level), ZSTR_VAL(message), cjson ? ZSTR_VAL(cjson) : NULL);
    if (cjson)
        zend_string_release(cjson);
    KBJOBS_CHECK(eng, rc);
}

static void logread_to_array(kbj_logread *r, zval *out)
{
    zval lines;
    array_init(out);
    array_init_size(&lines, (uint32_t)r->count);
    for (size_t i = 0; i < r->count; i++) {
        zval line;
        kbjobs_json_decode(r->lines[i], &line);
        add_next_index_zval(&lines, &line);
    }
    add_assoc_zval(out, "lines", &lines);
    add_assoc_long(out, "next_cursor", (zend_long)r->next_cursor);
    add_assoc_bool(out, "eof", r->eof);
}

PHP_METHOD(KBJobs_Engine, logs)
{
    zend_string *id;
    zend_long cursor = 0, max_bytes = 0;
    kbj_logread r;
    ZEND_PARSE_PARAMETERS_START(1, 3)
        Z_PARAM_PATH_STR(id)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(cursor)
        Z_PARAM_LONG(max_bytes)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (cursor < 0) {
        zend_argument_value_error(2, "must be greater than or equal to 0");
        RETURN_THROWS();
    }
    if (max_bytes < 0) {
        zend_argument_value_error(3, "must be greater than or equal to 0");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_log_read(eng, ZSTR_VAL(id), (unsigned long long)cursor, (size_t)max_bytes, &r));
    logread_to_array(&r, return_value);
    kbj_logread_free(&r);
}

PHP_METHOD(KBJobs_Engine, tail)
{
    zend_string *id;
    zend_long lines = 100;
    kbj_logread r;
    ZEND_PARSE_PARAMETERS_START(1, 2)
        Z_PARAM_PATH_STR(id)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(lines)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (lines < 1 || lines > 10000) {
        zend_argument_value_error(2, "must be between 1 and 10000");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_log_tail(eng, ZSTR_VAL(id), (size_t)lines, &r));
    logread_to_array(&r, return_value);
    kbj_logread_free(&r);
}

PHP_METHOD(KBJobs_Engine, retention)
{
    zend_long days = 30;
    size_t deleted = 0;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(days)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (days < 0 || days > 36500) {
        zend_argument_value_error(1, "must be between 0 and 36500");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_retention(eng, (unsigned)days, &deleted));
    RETURN_LONG((zend_long)deleted);
}

PHP_METHOD(KBJobs_Engine, interrupted)
{
    zend_long limit = 50;
    kbj_interrupted *list = NULL;
    size_t n = 0;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(limit)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (limit < 1 || limit > 1000) {
        zend_argument_value_error(1, "must be between 1 and 1000");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_interrupted_list(eng, (size_t)limit, &list, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init(&row);
        add_assoc_string(&row, "job_id", list[i].job_id);
        add_assoc_string(&row, "type", list[i].type);
        add_assoc_long(&row, "progress_done", (zend_long)list[i].progress_done);
        add_assoc_long(&row, "progress_total", (zend_long)list[i].progress_total);
        kbjobs_add_time(&row, "interrupted_at", list[i].interrupted_at);
        if (list[i].checkpoint_age >= 0)
            add_assoc_double(&row, "checkpoint_age", list[i].checkpoint_age);
        else
            add_assoc_null(&row, "checkpoint_age");
        add_assoc_string(&row, "checkpoint", list[i].checkpoint_status);
        add_next_index_zval(return_value, &row);
    }
    free(list);
}

PHP_METHOD(KBJobs_Engine, checkpoint)
{
    zend_string *id;
    kbj_checkpoint *c = NULL;
    int rc;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    rc = kbj_checkpoint_load(eng, ZSTR_VAL(id), &c);
    if (rc == KBJ_ENOTFOUND)
        RETURN_NULL();
    KBJOBS_CHECK(eng, rc);
    kbjobs_checkpoint_to_array(c, return_value);
    kbj_checkpoint_free(c);
}

PHP_METHOD(KBJobs_Engine, discardCheckpoint)
{
    zend_string *id;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_checkpoint_discard(eng, ZSTR_VAL(id)));
}

PHP_METHOD(KBJobs_Engine, cleanupCheckpoints)
{
    zend_long days = 7;
    size_t removed = 0;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(days)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (days < 1 || days > 36500) {
        zend_argument_value_error(1, "must be between 1 and 36500");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_checkpoints_cleanup(eng, (unsigned)days, &removed));
    RETURN_LONG((zend_long)removed);
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
}

PHP_METHOD(KBJobs_Engine, queue)
{
    zend_string *queue;
    kbj_queue_stats s;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(queue)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_queue_stats_get(eng, ZSTR_VAL(queue), &s));
    queue_to_array(&s, return_value);
}

PHP_METHOD(KBJobs_Engine, queues)
{
    kbj_queue_stats *all = NULL;
    size_t n = 0;
    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_queues_list(eng, &all, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        queue_to_array(&all[i], &row);
        add_next_index_zval(return_value, &row);
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

PHP_METHOD(KBJobs_Engine, reap)
{
    size_t reaped = 0;
    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_reap(eng, &reaped));
    RETURN_LONG((zend_long)reaped);
}

/* ---- PHP handlers ------------------------------------------------------------------ */

/* What a handler left behind that must reach the caller of run() once kbj_run has
 * returned: exit() or a graceful shutdown (pending), or a fatal error (bailout). The
 * innermost run()'s frame is KBJOBS_G(current_frame), a module global, so each thread
 * of a ZTS build has its own; PHP here is built without ZTS, so the ZTS build is
 * untested. */
typedef struct kbjobs_run_frame {
    kbjobs_engine_obj *o;
    zend_object *pending;  /* exit() in a handler */
    int bailout;           /* a fatal error in a handler */
} run_frame;

static char *exception_message(zend_object *ex)
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

int kbjobs_call_in_job(kbjobs_engine_obj *o, kbj_ctx *ctx, zval *cb, zval *args, uint32_t argc,
                       zval *retval, int *stopped_early)
{
    volatile int bailed = 0;
    int rc = KBJ_OK;

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
    if (stopped_early && argc > 0)
        *stopped_early = kbjobs_context_stopped_early(&args[0]);

    if (bailed) {
        /* A fatal error: fail the attempt, stop the run, and let PHP carry on with the
         * bailout once run() has put everything back. */
        if (KBJOBS_G(current_frame))
            KBJOBS_G(current_frame)->bailout = 1;
        kbj_request_stop(o->eng);
        ZVAL_UNDEF(retval);
        return kbj_ctx_fail(ctx, "the handler stopped with a fatal error", 1);
    }
    if (EG(exception)) {
        zend_object *ex = EG(exception);
        if (zend_is_unwind_exit(ex) || zend_is_graceful_exit(ex)) {
            if (KBJOBS_G(current_frame) && !KBJOBS_G(current_frame)->pending) {
                GC_ADDREF(ex);
                KBJOBS_G(current_frame)->pending = ex;
            }
            zend_clear_exception();
            kbj_request_stop(o->eng);
            rc = kbj_ctx_fail(ctx, "the handler called exit()", 1);
        } else if (instanceof_function(ex->ce, kbjobs_ce_lease_lost)) {
            /* the job is not this runner's any more: nothing is written for it */
            zend_string *s = zval_get_string(zend_read_property(ex->ce, ex, "message", sizeof "message" - 1, 1, NULL));
            zend_clear_exception();
            rc = kbj_ctx_lease_lost(ctx, ZSTR_VAL(s));
            zend_string_release(s);
        } else if (instanceof_function(ex->ce, kbjobs_ce_connection_lost)) {
            char *msg = exception_message(ex);
            zend_clear_exception();
            rc = kbj_ctx_disconnected(ctx, msg);
            efree(msg);
        } else {
            char *msg = exception_message(ex);
            int retryable = !instanceof_function(ex->ce, kbjobs_ce_non_retryable);
            zend_clear_exception();
            rc = kbj_ctx_fail(ctx, msg, retryable);
            efree(msg);
        }
        zval_ptr_dtor(retval);
        ZVAL_UNDEF(retval);
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
            char *msg = EG(exception) ? exception_message(EG(exception)) : estrdup("bad result");
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
    kbj_chain_rule rules[MAX_RULES];
    zend_string *schema = NULL;
    zend_long attempts = 0;
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
    if (kbjobs_known_keys(options, type_keys, "type option") || kbjobs_opt_string(options, "label", &def.label) ||
        kbjobs_opt_string(options, "category", &def.category) || kbjobs_opt_string(options, "queue", &def.queue) ||
        kbjobs_opt_long(options, "max_attempts", 0, 1000, &attempts) || parse_backoff(options, &def.backoff) ||
        parse_expiry(options, &def.on_expiry) || parse_resources(options, res, &def.nresources) ||
        parse_rules(options, rules, &def.nrules) || parse_schema(options, &schema))
        RETURN_THROWS();
    def.resources = def.nresources ? res : NULL;
    def.rules = def.nrules ? rules : NULL;
    def.params_schema = schema ? ZSTR_VAL(schema) : NULL;
    def.name = ZSTR_VAL(type);
    def.max_attempts = (int)attempts;
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

PHP_METHOD(KBJobs_Engine, run)
{
    HashTable *options = NULL;
    kbjobs_engine_obj *o = THIS_ENGINE();
    kbj_run_opts opts = { 0 };
    kbj_run_report rep;
    const char **queues = NULL;
    zend_long v;
    double secs;
    run_frame frame = { o, NULL, 0 }, *outer;
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
    if (kbjobs_known_keys(options, run_keys, "run option"))
        RETURN_THROWS();
    {
        zval *q = options ? zend_hash_str_find(options, "queues", 6) : NULL;
        if (q && Z_TYPE_P(q) == IS_STRING && zend_str_has_nul_byte(Z_STR_P(q))) {
            zend_value_error("option \"queues\" must not contain any null bytes");
            RETURN_THROWS();
        } else if (q && Z_TYPE_P(q) == IS_STRING) {
            queues = emalloc(sizeof *queues);
            queues[0] = Z_STRVAL_P(q);
            opts.nqueues = 1;
        } else if (q && Z_TYPE_P(q) == IS_ARRAY) {
            zval *e;
            queues = emalloc(sizeof *queues * (zend_hash_num_elements(Z_ARRVAL_P(q)) + 1));
            ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(q), e) {
                if (Z_TYPE_P(e) != IS_STRING || zend_str_has_nul_byte(Z_STR_P(e))) {
                    efree(queues);
                    zend_value_error(Z_TYPE_P(e) == IS_STRING ? "option \"queues\" must not contain any null bytes"
                                                              : "option \"queues\" must be a string or a list of strings");
                    RETURN_THROWS();
                }
                queues[opts.nqueues++] = Z_STRVAL_P(e);
            } ZEND_HASH_FOREACH_END();
        } else if (q && Z_TYPE_P(q) != IS_NULL) {
            zend_type_error("option \"queues\" must be a string or a list of strings");
            RETURN_THROWS();
        }
        opts.queues = queues;
    }
#define RUN_OPT(call)                  \
    if (call) {                        \
        if (queues)                    \
            efree(queues);             \
        RETURN_THROWS();               \
    }
    RUN_OPT(kbjobs_opt_double_in(options, "max_seconds", kbj_run_option_range("max_seconds"), 1, &secs));
    opts.max_seconds = secs;
    RUN_OPT(kbjobs_opt_long(options, "max_jobs", 0, ZEND_LONG_MAX, &v));
    opts.max_jobs = (unsigned long)v;
    RUN_OPT(kbjobs_opt_long(options, "max_memory", 0, ZEND_LONG_MAX, &v));
    opts.max_memory = (size_t)v;
    RUN_OPT(kbjobs_opt_long_in(options, "claim_batch", kbj_run_option_range("claim_batch"), &v));
    opts.claim_batch = (unsigned)v;
    RUN_OPT(kbjobs_opt_long_in(options, "idle_ms", kbj_run_option_range("idle_ms"), &v));
    opts.idle_ms = (unsigned)v;
    RUN_OPT(kbjobs_opt_long(options, "until_empty", 0, 1, &v));
    opts.until_empty = (int)v;
    RUN_OPT(kbjobs_opt_double_in(options, "until_empty_wait", kbj_run_option_range("until_empty_wait_ms"), 1000,
                                 &secs));
    opts.until_empty_wait_ms = (unsigned)(secs * 1000);
    RUN_OPT(kbjobs_opt_long_in(options, "grace_seconds", kbj_run_option_range("grace_seconds"), &v));
    opts.grace_seconds = (unsigned)v;
    RUN_OPT(kbjobs_opt_double_in(options, "checkpoint_seconds", kbj_run_option_range("checkpoint_seconds"), 1,
                                 &secs));
    opts.checkpoint_seconds = secs;
    RUN_OPT(kbjobs_opt_long(options, "checkpoint_items", 0, ZEND_LONG_MAX, &v));
    opts.checkpoint_items = (long long)v;
    opts.memory_usage = memory_usage;
    opts.idle_tick = kbjobs_idle_tick;
    {
        zval *sink = options ? zend_hash_str_find(options, "sink", 4) : NULL;
        if (sink && Z_TYPE_P(sink) != IS_NULL) {
            if (!zend_is_callable(sink, 0, NULL)) {
                if (queues)
                    efree(queues);
                zend_type_error("option \"sink\" must be a callable");
                RETURN_THROWS();
            }
            ZVAL_COPY(&o->sink, sink);
            kbj_import_set_sink(eng, kbjobs_import_sink, o);
        }
    }

    o->in_run = 1;
    GC_ADDREF(&o->std); /* the handlers' udata points at this object */
    outer = KBJOBS_G(current_frame);
    KBJOBS_G(current_frame) = &frame;
    rc = kbj_run(eng, &opts, &rep);
    KBJOBS_G(current_frame) = outer;
    o->in_run = 0;
    kbj_import_set_sink(eng, NULL, NULL);
    zval_ptr_dtor(&o->sink);
    ZVAL_UNDEF(&o->sink);
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
    array_init(return_value);
    add_assoc_string(return_value, "runner", rep.runner);
    add_assoc_long(return_value, "claimed", (zend_long)rep.claimed);
    add_assoc_long(return_value, "completed", (zend_long)rep.completed);
    add_assoc_long(return_value, "failed", (zend_long)rep.failed);
    add_assoc_long(return_value, "retried", (zend_long)rep.retried);
    add_assoc_long(return_value, "cancelled", (zend_long)rep.cancelled);
    add_assoc_long(return_value, "interrupted", (zend_long)rep.interrupted);
    add_assoc_long(return_value, "lost", (zend_long)rep.lost);
    add_assoc_long(return_value, "deferred", (zend_long)rep.deferred);
    add_assoc_double(return_value, "elapsed", rep.elapsed);
    add_assoc_string(return_value, "stop_reason", rep.stop_reason);
    OBJ_RELEASE(&o->std);
}

PHP_METHOD(KBJobs_Engine, requestStop)
{
    kbjobs_engine_obj *o = THIS_ENGINE();
    ZEND_PARSE_PARAMETERS_NONE();
    if (o->eng)
        kbj_request_stop(o->eng);
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
