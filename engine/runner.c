/*
 * runner.c - kbj_run: the loop that claims jobs, dispatches them to their handlers and
 * records what happened; the heartbeat thread; and the kbj_ctx a handler works with.
 *
 * The heartbeat thread owns a second database connection and touches nothing but the
 * runner's row, its leases and the current job's cancel flag, so a handler that is busy
 * for minutes (in C or, through ext/, in PHP) keeps its lease without doing anything.
 * Completions are buffered and written per batch in one transaction; a failure, a
 * cancel or a release flushes the buffer first so rows change in the order jobs ran.
 */
#include "internal.h"
#include "options.h"
#include "types.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The clock lease deadlines are kept on: it goes on while the process is stopped
 * (SIGSTOP, Ctrl-Z) and, unlike CLOCK_MONOTONIC, while the machine is suspended. */
static double boottime(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
        clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- heartbeat thread ------------------------------------------------------------ */

typedef struct heartbeat {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int started, quit;
    kbj_engine *eng;            /* the thread's own connection */
    char runner[KBJ_ID_LEN + 1];
    unsigned interval_ms;
    unsigned long long pk;      /* current job, 0 when none */
    long long token;
    volatile sig_atomic_t *stop;/* the run's stop flag */
    unsigned grace_seconds;
    double stop_deadline;       /* monotonic; past it, leases are no longer renewed */
    /* When the leases of the claim in hand run out, on this runner's own clock
     * (boottime()), never later than the database's lease_expires: set from the time
     * just before the claim, moved on by each renewal that began before it (guarded by
     * mu). A runner paused past it writes nothing more for those jobs. */
    double deadline;
    volatile sig_atomic_t cancel, lost, check_now;
} heartbeat;

static int extend_do(kbj_store *st, void *arg)
{
    heartbeat *hb = arg;
    return kbj_store_exec(st, "UPDATE {p}kbjobs_runners SET heartbeat_at = NOW(6) WHERE public_id = ?",
                          (kbj_val[]){ KBJ_VS(hb->runner) }, 1, NULL);
}

/* Reads the current job's status, token, lease and cancel flag into the shared flags: a
 * lease that expired by the database's clock is lost even before the reaper comes by. */
static void watch_job(kbj_engine *eng, heartbeat *hb, unsigned long long pk, long long token)
{
    kbj_rows *rows = NULL;
    if (kbj_store_query(eng->st, "SELECT status, lease_token, cancel_requested, lease_expires > NOW(6)"
                        " FROM {p}kbjobs_jobs WHERE id = ?",
                        (kbj_val[]){ KBJ_VI(pk) }, 1, &rows) != KBJ_OK)
        return;
    if (kbj_rows_count(rows) == 0 || strcmp(kbj_rows_str(rows, 0, 0), "running") != 0 ||
        kbj_rows_int(rows, 0, 1) != token || kbj_rows_int(rows, 0, 3) != 1)
        hb->lost = 1;
    else if (kbj_rows_int(rows, 0, 2))
        hb->cancel = 1;
    kbj_rows_free(rows);
}

static void *heartbeat_main(void *arg)
{
    heartbeat *hb = arg;
    kbj_store_thread_init();
    pthread_mutex_lock(&hb->mu);
    while (!hb->quit) {
        struct timespec until;
        unsigned long long pk;
        long long token;
        int renew;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += hb->interval_ms / 1000;
        until.tv_nsec += (long)(hb->interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!hb->quit && !hb->check_now &&
               pthread_cond_timedwait(&hb->cv, &hb->mu, &until) == 0)
            ;
        if (hb->quit)
            break;
        hb->check_now = 0;
        pk = hb->pk;
        token = hb->token;
        /* After a stop request the current job has grace_seconds to reach a safe point;
         * then its lease is left to expire and the reaper takes it back. */
        if (*hb->stop && hb->stop_deadline == 0)
            hb->stop_deadline = mono() + hb->grace_seconds;
        renew = hb->stop_deadline == 0 || mono() < hb->stop_deadline;
        pthread_mutex_unlock(&hb->mu);

        if (renew) {
            /* A renewal that began at t0 moved every lease still held when it ran to at
             * least t0 + lease. Leases whose local deadline had passed by the time it
             * returned may have expired first: their deadline stays. */
            double t0 = boottime();
            if (kbj_runner_heartbeat(hb->eng, hb->runner) == KBJ_OK) {
                double t1 = boottime();
                pthread_mutex_lock(&hb->mu);
                if (hb->deadline >= t1 && t0 + hb->eng->cfg.lease_seconds > hb->deadline)
                    hb->deadline = t0 + hb->eng->cfg.lease_seconds;
                pthread_mutex_unlock(&hb->mu);
            }
        } else {
            (void)kbj_store_do(hb->eng->st, extend_do, hb);
        }
        if (pk)
            watch_job(hb->eng, hb, pk, token);

        pthread_mutex_lock(&hb->mu);
    }
    pthread_mutex_unlock(&hb->mu);
    kbj_store_thread_end();
    return NULL;
}

/* The leases just claimed run out lease_seconds after `t0`, taken before the claim. */
static void hb_claimed(heartbeat *hb, double t0, unsigned lease_seconds)
{
    pthread_mutex_lock(&hb->mu);
    hb->deadline = t0 + lease_seconds;
    pthread_mutex_unlock(&hb->mu);
}

static double hb_remaining(heartbeat *hb)
{
    double d;
    pthread_mutex_lock(&hb->mu);
    d = hb->deadline;
    pthread_mutex_unlock(&hb->mu);
    return d - boottime();
}

static void hb_set_job(heartbeat *hb, const kbj_lease *l)
{
    pthread_mutex_lock(&hb->mu);
    hb->pk = l ? l->pk : 0;
    hb->token = l ? l->token : 0;
    hb->cancel = 0;
    hb->lost = 0;
    pthread_mutex_unlock(&hb->mu);
}

static void hb_stop(heartbeat *hb)
{
    if (hb->started) {
        pthread_mutex_lock(&hb->mu);
        hb->quit = 1;
        pthread_cond_signal(&hb->cv);
        pthread_mutex_unlock(&hb->mu);
        pthread_join(hb->thread, NULL);
        hb->started = 0;
    }
    kbj_engine_free(hb->eng);
    hb->eng = NULL;
    pthread_cond_destroy(&hb->cv);
    pthread_mutex_destroy(&hb->mu);
}

/* ---- the handler's context ----------------------------------------------------------- */

struct kbj_ctx {
    kbj_engine *eng;
    const kbj_lease *lease;
    heartbeat *hb;
    const char *runner;
    kbj_cadence cadence;
    int checkpointed;            /* a checkpoint was saved during this attempt */
    /* a phase of a combined job runs with a child context: */
    struct kbj_ctx *parent;
    kbj_lease child_lease;       /* the parent's lease with the phase's type and params */
    double base, weight;         /* percent of the parent done before this phase, its share */
    int phase_index;
    char phase_name[KBJ_NAME_MAX + 1];
    char *combined_state;        /* JSON of the completed phases, kept in every checkpoint */
    char *result;
    char *fail_msg;
    int fail_retryable;
    double progress_written;     /* monotonic time of the last progress write */
    long long done, total;
    char phase[KBJ_NAME_MAX + 1];
    int progress_pending;
    unsigned defer_ms;           /* set by kbj_ctx_defer */
};

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
    if (rc == KBJ_ELEASE && ctx->hb)
        ctx->hb->lost = 1;
    return rc;
}

double kbj_ctx_lease_remaining(const kbj_ctx *ctx)
{
    double left;
    if (!ctx)
        return 0;
    if (!ctx->hb)
        return ctx->eng->cfg.lease_seconds;
    if (ctx->hb->lost)
        return 0;
    left = hb_remaining(ctx->hb);
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
    if (ctx->hb)
        ctx->hb->lost = 1;
    return kbj_efail(ctx->eng, KBJ_ELEASE, "the lease on job %s was lost%s%s", ctx->lease->id,
                     why && *why ? ": " : "", why ? why : "");
}

int kbj_ctx_lease_held(kbj_ctx *ctx)
{
    if (!ctx)
        return KBJ_EINVAL;
    if (ctx->hb && ctx->hb->lost)
        return kbj_efail(ctx->eng, KBJ_ELEASE, "the lease on job %s was lost", ctx->lease->id);
    if (ctx->hb && hb_remaining(ctx->hb) <= 0)
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
    n = snprintf(buf, cap, "SELECT id FROM `%skbjobs_jobs` WHERE id = %llu AND lease_token = %lld"
                 " AND status = 'running' AND lease_expires > NOW(6) FOR UPDATE",
                 kbj_store_prefix(ctx->eng->st), l->pk, l->token);
    if (n < 0 || (size_t)n >= cap)
        return kbj_efail(ctx->eng, KBJ_EINVAL, "the fence statement does not fit");
    return KBJ_OK;
}

static int flush_progress(kbj_ctx *ctx)
{
    int rc;
    if (!ctx->progress_pending)
        return KBJ_OK;
    if ((rc = kbj_ctx_lease_held(ctx)))
        return rc;
    ctx->progress_pending = 0;
    ctx->progress_written = mono();
    rc = kbj_progress(ctx->eng, ctx->lease, ctx->done, ctx->total, ctx->phase[0] ? ctx->phase : NULL);
    return lost_now(ctx, rc);
}

int kbj_ctx_progress(kbj_ctx *ctx, long long done, long long total, const char *phase)
{
    int phase_changed;
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
    ctx->done = done;
    ctx->total = total;
    if (phase)
        kbj_copy(ctx->phase, sizeof ctx->phase, phase);
    ctx->progress_pending = 1;
    if (phase_changed || (total > 0 && done >= total) || mono() - ctx->progress_written >= 0.25)
        return flush_progress(ctx);
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
    if ((rc = flush_progress(ctx)))
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
    c->hb = parent->hb;
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
    return ctx && ctx->hb && ctx->hb->cancel;
}

int kbj_ctx_should_stop(const kbj_ctx *ctx)
{
    if (!ctx)
        return 1;
    return ctx->eng->stop || (ctx->hb && (ctx->hb->cancel || ctx->hb->lost || hb_remaining(ctx->hb) <= 0));
}

int kbj_ctx_check(kbj_ctx *ctx)
{
    int cancel = 0, rc;
    if (!ctx)
        return KBJ_EINVAL;
    rc = kbj_heartbeat(ctx->eng, ctx->lease, &cancel);
    if (rc == KBJ_OK && cancel && ctx->hb)
        ctx->hb->cancel = 1;
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
    double until = mono() + ms / 1000.0;
    while (!kbj_ctx_should_stop(ctx)) {
        double left = until - mono();
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

/* ---- the loop ---------------------------------------------------------------------- */

typedef struct run_state {
    kbj_engine *eng;
    const kbj_run_opts *o;
    kbj_run_report *rep;
    heartbeat hb;
    double t0;
    unsigned long started;       /* jobs dispatched */
    /* buffered completions */
    kbj_lease *done;
    char **results;
    char *drop_checkpoint;       /* per buffered completion: remove its checkpoint files */
    size_t ndone;
} run_state;

/* Seconds until the soonest queued job of the queues is due, when that is within
 * `window` seconds; -1 otherwise (or on error: the caller just stops waiting). */
static double due_within(kbj_engine *eng, const char *const *queues, size_t nq, double window)
{
    char *ph = kbj_placeholders(nq), *sql = ph ? malloc(strlen(ph) + 200) : NULL;
    kbj_val *v = calloc(nq + 1, sizeof *v);
    kbj_rows *rows = NULL;
    double wait = -1;

    if (sql && v) {
        sprintf(sql, "SELECT TIMESTAMPDIFF(MICROSECOND, NOW(6), MIN(run_at)) FROM {p}kbjobs_jobs"
                     " WHERE status = 'queued' AND queue IN (%s) AND run_at <= NOW(6) + INTERVAL ? MICROSECOND", ph);
        for (size_t i = 0; i < nq; i++)
            v[i] = KBJ_VS(queues[i]);
        v[nq] = KBJ_VI((long long)(window * 1e6));
        if (kbj_store_query(eng->st, sql, v, nq + 1, &rows) == KBJ_OK && kbj_rows_str(rows, 0, 0)) {
            wait = kbj_rows_int(rows, 0, 0) / 1e6;
            if (wait < 0)
                wait = 0; /* due already: claim again */
        }
    }
    kbj_rows_free(rows);
    free(ph);
    free(sql);
    free(v);
    return wait;
}

/* Why the run should stop now, or NULL. */
static const char *budget_spent(run_state *rs)
{
    const kbj_run_opts *o = rs->o;
    if (rs->eng->stop)
        return "requested";
    if (o->max_seconds > 0 && mono() - rs->t0 >= o->max_seconds)
        return "time";
    if (o->max_jobs && rs->started >= o->max_jobs)
        return "jobs";
    if (o->max_memory) {
        size_t used = o->memory_usage ? o->memory_usage(o->memory_arg) : kbj_process_rss();
        if (used > o->max_memory)
            return "memory";
    }
    return NULL;
}

/* Writes the buffered completions in one transaction. */
static int flush_done(run_state *rs)
{
    size_t fenced = 0;
    int rc;
    if (rs->ndone == 0)
        return KBJ_OK;
    rc = kbj_complete_many(rs->eng, rs->done, (const char *const *)rs->results, rs->ndone, &fenced);
    if (rc == KBJ_OK) {
        rs->rep->completed += rs->ndone - fenced;
        rs->rep->lost += fenced;
        /* checkpoints are deleted on success (a failure to remove one is left to the
         * stale-checkpoint cleanup) */
        for (size_t i = 0; i < rs->ndone; i++)
            if (rs->drop_checkpoint[i])
                (void)kbj_checkpoint_delete(rs->eng, rs->done[i].id);
    }
    for (size_t i = 0; i < rs->ndone; i++) {
        free(rs->results[i]);
        rs->results[i] = NULL;
    }
    rs->ndone = 0;
    return rc;
}

/* Counts a write's outcome: a lost lease is counted, anything else but success ends the run. */
static int after_write(run_state *rs, int rc)
{
    if (rc == KBJ_ELEASE) {
        rs->rep->lost++;
        return KBJ_OK;
    }
    return rc;
}

static int dispatch(run_state *rs, kbj_lease *l)
{
    kbj_engine *eng = rs->eng;
    const kbj_type *t = kbj_type_find(eng, l->type);
    kbj_ctx ctx;
    int rc, wrc = KBJ_OK, cancelled, lease_lost;

    memset(&ctx, 0, sizeof ctx);
    ctx.eng = eng;
    ctx.lease = l;
    ctx.hb = &rs->hb;
    ctx.done = l->progress_done;
    ctx.total = l->progress_total;
    ctx.runner = rs->rep->runner;
    ctx.cadence.seconds = rs->o->checkpoint_seconds;
    ctx.cadence.items = rs->o->checkpoint_items;
    kbj_cadence_start(&ctx.cadence);
    hb_set_job(&rs->hb, l);
    rs->started++;

    if (!t || !t->handler) {
        char msg[160];
        snprintf(msg, sizeof msg, "no handler for job type %s in this runner", l->type);
        rc = kbj_ctx_fail(&ctx, msg, 0);
    } else {
        rc = t->handler(&ctx, t->udata);
    }
    if (!rs->hb.lost)
        (void)flush_progress(&ctx);
    cancelled = rs->hb.cancel;
    /* a runner paused past its lease's end completes nothing: the job may be elsewhere */
    lease_lost = rs->hb.lost || hb_remaining(&rs->hb) <= 0;
    hb_set_job(&rs->hb, NULL);

    if (lease_lost) {
        rs->rep->lost++;
    } else if (rc == KBJ_OK) {
        rs->done[rs->ndone] = *l; /* shallow: the lease array outlives the flush */
        /* a checkpoint may exist from this attempt or, for a resumed job, an earlier one */
        rs->drop_checkpoint[rs->ndone] = ctx.checkpointed || l->attempts > 1 || l->progress_done > 0;
        rs->results[rs->ndone] = ctx.result;
        ctx.result = NULL;
        rs->ndone++;
    } else {
        wrc = flush_done(rs);
        if (wrc == KBJ_OK) {
            if (rc == KBJ_EJOBFAILED) {
                int retry = 0;
                wrc = kbj_fail_job_result(eng, l, ctx.fail_msg, ctx.fail_retryable, ctx.result, &retry);
                if (wrc == KBJ_OK)
                    retry ? rs->rep->retried++ : rs->rep->failed++;
                wrc = after_write(rs, wrc);
            } else if ((rc == KBJ_ESTOPPED || rc == KBJ_EDEFERRED) && cancelled) {
                wrc = kbj_finish_cancelled_result(eng, l, ctx.result);
                if (wrc == KBJ_OK)
                    rs->rep->cancelled++;
                wrc = after_write(rs, wrc);
            } else if (rc == KBJ_EDEFERRED && !cancelled) {
                wrc = kbj_release_after(eng, l, ctx.defer_ms);
                if (wrc == KBJ_OK)
                    rs->rep->deferred++;
                wrc = after_write(rs, wrc);
            } else if (rc == KBJ_ESTOPPED && eng->stop) {
                wrc = kbj_release(eng, l);
                if (wrc == KBJ_OK)
                    rs->rep->interrupted++;
                wrc = after_write(rs, wrc);
            } else {
                int retry = 0;
                char msg[600];
                if (ctx.fail_msg) /* a handler's own words (kbj_ctx_disconnected) */
                    kbj_copy(msg, sizeof msg, ctx.fail_msg);
                else
                    snprintf(msg, sizeof msg, "%s: %s", kbj_strerror(rc), kbj_errmsg(eng));
                wrc = kbj_fail_job(eng, l, msg, 1, &retry);
                if (wrc == KBJ_OK)
                    retry ? rs->rep->retried++ : rs->rep->failed++;
                wrc = after_write(rs, wrc);
            }
        }
    }
    free(ctx.result);
    free(ctx.fail_msg);
    return wrc;
}

static void join_queues(const char *const *q, size_t n, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && off + 1 < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, "%s%s", i ? "," : "", q[i]);
}

int kbj_run(kbj_engine *eng, const kbj_run_opts *opts, kbj_run_report *report)
{
    static const char *const fallback[] = { "default" };
    kbj_run_opts none = { 0 };
    kbj_run_report scratch;
    run_state rs;
    const char *const *queues;
    size_t nqueues;
    char qcsv[256], host[256];
    double last_reap = -1e9;
    const char *reason = NULL;
    int rc = KBJ_OK;

    if (!eng)
        return KBJ_EINVAL;
    {
        kbj_err oerr;
        if (kbj_run_opts_check(opts, &oerr))
            return kbj_efail(eng, KBJ_EINVAL, "%s", oerr.msg);
    }
    memset(&rs, 0, sizeof rs);
    rs.eng = eng;
    rs.o = opts ? opts : &none;
    rs.rep = report ? report : &scratch;
    memset(rs.rep, 0, sizeof *rs.rep);
    rs.t0 = mono();
    queues = rs.o->queues && rs.o->nqueues ? rs.o->queues : fallback;
    nqueues = rs.o->queues && rs.o->nqueues ? rs.o->nqueues : 1;
    for (size_t q = 0; q < nqueues; q++)
        if (!kbj_valid_name(queues[q]))
            return kbj_efail(eng, KBJ_EINVAL, "queue \"%.80s\" must be 1 to 64 characters of a-z, "
                             "0-9, '_', '.' and '-'", queues[q] ? queues[q] : "");
    if (rs.o->max_seconds < 0)
        return kbj_efail(eng, KBJ_EINVAL, "max_seconds must not be negative");
    join_queues(queues, nqueues, qcsv, sizeof qcsv);
    if (rs.o->host)
        kbj_copy(host, sizeof host, rs.o->host);
    else if (gethostname(host, sizeof host) != 0)
        kbj_copy(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';

    rs.done = calloc(eng->cfg.claim_batch, sizeof *rs.done);
    rs.results = calloc(eng->cfg.claim_batch, sizeof *rs.results);
    rs.drop_checkpoint = calloc(eng->cfg.claim_batch, 1);
    if (!rs.done || !rs.results || !rs.drop_checkpoint) {
        free(rs.done);
        free(rs.results);
        free(rs.drop_checkpoint);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    rc = kbj_runner_register(eng, host, (int)getpid(), rs.o->version, qcsv, rs.rep->runner);
    if (rc)
        goto out_free;

    pthread_mutex_init(&rs.hb.mu, NULL);
    pthread_cond_init(&rs.hb.cv, NULL);
    kbj_copy(rs.hb.runner, sizeof rs.hb.runner, rs.rep->runner);
    rs.hb.interval_ms = eng->cfg.lease_seconds * 1000 / 3;
    if (rs.hb.interval_ms < 200)
        rs.hb.interval_ms = 200;
    rs.hb.stop = &eng->stop;
    rs.hb.grace_seconds = rs.o->grace_seconds ? rs.o->grace_seconds : 30;
    rs.hb.eng = kbj_engine_clone(eng);
    if (!rs.hb.eng || pthread_create(&rs.hb.thread, NULL, heartbeat_main, &rs.hb) != 0) {
        rc = rs.hb.eng ? kbj_efail(eng, KBJ_ENOMEM, "cannot start the heartbeat thread") : KBJ_ECONNECT;
        hb_stop(&rs.hb);
        goto out_stopped;
    }
    rs.hb.started = 1;

    while (rc == KBJ_OK) {
        kbj_lease *leases = NULL;
        double claim_t0;
        size_t n = 0, want = rs.o->claim_batch && rs.o->claim_batch < eng->cfg.claim_batch
                                  ? rs.o->claim_batch : eng->cfg.claim_batch, i;

        if ((reason = budget_spent(&rs)))
            break;
        if (mono() - last_reap >= eng->cfg.lease_seconds / 2.0) {
            rc = kbj_reap(eng, NULL);
            if (rc)
                break;
            last_reap = mono();
        }
        if (rs.o->max_jobs && rs.o->max_jobs - rs.started < want)
            want = rs.o->max_jobs - rs.started;
        claim_t0 = boottime();
        rc = kbj_claim(eng, rs.rep->runner, queues, nqueues, want, &leases, &n);
        if (rc)
            break;
        if (n)
            hb_claimed(&rs.hb, claim_t0, eng->cfg.lease_seconds);
        if (n == 0) {
            if (rs.o->until_empty) {
                /* a job due in a moment (one waiting for others, deferring itself, or
                 * retrying after a short backoff) is waited for: "empty" means nothing
                 * due now or within until_empty_wait_ms */
                double window = rs.o->until_empty_wait_ms ? rs.o->until_empty_wait_ms / 1000.0 : 2.0;
                double wait = due_within(eng, queues, nqueues, window);
                if (wait < 0) {
                    reason = "empty";
                    break;
                }
                if (rs.o->max_seconds > 0 && rs.t0 + rs.o->max_seconds < mono() + wait)
                    wait = rs.t0 + rs.o->max_seconds - mono(); /* the time budget still holds */
                for (double until = mono() + wait; mono() < until && !eng->stop;) {
                    struct timespec ts = { 0, 20000000L };
                    nanosleep(&ts, NULL);
                    if (rs.o->idle_tick)
                        rs.o->idle_tick(rs.o->tick_arg);
                }
                continue;
            }
            for (double until = mono() + (rs.o->idle_ms ? rs.o->idle_ms : 1000) / 1000.0;
                 mono() < until && !eng->stop;) {
                struct timespec ts = { 0, 20000000L };
                nanosleep(&ts, NULL);
                if (rs.o->idle_tick)
                    rs.o->idle_tick(rs.o->tick_arg);
            }
            continue;
        }
        rs.rep->claimed += n;
        for (i = 0; i < n && rc == KBJ_OK; i++) {
            const char *why = i ? budget_spent(&rs) : NULL;
            if (why && strcmp(why, "jobs") != 0) {
                reason = why;
                break;
            }
            rc = dispatch(&rs, &leases[i]);
        }
        if (rc == KBJ_OK)
            rc = flush_done(&rs);
        /* Jobs claimed but not started go back to their queue. */
        for (; i < n && rc == KBJ_OK; i++) {
            rc = after_write(&rs, kbj_release(eng, &leases[i]));
            if (rc == KBJ_OK)
                rs.rep->interrupted++;
        }
        kbj_leases_free(leases, n);
        if (reason)
            break;
    }
    hb_stop(&rs.hb);
out_stopped:
    (void)kbj_runner_stopped(eng, rs.rep->runner);
out_free:
    for (size_t i = 0; i < rs.ndone; i++)
        free(rs.results[i]);
    free(rs.done);
    free(rs.results);
    free(rs.drop_checkpoint);
    rs.rep->elapsed = mono() - rs.t0;
    kbj_copy(rs.rep->stop_reason, sizeof rs.rep->stop_reason, rc ? "error" : reason ? reason : "requested");
    eng->stop = 0;
    return rc;
}

void kbj_request_stop(kbj_engine *eng)
{
    if (eng)
        eng->stop = 1;
}
