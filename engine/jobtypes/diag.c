/*
 * diag.c - the native diagnostic job types that tests, benchmarks and operators use to
 * check a deployment end to end:
 *
 *   diag.echo          completes with its params as the result
 *   diag.sleep         {"seconds": N}: sleeps, reporting progress every second, and
 *                      stops early when cancelled or asked to stop
 *   diag.fail          {"message": "...", "retryable": true}: fails with that message
 *   diag.crud          creates, reads, updates and deletes a row of a scratch table and
 *                      returns the receipt {"lifecycle":["created","verified","updated","deleted"]}
 *   diag.crud_latency  {"hold_ms": N}: holds a transaction open that long before writing
 */
#include "builtins.h"
#include "internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static json_t *params_of(kbj_ctx *ctx)
{
    json_t *p = json_loads(kbj_ctx_params(ctx), 0, NULL);
    return p ? p : json_object();
}

static int set_result(kbj_ctx *ctx, json_t *r)
{
    char *text = json_dumps(r, JSON_COMPACT);
    int rc;
    json_decref(r);
    if (!text)
        return kbj_ctx_fail(ctx, "out of memory", 1);
    rc = kbj_ctx_set_result(ctx, text);
    free(text);
    return rc;
}

static int diag_echo(kbj_ctx *ctx, void *udata)
{
    (void)udata;
    return kbj_ctx_set_result(ctx, kbj_ctx_params(ctx));
}

static int diag_sleep(kbj_ctx *ctx, void *udata)
{
    json_t *p = params_of(ctx);
    json_t *s = json_object_get(p, "seconds");
    int bad = s && !json_is_number(s);
    double seconds = s ? json_number_value(s) : 1;
    long long whole;
    (void)udata;
    json_decref(p);
    if (bad)
        return kbj_ctx_fail(ctx, "diag.sleep: seconds must be a number", 0);
    if (seconds < 0 || seconds > 86400)
        return kbj_ctx_fail(ctx, "diag.sleep: seconds must be between 0 and 86400", 0);
    whole = (long long)seconds;
    for (long long i = 0; i < whole; i++) {
        kbj_ctx_progress(ctx, i, whole, "sleeping");
        if (kbj_ctx_sleep(ctx, 1000))
            return KBJ_ESTOPPED;
    }
    if (seconds > (double)whole && kbj_ctx_sleep(ctx, (unsigned)((seconds - (double)whole) * 1000)))
        return KBJ_ESTOPPED;
    kbj_ctx_progress(ctx, whole, whole, "done");
    return set_result(ctx, json_pack("{s:f}", "slept", seconds));
}

static int diag_fail(kbj_ctx *ctx, void *udata)
{
    json_t *p = params_of(ctx);
    const char *msg = json_string_value(json_object_get(p, "message"));
    json_t *r = json_object_get(p, "retryable");
    int retryable = r ? json_is_true(r) : 1;
    int rc;
    (void)udata;
    rc = kbj_ctx_fail(ctx, msg ? msg : "diag.fail was asked to fail", retryable);
    json_decref(p);
    return rc;
}

typedef struct crud_work {
    const char *id;
    json_t *steps;
    long long row;
    unsigned hold_ms;
} crud_work;

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int crud_tx(kbj_store *st, void *arg)
{
    crud_work *w = arg;
    kbj_rows *rows = NULL;
    unsigned long long n = 0;
    int rc;

    json_array_clear(w->steps);
    rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_diag (job_id, value, created_at) VALUES (?, 'created', NOW(6))",
                        (kbj_val[]){ KBJ_VS(w->id) }, 1, NULL);
    if (rc)
        return rc;
    w->row = (long long)kbj_store_insert_id(st);
    json_array_append_new(w->steps, json_string("created"));
    if (w->hold_ms)
        sleep_ms(w->hold_ms); /* hold the transaction (and its row lock) open */
    rc = kbj_store_query(st, "SELECT value FROM {p}kbjobs_diag WHERE id = ?",
                         (kbj_val[]){ KBJ_VI(w->row) }, 1, &rows);
    if (rc)
        return rc;
    n = kbj_rows_count(rows) == 1 && strcmp(kbj_rows_str(rows, 0, 0), "created") == 0;
    kbj_rows_free(rows);
    if (!n)
        return KBJ_EDB;
    json_array_append_new(w->steps, json_string("verified"));
    rc = kbj_store_exec(st, "UPDATE {p}kbjobs_diag SET value = 'updated' WHERE id = ?",
                        (kbj_val[]){ KBJ_VI(w->row) }, 1, &n);
    if (rc || n != 1)
        return rc ? rc : KBJ_EDB;
    json_array_append_new(w->steps, json_string("updated"));
    rc = kbj_store_exec(st, "DELETE FROM {p}kbjobs_diag WHERE id = ?", (kbj_val[]){ KBJ_VI(w->row) }, 1, &n);
    if (rc || n != 1)
        return rc ? rc : KBJ_EDB;
    json_array_append_new(w->steps, json_string("deleted"));
    return KBJ_OK;
}

static int crud(kbj_ctx *ctx, unsigned hold_ms)
{
    kbj_engine *eng = kbj_ctx_engine(ctx);
    crud_work w = { kbj_ctx_lease(ctx)->id, json_array(), 0, hold_ms };
    int rc = kbj_store_tx(eng->st, crud_tx, &w);
    if (rc) {
        char msg[300];
        json_decref(w.steps);
        snprintf(msg, sizeof msg, "diag.crud: %s", kbj_errmsg(eng)[0] ? kbj_errmsg(eng) : kbj_strerror(rc));
        return kbj_ctx_fail(ctx, msg, 1);
    }
    return set_result(ctx, hold_ms ? json_pack("{s:o,s:i}", "lifecycle", w.steps, "held_ms", (json_int_t)hold_ms)
                                   : json_pack("{s:o}", "lifecycle", w.steps));
}

static int diag_crud(kbj_ctx *ctx, void *udata)
{
    (void)udata;
    return crud(ctx, 0);
}

static int diag_crud_latency(kbj_ctx *ctx, void *udata)
{
    json_t *p = params_of(ctx);
    json_t *h = json_object_get(p, "hold_ms");
    int bad = h && !json_is_number(h);
    long long hold = h ? (long long)json_number_value(h) : 100;
    (void)udata;
    json_decref(p);
    if (bad || hold < 0 || hold > 60000)
        return kbj_ctx_fail(ctx, "diag.crud_latency: hold_ms must be a number from 0 to 60000", 0);
    return crud(ctx, hold ? (unsigned)hold : 1);
}

/*
 * Their params' schemas: what the handlers read, with the handlers' own defaults and
 * ranges, so a bad value is refused at submit (or in a chain's validation, or a
 * manifest's dry run) rather than when a runner gets to it, and a form can be drawn from
 * them. Other properties stay allowed: diag.echo returns whatever it was given, and
 * manifests may carry notes of their own.
 */
#define ECHO_SCHEMA                                                                            \
    "{\"type\": \"object\", \"properties\": {"                                                \
    "\"message\": {\"type\": \"string\","                                          \
    "\"description\": \"Returned as the result, with any other params.\"}}}"
#define SLEEP_SCHEMA                                                                           \
    "{\"type\": \"object\", \"properties\": {"                                                \
    "\"seconds\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 86400, \"default\": 1,"     \
    "\"description\": \"How long to sleep; a cancel stops it at the next second.\"}}}"
#define FAIL_SCHEMA                                                                            \
    "{\"type\": \"object\", \"properties\": {"                                                \
    "\"message\": {\"type\": \"string\", \"maxLength\": 1000}," \
    "\"retryable\": {\"type\": \"boolean\"}}}"
#define CRUD_LATENCY_SCHEMA                                                                    \
    "{\"type\": \"object\", \"properties\": {"                                                \
    "\"hold_ms\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 60000, \"default\": 100," \
    "\"description\": \"How long the transaction stays open before the write.\"}}}"

int kbj_register_diag_types(kbj_engine *eng)
{
    static const struct {
        const char *name, *label;
        kbj_handler fn;
        int max_attempts;
        const char *schema;
    } diag[] = {
        { "diag.echo", "Echo params", diag_echo, 1, ECHO_SCHEMA },
        { "diag.sleep", "Sleep", diag_sleep, 1, SLEEP_SCHEMA },
        { "diag.fail", "Fail on purpose", diag_fail, 0, FAIL_SCHEMA },
        { "diag.crud", "Database round trip", diag_crud, 3, NULL },
        { "diag.crud_latency", "Database round trip holding a transaction", diag_crud_latency, 3,
          CRUD_LATENCY_SCHEMA },
    };
    for (size_t i = 0; i < sizeof diag / sizeof diag[0]; i++) {
        kbj_type_def d = { 0 };
        int rc;
        d.name = diag[i].name;
        d.label = diag[i].label;
        d.category = "diagnostics";
        d.max_attempts = diag[i].max_attempts;
        d.params_schema = diag[i].schema;
        d.handler = diag[i].fn;
        if ((rc = kbj_register_type(eng, &d)))
            return rc;
    }
    return KBJ_OK;
}
