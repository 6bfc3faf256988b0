/* The JobTracker: runners, their heartbeats and states, the jobs they run, and what
 * happens to a lost runner's jobs, against the real MariaDB. Time passes by backdating
 * timestamps with SQL, never by sleeping. */
#include "testutil.h"

#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>

static int setup(void **state)
{
    *state = kbj_test_engine("kbt_track_", 60);
    return 0;
}

static void registered(kbj_engine *eng, const char *host, char id[KBJ_ID_LEN + 1])
{
    if (kbj_runner_register(eng, host, 100, NULL, "track", id) != KBJ_OK)
        fail_msg("register: %s", kbj_errmsg(eng));
}

/* The listed entry of runner `id` (copied into *out); fails the test when missing. */
static void runner_info(kbj_engine *eng, unsigned hours, const char *id, kbj_runner_info *out)
{
    kbj_runner_info *r = NULL;
    size_t n = 0, i;
    if (kbj_runners_list(eng, hours, &r, &n) != KBJ_OK)
        fail_msg("list: %s", kbj_errmsg(eng));
    for (i = 0; i < n && strcmp(r[i].id, id) != 0; i++)
        ;
    if (i == n) {
        free(r);
        fail_msg("runner %s is not listed", id);
    }
    *out = r[i];
    free(r);
}

static int runner_listed(kbj_engine *eng, unsigned hours, const char *id)
{
    kbj_runner_info *r = NULL;
    size_t n = 0;
    int found = 0;
    if (kbj_runners_list(eng, hours, &r, &n) != KBJ_OK)
        fail_msg("list: %s", kbj_errmsg(eng));
    for (size_t i = 0; i < n; i++)
        found |= strcmp(r[i].id, id) == 0;
    free(r);
    return found;
}

static void backdate_heartbeat(kbj_engine *eng, const char *runner, const char *interval)
{
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_runners SET heartbeat_at = NOW(6) - INTERVAL %s"
             " WHERE public_id = '%s'", interval, runner);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
}

/* Moves the lease expiry of job `id` to NOW(6) + `seconds` (negative: in the past). */
static void set_lease(kbj_engine *eng, const char *id, int seconds)
{
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) + INTERVAL %d SECOND"
             " WHERE public_id = '%s'", seconds, id);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
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

static const kbj_lease *find_lease(const kbj_lease *l, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].id, id) == 0)
            return &l[i];
    fail_msg("job %s was not claimed", id);
    return NULL;
}

static void submit_to(kbj_engine *eng, const char *queue, kbj_expiry on_expiry, int max_attempts,
                      const char *ckey, char id[KBJ_ID_LEN + 1])
{
    kbj_submit s = { .type = "track.t", .queue = queue, .on_expiry = on_expiry,
                     .max_attempts = max_attempts, .concurrency_key = ckey };
    if (kbj_submit_job(eng, &s, id, NULL) != KBJ_OK)
        fail_msg("submit: %s", kbj_errmsg(eng));
}

static void claim_all(kbj_engine *eng, const char *runner, const char *queue, size_t want,
                      kbj_lease **l, size_t *n)
{
    const char *queues[1] = { queue };
    if (kbj_claim(eng, runner, queues, 1, 100, l, n) != KBJ_OK)
        fail_msg("claim: %s", kbj_errmsg(eng));
    if (*n != want)
        fail_msg("claimed %zu jobs from %s, expected %zu", *n, queue, want);
}

/* ---- runners ----------------------------------------------------------------------- */

static void a_registered_runner_is_listed_as_active(void **state)
{
    kbj_engine *eng = *state;
    char a[17], b[17];
    kbj_runner_info *r = NULL;
    size_t n = 0;
    double now = db_now(eng);

    assert_int_equal(kbj_runner_register(eng, "web-1.example", 4321, "9.8.7", "imports,default", a), KBJ_OK);
    assert_true(kbj_valid_id(a));
    assert_int_equal(kbj_runner_register(eng, NULL, 77, NULL, NULL, b), KBJ_OK);
    assert_string_not_equal(a, b);

    assert_int_equal(kbj_runners_list(eng, 0, &r, &n), KBJ_OK);
    assert_int_equal(n, 2);
    /* newest first */
    assert_string_equal(r[0].id, b);
    assert_string_equal(r[1].id, a);
    assert_string_equal(r[1].host, "web-1.example");
    assert_int_equal(r[1].pid, 4321);
    assert_string_equal(r[1].version, "9.8.7");
    assert_string_equal(r[1].queues, "imports,default");
    assert_string_equal(r[1].state, "active");
    assert_true(r[1].started_at > now - 5 && r[1].started_at < now + 5);
    assert_true(r[1].heartbeat_at >= r[1].started_at);
    assert_true(r[1].stopped_at == 0);
    assert_int_equal(r[1].running_jobs, 0);
    /* defaults for what was not given */
    assert_string_equal(r[0].host, "unknown");
    assert_int_equal(r[0].pid, 77);
    assert_string_equal(r[0].version, KBJ_VERSION);
    assert_string_equal(r[0].queues, "default");
    free(r);

    assert_int_equal(kbj_runner_register(eng, "h", 1, NULL, NULL, NULL), KBJ_EINVAL);
    assert_int_equal(kbj_runners_list(eng, 0, NULL, &n), KBJ_EINVAL);
    assert_int_equal(kbj_runners_list(NULL, 0, &r, &n), KBJ_EINVAL);
}

static void a_runner_records_its_resident_memory_at_registration_and_each_heartbeat(void **state)
{
    kbj_engine *eng = *state;
    char id[17], sql[256];
    kbj_runner_info info;
    size_t rss = kbj_process_rss();

    assert_true(rss > 1024 * 1024); /* this test process: a few MiB at least */
    registered(eng, "mem", id);
    runner_info(eng, 0, id, &info);
    assert_true(info.memory > 0);

    /* forget it, as a row written by older code would read; the heartbeat brings it back */
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_runners SET memory = 0 WHERE public_id = '%s'", id);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
    runner_info(eng, 0, id, &info);
    assert_true(info.memory == 0);
    assert_int_equal(kbj_runner_heartbeat(eng, id), KBJ_OK);
    runner_info(eng, 0, id, &info);
    /* the process's own resident set, read then: near what it reads now */
    assert_true(info.memory > 0);
    assert_true(info.memory >= rss / 2 && info.memory <= (unsigned long long)kbj_process_rss() * 2);
    snprintf(sql, sizeof sql, "SELECT memory FROM {p}kbjobs_runners WHERE public_id = '%s'", id);
    assert_true((unsigned long long)kbj_test_int(eng, sql) == info.memory);
}

static void a_silent_runner_is_lost_until_its_next_heartbeat(void **state)
{
    kbj_engine *eng = *state;
    char id[17];
    kbj_runner_info info;
    double before;

    eng->cfg.lost_after_seconds = 1;
    registered(eng, "silent", id);
    runner_info(eng, 0, id, &info);
    assert_string_equal(info.state, "active");

    backdate_heartbeat(eng, id, "5 SECOND");
    runner_info(eng, 0, id, &info);
    assert_string_equal(info.state, "lost");
    before = info.heartbeat_at;

    assert_int_equal(kbj_runner_heartbeat(eng, id), KBJ_OK);
    runner_info(eng, 0, id, &info);
    assert_string_equal(info.state, "active");
    assert_true(info.heartbeat_at > before + 4);

    /* with a longer setting, 5 s of silence is not lost yet */
    eng->cfg.lost_after_seconds = 180;
    backdate_heartbeat(eng, id, "5 SECOND");
    runner_info(eng, 0, id, &info);
    assert_string_equal(info.state, "active");
    backdate_heartbeat(eng, id, "181 SECOND");
    runner_info(eng, 0, id, &info);
    assert_string_equal(info.state, "lost");
    /* with the default (8 s: four beats of the 2 s heartbeat) */
    eng->cfg.lost_after_seconds = 8;
    backdate_heartbeat(eng, id, "7 SECOND");
    runner_info(eng, 0, id, &info);
    assert_string_equal(info.state, "active");
    backdate_heartbeat(eng, id, "9 SECOND");
    runner_info(eng, 0, id, &info);
    assert_string_equal(info.state, "lost");

    assert_int_equal(kbj_runner_heartbeat(eng, "0123456789abcdef"), KBJ_ENOTFOUND);
    assert_int_equal(kbj_runner_heartbeat(eng, "not a runner"), KBJ_EINVAL);
    assert_int_equal(kbj_runner_heartbeat(eng, NULL), KBJ_EINVAL);
}

static void a_stopped_runner_is_shown_stopped_not_lost(void **state)
{
    kbj_engine *eng = *state;
    char id[17], other[17];
    kbj_runner_info info;
    double stopped;

    eng->cfg.lost_after_seconds = 1;
    registered(eng, "stopping", id);
    registered(eng, "still-running", other);
    assert_int_equal(kbj_runner_stopped(eng, id), KBJ_OK);
    runner_info(eng, 0, id, &info);
    assert_string_equal(info.state, "stopped");
    assert_true(info.stopped_at > 0);
    stopped = info.stopped_at;

    /* silence after stopping is expected: still stopped */
    backdate_heartbeat(eng, id, "1 HOUR");
    runner_info(eng, 0, id, &info);
    assert_string_equal(info.state, "stopped");
    /* the other runner is unaffected */
    runner_info(eng, 0, other, &info);
    assert_string_equal(info.state, "active");

    /* stopping again keeps the time it first stopped */
    assert_int_equal(kbj_runner_stopped(eng, id), KBJ_OK);
    runner_info(eng, 0, id, &info);
    assert_true(info.stopped_at == stopped);

    assert_int_equal(kbj_runner_stopped(eng, "0123456789abcdef"), KBJ_ENOTFOUND);
    assert_int_equal(kbj_runner_stopped(eng, "xyz"), KBJ_EINVAL);
}

static void runners_not_seen_within_the_window_are_not_listed(void **state)
{
    kbj_engine *eng = *state;
    char old[17], fresh[17];

    registered(eng, "old", old);
    registered(eng, "fresh", fresh);
    backdate_heartbeat(eng, old, "30 HOUR");
    assert_false(runner_listed(eng, 0, old)); /* 0: the last 24 hours */
    assert_false(runner_listed(eng, 24, old));
    assert_true(runner_listed(eng, 48, old));
    assert_true(runner_listed(eng, 1, fresh));
    /* a window wider than the calendar means every runner, not none */
    assert_true(runner_listed(eng, UINT_MAX, old));
    assert_true(runner_listed(eng, UINT_MAX, fresh));
}

static void running_jobs_counts_the_jobs_each_runner_holds(void **state)
{
    kbj_engine *eng = *state;
    char a[17], b[17], ids[3][17];
    kbj_lease *l = NULL;
    size_t n = 0;
    kbj_runner_info info;

    registered(eng, "a", a);
    registered(eng, "b", b);
    for (int i = 0; i < 3; i++)
        submit_to(eng, "track", KBJ_EXPIRY_DEFAULT, 0, NULL, ids[i]);
    claim_all(eng, a, "track", 3, &l, &n);
    runner_info(eng, 0, a, &info);
    assert_int_equal(info.running_jobs, 3);
    runner_info(eng, 0, b, &info);
    assert_int_equal(info.running_jobs, 0);

    assert_int_equal(kbj_complete(eng, &l[0], NULL), KBJ_OK);
    assert_int_equal(kbj_fail_job(eng, &l[1], "no", 0, NULL), KBJ_OK);
    runner_info(eng, 0, a, &info);
    assert_int_equal(info.running_jobs, 1);
    kbj_leases_free(l, n);
}

/* ---- active jobs --------------------------------------------------------------------- */

static void active_jobs_lists_running_jobs_with_runner_start_and_progress(void **state)
{
    kbj_engine *eng = *state;
    char a[17], b[17], j1[17], j2[17], queued[17];
    kbj_lease *la = NULL, *lb = NULL;
    size_t na = 0, nb = 0, n = 0;
    kbj_job **jobs = NULL;
    double now = db_now(eng);

    registered(eng, "a", a);
    registered(eng, "b", b);
    submit_to(eng, "track", KBJ_EXPIRY_DEFAULT, 0, NULL, j1);
    claim_all(eng, a, "track", 1, &la, &na);
    submit_to(eng, "track", KBJ_EXPIRY_DEFAULT, 0, NULL, j2);
    claim_all(eng, b, "track", 1, &lb, &nb);
    submit_to(eng, "elsewhere", KBJ_EXPIRY_DEFAULT, 0, NULL, queued);
    assert_int_equal(kbj_progress(eng, &la[0], 40, 160, "fetch"), KBJ_OK);

    assert_int_equal(kbj_active_jobs(eng, &jobs, &n), KBJ_OK);
    assert_int_equal(n, 2);
    /* oldest start first */
    assert_string_equal(jobs[0]->id, j1);
    assert_string_equal(jobs[1]->id, j2);
    assert_string_equal(jobs[0]->status, "running");
    assert_string_equal(jobs[0]->runner, a);
    assert_string_equal(jobs[1]->runner, b);
    assert_true(jobs[0]->started_at > now - 5 && jobs[0]->started_at < now + 5);
    assert_true(jobs[1]->started_at >= jobs[0]->started_at);
    assert_true(jobs[0]->lease_expires > jobs[0]->started_at + 50);
    assert_int_equal(jobs[0]->progress_done, 40);
    assert_int_equal(jobs[0]->progress_total, 160);
    assert_string_equal(jobs[0]->phase, "fetch");
    assert_true(jobs[0]->progress_at >= jobs[0]->started_at);
    assert_int_equal(jobs[1]->progress_done, 0);
    assert_null(jobs[1]->phase);
    assert_int_equal(jobs[0]->attempts, 1);
    kbj_jobs_free(jobs, n);

    /* a finished job leaves the list */
    assert_int_equal(kbj_complete(eng, &la[0], NULL), KBJ_OK);
    assert_int_equal(kbj_active_jobs(eng, &jobs, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(jobs[0]->id, j2);
    kbj_jobs_free(jobs, n);
    assert_int_equal(kbj_active_jobs(eng, NULL, &n), KBJ_EINVAL);
    kbj_leases_free(la, na);
    kbj_leases_free(lb, nb);
}

/* ---- heartbeats, expiry and the reaper ------------------------------------------------ */

static void a_runner_heartbeat_renews_its_live_leases_only(void **state)
{
    kbj_engine *eng = *state;
    char r[17], other[17], live[17], expired[17], theirs[17];
    kbj_lease *l = NULL, *lo = NULL;
    size_t n = 0, no = 0, reaped = 9;

    registered(eng, "r", r);
    registered(eng, "other", other);
    submit_to(eng, "track", KBJ_EXPIRY_DEFAULT, 0, NULL, live);
    submit_to(eng, "track", KBJ_EXPIRY_DEFAULT, 0, NULL, expired);
    claim_all(eng, r, "track", 2, &l, &n);
    submit_to(eng, "track", KBJ_EXPIRY_DEFAULT, 0, NULL, theirs);
    claim_all(eng, other, "track", 1, &lo, &no);
    set_lease(eng, live, 5);
    set_lease(eng, expired, -1);
    set_lease(eng, theirs, 5);

    assert_int_equal(kbj_runner_heartbeat(eng, r), KBJ_OK);
    /* renewed to a full lease (60 s) */
    assert_true(kbj_test_job_int(eng, "TIMESTAMPDIFF(SECOND, NOW(6), lease_expires)", live) >= 55);
    /* an expired lease stays lost, and another runner's lease is not touched */
    assert_true(kbj_test_job_int(eng, "lease_expires < NOW(6)", expired));
    assert_true(kbj_test_job_int(eng, "TIMESTAMPDIFF(SECOND, NOW(6), lease_expires)", theirs) <= 5);

    assert_int_equal(kbj_reap(eng, &reaped), KBJ_OK);
    assert_int_equal(reaped, 1);
    assert_string_equal(kbj_test_status(eng, expired), "interrupted");
    assert_string_equal(kbj_test_status(eng, live), "running");
    assert_string_equal(kbj_test_status(eng, theirs), "running");
    kbj_leases_free(l, n);
    kbj_leases_free(lo, no);
}

static void a_lost_runners_jobs_are_reaped_once_their_leases_expire(void **state)
{
    kbj_engine *eng = *state;
    char lost[17], rescuer[17];
    char interrupt[17], requeue[17], spent[17], keyed[17], waiting[17];
    kbj_lease *l = NULL, *l2 = NULL;
    size_t n = 0, n2 = 0, reaped = 99;
    kbj_runner_info info;
    kbj_attempt *at = NULL;
    size_t nat = 0;
    kbj_failure *f = NULL;
    size_t nf = 0;
    kbj_job **active = NULL;
    size_t nactive = 0;

    eng->cfg.lost_after_seconds = 1;
    registered(eng, "dies", lost);
    registered(eng, "rescuer", rescuer);
    submit_to(eng, "track", KBJ_EXPIRY_DEFAULT, 3, NULL, interrupt);
    submit_to(eng, "track", KBJ_EXPIRY_REQUEUE, 3, NULL, requeue);
    submit_to(eng, "track", KBJ_EXPIRY_REQUEUE, 1, NULL, spent);
    submit_to(eng, "track", KBJ_EXPIRY_DEFAULT, 3, "source:example.com", keyed);
    claim_all(eng, lost, "track", 4, &l, &n);
    /* a job waiting for the concurrency key the lost runner holds */
    submit_to(eng, "track", KBJ_EXPIRY_DEFAULT, 3, "source:example.com", waiting);
    claim_all(eng, rescuer, "track", 0, &l2, &n2);
    kbj_leases_free(l2, n2);

    /* the runner goes silent: lost, but its leases still run */
    backdate_heartbeat(eng, lost, "30 SECOND");
    runner_info(eng, 0, lost, &info);
    assert_string_equal(info.state, "lost");
    assert_int_equal(info.running_jobs, 4);
    assert_int_equal(kbj_reap(eng, &reaped), KBJ_OK);
    assert_int_equal(reaped, 0);
    assert_string_equal(kbj_test_status(eng, interrupt), "running");

    /* once the leases expire, the reaper takes the jobs back */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) - INTERVAL 1 SECOND"
                  " WHERE status = 'running'");
    assert_int_equal(kbj_reap(eng, &reaped), KBJ_OK);
    assert_int_equal(reaped, 4);
    assert_int_equal(kbj_reap(eng, &reaped), KBJ_OK);
    assert_int_equal(reaped, 0);

    /* default policy: interrupted, resumable */
    assert_string_equal(kbj_test_status(eng, interrupt), "interrupted");
    assert_int_equal(kbj_test_job_int(eng, "lease_expires IS NULL", interrupt), 1);
    assert_int_equal(kbj_test_job_int(eng, "finished_at IS NULL", interrupt), 1);
    /* requeue: queued again and due now, the lost attempt counted */
    assert_string_equal(kbj_test_status(eng, requeue), "queued");
    assert_int_equal(kbj_test_job_int(eng, "attempts", requeue), 1);
    assert_int_equal(kbj_test_job_int(eng, "run_at <= NOW(6)", requeue), 1);
    /* requeue with no attempts left: failed, into the FailureLog */
    assert_string_equal(kbj_test_status(eng, spent), "failed");
    assert_int_equal(kbj_failures_list(eng, 10, 0, &f, &nf), KBJ_OK);
    assert_int_equal(nf, 1);
    assert_string_equal(f[0].job_id, spent);
    assert_string_equal(f[0].type, "track.t");
    assert_int_equal(f[0].attempts, 1);
    assert_non_null(strstr(f[0].message, "lease expired"));
    assert_non_null(strstr(f[0].message, lost));
    kbj_failures_free(f, nf);
    /* the concurrency key is free again */
    assert_string_equal(kbj_test_status(eng, keyed), "interrupted");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_keys"), 0);

    /* the lost runner holds nothing now */
    runner_info(eng, 0, lost, &info);
    assert_int_equal(info.running_jobs, 0);
    assert_int_equal(kbj_active_jobs(eng, &active, &nactive), KBJ_OK);
    assert_int_equal(nactive, 0);
    kbj_jobs_free(active, nactive);

    /* every expired attempt is on record */
    assert_int_equal(kbj_job_attempts(eng, interrupt, &at, &nat), KBJ_OK);
    assert_int_equal(nat, 1);
    assert_int_equal(at[0].attempt, 1);
    assert_string_equal(at[0].outcome, "expired");
    assert_string_equal(at[0].runner, lost);
    assert_true(at[0].started_at > 0 && at[0].finished_at >= at[0].started_at);
    assert_non_null(strstr(at[0].error, "lease expired"));
    kbj_attempts_free(at, nat);
    assert_int_equal(kbj_job_attempts(eng, requeue, &at, &nat), KBJ_OK);
    assert_int_equal(nat, 1);
    assert_string_equal(at[0].outcome, "expired");
    kbj_attempts_free(at, nat);

    /* the old holder is fenced out of every write */
    {
        const kbj_lease *li = find_lease(l, n, interrupt), *lr = find_lease(l, n, requeue);
        int cancel = 7;
        assert_int_equal(kbj_complete(eng, li, "{}"), KBJ_ELEASE);
        assert_non_null(strstr(kbj_errmsg(eng), interrupt));
        assert_int_equal(kbj_complete(eng, lr, NULL), KBJ_ELEASE);
        assert_int_equal(kbj_heartbeat(eng, li, &cancel), KBJ_ELEASE);
        assert_int_equal(cancel, 0);
        assert_int_equal(kbj_progress(eng, lr, 1, 2, NULL), KBJ_ELEASE);
        assert_int_equal(kbj_set_title(eng, li, "late"), KBJ_ELEASE);
        assert_string_equal(kbj_test_status(eng, interrupt), "interrupted");
        assert_string_equal(kbj_test_status(eng, requeue), "queued");
    }

    /* another runner picks up the re-queued job and the waiting keyed one */
    claim_all(eng, rescuer, "track", 2, &l2, &n2);
    {
        const kbj_lease *nr = find_lease(l2, n2, requeue), *old = find_lease(l, n, requeue);
        find_lease(l2, n2, waiting);
        assert_int_equal(nr->attempts, 2);
        /* the old lease stays fenced while the new holder works */
        assert_int_equal(kbj_complete(eng, old, NULL), KBJ_ELEASE);
        assert_int_equal(kbj_progress(eng, old, 1, 2, NULL), KBJ_ELEASE);
        assert_int_equal(kbj_complete(eng, nr, "{\"by\":\"rescuer\"}"), KBJ_OK);
    }
    {
        kbj_job *j = NULL;
        assert_int_equal(kbj_job_get(eng, requeue, &j), KBJ_OK);
        assert_string_equal(j->status, "completed");
        assert_string_equal(j->result, "{\"by\":\"rescuer\"}");
        kbj_job_free(j);
    }
    runner_info(eng, 0, rescuer, &info);
    assert_int_equal(info.running_jobs, 1);
    kbj_leases_free(l, n);
    kbj_leases_free(l2, n2);
}

static void a_reaped_jobs_old_holder_cannot_fail_it(void **state)
{
    kbj_engine *eng = *state;
    char r[17], requeued[17], spent[17], resumed[17];
    kbj_lease *l = NULL;
    size_t n = 0;
    int will_retry = 7;

    registered(eng, "r", r);
    submit_to(eng, "track", KBJ_EXPIRY_REQUEUE, 3, NULL, requeued);
    submit_to(eng, "track", KBJ_EXPIRY_REQUEUE, 1, NULL, spent);
    submit_to(eng, "track", KBJ_EXPIRY_INTERRUPT, 3, NULL, resumed);
    claim_all(eng, r, "track", 3, &l, &n);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) - INTERVAL 1 SECOND");
    assert_int_equal(kbj_reap(eng, NULL), KBJ_OK);
    assert_int_equal(kbj_job_resume(eng, resumed), KBJ_OK);

    /* re-queued by the reaper: the old holder's failure must not count */
    assert_int_equal(kbj_fail_job(eng, find_lease(l, n, requeued), "late failure", 1, &will_retry),
                     KBJ_ELEASE);
    assert_int_equal(will_retry, 0);
    assert_int_equal(kbj_test_job_int(eng, "run_at <= NOW(6)", requeued), 1); /* not pushed back by a backoff */
    /* failed by the reaper: no second failure, and no claim that it will be retried */
    will_retry = 7;
    assert_int_equal(kbj_fail_job(eng, find_lease(l, n, spent), "late failure", 1, &will_retry), KBJ_ELEASE);
    assert_int_equal(will_retry, 0);
    /* interrupted, then resumed by an operator: queued again, not the old holder's */
    assert_int_equal(kbj_fail_job(eng, find_lease(l, n, resumed), "late failure", 0, NULL), KBJ_ELEASE);
    assert_string_equal(kbj_test_status(eng, resumed), "queued");
    /* no attempt was recorded for any of these late failures */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_attempts WHERE outcome = 'failed'"), 0);
    kbj_leases_free(l, n);
}

/* ---- heartbeat settings and a runner killed without a goodbye ------------------------ */

/* Connects a fresh engine with the given runner settings: the return code, *out the
 * engine (freed by the caller) or NULL. */
static int connect_with(unsigned lease, unsigned heartbeat, unsigned lost_after, kbj_engine **out, const char *dir)
{
    kbj_config cfg = { 0 };
    int rc;
    *out = kbj_engine_new();
    assert_non_null(*out);
    cfg.db = kbj_test_settings();
    cfg.db.prefix = "kbt_track_";
    cfg.data_dir = dir;
    cfg.lease_seconds = lease;
    cfg.heartbeat_seconds = heartbeat;
    cfg.lost_after_seconds = lost_after;
    rc = kbj_engine_connect(*out, &cfg);
    return rc;
}

static void heartbeat_and_lost_after_have_short_defaults_and_are_checked(void **state)
{
    kbj_engine *eng = *state, *e = NULL;

    /* the defaults: a beat every 2 s, lost after 8 s, whatever the lease */
    assert_int_equal(connect_with(0, 0, 0, &e, eng->data_dir), KBJ_OK);
    assert_int_equal(e->cfg.heartbeat_seconds, 2);
    assert_int_equal(e->cfg.lost_after_seconds, 8);
    assert_int_equal(e->cfg.lease_seconds, 60);
    kbj_engine_free(e);
    /* lost_after follows a heartbeat set alone: four beats */
    assert_int_equal(connect_with(0, 5, 0, &e, eng->data_dir), KBJ_OK);
    assert_int_equal(e->cfg.lost_after_seconds, 20);
    kbj_engine_free(e);
    assert_int_equal(connect_with(3, 1, 2, &e, eng->data_dir), KBJ_OK);
    assert_int_equal(e->cfg.heartbeat_seconds, 1);
    assert_int_equal(e->cfg.lost_after_seconds, 2);
    assert_int_equal(e->cfg.lease_seconds, 3);
    kbj_engine_free(e);

    /* a heartbeat not below lost_after would show a live runner lost between beats */
    assert_int_equal(connect_with(0, 8, 8, &e, eng->data_dir), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(e), "heartbeat_seconds (8) must be less than lost_after_seconds (8)"));
    kbj_engine_free(e);
    assert_int_equal(connect_with(0, 0, 2, &e, eng->data_dir), KBJ_EINVAL);
    kbj_engine_free(e);
    assert_int_equal(connect_with(0, 3601, 0, &e, eng->data_dir), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(e), "heartbeat_seconds must be between 1 and 3600"));
    kbj_engine_free(e);
    assert_int_equal(connect_with(0, 0, 604801, &e, eng->data_dir), KBJ_EINVAL);
    kbj_engine_free(e);
    assert_int_equal(connect_with(0, 3600, 604800, &e, eng->data_dir), KBJ_OK);
    kbj_engine_free(e);
}

/* The state of runner `id` as `eng` lists it, or "" when not listed. */
static const char *runner_state(kbj_engine *eng, const char *id)
{
    static char state[12];
    kbj_runner_info *r = NULL;
    size_t n = 0;
    state[0] = '\0';
    if (kbj_runners_list(eng, 0, &r, &n) != KBJ_OK)
        fail_msg("list: %s", kbj_errmsg(eng));
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].id, id) == 0)
            snprintf(state, sizeof state, "%s", r[i].state);
    free(r);
    return state;
}

static void a_runner_killed_without_a_goodbye_is_lost_after_lost_after(void **state)
{
    kbj_engine *eng = *state;
    const char *queues[] = { "killed" };
    char runner[KBJ_ID_LEN + 1] = "";
    pid_t child;
    int polls = 0, lost_at = -1;
    double killed_at, elapsed;

    /* the reader's setting: lost after 3 s of silence */
    eng->cfg.lost_after_seconds = 3;
    kbj_test_submit(eng, "diag.sleep", "{\"seconds\":60}", "killed");
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* a runner with a 60 s lease and a beat every second (the old cadence, a third of
         * the lease, would be 20 s) */
        kbj_engine *mine = kbj_test_engine_open("kbt_track_", 60, eng->data_dir);
        kbj_run_opts o = { .queues = queues, .nqueues = 1, .idle_ms = 100, .max_seconds = 120 };
        kbj_run_report rep;
        if (!mine)
            _exit(2);
        mine->cfg.heartbeat_seconds = 1;
        _exit(kbj_run(mine, &o, &rep) == KBJ_OK ? 0 : 4);
    }
    /* it registers and takes the job */
    while (kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'running'") == 0) {
        assert_true(polls++ < 200);
        kbj_test_msleep(50);
    }
    {
        kbj_rows *rows = NULL;
        assert_int_equal(kbj_store_query(eng->st, "SELECT lease_owner FROM {p}kbjobs_jobs WHERE status = 'running'",
                                         NULL, 0, &rows), KBJ_OK);
        snprintf(runner, sizeof runner, "%s", kbj_rows_str(rows, 0, 0));
        kbj_rows_free(rows);
    }
    /* alive for longer than lost_after, it is never shown lost: its heartbeat keeps it */
    for (int i = 0; i < 20; i++) {
        assert_string_equal(runner_state(eng, runner), "active");
        kbj_test_msleep(250);
    }
    /* killed: no goodbye, no more beats; polled every 0.25 s, it turns lost within
     * lost_after (+ one beat it may have made just before the kill, + slack) */
    killed_at = kbj_monotonic();
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    for (polls = 0; polls < 40; polls++) {
        if (strcmp(runner_state(eng, runner), "lost") == 0) {
            lost_at = polls;
            break;
        }
        kbj_test_msleep(250);
    }
    assert_true(lost_at >= 0); /* lost within 10 s */
    /* not before lost_after less the beat it may have made just before the kill, and
     * not much after lost_after */
    elapsed = kbj_monotonic() - killed_at;
    if (elapsed < 1.9 || elapsed > 4.5)
        fail_msg("shown lost %.2f s after the kill (lost_after 3 s, a beat every second)", elapsed);
    /* its job is still running until its lease expires and the reaper takes it */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'running'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_registered_runner_is_listed_as_active, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_runner_records_its_resident_memory_at_registration_and_each_heartbeat, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_silent_runner_is_lost_until_its_next_heartbeat, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_stopped_runner_is_shown_stopped_not_lost, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(runners_not_seen_within_the_window_are_not_listed, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(running_jobs_counts_the_jobs_each_runner_holds, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(active_jobs_lists_running_jobs_with_runner_start_and_progress, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_runner_heartbeat_renews_its_live_leases_only, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_lost_runners_jobs_are_reaped_once_their_leases_expire, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_reaped_jobs_old_holder_cannot_fail_it, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(heartbeat_and_lost_after_have_short_defaults_and_are_checked, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_runner_killed_without_a_goodbye_is_lost_after_lost_after, setup,
                                        kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("tracker", tests, NULL, NULL);
}
