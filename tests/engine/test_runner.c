/*
 * kbj_run: dispatch to handlers, the native diagnostic types, retries, cancel seen by a
 * running handler, stop requests, budgets, and leases kept alive by the heartbeat
 * thread while a handler is busy.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "kbt_runner_"

static int setup(void **state)
{
    *state = kbj_test_engine(PREFIX, 0);
    return 0;
}

static int setup_short_lease(void **state)
{
    *state = kbj_test_engine(PREFIX, 2);
    return 0;
}

/* Fails with the job's error when it did not complete. */
static void assert_completed(kbj_engine *eng, const char *id)
{
    kbj_job *j = kbj_test_job(eng, id);
    if (strcmp(j->status, "completed") != 0)
        fail_msg("job %s (%s) is %s: %s", id, j->type, j->status, j->error ? j->error : "(no error)");
    kbj_job_free(j);
}

static void native_diag_types_run_and_report(void **state)
{
    kbj_engine *eng = *state;
    char echo[17], crud[17], lat[17];
    kbj_run_report rep;
    kbj_job *j;

    snprintf(echo, sizeof echo, "%s", kbj_test_submit(eng, "diag.echo", "{\"hello\":\"world\",\"n\":[1,2]}", "diag"));
    snprintf(crud, sizeof crud, "%s", kbj_test_submit(eng, "diag.crud", NULL, "diag"));
    snprintf(lat, sizeof lat, "%s", kbj_test_submit(eng, "diag.crud_latency", "{\"hold_ms\":150}", "diag"));
    rep = kbj_test_run_queue(eng, "diag");
    assert_completed(eng, echo);
    assert_completed(eng, crud);
    assert_completed(eng, lat);
    assert_int_equal(rep.claimed, 3);
    assert_int_equal(rep.completed, 3);
    assert_string_equal(rep.stop_reason, "empty");
    assert_true(kbj_valid_id(rep.runner));

    j = kbj_test_job(eng, echo);
    assert_string_equal(j->status, "completed");
    assert_string_equal(j->result, "{\"hello\":\"world\",\"n\":[1,2]}");
    kbj_job_free(j);
    j = kbj_test_job(eng, crud);
    assert_string_equal(j->result, "{\"lifecycle\":[\"created\",\"verified\",\"updated\",\"deleted\"]}");
    kbj_job_free(j);
    j = kbj_test_job(eng, lat);
    assert_non_null(strstr(j->result, "\"held_ms\":150"));
    assert_true(j->finished_at - j->started_at >= 0.14);
    kbj_job_free(j);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_diag"), 0);
    /* the runner registered, and said it stopped */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_runners WHERE stopped_at IS NOT NULL"), 1);
}

static void a_failing_job_retries_then_lands_in_the_failure_log(void **state)
{
    kbj_engine *eng = *state;
    kbj_submit s = { .type = "diag.fail", .queue = "f", .params = "{\"message\":\"upstream said 503\"}",
                     .max_attempts = 3, .backoff = { .kind = KBJ_BACKOFF_FIXED, .base_ms = 300, .jitter = -1 } };
    char id[17];
    kbj_run_report rep;
    kbj_failure *f = NULL;
    size_t n = 0;
    kbj_attempt *a = NULL;
    size_t na = 0;

    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_OK);
    /* until_empty waits for retries due within 2 s: one run takes all three attempts */
    rep = kbj_test_run_queue(eng, "f");
    assert_int_equal(rep.claimed, 3);
    assert_int_equal(rep.retried, 2);
    assert_int_equal(rep.failed, 1);
    assert_string_equal(kbj_test_status(eng, id), "failed");
    assert_int_equal(kbj_job_attempts(eng, id, &a, &na), KBJ_OK);
    assert_int_equal(na, 3);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(a[i].attempt, (int)i + 1);
        assert_string_equal(a[i].error, "upstream said 503");
    }
    kbj_attempts_free(a, na);
    assert_int_equal(kbj_failures_list(eng, 10, 0, &f, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].job_id, id);
    assert_int_equal(f[0].attempts, 3);
    kbj_failures_free(f, n);
}

static void a_non_retryable_failure_skips_the_remaining_attempts(void **state)
{
    kbj_engine *eng = *state;
    kbj_submit s = { .type = "diag.fail", .queue = "nr", .params = "{\"message\":\"404\",\"retryable\":false}",
                     .max_attempts = 5 };
    char id[17];
    kbj_run_report rep;
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_OK);
    rep = kbj_test_run_queue(eng, "nr");
    assert_int_equal(rep.failed, 1);
    assert_int_equal(rep.retried, 0);
    kbj_job *j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "failed");
    assert_int_equal(j->attempts, 1);
    assert_string_equal(j->error, "404");
    kbj_job_free(j);
}

static void a_job_without_a_handler_fails_with_a_clear_message(void **state)
{
    kbj_engine *eng = *state;
    char id[17];
    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "nobody.handles.this", NULL, "nh"));
    kbj_test_run_queue(eng, "nh");
    kbj_job *j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "failed");
    assert_non_null(strstr(j->error, "no handler for job type nobody.handles.this"));
    kbj_job_free(j);
}

typedef struct canceller {
    kbj_engine *eng;
    char id[17];
    unsigned after_ms;
    double at; /* kbj_test_now() once the cancel was requested */
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    kbj_test_msleep(c->after_ms);
    if (kbj_job_cancel(c->eng, c->id, NULL) != KBJ_OK)
        fprintf(stderr, "cancel: %s\n", kbj_errmsg(c->eng));
    c->at = kbj_test_now();
    return NULL;
}

static void cancel_is_seen_by_a_running_handler(void **state)
{
    kbj_engine *eng = *state;
    canceller c = { kbj_test_engine_join(eng), "", 1200, 0 };
    pthread_t t;
    kbj_run_report rep;
    kbj_job *j;
    double returned;

    snprintf(c.id, sizeof c.id, "%s", kbj_test_submit(eng, "diag.sleep", "{\"seconds\":60}", "cx"));
    pthread_create(&t, NULL, cancel_later, &c);
    rep = kbj_test_run_queue(eng, "cx");
    returned = kbj_test_now();
    pthread_join(t, NULL);
    kbj_engine_free(c.eng);
    assert_int_equal(rep.cancelled, 1);
    /* the job ran until the cancel, which was seen at the next heartbeat (lease 2 s: every
     * ~0.7 s), within the lease and long before the 60 s sleep was over */
    assert_true(rep.elapsed >= 1.2);
    if (returned - c.at >= 2.0)
        fail_msg("the run returned %.2f s after the cancel", returned - c.at);
    j = kbj_test_job(eng, c.id);
    assert_string_equal(j->status, "cancelled");
    assert_true(j->progress_done >= 1);
    assert_string_equal(j->phase, "sleeping");
    kbj_job_free(j);
}

/* Cancels c->id once the job has reported `after` seconds slept (read from its row on
 * another connection), and records how many it had reported then in c->at. */
static void *cancel_after_checks(void *arg)
{
    canceller *c = arg;
    for (int tries = 0; tries < 3000; tries++) {
        kbj_job *j = kbj_test_job(c->eng, c->id);
        long long done = j && strcmp(j->status, "running") == 0 ? j->progress_done : -1;
        kbj_job_free(j);
        if (done >= (long long)c->after_ms) {
            c->at = (double)done;
            if (kbj_job_cancel(c->eng, c->id, NULL) != KBJ_OK)
                fprintf(stderr, "cancel: %s\n", kbj_errmsg(c->eng));
            return NULL;
        }
        kbj_test_msleep(20);
    }
    return NULL;
}

/* diag.sleep checks for a cancel while it sleeps, and reports each second slept as
 * progress: cancelled after it reported 2, it stops once the cancel reaches it (the next
 * heartbeat, a third of the 2 s lease here), a second or so later: at most 2 more
 * reported, never the 60 (counted from its progress, not timed; the second of slack is
 * for a heartbeat late on a loaded machine). */
static void a_cancelled_diag_sleep_stops_at_its_next_check(void **state)
{
    kbj_engine *eng = *state;
    canceller c = { kbj_test_engine_join(eng), "", 2, -1 };
    pthread_t t;
    kbj_run_report rep;
    kbj_job *j;

    snprintf(c.id, sizeof c.id, "%s", kbj_test_submit(eng, "diag.sleep", "{\"seconds\":60}", "cc"));
    pthread_create(&t, NULL, cancel_after_checks, &c);
    rep = kbj_test_run_queue(eng, "cc");
    pthread_join(t, NULL);
    kbj_engine_free(c.eng);
    assert_true(c.at >= 2); /* the cancel was sent after two checks */
    assert_int_equal(rep.cancelled, 1);
    j = kbj_test_job(eng, c.id);
    assert_string_equal(j->status, "cancelled");
    print_message("checks reported when cancelled: %.0f, at the end: %lld of 60\n", c.at, j->progress_done);
    assert_true(j->progress_done <= (long long)c.at + 2);
    kbj_job_free(j);
}

typedef struct stopper {
    kbj_engine *eng;
    unsigned after_ms;
    double at; /* kbj_test_now() once the stop was requested */
} stopper;

static void *stop_later(void *arg)
{
    stopper *s = arg;
    kbj_test_msleep(s->after_ms);
    kbj_request_stop(s->eng);
    s->at = kbj_test_now();
    return NULL;
}

static void a_stop_request_gives_the_running_job_back_to_its_queue(void **state)
{
    kbj_engine *eng = *state;
    stopper s = { eng, 800, 0 };
    double returned;
    pthread_t t;
    char id[17], other[17];
    const char *queues[] = { "st" };
    kbj_run_opts o = { .queues = queues, .nqueues = 1 };
    kbj_run_report rep;
    kbj_job *j;

    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "diag.sleep", "{\"seconds\":30}", "st"));
    snprintf(other, sizeof other, "%s", kbj_test_submit(eng, "diag.sleep", "{\"seconds\":30}", "st"));
    pthread_create(&t, NULL, stop_later, &s);
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    returned = kbj_test_now();
    pthread_join(t, NULL);
    assert_string_equal(rep.stop_reason, "requested");
    /* ran until the request, and returned soon after it, long before the 30 s sleep */
    assert_true(rep.elapsed >= 0.8);
    if (returned - s.at >= 2.0)
        fail_msg("the run returned %.2f s after the stop request", returned - s.at);
    assert_int_equal(rep.interrupted, 2); /* the running one and the claimed one behind it */
    for (int i = 0; i < 2; i++) {
        j = kbj_test_job(eng, i ? other : id);
        assert_string_equal(j->status, "queued");
        assert_int_equal(j->attempts, 0); /* a stop is not a failed attempt */
        kbj_job_free(j);
    }
}

static void budgets_stop_the_run(void **state)
{
    kbj_engine *eng = *state;
    const char *queues[] = { "b" };
    kbj_run_opts o = { .queues = queues, .nqueues = 1, .max_jobs = 3, .until_empty = 1 };
    kbj_run_report rep;

    for (int i = 0; i < 8; i++)
        kbj_test_submit(eng, "diag.echo", NULL, "b");
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_string_equal(rep.stop_reason, "jobs");
    assert_int_equal(rep.completed, 3);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'queued'"), 5);

    o = (kbj_run_opts){ .queues = queues, .nqueues = 1, .max_seconds = 0.3, .idle_ms = 50 };
    kbj_test_submit(eng, "diag.sleep", "{\"seconds\":0.2}", "b");
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_string_equal(rep.stop_reason, "time");
    assert_true(rep.elapsed >= 0.3 && rep.elapsed < 2);

    o = (kbj_run_opts){ .queues = queues, .nqueues = 1, .max_memory = 1024 };
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_string_equal(rep.stop_reason, "memory");
    assert_int_equal(rep.claimed, 0);
}

static int busy_without_heartbeats(kbj_ctx *ctx, void *udata)
{
    (void)udata;
    (void)ctx;
    kbj_test_msleep(5000); /* longer than two leases, and never calls the engine */
    return KBJ_OK;
}

typedef struct reaper {
    kbj_engine *eng;
    volatile int quit;
    size_t reaped;
} reaper;

static void *reap_loop(void *arg)
{
    reaper *r = arg;
    while (!r->quit) {
        size_t n = 0;
        kbj_reap(r->eng, &n);
        r->reaped += n;
        kbj_test_msleep(200);
    }
    return NULL;
}

static void a_busy_handler_keeps_its_lease_through_the_heartbeat_thread(void **state)
{
    kbj_engine *eng = *state; /* lease 2 s */
    kbj_type_def def = { .name = "test.busy", .handler = busy_without_heartbeats };
    reaper r = { kbj_test_engine_join(eng), 0, 0 };
    pthread_t t;
    char id[17];
    kbj_run_report rep;

    assert_int_equal(kbj_register_type(eng, &def), KBJ_OK);
    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "test.busy", NULL, "busy"));
    pthread_create(&t, NULL, reap_loop, &r);
    rep = kbj_test_run_queue(eng, "busy");
    r.quit = 1;
    pthread_join(t, NULL);
    kbj_engine_free(r.eng);
    assert_int_equal(r.reaped, 0);
    assert_int_equal(rep.completed, 1);
    assert_string_equal(kbj_test_status(eng, id), "completed");
}

static int chatty(kbj_ctx *ctx, void *udata)
{
    (void)udata;
    kbj_ctx_title(ctx, "Importing example.com");
    for (int i = 1; i <= 5000; i++)
        if (kbj_ctx_progress(ctx, i, 5000, "fetch") != KBJ_OK)
            return kbj_ctx_fail(ctx, "progress refused", 0);
    kbj_ctx_metrics(ctx, "{\"bytes\":1200,\"cost\":0.5}");
    kbj_ctx_metrics(ctx, "{\"bytes\":800}");
    kbj_ctx_log(ctx, "info", "fetched everything", "{\"pages\":5000}");
    return KBJ_OK;
}

static void progress_title_metrics_and_logs_are_recorded(void **state)
{
    kbj_engine *eng = *state;
    kbj_type_def def = { .name = "test.chatty", .handler = chatty };
    char id[17], path[600];
    kbj_job *j;
    FILE *f;
    char line[512] = "";

    assert_int_equal(kbj_register_type(eng, &def), KBJ_OK);
    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "test.chatty", NULL, "chat"));
    kbj_test_run_queue(eng, "chat");
    j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "completed");
    assert_int_equal(j->progress_done, 5000);
    assert_int_equal(j->progress_total, 5000);
    assert_string_equal(j->phase, "fetch");
    assert_string_equal(j->title, "Importing example.com");
    assert_string_equal(j->metrics, "{\"bytes\":2000,\"cost\":0.5}");
    assert_true(j->progress_at > 0);
    kbj_job_free(j);
    snprintf(path, sizeof path, "%s/logs/%s.log", eng->data_dir, id);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_non_null(strstr(line, "\"msg\":\"fetched everything\""));
    assert_non_null(strstr(line, "\"pages\":5000"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(native_diag_types_run_and_report, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_failing_job_retries_then_lands_in_the_failure_log, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_non_retryable_failure_skips_the_remaining_attempts, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_job_without_a_handler_fails_with_a_clear_message, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(cancel_is_seen_by_a_running_handler, setup_short_lease, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_cancelled_diag_sleep_stops_at_its_next_check, setup_short_lease,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_stop_request_gives_the_running_job_back_to_its_queue, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(budgets_stop_the_run, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_busy_handler_keeps_its_lease_through_the_heartbeat_thread, setup_short_lease, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(progress_title_metrics_and_logs_are_recorded, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("runner", tests, NULL, NULL);
}
