/*
 * failures.c - the FailureLog: the triage inbox of jobs that failed for good.
 *
 * Entries have a kind: "job" (a job that failed for good) or "partial" (an import that
 * completed with failed items, recorded by the import under its lease). Each kind is
 * capped on its own (failure_cap, default 50): when an entry beyond the cap arrives the
 * oldest of its kind are evicted and counted, never silently, in kbjobs_meta
 * (failures_evicted for job entries, as before kinds existed, and
 * failures_evicted_partial), so a burst of partial imports never pushes failed jobs out
 * of the inbox, nor the other way round. The job rows keep their failed (or completed)
 * status. Resubmit re-queues a failed job now with attempts reset and removes the entry;
 * a partial entry becomes a new import of its failed items through the hook the import
 * layer leaves on the engine (core cannot call the layer above it); delete acknowledges
 * and removes an entry. Repeated failures of one job type within a window raise an
 * alert record for the plugin to surface.
 */
#include "internal.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>

/* The kbjobs_meta counter of a kind's evictions. */
static const char *evicted_counter(const char *kind)
{
    return strcmp(kind, KBJ_FAILURE_PARTIAL) == 0 ? "failures_evicted_partial" : "failures_evicted";
}

/* Evicts the oldest entries of `kind` beyond the cap and counts them. Inside the
 * caller's transaction. */
static int evict(kbj_engine *eng, const char *kind)
{
    kbj_rows *rows = NULL;
    unsigned long long evicted = 0;
    long long over;
    int rc = kbj_store_query(eng->st, "SELECT COUNT(*) FROM {p}kbjobs_failures WHERE kind = ?",
                             (kbj_val[]){ KBJ_VS(kind) }, 1, &rows);
    if (rc)
        return rc;
    over = kbj_rows_int(rows, 0, 0) - (long long)eng->cfg.failure_cap;
    kbj_rows_free(rows);
    if (over <= 0)
        return KBJ_OK;
    rc = kbj_store_exec(eng->st, "DELETE FROM {p}kbjobs_failures WHERE kind = ? ORDER BY id LIMIT ?",
                        (kbj_val[]){ KBJ_VS(kind), KBJ_VI(over) }, 2, &evicted);
    if (rc == KBJ_OK && evicted)
        rc = kbj_store_exec(eng->st, "INSERT INTO {p}kbjobs_meta (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE"
                            " value = CAST(value AS UNSIGNED) + CAST(VALUES(value) AS UNSIGNED)",
                            (kbj_val[]){ KBJ_VS(evicted_counter(kind)), KBJ_VI(evicted) }, 2, NULL);
    return rc;
}

int kbj_failures_record(kbj_engine *eng, unsigned long long pk, const char *id, const char *type,
                        const char *message, int attempts)
{
    kbj_store *st = eng->st;
    kbj_rows *rows = NULL;
    int rc;

    /* a job that fails for good after an import run of it left a partial entry: the
     * entry becomes a job entry */
    rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_failures (job_id, public_id, kind, type, message, attempts,"
                        " failed_items, total_items, failed_at) VALUES (?, ?, 'job', ?, ?, ?, 0, 0, NOW(6))"
                        " ON DUPLICATE KEY UPDATE kind = 'job', message = VALUES(message), attempts = VALUES(attempts),"
                        " failed_items = 0, total_items = 0, failed_at = NOW(6)",
                        (kbj_val[]){ KBJ_VI(pk), KBJ_VS(id), KBJ_VS(type), KBJ_VS(message), KBJ_VI(attempts) },
                        5, NULL);
    if (rc == KBJ_OK)
        rc = evict(eng, KBJ_FAILURE_JOB);
    if (rc)
        return rc;

    /* An alert when this type failed alert_threshold times within the window, unless
     * one is already open for it from within the window. */
    rc = kbj_store_query(st, "SELECT COUNT(*), (SELECT COUNT(*) FROM {p}kbjobs_alerts WHERE type = ?"
                         " AND acknowledged_at IS NULL AND created_at > NOW(6) - INTERVAL ? SECOND)"
                         " FROM {p}kbjobs_jobs WHERE type = ? AND status = 'failed'"
                         " AND finished_at > NOW(6) - INTERVAL ? SECOND",
                         (kbj_val[]){ KBJ_VS(type), KBJ_VI(eng->cfg.alert_window_seconds), KBJ_VS(type),
                                      KBJ_VI(eng->cfg.alert_window_seconds) }, 4, &rows);
    if (rc)
        return rc;
    if (kbj_rows_int(rows, 0, 0) >= (long long)eng->cfg.alert_threshold && kbj_rows_int(rows, 0, 1) == 0) {
        /* room for every field at its largest: snprintf never cuts the message */
        char msg[160 + KBJ_NAME_MAX + 120];
        long long n = kbj_rows_int(rows, 0, 0);
        snprintf(msg, sizeof msg, "%lld jobs of type %.64s failed within %u seconds; the latest: %.*s",
                 n, type, eng->cfg.alert_window_seconds, (int)kbj_utf8_cut(message, strnlen(message, 121), 120),
                 message);
        rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_alerts (type, message, failures, window_seconds,"
                            " created_at) VALUES (?, ?, ?, ?, NOW(6))",
                            (kbj_val[]){ KBJ_VS(type), KBJ_VSN(msg, strlen(msg)), KBJ_VI(n),
                                         KBJ_VI(eng->cfg.alert_window_seconds) }, 4, NULL);
    }
    kbj_rows_free(rows);
    return rc;
}

typedef struct partial_work {
    kbj_engine *eng;
    const kbj_lease *lease;
    long long failed, total;
    const char *message;
} partial_work;

static int partial_tx(kbj_store *st, void *arg)
{
    partial_work *w = arg;
    unsigned long long affected = 0;
    int rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_failures (job_id, public_id, kind, type, message, attempts,"
                            " failed_items, total_items, failed_at) SELECT id, public_id, 'partial', type, ?,"
                            " attempts, ?, ?, NOW(6) FROM {p}kbjobs_jobs"
                            " WHERE id = ? AND lease_token = ? AND status = 'running'"
                            " ON DUPLICATE KEY UPDATE kind = 'partial', message = VALUES(message),"
                            " attempts = VALUES(attempts), failed_items = VALUES(failed_items),"
                            " total_items = VALUES(total_items), failed_at = NOW(6)",
                            (kbj_val[]){ KBJ_VS(w->message), KBJ_VI(w->failed), KBJ_VI(w->total),
                                         KBJ_VI(w->lease->pk), KBJ_VI(w->lease->token) }, 5, &affected);
    if (rc == KBJ_OK && affected == 0)
        return kbj_efail(w->eng, KBJ_ELEASE, "the lease on job %s was lost", w->lease->id);
    return rc ? rc : evict(w->eng, KBJ_FAILURE_PARTIAL);
}

int kbj_failures_record_partial(kbj_engine *eng, const kbj_lease *lease, long long failed, long long total,
                                const char *message)
{
    partial_work w = { eng, lease, failed, total, message };
    if (!eng || !lease || !message)
        return KBJ_EINVAL;
    return kbj_store_tx(eng->st, partial_tx, &w);
}

int kbj_failures_remove_partial(kbj_engine *eng, const char *id)
{
    return kbj_store_exec_again(eng->st, "DELETE FROM {p}kbjobs_failures WHERE public_id = ? AND kind = 'partial'",
                                (kbj_val[]){ KBJ_VS(id) }, 1, NULL);
}

void kbj_failures_free(kbj_failure *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++)
        free(f[i].message);
    free(f);
}

typedef struct fl_work {
    kbj_engine *eng;
    size_t limit, offset;
    kbj_failure **out;
    size_t *n;
    const char *const *ids;
    size_t nids, done;
    unsigned long long evicted;
    const char *kind;            /* list, count: one kind, or NULL */
    char (*partial)[KBJ_ID_LEN + 1]; /* resubmit: the partial entries met, for after */
    size_t npartial;
} fl_work;

static int failure_from_row(void *elem, const kbj_rows *rows, size_t i, void *arg)
{
    kbj_failure *f = elem;
    (void)arg;
    kbj_copy(f->job_id, sizeof f->job_id, kbj_rows_str(rows, i, 0));
    kbj_copy(f->type, sizeof f->type, kbj_rows_str(rows, i, 1));
    f->message = strdup(kbj_rows_str(rows, i, 2) ? kbj_rows_str(rows, i, 2) : "");
    f->attempts = (int)kbj_rows_int(rows, i, 3);
    f->failed_at = kbj_dbtime(kbj_rows_str(rows, i, 4));
    kbj_copy(f->kind, sizeof f->kind, kbj_rows_str(rows, i, 5));
    f->failed_items = kbj_rows_int(rows, i, 6);
    f->total_items = kbj_rows_int(rows, i, 7);
    return f->message ? 0 : -1;
}

static void failures_clear(void *a, size_t n)
{
    kbj_failures_free(a, n);
}

static int list_do(kbj_store *st, void *arg)
{
    fl_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT public_id, type, message, attempts, UNIX_TIMESTAMP(failed_at), kind,"
                             " failed_items, total_items FROM {p}kbjobs_failures WHERE ? IS NULL OR kind = ?"
                             " ORDER BY id DESC LIMIT ? OFFSET ?",
                             (kbj_val[]){ KBJ_VS(w->kind), KBJ_VS(w->kind), KBJ_VI(w->limit), KBJ_VI(w->offset) },
                             4, &rows);
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_failure), failure_from_row, failures_clear, NULL, (void **)w->out, w->n);
    return rc ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : KBJ_OK;
}

/* Whether `kind` names a kind of entry; NULL when `any` is allowed. */
static int kind_ok(const char *kind, int any)
{
    return kind ? strcmp(kind, KBJ_FAILURE_JOB) == 0 || strcmp(kind, KBJ_FAILURE_PARTIAL) == 0 : any;
}

int kbj_failures_list_kind(kbj_engine *eng, const char *kind, size_t limit, size_t offset, kbj_failure **out,
                           size_t *n)
{
    fl_work w = { eng, limit ? limit : 50, offset, out, n, NULL, 0, 0, 0, kind, NULL, 0 };
    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    if (w.limit > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "limit %zu is out of range 1..1000", limit);
    if (!kind_ok(kind, 1))
        return kbj_efail(eng, KBJ_EINVAL, "unknown kind \"%.40s\": job or partial", kind);
    return kbj_store_do(eng->st, list_do, &w);
}

int kbj_failures_list(kbj_engine *eng, size_t limit, size_t offset, kbj_failure **out, size_t *n)
{
    return kbj_failures_list_kind(eng, NULL, limit, offset, out, n);
}

static int count_do(kbj_store *st, void *arg)
{
    fl_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT (SELECT COUNT(*) FROM {p}kbjobs_failures WHERE kind = ?),"
                             " (SELECT value FROM {p}kbjobs_meta WHERE name = ?)",
                             (kbj_val[]){ KBJ_VS(w->kind), KBJ_VS(evicted_counter(w->kind)) }, 2, &rows);
    if (rc)
        return rc;
    w->done = (size_t)kbj_rows_int(rows, 0, 0);
    w->evicted = (unsigned long long)kbj_rows_int(rows, 0, 1);
    kbj_rows_free(rows);
    return KBJ_OK;
}

int kbj_failures_count(kbj_engine *eng, size_t *count, unsigned long long *evicted)
{
    return kbj_failures_count_kind(eng, KBJ_FAILURE_JOB, count, evicted);
}

int kbj_failures_count_kind(kbj_engine *eng, const char *kind, size_t *count, unsigned long long *evicted)
{
    fl_work w = { 0 };
    int rc;
    if (!eng)
        return KBJ_EINVAL;
    if (!kind_ok(kind, 0))
        return kbj_efail(eng, KBJ_EINVAL, "unknown kind \"%.40s\": job or partial", kind ? kind : "");
    w.eng = eng;
    w.kind = kind;
    rc = kbj_store_do(eng->st, count_do, &w);
    if (rc == KBJ_OK) {
        if (count)
            *count = w.done;
        if (evicted)
            *evicted = w.evicted;
    }
    return rc;
}

/* Locks the entries for w->ids and returns their job row ids in *v (count *m). With
 * `set_aside_partial`, partial entries are not among them: their job ids go to
 * w->partial (resubmitted after the transaction, as new imports). */
static int lock_entries(fl_work *w, kbj_val **v, size_t *m, int set_aside_partial)
{
    kbj_rows *rows = NULL;
    kbj_val *in;
    char *ph, *sql;
    int rc;

    *v = NULL;
    *m = 0;
    w->npartial = 0;
    in = calloc(w->nids, sizeof *in);
    ph = kbj_placeholders(w->nids);
    sql = malloc(2 * w->nids + 128);
    if (!in || !ph || !sql) {
        free(in);
        free(ph);
        free(sql);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < w->nids; i++)
        in[i] = KBJ_VS(w->ids[i]);
    snprintf(sql, 2 * w->nids + 128, "SELECT job_id, kind, public_id FROM {p}kbjobs_failures"
             " WHERE public_id IN (%s) FOR UPDATE", ph);
    rc = kbj_store_query(w->eng->st, sql, in, w->nids, &rows);
    free(sql);
    free(ph);
    free(in);
    if (rc)
        return rc;
    *v = calloc(kbj_rows_count(rows) ? kbj_rows_count(rows) : 1, sizeof **v);
    if (!*v) {
        kbj_rows_free(rows);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < kbj_rows_count(rows); i++) {
        if (set_aside_partial && strcmp(kbj_rows_str(rows, i, 1), KBJ_FAILURE_PARTIAL) == 0)
            kbj_copy(w->partial[w->npartial++], KBJ_ID_LEN + 1, kbj_rows_str(rows, i, 2));
        else
            (*v)[(*m)++] = KBJ_VI(kbj_rows_int(rows, i, 0));
    }
    kbj_rows_free(rows);
    return KBJ_OK;
}

static int act_tx(fl_work *w, int resubmit)
{
    kbj_val *v = NULL;
    size_t m = 0;
    char *ph = NULL, *sql = NULL;
    int rc;

    w->done = 0;
    rc = lock_entries(w, &v, &m, resubmit);
    if (rc || m == 0) {
        free(v);
        return rc;
    }
    ph = kbj_placeholders(m);
    sql = malloc(2 * m + 512);
    if (!ph || !sql) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        goto done;
    }
    if (resubmit) {
        snprintf(sql, 2 * m + 512, KBJ_REQUEUE_SET " WHERE s.status = 'failed' AND s.id IN (%s)", ph);
        rc = kbj_store_exec(w->eng->st, sql, v, m, NULL);
        if (rc == KBJ_EDB && kbj_store_errno(w->eng->st) == 1062) {
            rc = kbj_efail(w->eng, KBJ_ECONFLICT, "cannot resubmit: another active job holds the unique "
                           "key of one of these jobs");
            goto done;
        }
    }
    if (rc == KBJ_OK) {
        snprintf(sql, 2 * m + 512, "DELETE FROM {p}kbjobs_failures WHERE job_id IN (%s)", ph);
        rc = kbj_store_exec(w->eng->st, sql, v, m, NULL);
    }
    if (rc == KBJ_OK)
        w->done = m;
done:
    free(v);
    free(ph);
    free(sql);
    return rc;
}

static int resubmit_tx(kbj_store *st, void *arg)
{
    (void)st;
    return act_tx(arg, 1);
}

static int delete_tx(kbj_store *st, void *arg)
{
    (void)st;
    return act_tx(arg, 0);
}

static int alert_from_row(void *elem, const kbj_rows *rows, size_t i, void *arg)
{
    kbj_alert *a = elem;
    (void)arg;
    a->id = kbj_rows_int(rows, i, 0);
    kbj_copy(a->type, sizeof a->type, kbj_rows_str(rows, i, 1));
    a->message = strdup(kbj_rows_str(rows, i, 2) ? kbj_rows_str(rows, i, 2) : "");
    a->failures = (int)kbj_rows_int(rows, i, 3);
    a->window_seconds = (unsigned)kbj_rows_int(rows, i, 4);
    a->created_at = kbj_dbtime(kbj_rows_str(rows, i, 5));
    return a->message ? 0 : -1;
}

static void alerts_clear(void *a, size_t n)
{
    kbj_alerts_free(a, n);
}

static int act(kbj_engine *eng, const char *const *ids, size_t n, size_t *done, kbj_store_work fn)
{
    fl_work w = { 0 };
    int rc;
    if (!eng)
        return KBJ_EINVAL;
    if (done)
        *done = 0;
    if (n == 0)
        return KBJ_OK;
    if (!ids || n > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "give 1 to 1000 job ids");
    for (size_t i = 0; i < n; i++)
        if (!kbj_valid_id(ids[i]))
            return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id (16 hex characters)",
                             ids[i] ? ids[i] : "");
    w.eng = eng;
    w.ids = ids;
    w.nids = n;
    w.partial = calloc(n, sizeof *w.partial);
    if (!w.partial)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    rc = kbj_store_tx(eng->st, fn, &w);
    if (rc)
        w.done = w.npartial = 0;
    else if (fn == resubmit_tx && w.done)
        kbj_wake_jobs(eng); /* re-queued now */
    /* partial entries: each a new import of its failed items, one at a time (files are
     * written and a job submitted: no place inside the transaction above) */
    for (size_t i = 0; rc == KBJ_OK && i < w.npartial; i++) {
        char new_id[KBJ_ID_LEN + 1];
        size_t urls = 0;
        if (!eng->resubmit_partial)
            rc = kbj_efail(eng, KBJ_EUNSUPPORTED, "resubmitting the partial entry of %s needs the import job "
                           "type (kbj_register_builtin_types)", w.partial[i]);
        else if ((rc = eng->resubmit_partial(eng, w.partial[i], new_id, &urls)) == KBJ_OK)
            w.done++;
    }
    if (done)
        *done = w.done;
    free(w.partial);
    return rc;
}

int kbj_failures_resubmit(kbj_engine *eng, const char *const *ids, size_t n, size_t *done)
{
    return act(eng, ids, n, done, resubmit_tx);
}

int kbj_failures_delete(kbj_engine *eng, const char *const *ids, size_t n, size_t *done)
{
    return act(eng, ids, n, done, delete_tx);
}

void kbj_alerts_free(kbj_alert *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        free(a[i].message);
    free(a);
}

typedef struct alert_work {
    kbj_engine *eng;
    kbj_alert **out;
    size_t *n;
    long long id;
} alert_work;

static int alerts_do(kbj_store *st, void *arg)
{
    alert_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT id, type, message, failures, window_seconds, UNIX_TIMESTAMP(created_at)"
                             " FROM {p}kbjobs_alerts WHERE acknowledged_at IS NULL ORDER BY id DESC LIMIT 100",
                             NULL, 0, &rows);
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_alert), alert_from_row, alerts_clear, NULL, (void **)w->out, w->n);
    return rc ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : KBJ_OK;
}

int kbj_alerts_list(kbj_engine *eng, kbj_alert **out, size_t *n)
{
    alert_work w = { eng, out, n, 0 };
    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    return kbj_store_do(eng->st, alerts_do, &w);
}

static int ack_do(kbj_store *st, void *arg)
{
    alert_work *w = arg;
    unsigned long long n = 0;
    int rc = kbj_store_exec(st, "UPDATE {p}kbjobs_alerts SET acknowledged_at = NOW(6) WHERE id = ?"
                            " AND acknowledged_at IS NULL", (kbj_val[]){ KBJ_VI(w->id) }, 1, &n);
    if (rc == KBJ_OK && n == 0)
        return kbj_efail(w->eng, KBJ_ENOTFOUND, "no open alert %lld", w->id);
    return rc;
}

int kbj_alert_ack(kbj_engine *eng, long long id)
{
    alert_work w = { eng, NULL, NULL, id };
    if (!eng)
        return KBJ_EINVAL;
    return kbj_store_do(eng->st, ack_do, &w);
}
