/*
 * The local wake-up (core/wake.c): an idle runner on the same database and prefix
 * claims a job submitted on this host at once instead of at its next poll; one on
 * another prefix hears nothing; submits with nobody listening, and held or later jobs,
 * send nothing; WP-Cron events that become due now wake them too. The runners here poll
 * every 10 s, so only a wake-up explains a pickup within a second; wake-ups are counted
 * (the runner's report, raw sockets) rather than timed where that can be done.
 */
#include "testutil.h"
#include "kbj_cron.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "kbt_wake_"
#define OTHER "kbt_wake2_"

static int setup(void **state)
{
    *state = kbj_test_engine(PREFIX, 0);
    return 0;
}

typedef struct runner_arg {
    kbj_engine *eng;           /* the runner's own engine (freed by the thread) */
    const char *queue;
    double max_seconds;
    unsigned long max_jobs;
    int no_wake;
    unsigned idle_ms;          /* both pauses (0: 10 s) */
    kbj_run_report rep;
    int rc;
} runner_arg;

/* A runner on its own connection, as another process would be (the clone has no job
 * types: the native ones are registered here). */
static void *run_thread(void *p)
{
    runner_arg *a = p;
    const char *queues[] = { a->queue };
    unsigned idle = a->idle_ms ? a->idle_ms : 10000;
    kbj_run_opts o = { .queues = queues, .nqueues = 1, .max_seconds = a->max_seconds, .max_jobs = a->max_jobs,
                       .idle_ms = idle, .idle_min_ms = idle, .no_wake = a->no_wake };
    a->rc = kbj_register_builtin_types(a->eng);
    if (a->rc == KBJ_OK)
        a->rc = kbj_run(a->eng, &o, &a->rep);
    kbj_engine_free(a->eng);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Waits (up to 5 s) until `n` runners listen under the engine's site, which a runner
 * does once registered, before its first claim. */
static void wait_listening(kbj_engine *eng, unsigned n)
{
    for (int i = 0; i < 500; i++) {
        if (kbj_wake_listeners(eng->wake_site) == n)
            return;
        sleep_ms(10);
    }
    fail_msg("%u runner(s) never listened under %s", n, eng->wake_site);
}

static void an_idle_runner_claims_a_job_submitted_on_this_host_at_once(void **state)
{
    kbj_engine *eng = *state;
    runner_arg a = { .eng = kbj_test_engine_join(eng), .queue = "w", .max_seconds = 8, .max_jobs = 1 };
    pthread_t t;
    double t0, took;
    char id[17];

    pthread_create(&t, NULL, run_thread, &a);
    wait_listening(eng, 1);
    sleep_ms(300); /* its first claim found nothing: it waits 10 s */
    t0 = kbj_test_now();
    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "diag.echo", "{}", "w"));
    pthread_join(t, NULL);
    took = kbj_test_now() - t0;
    assert_int_equal(a.rc, KBJ_OK);
    assert_string_equal(a.rep.stop_reason, "jobs");
    assert_int_equal(a.rep.completed, 1);
    assert_true(a.rep.wakeups >= 1);
    assert_string_equal(kbj_test_status(eng, id), "completed");
    if (took >= 1.0)
        fail_msg("the job was done %.3f s after its submit: the wake-up did not reach the runner", took);
}

/* A runner no wake-up reaches (as on another host) finds a job at one of its looks: an
 * idle runner reads the claim index for a due job before it claims, and claims when it
 * finds one. */
static void a_polling_runner_finds_a_job_at_its_next_look(void **state)
{
    kbj_engine *eng = *state;
    runner_arg a = { .eng = kbj_test_engine_join(eng), .queue = "w", .max_seconds = 8, .max_jobs = 1,
                     .no_wake = 1, .idle_ms = 100 };
    pthread_t t;
    char id[17];

    pthread_create(&t, NULL, run_thread, &a);
    sleep_ms(500); /* its first claim found nothing: it looks every 100 ms since */
    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "diag.echo", "{}", "w"));
    pthread_join(t, NULL);
    assert_int_equal(a.rc, KBJ_OK);
    assert_string_equal(a.rep.stop_reason, "jobs");
    assert_int_equal(a.rep.completed, 1);
    assert_int_equal(a.rep.wakeups, 0);
    assert_string_equal(kbj_test_status(eng, id), "completed");
}

static void a_runner_on_another_prefix_hears_nothing(void **state)
{
    kbj_engine *eng = *state, *other = kbj_test_engine(OTHER, 0);
    runner_arg a = { .eng = kbj_test_engine_join(other), .queue = "w", .max_seconds = 1.5 };
    kbj_submit s = { .type = "diag.echo", .queue = "w" };
    char ids[3][KBJ_ID_LEN + 1];
    pthread_t t;

    /* same server, same database, another prefix: another site */
    assert_string_not_equal(eng->wake_site, other->wake_site);
    pthread_create(&t, NULL, run_thread, &a);
    wait_listening(other, 1);
    assert_int_equal(kbj_wake_listeners(eng->wake_site), 0);
    assert_int_equal(kbj_submit_job(eng, &s, ids[0], NULL), KBJ_OK);
    assert_int_equal(kbj_submit_many(eng, &s, 1, &ids[1]), KBJ_OK);
    assert_int_equal(kbj_submit_job(eng, &s, ids[2], NULL), KBJ_OK);
    pthread_join(t, NULL);
    assert_int_equal(a.rc, KBJ_OK);
    assert_string_equal(a.rep.stop_reason, "time");
    assert_int_equal(a.rep.wakeups, 0);
    assert_int_equal(a.rep.claimed, 0);
    kbj_engine_free(other);
}

static void the_site_is_the_database_settings_as_given(void **state)
{
    kbj_engine *eng = *state, *joined = kbj_test_engine_join(eng);
    kbj_db_settings db = kbj_test_settings(), tcp = kbj_test_settings_tcp();
    char a[KBJ_WAKE_SITE_LEN + 1], b[KBJ_WAKE_SITE_LEN + 1];

    assert_int_equal(strlen(eng->wake_site), KBJ_WAKE_SITE_LEN);
    assert_string_equal(eng->wake_site, joined->wake_site);
    db.prefix = PREFIX;
    kbj_wake_site(&db, a);
    assert_string_equal(a, eng->wake_site);
    /* another database name, or the same server through TCP: another site (the second
     * is a limit: such processes poll) */
    db.database = "kbjobs_elsewhere";
    kbj_wake_site(&db, b);
    assert_string_not_equal(a, b);
    tcp.prefix = PREFIX;
    kbj_wake_site(&tcp, b);
    assert_string_not_equal(a, b);
    /* settings that do not parse: no site, and no wake-ups */
    db.host = "[::1";
    kbj_wake_site(&db, b);
    assert_string_equal(b, "");
    assert_int_equal(kbj_wake_notify(b), 0);
    assert_int_equal(kbj_wake_listen(b, "0123456789abcdef"), -1);
    kbj_engine_free(joined);
}

static void a_submit_with_nobody_listening_is_quiet(void **state)
{
    kbj_engine *eng = *state;
    kbj_submit s = { .type = "diag.echo", .queue = "w" };
    char id[KBJ_ID_LEN + 1];

    assert_int_equal(kbj_wake_listeners(eng->wake_site), 0);
    assert_int_equal(kbj_wake_notify(eng->wake_site), 0);
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_OK);
    assert_string_equal(kbj_errmsg(eng), "");
    assert_string_equal(kbj_test_status(eng, id), "queued");
}

/* Counts the datagrams pending on a listening socket (and reads them). */
static int heard(int fd)
{
    return kbj_wake_wait(fd, 0);
}

static void only_what_makes_jobs_due_now_wakes_runners(void **state)
{
    kbj_engine *eng = *state;
    int fd = kbj_wake_listen(eng->wake_site, "00000000000000aa");
    kbj_submit held = { .type = "diag.echo", .queue = "w", .backlog = "bl", .hold = 1 };
    kbj_submit later = { .type = "diag.echo", .queue = "w", .delay_ms = 60000 };
    kbj_submit now = { .type = "diag.echo", .queue = "w" };
    char id[KBJ_ID_LEN + 1], again[KBJ_ID_LEN + 1];
    unsigned long long released = 0;

    assert_true(fd >= 0);
    /* a second socket cannot take the same name */
    assert_int_equal(kbj_wake_listen(eng->wake_site, "00000000000000aa"), -1);
    assert_int_equal(kbj_submit_job(eng, &held, id, NULL), KBJ_OK);
    assert_false(heard(fd));
    assert_int_equal(kbj_submit_job(eng, &later, id, NULL), KBJ_OK);
    assert_false(heard(fd));
    assert_int_equal(kbj_backlog_release(eng, "bl", &released), KBJ_OK);
    assert_int_equal(released, 1);
    assert_true(heard(fd));
    assert_false(heard(fd)); /* read: one wake-up stands for those before it */

    assert_int_equal(kbj_submit_job(eng, &now, id, NULL), KBJ_OK);
    assert_true(heard(fd));
    assert_int_equal(kbj_job_cancel(eng, id, NULL), KBJ_OK);
    assert_false(heard(fd)); /* a cancel makes nothing due */
    assert_int_equal(kbj_job_rerun(eng, id, again), KBJ_OK);
    assert_true(heard(fd));
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET status = 'interrupted' WHERE status = 'queued'");
    assert_int_equal(kbj_job_resume(eng, again), KBJ_OK);
    assert_true(heard(fd));
    close(fd);
}

/* WP-Cron events wake the runners (which look for due events at each wake-up) when one
 * becomes due now: scheduled for now or earlier, run now, moved to now, or resumed. */
static void a_wp_cron_event_due_now_wakes_runners(void **state)
{
    kbj_engine *eng = *state;
    int fd = kbj_wake_listen(eng->wake_site, "00000000000000ab");
    long long now = (long long)time(NULL);
    kbj_cron_event later = { .hook = "kbt_wake_hook", .args_key = "0123456789abcdef0123456789abcdef",
                             .next_run = now + 3600 };
    kbj_cron_event due = { .hook = "kbt_wake_hook", .args_key = "fedcba9876543210fedcba9876543210",
                           .next_run = now - 5 };
    kbj_cron_change pause = { .set_paused = 1, .paused = 1 }, resume = { .set_paused = 1, .paused = 0 };
    kbj_cron_change tomorrow = { .set_next_run = 1, .next_run = now + 86400 };
    kbj_cron_change at_once = { .set_next_run = 1, .next_run = now };
    unsigned long long id_later = 0, id_due = 0;

    assert_true(fd >= 0);
    /* a run that failed halfway left its events */
    kbj_test_exec(eng, "DELETE FROM {p}kbjobs_cron_events WHERE hook = 'kbt_wake_hook'");
    assert_int_equal(kbj_cron_schedule(eng, &later, KBJ_CRON_SINGLE, now, &id_later), KBJ_OK);
    assert_false(heard(fd));
    assert_int_equal(kbj_cron_schedule(eng, &due, KBJ_CRON_SINGLE, now, &id_due), KBJ_OK);
    assert_true(heard(fd));
    assert_int_equal(kbj_cron_run_now(eng, id_later), KBJ_OK);
    assert_true(heard(fd));
    assert_int_equal(kbj_cron_update(eng, id_due, &pause), KBJ_OK);
    assert_false(heard(fd));
    assert_int_equal(kbj_cron_update(eng, id_due, &resume), KBJ_OK);
    assert_true(heard(fd));
    assert_int_equal(kbj_cron_update(eng, id_due, &tomorrow), KBJ_OK);
    assert_false(heard(fd));
    assert_int_equal(kbj_cron_update(eng, id_due, &at_once), KBJ_OK);
    assert_true(heard(fd));
    assert_int_equal(kbj_cron_delete(eng, id_due), KBJ_OK);
    assert_false(heard(fd));
    assert_int_equal(kbj_cron_delete(eng, id_later), KBJ_OK);
    close(fd);
}

static void a_runner_without_wake_ups_binds_nothing(void **state)
{
    kbj_engine *eng = *state;
    runner_arg a = { .eng = kbj_test_engine_join(eng), .queue = "w", .max_seconds = 1, .no_wake = 1 };
    pthread_t t;

    pthread_create(&t, NULL, run_thread, &a);
    sleep_ms(500);
    assert_int_equal(kbj_wake_listeners(eng->wake_site), 0);
    pthread_join(t, NULL);
    assert_int_equal(a.rc, KBJ_OK);
    assert_int_equal(a.rep.wakeups, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(an_idle_runner_claims_a_job_submitted_on_this_host_at_once, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_polling_runner_finds_a_job_at_its_next_look, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_runner_on_another_prefix_hears_nothing, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(the_site_is_the_database_settings_as_given, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_submit_with_nobody_listening_is_quiet, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(only_what_makes_jobs_due_now_wakes_runners, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_wp_cron_event_due_now_wakes_runners, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_runner_without_wake_ups_binds_nothing, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("wakeup", tests, NULL, NULL);
}
