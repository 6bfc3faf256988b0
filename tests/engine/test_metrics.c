/* Metrics: a runner's counts and histograms as the stats read merges them, against the
 * real MariaDB. Drains of known jobs (diag types with known sleeps, failures and
 * retries); two runners' rows; the hourly rollup and the deletes, on rows seeded in the
 * past with SQL (never by waiting for the clock). */
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
    *state = kbj_test_engine("kbt_metrics_", 0);
    return 0;
}

static kbj_stats *stats(kbj_engine *eng, long long since, unsigned step, const char *queue, const char *type)
{
    kbj_stats_opts o = { since, step, queue, type };
    kbj_stats *s = NULL;
    if (kbj_stats_read(eng, &o, &s) != KBJ_OK)
        fail_msg("stats: %s", kbj_errmsg(eng));
    return s;
}

static const kbj_stats_row *named(const kbj_stats_named *a, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            return &a[i].row;
    fail_msg("no stats for %s", name);
    return NULL;
}

static void submit(kbj_engine *eng, const char *type, const char *params, const char *queue, int max_attempts, int n)
{
    for (int i = 0; i < n; i++) {
        kbj_submit s = { .type = type, .params = params, .queue = queue, .max_attempts = max_attempts };
        char id[KBJ_ID_LEN + 1];
        s.backoff.kind = KBJ_BACKOFF_FIXED;
        s.backoff.base_ms = 1;
        s.backoff.jitter = -1;
        if (kbj_submit_job(eng, &s, id, NULL) != KBJ_OK)
            fail_msg("submit: %s", kbj_errmsg(eng));
    }
}

/* The upper bound of the bucket holding `ms`, and of the one after it. */
static double upper(double ms)
{
    return kbj_metrics_bucket_upper(kbj_metrics_bucket_of(ms));
}

static void bucket_bounds_hold_every_duration_within_sqrt2(void **state)
{
    (void)state;
    assert_int_equal(kbj_metrics_bucket_of(0), 0);
    assert_int_equal(kbj_metrics_bucket_of(1), 0);
    assert_int_equal(kbj_metrics_bucket_of(1.001), 1);
    assert_int_equal(kbj_metrics_bucket_of(2), 2);
    assert_int_equal(kbj_metrics_bucket_of(1e12), KBJ_METRICS_BUCKETS - 1);
    for (double ms = 1.01; ms < 1e8; ms *= 1.37) {
        double u = upper(ms);
        assert_true(u >= ms);
        assert_true(u < ms * sqrt(2.0) * 1.000001);
    }
}

/* 18 diag.sleep of 20 ms and 2 of 300 ms, 10 diag.echo, 4 diag.fail that fail for good
 * at once, 3 that fail, retry once and fail: every count exact, in the minute(s) the
 * drain ran, and the run-time percentiles in the bucket of the true value. */
static void a_drain_of_known_jobs_gives_exact_counts_per_minute(void **state)
{
    kbj_engine *eng = *state;
    long long t0 = (long long)kbj_unix_time(), t1;
    kbj_stats *s;
    unsigned long long started = 0, completed = 0, failed = 0, retried = 0;
    const kbj_stats_row *r;

    submit(eng, "diag.sleep", "{\"seconds\": 0.02}", "m1", 1, 18);
    submit(eng, "diag.sleep", "{\"seconds\": 0.3}", "m1", 1, 2);
    submit(eng, "diag.echo", "{}", "m1", 1, 10);
    submit(eng, "diag.fail", "{\"retryable\": false}", "m1", 1, 4);
    submit(eng, "diag.fail", "{\"retryable\": true}", "m1", 2, 3);
    kbj_run_report rep = kbj_test_run_queue(eng, "m1");
    t1 = (long long)kbj_unix_time();
    assert_int_equal(rep.completed, 30);

    s = stats(eng, 600, 0, NULL, NULL);
    assert_int_equal(s->step, 60);
    assert_int_equal(s->totals.started, 40);
    assert_int_equal(s->totals.completed, 30);
    assert_int_equal(s->totals.failed, 7);
    assert_int_equal(s->totals.retried, 3);
    /* every count sits in a minute the drain ran in, and they add up to the totals */
    for (size_t i = 0; i < s->nseries; i++) {
        const kbj_stats_row *p = &s->series[i].row;
        if (p->started + p->completed + p->failed + p->retried == 0) {
            assert_true(p->run_p50_ms < 0 && p->wait_p95_ms < 0);
            continue;
        }
        assert_true(s->series[i].t >= t0 - t0 % 60 && s->series[i].t <= t1);
        started += p->started;
        completed += p->completed;
        failed += p->failed;
        retried += p->retried;
    }
    assert_int_equal(started, 40);
    assert_int_equal(completed, 30);
    assert_int_equal(failed, 7);
    assert_int_equal(retried, 3);
    if (t0 / 60 == t1 / 60) {
        /* the usual case: one minute holds it all */
        const kbj_stats_row *p = &s->series[(size_t)((t0 - t0 % 60 - s->since) / 60)].row;
        assert_int_equal(p->started, 40);
        assert_int_equal(p->completed, 30);
    }
    assert_int_equal(s->nqueues, 1);
    assert_string_equal(s->queues[0].name, "m1");

    r = named(s->types, s->ntypes, "diag.sleep");
    assert_int_equal(r->started, 20);
    assert_int_equal(r->completed, 20);
    /* p50 is a 20 ms sleep's bucket (or the next: scheduling), p95 a 300 ms sleep's */
    assert_true(r->run_p50_ms >= 20 && r->run_p50_ms <= upper(upper(20) * 1.01));
    assert_true(r->run_p95_ms >= 300 && r->run_p95_ms <= 300 * sqrt(2.0) * 1.0001);
    r = named(s->types, s->ntypes, "diag.fail");
    assert_int_equal(r->started, 10);
    assert_int_equal(r->failed, 7);
    assert_int_equal(r->retried, 3);
    assert_int_equal(r->completed, 0);
    assert_true(r->wait_p50_ms >= 0);
    kbj_stats_free(s);

    /* filters narrow it */
    s = stats(eng, 600, 60, NULL, "diag.echo");
    assert_int_equal(s->totals.started, 10);
    assert_int_equal(s->ntypes, 1);
    kbj_stats_free(s);
    s = stats(eng, 600, 60, "other", NULL);
    assert_int_equal(s->totals.started, 0);
    assert_true(s->totals.run_p95_ms < 0);
    kbj_stats_free(s);
}

/* A job created 10 s ago and due since then waited about 10 s: the wait histogram puts it
 * in the bucket of 10,000 ms (or the next, for the claim's own delay). */
static void wait_time_is_claim_time_minus_the_later_of_run_at_and_created_at(void **state)
{
    kbj_engine *eng = *state;
    kbj_stats *s;
    submit(eng, "diag.echo", "{}", "m2", 1, 3);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET created_at = NOW(6) - INTERVAL 10 SECOND,"
                  " run_at = NOW(6) - INTERVAL 20 SECOND WHERE queue = 'm2'");
    kbj_test_run_queue(eng, "m2");
    s = stats(eng, 600, 60, "m2", NULL);
    assert_int_equal(s->totals.started, 3);
    assert_true(s->totals.wait_p50_ms >= 10000);
    assert_true(s->totals.wait_p95_ms <= upper(upper(10000) * 1.01));
    kbj_stats_free(s);
}

/* Two runners drain one queue between them: each writes only rows with its own id, and
 * the read merges them (counts add, histograms add). */
static void two_runners_rows_merge(void **state)
{
    kbj_engine *eng = *state, *other = kbj_test_engine_join(eng);
    const char *queues[1] = { "m3" };
    kbj_run_opts first = { .queues = queues, .nqueues = 1, .until_empty = 1, .max_jobs = 15 };
    kbj_run_report rep;
    kbj_stats *s;

    assert_int_equal(kbj_register_builtin_types(other), KBJ_OK);
    submit(eng, "diag.sleep", "{\"seconds\": 0.002}", "m3", 1, 40);
    assert_int_equal(kbj_run(other, &first, &rep), KBJ_OK);
    if (rep.completed != 15)
        fail_msg("first runner: claimed %lu completed %lu failed %lu lost %lu stop %s", rep.claimed, rep.completed,
                 rep.failed, rep.lost, rep.stop_reason);
    kbj_test_run_queue(eng, "m3");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(DISTINCT runner) FROM {p}kbjobs_metrics WHERE queue = 'm3'"), 2);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE queue = 'm3' AND runner = ''"),
                     0);
    assert_int_equal(kbj_test_int(eng, "SELECT SUM(n) FROM {p}kbjobs_metrics_hist WHERE queue = 'm3' AND kind = 1"),
                     40);
    s = stats(eng, 600, 60, "m3", NULL);
    assert_int_equal(s->totals.started, 40);
    assert_int_equal(s->totals.completed, 40);
    assert_true(s->totals.run_p50_ms >= 2 && s->totals.run_p50_ms <= 64);
    kbj_stats_free(s);
    kbj_engine_free(other);
}

static void *drain(void *arg)
{
    const char *queues[1] = { "m4" };
    kbj_run_opts o = { .queues = queues, .nqueues = 1, .until_empty = 1, .claim_batch = 2 };
    kbj_run_report rep;
    return kbj_run(arg, &o, &rep) == KBJ_OK ? arg : NULL;
}

/* Two runners at once on one queue: their writes never meet (each its own rows), and the
 * counts are exact however the jobs fell between them. */
static void two_runners_at_once_write_their_own_rows_and_the_counts_are_exact(void **state)
{
    kbj_engine *eng = *state, *a = kbj_test_engine_join(eng), *b = kbj_test_engine_join(eng);
    pthread_t ta, tb;
    void *ra, *rb;
    kbj_stats *s;

    assert_int_equal(kbj_register_builtin_types(a), KBJ_OK);
    assert_int_equal(kbj_register_builtin_types(b), KBJ_OK);
    submit(eng, "diag.sleep", "{\"seconds\": 0.005}", "m4", 1, 60);
    assert_int_equal(pthread_create(&ta, NULL, drain, a), 0);
    assert_int_equal(pthread_create(&tb, NULL, drain, b), 0);
    pthread_join(ta, &ra);
    pthread_join(tb, &rb);
    assert_non_null(ra);
    assert_non_null(rb);
    s = stats(eng, 600, 60, "m4", NULL);
    assert_int_equal(s->totals.started, 60);
    assert_int_equal(s->totals.completed, 60);
    assert_int_equal(kbj_test_int(eng, "SELECT SUM(n) FROM {p}kbjobs_metrics_hist WHERE queue = 'm4' AND kind = 0"),
                     60);
    assert_true(kbj_test_int(eng, "SELECT COUNT(DISTINCT runner) FROM {p}kbjobs_metrics WHERE queue = 'm4'") >= 1);
    kbj_stats_free(s);
    kbj_engine_free(a);
    kbj_engine_free(b);
}

/* Seeds minute rows of runners runner0000000001.. (`runners` of them, from `first`) with
 * resolution `res` (0: runners' own rows, as runners write them) for each of `minutes`
 * minutes from `t`: each started 3, completed 2, failed 1, with run times in bucket 10
 * (twice) and 12. */
static void seed_runners(kbj_engine *eng, int res, long long t, int minutes, int first, int runners)
{
    char sql[600];
    for (int m = 0; m < minutes; m++)
        for (int r = first; r < first + runners; r++) {
            snprintf(sql, sizeof sql, "INSERT INTO {p}kbjobs_metrics (res, t, queue, type, runner, started, completed,"
                     " failed, retried) VALUES (%d, %lld, 'q', 'diag.echo', 'runner%010d', 3, 2, 1, 0)", res,
                     t + 60LL * m, r);
            kbj_test_exec(eng, sql);
            snprintf(sql, sizeof sql, "INSERT INTO {p}kbjobs_metrics_hist (res, t, queue, type, runner, kind, bucket, n)"
                     " VALUES (%d, %lld, 'q', 'diag.echo', 'runner%010d', 1, 10, 2),"
                     " (%d, %lld, 'q', 'diag.echo', 'runner%010d', 1, 12, 1)", res, t + 60LL * m, r, res,
                     t + 60LL * m, r);
            kbj_test_exec(eng, sql);
        }
}

/* Two runners' rows for `minutes` minutes from `t`, as runners write them. */
static void seed(kbj_engine *eng, long long t, int minutes)
{
    seed_runners(eng, 0, t, minutes, 1, 2);
}

static void rollup_to_hourly_keeps_totals_and_deletes_old_minutes(void **state)
{
    kbj_engine *eng = *state;
    long long now = (long long)kbj_unix_time(), h3 = now - now % 3600 - 3 * 3600, h50 = now - now % 3600 - 50 * 3600;
    size_t rows = 0, deleted = 0;
    int more = 1;
    kbj_stats *before, *after;

    seed(eng, h3 + 600, 30);  /* 30 minutes, 3 hours ago */
    seed(eng, h50 + 60, 5);   /* 5 minutes, 50 hours ago (past the 48 hours of minute rows) */
    before = stats(eng, 6 * 3600, 3600, NULL, NULL);
    assert_int_equal(before->totals.started, 30 * 2 * 3);

    /* a dry run counts (the runners' rows to merge: 70 counters, 140 histogram) and
     * changes nothing */
    assert_int_equal(kbj_metrics_rollup(eng, 0, 1, &rows, &more), KBJ_OK);
    assert_int_equal(rows, 210);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 3600"), 0);

    /* merged first (210 rows into 35 runner-free minute rows), then rolled up */
    assert_int_equal(kbj_metrics_rollup(eng, 0, 0, &rows, &more), KBJ_OK);
    assert_int_equal(rows, 210 + 35);
    assert_int_equal(more, 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 0"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 3600 AND runner = ''"), 2);
    /* rolling up again changes nothing */
    assert_int_equal(kbj_metrics_rollup(eng, 0, 0, &rows, &more), KBJ_OK);
    assert_int_equal(rows, 0);

    after = stats(eng, 6 * 3600, 3600, NULL, NULL);
    assert_int_equal(after->totals.started, before->totals.started);
    assert_int_equal(after->totals.completed, before->totals.completed);
    assert_int_equal(after->totals.failed, before->totals.failed);
    assert_true(after->totals.run_p95_ms == before->totals.run_p95_ms);
    assert_true(after->totals.run_p95_ms == kbj_metrics_bucket_upper(12));
    assert_true(after->totals.run_p50_ms == kbj_metrics_bucket_upper(10));
    kbj_stats_free(before);
    kbj_stats_free(after);

    /* minute rows past 48 hours go (a dry run first counts them), the hourly stay */
    assert_int_equal(kbj_metrics_delete(eng, 90, 3, 0, 1, &deleted, &more), KBJ_OK);
    assert_int_equal(deleted, 5 + 5 * 2);
    assert_int_equal(kbj_metrics_delete(eng, 90, 3, 0, 0, &deleted, &more), KBJ_OK);
    assert_int_equal(deleted, 5 + 5 * 2);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 60"), 30);
    after = stats(eng, 3 * 86400, 0, NULL, NULL);
    assert_int_equal(after->step, 3600);
    assert_int_equal(after->totals.started, 35 * 2 * 3);
    kbj_stats_free(after);
    /* hourly rows past metrics_days go too */
    assert_int_equal(kbj_metrics_delete(eng, 1, 1000, 0, 0, &deleted, &more), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 3600"), 1);
}

/* Moves every runner-written row `seconds` into the past (a complete minute, for the merge). */
static void age_runner_rows(kbj_engine *eng, long long seconds)
{
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_metrics SET t = t - %lld WHERE res = 0 ORDER BY t", seconds);
    kbj_test_exec(eng, sql);
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_metrics_hist SET t = t - %lld WHERE res = 0 ORDER BY t", seconds);
    kbj_test_exec(eng, sql);
}

static void same_row(const kbj_stats_row *a, const kbj_stats_row *b)
{
    assert_int_equal(a->started, b->started);
    assert_int_equal(a->completed, b->completed);
    assert_int_equal(a->failed, b->failed);
    assert_int_equal(a->retried, b->retried);
    assert_true(a->wait_p50_ms == b->wait_p50_ms && a->wait_p95_ms == b->wait_p95_ms);
    assert_true(a->run_p50_ms == b->run_p50_ms && a->run_p95_ms == b->run_p95_ms);
}

/* Two runners drain a queue (jobs of two types, some failing); their rows, once their
 * minute is complete, merge into runner-free rows: one per minute, queue and type (and
 * bucket), none left per runner, every count and percentile as before, per minute too. */
static void two_runners_minutes_merge_into_runner_free_rows_with_the_same_numbers(void **state)
{
    kbj_engine *eng = *state, *other = kbj_test_engine_join(eng);
    const char *queues[1] = { "m5" };
    kbj_run_opts first = { .queues = queues, .nqueues = 1, .until_empty = 1, .max_jobs = 12 };
    kbj_run_report rep;
    kbj_stats *before, *after;
    size_t rows = 0;
    int more = 1;
    long long raw, groups;

    assert_int_equal(kbj_register_builtin_types(other), KBJ_OK);
    submit(eng, "diag.sleep", "{\"seconds\": 0.003}", "m5", 1, 20);
    submit(eng, "diag.fail", "{\"retryable\": false}", "m5", 1, 6);
    assert_int_equal(kbj_run(other, &first, &rep), KBJ_OK);
    kbj_test_run_queue(eng, "m5");
    age_runner_rows(eng, 300);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(DISTINCT runner) FROM {p}kbjobs_metrics WHERE res = 0"), 2);
    raw = kbj_test_int(eng, "SELECT (SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 0)"
                       " + (SELECT COUNT(*) FROM {p}kbjobs_metrics_hist WHERE res = 0)");
    groups = kbj_test_int(eng, "SELECT COUNT(DISTINCT t, queue, type) FROM {p}kbjobs_metrics WHERE res = 0");
    before = stats(eng, 3600, 60, NULL, NULL);
    assert_int_equal(before->totals.started, 26);

    assert_int_equal(kbj_metrics_merge(eng, 0, &rows, &more), KBJ_OK);
    assert_int_equal(rows, raw);
    assert_int_equal(more, 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 0"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics_hist WHERE res = 0"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 60 AND runner = ''"),
                     groups);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE runner <> ''"), 0);

    after = stats(eng, 3600, 60, NULL, NULL);
    same_row(&after->totals, &before->totals);
    assert_int_equal(after->totals.completed, 20);
    assert_int_equal(after->totals.failed, 6);
    assert_int_equal(after->nseries, before->nseries);
    for (size_t i = 0; i < after->nseries; i++)
        same_row(&after->series[i].row, &before->series[i].row);
    assert_int_equal(after->ntypes, 2);
    for (size_t i = 0; i < after->ntypes; i++)
        same_row(&after->types[i].row, named(before->types, before->ntypes, after->types[i].name));
    kbj_stats_free(before);
    kbj_stats_free(after);

    /* nothing is left to merge; the current minute's rows wait for the lag */
    assert_int_equal(kbj_metrics_merge(eng, 0, &rows, &more), KBJ_OK);
    assert_int_equal(rows, 0);
    seed_runners(eng, 0, (long long)kbj_unix_time(), 1, 1, 2);
    assert_int_equal(kbj_metrics_merge(eng, 0, &rows, &more), KBJ_OK);
    assert_int_equal(rows, 0);
    kbj_engine_free(other);
}

/* A runner's row written after its hour was rolled up (a flush delayed past the
 * rollup's 10 minutes) is merged into the hour's rows as well, additively: the hourly
 * read and the minute read both count it, before the merge (as a runner's row) and
 * after it, and a queue the hour never had gets its own hourly row. */
static void a_row_written_after_its_hour_was_rolled_up_is_counted(void **state)
{
    kbj_engine *eng = *state;
    long long now = (long long)kbj_unix_time(), h2 = now - now % 3600 - 2 * 3600;
    size_t rows = 0;
    int more = 0;
    kbj_stats *s;

    seed(eng, h2 + 600, 10);
    assert_int_equal(kbj_metrics_rollup(eng, 0, 0, &rows, &more), KBJ_OK);
    assert_true(kbj_test_int(eng, "SELECT value FROM {p}kbjobs_meta WHERE name = 'metrics_rolled_until'") > h2);
    s = stats(eng, 4 * 3600, 3600, NULL, NULL);
    assert_int_equal(s->totals.started, 10 * 2 * 3);
    kbj_stats_free(s);

    /* late: a third runner's minute in that hour, and a row of a queue the hour lacks */
    seed_runners(eng, 0, h2 + 1200, 1, 3, 1);
    kbj_test_exec(eng, "INSERT INTO {p}kbjobs_metrics (res, t, queue, type, runner, started, completed)"
                  " VALUES (0, (SELECT value FROM {p}kbjobs_meta WHERE name = 'metrics_rolled_until') - 3540,"
                  " 'late', 'diag.echo', 'runner0000000004', 7, 7)");
    s = stats(eng, 4 * 3600, 3600, NULL, NULL);
    assert_int_equal(s->totals.started, 10 * 2 * 3 + 3 + 7);
    kbj_stats_free(s);

    assert_int_equal(kbj_metrics_rollup(eng, 0, 0, &rows, &more), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 0"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT SUM(started) FROM {p}kbjobs_metrics WHERE res = 3600"), 60 + 3 + 7);
    assert_int_equal(kbj_test_int(eng, "SELECT started FROM {p}kbjobs_metrics WHERE res = 3600 AND queue = 'late'"),
                     7);
    assert_int_equal(kbj_test_int(eng, "SELECT SUM(n) FROM {p}kbjobs_metrics_hist WHERE res = 3600"), 10 * 2 * 3 + 3);
    s = stats(eng, 4 * 3600, 3600, NULL, NULL);
    assert_int_equal(s->totals.started, 10 * 2 * 3 + 3 + 7);
    assert_true(s->totals.run_p95_ms == kbj_metrics_bucket_upper(12));
    kbj_stats_free(s);
    s = stats(eng, 4 * 3600, 60, NULL, NULL);
    assert_int_equal(s->totals.started, 10 * 2 * 3 + 3 + 7);
    kbj_stats_free(s);
}

typedef struct steal {
    kbj_engine *other;
    int calls;
} steal;

/* The second job of a claim takes the first's lease away (as a reaper and another
 * runner would) while the first's completion waits in the runner's buffer. */
static int steal_first_lease(kbj_ctx *ctx, void *udata)
{
    steal *s = udata;
    (void)ctx;
    if (++s->calls == 2)
        kbj_test_exec(s->other, "UPDATE {p}kbjobs_jobs SET lease_token = lease_token + 1000000"
                      " WHERE queue = 'm6' AND status = 'running' ORDER BY id LIMIT 1");
    return KBJ_OK;
}

/* A completion the database refuses (the lease was lost) is not counted as completed:
 * the job was started, but only what committed counts. */
static void a_completion_refused_for_a_lost_lease_is_not_counted(void **state)
{
    kbj_engine *eng = *state;
    steal st = { kbj_test_engine_join(eng), 0 };
    kbj_type_def def = { .name = "test.steal", .handler = steal_first_lease, .udata = &st };
    const char *queues[1] = { "m6" };
    kbj_run_opts o = { .queues = queues, .nqueues = 1, .until_empty = 1, .claim_batch = 2 };
    kbj_run_report rep;
    kbj_stats *s;

    assert_int_equal(kbj_register_type(eng, &def), KBJ_OK);
    submit(eng, "test.steal", "{}", "m6", 1, 2);
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_int_equal(st.calls, 2);
    assert_int_equal(rep.completed, 1);
    assert_int_equal(rep.lost, 1);
    s = stats(eng, 600, 60, "m6", NULL);
    assert_int_equal(s->totals.started, 2);
    assert_int_equal(s->totals.completed, 1);
    kbj_stats_free(s);
    kbj_engine_free(st.other);
}

/* A run merges the runners' rows of complete minutes as it starts (its first metrics
 * tick), once it has claimed the minute; a second run in the same minute finds the
 * minute claimed and leaves new rows to the next minute's winner. */
static void a_runner_merges_when_it_wins_the_minute_and_only_one_wins_it(void **state)
{
    kbj_engine *eng = *state, *other = kbj_test_engine_join(eng);
    long long now = (long long)kbj_unix_time(), t = now - now % 60 - 600, limit;
    kbj_stats *s;

    assert_int_equal(kbj_register_builtin_types(other), KBJ_OK);
    seed(eng, t, 3);
    kbj_test_run_queue(eng, "m7"); /* nothing to run: the merge is all it does */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 0"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics_hist WHERE res = 0"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT SUM(started) FROM {p}kbjobs_metrics WHERE res = 60"), 3 * 2 * 3);
    limit = kbj_test_int(eng, "SELECT value FROM {p}kbjobs_meta WHERE name = 'metrics_merged_until'");
    assert_true(limit > t + 120 && limit <= now);

    seed_runners(eng, 0, t + 180, 1, 5, 1);
    kbj_test_run_queue(other, "m7");
    if (kbj_test_int(eng, "SELECT value FROM {p}kbjobs_meta WHERE name = 'metrics_merged_until'") == limit)
        assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 0"), 1);
    s = stats(eng, 3600, 60, NULL, NULL);
    assert_int_equal(s->totals.started, 3 * 2 * 3 + 3);
    kbj_stats_free(s);
    kbj_engine_free(other);
}

/* Index rows (Handler_read_key/next/prev/first) this connection has read so far. */
static long long index_reads(kbj_engine *eng)
{
    return kbj_test_int(eng, "SELECT SUM(VARIABLE_VALUE) FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME"
                        " IN ('HANDLER_READ_KEY', 'HANDLER_READ_NEXT', 'HANDLER_READ_PREV', 'HANDLER_READ_FIRST')");
}

/* Rows a last-hour read examines, with the runners' rows as they are. */
static long long hour_read_rows(kbj_engine *eng)
{
    long long before = index_reads(eng);
    kbj_stats *s = stats(eng, 3600, 60, NULL, NULL);
    long long n = index_reads(eng) - before;
    kbj_stats_free(s);
    return n;
}

/* An hour of 2 runners' rows, merged, and then of 10 runners' (8 more the same minutes):
 * a last-hour read examines as many rows either way (one per minute, queue, type and
 * bucket), while unmerged, 10 runners' rows cost it five times 2 runners'. */
static void rows_a_last_hour_read_examines_do_not_grow_with_runners(void **state)
{
    kbj_engine *eng = *state;
    long long now = (long long)kbj_unix_time(), t = now - now % 60 - 3600, two, ten, unmerged;
    size_t rows = 0;
    int more = 0;
    kbj_stats *s;

    seed_runners(eng, 0, t, 58, 1, 2);
    unmerged = hour_read_rows(eng);
    assert_int_equal(kbj_metrics_merge(eng, 0, &rows, &more), KBJ_OK);
    two = hour_read_rows(eng);
    seed_runners(eng, 0, t, 58, 3, 8);
    assert_true(hour_read_rows(eng) > 4 * unmerged);
    assert_int_equal(kbj_metrics_merge(eng, 0, &rows, &more), KBJ_OK);
    ten = hour_read_rows(eng);
    print_message("last-hour read: 2 runners unmerged %lld rows, merged %lld; 10 runners merged %lld\n", unmerged,
                  two, ten);
    assert_int_equal(ten, two);
    /* 58 minutes of 1 counter row and 2 buckets, each read once from the index and looked
     * up once in the GROUP BY's temporary table, and the ranges' starts */
    assert_true(two <= 2 * 58 * 3 + 10);
    s = stats(eng, 3600, 60, NULL, NULL);
    assert_int_equal(s->totals.started, 58 * 10 * 3);
    assert_true(s->totals.run_p95_ms == kbj_metrics_bucket_upper(12));
    kbj_stats_free(s);
}

static void stats_options_out_of_range_are_refused(void **state)
{
    kbj_engine *eng = *state;
    kbj_stats *s = NULL;
    kbj_stats_opts bad[] = {
        { 91LL * 86400, 0, NULL, NULL }, { 3600, 120, NULL, NULL }, { 3 * 86400, 60, NULL, NULL },
        { 3600, 60, "Bad Queue", NULL }, { -5, 0, NULL, NULL },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(kbj_stats_read(eng, &bad[i], &s), KBJ_EINVAL);
        assert_null(s);
    }
    s = stats(eng, 0, 0, NULL, NULL);
    assert_int_equal(s->step, 60);
    assert_true(s->nseries == 61 || s->nseries == 62);
    assert_int_equal(s->series[0].t, s->since);
    assert_int_equal(s->series[s->nseries - 1].t, s->until - s->until % 60);
    kbj_stats_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket_bounds_hold_every_duration_within_sqrt2),
        cmocka_unit_test_setup_teardown(a_drain_of_known_jobs_gives_exact_counts_per_minute, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(wait_time_is_claim_time_minus_the_later_of_run_at_and_created_at, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(two_runners_rows_merge, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(two_runners_at_once_write_their_own_rows_and_the_counts_are_exact, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(rollup_to_hourly_keeps_totals_and_deletes_old_minutes, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(two_runners_minutes_merge_into_runner_free_rows_with_the_same_numbers, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_row_written_after_its_hour_was_rolled_up_is_counted, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_completion_refused_for_a_lost_lease_is_not_counted, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_runner_merges_when_it_wins_the_minute_and_only_one_wins_it, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(rows_a_last_hour_read_examines_do_not_grow_with_runners, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(stats_options_out_of_range_are_refused, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
