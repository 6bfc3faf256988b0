/*
 * phases.c - combined jobs: a list of named phases, each a job type with its own params
 * and a weight, run in order as one job of the native type "combined". Progress is the
 * weighted sum of the phases' progress; after each phase a checkpoint records the
 * completed phases and their results, so a resumed job skips them. Chains are
 * validated before they are submitted, against the ordering rules job types declare.
 */
#include "builtins.h"
#include "internal.h"
#include "chain.h"
#include "types.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_PHASES 50

static int type_known(const char *type, void *arg)
{
    return kbj_type_find(arg, type) != NULL;
}

static int add_message(char ***list, size_t *n, const char *text)
{
    char **grown = realloc(*list, (*n + 1) * sizeof **list);
    if (!grown)
        return KBJ_ENOMEM;
    *list = grown;
    if (!(grown[*n] = strdup(text)))
        return KBJ_ENOMEM;
    (*n)++;
    return KBJ_OK;
}

int kbj_validate_chain(kbj_engine *eng, const kbj_phase *phases, size_t n, kbj_chain_report *report)
{
    const char **types = NULL;
    kbj_chain_rule *rules = NULL;
    size_t nrules = 0;
    int total = 0, rc;
    char msg[300];

    if (!eng || !report)
        return KBJ_EINVAL;
    memset(report, 0, sizeof *report);
    if (n > MAX_PHASES)
        n = MAX_PHASES + 1; /* reported below; the rest is not looked at */
    types = calloc(n ? n : 1, sizeof *types);
    rules = kbj_types_rules(eng, &nrules);
    if (!types || !rules) {
        free(types);
        free(rules);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n && i < MAX_PHASES; i++)
        types[i] = phases[i].type && kbj_valid_name(phases[i].type) ? phases[i].type : "(invalid)";
    rc = kbj_chain_validate(types, n > MAX_PHASES ? MAX_PHASES : n, rules, nrules, type_known, eng, report,
                            kbj_store_err(eng->st));
    free(rules);
    free(types);
    if (rc)
        return rc;
    if (n > MAX_PHASES) {
        snprintf(msg, sizeof msg, "a combined job has at most %d phases", MAX_PHASES);
        if (add_message(&report->errors, &report->nerrors, msg))
            goto oom;
    }
    for (size_t i = 0; i < n && i < MAX_PHASES; i++) {
        const kbj_phase *p = &phases[i];
        const kbj_type *t = p->type ? kbj_type_find(eng, p->type) : NULL;
        total += p->weight;
        if (!kbj_valid_name(p->name)) {
            snprintf(msg, sizeof msg, "phase %zu: its name must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'",
                     i + 1);
            if (add_message(&report->errors, &report->nerrors, msg))
                goto oom;
        } else {
            for (size_t j = 0; j < i; j++)
                if (phases[j].name && strcmp(phases[j].name, p->name) == 0) {
                    snprintf(msg, sizeof msg, "phase %zu (%s): the name is used by phase %zu too", i + 1, p->name,
                             j + 1);
                    if (add_message(&report->errors, &report->nerrors, msg))
                        goto oom;
                    break;
                }
        }
        if (p->weight < 1 || p->weight > 100) {
            snprintf(msg, sizeof msg, "phase %zu (%.64s): weight %d is out of range 1..100", i + 1,
                     p->name ? p->name : "?", p->weight);
            if (add_message(&report->errors, &report->nerrors, msg))
                goto oom;
        }
        if (t && strcmp(p->type, "combined") == 0) {
            snprintf(msg, sizeof msg, "phase %zu: a combined job cannot be a phase", i + 1);
            if (add_message(&report->errors, &report->nerrors, msg))
                goto oom;
        } else if (t) {
            char where[96];
            json_t *params = json_loads(p->params ? p->params : "{}", JSON_REJECT_DUPLICATES, NULL);
            snprintf(where, sizeof where, "phase %zu (%.64s): ", i + 1, p->name ? p->name : "?");
            if (!json_is_object(params)) {
                snprintf(msg, sizeof msg, "%sparams must be a JSON object", where);
                if (add_message(&report->errors, &report->nerrors, msg)) {
                    json_decref(params);
                    goto oom;
                }
            } else if (kbj_type_apply_schema(eng, t, params, where) != KBJ_OK) {
                if (add_message(&report->errors, &report->nerrors, kbj_errmsg(eng))) {
                    json_decref(params);
                    goto oom;
                }
            }
            json_decref(params);
        }
    }
    if (n > 0 && total != 100) {
        snprintf(msg, sizeof msg, "the phases' weights sum to %d; they must sum to 100", total);
        if (add_message(&report->errors, &report->nerrors, msg))
            goto oom;
    }
    kbj_store_err(eng->st)->msg[0] = '\0';
    return KBJ_OK;
oom:
    kbj_chain_report_free(report);
    return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
}

int kbj_submit_combined(kbj_engine *eng, const kbj_submit *opts, const kbj_phase *phases, size_t n,
                        char id[KBJ_ID_LEN + 1], kbj_chain_report *report)
{
    kbj_chain_report local;
    kbj_chain_report *r = report ? report : &local;
    kbj_submit s = { 0 };
    json_t *params, *list;
    char *text;
    int rc;

    if (!eng || !id)
        return KBJ_EINVAL;
    if (n && !phases)
        return kbj_efail(eng, KBJ_EINVAL, "no phases given");
    rc = kbj_validate_chain(eng, phases, n, r);
    if (rc)
        return rc;
    if (r->nerrors) {
        rc = kbj_efail(eng, KBJ_EINVAL, "the chain is invalid: %s%s", r->errors[0],
                       r->nerrors > 1 ? " (and more)" : "");
        if (!report)
            kbj_chain_report_free(&local);
        return rc;
    }
    if (!report)
        kbj_chain_report_free(&local);
    list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *pp = json_loads(phases[i].params ? phases[i].params : "{}", 0, NULL);
        const kbj_type *t = kbj_type_find(eng, phases[i].type);
        if (!pp) {
            json_decref(list);
            return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        }
        if (t && kbj_type_apply_schema(eng, t, pp, "") != KBJ_OK) {
            /* validated above; only the defaults are filled in here */
            json_decref(pp);
            json_decref(list);
            return KBJ_EINVAL;
        }
        json_array_append_new(list, json_pack("{s:s,s:s,s:o,s:i}", "name", phases[i].name, "type",
                                              phases[i].type, "params", pp, "weight", phases[i].weight));
    }
    params = json_pack("{s:o}", "phases", list);
    text = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    if (!text)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    if (opts)
        s = *opts;
    s.type = "combined";
    s.params = text;
    rc = kbj_submit_job(eng, &s, id, NULL);
    free(text);
    return rc;
}

/* ---- the "combined" handler ---------------------------------------------------- */

static char *dumps(json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* The report a combined job ends with. */
static json_t *report_of(int success, const char *status, json_t *completed, const char *message,
                         int resumed, size_t skipped)
{
    json_t *results = json_object();
    size_t i;
    json_t *c;
    json_array_foreach(completed, i, c)
        json_object_set(results, json_string_value(json_object_get(c, "name")), json_object_get(c, "result"));
    return json_pack("{s:b,s:s,s:I,s:o,s:s,s:b,s:I}", "success", success, "status", status,
                     "phases_completed", (json_int_t)json_array_size(completed), "phase_results", results,
                     "message", message, "resumed", resumed, "phases_skipped", (json_int_t)skipped);
}

static int finish(kbj_ctx *ctx, json_t *report, int rc)
{
    char *text = dumps(report);
    json_decref(report);
    if (text) {
        kbj_ctx_set_result(ctx, text);
        free(text);
    }
    return rc;
}

/* What a combined job's run carries from phase to phase. */
typedef struct combined_run {
    kbj_ctx *ctx;
    kbj_engine *eng;
    json_t *completed;  /* [{"name", "result"}] of the phases done, this run or before */
    size_t skipped;     /* phases done before this run (a resumed job) */
    double base;        /* percent of the job done before the phase in hand */
} combined_run;

/* The phases an earlier attempt completed, from its checkpoint (a new array if none). */
static json_t *load_completed(kbj_ctx *ctx)
{
    kbj_checkpoint *last = NULL;
    json_t *completed = NULL;
    if (kbj_ctx_last_checkpoint(ctx, &last) == KBJ_OK && last->state) {
        json_t *st = json_loads(last->state, 0, NULL);
        if (json_is_array(json_object_get(st, "completed")))
            completed = json_incref(json_object_get(st, "completed"));
        json_decref(st);
    }
    kbj_checkpoint_free(last);
    return completed ? completed : json_array();
}

/* {"completed": [...]} as text, the state every checkpoint of the job carries. */
static char *state_text(json_t *completed)
{
    json_t *state = json_pack("{s:O}", "completed", completed);
    char *text = dumps(state);
    json_decref(state);
    return text;
}

/* Ends the job with the report of a failed phase. */
static int phase_failed(combined_run *r, size_t i, const char *name, const char *msg, int retryable)
{
    int rc = kbj_ctx_fail(r->ctx, msg, retryable);
    json_t *rep = report_of(0, "none", r->completed, msg, r->skipped > 0, r->skipped);
    json_object_set_new(rep, "failed_phase_index", json_integer((json_int_t)i));
    json_object_set_new(rep, "failed_phase", json_string(name ? name : ""));
    json_object_set_new(rep, "error", json_string(msg));
    return finish(r->ctx, rep, rc);
}

/* A phase completed: its result joins the completed ones, and a checkpoint records them
 * before the next phase starts. */
static int phase_done(combined_run *r, kbj_ctx *child, size_t i, const char *name, double weight)
{
    const char *res = kbj_ctx_result(child);
    json_t *rv = res ? json_loads(res, JSON_DECODE_ANY, NULL) : json_null();
    char *cstate, msg[700];
    int rc;

    json_array_append_new(r->completed, json_pack("{s:s,s:o}", "name", name, "result", rv ? rv : json_null()));
    r->base += weight;
    kbj_ctx_progress(r->ctx, (long long)(r->base * 100.0 + 0.5), 10000, name);
    cstate = state_text(r->completed);
    rc = kbj_ctx_checkpoint(r->ctx, NULL, NULL, cstate, 1);
    free(cstate);
    if (rc < 0) {
        snprintf(msg, sizeof msg, "phase %zu (%s): cannot save the checkpoint: %s", i + 1, name, kbj_errmsg(r->eng));
        return kbj_ctx_fail(r->ctx, msg, 1);
    }
    return KBJ_OK;
}

/* Runs phase i with a child context. KBJ_OK to go on to the next phase; otherwise the
 * job's outcome (its report set). */
static int run_phase(combined_run *r, json_t *p, size_t i)
{
    const char *name = json_string_value(json_object_get(p, "name"));
    const char *type = json_string_value(json_object_get(p, "type"));
    double weight = (double)json_integer_value(json_object_get(p, "weight"));
    const kbj_type *t = type ? kbj_type_find(r->eng, type) : NULL;
    char *pparams, *cstate, msg[700];
    kbj_ctx *child;
    int rc, retryable = 1;

    if (!t || !t->handler) {
        snprintf(msg, sizeof msg, "phase %zu (%s) failed: no handler for job type %s in this runner", i + 1,
                 name ? name : "?", type ? type : "?");
        return phase_failed(r, i, name, msg, 0);
    }
    pparams = dumps(json_object_get(p, "params"));
    cstate = state_text(r->completed);
    child = kbj_ctx_child(r->ctx, type, pparams, r->base, weight, (int)i, name, cstate);
    free(cstate);
    if (!child) {
        free(pparams);
        return kbj_ctx_fail(r->ctx, "out of memory", 1);
    }
    kbj_ctx_progress(child, 0, 1, NULL);
    rc = t->handler(child, t->udata);
    if (rc == KBJ_OK) {
        rc = phase_done(r, child, i, name, weight);
    } else if (rc == KBJ_ESTOPPED) {
        int cancelled = kbj_ctx_cancelled(r->ctx);
        snprintf(msg, sizeof msg, "%s during phase %zu (%s)", cancelled ? "cancelled" : "stopped", i + 1, name);
        rc = finish(r->ctx, report_of(0, cancelled ? "cancelled" : "none", r->completed, msg, r->skipped > 0,
                                      r->skipped), KBJ_ESTOPPED);
    } else {
        const char *why = kbj_ctx_fail_message(child, &retryable);
        snprintf(msg, sizeof msg, "phase %zu (%s) failed: %s", i + 1, name,
                 why ? why : rc == KBJ_EJOBFAILED ? "no message" : kbj_strerror(rc));
        rc = phase_failed(r, i, name, msg, rc == KBJ_EJOBFAILED ? retryable : 1);
    }
    kbj_ctx_child_free(child);
    free(pparams);
    return rc;
}

static int combined(kbj_ctx *ctx, void *udata)
{
    json_t *params = json_loads(kbj_ctx_params(ctx), 0, NULL);
    json_t *phases = json_object_get(params, "phases");
    size_t n = json_array_size(phases);
    combined_run r = { ctx, kbj_ctx_engine(ctx), NULL, 0, 0 };
    int rc = KBJ_OK;
    char msg[160];
    (void)udata;

    if (!json_is_array(phases) || n == 0) {
        json_decref(params);
        return kbj_ctx_fail(ctx, "combined: params.phases must be a non-empty list", 0);
    }
    r.completed = load_completed(ctx);
    r.skipped = json_array_size(r.completed);
    for (size_t i = 0; i < r.skipped && i < n; i++)
        r.base += (double)json_integer_value(json_object_get(json_array_get(phases, i), "weight"));
    for (size_t i = r.skipped; i < n && rc == KBJ_OK; i++)
        rc = run_phase(&r, json_array_get(phases, i), i);
    if (rc == KBJ_OK) {
        snprintf(msg, sizeof msg, "%zu phases completed%s", n, r.skipped ? " (resumed)" : "");
        rc = finish(ctx, report_of(1, "success", r.completed, msg, r.skipped > 0, r.skipped), KBJ_OK);
    }
    json_decref(r.completed);
    json_decref(params);
    return rc;
}

int kbj_register_combined_type(kbj_engine *eng)
{
    kbj_type_def d = { 0 };
    d.name = "combined";
    d.label = "Combined job";
    d.category = "other";
    d.max_attempts = 3;
    d.handler = combined;
    return kbj_register_type(eng, &d);
}
