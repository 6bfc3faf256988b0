/*
 * why.c - why a queued job is not running: the first of its queue's pause, its run-at
 * time, a running job holding its concurrency key or one of its resources, its queue's
 * concurrency limit and its queue's token bucket that holds it back, or none (it waits
 * for a runner), as a code and a sentence an operator can act on.
 *
 * The order is the one that matters to an operator: a paused queue starts nothing, so
 * it is named even for a job scheduled for later; a job not yet due would not start
 * even if its key were free; a held key or resource outlasts the queue's limits, which
 * free up as soon as any job of the queue ends. The queue's part comes from the queue
 * stats (queues.c), which already say why a queue is blocked; the key and resource
 * checks read the guard rows a claim takes (lease.c). Nothing here locks or writes.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

/* What the job's row says. */
typedef struct why_work {
    kbj_engine *eng;
    const char *id;
    kbj_why *out;
    unsigned long long pk;
    char status[16];
    double run_at;
    int later;                    /* run_at is after the database's NOW(6) */
    char ckey[KBJ_KEY_MAX + 1];   /* "" when it has none */
} why_work;

/* A Unix time as ISO 8601 UTC to the second ("2026-12-05T17:40:00Z"), rounded up: a
 * job shown as starting at 17:40:00 does not start before it. */
static void iso_time(double t, char out[32])
{
    time_t s = (time_t)ceil(t);
    struct tm tm;
    if (!gmtime_r(&s, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        kbj_copy(out, 32, "an unknown time");
}

static void set_code(kbj_why *out, const char *code, double until)
{
    kbj_copy(out->code, sizeof out->code, code);
    out->until = until;
}

static int read_job_do(kbj_store *st, void *arg)
{
    why_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT id, status, queue, attempts, " KBJ_SQL_UNIX("run_at") ", run_at > NOW(6),"
                             " concurrency_key FROM {p}kbjobs_jobs WHERE public_id = ?",
                             (kbj_val[]){ KBJ_VS(w->id) }, 1, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows) == 0) {
        kbj_rows_free(rows);
        return kbj_efail(w->eng, KBJ_ENOTFOUND, "no job %s", w->id);
    }
    w->pk = (unsigned long long)kbj_rows_int(rows, 0, 0);
    kbj_copy(w->status, sizeof w->status, kbj_rows_str(rows, 0, 1));
    kbj_copy(w->out->queue, sizeof w->out->queue, kbj_rows_str(rows, 0, 2));
    w->out->attempt = (int)kbj_rows_int(rows, 0, 3);
    w->run_at = kbj_dbtime(kbj_rows_str(rows, 0, 4));
    w->later = (int)kbj_rows_int(rows, 0, 5);
    kbj_copy(w->ckey, sizeof w->ckey, kbj_rows_str(rows, 0, 6));
    kbj_rows_free(rows);
    return KBJ_OK;
}

/* The running job holding the job's concurrency key: 1 (out->holder set; "" when the
 * guard row's job is gone), 0 when the key is free or the job has none, or an error. */
static int key_held(kbj_store *st, why_work *w)
{
    kbj_rows *rows = NULL;
    int rc, held;
    if (!w->ckey[0])
        return 0;
    rc = kbj_store_query(st, "SELECT h.public_id FROM {p}kbjobs_keys k LEFT JOIN {p}kbjobs_jobs h"
                         " ON h.id = k.job_id WHERE k.ckey = ?", (kbj_val[]){ KBJ_VS(w->ckey) }, 1, &rows);
    if (rc)
        return rc;
    held = kbj_rows_count(rows) > 0;
    if (held)
        kbj_copy(w->out->holder, sizeof w->out->holder, kbj_rows_str(rows, 0, 0));
    kbj_rows_free(rows);
    return held;
}

/* The first (by name) of the job's resources that a running job holds: 1 with
 * out->resource and out->holder set, 0 when all are free, or an error. */
static int resource_held(kbj_store *st, why_work *w)
{
    kbj_rows *rows = NULL;
    int rc, held;
    rc = kbj_store_query(st, "SELECT r.name, h.public_id FROM {p}kbjobs_resources r"
                         " JOIN {p}kbjobs_keys k ON k.ckey = CONCAT('res:', r.name)"
                         " LEFT JOIN {p}kbjobs_jobs h ON h.id = k.job_id"
                         " WHERE r.job_id = ? ORDER BY r.name LIMIT 1", (kbj_val[]){ KBJ_VI(w->pk) }, 1, &rows);
    if (rc)
        return rc;
    held = kbj_rows_count(rows) > 0;
    if (held) {
        kbj_copy(w->out->resource, sizeof w->out->resource, kbj_rows_str(rows, 0, 0));
        kbj_copy(w->out->holder, sizeof w->out->holder, kbj_rows_str(rows, 0, 1));
    }
    kbj_rows_free(rows);
    return held;
}

/* Who holds a guard row, for a message: "running job <id>", or a plain phrase should
 * the row's job be gone (guard rows are deleted with their job: a damaged table only). */
static void holder_phrase(const kbj_why *o, char out[48])
{
    if (o->holder[0])
        snprintf(out, 48, "running job %s", o->holder);
    else
        kbj_copy(out, 48, "a job that no longer exists");
}

/* May run twice (after a lost connection): it starts over each time. */
static int held_do(kbj_store *st, void *arg)
{
    why_work *w = arg;
    kbj_why *o = w->out;
    char by[48];
    int rc;

    o->holder[0] = o->resource[0] = '\0';
    rc = key_held(st, w);
    if (rc > 0) {
        holder_phrase(o, by);
        set_code(o, "concurrency_key", 0);
        snprintf(o->message, sizeof o->message, "its concurrency key \"%s\" is held by %s", w->ckey, by);
        return KBJ_OK;
    }
    if (rc < 0)
        return rc;
    rc = resource_held(st, w);
    if (rc > 0) {
        holder_phrase(o, by);
        set_code(o, "resource", 0);
        snprintf(o->message, sizeof o->message, "waiting for resource %s, held by %s", o->resource, by);
    }
    return rc < 0 ? rc : KBJ_OK;
}

/* Not yet due: scheduled (never ran) or retrying (after a failed attempt). */
static void explain_later(why_work *w)
{
    kbj_why *o = w->out;
    char at[32];
    iso_time(w->run_at, at);
    if (o->attempt == 0) {
        set_code(o, "scheduled", w->run_at);
        snprintf(o->message, sizeof o->message, "scheduled for %s", at);
    } else {
        set_code(o, "retrying", w->run_at);
        snprintf(o->message, sizeof o->message, "retrying at %s after attempt %d failed", at, o->attempt);
    }
}

/* What the queue's stats say blocks it (concurrency or rate), or that it waits for a
 * runner. */
static void explain_queue(why_work *w, const kbj_queue_stats *qs)
{
    kbj_why *o = w->out;
    if (strcmp(qs->blocked, "concurrency") == 0) {
        set_code(o, "concurrency", 0);
        snprintf(o->message, sizeof o->message, "queue %s is at its concurrency limit %lld/%u", o->queue,
                 qs->running, qs->max_running);
    } else if (strcmp(qs->blocked, "rate") == 0) {
        char at[32];
        iso_time(qs->rate_limited_until, at);
        set_code(o, "rate_limited", qs->rate_limited_until);
        snprintf(o->message, sizeof o->message, "queue %s is rate limited until %s", o->queue, at);
    } else {
        set_code(o, "ready", 0);
        snprintf(o->message, sizeof o->message, "due and free to start: waiting for a runner that takes "
                 "queue %s", o->queue);
    }
}

int kbj_job_why(kbj_engine *eng, const char *id, kbj_why *out)
{
    why_work w;
    kbj_queue_stats qs;
    int rc;

    if (!eng)
        return KBJ_EINVAL;
    if (!out)
        return kbj_efail(eng, KBJ_EINVAL, "no kbj_why to fill given");
    memset(out, 0, sizeof *out);
    if (!kbj_valid_id(id))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id (16 hex characters)", id ? id : "");
    memset(&w, 0, sizeof w);
    w.eng = eng;
    w.id = id;
    w.out = out;
    if ((rc = kbj_store_do(eng->st, read_job_do, &w)))
        return rc;
    if (strcmp(w.status, "queued") != 0) {
        snprintf(out->message, sizeof out->message, "job %s is %s, not queued", id, w.status);
        return KBJ_OK;
    }
    if ((rc = kbj_queue_blocked(eng, out->queue, &qs)))
        return rc;
    out->running = qs.running;
    out->limit = qs.max_running;
    if (qs.paused) {
        set_code(out, "paused", 0);
        snprintf(out->message, sizeof out->message, "queue %s is paused", out->queue);
        return KBJ_OK;
    }
    if (w.later) {
        explain_later(&w);
        return KBJ_OK;
    }
    if ((rc = kbj_store_do(eng->st, held_do, &w)))
        return rc;
    if (!out->code[0])
        explain_queue(&w, &qs);
    return KBJ_OK;
}
