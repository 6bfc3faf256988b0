/*
 * bulk.c - one action applied to many jobs: cancel, resume, rerun or resubmit, in
 * batches of KBJ_BULK_BATCH ids.
 *
 * A batch is one transaction: its jobs are locked and their statuses read, then each
 * kind of change is one statement over the ids it applies to (one UPDATE for the jobs to
 * cancel, one for the cancel requests, ...), so ten thousand jobs cost some hundred
 * statements, not tens of thousands. The state machine is the one of jobs.c: the
 * statuses an action applies to are those kbj_job_cancel, kbj_job_resume and
 * kbj_job_rerun accept, and the statements are theirs with an IN list.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

typedef enum action {
    ACT_CANCEL,
    ACT_RESUME,
    ACT_RERUN,
    ACT_RESUBMIT,
} action;

static int action_parse(const char *name)
{
    static const char *const names[] = { "cancel", "resume", "rerun", "resubmit" };
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* One locked job of a batch, and what the action does with it. */
typedef struct target {
    unsigned long long pk;
    char id[KBJ_ID_LEN + 1];
    char status[16];
    int is_import;       /* may own ranges (cancel and resume cascade to them) */
    int change;          /* 0: skipped; else which statement applies to it */
} target;

/* The statements a batch runs; CHG_* says which one a target goes to. */
enum { CHG_NONE = 0, CHG_CANCEL, CHG_REQUEST, CHG_REQUEUE, CHG_RERUN };

typedef struct batch_work {
    kbj_engine *eng;
    action act;
    const char *const *ids;      /* this batch's distinct ids */
    size_t n;
    target *t;                   /* locked jobs, at most n */
    size_t nt;
    kbj_bulk_counts c;           /* this batch's counts (reset on every run of the work) */
    int (*also)(kbj_store *st, const kbj_bulk_counts *batch, void *arg);
    void *arg;
} batch_work;

/* What the action does to a job in `status`: a CHG_* code, CHG_NONE to skip it. */
static int change_for(action act, const char *status)
{
    int is_queued = !strcmp(status, "queued"), is_running = !strcmp(status, "running");
    int is_interrupted = !strcmp(status, "interrupted"), is_failed = !strcmp(status, "failed");
    int is_cancelled = !strcmp(status, "cancelled"), is_held = !strcmp(status, "held");

    switch (act) {
    case ACT_CANCEL:
        return is_queued || is_interrupted || is_held ? CHG_CANCEL : is_running ? CHG_REQUEST : CHG_NONE;
    case ACT_RESUME:
        return is_interrupted || is_cancelled || is_failed ? CHG_REQUEUE : CHG_NONE;
    case ACT_RERUN:
        return is_queued || is_running || is_held ? CHG_NONE : CHG_RERUN;
    case ACT_RESUBMIT:
        return is_failed ? CHG_REQUEUE : CHG_NONE;
    }
    return CHG_NONE;
}

/* Locks the batch's jobs (FOR UPDATE) and reads their statuses into w->t. */
static int lock_targets(batch_work *w)
{
    kbj_val *v = calloc(w->n, sizeof *v);
    char *ph = kbj_placeholders(w->n), *sql = malloc(2 * w->n + 160);
    kbj_rows *rows = NULL;
    int rc;

    if (!v || !ph || !sql) {
        free(v);
        free(ph);
        free(sql);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < w->n; i++)
        v[i] = KBJ_VS(w->ids[i]);
    snprintf(sql, 2 * w->n + 160, "SELECT id, public_id, status, type FROM {p}kbjobs_jobs"
             " WHERE public_id IN (%s) ORDER BY id FOR UPDATE", ph);
    rc = kbj_store_query(w->eng->st, sql, v, w->n, &rows);
    free(sql);
    free(ph);
    free(v);
    w->nt = 0;
    for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(rows) && i < w->n; i++) {
        target *t = &w->t[w->nt++];
        t->pk = (unsigned long long)kbj_rows_int(rows, i, 0);
        kbj_copy(t->id, sizeof t->id, kbj_rows_str(rows, i, 1));
        kbj_copy(t->status, sizeof t->status, kbj_rows_str(rows, i, 2));
        t->is_import = strcmp(kbj_rows_str(rows, i, 3), "import") == 0;
        t->change = change_for(w->act, t->status);
    }
    kbj_rows_free(rows);
    return rc;
}

/* Runs `sql_fmt` (with one %s for the id list) over the targets whose change is `chg`;
 * *count receives how many there were. */
static int run_over(batch_work *w, int chg, const char *sql_fmt, size_t *count)
{
    kbj_val *v = calloc(w->nt ? w->nt : 1, sizeof *v);
    size_t m = 0, cap;
    char *ph, *sql;
    int rc;

    *count = 0;
    if (!v)
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    for (size_t i = 0; i < w->nt; i++)
        if (w->t[i].change == chg)
            v[m++] = KBJ_VI(w->t[i].pk);
    if (m == 0) {
        free(v);
        return KBJ_OK;
    }
    ph = kbj_placeholders(m);
    cap = strlen(sql_fmt) + 2 * m + 1;
    sql = malloc(cap);
    if (!ph || !sql) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    } else {
        snprintf(sql, cap, sql_fmt, ph);
        rc = kbj_store_exec(w->eng->st, sql, v, m, NULL);
        if (rc == KBJ_OK)
            *count = m;
    }
    free(ph);
    free(sql);
    free(v);
    return rc;
}


/* A batch whose requeue met a unique key held by another active job: each job is
 * requeued on its own, and those that meet one are skipped (the failed statement is
 * undone by itself; the transaction goes on). */
static int requeue_one_by_one(batch_work *w)
{
    for (size_t i = 0; i < w->nt; i++) {
        int rc;
        if (w->t[i].change != CHG_REQUEUE)
            continue;
        rc = kbj_store_exec(w->eng->st, KBJ_REQUEUE_SET " WHERE s.id = ?", (kbj_val[]){ KBJ_VI(w->t[i].pk) }, 1,
                            NULL);
        if (rc == KBJ_EDB && kbj_store_errno(w->eng->st) == 1062) {
            w->t[i].change = CHG_NONE;
            kbj_store_err(w->eng->st)->msg[0] = '\0';
        } else if (rc) {
            return rc;
        }
    }
    return KBJ_OK;
}

/* Requeues (resume, resubmit) the targets that can be, and removes their FailureLog
 * entries. */
static int requeue(batch_work *w)
{
    size_t m;
    int rc = run_over(w, CHG_REQUEUE, KBJ_REQUEUE_SET " WHERE s.id IN (%s)", &m);
    if (rc == KBJ_EDB && kbj_store_errno(w->eng->st) == 1062)
        rc = requeue_one_by_one(w);
    if (rc == KBJ_OK)
        rc = run_over(w, CHG_REQUEUE, "DELETE FROM {p}kbjobs_failures WHERE job_id IN (%s)", &m);
    return rc;
}

/* Submits a rerun of each target to rerun; one whose params its type now refuses is
 * skipped. */
static int rerun(batch_work *w)
{
    kbj_val *v = calloc(w->nt ? w->nt : 1, sizeof *v);
    char (*new_ids)[KBJ_ID_LEN + 1] = NULL;
    kbj_job **jobs = NULL;
    size_t m = 0, nj = 0, cap = strlen(JOB_COLUMNS) + 2 * w->nt + 128;
    char *ph = NULL, *sql = malloc(cap);
    int rc = KBJ_OK;

    for (size_t i = 0; v && i < w->nt; i++)
        if (w->t[i].change == CHG_RERUN)
            v[m++] = KBJ_VI(w->t[i].pk);
    if (m && v && sql && (ph = kbj_placeholders(m))) {
        snprintf(sql, cap, "SELECT " JOB_COLUMNS " FROM {p}kbjobs_jobs WHERE id IN (%s) ORDER BY id", ph);
        rc = kbj_jobs_query(w->eng, sql, v, m, &jobs, &nj);
        new_ids = rc == KBJ_OK ? calloc(nj ? nj : 1, sizeof *new_ids) : NULL;
        if (rc == KBJ_OK && !new_ids)
            rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        if (rc == KBJ_OK)
            rc = kbj_jobs_rerun_tx(w->eng, jobs, nj, new_ids);
        /* the views and the targets are both in row-id order; a job without a new id
         * was not rerun */
        for (size_t i = 0, j = 0; rc == KBJ_OK && i < w->nt; i++) {
            if (w->t[i].change != CHG_RERUN)
                continue;
            if (j < nj && strcmp(w->t[i].id, jobs[j]->id) == 0)
                w->t[i].change = new_ids[j++][0] ? CHG_RERUN : CHG_NONE;
            else
                w->t[i].change = CHG_NONE;
        }
    } else if (m) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    kbj_jobs_free(jobs, nj);
    free(new_ids);
    free(ph);
    free(sql);
    free(v);
    return rc;
}

/* Cancel and resume apply to an import's ranges as well (kbj_job_cancel and
 * kbj_job_resume do the same); inside this transaction. */
static int cascade(batch_work *w)
{
    int rc = KBJ_OK;
    if (w->act != ACT_CANCEL && w->act != ACT_RESUME)
        return KBJ_OK;
    for (size_t i = 0; rc == KBJ_OK && i < w->nt; i++)
        if (w->t[i].is_import && w->t[i].change != CHG_NONE)
            rc = kbj_job_cascade(w->eng, w->t[i].id, w->act == ACT_RESUME);
    return rc;
}

static int batch_tx(kbj_store *st, void *arg)
{
    batch_work *w = arg;
    size_t m;
    int rc;
    (void)st;

    memset(&w->c, 0, sizeof w->c);
    if ((rc = lock_targets(w)))
        return rc;
    switch (w->act) {
    case ACT_CANCEL:
        rc = run_over(w, CHG_CANCEL, "UPDATE {p}kbjobs_job_state SET status = 'cancelled',"
                      " finished_at = NOW(6), updated_at = NOW(6) WHERE id IN (%s)", &m);
        if (rc == KBJ_OK)
            rc = run_over(w, CHG_CANCEL, "UPDATE {p}kbjobs_job_data SET uniq_active = NULL WHERE id IN (%s)", &m);
        if (rc == KBJ_OK)
            rc = run_over(w, CHG_REQUEST, "UPDATE {p}kbjobs_job_state SET cancel_requested = 1, updated_at = NOW(6)"
                          " WHERE id IN (%s)", &m);
        break;
    case ACT_RESUME:
    case ACT_RESUBMIT:
        rc = requeue(w);
        break;
    case ACT_RERUN:
        rc = rerun(w);
        break;
    }
    if (rc == KBJ_OK)
        rc = cascade(w);
    if (rc)
        return rc;
    for (size_t i = 0; i < w->nt; i++)
        w->t[i].change != CHG_NONE ? w->c.done++ : w->c.skipped++;
    w->c.missing = w->n - w->nt;
    return w->also ? w->also(st, &w->c, w->arg) : KBJ_OK;
}

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct ids of `ids`, sorted, into a new array (*m of them). */
static const char **distinct(const char *const *ids, size_t n, size_t *m)
{
    const char **d = malloc((n ? n : 1) * sizeof *d);
    *m = 0;
    if (!d)
        return NULL;
    memcpy(d, ids, n * sizeof *d);
    qsort(d, n, sizeof *d, cmp_ids);
    for (size_t i = 0; i < n; i++)
        if (*m == 0 || strcmp(d[*m - 1], d[i]) != 0)
            d[(*m)++] = d[i];
    return d;
}

int kbj_jobs_apply_with(kbj_engine *eng, const char *action_name, const char *const *ids, size_t n,
                        kbj_bulk_counts *out, int (*also)(kbj_store *st, const kbj_bulk_counts *batch, void *arg),
                        void *arg)
{
    batch_work w = { 0 };
    kbj_bulk_counts total = { 0, 0, 0 };
    const char **d;
    size_t m;
    int act = action_parse(action_name), rc = KBJ_OK;

    if (out)
        *out = total;
    if (!eng)
        return KBJ_EINVAL;
    if (act < 0)
        return kbj_efail(eng, KBJ_EINVAL, "unknown action \"%.40s\": cancel, resume, rerun or resubmit",
                         action_name ? action_name : "");
    if (n && !ids)
        return kbj_efail(eng, KBJ_EINVAL, "no ids given");
    for (size_t i = 0; i < n; i++)
        if (!kbj_valid_id(ids[i]))
            return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id (16 hex characters)", ids[i] ? ids[i] : "");
    if (n == 0)
        return KBJ_OK;
    d = distinct(ids, n, &m);
    w.t = calloc(m < KBJ_BULK_BATCH ? m : KBJ_BULK_BATCH, sizeof *w.t);
    if (!d || !w.t) {
        free(d);
        free(w.t);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    w.eng = eng;
    w.act = (action)act;
    w.also = also;
    w.arg = arg;
    for (size_t at = 0; at < m && rc == KBJ_OK; at += KBJ_BULK_BATCH) {
        w.ids = d + at;
        w.n = m - at < KBJ_BULK_BATCH ? m - at : KBJ_BULK_BATCH;
        rc = kbj_store_tx(eng->st, batch_tx, &w);
        if (rc == KBJ_OK) {
            total.done += w.c.done;
            total.skipped += w.c.skipped;
            total.missing += w.c.missing;
        }
    }
    free(d);
    free(w.t);
    if (out)
        *out = total;
    if (w.act != ACT_CANCEL && total.done)
        kbj_wake_jobs(eng); /* resumed, rerun or resubmitted jobs are queued */
    return rc;
}

int kbj_jobs_apply(kbj_engine *eng, const char *action_name, const char *const *ids, size_t n, kbj_bulk_counts *out)
{
    return kbj_jobs_apply_with(eng, action_name, ids, n, out, NULL, NULL);
}
