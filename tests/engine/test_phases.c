/* Combined jobs: chain validation, weighted progress, results, and resuming after a
 * cancel in phase 2 of 3 without re-running phase 1. */
#include "testutil.h"
#include "chain.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PREFIX "kbt_phases_"

static int calls[3];
static long long seen_progress;

static int phase_quick(kbj_ctx *ctx, void *udata)
{
    (void)udata;
    calls[0]++;
    kbj_ctx_progress(ctx, 1, 1, NULL);
    return kbj_ctx_set_result(ctx, "{\"rows\":3}");
}

/* Reports half its progress, reads the job's stored progress, then either waits to be
 * cancelled (params {"wait": true}) or finishes. */
static int phase_half(kbj_ctx *ctx, void *udata)
{
    kbj_engine *eng = kbj_ctx_engine(ctx);
    kbj_rows *rows = NULL;
    (void)udata;
    calls[1]++;
    kbj_test_msleep(300); /* progress is written at most every 250 ms: let this report through */
    kbj_ctx_progress(ctx, 5, 10, "halfway");
    if (kbj_store_query(eng->st, "SELECT progress_done FROM {p}kbjobs_jobs WHERE id = ?",
                        (kbj_val[]){ KBJ_VI(kbj_ctx_lease(ctx)->pk) }, 1, &rows) == KBJ_OK)
        seen_progress = kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    if (strstr(kbj_ctx_params(ctx), "\"wait\":true")) {
        if (kbj_ctx_sleep(ctx, 20000))
            return KBJ_ESTOPPED;
    }
    return kbj_ctx_set_result(ctx, "\"halfway done\"");
}

static int phase_last(kbj_ctx *ctx, void *udata)
{
    (void)udata;
    calls[2]++;
    if (strstr(kbj_ctx_params(ctx), "\"explode\":true"))
        return kbj_ctx_fail(ctx, "index server refused", 0);
    return kbj_ctx_set_result(ctx, "{\"indexed\":true}");
}

static int setup(void **state)
{
    kbj_engine *eng = kbj_test_engine(PREFIX, 2);
    static const kbj_chain_rule rules[] = {
        { "test.meta", "test.index", KBJ_CHAIN_WARNING, "index reads the metadata" },
    };
    kbj_type_def a = { .name = "test.meta", .handler = phase_quick };
    kbj_type_def b = { .name = "test.half", .handler = phase_half,
                       .params_schema = "{\"type\":\"object\",\"properties\":{\"wait\":{\"type\":\"boolean\",\"default\":false}},"
                                        "\"additionalProperties\":false}" };
    kbj_type_def c = { .name = "test.index", .handler = phase_last, .rules = rules, .nrules = 1 };
    assert_int_equal(kbj_register_type(eng, &a), KBJ_OK);
    assert_int_equal(kbj_register_type(eng, &b), KBJ_OK);
    assert_int_equal(kbj_register_type(eng, &c), KBJ_OK);
    memset(calls, 0, sizeof calls);
    *state = eng;
    return 0;
}

static int has(char **list, size_t n, const char *fragment)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(list[i], fragment))
            return 1;
    return 0;
}

static void chains_are_validated_with_errors_and_warnings_apart(void **state)
{
    kbj_engine *eng = *state;
    kbj_chain_report r;
    kbj_phase bad[] = {
        { "one", "test.index", NULL, 30 },
        { "two", "test.meta", NULL, 30 },
        { "two", "no.such.type", NULL, 20 },
        { "four", "test.half", "{\"wait\":\"yes\"}", 10 },
    };
    kbj_phase good[] = {
        { "meta", "test.meta", NULL, 20 },
        { "half", "test.half", NULL, 30 },
        { "index", "test.index", NULL, 50 },
    };
    char id[17];

    assert_int_equal(kbj_validate_chain(eng, bad, 4, &r), KBJ_OK);
    assert_true(has(r.errors, r.nerrors, "phase 3 (no.such.type): unknown job type"));
    assert_true(has(r.errors, r.nerrors, "weights sum to 90"));
    assert_true(has(r.errors, r.nerrors, "the name is used by phase 2"));
    assert_true(has(r.errors, r.nerrors, "phase 4 (four): params/wait"));
    assert_int_equal(r.nwarnings, 1);
    assert_non_null(strstr(r.warnings[0], "index reads the metadata"));
    kbj_chain_report_free(&r);

    /* refused on submit, with the first error in the message */
    assert_int_equal(kbj_submit_combined(eng, NULL, bad, 4, id, NULL), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "the chain is invalid"));
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 0);

    assert_int_equal(kbj_validate_chain(eng, good, 3, &r), KBJ_OK);
    assert_int_equal(r.nerrors, 0);
    assert_int_equal(r.nwarnings, 0);
    kbj_chain_report_free(&r);
}

static void a_combined_job_runs_its_phases_with_weighted_progress(void **state)
{
    kbj_engine *eng = *state;
    kbj_phase phases[] = {
        { "meta", "test.meta", NULL, 20 },
        { "half", "test.half", NULL, 30 },
        { "index", "test.index", NULL, 50 },
    };
    kbj_submit opts = { .queue = "combo" };
    char id[17];
    kbj_job *j = NULL;

    assert_int_equal(kbj_submit_combined(eng, &opts, phases, 3, id, NULL), KBJ_OK);
    kbj_test_run_queue(eng, "combo");
    /* phase 2 at half its progress: 20 + 30 / 2 = 35 % */
    assert_int_equal(seen_progress, 3500);
    assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
    assert_string_equal(j->type, "combined");
    assert_string_equal(j->status, "completed");
    assert_int_equal(j->progress_done, 10000);
    assert_int_equal(j->progress_total, 10000);
    assert_non_null(strstr(j->result, "\"success\":true"));
    assert_non_null(strstr(j->result, "\"status\":\"success\""));
    assert_non_null(strstr(j->result, "\"phases_completed\":3"));
    assert_non_null(strstr(j->result, "\"phase_results\":{\"meta\":{\"rows\":3},\"half\":\"halfway done\",\"index\":{\"indexed\":true}}"));
    assert_non_null(strstr(j->result, "\"resumed\":false"));
    assert_non_null(strstr(j->result, "\"phases_skipped\":0"));
    kbj_job_free(j);
}

typedef struct canceller {
    kbj_engine *eng;
    const char *id;
} canceller;

static void *cancel_in_phase_two(void *arg)
{
    canceller *c = arg;
    while (calls[1] == 0)
        kbj_test_msleep(20);
    kbj_test_msleep(100);
    kbj_job_cancel(c->eng, c->id, NULL);
    return NULL;
}

static void cancelled_in_phase_two_then_resumed_skips_phase_one(void **state)
{
    kbj_engine *eng = *state;
    kbj_phase phases[] = {
        { "meta", "test.meta", NULL, 20 },
        { "half", "test.half", "{\"wait\":true}", 30 },
        { "index", "test.index", NULL, 50 },
    };
    kbj_submit opts = { .queue = "combo" };
    char id[17];
    canceller c = { kbj_test_engine_join(eng), id };
    pthread_t t;
    kbj_job *j = NULL;
    kbj_run_report rep;

    assert_int_equal(kbj_submit_combined(eng, &opts, phases, 3, id, NULL), KBJ_OK);
    pthread_create(&t, NULL, cancel_in_phase_two, &c);
    rep = kbj_test_run_queue(eng, "combo");
    pthread_join(t, NULL);
    kbj_engine_free(c.eng);
    assert_int_equal(rep.cancelled, 1);
    assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
    assert_string_equal(j->status, "cancelled");
    assert_non_null(strstr(j->result, "\"status\":\"cancelled\""));
    assert_non_null(strstr(j->result, "\"phases_completed\":1"));
    kbj_job_free(j);
    assert_int_equal(calls[0], 1);

    /* resume: the checkpoint says phase 1 is done; phase 2 now finishes at once */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET params = REPLACE(params, '\"wait\":true', '\"wait\":false')");
    assert_int_equal(kbj_job_resume(eng, id), KBJ_OK);
    rep = kbj_test_run_queue(eng, "combo");
    assert_int_equal(rep.completed, 1);
    assert_int_equal(calls[0], 1); /* not run again */
    assert_int_equal(calls[1], 2);
    assert_int_equal(calls[2], 1);
    assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
    assert_string_equal(j->status, "completed");
    assert_non_null(strstr(j->result, "\"resumed\":true"));
    assert_non_null(strstr(j->result, "\"phases_skipped\":1"));
    assert_non_null(strstr(j->result, "\"phases_completed\":3"));
    assert_non_null(strstr(j->result, "\"meta\":{\"rows\":3}"));
    kbj_job_free(j);
}

static void a_failed_phase_is_named_in_the_result(void **state)
{
    kbj_engine *eng = *state;
    kbj_phase phases[] = {
        { "meta", "test.meta", NULL, 50 },
        { "index", "test.index", "{\"explode\":true}", 50 },
    };
    kbj_submit opts = { .queue = "combo" };
    char id[17];
    kbj_job *j = NULL;

    assert_int_equal(kbj_submit_combined(eng, &opts, phases, 2, id, NULL), KBJ_OK);
    kbj_test_run_queue(eng, "combo");
    assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
    assert_string_equal(j->status, "failed"); /* the phase's failure was not retryable */
    assert_string_equal(j->error, "phase 2 (index) failed: index server refused");
    assert_non_null(strstr(j->result, "\"success\":false"));
    assert_non_null(strstr(j->result, "\"failed_phase_index\":1"));
    assert_non_null(strstr(j->result, "\"failed_phase\":\"index\""));
    assert_non_null(strstr(j->result, "\"phases_completed\":1"));
    kbj_job_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(chains_are_validated_with_errors_and_warnings_apart, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_combined_job_runs_its_phases_with_weighted_progress, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(cancelled_in_phase_two_then_resumed_skips_phase_one, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_failed_phase_is_named_in_the_result, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("phases", tests, NULL, NULL);
}
