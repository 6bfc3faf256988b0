/* Metrics: a runner's counts and histograms as the stats read merges them, against the
 * real MariaDB. Drains of known jobs (diag types with known sleeps, failures and
 * retries); two runners' rows; the hourly rollup and the deletes, on rows seeded in the
 * past with SQL (never by waiting for the clock). */
#include "testutil.h"

#include <math.h>
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

/* Seeds `per` minute rows for each of `minutes` minutes from `t`, for runners r1 and r2:
 * each started 3, completed 2, failed 1, with run times in bucket 10 and 12. */
static void seed(kbj_engine *eng, long long t, int minutes)
{
    char sql[600];
    for (int m = 0; m < minutes; m++)
        for (int r = 1; r <= 2; r++) {
            snprintf(sql, sizeof sql, "INSERT INTO {p}kbjobs_metrics (res, t, queue, type, runner, started, completed,"
                     " failed, retried) VALUES (60, %lld, 'q', 'diag.echo', 'runner%010d', 3, 2, 1, 0)",
                     t + 60LL * m, r);
            kbj_test_exec(eng, sql);
            snprintf(sql, sizeof sql, "INSERT INTO {p}kbjobs_metrics_hist (res, t, queue, type, runner, kind, bucket, n)"
                     " VALUES (60, %lld, 'q', 'diag.echo', 'runner%010d', 1, 10, 2),"
                     " (60, %lld, 'q', 'diag.echo', 'runner%010d', 1, 12, 1)", t + 60LL * m, r, t + 60LL * m, r);
            kbj_test_exec(eng, sql);
        }
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

    /* a dry run counts and changes nothing */
    assert_int_equal(kbj_metrics_rollup(eng, 0, 1, &rows, &more), KBJ_OK);
    assert_int_equal(rows, 70);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 3600"), 0);

    assert_int_equal(kbj_metrics_rollup(eng, 0, 0, &rows, &more), KBJ_OK);
    assert_int_equal(rows, 70);
    assert_int_equal(more, 0);
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
    assert_int_equal(deleted, 5 * 2 + 5 * 2 * 2);
    assert_int_equal(kbj_metrics_delete(eng, 90, 3, 0, 0, &deleted, &more), KBJ_OK);
    assert_int_equal(deleted, 5 * 2 + 5 * 2 * 2);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 60"), 60);
    after = stats(eng, 3 * 86400, 0, NULL, NULL);
    assert_int_equal(after->step, 3600);
    assert_int_equal(after->totals.started, 35 * 2 * 3);
    kbj_stats_free(after);
    /* hourly rows past metrics_days go too */
    assert_int_equal(kbj_metrics_delete(eng, 1, 1000, 0, 0, &deleted, &more), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_metrics WHERE res = 3600"), 1);
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
        cmocka_unit_test_setup_teardown(rollup_to_hourly_keeps_totals_and_deletes_old_minutes, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(stats_options_out_of_range_are_refused, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
