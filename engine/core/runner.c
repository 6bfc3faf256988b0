/*
 * runner.c - kbj_run: the loop that claims jobs, dispatches them to their handlers and
 * records what happened, and the heartbeat thread; each job gets a kbj_ctx (context.c).
 *
 * The heartbeat thread owns a second database connection and touches nothing but the
 * runner's row, its leases and the current job's cancel flag, so a handler that is busy
 * for minutes (in C or, through ext/, in PHP) keeps its lease without doing anything.
 * Completions are buffered and written per batch in one transaction; a failure, a
 * cancel or a release flushes the buffer first so rows change in the order jobs ran.
 * With a cron handler, each round first runs the WP-Cron events that are due (kbj_cron.h),
 * claimed as a batch, their outcomes recorded together and the events not started given
 * back, under the same heartbeat, lease watch, budgets and stop requests.
 *
 * An idle runner waits between claims on its wake-up socket (wake.h): a process on this
 * host that makes jobs due on the same database and prefix sends it a byte, and it claims
 * at once. Runners elsewhere (other hosts, other network namespaces) rely on the poll,
 * whose pause adapts: idle_min_ms after a claim that found work, doubling with each empty
 * claim up to idle_ms (default 200 ms), so a burst is followed closely; an idle runner
 * looks for a due job with one read of the claim index (no transaction, no lock) and
 * claims only when it finds one.
 */
#include "context.h"
#include "internal.h"
#include "metrics.h"
#include "kbj_cron.h"
#include "options.h"
#include "types.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
    /* what the job's context reads: cancel and lost flags, and the deadline of the
     * claim in hand on this runner's own clock (see kbj_lease_watch) */
    kbj_lease_watch watch;
    volatile sig_atomic_t check_now;
} heartbeat;

static int extend_do(kbj_store *st, void *arg)
{
    heartbeat *hb = arg;
    return kbj_store_exec(st, "UPDATE {p}kbjobs_runners SET heartbeat_at = NOW(6) WHERE public_id = ?",
                          (kbj_val[]){ KBJ_VS(hb->runner) }, 1, NULL);
}

/* Reads a job's status, token, lease and cancel flag: a lease that expired by the
 * database's clock is lost even before the reaper comes by. Sets *lost or *cancel. */
static void watch_job(kbj_engine *eng, unsigned long long pk, long long token, int *lost, int *cancel)
{
    kbj_rows *rows = NULL;
    if (kbj_store_query(eng->st, "SELECT status, lease_token, cancel_requested, lease_expires > NOW(6)"
                        " FROM {p}kbjobs_job_state WHERE id = ?",
                        (kbj_val[]){ KBJ_VI(pk) }, 1, &rows) != KBJ_OK)
        return;
    if (kbj_rows_count(rows) == 0 || strcmp(kbj_rows_str(rows, 0, 0), "running") != 0 ||
        kbj_rows_int(rows, 0, 1) != token || kbj_rows_int(rows, 0, 3) != 1)
        *lost = 1;
    else if (kbj_rows_int(rows, 0, 2))
        *cancel = 1;
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
            hb->stop_deadline = kbj_monotonic() + hb->grace_seconds;
        renew = hb->stop_deadline == 0 || kbj_monotonic() < hb->stop_deadline;
        pthread_mutex_unlock(&hb->mu);

        if (renew) {
            /* A renewal that began at t0 moved every lease still held when it ran to at
             * least t0 + lease. Leases whose local deadline had passed by the time it
             * returned may have expired first: their deadline stays. */
            double t0 = kbj_boottime();
            if (kbj_runner_heartbeat(hb->eng, hb->runner) == KBJ_OK)
                kbj_watch_renewed(&hb->watch, t0, kbj_boottime(), hb->eng->cfg.lease_seconds);
        } else {
            (void)kbj_store_do(hb->eng->st, extend_do, hb);
        }
        if (pk) {
            int lost = 0, cancel = 0;
            watch_job(hb->eng, pk, token, &lost, &cancel);
            pthread_mutex_lock(&hb->mu);
            /* only for the job still in hand: the runner may have finished the one read
             * (completed: not running any more) and started the next meanwhile, which
             * must not inherit that job's lost or cancel flag */
            if (hb->pk == pk && hb->token == token) {
                if (lost)
                    hb->watch.lost = 1;
                if (cancel)
                    hb->watch.cancel = 1;
            }
        } else {
            pthread_mutex_lock(&hb->mu);
        }
    }
    pthread_mutex_unlock(&hb->mu);
    kbj_store_thread_end();
    return NULL;
}

static void hb_set_job(heartbeat *hb, const kbj_lease *l)
{
    pthread_mutex_lock(&hb->mu);
    hb->pk = l ? l->pk : 0;
    hb->token = l ? l->token : 0;
    hb->watch.cancel = 0;
    hb->watch.lost = 0;
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
    pthread_mutex_destroy(&hb->watch.mu);
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
    double *done_at, *done_ms;   /* per buffered completion: when it ended, its run time */
    unsigned char *refused;      /* per buffered completion: refused, its lease lost */
    size_t ndone;
    double cron_event_seconds;   /* how long an event has taken lately (0: none run yet) */
    kbj_metrics *metrics;        /* this runner's counts not written yet */
    /* idle waits: the next pause (seconds), its bounds, the wake-up socket (-1: none),
     * whether the last wait ended with a wake-up, and until when wake-ups are not
     * listened for (after one that found nothing: see idle_wait) */
    double idle_next, idle_min, idle_max;
    int idle;                    /* the last claim (or look) found nothing */
    int wake_fd, woken;
    double wake_quiet_until;
} run_state;

/* Seconds until the soonest queued job of the queues is due, when that is within
 * `window` seconds; -1 otherwise (or on error: the caller just stops waiting). */
static double due_within(kbj_engine *eng, const char *const *queues, size_t nq, double window)
{
    size_t cap = 2 * nq + 200;
    char *ph = kbj_placeholders(nq), *sql = ph ? malloc(cap) : NULL;
    kbj_val *v = calloc(nq + 1, sizeof *v);
    kbj_rows *rows = NULL;
    double wait = -1;

    if (sql && v) {
        snprintf(sql, cap, "SELECT TIMESTAMPDIFF(MICROSECOND, NOW(6), MIN(run_at)) FROM {p}kbjobs_job_state"
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

/* Whether a job of the queues is due now: one read of the claim index that stops at the
 * first (no transaction, no lock), where a claim costs a transaction and a locking read
 * per queue. An idle runner looks before it claims, so its poll costs one statement.
 * 1 on an error: the claim then says what it is. */
static int anything_due(kbj_engine *eng, const char *const *queues, size_t nq)
{
    size_t cap = 2 * nq + 200;
    char *ph = kbj_placeholders(nq), *sql = ph ? malloc(cap) : NULL;
    kbj_val *v = calloc(nq, sizeof *v);
    kbj_rows *rows = NULL;
    int due = 1;

    if (sql && v) {
        snprintf(sql, cap, "SELECT 1 FROM {p}kbjobs_job_state WHERE status = 'queued' AND queue IN (%s)"
                 " AND run_at <= NOW(6) LIMIT 1", ph);
        for (size_t i = 0; i < nq; i++)
            v[i] = KBJ_VS(queues[i]);
        if (kbj_store_query(eng->st, sql, v, nq, &rows) == KBJ_OK)
            due = kbj_rows_count(rows) > 0;
    }
    kbj_rows_free(rows);
    free(ph);
    free(sql);
    free(v);
    return due;
}

/* Seconds until the soonest WP-Cron event is due, when that is within `window` seconds;
 * -1 otherwise (or on error). Event times are whole seconds of the database clock. */
static double cron_due_within(kbj_engine *eng, double window, double recurring_window)
{
    kbj_rows *rows = NULL;
    double wait = -1;
    if (kbj_store_query(eng->st, "SELECT MIN(due_at) - UNIX_TIMESTAMP() FROM {p}kbjobs_cron_events"
                        " WHERE paused = 0 AND lease_token IS NULL AND due_at <= UNIX_TIMESTAMP() + ?"
                        " AND (schedule IS NULL OR due_at <= UNIX_TIMESTAMP() + ?)",
                        (kbj_val[]){ KBJ_VI((long long)ceil(window)), KBJ_VI((long long)ceil(recurring_window)) },
                        2, &rows) == KBJ_OK &&
        kbj_rows_str(rows, 0, 0)) {
        wait = (double)kbj_rows_int(rows, 0, 0);
        /* due now yet not claimed: its pair is running elsewhere; look again shortly
         * rather than spin on the database */
        if (wait < 0.1)
            wait = 0.1;
    }
    kbj_rows_free(rows);
    return wait;
}

/* The sooner of two waits where -1 means "none". */
static double sooner(double a, double b)
{
    return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* Why the run should stop now, or NULL. */
static const char *budget_spent(run_state *rs)
{
    const kbj_run_opts *o = rs->o;
    if (rs->eng->stop)
        return "requested";
    if (o->max_seconds > 0 && kbj_monotonic() - rs->t0 >= o->max_seconds)
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

static int write_metrics(kbj_store *st, void *arg)
{
    return kbj_metrics_write(arg, st);
}

/* Writes the runner's pending metrics when they are due, in a transaction of their own
 * (used when no completion batch carries them), then takes its turn at the merge. A
 * failure keeps them for the next try: metrics never end a run. */
static void metrics_tick(run_state *rs, int force)
{
    if (force ? kbj_metrics_pending(rs->metrics) : kbj_metrics_due(rs->metrics))
        (void)kbj_metrics_flush(rs->eng, rs->metrics);
    /* once a minute, one runner merges every runner's rows (not while stopping). 5 s at
     * most: 300 runners busy on 15 queue and type pairs write about 31,000 rows a minute,
     * which took 1.1 s here on a loaded 2-core machine */
    if (!rs->eng->stop)
        kbj_metrics_merge_turn(rs->eng, rs->metrics, 5.0);
}

/* Writes the buffered completions in one transaction, with the runner's metrics when
 * they are due (so they cost no round trip of their own). */
static int flush_done(run_state *rs)
{
    size_t fenced = 0;
    int rc, with_metrics;
    if (rs->ndone == 0)
        return KBJ_OK;
    with_metrics = kbj_metrics_due(rs->metrics);
    rc = kbj_complete_many_with(rs->eng, rs->done, (const char *const *)rs->results, rs->ndone, &fenced,
                                rs->refused, with_metrics ? write_metrics : NULL, rs->metrics);
    if (rc == KBJ_OK && with_metrics)
        kbj_metrics_written(rs->metrics);
    if (rc == KBJ_OK) {
        /* only what committed is counted: a completion refused for a lost lease is not
         * (the job runs again elsewhere, or was reaped); written with the next flush */
        for (size_t i = 0; i < rs->ndone; i++)
            if (!rs->refused[i])
                (void)kbj_metrics_ended(rs->metrics, rs->done_at[i], rs->done[i].queue, rs->done[i].type,
                                        KBJ_METRIC_COMPLETED, rs->done_ms[i]);
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
    double run_t0, run_ms;

    memset(&ctx, 0, sizeof ctx);
    ctx.eng = eng;
    ctx.lease = l;
    ctx.watch = &rs->hb.watch;
    ctx.done = l->progress_done;
    ctx.total = l->progress_total;
    ctx.runner = rs->rep->runner;
    ctx.cadence.seconds = rs->o->checkpoint_seconds;
    ctx.cadence.items = rs->o->checkpoint_items;
    kbj_cadence_start(&ctx.cadence);
    hb_set_job(&rs->hb, l);
    rs->started++;
    (void)kbj_metrics_started(rs->metrics, kbj_unix_time(), l->queue, l->type, l->wait_ms);
    run_t0 = kbj_monotonic();

    if (!t || !t->handler) {
        char msg[160];
        snprintf(msg, sizeof msg, "no handler for job type %s in this runner", l->type);
        rc = kbj_ctx_fail(&ctx, msg, 0);
    } else {
        rc = t->handler(&ctx, t->udata);
    }
    run_ms = (kbj_monotonic() - run_t0) * 1000.0;
    if (!rs->hb.watch.lost)
        (void)kbj_ctx_flush(&ctx);
    cancelled = rs->hb.watch.cancel;
    /* a runner paused past its lease's end completes nothing: the job may be elsewhere */
    lease_lost = rs->hb.watch.lost || kbj_watch_remaining(&rs->hb.watch) <= 0;
    hb_set_job(&rs->hb, NULL);

    if (lease_lost) {
        rs->rep->lost++;
    } else if (rc == KBJ_OK) {
        rs->done[rs->ndone] = *l; /* shallow: the lease array outlives the flush */
        /* a checkpoint may exist from this attempt or, for a resumed job, an earlier one */
        rs->drop_checkpoint[rs->ndone] = ctx.checkpointed || l->attempts > 1 || l->progress_done > 0;
        rs->results[rs->ndone] = ctx.result;
        rs->done_at[rs->ndone] = kbj_unix_time();
        rs->done_ms[rs->ndone] = run_ms;
        ctx.result = NULL;
        rs->ndone++;
    } else {
        wrc = flush_done(rs);
        if (wrc == KBJ_OK) {
            if (rc == KBJ_EJOBFAILED) {
                int retry = 0;
                wrc = kbj_fail_job_result(eng, l, ctx.fail_msg, ctx.fail_retryable, ctx.result, &retry);
                if (wrc == KBJ_OK) {
                    retry ? rs->rep->retried++ : rs->rep->failed++;
                    (void)kbj_metrics_ended(rs->metrics, kbj_unix_time(), l->queue, l->type,
                                            retry ? KBJ_METRIC_RETRIED : KBJ_METRIC_FAILED, run_ms);
                }
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
                if (wrc == KBJ_OK) {
                    retry ? rs->rep->retried++ : rs->rep->failed++;
                    (void)kbj_metrics_ended(rs->metrics, kbj_unix_time(), l->queue, l->type,
                                            retry ? KBJ_METRIC_RETRIED : KBJ_METRIC_FAILED, run_ms);
                }
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

/* After a wake-up whose claim found nothing, wake-ups are not listened for this long
 * (seconds): anyone on the host may send to the socket, and a sender that keeps waking
 * the runner for nothing costs it at most 40 claims a second. */
#define WAKE_QUIET 0.025

/* Waits `seconds`, or until a stop request or a wake-up, calling the idle tick every
 * 20 ms. A wake-up sets rs->woken and is counted. Wake-ups are not listened for until
 * rs->wake_quiet_until (WAKE_QUIET). */
static void idle_wait(run_state *rs, double seconds)
{
    rs->woken = 0;
    for (double until = kbj_monotonic() + seconds, now; (now = kbj_monotonic()) < until && !rs->eng->stop;) {
        double left = until - now;
        int ms = left >= 0.02 ? 20 : (int)ceil(left * 1000);
        if (kbj_wake_wait(now >= rs->wake_quiet_until ? rs->wake_fd : -1, ms)) {
            rs->woken = 1;
            rs->rep->wakeups++;
            return;
        }
        if (rs->o->idle_tick)
            rs->o->idle_tick(rs->o->tick_arg);
    }
}

/* Nothing was claimed: waits before claiming again. Returns "empty" when the run should
 * end (until_empty and nothing due in its window), else NULL. */
static const char *nothing_claimed(run_state *rs, const char *const *queues, size_t nqueues)
{
    const kbj_run_opts *o = rs->o;
    double wait, window;
    if (!o->until_empty) {
        /* the pause doubles with each empty claim (reset by a claim that finds work); the
         * idle wait ends early for an event that comes due during it */
        wait = rs->idle_next;
        rs->idle_next = rs->idle_next * 2 < rs->idle_max ? rs->idle_next * 2 : rs->idle_max;
        if (o->cron_handler)
            wait = sooner(wait, cron_due_within(rs->eng, wait, wait));
        if (o->max_seconds > 0 && rs->t0 + o->max_seconds < kbj_monotonic() + wait)
            wait = rs->t0 + o->max_seconds - kbj_monotonic(); /* the time budget still holds */
        idle_wait(rs, wait);
        return NULL;
    }
    /* a job due in a moment (one waiting for others, deferring itself, or retrying after
     * a short backoff) is waited for, and so is a single event: "empty" means nothing due
     * now or within until_empty_wait_ms. A recurring event counts only once due: one that
     * recurs every minute would otherwise always be within a minute's window, and the run
     * would never be empty. */
    window = o->until_empty_wait_ms ? o->until_empty_wait_ms / 1000.0 : 2.0;
    wait = o->cron_only ? -1 : due_within(rs->eng, queues, nqueues, window);
    if (o->cron_handler)
        wait = sooner(wait, cron_due_within(rs->eng, window, 0));
    if (wait < 0)
        return "empty";
    if (o->max_seconds > 0 && rs->t0 + o->max_seconds < kbj_monotonic() + wait)
        wait = rs->t0 + o->max_seconds - kbj_monotonic(); /* the time budget still holds */
    idle_wait(rs, wait);
    return NULL;
}

/* Runs a claimed batch: dispatches while the budgets last, writes the completions, and
 * gives back the jobs not started. *reason is set when a budget ran out. */
static int run_batch(run_state *rs, kbj_lease *leases, size_t n, const char **reason)
{
    size_t i;
    int rc = KBJ_OK;

    rs->rep->claimed += n;
    for (i = 0; i < n && rc == KBJ_OK; i++) {
        const char *why = i ? budget_spent(rs) : NULL;
        if (why && strcmp(why, "jobs") != 0) {
            *reason = why;
            break;
        }
        rc = dispatch(rs, &leases[i]);
    }
    if (rc == KBJ_OK)
        rc = flush_done(rs);
    if (rc == KBJ_OK)
        metrics_tick(rs, 0);
    /* Jobs claimed but not started go back to their queue. */
    for (; i < n && rc == KBJ_OK; i++) {
        rc = after_write(rs, kbj_release(rs->eng, &leases[i]));
        if (rc == KBJ_OK)
            rs->rep->interrupted++;
    }
    return rc;
}

/* ---- WP-Cron events ------------------------------------------------------------------ */

/* Finished runs not recorded yet are written together once this old (seconds), or when
 * the batch ends: a runner killed in between loses at most that much of their outcomes
 * (the events run again when their leases expire: at least once). */
#define CRON_FLUSH_SECONDS 1.0

/* A claim takes as many events as run in about this long (at least one, at most
 * cron_batch): quick events are claimed many at a time, while slow ones are claimed one
 * by one, so other runners share them and none waits long behind another under a lease
 * it holds. */
#define CRON_CLAIM_SECONDS 0.25

/* Records the outcomes of the finished runs runs[0..n) in one transaction. A run whose
 * lease the database no longer gives it (KBJ_ELEASE) is counted as lost: the event is
 * claimed again elsewhere. */
static int cron_flush(run_state *rs, kbj_cron_run *runs, size_t n)
{
    int *rcs, rc;
    if (n == 0)
        return KBJ_OK;
    if (!(rcs = calloc(n, sizeof *rcs)))
        return kbj_efail(rs->eng, KBJ_ENOMEM, "out of memory");
    rc = kbj_cron_finish_many(rs->eng, runs, n, rcs);
    for (size_t i = 0; rc == KBJ_OK && i < n; i++) {
        if (rcs[i] == KBJ_ELEASE)
            rs->rep->cron_lost++;
        else if (runs[i].failed)
            rs->rep->cron_failed++;
    }
    free(rcs);
    return rc;
}

/* Runs one claimed event through the handler. A handler that returns an error code is
 * a failed run with that error. Returns 1 when its outcome is to be recorded, 0 when the
 * lease ran out on this runner's clock (counted as lost; nothing is written: the event
 * is claimed again elsewhere). */
static int cron_dispatch(run_state *rs, kbj_cron_run *run)
{
    kbj_engine *eng = rs->eng;
    int rc;

    hb_set_job(&rs->hb, NULL); /* clears the watch's lost flag; its deadline is this claim's */
    rs->rep->cron_ran++;
    rc = rs->o->cron_handler(run, rs->o->cron_arg);
    if (rc != KBJ_OK && !run->failed) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s: %s", kbj_strerror(rc), kbj_errmsg(eng));
        run->failed = 1;
        free(run->error);
        run->error = strdup(msg);
    }
    if (kbj_watch_remaining(&rs->hb.watch) <= 0) {
        rs->rep->cron_lost++;
        return 0;
    }
    return 1;
}

/* Claims up to `max` events (only_id: that one, as a run now) in one claim and runs them
 * while the budgets last: between two events the budgets and stop requests apply as
 * between jobs. The outcomes are recorded together (cron_flush); events claimed but not
 * started are given back (kbj_cron_release). *ran: events run. *reason is set when a
 * budget ran out or a stop was requested. */
static int cron_batch(run_state *rs, const char *host, unsigned long long only_id, size_t max, size_t *ran,
                      const char **reason)
{
    kbj_cron_run *runs = NULL;
    size_t n = 0, i, done = 0; /* runs[done..i) ran and wait to be recorded */
    double t0 = kbj_boottime(), flush_t0 = 0, took;
    int ok, rc = kbj_cron_claim(rs->eng, rs->rep->runner, host, (int)getpid(), rs->o->cron_trigger, only_id, max,
                            &runs, &n);
    *ran = 0;
    if (rc || n == 0)
        return rc;
    kbj_watch_claimed(&rs->hb.watch, t0, rs->eng->cfg.lease_seconds);
    for (i = 0; i < n && rc == KBJ_OK; i++) {
        const char *why = i ? budget_spent(rs) : NULL;
        if (why && strcmp(why, "jobs") != 0) {
            *reason = why;
            break;
        }
        /* a lease that ran out on this runner's clock (it was frozen) is the whole
         * claim's: none of the rest is started */
        if (i && kbj_watch_remaining(&rs->hb.watch) <= 0)
            break;
        if (done == i)
            flush_t0 = kbj_monotonic();
        (*ran)++;
        took = kbj_monotonic();
        ok = cron_dispatch(rs, &runs[i]);
        took = kbj_monotonic() - took;
        rs->cron_event_seconds = rs->cron_event_seconds > 0 ? 0.8 * rs->cron_event_seconds + 0.2 * took : took;
        if (!ok) {
            /* lost: not recorded; those before it are, so runs[done..) stays contiguous */
            rc = cron_flush(rs, runs + done, i - done);
            done = i + 1;
        } else if (kbj_monotonic() - flush_t0 >= CRON_FLUSH_SECONDS) {
            rc = cron_flush(rs, runs + done, i + 1 - done);
            done = i + 1;
        }
    }
    if (rc == KBJ_OK)
        rc = cron_flush(rs, runs + done, i - done);
    if (rc == KBJ_OK && i < n) {
        /* claimed, never started: given back as they were (a lease already lost is left
         * to expire, and is recorded as lost by the next claim) */
        int *rcs = calloc(n - i, sizeof *rcs);
        rc = rcs ? kbj_cron_release(rs->eng, runs + i, n - i, rcs) : kbj_efail(rs->eng, KBJ_ENOMEM, "out of memory");
        free(rcs);
    }
    kbj_cron_runs_free(runs, n);
    return rc;
}

/* A round of events before the jobs: up to cron_batch (claimed together), while the
 * budgets last. *ran: how many. *reason is set when a budget ran out or a stop was
 * requested. */
static int cron_round(run_state *rs, const char *host, size_t *ran, const char **reason)
{
    size_t batch = rs->o->cron_batch ? rs->o->cron_batch : KBJ_CRON_BATCH_DEFAULT, one = 1;
    int rc = KBJ_OK;

    *ran = 0;
    while (rc == KBJ_OK && one && *ran < batch && !*reason) {
        const char *why = budget_spent(rs);
        /* the first claim takes one event: how long an event takes is not known yet */
        double fit = rs->cron_event_seconds > 0 ? CRON_CLAIM_SECONDS / rs->cron_event_seconds : 1;
        size_t want = fit >= (double)(batch - *ran) ? batch - *ran : fit >= 1 ? (size_t)fit : 1;
        if (why && strcmp(why, "jobs") != 0) {
            *reason = why;
            break;
        }
        rc = cron_batch(rs, host, 0, want, &one, reason);
        *ran += one;
    }
    return rc;
}

/* Starts the heartbeat thread on a clone of the engine's connection. */
static int hb_start(run_state *rs)
{
    kbj_engine *eng = rs->eng;
    heartbeat *hb = &rs->hb;

    pthread_mutex_init(&hb->mu, NULL);
    pthread_mutex_init(&hb->watch.mu, NULL);
    pthread_cond_init(&hb->cv, NULL);
    kbj_copy(hb->runner, sizeof hb->runner, rs->rep->runner);
    /* every heartbeat_seconds, and at least three times per lease: the beat renews them */
    hb->interval_ms = eng->cfg.heartbeat_seconds * 1000;
    if (hb->interval_ms > eng->cfg.lease_seconds * 1000 / 3)
        hb->interval_ms = eng->cfg.lease_seconds * 1000 / 3;
    if (hb->interval_ms < 200)
        hb->interval_ms = 200;
    hb->stop = &eng->stop;
    hb->grace_seconds = rs->o->grace_seconds ? rs->o->grace_seconds : 30;
    hb->eng = kbj_engine_clone(eng);
    if (!hb->eng || pthread_create(&hb->thread, NULL, heartbeat_main, hb) != 0) {
        int rc = hb->eng ? kbj_efail(eng, KBJ_ENOMEM, "cannot start the heartbeat thread") : KBJ_ECONNECT;
        hb_stop(hb);
        return rc;
    }
    hb->started = 1;
    return KBJ_OK;
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
    if (opts && !opts->cron_handler && (opts->cron_event || opts->cron_only))
        return kbj_efail(eng, KBJ_EINVAL, "options \"cron_event\" and \"cron_only\" need a cron handler");
    if (opts && opts->cron_trigger && !kbj_cron_trigger_valid(opts->cron_trigger))
        return kbj_efail(eng, KBJ_EINVAL, "option \"cron_trigger\" must be 1 to 15 characters of a-z and '-'");
    if (opts && opts->cron_batch > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "option \"cron_batch\" must be between 0 and 1000, got %u",
                         opts->cron_batch);
    if ((rc = kbj_schema_require(eng)))
        return rc; /* a runner of this code on tables it cannot use: say what to do */
    memset(&rs, 0, sizeof rs);
    rs.wake_fd = -1;
    rs.eng = eng;
    rs.o = opts ? opts : &none;
    rs.idle_max = (rs.o->idle_ms ? rs.o->idle_ms : KBJ_DEFAULT_IDLE_MS) / 1000.0;
    rs.idle_min = (rs.o->idle_min_ms ? rs.o->idle_min_ms : 50) / 1000.0;
    if (rs.idle_min > rs.idle_max)
        rs.idle_min = rs.idle_max;
    rs.idle_next = rs.idle_min;
    rs.rep = report ? report : &scratch;
    memset(rs.rep, 0, sizeof *rs.rep);
    rs.t0 = kbj_monotonic();
    queues = rs.o->queues && rs.o->nqueues ? rs.o->queues : fallback;
    nqueues = rs.o->queues && rs.o->nqueues ? rs.o->nqueues : 1;
    for (size_t q = 0; q < nqueues; q++)
        if (!kbj_valid_name(queues[q]))
            return kbj_efail(eng, KBJ_EINVAL, "queue \"%.80s\" must be 1 to 64 characters of a-z, "
                             "0-9, '_', '.' and '-'", queues[q] ? queues[q] : "");
    join_queues(queues, nqueues, qcsv, sizeof qcsv);
    if (rs.o->host)
        kbj_copy(host, sizeof host, rs.o->host);
    else if (gethostname(host, sizeof host) != 0)
        kbj_copy(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';

    rs.done = calloc(eng->cfg.claim_batch, sizeof *rs.done);
    rs.results = calloc(eng->cfg.claim_batch, sizeof *rs.results);
    rs.drop_checkpoint = calloc(eng->cfg.claim_batch, 1);
    rs.done_at = calloc(eng->cfg.claim_batch, sizeof *rs.done_at);
    rs.done_ms = calloc(eng->cfg.claim_batch, sizeof *rs.done_ms);
    rs.refused = calloc(eng->cfg.claim_batch, 1);
    if (!rs.done || !rs.results || !rs.drop_checkpoint || !rs.done_at || !rs.done_ms || !rs.refused) {
        free(rs.done);
        free(rs.results);
        free(rs.drop_checkpoint);
        free(rs.done_at);
        free(rs.done_ms);
        free(rs.refused);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    rc = kbj_runner_register_cron(eng, host, (int)getpid(), rs.o->version, qcsv, rs.o->cron_handler != NULL,
                                  rs.rep->runner);
    if (rc)
        goto out_free;
    if (!(rs.metrics = kbj_metrics_new(rs.rep->runner))) {
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        goto out_stopped;
    }
    kbj_metrics_sync(rs.metrics, eng->st);
    /* no socket (no_wake, a name that cannot be bound): the runner polls, nothing else */
    if (!rs.o->no_wake && !rs.o->cron_event)
        rs.wake_fd = kbj_wake_listen(eng->wake_site, rs.rep->runner);

    if ((rc = hb_start(&rs)))
        goto out_stopped;

    if (rs.o->cron_event) {
        /* one event, now, whatever its due time; then return */
        size_t ran = 0;
        const char *why = NULL;
        rc = cron_batch(&rs, host, rs.o->cron_event, 1, &ran, &why);
        reason = "event";
    }

    while (rc == KBJ_OK && !reason) {
        kbj_lease *leases = NULL;
        double claim_t0;
        size_t n = 0, events = 0, want = rs.o->claim_batch && rs.o->claim_batch < eng->cfg.claim_batch
                                              ? rs.o->claim_batch : eng->cfg.claim_batch;

        /* an idle runner still writes what it counted (its loop comes by every idle_ms) */
        metrics_tick(&rs, 0);
        if ((reason = budget_spent(&rs)))
            break;
        /* wake-ups that came before this claim are answered by it */
        (void)kbj_wake_wait(rs.wake_fd, 0);
        if (rs.o->cron_handler) {
            rc = cron_round(&rs, host, &events, &reason);
            if (rc || reason)
                break;
            if (events)
                rs.idle_next = rs.idle_min;
            if (rs.o->cron_only) {
                if (events == 0 && (reason = nothing_claimed(&rs, queues, nqueues)))
                    break;
                continue;
            }
            if ((reason = budget_spent(&rs)))
                break;
        }
        if (kbj_monotonic() - last_reap >= eng->cfg.lease_seconds / 2.0) {
            rc = kbj_reap(eng, NULL);
            if (rc)
                break;
            last_reap = kbj_monotonic();
        }
        if (rs.o->max_jobs && rs.o->max_jobs - rs.started < want)
            want = rs.o->max_jobs - rs.started;
        claim_t0 = kbj_boottime();
        /* idle (the last claim found nothing) and not woken: look before claiming */
        if (rs.idle && !rs.woken && events == 0 && !anything_due(eng, queues, nqueues))
            n = 0;
        else if ((rc = kbj_claim(eng, rs.rep->runner, queues, nqueues, want, &leases, &n)))
            break;
        rs.idle = n == 0;
        if (n) {
            kbj_watch_claimed(&rs.hb.watch, claim_t0, eng->cfg.lease_seconds);
            rs.idle_next = rs.idle_min;
        } else if (rs.woken && events == 0) {
            rs.wake_quiet_until = kbj_monotonic() + WAKE_QUIET;
        }
        if (n == 0) {
            if (events == 0 && (reason = nothing_claimed(&rs, queues, nqueues)))
                break;
            continue;
        }
        rc = run_batch(&rs, leases, n, &reason);
        kbj_leases_free(leases, n);
        if (reason)
            break;
    }
    hb_stop(&rs.hb);
out_stopped:
    if (rs.metrics) {
        /* what was counted is written when the run ends, whatever ended it, keeping
         * the run's own error on the handle */
        char keep[sizeof kbj_store_err(eng->st)->msg];
        memcpy(keep, kbj_errmsg(eng), sizeof keep);
        metrics_tick(&rs, 1);
        memcpy(kbj_store_err(eng->st)->msg, keep, sizeof keep);
    }
    kbj_metrics_free(rs.metrics);
    if (rs.wake_fd >= 0)
        close(rs.wake_fd);
    (void)kbj_runner_stopped(eng, rs.rep->runner);
out_free:
    for (size_t i = 0; i < rs.ndone; i++)
        free(rs.results[i]);
    free(rs.done);
    free(rs.results);
    free(rs.drop_checkpoint);
    free(rs.done_at);
    free(rs.done_ms);
    free(rs.refused);
    rs.rep->elapsed = kbj_monotonic() - rs.t0;
    kbj_copy(rs.rep->stop_reason, sizeof rs.rep->stop_reason, rc ? "error" : reason ? reason : "requested");
    eng->stop = 0;
    return rc;
}

void kbj_request_stop(kbj_engine *eng)
{
    if (eng)
        eng->stop = 1;
}
