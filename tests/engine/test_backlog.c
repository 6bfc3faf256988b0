/* Backlogs: held jobs are never claimed, reaped or counted as waiting; a release turns
 * them into queued jobs in batches that runners take; backlogs are listed with their
 * counts; a held job can be cancelled; unique keys work as for any job; and the queue
 * stats say why a queue is not fed (held, nothing due, paused, concurrency, rate), all
 * against the real MariaDB. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int setup(void **state)
{
    *state = kbj_test_engine("kbt_backlog_", 60);
    return 0;
}

static void submit(kbj_engine *eng, kbj_submit s, char id[KBJ_ID_LEN + 1])
{
    if (!s.type)
        s.type = "diag.echo";
    if (kbj_submit_job(eng, &s, id, NULL) != KBJ_OK)
        fail_msg("submit: %s", kbj_errmsg(eng));
}

/* Submits n held jobs of diag.echo to `queue` in `backlog`, in one kbj_submit_many. */
static void submit_held(kbj_engine *eng, const char *queue, const char *backlog, size_t n)
{
    kbj_submit *s = calloc(n, sizeof *s);
    char(*ids)[KBJ_ID_LEN + 1] = calloc(n, sizeof *ids);
    assert_non_null(s);
    assert_non_null(ids);
    for (size_t i = 0; i < n; i++)
        s[i] = (kbj_submit){ .type = "diag.echo", .queue = queue, .backlog = backlog, .hold = 1 };
    if (kbj_submit_many(eng, s, n, ids) != KBJ_OK)
        fail_msg("submit_many: %s", kbj_errmsg(eng));
    free(s);
    free(ids);
}

static kbj_queue_stats qstats(kbj_engine *eng, const char *queue)
{
    kbj_queue_stats q;
    if (kbj_queue_stats_get(eng, queue, &q) != KBJ_OK)
        fail_msg("queue stats: %s", kbj_errmsg(eng));
    return q;
}

static void held_jobs_are_never_claimed_and_run_once_released(void **state)
{
    kbj_engine *eng = *state;
    char id[17];
    kbj_run_report r;
    kbj_job *j;
    unsigned long long released = 99;

    submit(eng, (kbj_submit){ .queue = "b", .backlog = "nightly", .hold = 1 }, id);
    j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "held");
    assert_string_equal(j->backlog, "nightly");
    kbj_job_free(j);

    r = kbj_test_run_queue(eng, "b");
    assert_int_equal(r.claimed, 0);
    assert_string_equal(kbj_test_status(eng, id), "held");
    /* the reaper leaves it alone too */
    assert_int_equal(kbj_reap(eng, NULL), KBJ_OK);
    assert_string_equal(kbj_test_status(eng, id), "held");

    assert_int_equal(kbj_backlog_release(eng, "nightly", &released), KBJ_OK);
    assert_int_equal(released, 1);
    assert_string_equal(kbj_test_status(eng, id), "queued");
    r = kbj_test_run_queue(eng, "b");
    assert_int_equal(r.completed, 1);
    assert_string_equal(kbj_test_status(eng, id), "completed");
    /* released again: nothing left to release */
    assert_int_equal(kbj_backlog_release(eng, "nightly", &released), KBJ_OK);
    assert_int_equal(released, 0);
}

static void a_release_goes_in_batches_and_only_touches_its_own_backlog(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long released = 0;
    size_t n = KBJ_BACKLOG_BATCH * 2 + 5;

    submit_held(eng, "b", "big", n);
    submit_held(eng, "b", "other", 3);
    assert_int_equal(kbj_backlog_release(eng, "big", &released), KBJ_OK);
    assert_int_equal(released, n);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE backlog = 'big' AND status = 'queued'"),
                     (long long)n);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE backlog = 'other'"
                                       " AND status = 'held'"), 3);
}

static void the_release_reads_one_range_of_the_backlog_index(void **state)
{
    kbj_engine *eng = *state;
    kbj_rows *rows = NULL;
    submit_held(eng, "b", "x", 3);
    assert_int_equal(kbj_store_query(eng->st, "EXPLAIN UPDATE {p}kbjobs_job_state FORCE INDEX (backlog_status)"
                                     " SET status = 'queued' WHERE backlog = 'x' AND backlog_status = 'held' LIMIT 1000",
                                     NULL, 0, &rows), KBJ_OK);
    /* key column: the index the statement uses */
    assert_string_equal(kbj_rows_str(rows, 0, 5), "backlog_status");
    kbj_rows_free(rows);
}

static void backlogs_are_listed_with_their_jobs_by_status(void **state)
{
    kbj_engine *eng = *state;
    kbj_backlog_stats *all = NULL;
    size_t n = 0;
    char id[17];
    int was_running = 1;

    submit_held(eng, "b", "alpha", 4);
    submit(eng, (kbj_submit){ .queue = "b", .backlog = "beta" }, id); /* not held: queued at once */
    submit(eng, (kbj_submit){ .queue = "b" }, id);                   /* no backlog: not listed */
    submit(eng, (kbj_submit){ .queue = "b", .backlog = "alpha", .hold = 1 }, id);
    assert_int_equal(kbj_job_cancel(eng, id, &was_running), KBJ_OK);
    assert_int_equal(was_running, 0);
    assert_string_equal(kbj_test_status(eng, id), "cancelled");

    assert_int_equal(kbj_backlogs_list(eng, 0, &all, &n), KBJ_OK);
    assert_int_equal(n, 2);
    assert_string_equal(all[0].name, "alpha");
    assert_int_equal(all[0].counts[KBJ_ST_HELD], 4);
    assert_int_equal(all[0].counts[KBJ_ST_CANCELLED], 1);
    assert_int_equal(all[0].counts[KBJ_ST_QUEUED], 0);
    assert_int_equal(all[0].how[KBJ_ST_HELD], KBJ_COUNT_EXACT);
    assert_string_equal(all[1].name, "beta");
    assert_int_equal(all[1].counts[KBJ_ST_QUEUED], 1);
    assert_int_equal(all[1].counts[KBJ_ST_HELD], 0);
    free(all);
}

static void the_list_filters_by_backlog_and_counts_held_apart(void **state)
{
    kbj_engine *eng = *state;
    kbj_job_filter f = { .backlog = "gamma" };
    kbj_job **jobs = NULL;
    size_t n = 0;
    char next[32], id[17];
    unsigned long long counts[KBJ_NSTATUS];

    submit_held(eng, "b", "gamma", 3);
    submit(eng, (kbj_submit){ .queue = "b" }, id);
    assert_int_equal(kbj_job_list(eng, &f, &jobs, &n, next), KBJ_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(jobs[i]->backlog, "gamma");
        assert_string_equal(jobs[i]->status, "held");
    }
    kbj_jobs_free(jobs, n);
    assert_int_equal(kbj_job_status_counts(eng, NULL, counts), KBJ_OK);
    assert_int_equal(counts[KBJ_ST_HELD], 3);
    assert_int_equal(counts[KBJ_ST_QUEUED], 1);
    assert_string_equal(kbj_status_name(KBJ_ST_HELD), "held");
    f = (kbj_job_filter){ .status = "held" };
    assert_int_equal(kbj_job_count(eng, &f, &counts[0]), KBJ_OK);
    assert_int_equal(counts[0], 3);
    f = (kbj_job_filter){ .backlog = "Not A Name" };
    assert_int_equal(kbj_job_list(eng, &f, &jobs, &n, next), KBJ_EINVAL);
}

static void a_unique_key_returns_the_held_job_and_inserts_nothing(void **state)
{
    kbj_engine *eng = *state;
    char a[17], b[17];
    int existed = 0;
    kbj_submit s = { .type = "diag.echo", .queue = "b", .backlog = "m", .hold = 1, .unique_key = "line-1" };

    assert_int_equal(kbj_submit_job(eng, &s, a, &existed), KBJ_OK);
    assert_int_equal(existed, 0);
    assert_int_equal(kbj_submit_job(eng, &s, b, &existed), KBJ_OK);
    assert_int_equal(existed, 1);
    assert_string_equal(a, b);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 1);
}

static void bad_backlog_options_are_refused(void **state)
{
    kbj_engine *eng = *state;
    char id[17];
    unsigned long long r;
    kbj_submit s = { .type = "diag.echo", .hold = 1 };

    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "needs a backlog"));
    s = (kbj_submit){ .type = "diag.echo", .backlog = "UPPER" };
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "backlog \"UPPER\""));
    assert_int_equal(kbj_backlog_release(eng, "", &r), KBJ_EINVAL);
    assert_int_equal(kbj_backlog_release(eng, NULL, &r), KBJ_EINVAL);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 0);
}

static void a_queue_says_why_it_is_not_fed(void **state)
{
    kbj_engine *eng = *state;
    kbj_queue_stats q;
    kbj_lease *l = NULL;
    size_t n = 0;
    char runner[KBJ_ID_LEN + 1], id[17];
    const char *queues[1] = { "w" };

    /* an empty queue with settings: nothing due */
    assert_int_equal(kbj_queue_set(eng, "w", 1, 0, 0), KBJ_OK);
    q = qstats(eng, "w");
    assert_string_equal(q.reason_code, "idle");
    assert_string_equal(q.reason, "nothing due");

    /* only held jobs: named with their backlog, and not waiting */
    submit_held(eng, "w", "later", 2);
    q = qstats(eng, "w");
    assert_int_equal(q.held, 2);
    assert_int_equal(q.queued, 0);
    assert_string_equal(q.reason_code, "held");
    assert_string_equal(q.reason, "held: 2 in backlog later");

    /* released: due jobs and a free slot, nothing to say */
    assert_int_equal(kbj_backlog_release(eng, "later", NULL), KBJ_OK);
    q = qstats(eng, "w");
    assert_int_equal(q.held, 0);
    assert_int_equal(q.due, 2);
    assert_string_equal(q.reason, "");

    /* one running, the limit 1: at concurrency */
    assert_int_equal(kbj_runner_register(eng, "h", 1, NULL, "w", runner), KBJ_OK);
    assert_int_equal(kbj_claim(eng, runner, queues, 1, 10, &l, &n), KBJ_OK);
    assert_int_equal(n, 1);
    q = qstats(eng, "w");
    assert_string_equal(q.reason_code, "concurrency");
    assert_string_equal(q.reason, "at concurrency 1/1");
    kbj_leases_free(l, n);

    /* paused comes first */
    assert_int_equal(kbj_queue_pause(eng, "w", 1), KBJ_OK);
    q = qstats(eng, "w");
    assert_string_equal(q.reason, "paused");

    /* an empty token bucket: rate limited until the next token, to the second */
    submit(eng, (kbj_submit){ .queue = "r" }, id);
    submit(eng, (kbj_submit){ .queue = "r" }, id);
    assert_int_equal(kbj_queue_set(eng, "r", 10, 1, 60000), KBJ_OK);
    queues[0] = "r";
    assert_int_equal(kbj_runner_register(eng, "h", 2, NULL, "r", runner), KBJ_OK);
    assert_int_equal(kbj_claim(eng, runner, queues, 1, 10, &l, &n), KBJ_OK);
    assert_int_equal(n, 1);
    kbj_leases_free(l, n);
    q = qstats(eng, "r");
    assert_string_equal(q.reason_code, "rate");
    assert_true(q.reason_until > (double)time(NULL) + 30);
    {
        char want[64], hms[16];
        time_t t = (time_t)ceil(q.reason_until);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(hms, sizeof hms, "%H:%M:%S", &tm);
        snprintf(want, sizeof want, "rate limited until %s UTC", hms);
        assert_string_equal(q.reason, want);
    }
}

static void a_queue_with_only_held_jobs_is_listed(void **state)
{
    kbj_engine *eng = *state;
    kbj_queue_stats *all = NULL;
    size_t n = 0;
    int found = 0;

    submit_held(eng, "only-held", "z", 1);
    assert_int_equal(kbj_queues_list(eng, &all, &n), KBJ_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].name, "only-held") == 0) {
            found = 1;
            assert_int_equal(all[i].held, 1);
            assert_string_equal(all[i].held_backlog, "z");
        }
    free(all);
    assert_true(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(held_jobs_are_never_claimed_and_run_once_released, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_release_goes_in_batches_and_only_touches_its_own_backlog, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(the_release_reads_one_range_of_the_backlog_index, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(backlogs_are_listed_with_their_jobs_by_status, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(the_list_filters_by_backlog_and_counts_held_apart, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_unique_key_returns_the_held_job_and_inserts_nothing, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(bad_backlog_options_are_refused, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_queue_says_why_it_is_not_fed, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_queue_with_only_held_jobs_is_listed, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("backlog", tests, NULL, NULL);
}
