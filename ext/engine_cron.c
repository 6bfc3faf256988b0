/*
 * engine_cron.c - KBJobs\Engine's WP-Cron event methods: cronSchedule, cronUnschedule,
 * cronClear (what core's cron API does), cronEvents, cronEvent, cronCounts,
 * cronScheduleUses (reading), cronUpdate, cronDelete, cronRunNow (an operator's
 * changes). Runs, their history and the run() options are elsewhere.
 *
 * The engine knows nothing of PHP: the plugin hands an event's arguments over as three
 * values it made itself (args_key, core's md5 of the serialized arguments; args_json,
 * for people; args_php, its own serialization, opaque bytes that may hold NULs and come
 * back unchanged). Keys, types and values are checked with errors that name the key:
 * types and unknown keys here, ranges and formats by the engine (ValueError too).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <time.h>

#include "php.h"
#include "zend_exceptions.h"

#include "php_kbjobs.h"
#include "kbj_cron.h"

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))

/* A required key's presence: -1 after a ValueError naming it. */
static int required(HashTable *ht, const char *what, const char *key)
{
    zval *v = zend_hash_str_find(ht, key, strlen(key));
    if (v && Z_TYPE_P(v) != IS_NULL)
        return 0;
    zend_value_error("%s \"%s\" is required", what, key);
    return -1;
}

/* args_php: a string of any bytes, NULs included (kbjobs_opt_string refuses those, as
 * every other string here must). */
static int get_bytes(HashTable *ht, const char *key, const char **out, size_t *len)
{
    zval *v = zend_hash_str_find(ht, key, strlen(key));
    *out = NULL;
    *len = 0;
    if (v)
        ZVAL_DEREF(v);
    if (!v || Z_TYPE_P(v) == IS_NULL)
        return 0;
    if (Z_TYPE_P(v) != IS_STRING) {
        zend_type_error("option \"%s\" must be a string, %s given", key, zend_zval_type_name(v));
        return -1;
    }
    *out = Z_STRVAL_P(v);
    *len = Z_STRLEN_P(v);
    return 0;
}

/* A string argument without NUL bytes (NULL stays NULL), or -1 after a ValueError. */
static int arg_no_nul(uint32_t n, zend_string *s)
{
    if (!s || !zend_str_has_nul_byte(s))
        return 0;
    zend_argument_value_error(n, "must not contain any null bytes");
    return -1;
}

static const char *const event_keys[] = { "hook", "timestamp", "args_key", "args_json", "args_php", "schedule",
    "interval", "paused", "parallel", "max_attempts", "retry_seconds", NULL };

/* An event array into `ev`; its strings point into the array. */
static int parse_event(HashTable *ht, kbj_cron_event *ev)
{
    zend_long ts = 0, interval = 0, paused = 0, parallel = 0, max_attempts = 0, retry = 0;
    if (kbjobs_known_keys(ht, event_keys, "cron event key") || required(ht, "cron event", "hook") ||
        required(ht, "cron event", "timestamp") || required(ht, "cron event", "args_key") ||
        kbjobs_opt_string(ht, "hook", &ev->hook) || kbjobs_opt_long(ht, "timestamp", 1, ZEND_LONG_MAX, &ts) ||
        kbjobs_opt_string(ht, "args_key", &ev->args_key) || kbjobs_opt_string(ht, "args_json", &ev->args_json) ||
        get_bytes(ht, "args_php", &ev->args_php, &ev->args_php_len) ||
        kbjobs_opt_string(ht, "schedule", &ev->schedule) ||
        kbjobs_opt_long(ht, "interval", 0, ZEND_LONG_MAX, &interval) ||
        kbjobs_opt_long(ht, "paused", 0, 1, &paused) || kbjobs_opt_long(ht, "parallel", 0, 1, &parallel) ||
        kbjobs_opt_long(ht, "max_attempts", 0, 100, &max_attempts) ||
        kbjobs_opt_long(ht, "retry_seconds", 0, 86400, &retry))
        return -1;
    ev->next_run = (long long)ts;
    ev->interval = (long long)interval;
    ev->paused = (int)paused;
    ev->parallel = (int)parallel;
    ev->max_attempts = (int)max_attempts;
    ev->retry_seconds = (unsigned)retry;
    return 0;
}

PHP_METHOD(KBJobs_Engine, cronSchedule)
{
    HashTable *event;
    zend_string *mode_s = NULL;
    zend_long now = 0;
    kbj_cron_event ev = { 0 };
    kbj_cron_mode mode = KBJ_CRON_SINGLE;
    unsigned long long id = 0;
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 3)
        Z_PARAM_ARRAY_HT(event)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR(mode_s)
        Z_PARAM_LONG(now)
    ZEND_PARSE_PARAMETERS_END();
    if (mode_s && zend_string_equals_literal(mode_s, "recurring"))
        mode = KBJ_CRON_RECURRING;
    else if (mode_s && zend_string_equals_literal(mode_s, "exact"))
        mode = KBJ_CRON_EXACT;
    else if (mode_s && !zend_string_equals_literal(mode_s, "single")) {
        zend_argument_value_error(2, "must be \"single\", \"recurring\" or \"exact\"");
        RETURN_THROWS();
    }
    if (now < 0) {
        zend_argument_value_error(3, "must be a Unix time, or 0 for the current time");
        RETURN_THROWS();
    }
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (parse_event(event, &ev))
        RETURN_THROWS();
    rc = kbj_cron_schedule(eng, &ev, mode, now ? (long long)now : (long long)time(NULL), &id);
    /* core's duplicate window is an answer, not a failure: the plugin turns it into
     * false or the WP_Error "duplicate_event" */
    if (rc == KBJ_ECONFLICT && id) {
        array_init_size(return_value, 2);
        add_assoc_long(return_value, "id", (zend_long)id);
        add_assoc_bool(return_value, "duplicate", 1);
        return;
    }
    KBJOBS_CHECK(eng, rc);
    array_init_size(return_value, 2);
    add_assoc_long(return_value, "id", (zend_long)id);
    add_assoc_bool(return_value, "duplicate", 0);
}

PHP_METHOD(KBJobs_Engine, cronUnschedule)
{
    zend_string *hook, *key;
    zend_long ts;
    unsigned long long n = 0;

    ZEND_PARSE_PARAMETERS_START(3, 3)
        Z_PARAM_STR(hook)
        Z_PARAM_STR(key)
        Z_PARAM_LONG(ts)
    ZEND_PARSE_PARAMETERS_END();
    if (arg_no_nul(1, hook) || arg_no_nul(2, key))
        RETURN_THROWS();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_cron_unschedule(eng, ZSTR_VAL(hook), ZSTR_VAL(key), (long long)ts, &n));
    RETURN_LONG((zend_long)n);
}

PHP_METHOD(KBJobs_Engine, cronClear)
{
    zend_string *hook, *key = NULL;
    unsigned long long n = 0;

    ZEND_PARSE_PARAMETERS_START(1, 2)
        Z_PARAM_STR(hook)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR_OR_NULL(key)
    ZEND_PARSE_PARAMETERS_END();
    if (arg_no_nul(1, hook) || arg_no_nul(2, key))
        RETURN_THROWS();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_cron_clear(eng, ZSTR_VAL(hook), key ? ZSTR_VAL(key) : NULL, &n));
    RETURN_LONG((zend_long)n);
}

/* ---- reading -------------------------------------------------------------------- */

static void add_opt_long(zval *arr, const char *key, long long v)
{
    if (v)
        add_assoc_long(arr, key, (zend_long)v);
    else
        add_assoc_null(arr, key);
}

static void add_opt_string(zval *arr, const char *key, const char *s)
{
    if (s && s[0])
        add_assoc_string(arr, key, (char *)s);
    else
        add_assoc_null(arr, key);
}

static void event_to_array(const kbj_cron_info *e, zval *out)
{
    array_init_size(out, 25);
    add_assoc_long(out, "id", (zend_long)e->id);
    add_assoc_string(out, "hook", e->hook);
    add_assoc_string(out, "args_key", (char *)e->args_key);
    add_assoc_string(out, "args_json", e->args_json);
    add_assoc_stringl(out, "args_php", e->args_php ? e->args_php : "", e->args_php_len);
    add_opt_string(out, "schedule", e->schedule);
    add_assoc_long(out, "interval", (zend_long)e->interval);
    add_assoc_long(out, "timestamp", (zend_long)e->next_run);
    add_opt_long(out, "due_at", e->due_at);
    add_assoc_bool(out, "paused", e->paused);
    add_assoc_bool(out, "parallel", e->parallel);
    add_assoc_long(out, "max_attempts", e->max_attempts);
    add_assoc_long(out, "retry_seconds", (zend_long)e->retry_seconds);
    add_assoc_bool(out, "visible", e->visible);
    add_assoc_bool(out, "running", e->running);
    add_opt_long(out, "run_of", e->run_of);
    add_assoc_long(out, "attempt", e->attempt);
    add_opt_long(out, "run_id", (long long)e->run_id);
    add_opt_string(out, "runner", e->runner);
    kbjobs_add_time(out, "last_run_at", e->last_run_at);
    add_opt_string(out, "last_outcome", e->last_outcome);
    add_assoc_long(out, "fail_streak", e->fail_streak);
    add_assoc_double(out, "created_at", e->created_at);
    add_assoc_double(out, "updated_at", e->updated_at);
}

static const char *const filter_keys[] = { "id", "hook", "hook_prefix", "args_key", "visible_only", "due_only",
    "state", "after", "after_time", "backward", "order", "limit", NULL };

static const char *const states[] = { "due", "paused", "running", "failing", NULL };

static int parse_filter(HashTable *ht, kbj_cron_filter *f)
{
    zend_long id = 0, visible = 0, due = 0, after = 0, after_time = 0, backward = 0, limit = 0;
    const char *order = NULL, *state = NULL;
    if (kbjobs_known_keys(ht, filter_keys, "cron filter key") || kbjobs_opt_long(ht, "id", 0, ZEND_LONG_MAX, &id) ||
        kbjobs_opt_string(ht, "hook", &f->hook) || kbjobs_opt_string(ht, "hook_prefix", &f->hook_prefix) ||
        kbjobs_opt_string(ht, "args_key", &f->args_key) || kbjobs_opt_long(ht, "visible_only", 0, 1, &visible) ||
        kbjobs_opt_long(ht, "due_only", 0, 1, &due) || kbjobs_opt_string(ht, "state", &state) ||
        kbjobs_opt_long(ht, "after", 0, ZEND_LONG_MAX, &after) ||
        kbjobs_opt_long(ht, "after_time", 0, ZEND_LONG_MAX, &after_time) ||
        kbjobs_opt_long(ht, "backward", 0, 1, &backward) || kbjobs_opt_string(ht, "order", &order) ||
        kbjobs_opt_long(ht, "limit", 0, ZEND_LONG_MAX, &limit))
        return -1;
    if (order && strcmp(order, "id") != 0 && strcmp(order, "next_run") != 0) {
        zend_value_error("option \"order\" must be \"next_run\" or \"id\"");
        return -1;
    }
    f->state = KBJ_CRON_ANY;
    if (state && state[0]) {
        int i = 0;
        while (states[i] && strcmp(states[i], state) != 0)
            i++;
        if (!states[i]) {
            zend_value_error("option \"state\" must be \"due\", \"paused\", \"running\" or \"failing\"");
            return -1;
        }
        f->state = (kbj_cron_state)(KBJ_CRON_DUE + i);
    }
    if (backward && !after) {
        zend_value_error("option \"backward\" needs \"after\" (the first row of the page after)");
        return -1;
    }
    f->id = (unsigned long long)id;
    f->visible_only = (int)visible;
    f->due_only = (int)due;
    f->after_id = (unsigned long long)after;
    f->after_time = (long long)after_time;
    f->backward = (int)backward;
    f->order_by_id = order && strcmp(order, "id") == 0;
    f->limit = (size_t)limit;
    return 0;
}

PHP_METHOD(KBJobs_Engine, cronEvents)
{
    HashTable *filter = NULL;
    kbj_cron_filter f = { 0 };
    kbj_cron_info *v = NULL;
    size_t n = 0;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(filter)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (parse_filter(filter, &f))
        RETURN_THROWS();
    KBJOBS_CHECK(eng, kbj_cron_list(eng, &f, &v, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        event_to_array(&v[i], &row);
        add_next_index_zval(return_value, &row);
    }
    kbj_cron_info_free(v, n);
}

PHP_METHOD(KBJobs_Engine, cronEvent)
{
    zend_long id;
    kbj_cron_info e;
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_LONG(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (id <= 0)
        RETURN_NULL();
    rc = kbj_cron_get(eng, (unsigned long long)id, &e);
    if (rc == KBJ_ENOTFOUND)
        RETURN_NULL();
    KBJOBS_CHECK(eng, rc);
    event_to_array(&e, return_value);
    kbj_cron_info_clear(&e);
}

PHP_METHOD(KBJobs_Engine, cronCounts)
{
    kbj_cron_counts c;
    zval est;

    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_cron_count(eng, &c));
    array_init_size(return_value, 6);
    add_assoc_long(return_value, "events", (zend_long)c.events);
    add_assoc_long(return_value, "paused", (zend_long)c.paused);
    add_assoc_long(return_value, "due", (zend_long)c.due);
    add_assoc_long(return_value, "running", (zend_long)c.running);
    add_assoc_long(return_value, "failing", (zend_long)c.failing);
    /* which counts are the optimizer's estimates (above KBJ_CRON_COUNT_CAP) */
    array_init_size(&est, 5);
    add_assoc_bool(&est, "events", c.events_estimated);
    add_assoc_bool(&est, "paused", c.paused_estimated);
    add_assoc_bool(&est, "due", c.due_estimated);
    add_assoc_bool(&est, "running", c.running_estimated);
    add_assoc_bool(&est, "failing", c.failing_estimated);
    add_assoc_zval(return_value, "estimated", &est);
}

PHP_METHOD(KBJobs_Engine, cronScheduleUses)
{
    kbj_cron_schedule_use *u = NULL;
    size_t n = 0;
    int more = 0, rc;

    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    rc = kbj_cron_schedule_uses(eng, &u, &n, &more);
    KBJOBS_CHECK(eng, rc);  /* on an error u is NULL */
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init_size(&row, 3);
        add_assoc_string(&row, "schedule", u[i].name);
        add_assoc_long(&row, "events", (zend_long)u[i].events);
        add_assoc_bool(&row, "estimated", u[i].estimated);
        add_next_index_zval(return_value, &row);
    }
    free(u);
}

/* ---- operator changes ----------------------------------------------------------- */

static const char *const change_keys[] = { "timestamp", "schedule", "interval", "paused", NULL };

/* A change array into `c`. "schedule" present, even null, changes the schedule (null:
 * a single event); "interval" goes with a schedule only. */
static int parse_change(HashTable *ht, kbj_cron_change *c)
{
    zend_long ts = 0, interval = 0, paused = 0;
    if (kbjobs_known_keys(ht, change_keys, "cron change key") ||
        kbjobs_opt_long(ht, "timestamp", 1, ZEND_LONG_MAX, &ts) || kbjobs_opt_string(ht, "schedule", &c->schedule) ||
        kbjobs_opt_long(ht, "interval", 0, ZEND_LONG_MAX, &interval) || kbjobs_opt_long(ht, "paused", 0, 1, &paused))
        return -1;
    c->set_next_run = zend_hash_str_exists(ht, "timestamp", sizeof("timestamp") - 1) && ts != 0;
    c->next_run = (long long)ts;
    c->set_schedule = zend_hash_str_exists(ht, "schedule", sizeof("schedule") - 1);
    c->interval = (long long)interval;
    if (!c->set_schedule && zend_hash_str_exists(ht, "interval", sizeof("interval") - 1)) {
        zend_value_error("option \"interval\" goes with \"schedule\"");
        return -1;
    }
    c->set_paused = zend_hash_str_exists(ht, "paused", sizeof("paused") - 1) &&
                    Z_TYPE_P(zend_hash_str_find(ht, "paused", sizeof("paused") - 1)) != IS_NULL;
    c->paused = (int)paused;
    return 0;
}

PHP_METHOD(KBJobs_Engine, cronUpdate)
{
    zend_long id;
    HashTable *changes;
    kbj_cron_change c = { 0 };

    ZEND_PARSE_PARAMETERS_START(2, 2)
        Z_PARAM_LONG(id)
        Z_PARAM_ARRAY_HT(changes)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (parse_change(changes, &c))
        RETURN_THROWS();
    KBJOBS_CHECK(eng, kbj_cron_update(eng, id > 0 ? (unsigned long long)id : 0, &c));
}

PHP_METHOD(KBJobs_Engine, cronDelete)
{
    zend_long id;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_LONG(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_cron_delete(eng, id > 0 ? (unsigned long long)id : 0));
}

PHP_METHOD(KBJobs_Engine, cronRunNow)
{
    zend_long id;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_LONG(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_cron_run_now(eng, id > 0 ? (unsigned long long)id : 0));
}
