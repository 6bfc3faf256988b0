/*
 * failures.c - the FailureLog: the triage inbox of jobs that failed for good.
 *
 * Capped (failure_cap, default 50): when an entry beyond the cap arrives the oldest are
 * evicted and counted in kbjobs_meta.failures_evicted, never silently. The job rows keep
 * their failed status. Resubmit re-queues now with attempts reset and removes the entry;
 * delete acknowledges and removes it. Repeated failures of one job type within a window
 * raise an alert record for the plugin to surface.
 */
#include "internal.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>

int kbj_failures_record(kbj_engine *eng, unsigned long long pk, const char *id, const char *type,
                        const char *message, int attempts)
{
    kbj_store *st = eng->st;
    kbj_rows *rows = NULL;
    long long count, over;
    int rc;

    rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_failures (job_id, public_id, type, message, attempts,"
                        " failed_at) VALUES (?, ?, ?, ?, ?, NOW(6)) ON DUPLICATE KEY UPDATE"
                        " message = VALUES(message), attempts = VALUES(attempts), failed_at = NOW(6)",
                        (kbj_val[]){ KBJ_VI(pk), KBJ_VS(id), KBJ_VS(type), KBJ_VS(message), KBJ_VI(attempts) },
                        5, NULL);
    if (rc)
        return rc;
    rc = kbj_store_query(st, "SELECT COUNT(*) FROM {p}kbjobs_failures", NULL, 0, &rows);
    if (rc)
        return rc;
    count = kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    over = count - (long long)eng->cfg.failure_cap;
    if (over > 0) {
        unsigned long long evicted = 0;
        rc = kbj_store_exec(st, "DELETE FROM {p}kbjobs_failures ORDER BY id LIMIT ?",
                            (kbj_val[]){ KBJ_VI(over) }, 1, &evicted);
        if (rc == KBJ_OK && evicted)
            rc = kbj_store_exec(st, "UPDATE {p}kbjobs_meta SET value = CAST(value AS UNSIGNED) + ?"
                                " WHERE name = 'failures_evicted'", (kbj_val[]){ KBJ_VI(evicted) }, 1, NULL);
        if (rc)
            return rc;
    }

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
    int rc = kbj_store_query(st, "SELECT public_id, type, message, attempts, UNIX_TIMESTAMP(failed_at)"
                             " FROM {p}kbjobs_failures ORDER BY id DESC LIMIT ? OFFSET ?",
                             (kbj_val[]){ KBJ_VI(w->limit), KBJ_VI(w->offset) }, 2, &rows);
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_failure), failure_from_row, failures_clear, NULL, (void **)w->out, w->n);
    return rc ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : KBJ_OK;
}

int kbj_failures_list(kbj_engine *eng, size_t limit, size_t offset, kbj_failure **out, size_t *n)
{
    fl_work w = { eng, limit ? limit : 50, offset, out, n, NULL, 0, 0, 0 };
    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    if (w.limit > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "limit %zu is out of range 1..1000", limit);
    return kbj_store_do(eng->st, list_do, &w);
}

static int count_do(kbj_store *st, void *arg)
{
    fl_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT (SELECT COUNT(*) FROM {p}kbjobs_failures),"
                             " (SELECT value FROM {p}kbjobs_meta WHERE name = 'failures_evicted')",
                             NULL, 0, &rows);
    if (rc)
        return rc;
    w->done = (size_t)kbj_rows_int(rows, 0, 0);
    w->evicted = (unsigned long long)kbj_rows_int(rows, 0, 1);
    kbj_rows_free(rows);
    return KBJ_OK;
}

int kbj_failures_count(kbj_engine *eng, size_t *count, unsigned long long *evicted)
{
    fl_work w = { 0 };
    int rc;
    if (!eng)
        return KBJ_EINVAL;
    w.eng = eng;
    rc = kbj_store_do(eng->st, count_do, &w);
    if (rc == KBJ_OK) {
        if (count)
            *count = w.done;
        if (evicted)
            *evicted = w.evicted;
    }
    return rc;
}

/* Locks the entries for w->ids and returns their job row ids in *v (count *m). */
static int lock_entries(fl_work *w, kbj_val **v, size_t *m)
{
    kbj_rows *rows = NULL;
    kbj_val *in;
    char *ph, *sql;
    int rc;

    *v = NULL;
    *m = 0;
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
    snprintf(sql, 2 * w->nids + 128, "SELECT job_id FROM {p}kbjobs_failures WHERE public_id IN (%s)"
             " FOR UPDATE", ph);
    rc = kbj_store_query(w->eng->st, sql, in, w->nids, &rows);
    free(sql);
    free(ph);
    free(in);
    if (rc)
        return rc;
    *m = kbj_rows_count(rows);
    *v = calloc(*m ? *m : 1, sizeof **v);
    if (!*v) {
        kbj_rows_free(rows);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < *m; i++)
        (*v)[i] = KBJ_VI(kbj_rows_int(rows, i, 0));
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
    rc = lock_entries(w, &v, &m);
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
        snprintf(sql, 2 * m + 512, "UPDATE {p}kbjobs_jobs SET status = 'queued', attempts = 0,"
                 " cancel_requested = 0, run_at = NOW(6), finished_at = NULL, lease_expires = NULL,"
                 " uniq_active = unique_key, updated_at = NOW(6) WHERE status = 'failed' AND id IN (%s)", ph);
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
    rc = kbj_store_tx(eng->st, fn, &w);
    if (rc == KBJ_OK && done)
        *done = w.done;
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
