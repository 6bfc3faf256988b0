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
#include <string.h>

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
        rc = kbj_store_query(eng->st, "SELECT COUNT(*) FROM {p}kbjobs_job_state WHERE status = 'running' AND queue = ?",
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

/* A queue's settings and the database's clock: the token bucket is computed against it */
#define SETTINGS_COLS                                                                               \
    " COALESCE(s.max_running, 0), COALESCE(s.rate_limit, 0), COALESCE(s.rate_period_ms, 0),"         \
    " COALESCE(s.paused, 0), COALESCE(s.tokens, 0),"                                                  \
    " COALESCE(TIMESTAMPDIFF(MICROSECOND, s.tokens_at, NOW(6)), 0), UNIX_TIMESTAMP(NOW(6))"

/* The blocked reason from the settings and the counts (the bucket refilled to `now`). */
static void stats_blocked(kbj_queue_stats *s, double tokens, double elapsed_ms, double now)
{
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

static void set_reason(kbj_queue_stats *s, const char *code, double until)
{
    kbj_copy(s->reason_code, sizeof s->reason_code, code);
    s->reason_until = until;
}

void kbj_queue_reason(kbj_queue_stats *s)
{
    s->reason_code[0] = s->reason[0] = '\0';
    s->reason_until = 0;
    if (s->paused) {
        set_reason(s, "paused", 0);
        kbj_copy(s->reason, sizeof s->reason, "paused");
    } else if (s->due <= 0 && s->held > 0) {
        set_reason(s, "held", 0);
        snprintf(s->reason, sizeof s->reason, "held: %s%lld in backlog %s", s->held_how ? "~" : "", s->held,
                 s->held_backlog[0] ? s->held_backlog : "(none)");
    } else if (s->due <= 0) {
        set_reason(s, "idle", 0);
        kbj_copy(s->reason, sizeof s->reason, "nothing due");
    } else if (strcmp(s->blocked, "concurrency") == 0) {
        set_reason(s, "concurrency", 0);
        snprintf(s->reason, sizeof s->reason, "at concurrency %lld/%u", s->running, s->max_running);
    } else if (strcmp(s->blocked, "rate") == 0) {
        /* rounded up: no job starts before the second shown */
        time_t t = (time_t)ceil(s->rate_limited_until);
        struct tm tm;
        char hms[16] = "??:??:??";
        if (gmtime_r(&t, &tm))
            strftime(hms, sizeof hms, "%H:%M:%S", &tm);
        set_reason(s, "rate", s->rate_limited_until);
        snprintf(s->reason, sizeof s->reason, "rate limited until %s UTC", hms);
    }
}

/* An internal flag: only what `blocked` needs (settings and running jobs), for why.c. */
#define QSTATS_BLOCKED_ONLY 0x100

/*
 * A queue's numbers, each bounded by the claim index (status, queue, priority, run_at,
 * id): queued and running as counts of one (status, queue) range; the oldest queued
 * job's run_at per priority by a loose index scan (one row per priority in use, where
 * MIN(run_at) over all priorities would read the whole backlog); due as a count over
 * (status, queue, priority, run_at <= now) for the priorities that have a due job, so
 * the jobs scheduled later are never read; started in the last complete minute from the
 * runners' minute metrics, a few rows per runner and type.
 */
static int stats_counts(kbj_store *st, int flags, kbj_queue_stats *s, double now)
{
    static const char *const cond[] = { "{p}kbjobs_job_state WHERE status = 'queued' AND queue = ?",
                                        "{p}kbjobs_job_state WHERE status = 'running' AND queue = ?" };
    char from[600];
    size_t off, np = 0;
    kbj_val v[30];
    kbj_rows *rows = NULL;
    double oldest = 0;
    unsigned long long c = 0;
    int rc;

    v[0] = KBJ_VS(s->name);
    if ((rc = kbj_count_rows(st, cond[1], v, 1, flags, &c, &s->running_how)))
        return rc;
    s->running = (long long)c;
    if (flags & QSTATS_BLOCKED_ONLY)
        return KBJ_OK;
    if ((rc = kbj_count_rows(st, cond[0], v, 1, flags, &c, &s->queued_how)))
        return rc;
    s->queued = (long long)c;
    if (s->queued > 0) {
        /* a loose index scan by hand: the first row of each priority in the claim index
         * is its oldest run_at, one row read per priority (the optimizer's own loose scan
         * of GROUP BY priority is a choice it makes on cost, and on a small backlog it
         * reads every row instead) */
        long long after = -32769; /* below any SMALLINT */
        off = (size_t)snprintf(from, sizeof from, "%s AND priority IN (", cond[0]);
        for (int k = 0; k < 64; k++) { /* a queue using more priorities: the first 64 */
            double age;
            rc = kbj_store_query(st, "SELECT priority, TIMESTAMPDIFF(MICROSECOND, run_at, NOW(6))"
                                 " FROM {p}kbjobs_job_state"
                                 " WHERE status = 'queued' AND queue = ? AND priority > ?"
                                 " ORDER BY priority, run_at LIMIT 1", (kbj_val[]){ KBJ_VS(s->name), KBJ_VI(after) },
                                 2, &rows);
            if (rc)
                return rc;
            if (kbj_rows_count(rows) == 0) {
                kbj_rows_free(rows);
                break;
            }
            after = kbj_rows_int(rows, 0, 0);
            age = (double)kbj_rows_int(rows, 0, 1) / 1e6;
            kbj_rows_free(rows);
            if (age < 0)
                continue; /* nothing of this priority is due */
            if (age > oldest)
                oldest = age;
            if (np < 28) {
                off += (size_t)snprintf(from + off, sizeof from - off, "%s?", np ? ", " : "");
                v[1 + np] = KBJ_VI(after);
            }
            np++;
        }
        s->oldest_due_age = oldest;
        if (np > 28) /* more priorities in use than a statement's list: not bounded by them */
            snprintf(from, sizeof from, "%s AND run_at <= NOW(6)", cond[0]);
        else
            snprintf(from + off, sizeof from - off, ") AND run_at <= NOW(6)");
        if (np && (rc = kbj_count_rows(st, from, v, np > 28 ? 1 : 1 + np, flags, &c, &s->due_how)))
            return rc;
        s->due = np ? (long long)c : 0;
    }
    /* held jobs (backlogs not released) from the same index, and the backlog of the
     * first of them, for the reason a queue with nothing else to do is not fed */
    if ((rc = kbj_count_rows(st, "{p}kbjobs_job_state WHERE status = 'held' AND queue = ?", v, 1, flags, &c,
                             &s->held_how)))
        return rc;
    s->held = (long long)c;
    if (s->held > 0) {
        rc = kbj_store_query(st, "SELECT backlog FROM {p}kbjobs_job_state WHERE status = 'held' AND queue = ? LIMIT 1",
                             v, 1, &rows);
        if (rc)
            return rc;
        if (kbj_rows_count(rows))
            kbj_copy(s->held_backlog, sizeof s->held_backlog, kbj_rows_str(rows, 0, 0));
        kbj_rows_free(rows);
    }
    /* the runners' own rows (res 0) and, once merged, the runner-free ones (res 60):
     * a merge moves rows from one to the other in one transaction, so one statement
     * counts each start once */
    rc = kbj_store_query(st, "SELECT COALESCE(SUM(started), 0) FROM {p}kbjobs_metrics"
                         " WHERE res IN (0, 60) AND t = ? AND queue = ?",
                         (kbj_val[]){ KBJ_VI(((long long)now / 60 - 1) * 60), KBJ_VS(s->name) }, 2, &rows);
    if (rc)
        return rc;
    s->started_last_minute = kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return KBJ_OK;
}

typedef struct qstats_work {
    kbj_engine *eng;
    const char *queue;
    int flags;
    kbj_queue_stats *one;
    kbj_queue_stats **many;
    size_t *n;
} qstats_work;

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const kbj_queue_stats *)a)->name, ((const kbj_queue_stats *)b)->name);
}

/* The queues to report: those with settings, and those with jobs queued, running,
 * interrupted or held, found by a loose scan of the claim index (GROUP BY its first two parts
 * reads a row or two per (status, queue), not the jobs); sorted, unique, at most 1000. */
static int qstats_names(qstats_work *w, kbj_rows *settings, kbj_queue_stats **out, size_t *n)
{
    kbj_rows *rows = NULL;
    kbj_queue_stats *a;
    size_t m = 0, cap;
    int rc;

    rc = kbj_store_query(w->eng->st, "SELECT status, queue FROM {p}kbjobs_job_state"
                         " WHERE status IN ('queued', 'running', 'interrupted', 'held') GROUP BY status, queue",
                         NULL, 0, &rows);
    if (rc)
        return rc;
    cap = kbj_rows_count(rows) + kbj_rows_count(settings) + 1;
    if (!(a = calloc(cap, sizeof *a))) {
        kbj_rows_free(rows);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < kbj_rows_count(settings); i++)
        kbj_copy(a[m++].name, sizeof a->name, kbj_rows_str(settings, i, 0));
    for (size_t i = 0; i < kbj_rows_count(rows); i++)
        kbj_copy(a[m++].name, sizeof a->name, kbj_rows_str(rows, i, 1));
    kbj_rows_free(rows);
    qsort(a, m, sizeof *a, name_cmp);
    *n = 0;
    for (size_t i = 0; i < m && *n < 1000; i++)
        if (*n == 0 || strcmp(a[*n - 1].name, a[i].name) != 0)
            memmove(&a[(*n)++], &a[i], sizeof *a);
    *out = a;
    return KBJ_OK;
}

static int qstats_do(kbj_store *st, void *arg)
{
    qstats_work *w = arg;
    kbj_rows *settings = NULL;
    kbj_queue_stats *all = NULL;
    size_t n = 0;
    double now;
    int rc;

    if (w->one) {
        /* one row: the settings, or zeros, and the clock */
        rc = kbj_store_query(st, "SELECT q.name," SETTINGS_COLS " FROM (SELECT ? AS name) q"
                             " LEFT JOIN {p}kbjobs_queues s ON s.name = q.name", (kbj_val[]){ KBJ_VS(w->queue) }, 1,
                             &settings);
        if (rc)
            return rc;
        now = kbj_dbtime(kbj_rows_str(settings, 0, 7));
        all = w->one;
        memset(all, 0, sizeof *all);
        kbj_copy(all->name, sizeof all->name, w->queue);
        n = 1;
    } else {
        kbj_rows *clock = NULL;
        if ((rc = kbj_store_query(st, "SELECT UNIX_TIMESTAMP(NOW(6))", NULL, 0, &clock)))
            return rc;
        now = kbj_dbtime(kbj_rows_str(clock, 0, 0));
        kbj_rows_free(clock);
        rc = kbj_store_query(st, "SELECT s.name," SETTINGS_COLS " FROM {p}kbjobs_queues s ORDER BY s.name LIMIT 1000",
                             NULL, 0, &settings);
        if (rc)
            return rc;
        if ((rc = qstats_names(w, settings, &all, &n))) {
            kbj_rows_free(settings);
            return rc;
        }
    }
    for (size_t i = 0; i < n && rc == KBJ_OK; i++) {
        double tokens = 0, elapsed_ms = 0;
        kbj_queue_stats *s = &all[i];
        size_t j = 0;
        /* the settings row of this queue, if it has one (the database's collation does
         * not sort as strcmp does, so no merge) */
        while (j < kbj_rows_count(settings) && strcmp(kbj_rows_str(settings, j, 0), s->name) != 0)
            j++;
        if (j < kbj_rows_count(settings)) {
            s->max_running = (unsigned)kbj_rows_int(settings, j, 1);
            s->rate = (unsigned)kbj_rows_int(settings, j, 2);
            s->period_ms = (unsigned)kbj_rows_int(settings, j, 3);
            s->paused = (int)kbj_rows_int(settings, j, 4);
            tokens = kbj_dbtime(kbj_rows_str(settings, j, 5));
            elapsed_ms = (double)kbj_rows_int(settings, j, 6) / 1000.0;
        }
        if ((rc = stats_counts(st, w->flags, s, now)) == KBJ_OK) {
            stats_blocked(s, tokens, elapsed_ms, now);
            if (!(w->flags & QSTATS_BLOCKED_ONLY))
                kbj_queue_reason(s);
        }
    }
    kbj_rows_free(settings);
    if (w->one)
        return rc;
    if (rc) {
        free(all);
        return rc;
    }
    *w->many = all;
    *w->n = n;
    return KBJ_OK;
}

int kbj_queue_stats_get_opt(kbj_engine *eng, const char *queue, int flags, kbj_queue_stats *out)
{
    qstats_work w = { eng, queue, flags, out, NULL, NULL };
    int rc;
    if (!eng || !out)
        return KBJ_EINVAL;
    if ((rc = check_name(eng, queue)))
        return rc;
    return kbj_store_do(eng->st, qstats_do, &w);
}

int kbj_queue_stats_get(kbj_engine *eng, const char *queue, kbj_queue_stats *out)
{
    return kbj_queue_stats_get_opt(eng, queue, 0, out);
}

int kbj_queue_blocked(kbj_engine *eng, const char *queue, kbj_queue_stats *out)
{
    return kbj_queue_stats_get_opt(eng, queue, QSTATS_BLOCKED_ONLY, out);
}

int kbj_queues_list_opt(kbj_engine *eng, int flags, kbj_queue_stats **out, size_t *n)
{
    qstats_work w = { eng, NULL, flags, NULL, out, n };
    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    return kbj_store_do(eng->st, qstats_do, &w);
}

int kbj_queues_list(kbj_engine *eng, kbj_queue_stats **out, size_t *n)
{
    return kbj_queues_list_opt(eng, 0, out, n);
}
