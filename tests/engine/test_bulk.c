/*
 * Bulk actions: kbj_jobs_apply (cancel, resume, rerun, resubmit and what each skips)
 * and the kbjobs.bulk job type (a filter's jobs in chunks, bounded by a snapshot, its
 * cursor surviving a stop, cancel between chunks), against the real MariaDB.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int setup(void **state)
{
    *state = kbj_test_engine("kbt_bulk_", 0);
    return 0;
}

/* Submits one job of `type` and puts it in `status` (as a runner would have left it);
 * id receives its id. */
static void job_in(kbj_engine *eng, const char *type, const char *status, char id[KBJ_ID_LEN + 1])
{
    char sql[256];
    snprintf(id, KBJ_ID_LEN + 1, "%s", kbj_test_submit(eng, type, NULL, "bulk"));
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_jobs SET status = '%s', attempts = 2,"
             " finished_at = IF('%s' IN ('completed', 'failed', 'cancelled'), NOW(6), NULL),"
             " uniq_active = NULL WHERE public_id = '%s'", status, status, id);
    kbj_test_exec(eng, sql);
}

/* Submits n jobs of `type` and puts them all in `status`. */
static void jobs_in(kbj_engine *eng, const char *type, const char *status, int n)
{
    char sql[256];
    kbj_test_submit_n(eng, type, "bulk", n);
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_jobs SET status = '%s', attempts = 1, finished_at = NOW(6)"
             " WHERE type = '%s'", status, type);
    kbj_test_exec(eng, sql);
}

/* A FailureLog entry for job `id` (as kbj_fail_job would have left it). */
static void failure_entry(kbj_engine *eng, const char *id)
{
    char sql[300];
    snprintf(sql, sizeof sql, "INSERT INTO {p}kbjobs_failures (job_id, public_id, type, message, attempts,"
             " failed_at) SELECT id, public_id, type, 'boom', attempts, NOW(6) FROM {p}kbjobs_jobs"
             " WHERE public_id = '%s'", id);
    kbj_test_exec(eng, sql);
}

static kbj_bulk_counts apply(kbj_engine *eng, const char *action, const char *const *ids, size_t n)
{
    kbj_bulk_counts c = { 99, 99, 99 };
    if (kbj_jobs_apply(eng, action, ids, n, &c) != KBJ_OK)
        fail_msg("%s: %s", action, kbj_errmsg(eng));
    return c;
}

static void assert_counts(kbj_bulk_counts c, unsigned long long done, unsigned long long skipped,
                          unsigned long long missing)
{
    assert_int_equal(c.done, done);
    assert_int_equal(c.skipped, skipped);
    assert_int_equal(c.missing, missing);
}

/* ---- kbj_jobs_apply ---------------------------------------------------------------- */

static void cancel_stops_queued_and_interrupted_and_asks_running_ones(void **state)
{
    kbj_engine *eng = *state;
    char q[17], i[17], r[17], c[17], f[17], x[17];
    const char *ids[8];

    job_in(eng, "t", "queued", q);
    job_in(eng, "t", "interrupted", i);
    job_in(eng, "t", "running", r);
    job_in(eng, "t", "completed", c);
    job_in(eng, "t", "failed", f);
    job_in(eng, "t", "cancelled", x);
    ids[0] = q, ids[1] = i, ids[2] = r, ids[3] = c, ids[4] = f, ids[5] = x;
    ids[6] = "0123456789abcdef"; /* no such job */
    ids[7] = q;                  /* twice: counted once */
    assert_counts(apply(eng, "cancel", ids, 8), 3, 3, 1);
    assert_string_equal(kbj_test_status(eng, q), "cancelled");
    assert_string_equal(kbj_test_status(eng, i), "cancelled");
    assert_string_equal(kbj_test_status(eng, r), "running");
    assert_int_equal(kbj_test_job_int(eng, "cancel_requested", r), 1);
    assert_int_equal(kbj_test_job_int(eng, "finished_at IS NOT NULL", q), 1);
    assert_string_equal(kbj_test_status(eng, c), "completed");
    assert_string_equal(kbj_test_status(eng, f), "failed");
}

static void resume_requeues_and_removes_failurelog_entries(void **state)
{
    kbj_engine *eng = *state;
    char i[17], x[17], f[17], q[17], r[17], c[17];
    const char *ids[6];

    job_in(eng, "t", "interrupted", i);
    job_in(eng, "t", "cancelled", x);
    job_in(eng, "t", "failed", f);
    job_in(eng, "t", "queued", q);
    job_in(eng, "t", "running", r);
    job_in(eng, "t", "completed", c);
    failure_entry(eng, f);
    ids[0] = i, ids[1] = x, ids[2] = f, ids[3] = q, ids[4] = r, ids[5] = c;
    assert_counts(apply(eng, "resume", ids, 6), 3, 3, 0);
    for (int k = 0; k < 3; k++) {
        assert_string_equal(kbj_test_status(eng, ids[k]), "queued");
        assert_int_equal(kbj_test_job_int(eng, "attempts", ids[k]), 0);
        assert_int_equal(kbj_test_job_int(eng, "finished_at IS NULL", ids[k]), 1);
    }
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_failures"), 0);
    assert_string_equal(kbj_test_status(eng, c), "completed");
}

static void resume_skips_a_job_whose_unique_key_another_active_job_holds(void **state)
{
    kbj_engine *eng = *state;
    kbj_submit s = { .type = "t", .queue = "bulk", .unique_key = "one-at-a-time" };
    char old[17], holder[17], other[17];
    const char *ids[2];

    assert_int_equal(kbj_submit_job(eng, &s, old, NULL), KBJ_OK);
    assert_int_equal(kbj_job_cancel(eng, old, NULL), KBJ_OK);
    assert_int_equal(kbj_submit_job(eng, &s, holder, NULL), KBJ_OK); /* holds the key now */
    job_in(eng, "t", "failed", other);
    ids[0] = old, ids[1] = other;
    assert_counts(apply(eng, "resume", ids, 2), 1, 1, 0);
    assert_string_equal(kbj_test_status(eng, old), "cancelled");
    assert_string_equal(kbj_test_status(eng, other), "queued");
    assert_string_equal(kbj_errmsg(eng), "");
}

static void rerun_makes_new_jobs_of_finished_ones(void **state)
{
    kbj_engine *eng = *state;
    char c[17], f[17], x[17], i[17], q[17], r[17];
    const char *ids[6];

    job_in(eng, "t.rerun", "completed", c);
    job_in(eng, "t.rerun", "failed", f);
    job_in(eng, "t.rerun", "cancelled", x);
    job_in(eng, "t.rerun", "interrupted", i);
    job_in(eng, "t.rerun", "queued", q);
    job_in(eng, "t.rerun", "running", r);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET params = '{\"n\":7}', priority = -3");
    ids[0] = c, ids[1] = f, ids[2] = x, ids[3] = i, ids[4] = q, ids[5] = r;
    assert_counts(apply(eng, "rerun", ids, 6), 4, 2, 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE rerun_of IS NOT NULL"
                                       " AND status = 'queued' AND params = '{\"n\":7}' AND priority = -3"), 4);
    for (int k = 0; k < 4; k++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE rerun_of = '%s'", ids[k]);
        assert_int_equal(kbj_test_int(eng, sql), 1);
    }
    /* the originals stay as they were */
    assert_string_equal(kbj_test_status(eng, c), "completed");
    assert_string_equal(kbj_test_status(eng, i), "interrupted");
}

static void resubmit_requeues_failed_jobs_with_or_without_an_entry(void **state)
{
    kbj_engine *eng = *state;
    char logged[17], evicted[17], c[17], x[17];
    const char *ids[4];

    job_in(eng, "t", "failed", logged);
    job_in(eng, "t", "failed", evicted); /* its entry was evicted by the cap */
    job_in(eng, "t", "completed", c);
    job_in(eng, "t", "cancelled", x);
    failure_entry(eng, logged);
    ids[0] = logged, ids[1] = evicted, ids[2] = c, ids[3] = x;
    assert_counts(apply(eng, "resubmit", ids, 4), 2, 2, 0);
    assert_string_equal(kbj_test_status(eng, logged), "queued");
    assert_string_equal(kbj_test_status(eng, evicted), "queued");
    assert_int_equal(kbj_test_job_int(eng, "attempts", logged), 0);
    assert_int_equal(kbj_test_job_int(eng, "run_at <= NOW(6)", logged), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_failures"), 0);
    assert_string_equal(kbj_test_status(eng, x), "cancelled");
}

static void bad_actions_and_ids_are_refused_before_anything_is_done(void **state)
{
    kbj_engine *eng = *state;
    char q[17];
    const char *ids[2];
    kbj_bulk_counts c = { 9, 9, 9 };

    job_in(eng, "t", "queued", q);
    ids[0] = q, ids[1] = "not-an-id";
    assert_int_equal(kbj_jobs_apply(eng, "cancel", ids, 2, &c), KBJ_EINVAL);
    assert_string_equal(kbj_errmsg(eng), "\"not-an-id\" is not a job id (16 hex characters)");
    assert_counts(c, 0, 0, 0);
    assert_string_equal(kbj_test_status(eng, q), "queued");
    assert_int_equal(kbj_jobs_apply(eng, "delete", ids, 1, &c), KBJ_EINVAL);
    assert_string_equal(kbj_errmsg(eng), "unknown action \"delete\": cancel, resume, rerun or resubmit");
    assert_int_equal(kbj_jobs_apply(eng, "cancel", NULL, 0, &c), KBJ_OK);
    assert_counts(c, 0, 0, 0);
}

static void ten_thousand_jobs_take_seconds(void **state)
{
    kbj_engine *eng = *state;
    const char **ids = calloc(10000, sizeof *ids);
    char (*buf)[KBJ_ID_LEN + 1] = calloc(10000, sizeof *buf);
    kbj_rows *rows = NULL;
    double t0;
    kbj_bulk_counts c;

    assert_true(ids && buf);
    kbj_test_submit_n(eng, "t.many", "bulk", 10000);
    assert_int_equal(kbj_store_query(eng->st, "SELECT public_id FROM {p}kbjobs_jobs", NULL, 0, &rows), KBJ_OK);
    assert_int_equal(kbj_rows_count(rows), 10000);
    for (size_t i = 0; i < 10000; i++) {
        kbj_copy(buf[i], sizeof buf[i], kbj_rows_str(rows, i, 0));
        ids[i] = buf[i];
    }
    kbj_rows_free(rows);
    t0 = kbj_test_now();
    c = apply(eng, "cancel", ids, 10000);
    print_message("cancel of 10000 queued jobs: %.2f s\n", kbj_test_now() - t0);
    assert_counts(c, 10000, 0, 0);
    t0 = kbj_test_now();
    c = apply(eng, "rerun", ids, 10000);
    print_message("rerun of 10000 cancelled jobs: %.2f s\n", kbj_test_now() - t0);
    assert_counts(c, 10000, 0, 0);
    assert_true(kbj_test_now() - t0 < 60);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'cancelled'"), 10000);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE rerun_of IS NOT NULL"), 10000);
    free(ids);
    free(buf);
}

/* ---- the kbjobs.bulk job -------------------------------------------------------------- */

/* Submits a kbjobs.bulk job with `params`; id receives its id. */
static void submit_bulk(kbj_engine *eng, const char *params, char id[KBJ_ID_LEN + 1])
{
    kbj_submit s = { .type = "kbjobs.bulk", .params = params };
    if (kbj_submit_job(eng, &s, id, NULL) != KBJ_OK)
        fail_msg("submit kbjobs.bulk: %s", kbj_errmsg(eng));
}

/* The number `key` of the job's result. */
static long long result_of(kbj_engine *eng, const char *id, const char *key)
{
    char expr[128];
    snprintf(expr, sizeof expr, "JSON_VALUE(result, '$.%s')", key);
    return kbj_test_job_int(eng, expr, id);
}

static void a_filter_bulk_reruns_each_match_once_and_leaves_its_reruns_alone(void **state)
{
    kbj_engine *eng = *state;
    char bulk[17], again[17];
    kbj_run_report rep;
    kbj_job *j;

    jobs_in(eng, "victim", "failed", 2000);
    jobs_in(eng, "bystander", "failed", 30);
    /* every victim matches the filter, and so would its rerun (same type) if the walk
     * went past the snapshot */
    submit_bulk(eng, "{\"action\": \"rerun\", \"filter\": {\"type\": \"victim\"}}", bulk);
    j = kbj_test_job(eng, bulk);
    assert_string_equal(j->queue, KBJ_BULK_QUEUE);
    kbj_job_free(j);
    rep = kbj_test_run_queue(eng, KBJ_BULK_QUEUE);
    assert_int_equal(rep.completed, 1);
    assert_string_equal(kbj_test_status(eng, bulk), "completed");
    j = kbj_test_job(eng, bulk);
    assert_non_null(strstr(j->result, "\"action\":\"rerun\""));
    assert_int_equal(result_of(eng, bulk, "matched"), 2000);
    assert_int_equal(result_of(eng, bulk, "done"), 2000);
    assert_int_equal(result_of(eng, bulk, "skipped"), 0);
    assert_int_equal(result_of(eng, bulk, "missing"), 0);
    assert_int_equal(j->progress_done, 2000);
    assert_int_equal(j->progress_total, 2000);
    kbj_job_free(j);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE type = 'victim'"
                                       " AND status = 'queued' AND rerun_of IS NOT NULL"), 2000);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(DISTINCT rerun_of) FROM {p}kbjobs_jobs"
                                       " WHERE type = 'victim'"), 2000);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE type = 'bystander'"
                                       " AND status = 'failed'"), 30);

    /* a status filter whose action changes the status: each failed victim once */
    submit_bulk(eng, "{\"action\": \"resume\", \"filter\": {\"status\": \"failed\", \"search\": \"vic\"}}", again);
    kbj_test_run_queue(eng, KBJ_BULK_QUEUE);
    assert_int_equal(result_of(eng, again, "matched"), 2000);
    assert_int_equal(result_of(eng, again, "done"), 2000);
    assert_int_equal(result_of(eng, again, "skipped"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE type = 'victim'"
                                       " AND status = 'queued'"), 4000);
}

static void bulk_params_are_checked_on_submit(void **state)
{
    kbj_engine *eng = *state;
    kbj_submit s = { .type = "kbjobs.bulk" };
    char id[17];
    static const struct {
        const char *params, *message;
    } bad[] = {
        { "{\"filter\": {}}", "params: \"action\" is required" },
        { "{\"action\": \"cancel\"}", "params: \"filter\" is required" },
        { "{\"action\": \"delete\", \"filter\": {}}", "params/action: must be one of" },
        { "{\"action\": \"cancel\", \"filter\": {\"status\": \"done\"}}", "params/filter/status: must be one of" },
        { "{\"action\": \"cancel\", \"filter\": {\"colour\": \"red\"}}", "params/filter" },
        { "{\"action\": \"cancel\", \"filter\": [1]}", "params/filter" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s.params = bad[i].params;
        assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_EINVAL);
        if (!strstr(kbj_errmsg(eng), bad[i].message))
            fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].params, kbj_errmsg(eng), bad[i].message);
    }
    /* an empty list is an empty filter (PHP encodes [] so) */
    s.params = "{\"action\": \"cancel\", \"filter\": []}";
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_OK);
}

/* A thread that, once the bulk job has done a chunk (its progress in the database),
 * cancels it or asks the runner to stop. */
typedef struct watcher {
    kbj_engine *eng;     /* the runner's engine (for the stop request) */
    kbj_engine *own;     /* its own connection */
    const char *bulk;
    int cancel;
    int acted;
} watcher;

static void *watch(void *arg)
{
    watcher *w = arg;
    for (int i = 0; i < 20000 && !w->acted; i++) {
        if (kbj_test_job_int(w->own, "progress_done", w->bulk) > 0) {
            if (w->cancel)
                assert_int_equal(kbj_job_cancel(w->own, w->bulk, NULL), KBJ_OK);
            else
                kbj_request_stop(w->eng);
            w->acted = 1;
        }
        kbj_test_msleep(1);
    }
    return NULL;
}

static kbj_run_report run_watched(kbj_engine *eng, const char *bulk, int cancel)
{
    watcher w = { eng, kbj_test_engine_join(eng), bulk, cancel, 0 };
    pthread_t t;
    kbj_run_report rep;

    assert_int_equal(pthread_create(&t, NULL, watch, &w), 0);
    rep = kbj_test_run_queue(eng, KBJ_BULK_QUEUE);
    pthread_join(t, NULL);
    assert_true(w.acted);
    kbj_engine_free(w.own);
    return rep;
}

static void a_cancelled_bulk_job_stops_between_chunks(void **state)
{
    kbj_engine *eng = *state;
    char bulk[17];
    long long done;

    jobs_in(eng, "victim", "completed", 8000);
    submit_bulk(eng, "{\"action\": \"rerun\", \"filter\": {\"type\": \"victim\"}}", bulk);
    run_watched(eng, bulk, 1);
    assert_string_equal(kbj_test_status(eng, bulk), "cancelled");
    done = result_of(eng, bulk, "done");
    print_message("cancelled after %lld of 8000\n", done);
    assert_true(done > 0 && done < 8000);
    assert_int_equal(done % KBJ_BULK_BATCH, 0);
    assert_int_equal(result_of(eng, bulk, "matched"), 8000);
    /* what it says it did is what it did */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE rerun_of IS NOT NULL"), done);
}

static void a_stopped_bulk_job_resumes_from_its_cursor(void **state)
{
    kbj_engine *eng = *state;
    char bulk[17];
    kbj_checkpoint *cp = NULL;
    long long upto;

    jobs_in(eng, "victim", "completed", 8000);
    submit_bulk(eng, "{\"action\": \"rerun\", \"filter\": {\"type\": \"victim\"}}", bulk);
    run_watched(eng, bulk, 0);
    eng->stop = 0;
    /* given back to its queue, part done; its checkpoint has the cursor */
    assert_string_equal(kbj_test_status(eng, bulk), "queued");
    assert_true(kbj_test_job_int(eng, "progress_done", bulk) > 0);
    assert_true(kbj_test_job_int(eng, "progress_done", bulk) < 8000);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE rerun_of IS NOT NULL"),
                     kbj_test_job_int(eng, "progress_done", bulk));
    assert_int_equal(kbj_checkpoint_load(eng, bulk, &cp), KBJ_OK);
    assert_non_null(strstr(cp->cursor, "\"after\""));
    kbj_checkpoint_free(cp);
    upto = kbj_test_job_int(eng, "JSON_VALUE(metrics, '$.upto')", bulk);
    assert_true(upto > 0);

    /* jobs that arrive while it waits are above its snapshot */
    jobs_in(eng, "latecomer", "completed", 5);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET type = 'victim' WHERE type = 'latecomer'");

    kbj_test_run_queue(eng, KBJ_BULK_QUEUE);
    assert_string_equal(kbj_test_status(eng, bulk), "completed");
    assert_int_equal(result_of(eng, bulk, "matched"), 8000);
    assert_int_equal(result_of(eng, bulk, "done"), 8000);
    assert_int_equal(result_of(eng, bulk, "skipped"), 0);
    assert_int_equal(kbj_test_job_int(eng, "JSON_VALUE(metrics, '$.upto')", bulk), upto);
    /* every victim rerun exactly once, the latecomers not at all */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE rerun_of IS NOT NULL"), 8000);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(DISTINCT rerun_of) FROM {p}kbjobs_jobs"), 8000);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE rerun_of IS NOT NULL AND"
                                       " rerun_of IN (SELECT public_id FROM {p}kbjobs_jobs WHERE status = 'completed')"),
                     8000);
}

static void a_bulk_job_never_acts_on_itself(void **state)
{
    kbj_engine *eng = *state;
    char q[17], bulk[17];

    job_in(eng, "t", "queued", q);
    submit_bulk(eng, "{\"action\": \"cancel\", \"filter\": {}}", bulk);
    kbj_test_run_queue(eng, KBJ_BULK_QUEUE);
    assert_string_equal(kbj_test_status(eng, bulk), "completed");
    assert_string_equal(kbj_test_status(eng, q), "cancelled");
    assert_int_equal(result_of(eng, bulk, "matched"), 1);
    assert_int_equal(result_of(eng, bulk, "done"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(cancel_stops_queued_and_interrupted_and_asks_running_ones, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(resume_requeues_and_removes_failurelog_entries, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(resume_skips_a_job_whose_unique_key_another_active_job_holds, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(rerun_makes_new_jobs_of_finished_ones, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(resubmit_requeues_failed_jobs_with_or_without_an_entry, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(bad_actions_and_ids_are_refused_before_anything_is_done, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(ten_thousand_jobs_take_seconds, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_filter_bulk_reruns_each_match_once_and_leaves_its_reruns_alone, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(bulk_params_are_checked_on_submit, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_cancelled_bulk_job_stops_between_chunks, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_stopped_bulk_job_resumes_from_its_cursor, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_bulk_job_never_acts_on_itself, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("bulk", tests, NULL, NULL);
}
