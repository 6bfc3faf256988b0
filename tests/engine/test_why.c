/* Why a queued job is not running: every code kbj_job_why gives, the order in which they
 * win when several apply, and the answers for jobs that are not queued, against the real
 * MariaDB. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int setup(void **state)
{
    *state = kbj_test_engine("kbt_why_", 60);
    return 0;
}

static void submit(kbj_engine *eng, kbj_submit s, char id[KBJ_ID_LEN + 1])
{
    if (!s.type)
        s.type = "why.t";
    if (kbj_submit_job(eng, &s, id, NULL) != KBJ_OK)
        fail_msg("submit: %s", kbj_errmsg(eng));
}

static kbj_why why(kbj_engine *eng, const char *id)
{
    kbj_why w;
    if (kbj_job_why(eng, id, &w) != KBJ_OK)
        fail_msg("why %s: %s", id, kbj_errmsg(eng));
    return w;
}

/* Claims what `queue` lets one runner start now (up to `want`) and checks how many. */
static void claim(kbj_engine *eng, const char *queue, size_t want, kbj_lease **l, size_t *n)
{
    char runner[KBJ_ID_LEN + 1];
    const char *queues[1] = { queue };
    assert_int_equal(kbj_runner_register(eng, "why", 1, NULL, queue, runner), KBJ_OK);
    if (kbj_claim(eng, runner, queues, 1, 10, l, n) != KBJ_OK)
        fail_msg("claim: %s", kbj_errmsg(eng));
    if (*n != want)
        fail_msg("claimed %zu jobs from %s, expected %zu", *n, queue, want);
}

static double db_now(kbj_engine *eng)
{
    kbj_rows *rows = NULL;
    double t;
    assert_int_equal(kbj_store_query(eng->st, "SELECT UNIX_TIMESTAMP(NOW(6))", NULL, 0, &rows), KBJ_OK);
    t = kbj_dbtime(kbj_rows_str(rows, 0, 0));
    kbj_rows_free(rows);
    return t;
}

/* The test's own rendering of a time, as the messages should show it. */
static const char *iso(double t)
{
    static char buf[32];
    time_t s = (time_t)ceil(t);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static void a_due_job_with_nothing_in_its_way_is_ready(void **state)
{
    kbj_engine *eng = *state;
    char id[17];
    kbj_why w;

    submit(eng, (kbj_submit){ .queue = "w" }, id);
    w = why(eng, id);
    assert_string_equal(w.code, "ready");
    assert_string_equal(w.message, "due and free to start: waiting for a runner that takes queue w");
    assert_string_equal(w.queue, "w");
    assert_true(w.until == 0);
    assert_string_equal(w.holder, "");
    assert_string_equal(w.resource, "");
    assert_int_equal(w.attempt, 0);
    assert_int_equal(w.running, 0);
    assert_int_equal(w.limit, 0);
}

static void a_paused_queue_comes_first_even_for_a_job_scheduled_later(void **state)
{
    kbj_engine *eng = *state;
    char now[17], later[17];
    kbj_why w;

    submit(eng, (kbj_submit){ .queue = "p" }, now);
    submit(eng, (kbj_submit){ .queue = "p", .delay_ms = 3600 * 1000 }, later);
    assert_int_equal(kbj_queue_pause(eng, "p", 1), KBJ_OK);
    w = why(eng, now);
    assert_string_equal(w.code, "paused");
    assert_string_equal(w.message, "queue p is paused");
    assert_true(w.until == 0);
    assert_string_equal(why(eng, later).code, "paused");

    assert_int_equal(kbj_queue_pause(eng, "p", 0), KBJ_OK);
    assert_string_equal(why(eng, now).code, "ready");
    assert_string_equal(why(eng, later).code, "scheduled");
}

static void a_job_not_yet_due_is_scheduled_until_its_run_at(void **state)
{
    kbj_engine *eng = *state;
    char fixed[17], part[17], delayed[17];
    kbj_why w;
    double now = db_now(eng);

    submit(eng, (kbj_submit){ .run_at = 1893456000.0 }, fixed); /* 2030-01-01 00:00:00 UTC */
    w = why(eng, fixed);
    assert_string_equal(w.code, "scheduled");
    assert_string_equal(w.message, "scheduled for 2030-01-01T00:00:00Z");
    assert_true(w.until == 1893456000.0);
    assert_int_equal(w.attempt, 0);
    /* a fraction of a second later is shown as the next second: it does not start before */
    submit(eng, (kbj_submit){ .run_at = 1893456000.25 }, part);
    assert_string_equal(why(eng, part).message, "scheduled for 2030-01-01T00:00:01Z");

    submit(eng, (kbj_submit){ .delay_ms = 3600 * 1000 }, delayed);
    w = why(eng, delayed);
    assert_string_equal(w.code, "scheduled");
    assert_true(w.until > now + 3590 && w.until < now + 3610);
    assert_true(strncmp(w.message, "scheduled for ", 14) == 0);
    assert_string_equal(w.message + 14, iso(w.until));
}

static void a_job_waiting_out_its_backoff_is_retrying_after_its_last_attempt(void **state)
{
    kbj_engine *eng = *state;
    char id[17], expect[96];
    kbj_lease *l = NULL;
    size_t n = 0;
    int will_retry = 0;
    kbj_why w;
    double now = db_now(eng);

    submit(eng, (kbj_submit){ .queue = "retry", .max_attempts = 3 }, id);
    claim(eng, "retry", 1, &l, &n);
    assert_int_equal(kbj_fail_job(eng, &l[0], "upstream said 503", 1, &will_retry), KBJ_OK);
    assert_int_equal(will_retry, 1);
    kbj_leases_free(l, n);

    w = why(eng, id);
    assert_string_equal(w.code, "retrying");
    assert_int_equal(w.attempt, 1);
    /* the default backoff after attempt 1: 1^4 s + 15 s, and up to 10 % jitter */
    assert_true(w.until >= now + 15 && w.until < now + 25);
    snprintf(expect, sizeof expect, "retrying at %s after attempt 1 failed", iso(w.until));
    assert_string_equal(w.message, expect);
}

static void a_held_concurrency_key_names_the_running_job_that_holds_it(void **state)
{
    kbj_engine *eng = *state;
    /* a key as hostile as a key may be: quotes, backslash, SQL, non-ASCII */
    const char *key = "tenant:\xc3\xa9t\xc3\xa9' OR 1=1; -- \"\\";
    char holder[17], waiting[17], expect[300];
    kbj_lease *l = NULL;
    size_t n = 0;
    kbj_why w;

    submit(eng, (kbj_submit){ .queue = "k", .concurrency_key = key }, holder);
    claim(eng, "k", 1, &l, &n);
    submit(eng, (kbj_submit){ .queue = "k", .concurrency_key = key }, waiting);
    /* the queue's limit is reached too: the key is named, it outlasts the limit */
    assert_int_equal(kbj_queue_set(eng, "k", 1, 0, 0), KBJ_OK);

    w = why(eng, waiting);
    assert_string_equal(w.code, "concurrency_key");
    assert_string_equal(w.holder, holder);
    assert_string_equal(w.resource, "");
    snprintf(expect, sizeof expect, "its concurrency key \"%s\" is held by running job %s", key, holder);
    assert_string_equal(w.message, expect);
    assert_int_equal(w.running, 1);
    assert_int_equal(w.limit, 1);

    /* the holder itself is running: not queued */
    w = why(eng, holder);
    assert_string_equal(w.code, "");
    snprintf(expect, sizeof expect, "job %s is running, not queued", holder);
    assert_string_equal(w.message, expect);

    /* once the holder completes, the waiting job is free (the limit has room again) */
    assert_int_equal(kbj_complete(eng, &l[0], NULL), KBJ_OK);
    kbj_leases_free(l, n);
    assert_string_equal(why(eng, waiting).code, "ready");
    w = why(eng, holder);
    assert_string_equal(w.code, "");
    snprintf(expect, sizeof expect, "job %s is completed, not queued", holder);
    assert_string_equal(w.message, expect);
}

static void a_held_resource_names_the_resource_and_its_holder(void **state)
{
    kbj_engine *eng = *state;
    kbj_resource one[] = { { "vectors:768", "index" } };
    kbj_resource two[] = { { "a-free-one", NULL }, { "vectors:768", "query" } };
    char holder[17], waiting[17], expect[200];
    kbj_lease *l = NULL;
    size_t n = 0;
    kbj_why w;

    submit(eng, (kbj_submit){ .queue = "res", .resources = one, .nresources = 1 }, holder);
    claim(eng, "res", 1, &l, &n);
    submit(eng, (kbj_submit){ .queue = "res", .resources = two, .nresources = 2 }, waiting);

    w = why(eng, waiting);
    assert_string_equal(w.code, "resource");
    assert_string_equal(w.resource, "vectors:768");
    assert_string_equal(w.holder, holder);
    snprintf(expect, sizeof expect, "waiting for resource vectors:768, held by running job %s", holder);
    assert_string_equal(w.message, expect);
    assert_true(w.until == 0);

    assert_int_equal(kbj_complete(eng, &l[0], NULL), KBJ_OK);
    kbj_leases_free(l, n);
    w = why(eng, waiting);
    assert_string_equal(w.code, "ready");
    assert_string_equal(w.resource, "");
    assert_string_equal(w.holder, "");
}

static void a_queue_at_its_limit_gives_running_over_limit(void **state)
{
    kbj_engine *eng = *state;
    char first[17], second[17];
    kbj_lease *l = NULL;
    size_t n = 0;
    kbj_why w;

    /* a rate limit that is also spent: the concurrency limit is named first */
    assert_int_equal(kbj_queue_set(eng, "c", 1, 1, 3600 * 1000), KBJ_OK);
    submit(eng, (kbj_submit){ .queue = "c" }, first);
    submit(eng, (kbj_submit){ .queue = "c" }, second);
    claim(eng, "c", 1, &l, &n);
    w = why(eng, second);
    assert_string_equal(w.code, "concurrency");
    assert_string_equal(w.message, "queue c is at its concurrency limit 1/1");
    assert_int_equal(w.running, 1);
    assert_int_equal(w.limit, 1);
    assert_true(w.until == 0);
    kbj_leases_free(l, n);
}

static void an_empty_token_bucket_says_when_the_next_token_comes(void **state)
{
    kbj_engine *eng = *state;
    char first[17], second[17], expect[96];
    kbj_lease *l = NULL;
    size_t n = 0;
    kbj_why w;
    double now = db_now(eng);

    /* one start an hour: the first takes the token, the second waits about an hour */
    assert_int_equal(kbj_queue_set(eng, "r", 0, 1, 3600 * 1000), KBJ_OK);
    submit(eng, (kbj_submit){ .queue = "r" }, first);
    submit(eng, (kbj_submit){ .queue = "r" }, second);
    assert_string_equal(why(eng, second).code, "ready");
    claim(eng, "r", 1, &l, &n);
    assert_int_equal(kbj_complete(eng, &l[0], NULL), KBJ_OK);
    kbj_leases_free(l, n);

    w = why(eng, second);
    assert_string_equal(w.code, "rate_limited");
    assert_true(w.until > now + 3500 && w.until < now + 3700);
    snprintf(expect, sizeof expect, "queue r is rate limited until %s", iso(w.until));
    assert_string_equal(w.message, expect);
    assert_int_equal(w.running, 0);
    assert_int_equal(w.limit, 0);
}

static void a_scheduled_job_is_scheduled_though_its_key_is_held(void **state)
{
    kbj_engine *eng = *state;
    char holder[17], later[17];
    kbj_lease *l = NULL;
    size_t n = 0;

    submit(eng, (kbj_submit){ .queue = "o", .concurrency_key = "k1" }, holder);
    claim(eng, "o", 1, &l, &n);
    submit(eng, (kbj_submit){ .queue = "o", .concurrency_key = "k1", .delay_ms = 60000 }, later);
    assert_string_equal(why(eng, later).code, "scheduled");
    kbj_leases_free(l, n);
}

static void unknown_and_malformed_ids_are_refused(void **state)
{
    kbj_engine *eng = *state;
    kbj_why w;
    char id[17];

    memset(&w, 'x', sizeof w);
    assert_int_equal(kbj_job_why(eng, "0123456789abcdef", &w), KBJ_ENOTFOUND);
    assert_non_null(strstr(kbj_errmsg(eng), "0123456789abcdef"));
    assert_string_equal(w.code, ""); /* cleared, not left as it was */
    assert_int_equal(kbj_job_why(eng, "not-a-job-id", &w), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "not a job id"));
    assert_int_equal(kbj_job_why(eng, NULL, &w), KBJ_EINVAL);
    submit(eng, (kbj_submit){ 0 }, id);
    assert_int_equal(kbj_job_why(eng, id, NULL), KBJ_EINVAL);
    assert_int_equal(kbj_job_why(NULL, id, &w), KBJ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_due_job_with_nothing_in_its_way_is_ready, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_paused_queue_comes_first_even_for_a_job_scheduled_later, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_job_not_yet_due_is_scheduled_until_its_run_at, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_job_waiting_out_its_backoff_is_retrying_after_its_last_attempt, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_held_concurrency_key_names_the_running_job_that_holds_it, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_held_resource_names_the_resource_and_its_holder, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_queue_at_its_limit_gives_running_over_limit, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(an_empty_token_bucket_says_when_the_next_token_comes, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_scheduled_job_is_scheduled_though_its_key_is_held, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(unknown_and_malformed_ids_are_refused, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("why", tests, NULL, NULL);
}
