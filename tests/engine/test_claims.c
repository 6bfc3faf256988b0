/*
 * Claims, concurrency keys, leases and fencing under real concurrency: threads and
 * processes on their own connections, a runner killed with SIGKILL mid-job, and a
 * MariaDB restart in the middle of a run.
 */
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "kbt_claims_"

static int setup(void **state)
{
    *state = kbj_test_engine(PREFIX, 0);
    return 0;
}

/* ---- concurrent claims ------------------------------------------------------------ */

#define RACE_JOBS 2000
#define RACERS 4

typedef struct racer {
    kbj_engine *eng;
    unsigned long long *got;
    size_t n;
    int rc;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    const char *queues[] = { "race" };
    char runner[17];
    r->rc = kbj_runner_register(r->eng, "race", (int)getpid(), NULL, "race", runner);
    while (r->rc == KBJ_OK) {
        kbj_lease *l = NULL;
        size_t n = 0;
        r->rc = kbj_claim(r->eng, runner, queues, 1, 25, &l, &n);
        if (r->rc || n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            r->got[r->n++] = l[i].pk;
        r->rc = kbj_complete_many(r->eng, l, NULL, n, NULL);
        kbj_leases_free(l, n);
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

static void concurrent_claims_never_hand_out_the_same_job_twice(void **state)
{
    kbj_engine *eng = *state;
    racer r[RACERS];
    pthread_t t[RACERS];
    unsigned long long *all = calloc(RACE_JOBS * 2, sizeof *all);
    size_t total = 0;

    kbj_test_submit_n(eng, "race.item", "race", RACE_JOBS);
    for (int i = 0; i < RACERS; i++) {
        r[i] = (racer){ kbj_test_engine_join(eng), calloc(RACE_JOBS, sizeof(unsigned long long)), 0, 0 };
        pthread_create(&t[i], NULL, race, &r[i]);
    }
    for (int i = 0; i < RACERS; i++) {
        pthread_join(t[i], NULL);
        if (r[i].rc)
            fail_msg("racer %d: %s", i, kbj_errmsg(r[i].eng));
        memcpy(all + total, r[i].got, r[i].n * sizeof *all);
        total += r[i].n;
        /* every racer got a share: the claims really ran side by side */
        assert_true(r[i].n > 0);
        free(r[i].got);
        kbj_engine_free(r[i].eng);
    }
    assert_int_equal(total, RACE_JOBS);
    qsort(all, total, sizeof *all, cmp_u64);
    for (size_t i = 1; i < total; i++)
        if (all[i] == all[i - 1])
            fail_msg("job %llu was claimed twice", all[i]);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'completed' AND attempts = 1"),
                     RACE_JOBS);
    free(all);
}

/* ---- ordering and concurrency keys ----------------------------------------------- */

static void claims_come_by_priority_then_run_at_then_id(void **state)
{
    kbj_engine *eng = *state;
    const char *queues[] = { "order" };
    char runner[17], ids[4][17];
    int prio[4] = { 5, -3, 5, 0 };
    kbj_lease *l = NULL;
    size_t n = 0;

    for (int i = 0; i < 4; i++) {
        kbj_submit s = { .type = "t", .queue = "order", .priority = prio[i] };
        assert_int_equal(kbj_submit_job(eng, &s, ids[i], NULL), KBJ_OK);
    }
    assert_int_equal(kbj_runner_register(eng, "h", 1, NULL, "order", runner), KBJ_OK);
    assert_int_equal(kbj_claim(eng, runner, queues, 1, 10, &l, &n), KBJ_OK);
    assert_int_equal(n, 4);
    assert_string_equal(l[0].id, ids[1]);
    assert_string_equal(l[1].id, ids[3]);
    assert_string_equal(l[2].id, ids[0]);
    assert_string_equal(l[3].id, ids[2]);
    assert_int_equal(l[0].attempts, 1);
    kbj_leases_free(l, n);
}

static void claims_take_queues_in_the_order_given(void **state)
{
    kbj_engine *eng = *state;
    const char *queues[] = { "second", "first" };
    char runner[17];
    kbj_lease *l = NULL;
    size_t n = 0;

    kbj_test_submit_n(eng, "t", "first", 3);
    kbj_test_submit_n(eng, "t", "second", 3);
    assert_int_equal(kbj_runner_register(eng, "h", 1, NULL, "second,first", runner), KBJ_OK);
    assert_int_equal(kbj_claim(eng, runner, queues, 2, 4, &l, &n), KBJ_OK);
    assert_int_equal(n, 4);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE queue = 'second' AND status = 'running'"), 3);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE queue = 'first' AND status = 'running'"), 1);
    kbj_leases_free(l, n);
}

static void one_running_job_per_concurrency_key(void **state)
{
    kbj_engine *eng = *state;
    const char *queues[] = { "keys" };
    char r1[17], r2[17];
    kbj_lease *a = NULL, *b = NULL, *c = NULL;
    size_t na = 0, nb = 0, nc = 0;

    for (int i = 0; i < 6; i++) {
        kbj_submit s = { .type = "t", .queue = "keys", .concurrency_key = i % 2 ? "source:a" : "source:b" };
        char id[17];
        assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_OK);
    }
    kbj_test_submit_n(eng, "t", "keys", 2); /* no key */
    assert_int_equal(kbj_runner_register(eng, "h", 1, NULL, "keys", r1), KBJ_OK);
    assert_int_equal(kbj_runner_register(eng, "h", 2, NULL, "keys", r2), KBJ_OK);

    assert_int_equal(kbj_claim(eng, r1, queues, 1, 100, &a, &na), KBJ_OK);
    assert_int_equal(na, 4); /* one per key, and both keyless jobs */
    /* another runner gets nothing while the keys are held */
    assert_int_equal(kbj_claim(eng, r2, queues, 1, 100, &b, &nb), KBJ_OK);
    assert_int_equal(nb, 0);
    kbj_leases_free(b, nb);

    /* finishing the key's job (any way) lets the next one of that key run */
    for (size_t i = 0; i < na; i++)
        if (a[i].concurrency_key && strcmp(a[i].concurrency_key, "source:a") == 0)
            assert_int_equal(kbj_fail_job(eng, &a[i], "boom", 0, NULL), KBJ_OK);
    assert_int_equal(kbj_claim(eng, r2, queues, 1, 100, &c, &nc), KBJ_OK);
    assert_int_equal(nc, 1);
    assert_string_equal(c[0].concurrency_key, "source:a");
    kbj_leases_free(a, na);
    kbj_leases_free(c, nc);
}

/* ---- fencing ---------------------------------------------------------------------- */

static void a_runner_whose_lease_expired_cannot_write_to_its_job(void **state)
{
    kbj_engine *eng = *state;
    const char *queues[] = { "fence" };
    char r1[17], r2[17], id[17];
    kbj_lease *old = NULL, *fresh = NULL;
    size_t n1 = 0, n2 = 0, reaped = 0;
    kbj_attempt *att = NULL;
    size_t natt = 0;

    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "t", NULL, "fence"));
    assert_int_equal(kbj_runner_register(eng, "h", 1, NULL, "fence", r1), KBJ_OK);
    assert_int_equal(kbj_runner_register(eng, "h", 2, NULL, "fence", r2), KBJ_OK);
    assert_int_equal(kbj_claim(eng, r1, queues, 1, 1, &old, &n1), KBJ_OK);
    assert_int_equal(n1, 1);
    assert_int_equal(kbj_progress(eng, old, 1, 10, "one"), KBJ_OK);

    /* the lease runs out by the database clock; the reaper interrupts the job */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) - INTERVAL 1 SECOND");
    assert_int_equal(kbj_reap(eng, &reaped), KBJ_OK);
    assert_int_equal(reaped, 1);
    assert_string_equal(kbj_test_status(eng, id), "interrupted");
    assert_int_equal(kbj_job_resume(eng, id), KBJ_OK);
    assert_int_equal(kbj_claim(eng, r2, queues, 1, 1, &fresh, &n2), KBJ_OK);
    assert_int_equal(n2, 1);
    assert_true(fresh->token != old->token);

    /* every write by the old holder is refused */
    assert_int_equal(kbj_complete(eng, old, "{\"by\":\"old\"}"), KBJ_ELEASE);
    assert_int_equal(kbj_progress(eng, old, 5, 10, NULL), KBJ_ELEASE);
    assert_int_equal(kbj_heartbeat(eng, old, NULL), KBJ_ELEASE);
    assert_int_equal(kbj_fail_job(eng, old, "late", 1, NULL), KBJ_ELEASE);
    assert_int_equal(kbj_set_title(eng, old, "late"), KBJ_ELEASE);
    assert_int_equal(kbj_lease_log(eng, old, "info", "late", NULL), KBJ_ELEASE);
    assert_int_equal(kbj_release(eng, old), KBJ_ELEASE);
    assert_non_null(strstr(kbj_errmsg(eng), "lease"));

    /* the new holder completes it, once; completing again with the same lease is harmless */
    assert_int_equal(kbj_complete(eng, fresh, "{\"by\":\"new\"}"), KBJ_OK);
    assert_int_equal(kbj_complete(eng, fresh, "{\"by\":\"new\"}"), KBJ_OK);
    {
        kbj_job *j = NULL;
        assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
        assert_string_equal(j->status, "completed");
        assert_string_equal(j->result, "{\"by\":\"new\"}");
        kbj_job_free(j);
    }
    assert_int_equal(kbj_job_attempts(eng, id, &att, &natt), KBJ_OK);
    assert_int_equal(natt, 1);
    assert_string_equal(att[0].outcome, "expired");
    assert_string_equal(att[0].runner, r1);
    kbj_attempts_free(att, natt);
    kbj_leases_free(old, n1);
    kbj_leases_free(fresh, n2);
}

static void heartbeat_extends_the_lease_by_the_database_clock(void **state)
{
    kbj_engine *eng = *state;
    const char *queues[] = { "hb" };
    char r[17];
    kbj_lease *l = NULL;
    size_t n = 0;

    kbj_test_submit(eng, "t", NULL, "hb");
    assert_int_equal(kbj_runner_register(eng, "h", 1, NULL, "hb", r), KBJ_OK);
    assert_int_equal(kbj_claim(eng, r, queues, 1, 1, &l, &n), KBJ_OK);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) + INTERVAL 2 SECOND");
    assert_int_equal(kbj_heartbeat(eng, l, NULL), KBJ_OK);
    assert_true(kbj_test_int(eng, "SELECT TIMESTAMPDIFF(SECOND, NOW(6), lease_expires) FROM {p}kbjobs_jobs") >= 58);
    /* the runner-level heartbeat extends every lease it holds */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) + INTERVAL 2 SECOND");
    assert_int_equal(kbj_runner_heartbeat(eng, r), KBJ_OK);
    assert_true(kbj_test_int(eng, "SELECT TIMESTAMPDIFF(SECOND, NOW(6), lease_expires) FROM {p}kbjobs_jobs") >= 58);
    kbj_leases_free(l, n);
}

/* ---- a runner killed mid-job -------------------------------------------------------- */

static int slow_forever(kbj_ctx *ctx, void *udata)
{
    (void)udata;
    kbj_ctx_progress(ctx, 1, 2, "started");
    for (;;)
        kbj_test_msleep(100); /* killed here */
    return KBJ_OK;
}

static int count_calls(kbj_ctx *ctx, void *udata)
{
    (*(int *)udata)++;
    return kbj_ctx_set_result(ctx, "{\"done_by\":\"survivor\"}");
}

static void a_killed_runner_s_job_is_reaped_and_completed_exactly_once(void **state)
{
    kbj_engine *eng = *state;
    kbj_submit s = { .type = "test.slow", .queue = "kill", .on_expiry = KBJ_EXPIRY_REQUEUE };
    char id[17];
    int calls = 0, waited = 0;
    pid_t child;
    kbj_run_report rep;
    const char *queues[] = { "kill" };
    kbj_run_opts o = { .queues = queues, .nqueues = 1, .until_empty = 1 };
    kbj_type_def def = { .name = "test.slow", .handler = count_calls, .udata = &calls };
    kbj_attempt *att = NULL;
    size_t natt = 0;

    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_OK);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* the doomed runner: its own connection, a 2 s lease, a handler that never returns */
        kbj_engine *mine = kbj_test_engine_open(PREFIX, 2, eng->data_dir);
        kbj_type_def slow = { .name = "test.slow", .handler = slow_forever };
        if (!mine || kbj_register_type(mine, &slow))
            _exit(2);
        kbj_run(mine, &o, NULL);
        _exit(3);
    }
    while (strcmp(kbj_test_status(eng, id), "running") != 0) {
        assert_true(waited++ < 200);
        kbj_test_msleep(50);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);

    /* nobody renews the lease now: once it expires the reaper re-queues the job (its
     * lease is expired by the database clock, not waited out) */
    assert_string_equal(kbj_test_status(eng, id), "running");
    kbj_test_expire_lease(eng, id);
    {
        size_t reaped = 0;
        assert_int_equal(kbj_reap(eng, &reaped), KBJ_OK);
        assert_int_equal(reaped, 1);
        assert_string_equal(kbj_test_status(eng, id), "queued");
    }
    assert_int_equal(kbj_register_type(eng, &def), KBJ_OK);
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_int_equal(calls, 1);
    assert_int_equal(rep.completed, 1);
    {
        kbj_job *j = NULL;
        assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
        assert_string_equal(j->status, "completed");
        assert_string_equal(j->result, "{\"done_by\":\"survivor\"}");
        assert_int_equal(j->attempts, 2);
        kbj_job_free(j);
    }
    assert_int_equal(kbj_job_attempts(eng, id, &att, &natt), KBJ_OK);
    assert_int_equal(natt, 1);
    assert_string_equal(att[0].outcome, "expired");
    kbj_attempts_free(att, natt);
}

/* ---- a database restart mid-run ---------------------------------------------------- */

typedef struct ledger {
    int fd;
} ledger;

static int write_ledger(kbj_ctx *ctx, void *udata)
{
    ledger *lg = udata;
    char line[32];
    int n = snprintf(line, sizeof line, "%s\n", kbj_ctx_lease(ctx)->id);
    if (write(lg->fd, line, (size_t)n) != n)
        return kbj_ctx_fail(ctx, "ledger write failed", 1);
    kbj_test_msleep(5);
    return KBJ_OK;
}

static int count_completed(kbj_store *st, void *arg)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'completed'", NULL, 0, &rows);
    if (rc == KBJ_OK)
        *(long long *)arg = kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return rc;
}

static int restart_mariadb(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "\"%s/tools/mariadb.sh\" stop >/dev/null && sleep 1 && "
             "\"%s/tools/mariadb.sh\" start >/dev/null", kbj_test_env("KBJOBS_ROOT"), kbj_test_env("KBJOBS_ROOT"));
    return system(cmd);
}

static void a_database_restart_mid_run_loses_and_duplicates_nothing(void **state)
{
    kbj_engine *eng = *state;
    enum { JOBS = 400 };
    char path[600];
    pid_t child;
    int status = 0, waited = 0;
    const char *queues[] = { "restart" };

    snprintf(path, sizeof path, "%s/ledger.txt", eng->data_dir);
    kbj_test_submit_n(eng, "test.ledger", "restart", JOBS);
    /* a claim whose commit was lost in the restart leaves its jobs running until their
     * leases expire: re-queued then, not left interrupted for an operator */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET on_expiry = 'requeue'");
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        ledger lg = { open(path, O_WRONLY | O_CREAT | O_APPEND, 0600) };
        kbj_engine *mine = kbj_test_engine_open(PREFIX, 20, eng->data_dir);
        kbj_type_def def = { .name = "test.ledger", .handler = write_ledger, .udata = &lg };
        kbj_run_opts o = { .queues = queues, .nqueues = 1, .idle_ms = 100, .max_seconds = 120 };
        kbj_run_report rep;
        if (!mine || lg.fd < 0 || kbj_register_type(mine, &def))
            _exit(2);
        /* runs until nothing is left for a while (checked by the parent), then is told to stop */
        _exit(kbj_run(mine, &o, &rep) == KBJ_OK ? 0 : 4);
    }
    while (kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'completed'") < JOBS / 4) {
        assert_true(waited++ < 600);
        kbj_test_msleep(50);
    }
    assert_int_equal(restart_mariadb(), 0);
    /* the parent's own connection reconnects too (kbj_store_do reconnects) */
    waited = 0;
    for (;;) {
        long long done = -1;
        if (kbj_store_do(eng->st, count_completed, &done) == KBJ_OK && done == JOBS)
            break;
        /* a claim whose commit was lost leaves jobs running without a runner until their
         * lease expires and the child's reaper gives them back */
        if (waitpid(child, &status, WNOHANG) == child)
            fail_msg("the runner exited (status %d) with %lld of %d jobs done", status, done, (int)JOBS);
        if (waited++ >= 900)
            fail_msg("%lld of %d jobs done after 90 s; statuses: %lld queued, %lld running, %lld interrupted",
                     done, (int)JOBS, kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'queued'"),
                     kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'running'"),
                     kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'interrupted'"));
        kbj_test_msleep(100);
    }
    kill(child, SIGTERM);
    kill(child, SIGKILL);
    waitpid(child, &status, 0);

    {
        FILE *f = fopen(path, "r");
        char line[64];
        size_t lines = 0;
        assert_non_null(f);
        while (fgets(line, sizeof line, f))
            lines++;
        fclose(f);
        /* every job ran exactly once */
        assert_int_equal(lines, JOBS);
    }
    assert_true(kbj_store_reconnects(eng->st) >= 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'completed'"), JOBS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(concurrent_claims_never_hand_out_the_same_job_twice, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(claims_come_by_priority_then_run_at_then_id, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(claims_take_queues_in_the_order_given, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(one_running_job_per_concurrency_key, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_runner_whose_lease_expired_cannot_write_to_its_job, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(heartbeat_extends_the_lease_by_the_database_clock, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_killed_runner_s_job_is_reaped_and_completed_exactly_once, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_database_restart_mid_run_loses_and_duplicates_nothing, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("claims", tests, NULL, NULL);
}
