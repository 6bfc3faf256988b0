/*
 * backlog.c - named backlogs: jobs submitted with a backlog name (kbj_submit.backlog)
 * belong to it for good; those submitted with `hold` wait there in status "held", which
 * no claim, reaper or waiting count reads, until the backlog is released. A release
 * turns them into queued jobs a batch at a time, each batch its own short transaction:
 * a million held jobs never sit under one transaction's locks, and runners start on the
 * first batch while the next is being released. From then on the queues' limits
 * (queues.c) decide how fast they start.
 *
 * Every read goes through the state's (backlog, backlog_status) index, where
 * backlog_status is the status of a job in a backlog (NULL for the others, whose entries
 * so never change when they run): a release is a range of one backlog's held jobs in id
 * order; the backlogs are found by a loose scan of its first part; each count is a
 * bounded count of one (backlog, status) range.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* the batch size is written into release_tx's statement */
_Static_assert(KBJ_BACKLOG_BATCH == 1000, "release_tx's LIMIT is KBJ_BACKLOG_BATCH");

typedef struct release_work {
    const char *name;
    unsigned long long done; /* this batch's jobs (set again when the batch is run again) */
} release_work;

/* One batch: the first KBJ_BACKLOG_BATCH held jobs of the backlog become queued, read
 * from (backlog, backlog_status), whose entries are in id order within a backlog and
 * status. The index is forced: with ORDER BY id, or on a small table, the optimizer may
 * walk the primary key instead and read every job before the backlog's. Their run_at is
 * kept: a job held for later still starts then, and jobs released together start in the
 * order they were submitted (the claim index orders by run_at). */
static int release_tx(kbj_store *st, void *arg)
{
    release_work *w = arg;
    w->done = 0;
    return kbj_store_exec(st, "UPDATE {p}kbjobs_job_state FORCE INDEX (backlog_status) SET status = 'queued',"
                          " updated_at = NOW(6) WHERE backlog = ? AND backlog_status = 'held' LIMIT 1000",
                          (kbj_val[]){ KBJ_VS(w->name) }, 1, &w->done);
}

int kbj_backlog_release(kbj_engine *eng, const char *name, unsigned long long *released)
{
    release_work w = { name, 0 };
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
    } while (rc == KBJ_OK && w.done == KBJ_BACKLOG_BATCH);
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
    rc = kbj_store_query(st, "SELECT backlog FROM {p}kbjobs_job_state WHERE backlog IS NOT NULL"
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
            rc = kbj_count_rows(st, "{p}kbjobs_job_state WHERE backlog = ? AND backlog_status = ?", v, 2,
                                w->flags,
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
