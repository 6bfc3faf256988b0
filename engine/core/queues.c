/*
 * queues.c - named queues with limits enforced in the database, so that every runner
 * on every host obeys the same ones: a concurrency limit (jobs running across all
 * runners), a token-bucket rate limit (N starts per period), and a pause flag. A claim
 * locks the queue's settings row for the length of its short transaction, so two
 * runners cannot both take the last free slot or the last token.
 */
#include "internal.h"

#include <math.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>

static int check_name(kbj_engine *eng, const char *queue)
{
    if (!kbj_valid_name(queue))
        return kbj_efail(eng, KBJ_EINVAL, "queue \"%.80s\" must be 1 to 64 characters of a-z, 0-9, '_', "
                         "'.' and '-'", queue ? queue : "");
    return KBJ_OK;
}

int kbj_queue_admit(kbj_engine *eng, const char *queue, size_t want, size_t *allowed, int *rate_limited)
{
    kbj_rows *rows = NULL;
    long long max_running, rate, period, elapsed_us;
    double tokens;
    int rc;

    *allowed = want;
    *rate_limited = 0;
    /* Most sites set no queue limits: then a claim skips the settings lookup, checking
     * at most once a second whether any queue has settings (so settings made on another
     * host apply within a second; this engine's own apply at once). */
    if (kbj_monotonic() - eng->queues_checked_at >= 1.0) {
        rc = kbj_store_query(eng->st, "SELECT EXISTS (SELECT 1 FROM {p}kbjobs_queues)", NULL, 0, &rows);
        if (rc == KBJ_EDB && kbj_store_errno(eng->st) == 1146) {
            kbj_store_err(eng->st)->msg[0] = '\0';
            return KBJ_OK; /* a schema from before queues: no limits */
        }
        if (rc)
            return rc;
        eng->queues_exist = (int)kbj_rows_int(rows, 0, 0);
        eng->queues_checked_at = kbj_monotonic();
        kbj_rows_free(rows);
        rows = NULL;
    }
    if (!eng->queues_exist)
        return KBJ_OK;
    rc = kbj_store_query(eng->st, "SELECT max_running, rate_limit, rate_period_ms, tokens,"
                         " TIMESTAMPDIFF(MICROSECOND, tokens_at, NOW(6)), paused"
                         " FROM {p}kbjobs_queues WHERE name = ? FOR UPDATE",
                         (kbj_val[]){ KBJ_VS(queue) }, 1, &rows);
    if (rc || kbj_rows_count(rows) == 0) {
        kbj_rows_free(rows);
        return rc; /* no settings: no limits */
    }
    max_running = kbj_rows_int(rows, 0, 0);
    rate = kbj_rows_int(rows, 0, 1);
    period = kbj_rows_int(rows, 0, 2);
    tokens = kbj_dbtime(kbj_rows_str(rows, 0, 3));
    elapsed_us = kbj_rows_int(rows, 0, 4);
    if (kbj_rows_int(rows, 0, 5)) {
        kbj_rows_free(rows);
        *allowed = 0;
        return KBJ_OK;
    }
    kbj_rows_free(rows);
    if (max_running > 0) {
        long long running;
        rc = kbj_store_query(eng->st, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'running' AND queue = ?",
                             (kbj_val[]){ KBJ_VS(queue) }, 1, &rows);
        if (rc)
            return rc;
        running = kbj_rows_int(rows, 0, 0);
        kbj_rows_free(rows);
        /* One job per claim: a claim's jobs run one after another, so a batch would hold
         * slots of the limit for jobs not yet started, and fewer would run at once. */
        *allowed = running >= max_running ? 0 : 1;
    }
    if (rate > 0 && period > 0) {
        double have = tokens + (double)(elapsed_us > 0 ? elapsed_us : 0) / 1000.0 * (double)rate / (double)period;
        if (have > (double)rate)
            have = (double)rate;
        if ((double)*allowed > floor(have))
            *allowed = (size_t)floor(have);
        *rate_limited = 1;
    }
    return KBJ_OK;
}

int kbj_queue_consume(kbj_engine *eng, const char *queue, size_t n)
{
    /* refill to now, then take n; tokens_at moves to now */
    return kbj_store_exec(eng->st,
        "UPDATE {p}kbjobs_queues SET tokens = GREATEST(0, LEAST(rate_limit, tokens +"
        " TIMESTAMPDIFF(MICROSECOND, tokens_at, NOW(6)) / 1000.0 * rate_limit / rate_period_ms) - ?),"
        " tokens_at = NOW(6) WHERE name = ?",
        (kbj_val[]){ KBJ_VI(n), KBJ_VS(queue) }, 2, NULL);
}

typedef struct qset_work {
    kbj_engine *eng;
    const char *queue;
    unsigned max_running, rate, period_ms;
    int paused, set_limits;
} qset_work;

static int qset_do(kbj_store *st, void *arg)
{
    qset_work *w = arg;
    w->eng->queues_checked_at = -1e9; /* look again at the next claim */
    if (w->set_limits)
        /* a new or changed rate starts with a full bucket */
        return kbj_store_exec(st, "INSERT INTO {p}kbjobs_queues (name, max_running, rate_limit, rate_period_ms,"
                              " tokens, tokens_at, paused, updated_at) VALUES (?, ?, ?, ?, ?, NOW(6), 0, NOW(6))"
                              " ON DUPLICATE KEY UPDATE max_running = VALUES(max_running),"
                              " rate_limit = VALUES(rate_limit), rate_period_ms = VALUES(rate_period_ms),"
                              " tokens = VALUES(tokens), tokens_at = NOW(6), updated_at = NOW(6)",
                              (kbj_val[]){ KBJ_VS(w->queue), KBJ_VI(w->max_running), KBJ_VI(w->rate),
                                           KBJ_VI(w->period_ms), KBJ_VI(w->rate) }, 5, NULL);
    return kbj_store_exec(st, "INSERT INTO {p}kbjobs_queues (name, tokens_at, paused, updated_at)"
                          " VALUES (?, NOW(6), ?, NOW(6)) ON DUPLICATE KEY UPDATE paused = VALUES(paused),"
                          " updated_at = NOW(6)", (kbj_val[]){ KBJ_VS(w->queue), KBJ_VI(w->paused) }, 2, NULL);
}

int kbj_queue_set(kbj_engine *eng, const char *queue, unsigned max_running, unsigned rate,
                  unsigned period_ms)
{
    qset_work w = { eng, queue, max_running, rate, period_ms, 0, 1 };
    int rc;
    if (!eng)
        return KBJ_EINVAL;
    if ((rc = check_name(eng, queue)))
        return rc;
    if (max_running > 100000)
        return kbj_efail(eng, KBJ_EINVAL, "a concurrency limit of %u is out of range 0..100000", max_running);
    if (rate > 1000000 || (rate && (period_ms < 1 || period_ms > 86400000u)))
        return kbj_efail(eng, KBJ_EINVAL, "a rate limit needs 1 to 1000000 starts per 1 ms to 24 h");
    if (!rate)
        w.period_ms = 0;
    return kbj_store_do(eng->st, qset_do, &w);
}

int kbj_queue_pause(kbj_engine *eng, const char *queue, int paused)
{
    qset_work w = { eng, queue, 0, 0, 0, paused ? 1 : 0, 0 };
    int rc;
    if (!eng)
        return KBJ_EINVAL;
    if ((rc = check_name(eng, queue)))
        return rc;
    return kbj_store_do(eng->st, qset_do, &w);
}

#define STATS_SQL                                                                                     \
    "SELECT q.name, COALESCE(s.max_running, 0), COALESCE(s.rate_limit, 0), COALESCE(s.rate_period_ms, 0)," \
    " COALESCE(s.paused, 0),"                                                                          \
    " (SELECT COUNT(*) FROM {p}kbjobs_jobs j WHERE j.status = 'queued' AND j.queue = q.name),"        \
    " (SELECT COUNT(*) FROM {p}kbjobs_jobs j WHERE j.status = 'running' AND j.queue = q.name),"       \
    " (SELECT COUNT(*) FROM {p}kbjobs_jobs j WHERE j.status = 'queued' AND j.queue = q.name"          \
    "   AND j.run_at <= NOW(6)),"                                                                      \
    " (SELECT TIMESTAMPDIFF(MICROSECOND, MIN(j.run_at), NOW(6)) FROM {p}kbjobs_jobs j"                \
    "   WHERE j.status = 'queued' AND j.queue = q.name AND j.run_at <= NOW(6)),"                       \
    /* started in the last minute: running, or finished since (read by the finished index) */          \
    " (SELECT COUNT(*) FROM {p}kbjobs_jobs j WHERE j.status = 'running'"                              \
    "   AND j.queue = q.name AND j.started_at > NOW(6) - INTERVAL 1 MINUTE)"                           \
    " + (SELECT COUNT(*) FROM {p}kbjobs_jobs j WHERE j.finished_at > NOW(6) - INTERVAL 1 MINUTE"     \
    "   AND j.status IN ('completed', 'failed') AND j.queue = q.name"                                  \
    "   AND j.started_at > NOW(6) - INTERVAL 1 MINUTE),"                                               \
    " COALESCE(s.tokens, 0), COALESCE(TIMESTAMPDIFF(MICROSECOND, s.tokens_at, NOW(6)), 0),"          \
    " UNIX_TIMESTAMP(NOW(6))"

static void stats_from_row(const kbj_rows *r, size_t i, kbj_queue_stats *s)
{
    double tokens, elapsed_ms, now;
    memset(s, 0, sizeof *s);
    kbj_copy(s->name, sizeof s->name, kbj_rows_str(r, i, 0));
    s->max_running = (unsigned)kbj_rows_int(r, i, 1);
    s->rate = (unsigned)kbj_rows_int(r, i, 2);
    s->period_ms = (unsigned)kbj_rows_int(r, i, 3);
    s->paused = (int)kbj_rows_int(r, i, 4);
    s->queued = kbj_rows_int(r, i, 5);
    s->running = kbj_rows_int(r, i, 6);
    s->due = kbj_rows_int(r, i, 7);
    s->oldest_due_age = (double)kbj_rows_int(r, i, 8) / 1e6;
    s->started_last_minute = kbj_rows_int(r, i, 9);
    tokens = kbj_dbtime(kbj_rows_str(r, i, 10));
    elapsed_ms = (double)kbj_rows_int(r, i, 11) / 1000.0;
    now = kbj_dbtime(kbj_rows_str(r, i, 12));
    if (s->paused) {
        kbj_copy(s->blocked, sizeof s->blocked, "paused");
    } else if (s->max_running && s->running >= (long long)s->max_running) {
        kbj_copy(s->blocked, sizeof s->blocked, "concurrency");
    } else if (s->rate && s->period_ms) {
        double per_ms = (double)s->rate / (double)s->period_ms;
        double have = tokens + elapsed_ms * per_ms;
        if (have > s->rate)
            have = s->rate;
        if (have < 1) {
            kbj_copy(s->blocked, sizeof s->blocked, "rate");
            s->rate_limited_until = now + (1 - have) / per_ms / 1000.0;
        }
    }
}

typedef struct qstats_work {
    kbj_engine *eng;
    const char *queue;
    kbj_queue_stats *one;
    kbj_queue_stats **many;
    size_t *n;
} qstats_work;

static int qstats_do(kbj_store *st, void *arg)
{
    qstats_work *w = arg;
    kbj_rows *rows = NULL;
    int rc;
    if (w->one) {
        rc = kbj_store_query(st, STATS_SQL " FROM (SELECT ? AS name) q LEFT JOIN {p}kbjobs_queues s ON s.name = q.name",
                             (kbj_val[]){ KBJ_VS(w->queue) }, 1, &rows);
        if (rc == KBJ_OK)
            stats_from_row(rows, 0, w->one);
        kbj_rows_free(rows);
        return rc;
    }
    rc = kbj_store_query(st, STATS_SQL " FROM (SELECT name FROM {p}kbjobs_queues UNION SELECT DISTINCT queue"
                         " FROM {p}kbjobs_jobs WHERE status IN ('queued', 'running', 'interrupted')) q"
                         " LEFT JOIN {p}kbjobs_queues s ON s.name = q.name ORDER BY q.name LIMIT 1000",
                         NULL, 0, &rows);
    if (rc)
        return rc;
    *w->n = kbj_rows_count(rows);
    *w->many = calloc(*w->n ? *w->n : 1, sizeof **w->many);
    if (!*w->many) {
        kbj_rows_free(rows);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < *w->n; i++)
        stats_from_row(rows, i, &(*w->many)[i]);
    kbj_rows_free(rows);
    return KBJ_OK;
}

int kbj_queue_stats_get(kbj_engine *eng, const char *queue, kbj_queue_stats *out)
{
    qstats_work w = { eng, queue, out, NULL, NULL };
    int rc;
    if (!eng || !out)
        return KBJ_EINVAL;
    if ((rc = check_name(eng, queue)))
        return rc;
    return kbj_store_do(eng->st, qstats_do, &w);
}

int kbj_queues_list(kbj_engine *eng, kbj_queue_stats **out, size_t *n)
{
    qstats_work w = { eng, NULL, NULL, out, n };
    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    return kbj_store_do(eng->st, qstats_do, &w);
}
