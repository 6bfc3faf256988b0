/* Submitting jobs and the lifecycle operations on them, against the real MariaDB. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

static int setup(void **state)
{
    *state = kbj_test_engine("kbt_jobs_", 0);
    return 0;
}

static void submit_then_get_round_trips_every_field(void **state)
{
    kbj_engine *eng = *state;
    kbj_submit s = { 0 };
    char id[17];
    int existed = 1;
    kbj_job *j = NULL;

    s.type = "diag.echo";
    s.params = "{\"a\": [1, 2], \"b\": \"\\u00e9t\\u00e9\"}";
    s.queue = "imports";
    s.priority = -5;
    s.max_attempts = 7;
    s.backoff.kind = KBJ_BACKOFF_EXPONENTIAL;
    s.backoff.base_ms = 250;
    s.backoff.cap_ms = 60000;
    s.backoff.jitter = -1;
    s.on_expiry = KBJ_EXPIRY_REQUEUE;
    s.concurrency_key = "source:example.com";
    s.delay_ms = 3600 * 1000;
    assert_int_equal(kbj_submit_job(eng, &s, id, &existed), KBJ_OK);
    assert_int_equal(existed, 0);
    assert_true(kbj_valid_id(id));

    assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
    assert_string_equal(j->id, id);
    assert_string_equal(j->type, "diag.echo");
    assert_string_equal(j->queue, "imports");
    assert_string_equal(j->status, "queued");
    assert_int_equal(j->priority, -5);
    assert_string_equal(j->params, "{\"a\":[1,2],\"b\":\"\xc3\xa9t\xc3\xa9\"}");
    assert_null(j->result);
    assert_int_equal(j->attempts, 0);
    assert_int_equal(j->max_attempts, 7);
    assert_int_equal(j->backoff.kind, KBJ_BACKOFF_EXPONENTIAL);
    assert_int_equal(j->backoff.base_ms, 250);
    assert_int_equal(j->backoff.cap_ms, 60000);
    assert_true(j->backoff.jitter < 0);
    assert_int_equal(j->on_expiry, KBJ_EXPIRY_REQUEUE);
    assert_string_equal(j->concurrency_key, "source:example.com");
    assert_null(j->unique_key);
    /* run_at is an hour after creation, by the database clock */
    assert_true(j->run_at - j->created_at > 3599 && j->run_at - j->created_at < 3601);
    assert_true(j->finished_at == 0);
    kbj_job_free(j);
}

static void submit_applies_documented_defaults(void **state)
{
    kbj_engine *eng = *state;
    const char *id = kbj_test_submit(eng, "plain.type", NULL, NULL);
    kbj_job *j = NULL;
    assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
    assert_string_equal(j->queue, "default");
    assert_string_equal(j->params, "{}");
    assert_int_equal(j->priority, 0);
    assert_int_equal(j->max_attempts, KBJ_DEFAULT_MAX_ATTEMPTS);
    assert_int_equal(j->backoff.kind, KBJ_BACKOFF_POLYNOMIAL);
    assert_int_equal(j->backoff.base_ms, 15000);
    assert_int_equal(j->backoff.cap_ms, 3600000);
    assert_true(j->backoff.jitter > 0.09 && j->backoff.jitter < 0.11);
    assert_int_equal(j->on_expiry, KBJ_EXPIRY_INTERRUPT);
    kbj_job_free(j);
}

static void expect_refused(kbj_engine *eng, kbj_submit *s, const char *fragment)
{
    char id[17];
    int rc = kbj_submit_job(eng, s, id, NULL);
    if (rc != KBJ_EINVAL)
        fail_msg("expected KBJ_EINVAL mentioning \"%s\", got %d (%s)", fragment, rc, kbj_errmsg(eng));
    if (!strstr(kbj_errmsg(eng), fragment))
        fail_msg("message \"%s\" does not mention \"%s\"", kbj_errmsg(eng), fragment);
}

static void bad_input_is_refused_with_a_message_naming_the_field(void **state)
{
    kbj_engine *eng = *state;
    kbj_submit s;
    char *big;

    s = (kbj_submit){ .type = "Bad Type" };
    expect_refused(eng, &s, "type");
    s = (kbj_submit){ .type = NULL };
    expect_refused(eng, &s, "type");
    s = (kbj_submit){ .type = "t", .params = "{\"a\":" };
    expect_refused(eng, &s, "not valid JSON");
    s = (kbj_submit){ .type = "t", .params = "[1,2]" };
    expect_refused(eng, &s, "JSON object");
    s = (kbj_submit){ .type = "t", .params = "{\"a\":1,\"a\":2}" };
    expect_refused(eng, &s, "not valid JSON");
    s = (kbj_submit){ .type = "t", .queue = "../etc" };
    expect_refused(eng, &s, "queue");
    s = (kbj_submit){ .type = "t", .priority = 101 };
    expect_refused(eng, &s, "priority");
    s = (kbj_submit){ .type = "t", .max_attempts = 1001 };
    expect_refused(eng, &s, "max_attempts");
    s = (kbj_submit){ .type = "t", .delay_ms = -1 };
    expect_refused(eng, &s, "delay_ms");
    s = (kbj_submit){ .type = "t", .backoff = { .kind = (kbj_backoff_kind)9 } };
    expect_refused(eng, &s, "backoff");
    s = (kbj_submit){ .type = "t", .unique_scope = KBJ_UNIQUE_RETAINED };
    expect_refused(eng, &s, "unique key");
    s = (kbj_submit){ .type = "t", .concurrency_key = "bad\xff" };
    expect_refused(eng, &s, "concurrency key");

    big = malloc(KBJ_MAX_PARAMS + 64);
    assert_non_null(big);
    memcpy(big, "{\"x\":\"", 6);
    memset(big + 6, 'a', KBJ_MAX_PARAMS);
    memcpy(big + 6 + KBJ_MAX_PARAMS, "\"}", 3);
    s = (kbj_submit){ .type = "t", .params = big };
    expect_refused(eng, &s, "at most 1048576");
    free(big);

    /* nothing was stored by any of these */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 0);
}

static void unique_key_active_returns_the_queued_job_then_allows_a_new_one(void **state)
{
    kbj_engine *eng = *state;
    kbj_submit s = { .type = "t", .unique_key = "import:42", .unique_scope = KBJ_UNIQUE_ACTIVE };
    char a[17], b[17], c[17];
    int existed = 0;

    assert_int_equal(kbj_submit_job(eng, &s, a, &existed), KBJ_OK);
    assert_int_equal(existed, 0);
    assert_int_equal(kbj_submit_job(eng, &s, b, &existed), KBJ_OK);
    assert_int_equal(existed, 1);
    assert_string_equal(a, b);

    /* once finished, the key is free again in the active scope */
    assert_int_equal(kbj_job_cancel(eng, a, NULL), KBJ_OK);
    assert_int_equal(kbj_submit_job(eng, &s, c, &existed), KBJ_OK);
    assert_int_equal(existed, 0);
    assert_string_not_equal(a, c);
}

static void unique_key_retained_returns_a_finished_job_too(void **state)
{
    kbj_engine *eng = *state;
    kbj_submit s = { .type = "t", .unique_key = "manifest:7:line:3", .unique_scope = KBJ_UNIQUE_RETAINED };
    char a[17], b[17];
    int existed = 0;

    assert_int_equal(kbj_submit_job(eng, &s, a, &existed), KBJ_OK);
    assert_int_equal(kbj_job_cancel(eng, a, NULL), KBJ_OK);
    assert_int_equal(kbj_submit_job(eng, &s, b, &existed), KBJ_OK);
    assert_int_equal(existed, 1);
    assert_string_equal(a, b);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 1);
}

static void bulk_submit_is_all_or_nothing(void **state)
{
    kbj_engine *eng = *state;
    enum { N = 450 };
    kbj_submit *jobs = calloc(N, sizeof *jobs);
    char (*ids)[17] = calloc(N, sizeof *ids);
    char params[N][32];

    for (int i = 0; i < N; i++) {
        snprintf(params[i], sizeof params[i], "{\"i\":%d}", i);
        jobs[i].type = "bulk.item";
        jobs[i].params = params[i];
        jobs[i].queue = "bulk";
        if (i == 100) { /* a unique one in the middle takes the one-by-one path */
            jobs[i].unique_key = "bulk-unique";
            jobs[i].unique_scope = KBJ_UNIQUE_ACTIVE;
        }
    }
    assert_int_equal(kbj_submit_many(eng, jobs, N, ids), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE queue = 'bulk'"), N);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(DISTINCT public_id) FROM {p}kbjobs_jobs"), N);
    {
        kbj_job *j = NULL;
        assert_int_equal(kbj_job_get(eng, ids[321], &j), KBJ_OK);
        assert_string_equal(j->params, "{\"i\":321}");
        kbj_job_free(j);
    }

    /* one bad job refuses the whole batch, naming its index */
    jobs[200].params = "not json";
    assert_int_equal(kbj_submit_many(eng, jobs, N, ids), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "job 200"));
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), N);
    free(jobs);
    free(ids);
}

static void list_filters_and_pages_with_a_stable_cursor(void **state)
{
    kbj_engine *eng = *state;
    kbj_job_filter f = { 0 };
    kbj_job **page = NULL;
    size_t n = 0, seen = 0;
    char cursor[32] = "", first_newest[17];
    char newest[17];

    for (int i = 0; i < 25; i++)
        kbj_test_submit(eng, i % 2 ? "odd.type" : "even.type", NULL, "listing");
    snprintf(newest, sizeof newest, "%s", kbj_test_submit(eng, "odd.type", NULL, "other"));

    f.queue = "listing";
    f.limit = 10;
    do {
        f.cursor = cursor[0] ? cursor : NULL;
        assert_int_equal(kbj_job_list(eng, &f, &page, &n, cursor), KBJ_OK);
        if (seen == 0)
            snprintf(first_newest, sizeof first_newest, "%s", page[0]->id);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(page[i]->queue, "listing");
        seen += n;
        kbj_jobs_free(page, n);
        /* a job submitted while paging does not shift later pages */
        if (seen == 10)
            kbj_test_submit(eng, "even.type", NULL, "listing");
    } while (cursor[0]);
    assert_int_equal(seen, 25);
    assert_string_not_equal(first_newest, newest);

    f = (kbj_job_filter){ .type = "odd.type", .queue = "listing", .limit = 100 };
    assert_int_equal(kbj_job_list(eng, &f, &page, &n, cursor), KBJ_OK);
    assert_int_equal(n, 12);
    assert_string_equal(cursor, "");
    kbj_jobs_free(page, n);

    f = (kbj_job_filter){ .status = "bogus" };
    assert_int_equal(kbj_job_list(eng, &f, &page, &n, cursor), KBJ_EINVAL);
    f = (kbj_job_filter){ .cursor = "12abc" };
    assert_int_equal(kbj_job_list(eng, &f, &page, &n, cursor), KBJ_EINVAL);
}

static void cancel_follows_the_state_machine(void **state)
{
    kbj_engine *eng = *state;
    int was_running = -1;
    const char *queued = kbj_test_submit(eng, "t", NULL, "sm");
    char id[17];
    snprintf(id, sizeof id, "%s", queued);

    assert_int_equal(kbj_job_cancel(eng, id, &was_running), KBJ_OK);
    assert_int_equal(was_running, 0);
    assert_string_equal(kbj_test_status(eng, id), "cancelled");
    /* a finished job cannot be cancelled: a distinct error */
    assert_int_equal(kbj_job_cancel(eng, id, NULL), KBJ_ECONFLICT);
    assert_non_null(strstr(kbj_errmsg(eng), "cancelled"));

    assert_int_equal(kbj_job_cancel(eng, "0123456789abcdef", NULL), KBJ_ENOTFOUND);
    assert_int_equal(kbj_job_cancel(eng, "nope", NULL), KBJ_EINVAL);
}

static void cancel_of_a_running_job_sets_a_flag_its_runner_sees(void **state)
{
    kbj_engine *eng = *state;
    char runner[17], id[17];
    kbj_lease *l = NULL;
    size_t n = 0;
    int was_running = 0, cancel = 0;
    const char *queues[] = { "sm-run" };

    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "t", NULL, "sm-run"));
    assert_int_equal(kbj_runner_register(eng, "test", 1, NULL, "sm-run", runner), KBJ_OK);
    assert_int_equal(kbj_claim(eng, runner, queues, 1, 1, &l, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_int_equal(kbj_heartbeat(eng, l, &cancel), KBJ_OK);
    assert_int_equal(cancel, 0);

    assert_int_equal(kbj_job_cancel(eng, id, &was_running), KBJ_OK);
    assert_int_equal(was_running, 1);
    assert_string_equal(kbj_test_status(eng, id), "running");
    assert_int_equal(kbj_heartbeat(eng, l, &cancel), KBJ_OK);
    assert_int_equal(cancel, 1);
    assert_int_equal(kbj_finish_cancelled(eng, l), KBJ_OK);
    assert_string_equal(kbj_test_status(eng, id), "cancelled");
    kbj_leases_free(l, n);
}

static void resume_and_rerun_follow_the_state_machine(void **state)
{
    kbj_engine *eng = *state;
    char id[17], again[17];
    kbj_job *orig = NULL, *copy = NULL;

    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "t", "{\"k\":1}", "sm2"));
    /* a queued job can be neither resumed nor rerun */
    assert_int_equal(kbj_job_resume(eng, id), KBJ_ECONFLICT);
    assert_int_equal(kbj_job_rerun(eng, id, again), KBJ_ECONFLICT);

    assert_int_equal(kbj_job_cancel(eng, id, NULL), KBJ_OK);
    assert_int_equal(kbj_job_rerun(eng, id, again), KBJ_OK);
    assert_string_not_equal(id, again);
    assert_int_equal(kbj_job_get(eng, id, &orig), KBJ_OK);
    assert_int_equal(kbj_job_get(eng, again, &copy), KBJ_OK);
    assert_string_equal(orig->status, "cancelled"); /* the original is kept */
    assert_string_equal(copy->status, "queued");
    assert_string_equal(copy->params, orig->params);
    assert_string_equal(copy->rerun_of, id);
    kbj_job_free(orig);
    kbj_job_free(copy);

    assert_int_equal(kbj_job_resume(eng, id), KBJ_OK);
    assert_string_equal(kbj_test_status(eng, id), "queued");
    assert_int_equal(kbj_job_resume(eng, "0123456789abcdef"), KBJ_ENOTFOUND);
}

static void retention_deletes_old_finished_jobs_and_their_logs(void **state)
{
    kbj_engine *eng = *state;
    char old[17], fresh[17], queued[17], path[600];
    size_t deleted = 99;
    FILE *f;

    snprintf(old, sizeof old, "%s", kbj_test_submit(eng, "t", NULL, "ret"));
    snprintf(fresh, sizeof fresh, "%s", kbj_test_submit(eng, "t", NULL, "ret"));
    snprintf(queued, sizeof queued, "%s", kbj_test_submit(eng, "t", NULL, "ret"));
    assert_int_equal(kbj_job_cancel(eng, old, NULL), KBJ_OK);
    assert_int_equal(kbj_job_cancel(eng, fresh, NULL), KBJ_OK);
    assert_int_equal(kbj_log(eng, old, "info", "kept until retention", NULL), KBJ_OK);
    snprintf(path, sizeof path, "%s/logs/%s.log", eng->data_dir, old);
    f = fopen(path, "r");
    assert_non_null(f);
    fclose(f);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET finished_at = NOW(6) - INTERVAL 40 DAY WHERE status = 'cancelled' AND id = (SELECT MIN(id) FROM (SELECT id FROM {p}kbjobs_jobs WHERE queue = 'ret') x)");
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET created_at = NOW(6) - INTERVAL 40 DAY WHERE queue = 'ret'");

    assert_int_equal(kbj_retention(eng, 30, &deleted), KBJ_OK);
    assert_int_equal(deleted, 1);
    { kbj_job *j = NULL; assert_int_equal(kbj_job_get(eng, old, &j), KBJ_ENOTFOUND); }
    assert_string_equal(kbj_test_status(eng, fresh), "cancelled");
    assert_string_equal(kbj_test_status(eng, queued), "queued");
    assert_null(fopen(path, "r"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(submit_then_get_round_trips_every_field, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(submit_applies_documented_defaults, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(bad_input_is_refused_with_a_message_naming_the_field, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(unique_key_active_returns_the_queued_job_then_allows_a_new_one, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(unique_key_retained_returns_a_finished_job_too, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(bulk_submit_is_all_or_nothing, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(list_filters_and_pages_with_a_stable_cursor, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(cancel_follows_the_state_machine, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(cancel_of_a_running_job_sets_a_flag_its_runner_sees, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(resume_and_rerun_follow_the_state_machine, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(retention_deletes_old_finished_jobs_and_their_logs, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("jobs", tests, NULL, NULL);
}
