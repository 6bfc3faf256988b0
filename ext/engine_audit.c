/*
 * engine_audit.c - KBJobs\Engine's audit log methods: audit (record one operator
 * action), auditLog (list them, newest first, a page at a time) and auditRetention.
 *
 * Every problem with an entry or a filter, its keys, the types of their values or the
 * values themselves, is a ValueError whose message names the key: the plugin passes
 * these arrays on from requests and forms, and one exception class to catch is what it
 * needs. The engine checks the values (sources, outcomes, lengths, the detail's JSON).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"

#include "php_kbjobs.h"

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))

/* The value under `key`, or NULL when it is absent or null. */
static zval *find(HashTable *ht, const char *key)
{
    zval *v = ht ? zend_hash_str_find(ht, key, strlen(key)) : NULL;
    if (v)
        ZVAL_DEREF(v);
    return v && Z_TYPE_P(v) != IS_NULL ? v : NULL;
}

/* A string under `key` (NULL when absent); -1 after a ValueError naming it. `what` is
 * "audit entry" or "audit filter". */
static int get_string(HashTable *ht, const char *what, const char *key, const char **out)
{
    zval *v = find(ht, key);
    *out = NULL;
    if (!v)
        return 0;
    if (Z_TYPE_P(v) != IS_STRING) {
        zend_value_error("%s \"%s\" must be a string, %s given", what, key, zend_zval_type_name(v));
        return -1;
    }
    if (zend_str_has_nul_byte(Z_STR_P(v))) {
        zend_value_error("%s \"%s\" must not contain any null bytes", what, key);
        return -1;
    }
    *out = Z_STRVAL_P(v);
    return 0;
}

/* An integer from `min` to `max` under `key` (`*out` unchanged when absent). */
static int get_long(HashTable *ht, const char *what, const char *key, zend_long min, zend_long max, zend_long *out)
{
    zval *v = find(ht, key);
    if (!v)
        return 0;
    if (Z_TYPE_P(v) != IS_LONG || Z_LVAL_P(v) < min || Z_LVAL_P(v) > max) {
        zend_value_error("%s \"%s\" must be an integer from " ZEND_LONG_FMT " to " ZEND_LONG_FMT, what, key, min, max);
        return -1;
    }
    *out = Z_LVAL_P(v);
    return 0;
}

/* A Unix time (an int or a float, 0 or more) under `key`; 0 when absent. */
static int get_time(HashTable *ht, const char *key, double *out)
{
    zval *v = find(ht, key);
    *out = 0;
    if (!v)
        return 0;
    if ((Z_TYPE_P(v) != IS_LONG && Z_TYPE_P(v) != IS_DOUBLE) || !(zval_get_double(v) >= 0)) {
        zend_value_error("audit filter \"%s\" must be a Unix time (a number of 0 or more)", key);
        return -1;
    }
    *out = zval_get_double(v);
    return 0;
}

/* The detail: absent or null, or an array encoded as a JSON object into *json (the
 * caller releases it). */
static int get_detail(HashTable *ht, zend_string **json)
{
    zval *v = find(ht, "detail");
    *json = NULL;
    if (!v)
        return 0;
    if (Z_TYPE_P(v) != IS_ARRAY) {
        zend_value_error("audit entry \"detail\" must be an array or null, %s given", zend_zval_type_name(v));
        return -1;
    }
    *json = kbjobs_json_object(v, "audit entry \"detail\"");
    return *json ? 0 : -1;
}

/* Refuses keys that are not in `keys` (a typo would otherwise be dropped silently). */
static int known_keys(HashTable *ht, const char *const *keys, const char *what)
{
    zend_string *k;
    ZEND_HASH_FOREACH_STR_KEY(ht, k) {
        const char *const *p = keys;
        if (!k) {
            zend_value_error("%s keys must be strings", what);
            return -1;
        }
        while (*p && strcmp(ZSTR_VAL(k), *p) != 0)
            p++;
        if (!*p) {
            zend_value_error("unknown %s key \"%s\"", what, ZSTR_VAL(k));
            return -1;
        }
    } ZEND_HASH_FOREACH_END();
    return 0;
}

static const char *const entry_keys[] = { "user_id", "user_login", "source", "action", "target", "outcome",
                                          "detail", NULL };

/* An entry array into `e`; its strings point into the array, the detail into *detail. */
static int parse_entry(HashTable *ht, kbj_audit_entry *e, zend_string **detail)
{
    zend_long user_id = 0;
    *detail = NULL;
    if (known_keys(ht, entry_keys, "audit entry") ||
        get_long(ht, "audit entry", "user_id", 0, ZEND_LONG_MAX, &user_id) ||
        get_string(ht, "audit entry", "user_login", &e->user_login) ||
        get_string(ht, "audit entry", "source", &e->source) || get_string(ht, "audit entry", "action", &e->action) ||
        get_string(ht, "audit entry", "target", &e->target) || get_string(ht, "audit entry", "outcome", &e->outcome) ||
        get_detail(ht, detail))
        return -1;
    e->user_id = (unsigned long long)user_id;
    e->detail = *detail ? ZSTR_VAL(*detail) : NULL;
    return 0;
}

PHP_METHOD(KBJobs_Engine, audit)
{
    HashTable *entry;
    kbj_audit_entry e = { 0 };
    zend_string *detail = NULL;
    unsigned long long id = 0;
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ARRAY_HT(entry)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (parse_entry(entry, &e, &detail))
        RETURN_THROWS();
    rc = kbj_audit_record(eng, &e, &id);
    if (detail)
        zend_string_release(detail);
    KBJOBS_CHECK(eng, rc);
    RETURN_LONG((zend_long)id);
}

static const char *const filter_keys[] = { "user_id", "user_login", "action", "target", "source", "outcome",
                                           "after", "before", "limit", "cursor", NULL };

static int parse_filter(HashTable *ht, kbj_audit_filter *f)
{
    zend_long user_id = 0, limit = 50;
    if ((ht && known_keys(ht, filter_keys, "audit filter")) ||
        get_long(ht, "audit filter", "user_id", 0, ZEND_LONG_MAX, &user_id) ||
        get_string(ht, "audit filter", "user_login", &f->user_login) ||
        get_string(ht, "audit filter", "action", &f->action) || get_string(ht, "audit filter", "target", &f->target) ||
        get_string(ht, "audit filter", "source", &f->source) ||
        get_string(ht, "audit filter", "outcome", &f->outcome) || get_time(ht, "after", &f->after) ||
        get_time(ht, "before", &f->before) || get_long(ht, "audit filter", "limit", 1, 1000, &limit) ||
        get_string(ht, "audit filter", "cursor", &f->cursor))
        return -1;
    f->user_id = (unsigned long long)user_id;
    f->limit = (size_t)limit;
    return 0;
}

static void add_entry(zval *list, const kbj_audit_entry *e)
{
    zval row, detail;
    array_init_size(&row, 9);
    add_assoc_long(&row, "id", (zend_long)e->id);
    add_assoc_double(&row, "at", e->at);
    add_assoc_long(&row, "user_id", (zend_long)e->user_id);
    add_assoc_string(&row, "user_login", (char *)e->user_login);
    add_assoc_string(&row, "source", (char *)e->source);
    add_assoc_string(&row, "action", (char *)e->action);
    add_assoc_string(&row, "target", (char *)e->target);
    add_assoc_string(&row, "outcome", (char *)e->outcome);
    kbjobs_json_decode(e->detail, &detail);
    add_assoc_zval(&row, "detail", &detail);
    add_next_index_zval(list, &row);
}

PHP_METHOD(KBJobs_Engine, auditLog)
{
    HashTable *filter = NULL;
    kbj_audit_filter f = { 0 };
    kbj_audit_entry *e = NULL;
    size_t n = 0;
    char next[32];
    zval list;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(filter)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (parse_filter(filter, &f))
        RETURN_THROWS();
    KBJOBS_CHECK(eng, kbj_audit_list(eng, &f, &e, &n, next));
    array_init_size(&list, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        add_entry(&list, &e[i]);
    kbj_audit_free(e, n);
    array_init(return_value);
    add_assoc_zval(return_value, "entries", &list);
    if (next[0])
        add_assoc_string(return_value, "next_cursor", next);
    else
        add_assoc_null(return_value, "next_cursor");
}

PHP_METHOD(KBJobs_Engine, auditRetention)
{
    zend_long days = 90;
    size_t deleted = 0;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(days)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (days < 1 || days > 36500) {
        zend_argument_value_error(1, "must be between 1 and 36500");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_audit_retention(eng, (unsigned)days, &deleted));
    RETURN_LONG((zend_long)deleted);
}
