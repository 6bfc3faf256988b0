/*
 * backlog.c - named backlogs: jobs submitted with a backlog name (kbj_submit.backlog)
 * belong to it for good; those submitted with `hold` wait there in status "held", which
 * no claim, reaper or waiting count reads, until the backlog is released. A release
 * turns them into queued jobs a batch at a time, each batch its own short transaction:
 * a million held jobs never sit under one transaction's locks, and runners start on the
 * first batch while the next is being released. From then on the queues' limits
 * (queues.c) decide how fast they start.
 *
 * A job's backlog is on its data row and its status on its state row (schema_split.c).
 * Every read goes through the data's (backlog) index: a release is a range of one
 * backlog's jobs in id order, from where the last batch ended, whose held ones are
 * locked and queued; the backlogs are found by a loose scan of the index; each count is
 * a bounded count of one backlog's jobs in one status.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the batch size is written into release_tx's statement */
_Static_assert(KBJ_BACKLOG_BATCH == 1000, "release_tx's LIMIT is KBJ_BACKLOG_BATCH");

typedef struct release_work {
    kbj_engine *eng;
    const char *name;
    unsigned long long after; /* the id the last batch ended at */
    unsigned long long seen;  /* this batch's held jobs (set again when the batch is run again) */
    unsigned long long done;  /* of them, queued by this batch */
} release_work;

/* One batch: the next KBJ_BACKLOG_BATCH held jobs of the backlog (after the last batch's,
 * in id order: the (backlog) index holds the id after the name) are locked and become
 * queued. The index is forced: with ORDER BY id, or on a small table, the optimizer may
 * walk the primary key instead and read every job before the backlog's. Their run_at is
 * kept: a job held for later still starts then, and jobs released together start in the
 * order they were submitted (the claim index orders by run_at). */
static int release_tx(kbj_store *st, void *arg)
{
    release_work *w = arg;
    kbj_rows *rows = NULL;
    size_t n;
    int rc;

    w->seen = w->done = 0;
    rc = kbj_store_query(st, "SELECT d.id FROM {p}kbjobs_job_data d FORCE INDEX (backlog)"
                         " JOIN {p}kbjobs_job_state s ON s.id = d.id WHERE d.backlog = ? AND d.id > ?"
                         " AND s.status = 'held' ORDER BY d.id LIMIT 1000 FOR UPDATE",
                         (kbj_val[]){ KBJ_VS(w->name), KBJ_VI(w->after) }, 2, &rows);
    n = kbj_rows_count(rows);
    if (rc == KBJ_OK && n > 0) {
        kbj_val *v = calloc(n, sizeof *v);
        char *ph = kbj_placeholders(n), *sql = malloc(2 * n + 128);
        if (v && ph && sql) {
            for (size_t i = 0; i < n; i++)
                v[i] = KBJ_VI(kbj_rows_int(rows, i, 0));
            snprintf(sql, 2 * n + 128, "UPDATE {p}kbjobs_job_state SET status = 'queued', updated_at = NOW(6)"
                     " WHERE status = 'held' AND id IN (%s)", ph);
            rc = kbj_store_exec(st, sql, v, n, &w->done);
            w->seen = n;
            w->after = (unsigned long long)kbj_rows_int(rows, n - 1, 0);
        } else {
            rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        }
        free(v);
        free(ph);
        free(sql);
    }
    kbj_rows_free(rows);
    return rc;
}

int kbj_backlog_release(kbj_engine *eng, const char *name, unsigned long long *released)
{
    release_work w = { eng, name, 0, 0, 0 };
    unsigned long long total = 0;
    int rc;

    if (released)
        *released = 0;
    if (!eng)
        return KBJ_EINVAL;
    if (!kbj_valid_name(name))
        return kbj_efail(eng, KBJ_EINVAL, "backlog \"%.80s\" must be 1 to 64 characters of a-z, 0-9, '_', "
                         "'.' and '-'", name ? name : "");
    do {
        rc = kbj_store_tx(eng->st, release_tx, &w);
        if (rc == KBJ_OK)
            total += w.done;
        if (released)
            *released = total;
    } while (rc == KBJ_OK && w.seen == KBJ_BACKLOG_BATCH);
    if (total)
        kbj_wake_jobs(eng); /* also after an error: what was released is queued */
    return rc;
}

typedef struct backlogs_work {
    kbj_engine *eng;
    int flags;
    kbj_backlog_stats *all;
    size_t n;
} backlogs_work;

/* The backlog names, by a loose index scan (one seek per backlog, not a read of its
 * jobs: GROUP BY the index's first part), then each status of each counted alone. */
static int backlogs_do(kbj_store *st, void *arg)
{
    backlogs_work *w = arg;
    kbj_rows *rows = NULL;
    size_t n;
    int rc;

    free(w->all);
    w->all = NULL;
    w->n = 0;
    rc = kbj_store_query(st, "SELECT backlog FROM {p}kbjobs_job_data WHERE backlog IS NOT NULL"
                         " GROUP BY backlog ORDER BY backlog LIMIT 1000", NULL, 0, &rows);
    if (rc)
        return rc;
    n = kbj_rows_count(rows);
    if (n && !(w->all = calloc(n, sizeof *w->all))) {
        kbj_rows_free(rows);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        kbj_copy(w->all[i].name, sizeof w->all[i].name, kbj_rows_str(rows, i, 0));
    kbj_rows_free(rows);
    for (size_t i = 0; i < n && rc == KBJ_OK; i++) {
        for (int s = 0; s < KBJ_NSTATUS && rc == KBJ_OK; s++) {
            kbj_val v[2] = { KBJ_VS(w->all[i].name), KBJ_VS(kbj_status_name(s)) };
            rc = kbj_count_rows(st, "{p}kbjobs_job_data d JOIN {p}kbjobs_job_state s ON s.id = d.id"
                                " WHERE d.backlog = ? AND s.status = ?", v, 2, w->flags,
                                &w->all[i].counts[s], &w->all[i].how[s]);
        }
    }
    if (rc == KBJ_OK)
        w->n = n;
    return rc;
}

int kbj_backlogs_list(kbj_engine *eng, int flags, kbj_backlog_stats **out, size_t *n)
{
    backlogs_work w = { eng, flags, NULL, 0 };
    int rc;

    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    rc = kbj_store_do(eng->st, backlogs_do, &w);
    if (rc) {
        free(w.all);
        return rc;
    }
    *out = w.all;
    *n = w.n;
    return KBJ_OK;
}
