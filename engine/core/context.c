/*
 * context.c - kbj_ctx, what a job handler works with: its job's params, progress,
 * title, log, metrics, checkpoints, result or failure, and the state of its lease as the
 * runner's heartbeat sees it (kbj_lease_watch). Job types depend on this module, not on
 * the run loop (runner.c), which makes a context per job it dispatches.
 */
#include "context.h"
#include "internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the lease as the heartbeat sees it ------------------------------------------- */

double kbj_watch_remaining(kbj_lease_watch *w)
{
    double d;
    pthread_mutex_lock(&w->mu);
    d = w->deadline;
    pthread_mutex_unlock(&w->mu);
    return d - kbj_boottime();
}

void kbj_watch_claimed(kbj_lease_watch *w, double t0, unsigned lease_seconds)
{
    pthread_mutex_lock(&w->mu);
    w->deadline = t0 + lease_seconds;
    pthread_mutex_unlock(&w->mu);
}

void kbj_watch_renewed(kbj_lease_watch *w, double t0, double t1, unsigned lease_seconds)
{
    /* A renewal that began at t0 moved every lease still held when it ran to at least
     * t0 + lease. Leases whose local deadline had passed by the time it returned (t1)
     * may have expired first: their deadline stays. */
    pthread_mutex_lock(&w->mu);
    if (w->deadline >= t1 && t0 + lease_seconds > w->deadline)
        w->deadline = t0 + lease_seconds;
    pthread_mutex_unlock(&w->mu);
}

/* ---- the context ------------------------------------------------------------------ */

const kbj_lease *kbj_ctx_lease(const kbj_ctx *ctx)
{
    return ctx ? ctx->lease : NULL;
}

const char *kbj_ctx_params(const kbj_ctx *ctx)
{
    return ctx && ctx->lease && ctx->lease->params ? ctx->lease->params : "{}";
}

kbj_engine *kbj_ctx_engine(const kbj_ctx *ctx)
{
    return ctx ? ctx->eng : NULL;
}

static int lost_now(kbj_ctx *ctx, int rc)
{
    if (rc == KBJ_ELEASE && ctx->watch)
        ctx->watch->lost = 1;
    return rc;
}

double kbj_ctx_lease_remaining(const kbj_ctx *ctx)
{
    double left;
    if (!ctx)
        return 0;
    if (!ctx->watch)
        return ctx->eng->cfg.lease_seconds;
    if (ctx->watch->lost)
        return 0;
    left = kbj_watch_remaining(ctx->watch);
    return left > 0 ? left : 0;
}

int kbj_ctx_disconnected(kbj_ctx *ctx, const char *why)
{
    if (!ctx)
        return KBJ_EINVAL;
    free(ctx->fail_msg);
    ctx->fail_msg = strdup(why && *why ? why : "a database connection was lost");
    return kbj_efail(ctx->eng, KBJ_ECONNECT, "%s", why && *why ? why : "a database connection was lost");
}

int kbj_ctx_lease_lost(kbj_ctx *ctx, const char *why)
{
    if (!ctx)
        return KBJ_EINVAL;
    if (ctx->watch)
        ctx->watch->lost = 1;
    return kbj_efail(ctx->eng, KBJ_ELEASE, "the lease on job %s was lost%s%s", ctx->lease->id,
                     why && *why ? ": " : "", why ? why : "");
}

int kbj_ctx_lease_held(kbj_ctx *ctx)
{
    if (!ctx)
        return KBJ_EINVAL;
    if (ctx->watch && ctx->watch->lost)
        return kbj_efail(ctx->eng, KBJ_ELEASE, "the lease on job %s was lost", ctx->lease->id);
    if (ctx->watch && kbj_watch_remaining(ctx->watch) <= 0)
        return kbj_ctx_lease_lost(ctx, "it ran out while this runner was not renewing it (paused or stalled)");
    return KBJ_OK;
}

int kbj_ctx_fence_sql(kbj_ctx *ctx, char *buf, size_t cap)
{
    const kbj_lease *l;
    int n;
    if (!ctx || !buf || cap == 0)
        return KBJ_EINVAL;
    l = ctx->lease;
    /* both values are integers the engine made: nothing here comes from outside */
    n = snprintf(buf, cap, "SELECT id FROM `%skbjobs_job_state` WHERE id = %llu AND lease_token = %lld"
                 " AND status = 'running' AND lease_expires > NOW(6) FOR UPDATE",
                 kbj_store_prefix(ctx->eng->st), l->pk, l->token);
    if (n < 0 || (size_t)n >= cap)
        return kbj_efail(ctx->eng, KBJ_EINVAL, "the fence statement does not fit");
    return KBJ_OK;
}

int kbj_ctx_flush(kbj_ctx *ctx)
{
    int rc;
    if (!ctx->progress_pending)
        return KBJ_OK;
    if ((rc = kbj_ctx_lease_held(ctx)))
        return rc;
    ctx->progress_pending = 0;
    ctx->progress_written = kbj_monotonic();
    rc = kbj_progress(ctx->eng, ctx->lease, ctx->done, ctx->total, ctx->phase[0] ? ctx->phase : NULL);
    return lost_now(ctx, rc);
}

int kbj_ctx_progress(kbj_ctx *ctx, long long done, long long total, const char *phase)
{
    int phase_changed, reached;
    if (!ctx)
        return KBJ_EINVAL;
    if (ctx->parent) {
        /* a phase's progress is its weighted share of the combined job's: 0..10000 */
        double frac = total > 0 ? (double)(done > total ? total : done) / (double)total : 0;
        if (done < 0 || total < 0)
            return kbj_efail(ctx->eng, KBJ_EINVAL, "progress must not be negative");
        ctx->done = done;
        ctx->total = total;
        return kbj_ctx_progress(ctx->parent, (long long)((ctx->base + ctx->weight * frac) * 100.0 + 0.5),
                                10000, ctx->phase_name);
    }
    if (done < 0 || total < 0)
        return kbj_efail(ctx->eng, KBJ_EINVAL, "progress must not be negative");
    if (phase && strlen(phase) > KBJ_NAME_MAX)
        return kbj_efail(ctx->eng, KBJ_EINVAL, "phase names are at most %d bytes", KBJ_NAME_MAX);
    phase_changed = phase && strcmp(phase, ctx->phase) != 0;
    /* Reaching the total is written at once, but only when it is reached: a job whose
     * estimate fell short (reconciliation finds more files than rows) would otherwise
     * write its progress at every item past it. */
    reached = total > 0 && done >= total && !(ctx->total == total && ctx->done >= total);
    ctx->done = done;
    ctx->total = total;
    if (phase)
        kbj_copy(ctx->phase, sizeof ctx->phase, phase);
    ctx->progress_pending = 1;
    if (phase_changed || reached || kbj_monotonic() - ctx->progress_written >= 0.25)
        return kbj_ctx_flush(ctx);
    return KBJ_OK;
}

int kbj_ctx_title(kbj_ctx *ctx, const char *title)
{
    int rc;
    if (!ctx)
        return KBJ_EINVAL;
    if ((rc = kbj_ctx_lease_held(ctx)))
        return rc;
    return lost_now(ctx, kbj_set_title(ctx->eng, ctx->lease, title));
}

int kbj_ctx_log(kbj_ctx *ctx, const char *level, const char *message, const char *context_json)
{
    if (!ctx)
        return KBJ_EINVAL;
    /* The heartbeat thread watches the lease; a log line is refused once it saw it lost
     * or the runner's own clock says it ran out. */
    if (kbj_ctx_lease_held(ctx))
        return KBJ_ELEASE;
    return kbj_log(ctx->eng, ctx->lease->id, level, message, context_json);
}

int kbj_ctx_metrics(kbj_ctx *ctx, const char *metrics_json)
{
    int rc;
    if (!ctx)
        return KBJ_EINVAL;
    if ((rc = kbj_ctx_lease_held(ctx)))
        return rc;
    return lost_now(ctx, kbj_add_metrics(ctx->eng, ctx->lease, metrics_json));
}

int kbj_ctx_set_result(kbj_ctx *ctx, const char *json)
{
    char *copy;
    if (!ctx)
        return KBJ_EINVAL;
    copy = json ? strdup(json) : NULL;
    if (json && !copy)
        return kbj_efail(ctx->eng, KBJ_ENOMEM, "out of memory");
    free(ctx->result);
    ctx->result = copy;
    return KBJ_OK;
}

int kbj_ctx_fail(kbj_ctx *ctx, const char *message, int retryable)
{
    if (!ctx)
        return KBJ_EINVAL;
    free(ctx->fail_msg);
    ctx->fail_msg = strdup(message && *message ? message : "failed without a message");
    ctx->fail_retryable = retryable;
    return KBJ_EJOBFAILED;
}

static int child_checkpoint(kbj_ctx *ctx, const char *cursor, const char *counts, const char *state, int force)
{
    json_t *st = json_loads(ctx->combined_state ? ctx->combined_state : "{}", 0, NULL);
    json_t *ps = state ? json_loads(state, JSON_DECODE_ANY, NULL) : NULL;
    char *text;
    int rc;
    if (!json_is_object(st) || (state && !ps)) {
        json_decref(st);
        json_decref(ps);
        return kbj_efail(ctx->eng, KBJ_EINVAL, "a checkpoint's state must be valid JSON");
    }
    json_object_set_new(st, "phase", json_integer(ctx->phase_index));
    if (ps)
        json_object_set_new(st, "phase_state", ps);
    text = json_dumps(st, JSON_COMPACT);
    json_decref(st);
    if (!text)
        return kbj_efail(ctx->eng, KBJ_ENOMEM, "out of memory");
    rc = kbj_ctx_checkpoint(ctx->parent, cursor, counts, text, force);
    free(text);
    return rc;
}

int kbj_ctx_checkpoint(kbj_ctx *ctx, const char *cursor, const char *counts, const char *state, int force)
{
    kbj_checkpoint c;
    int rc;
    if (!ctx)
        return KBJ_EINVAL;
    if (ctx->parent)
        return child_checkpoint(ctx, cursor, counts, state, force);
    if ((rc = kbj_ctx_lease_held(ctx)))
        return rc;
    if (!force && !kbj_cadence_due(&ctx->cadence, ctx->done))
        return 0;
    if (force) { /* a forced checkpoint restarts the cadence too */
        ctx->cadence.last_at = ctx->cadence.clock(ctx->cadence.clock_arg);
        ctx->cadence.last_items = ctx->done;
    }
    memset(&c, 0, sizeof c);
    kbj_copy(c.job_id, sizeof c.job_id, ctx->lease->id);
    kbj_copy(c.type, sizeof c.type, ctx->lease->type);
    kbj_copy(c.worker_id, sizeof c.worker_id, ctx->runner);
    c.concurrency_key = ctx->lease->concurrency_key;
    c.progress_done = ctx->done;
    c.progress_total = ctx->total;
    c.total_workers = 1;
    c.cursor = (char *)cursor;
    c.counts = (char *)counts;
    c.state = (char *)state;
    /* progress goes to the database with the checkpoint, so both agree after a crash */
    ctx->progress_pending = 1;
    if ((rc = kbj_ctx_flush(ctx)))
        return rc;
    if ((rc = kbj_checkpoint_save(ctx->eng, &c)))
        return rc;
    ctx->checkpointed = 1;
    return 1;
}

int kbj_ctx_last_checkpoint(kbj_ctx *ctx, kbj_checkpoint **out)
{
    json_t *st;
    int rc;
    if (!ctx || !out)
        return KBJ_EINVAL;
    rc = kbj_checkpoint_load(ctx->eng, ctx->lease->id, out);
    if (rc || !ctx->parent)
        return rc;
    /* a phase sees the checkpoint only when it was saved during that phase, with the
     * phase's own state in place of the combined job's */
    st = (*out)->state ? json_loads((*out)->state, 0, NULL) : NULL;
    if (!json_is_integer(json_object_get(st, "phase")) ||
        json_integer_value(json_object_get(st, "phase")) != ctx->phase_index) {
        json_decref(st);
        kbj_checkpoint_free(*out);
        *out = NULL;
        return kbj_efail(ctx->eng, KBJ_ENOTFOUND, "no checkpoint for this phase");
    }
    free((*out)->state);
    (*out)->state = json_object_get(st, "phase_state") ?
        json_dumps(json_object_get(st, "phase_state"), JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    kbj_copy((*out)->type, sizeof (*out)->type, ctx->lease->type);
    json_decref(st);
    return KBJ_OK;
}

kbj_ctx *kbj_ctx_child(kbj_ctx *parent, const char *type, const char *params, double base, double weight,
                       int index, const char *name, const char *combined_state)
{
    kbj_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->eng = parent->eng;
    c->watch = parent->watch;
    c->runner = parent->runner;
    c->parent = parent;
    c->child_lease = *parent->lease;
    kbj_copy(c->child_lease.type, sizeof c->child_lease.type, type);
    c->child_lease.params = (char *)params;
    c->child_lease.progress_done = 0;
    c->child_lease.progress_total = 0;
    c->lease = &c->child_lease;
    c->base = base;
    c->weight = weight;
    c->phase_index = index;
    kbj_copy(c->phase_name, sizeof c->phase_name, name);
    c->combined_state = combined_state ? strdup(combined_state) : NULL;
    c->cadence = parent->cadence;
    return c;
}

void kbj_ctx_child_free(kbj_ctx *c)
{
    if (!c)
        return;
    if (c->checkpointed && c->parent)
        c->parent->checkpointed = 1;
    free(c->result);
    free(c->fail_msg);
    free(c->combined_state);
    free(c);
}

const char *kbj_ctx_result(const kbj_ctx *ctx)
{
    return ctx ? ctx->result : NULL;
}

const char *kbj_ctx_fail_message(const kbj_ctx *ctx, int *retryable)
{
    if (retryable)
        *retryable = ctx ? ctx->fail_retryable : 0;
    return ctx ? ctx->fail_msg : NULL;
}

int kbj_ctx_cancelled(const kbj_ctx *ctx)
{
    return ctx && ctx->watch && ctx->watch->cancel;
}

int kbj_ctx_should_stop(const kbj_ctx *ctx)
{
    if (!ctx)
        return 1;
    return ctx->eng->stop ||
           (ctx->watch && (ctx->watch->cancel || ctx->watch->lost || kbj_watch_remaining(ctx->watch) <= 0));
}

int kbj_ctx_check(kbj_ctx *ctx)
{
    int cancel = 0, rc;
    if (!ctx)
        return KBJ_EINVAL;
    rc = kbj_heartbeat(ctx->eng, ctx->lease, &cancel);
    if (rc == KBJ_OK && cancel && ctx->watch)
        ctx->watch->cancel = 1;
    return lost_now(ctx, rc);
}

int kbj_ctx_defer(kbj_ctx *ctx, unsigned ms)
{
    if (!ctx)
        return KBJ_EINVAL;
    ctx->defer_ms = ms > 3600000u ? 3600000u : ms;
    return KBJ_EDEFERRED;
}

int kbj_ctx_sleep(kbj_ctx *ctx, unsigned ms)
{
    double until = kbj_monotonic() + ms / 1000.0;
    while (!kbj_ctx_should_stop(ctx)) {
        double left = until - kbj_monotonic();
        struct timespec ts;
        if (left <= 0)
            break;
        if (left > 0.05)
            left = 0.05;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(left * 1e9);
        nanosleep(&ts, NULL);
    }
    return kbj_ctx_should_stop(ctx);
}

