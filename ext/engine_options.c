/*
 * engine_options.c - reading the options arrays of KBJobs\Engine's methods into engine
 * structs: typed readers that name the option in their errors, unknown-key checks, and
 * the submit and job type options shared by several methods. Numeric ranges the engine
 * owns are read from it (kbj_run_option_range, kbj_import_option_range).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"

#include "php_kbjobs.h"

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
    "max_attempts", "backoff", "on_expiry", "concurrency_key", "unique_key", "unique_scope", "resources", "backlog",
    "hold", NULL };
static const char *const type_keys[] = { "label", "category", "queue", "max_attempts", "backoff",
    "on_expiry", "resources", "schema", "rules", NULL };

static int parse_rules(HashTable *opts, kbj_chain_rule *out, size_t *n)
{
    zval *v = opts ? zend_hash_str_find(opts, "rules", sizeof("rules") - 1) : NULL, *e;
    *n = 0;
    if (!v || Z_TYPE_P(v) == IS_NULL)
        return 0;
    if (Z_TYPE_P(v) != IS_ARRAY || zend_hash_num_elements(Z_ARRVAL_P(v)) > KBJOBS_MAX_RULES) {
        zend_value_error("option \"rules\" must be a list of at most %d rules", KBJOBS_MAX_RULES);
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
                zend_str_has_nul_byte(Z_STR_P(name)) ||
                (op && Z_TYPE_P(op) == IS_STRING && zend_str_has_nul_byte(Z_STR_P(op)))) {
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
        if (kbjobs_known_keys(Z_ARRVAL_P(v), keys, "backoff option") ||
            kbjobs_opt_string(Z_ARRVAL_P(v), "kind", &kind) ||
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

/* The "hold" option: a bool (0 and 1 taken too); false when absent. -1 with a TypeError
 * for anything else, so "yes" is not read as true. */
static int parse_hold(HashTable *opts, int *out)
{
    zval *v = opts ? zend_hash_str_find(opts, "hold", sizeof("hold") - 1) : NULL;
    *out = 0;
    if (!v || Z_TYPE_P(v) == IS_NULL || Z_TYPE_P(v) == IS_FALSE)
        return 0;
    if (Z_TYPE_P(v) == IS_TRUE || (Z_TYPE_P(v) == IS_LONG && (Z_LVAL_P(v) == 0 || Z_LVAL_P(v) == 1))) {
        *out = Z_TYPE_P(v) == IS_TRUE || Z_LVAL_P(v) == 1;
        return 0;
    }
    zend_type_error("option \"hold\" must be a bool");
    return -1;
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

int kbjobs_parse_submit_arg(HashTable *opts, zval *params, kbj_submit *s, zend_string **params_out,
                            kbj_resource *res)
{
    if (opts && (zend_hash_str_exists(opts, "type", 4) || zend_hash_str_exists(opts, "params", 6))) {
        zend_argument_value_error(3, "must not contain \"type\" or \"params\"");
        return -1;
    }
    if (kbjobs_known_keys(opts, kbjobs_submit_keys, "submit option"))
        return -1;
    return kbjobs_parse_submit(opts, params, s, params_out, res);
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
        parse_resources(opts, res, &s->nresources) || kbjobs_opt_string(opts, "backlog", &s->backlog) ||
        parse_hold(opts, &s->hold))
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

/* Fills a job type from registerType()'s options (type_keys); *schema holds the encoded
 * schema (released by the caller). */
int kbjobs_parse_type(HashTable *opts, kbj_type_def *def, kbj_resource *res, kbj_chain_rule *rules,
                      zend_string **schema)
{
    zend_long attempts = 0;

    *schema = NULL;
    if (kbjobs_known_keys(opts, type_keys, "type option") || kbjobs_opt_string(opts, "label", &def->label) ||
        kbjobs_opt_string(opts, "category", &def->category) || kbjobs_opt_string(opts, "queue", &def->queue) ||
        kbjobs_opt_long(opts, "max_attempts", 0, 1000, &attempts) || parse_backoff(opts, &def->backoff) ||
        parse_expiry(opts, &def->on_expiry) || parse_resources(opts, res, &def->nresources) ||
        parse_rules(opts, rules, &def->nrules) || parse_schema(opts, schema))
        return -1;
    def->resources = def->nresources ? res : NULL;
    def->rules = def->nrules ? rules : NULL;
    def->params_schema = *schema ? ZSTR_VAL(*schema) : NULL;
    def->max_attempts = (int)attempts;
    return 0;
}
