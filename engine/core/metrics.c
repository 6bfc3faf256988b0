/*
 * metrics.c - job metrics: each runner's accumulator and its writes (metrics.h), the
 * stats read that merges rows and histograms (kbj_stats_read), and the hourly rollup and
 * deletes the cleanup job runs.
 *
 * Rows: kbjobs_metrics (counters and sums) and kbjobs_metrics_hist (one row per
 * non-empty histogram bucket), keyed by (res, t, queue, type, runner). Three kinds:
 *
 *   res 0     a runner's own minute rows (runner = its id), not merged yet. A runner only
 *             ever adds to rows carrying its own id, so no two runners write the same row.
 *   res 60    runner-free minute rows (runner ''): the merge (kbj_metrics_merge) moves
 *             runners' rows into them by adding and deletes what it moved, in one
 *             transaction, so each count is in exactly one row of res 0 or res 60.
 *   res 3600  runner-free hourly rows, written by the rollup once the hour is over.
 *
 * The merge is additive and order-free: any subset of res 0 rows may be merged at any
 * time, even a minute still being written (the runner then starts a new row). So a
 * runner's late rows (after a database outage, or a long job that kept it from writing)
 * are merged by the next step wherever they fall; when their hour is already rolled up,
 * the merge adds them to its hourly rows as well, under a shared lock on the rollup's
 * watermark so that the two never both (or neither) count them.
 * kbjobs_meta.metrics_rolled_until is the first hour not rolled up: a read for hours
 * takes hourly rows before it and merges minute rows from it on, so no hour is counted
 * twice or missed while minute rows of rolled hours are still kept. A read takes res 0
 * rows of its whole window too, in the same statement (READ COMMITTED: one statement
 * sees one snapshot), so a merge committing meanwhile neither hides nor doubles a count.
 *
 * Bucket times are the database's clock, as every time the engine stores: a runner
 * reads it once when its run starts (kbj_metrics_sync) and adds that offset to its own
 * clock, so a runner on a host whose clock is off still counts in the right minute,
 * without a query per job. The wait time is measured by the database (in the claim),
 * the run time on the runner's monotonic clock.
 */
#include "metrics.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB KBJ_METRICS_BUCKETS
/* Complete hours are rolled up once they ended this long ago (seconds): a runner writes
 * its rows every few seconds, so by then they are in. */
#define ROLLUP_DELAY 600
#define WATERMARK "metrics_rolled_until"
/* A runner's own rows (not merged yet) have this res. */
#define RAW 0
/* Minutes are merged once they ended this long ago (seconds). A runner writes its counts
 * once the oldest is KBJ_METRICS_FLUSH_SECONDS (5 s) old, so three flush periods after a
 * minute ends the rows of every runner between jobs are in; a runner busy in a long job
 * writes later, and its row is merged by a later step (the merge adds). The lag only
 * trades rows merged twice against runners' rows a read still finds. */
#define MERGE_LAG 15
/* Runners' rows moved per transaction, per table. */
#define MERGE_BATCH 1000
/* The minute a runner last claimed the merge of (kbj_metrics_merge_turn). */
#define MERGE_CLAIM "metrics_merged_until"

int kbj_metrics_bucket_of(double ms)
{
    double b;
    if (!(ms > 1.0)) /* NaN too */
        return 0;
    /* the small tolerance keeps a time equal to a bound in the bucket it bounds */
    b = ceil(2.0 * log2(ms) - 1e-9);
    return b >= NB - 1 ? NB - 1 : (int)b;
}

double kbj_metrics_bucket_upper(int bucket)
{
    if (bucket <= 0)
        return 1.0;
    if (bucket >= NB - 1)
        bucket = NB - 2;
    return pow(2.0, bucket / 2.0);
}

/* ---- the runner's accumulator ------------------------------------------------------ */

typedef struct mentry {
    long long t;
    char queue[KBJ_NAME_MAX + 1], type[KBJ_NAME_MAX + 1];
    unsigned long long started, completed, failed, retried;
    double wait_sum, run_sum;
    unsigned hist[2][NB];
} mentry;

struct kbj_metrics {
    char runner[KBJ_ID_LEN + 1];
    double offset;               /* the database's clock minus this process's */
    mentry *e;
    size_t n, cap;
    double first_at;             /* monotonic time the oldest pending count was made */
    long long merge_tried;       /* the merge limit this runner last tried to claim */
};

kbj_metrics *kbj_metrics_new(const char *runner)
{
    kbj_metrics *m = calloc(1, sizeof *m);
    if (m)
        kbj_copy(m->runner, sizeof m->runner, runner ? runner : "");
    return m;
}

void kbj_metrics_free(kbj_metrics *m)
{
    if (!m)
        return;
    free(m->e);
    free(m);
}

/* The entry of (minute of now, queue, type), added when missing; NULL out of memory. */
static mentry *entry(kbj_metrics *m, double now, const char *queue, const char *type)
{
    long long t = (long long)floor((now + m->offset) / 60.0) * 60;
    for (size_t i = m->n; i-- > 0;)
        if (m->e[i].t == t && strcmp(m->e[i].queue, queue) == 0 && strcmp(m->e[i].type, type) == 0)
            return &m->e[i];
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 8;
        mentry *e = realloc(m->e, cap * sizeof *e);
        if (!e)
            return NULL;
        m->e = e;
        m->cap = cap;
    }
    if (m->n == 0)
        m->first_at = kbj_monotonic();
    memset(&m->e[m->n], 0, sizeof m->e[m->n]);
    m->e[m->n].t = t;
    kbj_copy(m->e[m->n].queue, sizeof m->e[m->n].queue, queue);
    kbj_copy(m->e[m->n].type, sizeof m->e[m->n].type, type);
    return &m->e[m->n++];
}

int kbj_metrics_started(kbj_metrics *m, double now, const char *queue, const char *type, double wait_ms)
{
    mentry *e;
    if (!m || !queue || !type)
        return KBJ_EINVAL;
    if (!(e = entry(m, now, queue, type)))
        return KBJ_ENOMEM;
    if (!(wait_ms >= 0))
        wait_ms = 0;
    e->started++;
    e->wait_sum += wait_ms;
    e->hist[0][kbj_metrics_bucket_of(wait_ms)]++;
    return KBJ_OK;
}

int kbj_metrics_ended(kbj_metrics *m, double now, const char *queue, const char *type, kbj_metrics_outcome outcome,
                      double run_ms)
{
    mentry *e;
    if (!m || !queue || !type)
        return KBJ_EINVAL;
    if (!(e = entry(m, now, queue, type)))
        return KBJ_ENOMEM;
    if (!(run_ms >= 0))
        run_ms = 0;
    if (outcome == KBJ_METRIC_COMPLETED)
        e->completed++;
    else if (outcome == KBJ_METRIC_FAILED)
        e->failed++;
    else
        e->retried++;
    e->run_sum += run_ms;
    e->hist[1][kbj_metrics_bucket_of(run_ms)]++;
    return KBJ_OK;
}

/* The database's clock as Unix seconds, or this process's when it cannot be read. */
static double db_now(kbj_store *st)
{
    kbj_rows *rows = NULL;
    double t = kbj_unix_time();
    if (kbj_store_query_again(st, "SELECT UNIX_TIMESTAMP(NOW(6))", NULL, 0, &rows) == KBJ_OK &&
        kbj_rows_str(rows, 0, 0))
        t = kbj_dbtime(kbj_rows_str(rows, 0, 0));
    kbj_rows_free(rows);
    return t;
}

void kbj_metrics_sync(kbj_metrics *m, kbj_store *st)
{
    if (m && st)
        m->offset = db_now(st) - kbj_unix_time();
}

int kbj_metrics_pending(const kbj_metrics *m)
{
    return m && m->n > 0;
}

int kbj_metrics_due(const kbj_metrics *m)
{
    return kbj_metrics_pending(m) &&
           (m->n >= KBJ_METRICS_MAX_PENDING || kbj_monotonic() - m->first_at >= KBJ_METRICS_FLUSH_SECONDS);
}

void kbj_metrics_written(kbj_metrics *m)
{
    if (m)
        m->n = 0;
}

#define COUNTER_ROWS 32  /* rows per counters statement */
#define HIST_ROWS 128    /* rows per histogram statement */

/* One multi-row upsert of `rows` rows of `per` values each from v. */
static int upsert(kbj_store *st, const char *head, const char *row, const char *tail, const kbj_val *v, size_t rows,
                  size_t per)
{
    size_t cap = strlen(head) + rows * (strlen(row) + 1) + strlen(tail) + 1, off;
    char *sql = malloc(cap);
    int rc;
    if (!sql)
        return KBJ_ENOMEM;
    off = (size_t)snprintf(sql, cap, "%s", head);
    for (size_t r = 0; r < rows; r++)
        off += (size_t)snprintf(sql + off, cap - off, "%s%s", r ? "," : "", row);
    snprintf(sql + off, cap - off, "%s", tail);
    rc = kbj_store_exec(st, sql, v, rows * per, NULL);
    free(sql);
    return rc;
}

int kbj_metrics_write(kbj_metrics *m, kbj_store *st)
{
    kbj_val v[HIST_ROWS * 7];
    size_t k = 0;
    int rc = KBJ_OK;

    if (!kbj_metrics_pending(m))
        return KBJ_OK;
    for (size_t i = 0; i < m->n && rc == KBJ_OK; i++) {
        const mentry *e = &m->e[i];
        v[k++] = KBJ_VI(e->t);
        v[k++] = KBJ_VS(e->queue);
        v[k++] = KBJ_VS(e->type);
        v[k++] = KBJ_VS(m->runner);
        v[k++] = KBJ_VI(e->started);
        v[k++] = KBJ_VI(e->completed);
        v[k++] = KBJ_VI(e->failed);
        v[k++] = KBJ_VI(e->retried);
        v[k++] = KBJ_VD(e->wait_sum);
        v[k++] = KBJ_VD(e->run_sum);
        if (k == COUNTER_ROWS * 10 || i + 1 == m->n) {
            rc = upsert(st, "INSERT INTO {p}kbjobs_metrics (res, t, queue, type, runner, started, completed, failed,"
                        " retried, wait_sum_ms, run_sum_ms) VALUES ", "(0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        " ON DUPLICATE KEY UPDATE started = started + VALUES(started),"
                        " completed = completed + VALUES(completed), failed = failed + VALUES(failed),"
                        " retried = retried + VALUES(retried), wait_sum_ms = wait_sum_ms + VALUES(wait_sum_ms),"
                        " run_sum_ms = run_sum_ms + VALUES(run_sum_ms)", v, k / 10, 10);
            k = 0;
        }
    }
    k = 0;
    for (size_t i = 0; i < m->n && rc == KBJ_OK; i++) {
        const mentry *e = &m->e[i];
        for (int kind = 0; kind < 2 && rc == KBJ_OK; kind++)
            for (int b = 0; b < NB && rc == KBJ_OK; b++) {
                if (!e->hist[kind][b])
                    continue;
                v[k++] = KBJ_VI(e->t);
                v[k++] = KBJ_VS(e->queue);
                v[k++] = KBJ_VS(e->type);
                v[k++] = KBJ_VS(m->runner);
                v[k++] = KBJ_VI(kind);
                v[k++] = KBJ_VI(b);
                v[k++] = KBJ_VI(e->hist[kind][b]);
                if (k == HIST_ROWS * 7) {
                    rc = upsert(st, "INSERT INTO {p}kbjobs_metrics_hist (res, t, queue, type, runner, kind, bucket, n)"
                                " VALUES ", "(0, ?, ?, ?, ?, ?, ?, ?)", " ON DUPLICATE KEY UPDATE n = n + VALUES(n)",
                                v, k / 7, 7);
                    k = 0;
                }
            }
    }
    if (rc == KBJ_OK && k)
        rc = upsert(st, "INSERT INTO {p}kbjobs_metrics_hist (res, t, queue, type, runner, kind, bucket, n) VALUES ",
                    "(0, ?, ?, ?, ?, ?, ?, ?)", " ON DUPLICATE KEY UPDATE n = n + VALUES(n)", v, k / 7, 7);
    return rc;
}

static int flush_tx(kbj_store *st, void *arg)
{
    return kbj_metrics_write(arg, st);
}

int kbj_metrics_flush(kbj_engine *eng, kbj_metrics *m)
{
    int rc;
    if (!eng)
        return KBJ_EINVAL;
    if (!kbj_metrics_pending(m))
        return KBJ_OK;
    rc = kbj_store_tx(eng->st, flush_tx, m);
    if (rc == KBJ_OK)
        kbj_metrics_written(m);
    return rc;
}

/* ---- the watermark -------------------------------------------------------------------- */

static int read_watermark(kbj_store *st, long long *w)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT value FROM {p}kbjobs_meta WHERE name = '" WATERMARK "'", NULL, 0, &rows);
    if (rc == KBJ_OK)
        *w = kbj_rows_count(rows) ? kbj_rows_int(rows, 0, 0) : 0;
    kbj_rows_free(rows);
    return rc;
}

/* ---- stats ------------------------------------------------------------------------------ */

typedef struct agg {
    kbj_stats_row row;
    unsigned long long h[2][NB];
} agg;

typedef struct named_agg {
    char name[KBJ_NAME_MAX + 1];
    agg a;
} named_agg;

typedef struct stats_work {
    kbj_engine *eng;
    const kbj_stats_opts *o;
    long long start, until;
    unsigned step;
    agg total, *series;
    size_t nseries;
    named_agg *queues, *types;
    size_t nqueues, ntypes, capq, capt;
} stats_work;

static agg *named(named_agg **arr, size_t *n, size_t *cap, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*arr)[i].name, name) == 0)
            return &(*arr)[i].a;
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 8;
        named_agg *a = realloc(*arr, c * sizeof *a);
        if (!a)
            return NULL;
        *arr = a;
        *cap = c;
    }
    memset(&(*arr)[*n], 0, sizeof (*arr)[*n]);
    kbj_copy((*arr)[*n].name, sizeof (*arr)[*n].name, name);
    return &(*arr)[(*n)++].a;
}

/* The aggregates a row of (bucket time, queue, type) adds to: total, series point,
 * queue, type. 0, or KBJ_ENOMEM. */
static int targets(stats_work *w, long long bt, const char *queue, const char *type, agg *out[4])
{
    long long idx = (bt - w->start) / (long long)w->step;
    out[0] = &w->total;
    out[1] = idx >= 0 && (size_t)idx < w->nseries ? &w->series[idx] : NULL;
    out[2] = named(&w->queues, &w->nqueues, &w->capq, queue ? queue : "");
    out[3] = named(&w->types, &w->ntypes, &w->capt, type ? type : "");
    return out[2] && out[3] ? KBJ_OK : KBJ_ENOMEM;
}

/* Rows of one resolution with from <= t < to. */
typedef struct trange {
    unsigned res;
    long long from, to;
} trange;

/* Reads the rows of the ranges (up to 3; empty ones skipped) into the aggregates, each
 * row's time put in its bucket of w->step. One statement per table, so that each sees
 * one snapshot: a merge moving rows from res 0 to res 60 meanwhile is seen whole or not
 * at all. */
static int read_ranges(kbj_store *st, stats_work *w, const trange *r, size_t nr)
{
    char where[400];
    kbj_val v[1 + 3 * 3 + 2];
    size_t n = 0, off, used = 0;
    kbj_rows *rows = NULL;
    char sql[800];
    int rc;

    v[n++] = KBJ_VI(w->step);
    off = (size_t)snprintf(where, sizeof where, " WHERE (");
    for (size_t i = 0; i < nr && i < 3; i++) {
        if (r[i].from >= r[i].to)
            continue;
        off += (size_t)snprintf(where + off, sizeof where - off, "%s(res = ? AND t >= ? AND t < ?)",
                                used++ ? " OR " : "");
        v[n++] = KBJ_VI(r[i].res);
        v[n++] = KBJ_VI(r[i].from);
        v[n++] = KBJ_VI(r[i].to);
    }
    if (!used)
        return KBJ_OK;
    snprintf(where + off, sizeof where - off, ")%s%s", w->o->queue ? " AND queue = ?" : "",
             w->o->type ? " AND type = ?" : "");
    if (w->o->queue)
        v[n++] = KBJ_VS(w->o->queue);
    if (w->o->type)
        v[n++] = KBJ_VS(w->o->type);

    snprintf(sql, sizeof sql, "SELECT t - MOD(t, ?), queue, type, SUM(started), SUM(completed), SUM(failed),"
             " SUM(retried) FROM {p}kbjobs_metrics%s GROUP BY 1, 2, 3", where);
    rc = kbj_store_query(st, sql, v, n, &rows);
    for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(rows); i++) {
        agg *to_add[4];
        if ((rc = targets(w, kbj_rows_int(rows, i, 0), kbj_rows_str(rows, i, 1), kbj_rows_str(rows, i, 2), to_add)))
            break;
        for (int a = 0; a < 4; a++) {
            if (!to_add[a])
                continue;
            to_add[a]->row.started += (unsigned long long)kbj_rows_int(rows, i, 3);
            to_add[a]->row.completed += (unsigned long long)kbj_rows_int(rows, i, 4);
            to_add[a]->row.failed += (unsigned long long)kbj_rows_int(rows, i, 5);
            to_add[a]->row.retried += (unsigned long long)kbj_rows_int(rows, i, 6);
        }
    }
    kbj_rows_free(rows);
    rows = NULL;
    if (rc)
        return rc == KBJ_ENOMEM ? kbj_efail(w->eng, rc, "out of memory") : rc;

    snprintf(sql, sizeof sql, "SELECT t - MOD(t, ?), queue, type, kind, bucket, SUM(n)"
             " FROM {p}kbjobs_metrics_hist%s GROUP BY 1, 2, 3, 4, 5", where);
    rc = kbj_store_query(st, sql, v, n, &rows);
    for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(rows); i++) {
        agg *to_add[4];
        long long kind = kbj_rows_int(rows, i, 3), b = kbj_rows_int(rows, i, 4);
        if (kind < 0 || kind > 1 || b < 0 || b >= NB)
            continue;
        if ((rc = targets(w, kbj_rows_int(rows, i, 0), kbj_rows_str(rows, i, 1), kbj_rows_str(rows, i, 2), to_add)))
            break;
        for (int a = 0; a < 4; a++)
            if (to_add[a])
                to_add[a]->h[kind][b] += (unsigned long long)kbj_rows_int(rows, i, 5);
    }
    kbj_rows_free(rows);
    return rc == KBJ_ENOMEM ? kbj_efail(w->eng, rc, "out of memory") : rc;
}

static void reset_aggs(stats_work *w)
{
    memset(&w->total, 0, sizeof w->total);
    memset(w->series, 0, w->nseries * sizeof *w->series);
    w->nqueues = w->ntypes = 0;
}

static int stats_do(kbj_store *st, void *arg)
{
    stats_work *w = arg;
    long long mark = 0, end = w->until + 1;
    int rc;

    reset_aggs(w); /* the work may run again after a reconnect */
    if (w->step == 60) {
        trange r[2] = { { 60, w->start, end }, { RAW, w->start, end } };
        return read_ranges(st, w, r, 2);
    }
    rc = read_watermark(st, &mark);
    if (rc == KBJ_OK) {
        /* runners' rows not merged yet count wherever they fall: those of a rolled-up hour
         * are added to its hourly rows only when merged */
        trange r[3] = { { 3600, w->start, mark < end ? mark : end }, { 60, mark > w->start ? mark : w->start, end },
                        { RAW, w->start, end } };
        rc = read_ranges(st, w, r, 3);
    }
    return rc;
}

/* The upper bound of the bucket holding the sample of rank ceil(p * n); -1 without any. */
static double percentile(const unsigned long long *h, double p)
{
    unsigned long long n = 0, rank, seen = 0;
    for (int b = 0; b < NB; b++)
        n += h[b];
    if (n == 0)
        return -1;
    rank = (unsigned long long)ceil(p * (double)n);
    if (rank < 1)
        rank = 1;
    for (int b = 0; b < NB; b++) {
        seen += h[b];
        if (seen >= rank)
            return kbj_metrics_bucket_upper(b);
    }
    return kbj_metrics_bucket_upper(NB - 1);
}

static kbj_stats_row finish_row(const agg *a)
{
    kbj_stats_row r = a->row;
    r.wait_p50_ms = percentile(a->h[0], 0.5);
    r.wait_p95_ms = percentile(a->h[0], 0.95);
    r.run_p50_ms = percentile(a->h[1], 0.5);
    r.run_p95_ms = percentile(a->h[1], 0.95);
    return r;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const kbj_stats_named *)a)->name, ((const kbj_stats_named *)b)->name);
}

static kbj_stats_named *finish_named(const named_agg *in, size_t n)
{
    kbj_stats_named *out = calloc(n ? n : 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        kbj_copy(out[i].name, sizeof out[i].name, in[i].name);
        out[i].row = finish_row(&in[i].a);
    }
    qsort(out, n, sizeof *out, by_name);
    return out;
}

void kbj_stats_free(kbj_stats *s)
{
    if (!s)
        return;
    free(s->queues);
    free(s->types);
    free(s->series);
    free(s);
}

int kbj_stats_read(kbj_engine *eng, const kbj_stats_opts *opts, kbj_stats **out)
{
    kbj_stats_opts none = { 0 };
    stats_work w;
    kbj_stats *s = NULL;
    long long since;
    int rc;

    if (!eng || !out)
        return KBJ_EINVAL;
    *out = NULL;
    if (!opts)
        opts = &none;
    since = opts->since ? opts->since : 3600;
    if (since < 1 || since > 90LL * 86400)
        return kbj_efail(eng, KBJ_EINVAL, "option \"since\" must be between 1 and %lld seconds (90 days), got %lld",
                         90LL * 86400, since);
    memset(&w, 0, sizeof w);
    w.step = opts->step ? opts->step : since <= KBJ_METRICS_MINUTES_KEEP ? 60 : 3600;
    if (w.step != 60 && w.step != 3600)
        return kbj_efail(eng, KBJ_EINVAL, "option \"step\" must be 60 or 3600, got %u", opts->step);
    if (w.step == 60 && since > KBJ_METRICS_MINUTES_KEEP)
        return kbj_efail(eng, KBJ_EINVAL, "option \"step\" 60 reaches back 48 hours at most (minute rows are"
                         " kept 48 hours): use 3600 for \"since\" %lld", since);
    if (opts->queue && !kbj_valid_name(opts->queue))
        return kbj_efail(eng, KBJ_EINVAL, "queue \"%.80s\" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'",
                         opts->queue);
    if (opts->type && (!*opts->type || strlen(opts->type) > KBJ_NAME_MAX))
        return kbj_efail(eng, KBJ_EINVAL, "job type \"%.80s\" must be 1 to 64 characters", opts->type);
    w.eng = eng;
    w.o = opts;
    w.until = (long long)floor(db_now(eng->st));
    w.start = (w.until - since) / (long long)w.step * (long long)w.step;
    w.nseries = (size_t)((w.until - w.start) / (long long)w.step) + 1;
    w.series = calloc(w.nseries, sizeof *w.series);
    if (!w.series)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    rc = kbj_store_do(eng->st, stats_do, &w);
    if (rc == KBJ_OK) {
        s = calloc(1, sizeof *s);
        if (s) {
            s->since = w.start;
            s->until = w.until;
            s->step = w.step;
            s->totals = finish_row(&w.total);
            s->queues = finish_named(w.queues, w.nqueues);
            s->nqueues = w.nqueues;
            s->types = finish_named(w.types, w.ntypes);
            s->ntypes = w.ntypes;
            s->series = calloc(w.nseries, sizeof *s->series);
            s->nseries = w.nseries;
        }
        if (!s || !s->queues || !s->types || !s->series) {
            kbj_stats_free(s);
            s = NULL;
            rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        } else {
            for (size_t i = 0; i < w.nseries; i++) {
                s->series[i].t = w.start + (long long)i * w.step;
                s->series[i].row = finish_row(&w.series[i]);
            }
        }
    }
    free(w.series);
    free(w.queues);
    free(w.types);
    *out = s;
    return rc;
}

/* ---- the merge of runners' rows ------------------------------------------------------------ */

/* One table's columns for the merge: the key after (res, t, queue, type, runner), then the
 * values, and how an upsert adds them. */
typedef struct mtable {
    const char *name, *cols, *add;
    size_t nkey, nval;
} mtable;

static const mtable merge_tables[2] = {
    { "kbjobs_metrics", "started, completed, failed, retried, wait_sum_ms, run_sum_ms",
      " ON DUPLICATE KEY UPDATE started = started + VALUES(started), completed = completed + VALUES(completed),"
      " failed = failed + VALUES(failed), retried = retried + VALUES(retried),"
      " wait_sum_ms = wait_sum_ms + VALUES(wait_sum_ms), run_sum_ms = run_sum_ms + VALUES(run_sum_ms)", 0, 6 },
    { "kbjobs_metrics_hist", "kind, bucket, n", " ON DUPLICATE KEY UPDATE n = n + VALUES(n)", 2, 1 },
};

typedef struct merge_work {
    const mtable *tb;
    long long limit;             /* runners' rows of minutes before it are merged */
    unsigned long long n;        /* rows merged by this transaction */
} merge_work;

/* Adds the rows (t, queue, type, runner, key..., values...) to the runner-free rows of
 * resolution `res` (60: their minute; 3600: their hour), one multi-row upsert; with
 * `before`, only the rows with t < before. */
static int merge_add(kbj_store *st, const mtable *tb, const kbj_rows *rows, unsigned res, long long before)
{
    size_t per = 3 + tb->nkey + tb->nval, k = 0, nr = kbj_rows_count(rows);
    kbj_val *v = calloc(nr * per + 1, sizeof *v);
    char head[300], row[80];
    int rc = KBJ_OK;
    size_t off;

    if (!v)
        return KBJ_ENOMEM;
    for (size_t i = 0; i < nr; i++) {
        long long t = kbj_rows_int(rows, i, 0);
        if (before && t >= before)
            continue;
        v[k++] = KBJ_VI(res == 3600 ? t - t % 3600 : t);
        v[k++] = KBJ_VS(kbj_rows_str(rows, i, 1));
        v[k++] = KBJ_VS(kbj_rows_str(rows, i, 2));
        for (size_t c = 0; c < tb->nkey; c++)
            v[k++] = KBJ_VI(kbj_rows_int(rows, i, 4 + c));
        /* values as the server gave them: it converts them back to the column's type */
        for (size_t c = 0; c < tb->nval; c++)
            v[k++] = KBJ_VS(kbj_rows_str(rows, i, 4 + tb->nkey + c));
    }
    if (k) {
        snprintf(head, sizeof head, "INSERT INTO {p}%s (res, t, queue, type, runner, %s) VALUES ", tb->name, tb->cols);
        off = (size_t)snprintf(row, sizeof row, "(%u, ?, ?, ?, ''", res);
        for (size_t c = 0; c < tb->nkey + tb->nval; c++)
            off += (size_t)snprintf(row + off, sizeof row - off, ", ?");
        snprintf(row + off, sizeof row - off, ")");
        rc = upsert(st, head, row, tb->add, v, k / per, per);
    }
    free(v);
    return rc;
}

/* Deletes exactly the rows read (by their primary key): a runner may have started a new
 * row of the same minute since, which was not merged and must stay. */
static int merge_delete(kbj_store *st, const mtable *tb, const kbj_rows *rows)
{
    size_t per = 4 + tb->nkey, k = 0, nr = kbj_rows_count(rows);
    kbj_val *v = calloc(nr * per + 1, sizeof *v);
    char head[200], row[40];
    int rc;

    if (!v)
        return KBJ_ENOMEM;
    for (size_t i = 0; i < nr; i++) {
        v[k++] = KBJ_VI(kbj_rows_int(rows, i, 0));
        v[k++] = KBJ_VS(kbj_rows_str(rows, i, 1));
        v[k++] = KBJ_VS(kbj_rows_str(rows, i, 2));
        v[k++] = KBJ_VS(kbj_rows_str(rows, i, 3));
        for (size_t c = 0; c < tb->nkey; c++)
            v[k++] = KBJ_VI(kbj_rows_int(rows, i, 4 + c));
    }
    snprintf(head, sizeof head, "DELETE FROM {p}%s WHERE res = 0 AND (t, queue, type, runner%s) IN (", tb->name,
             tb->nkey ? ", kind, bucket" : "");
    snprintf(row, sizeof row, "(?, ?, ?, ?%s)", tb->nkey ? ", ?, ?" : "");
    rc = upsert(st, head, row, ")", v, nr, per);
    free(v);
    return rc;
}

/* One batch of one table: the oldest runners' rows before the limit, locked, added to
 * the runner-free minute rows (and to the hourly rows when their hour is rolled up
 * already), then deleted. Run again after a commit whose acknowledgement was lost, it
 * finds those rows gone and merges only what is there. */
static int merge_tx(kbj_store *st, void *arg)
{
    merge_work *w = arg;
    const mtable *tb = w->tb;
    kbj_rows *rows = NULL;
    long long mark = 0;
    char sql[400];
    int rc;

    w->n = 0;
    /* the rollup's watermark, shared: a rollup (which locks it for update) waits for this
     * batch, or this batch sees the hour it rolled up */
    rc = kbj_store_exec(st, "INSERT IGNORE INTO {p}kbjobs_meta (name, value) VALUES ('" WATERMARK "', '0')", NULL,
                        0, NULL);
    if (rc == KBJ_OK)
        rc = kbj_store_query(st, "SELECT value FROM {p}kbjobs_meta WHERE name = '" WATERMARK "' LOCK IN SHARE MODE",
                             NULL, 0, &rows);
    if (rc)
        return rc;
    mark = kbj_rows_count(rows) ? kbj_rows_int(rows, 0, 0) : 0;
    kbj_rows_free(rows);
    rows = NULL;

    snprintf(sql, sizeof sql, "SELECT t, queue, type, runner, %s FROM {p}%s WHERE res = 0 AND t < ?"
             " ORDER BY res, t, queue, type, runner%s LIMIT ? FOR UPDATE", tb->cols, tb->name,
             tb->nkey ? ", kind, bucket" : "");
    rc = kbj_store_query(st, sql, (kbj_val[]){ KBJ_VI(w->limit), KBJ_VI(MERGE_BATCH) }, 2, &rows);
    if (rc == KBJ_OK && kbj_rows_count(rows)) {
        rc = merge_add(st, tb, rows, 60, 0);
        /* late rows of hours already rolled up: their hourly rows get them too */
        if (rc == KBJ_OK && kbj_rows_int(rows, 0, 0) < mark)
            rc = merge_add(st, tb, rows, 3600, mark);
        if (rc == KBJ_OK)
            rc = merge_delete(st, tb, rows);
        if (rc == KBJ_OK)
            w->n = kbj_rows_count(rows);
    }
    kbj_rows_free(rows);
    return rc;
}

/* Merges the runners' rows of minutes before `limit`, batch by batch, until none is left
 * or `deadline` (0: none) passes; *rows (may be NULL) adds the rows merged. */
static int merge_upto(kbj_engine *eng, long long limit, double deadline, size_t *rows, int *more)
{
    int rc = KBJ_OK;
    for (size_t i = 0; i < 2 && rc == KBJ_OK; i++) {
        merge_work w = { &merge_tables[i], limit, 0 };
        do {
            if (deadline > 0 && kbj_monotonic() >= deadline) {
                if (more)
                    *more = 1;
                return KBJ_OK;
            }
            rc = kbj_store_tx(eng->st, merge_tx, &w);
            if (rc == KBJ_OK && rows)
                *rows += (size_t)w.n;
        } while (rc == KBJ_OK && w.n == MERGE_BATCH);
    }
    return rc == KBJ_ENOMEM ? kbj_efail(eng, rc, "out of memory") : rc;
}

/* The end of the minutes complete enough to merge, on a clock of Unix seconds. */
static long long merge_limit_at(double now)
{
    long long t = (long long)floor(now) - MERGE_LAG;
    return t - t % 60;
}

int kbj_metrics_merge(kbj_engine *eng, double deadline, size_t *rows, int *more)
{
    if (more)
        *more = 0;
    if (rows)
        *rows = 0;
    if (!eng)
        return KBJ_EINVAL;
    return merge_upto(eng, merge_limit_at(db_now(eng->st)), deadline, rows, more);
}

void kbj_metrics_merge_turn(kbj_engine *eng, kbj_metrics *m, double seconds)
{
    long long limit;
    unsigned long long won = 0;
    char value[32];

    if (!eng || !m)
        return;
    limit = merge_limit_at(kbj_unix_time() + m->offset);
    if (limit <= m->merge_tried)
        return;
    m->merge_tried = limit;
    /* one runner a minute wins: the one whose conditional UPDATE moves the claim */
    snprintf(value, sizeof value, "%lld", limit);
    if (kbj_store_exec_again(eng->st, "UPDATE {p}kbjobs_meta SET value = ? WHERE name = '" MERGE_CLAIM "'"
                             " AND CAST(value AS SIGNED) < ?", (kbj_val[]){ KBJ_VS(value), KBJ_VI(limit) }, 2,
                             &won) != KBJ_OK)
        return;
    if (!won && kbj_store_exec_again(eng->st, "INSERT IGNORE INTO {p}kbjobs_meta (name, value) VALUES ('" MERGE_CLAIM
                                     "', ?)", (kbj_val[]){ KBJ_VS(value) }, 1, &won) != KBJ_OK)
        return;
    if (won)
        (void)merge_upto(eng, limit, kbj_monotonic() + seconds, NULL, NULL);
}

/* ---- rollup and deletes ---------------------------------------------------------------- */

typedef struct rollup_work {
    long long hour;              /* the hour to roll up, or -1: none left */
    long long limit;             /* hours starting before it are complete */
    unsigned long long rows;     /* minute rows in it */
    long long merge_limit;       /* a dry run: runners' rows before it would be merged */
} rollup_work;

/* Finds the next hour to roll up (from the watermark) and the minute rows in it. */
static int next_hour(kbj_store *st, rollup_work *w)
{
    kbj_rows *rows = NULL;
    long long mark = 0;
    int rc = read_watermark(st, &mark);
    w->hour = -1;
    w->rows = 0;
    if (rc)
        return rc;
    rc = kbj_store_query(st, "SELECT MIN(t) FROM {p}kbjobs_metrics WHERE res = 60 AND t >= ? AND t < ?",
                         (kbj_val[]){ KBJ_VI(mark), KBJ_VI(w->limit) }, 2, &rows);
    if (rc == KBJ_OK && kbj_rows_str(rows, 0, 0)) {
        long long t = kbj_rows_int(rows, 0, 0);
        w->hour = t - t % 3600;
    }
    kbj_rows_free(rows);
    if (rc || w->hour < 0)
        return rc;
    rc = kbj_store_query(st, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 60 AND t >= ? AND t < ?",
                         (kbj_val[]){ KBJ_VI(w->hour), KBJ_VI(w->hour + 3600) }, 2, &rows);
    if (rc == KBJ_OK)
        w->rows = (unsigned long long)kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return rc;
}

/* One hour: its hourly rows replaced by the sums of its minute rows, and the watermark
 * moved past it, together. */
static int rollup_tx(kbj_store *st, void *arg)
{
    rollup_work *w = arg;
    char mark[32];
    int rc;

    /* the watermark row first: two cleanups rolling up at once take turns */
    rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_meta (name, value) VALUES ('" WATERMARK "', '0')"
                        " ON DUPLICATE KEY UPDATE value = value", NULL, 0, NULL);
    if (rc == KBJ_OK) {
        kbj_rows *rows = NULL;
        rc = kbj_store_query(st, "SELECT value FROM {p}kbjobs_meta WHERE name = '" WATERMARK "' FOR UPDATE", NULL, 0,
                             &rows);
        kbj_rows_free(rows);
    }
    if (rc == KBJ_OK)
        rc = next_hour(st, w);
    if (rc || w->hour < 0)
        return rc;
    rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_metrics (res, t, queue, type, runner, started, completed, failed,"
                        " retried, wait_sum_ms, run_sum_ms)"
                        " SELECT 3600, ?, queue, type, '', SUM(started), SUM(completed), SUM(failed), SUM(retried),"
                        " SUM(wait_sum_ms), SUM(run_sum_ms) FROM {p}kbjobs_metrics"
                        " WHERE res = 60 AND t >= ? AND t < ? GROUP BY queue, type"
                        " ON DUPLICATE KEY UPDATE started = VALUES(started), completed = VALUES(completed),"
                        " failed = VALUES(failed), retried = VALUES(retried), wait_sum_ms = VALUES(wait_sum_ms),"
                        " run_sum_ms = VALUES(run_sum_ms)",
                        (kbj_val[]){ KBJ_VI(w->hour), KBJ_VI(w->hour), KBJ_VI(w->hour + 3600) }, 3, NULL);
    if (rc == KBJ_OK)
        rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_metrics_hist (res, t, queue, type, runner, kind, bucket, n)"
                            " SELECT 3600, ?, queue, type, '', kind, bucket, SUM(n) FROM {p}kbjobs_metrics_hist"
                            " WHERE res = 60 AND t >= ? AND t < ? GROUP BY queue, type, kind, bucket"
                            " ON DUPLICATE KEY UPDATE n = VALUES(n)",
                            (kbj_val[]){ KBJ_VI(w->hour), KBJ_VI(w->hour), KBJ_VI(w->hour + 3600) }, 3, NULL);
    snprintf(mark, sizeof mark, "%lld", w->hour + 3600);
    if (rc == KBJ_OK)
        rc = kbj_store_exec(st, "UPDATE {p}kbjobs_meta SET value = ? WHERE name = '" WATERMARK "'",
                            (kbj_val[]){ KBJ_VS(mark) }, 1, NULL);
    return rc;
}

static int rollup_count_do(kbj_store *st, void *arg)
{
    rollup_work *w = arg;
    kbj_rows *rows = NULL;
    long long mark = 0;
    int rc = read_watermark(st, &mark);
    w->rows = 0;
    if (rc == KBJ_OK)
        rc = kbj_store_query(st, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 60 AND t >= ? AND t < ?",
                             (kbj_val[]){ KBJ_VI(mark), KBJ_VI(w->limit) }, 2, &rows);
    if (rc == KBJ_OK)
        w->rows = (unsigned long long)kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    rows = NULL;
    /* and the runners' rows the merge would take first */
    if (rc == KBJ_OK)
        rc = kbj_store_query(st, "SELECT (SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 0 AND t < ?)"
                             " + (SELECT COUNT(*) FROM {p}kbjobs_metrics_hist WHERE res = 0 AND t < ?)",
                             (kbj_val[]){ KBJ_VI(w->merge_limit), KBJ_VI(w->merge_limit) }, 2, &rows);
    if (rc == KBJ_OK)
        w->rows += (unsigned long long)kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return rc;
}

/* The start of the first hour that is not complete yet, by the database's clock. */
static long long rollup_limit(kbj_store *st)
{
    long long now = (long long)floor(db_now(st)) - ROLLUP_DELAY;
    return now - now % 3600;
}

int kbj_metrics_rollup(kbj_engine *eng, double deadline, int dry_run, size_t *rows, int *more)
{
    rollup_work w = { -1, 0, 0, 0 };
    size_t total = 0;
    int rc = KBJ_OK;

    if (more)
        *more = 0;
    if (rows)
        *rows = 0;
    if (!eng)
        return KBJ_EINVAL;
    w.limit = rollup_limit(eng->st);
    if (dry_run) {
        w.merge_limit = merge_limit_at(db_now(eng->st));
        rc = kbj_store_do(eng->st, rollup_count_do, &w);
        total = (size_t)w.rows;
    } else {
        /* runners' rows first, so that the hours rolled up hold them (rows merged later
         * are added to their hour then) */
        int left = 0;
        rc = merge_upto(eng, merge_limit_at(db_now(eng->st)), deadline, &total, &left);
        if (left && more)
            *more = 1;
        for (; rc == KBJ_OK && !left;) {
            if (deadline > 0 && kbj_monotonic() >= deadline) {
                if (more)
                    *more = 1;
                break;
            }
            rc = kbj_store_tx(eng->st, rollup_tx, &w);
            if (rc || w.hour < 0)
                break;
            total += (size_t)w.rows;
        }
    }
    if (rows)
        *rows = total;
    return rc;
}

typedef struct delete_work {
    const char *table;
    unsigned res;
    long long before;
    size_t batch;
    int dry_run;
    unsigned long long n;
} delete_work;

static int delete_do(kbj_store *st, void *arg)
{
    delete_work *w = arg;
    char sql[200];
    kbj_val v[3] = { KBJ_VI(w->res), KBJ_VI(w->before), KBJ_VI(w->batch) };
    int rc;
    w->n = 0;
    if (!w->dry_run) {
        snprintf(sql, sizeof sql, "DELETE FROM {p}%s WHERE res = ? AND t < ? ORDER BY res, t LIMIT ?", w->table);
        return kbj_store_exec(st, sql, v, 3, &w->n);
    }
    {
        kbj_rows *rows = NULL;
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM {p}%s WHERE res = ? AND t < ?", w->table);
        rc = kbj_store_query(st, sql, v, 2, &rows);
        if (rc == KBJ_OK)
            w->n = (unsigned long long)kbj_rows_int(rows, 0, 0);
        kbj_rows_free(rows);
    }
    return rc;
}

static int mark_do(kbj_store *st, void *arg)
{
    return read_watermark(st, arg);
}

int kbj_metrics_delete(kbj_engine *eng, unsigned hour_days, size_t batch, double deadline, int dry_run,
                       size_t *deleted, int *more)
{
    static const char *const tables[] = { "kbjobs_metrics", "kbjobs_metrics_hist" };
    long long now, mark = 0, minute_before, limit;
    size_t total = 0;
    int rc;

    if (more)
        *more = 0;
    if (deleted)
        *deleted = 0;
    if (!eng)
        return KBJ_EINVAL;
    if (hour_days < 1 || hour_days > 36500)
        return kbj_efail(eng, KBJ_EINVAL, "metrics retention of %u days is out of range 1..36500", hour_days);
    if (batch < 1 || batch > 10000)
        return kbj_efail(eng, KBJ_EINVAL, "batch %zu is out of range 1..10000", batch);
    if ((rc = kbj_store_do(eng->st, mark_do, &mark)))
        return rc;
    now = (long long)floor(db_now(eng->st));
    limit = rollup_limit(eng->st);
    /* a dry run rolls nothing up: count what the rollup before it would have allowed */
    if (dry_run && mark < limit)
        mark = limit;
    /* minute rows go once older than 48 hours and rolled up, never before */
    minute_before = now - KBJ_METRICS_MINUTES_KEEP;
    if (minute_before > mark)
        minute_before = mark;
    for (int pass = 0; pass < 4 && rc == KBJ_OK; pass++) {
        delete_work w = { tables[pass % 2], pass < 2 ? 60 : 3600,
                          pass < 2 ? minute_before : now - 86400LL * hour_days, batch, dry_run, 0 };
        do {
            if (deadline > 0 && kbj_monotonic() >= deadline) {
                if (more)
                    *more = 1;
                pass = 4;
                break;
            }
            rc = kbj_store_do(eng->st, delete_do, &w);
            total += (size_t)w.n;
        } while (rc == KBJ_OK && !dry_run && w.n == batch);
    }
    if (deleted)
        *deleted = total;
    return rc;
}
