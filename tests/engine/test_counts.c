/*
 * Bounded counts for screens: kbj_job_status_counts_opt and the queue stats, exact up to
 * KBJ_COUNT_CAP, estimated above it (or "more than" under a filter no index serves),
 * exact on request, and never reading more than a page of rows per count; against the
 * real MariaDB.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#define PREFIX "kbt_counts_"

static int setup(void **state)
{
    *state = kbj_test_engine(PREFIX, 0);
    return 0;
}

/* Index reads (first, key, next, prev, last) this session made so far. Reading the
 * status costs nothing of these: information_schema is a scan (read_rnd_next). */
static long long index_reads(kbj_engine *eng)
{
    return kbj_test_int(eng, "SELECT SUM(VARIABLE_VALUE) FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME"
                             " IN ('HANDLER_READ_FIRST', 'HANDLER_READ_KEY', 'HANDLER_READ_NEXT', 'HANDLER_READ_PREV',"
                             " 'HANDLER_READ_LAST')");
}

/* 5,000 completed, 400 failed and 100 queued jobs in queue "cq", analyzed. */
static void seed(kbj_engine *eng)
{
    kbj_test_submit_n(eng, "t.count", "cq", 5500);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET status = IF(id % 55 = 0, 'queued', IF(id % 55 < 5, 'failed',"
                       " 'completed'))");
    kbj_test_exec(eng, "ANALYZE TABLE {p}kbjobs_jobs");
}

static void status_counts_are_exact_up_to_the_cap_and_estimated_above_it(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long c[KBJ_NSTATUS];
    int how[KBJ_NSTATUS];
    long long before, reads;

    seed(eng);
    before = index_reads(eng);
    assert_int_equal(kbj_job_status_counts_opt(eng, NULL, 0, c, how), KBJ_OK);
    reads = index_reads(eng) - before;
    print_message("estimates: completed %llu (5000), failed %llu (400); %lld index reads\n", c[KBJ_ST_COMPLETED],
                  c[KBJ_ST_FAILED], reads);
    /* six counts of at most cap + 1 rows each, plus the lookups; the whole index would
     * be 5,500 */
    assert_true(reads <= KBJ_NSTATUS * (KBJ_COUNT_CAP + 3));

    assert_int_equal(c[KBJ_ST_QUEUED], 100);
    assert_int_equal(how[KBJ_ST_QUEUED], KBJ_COUNT_EXACT);
    assert_int_equal(c[KBJ_ST_RUNNING], 0);
    assert_int_equal(how[KBJ_ST_RUNNING], KBJ_COUNT_EXACT);
    assert_int_equal(how[KBJ_ST_FAILED], KBJ_COUNT_ESTIMATED);
    assert_true(c[KBJ_ST_FAILED] > KBJ_COUNT_CAP && c[KBJ_ST_FAILED] < 3000); /* an estimate: pages sampled */
    /* most of the table: InnoDB would say at most half (2,750); the table less the
     * others says about 5,000 */
    assert_int_equal(how[KBJ_ST_COMPLETED], KBJ_COUNT_ESTIMATED);
    assert_true(c[KBJ_ST_COMPLETED] > 2800 && c[KBJ_ST_COMPLETED] < 8000);

    /* exact on request: every row read */
    assert_int_equal(kbj_job_status_counts_opt(eng, NULL, KBJ_COUNT_FLAG_EXACT, c, how), KBJ_OK);
    assert_int_equal(c[KBJ_ST_COMPLETED], 5000);
    assert_int_equal(c[KBJ_ST_FAILED], 400);
    assert_int_equal(c[KBJ_ST_QUEUED], 100);
    for (int s = 0; s < KBJ_NSTATUS; s++)
        assert_int_equal(how[s], KBJ_COUNT_EXACT);
}

static void a_filter_no_index_serves_says_more_than_the_cap(void **state)
{
    kbj_engine *eng = *state;
    kbj_job_filter f = { .queue = "cq" };
    unsigned long long c[KBJ_NSTATUS];
    int how[KBJ_NSTATUS];

    seed(eng);
    /* the claim index serves status and queue: an estimate */
    assert_int_equal(kbj_job_status_counts_opt(eng, &f, 0, c, how), KBJ_OK);
    assert_int_equal(how[KBJ_ST_FAILED], KBJ_COUNT_ESTIMATED);
    assert_int_equal(c[KBJ_ST_QUEUED], 100);
    assert_int_equal(how[KBJ_ST_QUEUED], KBJ_COUNT_EXACT);

    /* a type: no index has both, so above the cap only "more than" */
    f.queue = NULL;
    f.type = "t.count";
    assert_int_equal(kbj_job_status_counts_opt(eng, &f, 0, c, how), KBJ_OK);
    assert_int_equal(how[KBJ_ST_FAILED], KBJ_COUNT_MORE);
    assert_int_equal(c[KBJ_ST_FAILED], KBJ_COUNT_CAP + 1);
    assert_int_equal(how[KBJ_ST_COMPLETED], KBJ_COUNT_MORE);
    assert_int_equal(c[KBJ_ST_QUEUED], 100);
    assert_int_equal(how[KBJ_ST_QUEUED], KBJ_COUNT_EXACT);

    /* a type that matches nothing: zeros, exact */
    f.type = "t.none";
    assert_int_equal(kbj_job_status_counts_opt(eng, &f, 0, c, how), KBJ_OK);
    for (int s = 0; s < KBJ_NSTATUS; s++) {
        assert_int_equal(c[s], 0);
        assert_int_equal(how[s], KBJ_COUNT_EXACT);
    }
    /* the exact option under the same filter, and a bad filter refused */
    f.type = "t.count";
    assert_int_equal(kbj_job_status_counts_opt(eng, &f, KBJ_COUNT_FLAG_EXACT, c, NULL), KBJ_OK);
    assert_int_equal(c[KBJ_ST_FAILED], 400);
    f.status = "done"; /* ignored: the status is what is counted */
    assert_int_equal(kbj_job_status_counts_opt(eng, &f, 0, c, how), KBJ_OK);
    assert_int_equal(kbj_job_status_counts_opt(eng, NULL, 0, NULL, how), KBJ_EINVAL);
}

/* 300 queued jobs in "big": about 150 due (priority 0, and 20 of priority 5 due the
 * longest; odd row ids), the others an hour ahead; and 5 running. */
static void queue_counts_are_bounded_and_the_oldest_due_job_spans_priorities(void **state)
{
    kbj_engine *eng = *state;
    kbj_queue_stats s;
    kbj_queue_stats *all = NULL;
    size_t n = 0;
    long long before, reads, due;

    kbj_test_submit_n(eng, "t.count", "big", 305);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET run_at = NOW(6) + INTERVAL 1 HOUR WHERE id % 2 = 0");
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET priority = 5, run_at = NOW(6) - INTERVAL 10 MINUTE"
                       " WHERE id % 2 = 1 ORDER BY id LIMIT 20");
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET status = 'running' WHERE id % 2 = 0 ORDER BY id DESC LIMIT 5");
    kbj_test_exec(eng, "ANALYZE TABLE {p}kbjobs_jobs");
    due = kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'queued' AND run_at <= NOW(6)");
    assert_true(due > 140 && due < 160);

    before = index_reads(eng);
    assert_int_equal(kbj_queue_stats_get(eng, "big", &s), KBJ_OK);
    reads = index_reads(eng) - before;
    print_message("queued %lld (300, estimated), due %lld (%lld), %lld index reads\n", s.queued, s.due, due, reads);
    /* three counts of at most cap + 1 rows, a row per priority, the settings */
    assert_true(reads <= 3 * (KBJ_COUNT_CAP + 3) + 10);
    assert_int_equal(s.queued_how, KBJ_COUNT_ESTIMATED);
    assert_true(s.queued > KBJ_COUNT_CAP && s.queued < 3000); /* an estimate over a few pages */
    assert_int_equal(s.running, 5);
    assert_int_equal(s.running_how, KBJ_COUNT_EXACT);
    assert_int_equal(s.due, due); /* below the cap: exact */
    assert_int_equal(s.due_how, KBJ_COUNT_EXACT);
    /* the oldest due job is of priority 5, ten minutes late */
    assert_true(s.oldest_due_age > 590 && s.oldest_due_age < 700);

    assert_int_equal(kbj_queue_stats_get_opt(eng, "big", KBJ_COUNT_FLAG_EXACT, &s), KBJ_OK);
    assert_int_equal(s.queued, 300);
    assert_int_equal(s.queued_how, KBJ_COUNT_EXACT);

    assert_int_equal(kbj_queues_list_opt(eng, KBJ_COUNT_FLAG_EXACT, &all, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(all[0].name, "big");
    assert_int_equal(all[0].queued, 300);
    assert_int_equal(all[0].due, due);
    free(all);

    /* nothing due: no count of the future jobs */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET run_at = NOW(6) + INTERVAL 1 HOUR WHERE status = 'queued'");
    assert_int_equal(kbj_queue_stats_get(eng, "big", &s), KBJ_OK);
    assert_int_equal(s.due, 0);
    assert_true(s.oldest_due_age == 0);
}

/* Started in the last minute comes from the minute rows of the last complete minute:
 * the runners' own (res 0) and those already merged (res 60, runner ''), summed over
 * runners and types. */
static void started_last_minute_sums_the_runners_minute_rows(void **state)
{
    kbj_engine *eng = *state;
    kbj_queue_stats s;

    kbj_test_exec(eng, "INSERT INTO {p}kbjobs_metrics (res, t, queue, type, runner, started)"
                       " VALUES (0, (UNIX_TIMESTAMP() DIV 60 - 1) * 60, 'm', 'a', 'r1', 3),"
                       " (60, (UNIX_TIMESTAMP() DIV 60 - 1) * 60, 'm', 'b', '', 4),"
                       " (60, (UNIX_TIMESTAMP() DIV 60 - 2) * 60, 'm', 'a', 'r1', 100),"
                       " (60, (UNIX_TIMESTAMP() DIV 60 - 1) * 60, 'other', 'a', 'r1', 50)");
    assert_int_equal(kbj_queue_stats_get(eng, "m", &s), KBJ_OK);
    /* 7, unless the minute turned between the insert and the read */
    assert_true(s.started_last_minute == 7 || s.started_last_minute == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(status_counts_are_exact_up_to_the_cap_and_estimated_above_it, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_filter_no_index_serves_says_more_than_the_cap, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(queue_counts_are_bounded_and_the_oldest_due_job_spans_priorities, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(started_last_minute_sums_the_runners_minute_rows, setup,
                                        kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("counts", tests, NULL, NULL);
}
