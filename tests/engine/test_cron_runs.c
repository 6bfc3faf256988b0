/* Running WP-Cron events (kbj_cron.h): claims, leases, outcomes, retries, lost runs, the
 * runner's event rounds, a killed and a frozen runner, the history and its retention,
 * against the real MariaDB. Events are fixture rows shaped as kbj_cron_schedule writes
 * them (cron_events.c is built beside this file); leases are short engine settings or
 * expired with SQL. */
#include "testutil.h"
#include "kbj_cron.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define PREFIX "kbt_cronrun_"
#define KEY_A "0123456789abcdef0123456789abcdef"
#define KEY_B "fedcba9876543210fedcba9876543210"

static int setup(void **state)
{
    kbj_engine *eng = kbj_test_engine(PREFIX, 60);
    kbj_test_exec(eng, "DELETE FROM {p}kbjobs_cron_events");
    kbj_test_exec(eng, "DELETE FROM {p}kbjobs_cron_runs");
    kbj_test_exec(eng, "DELETE FROM {p}kbjobs_cron_keys");
    *state = eng;
    return 0;
}

static long long db_now(kbj_engine *eng)
{
    return kbj_test_int(eng, "SELECT UNIX_TIMESTAMP()");
}

typedef struct fixture {
    const char *hook, *args_key, *schedule;
    long long interval, next_run;
    int parallel, max_attempts;
    unsigned retry_seconds;
} fixture;

/* An event row as kbj_cron_schedule would write it: its guard row, due_at = next_run. */
static unsigned long long add_event(kbj_engine *eng, fixture f)
{
    const char *key = f.args_key ? f.args_key : KEY_A;
    static const char php[] = "a:1:{i:0;s:3:\"x\0y\";}";
    if (kbj_store_exec(eng->st, "INSERT IGNORE INTO {p}kbjobs_cron_keys (hook, args_key) VALUES (?, ?)",
                       (kbj_val[]){ KBJ_VS(f.hook), KBJ_VS(key) }, 2, NULL) ||
        kbj_store_exec(eng->st, "INSERT INTO {p}kbjobs_cron_events (hook, args_key, args, args_php, schedule,"
                       " interval_seconds, next_run, due_at, parallel, max_attempts, retry_seconds, created_at,"
                       " updated_at) VALUES (?, ?, '[\"x\"]', ?, ?, ?, ?, ?, ?, ?, ?, NOW(6), NOW(6))",
                       (kbj_val[]){ KBJ_VS(f.hook), KBJ_VS(key), KBJ_VSN(php, sizeof php - 1), KBJ_VS(f.schedule),
                                    KBJ_VI(f.interval), KBJ_VI(f.next_run), KBJ_VI(f.next_run), KBJ_VI(f.parallel),
                                    KBJ_VI(f.max_attempts ? f.max_attempts : 1), KBJ_VI(f.retry_seconds ? f.retry_seconds : 60) },
                       10, NULL))
        fail_msg("fixture: %s", kbj_errmsg(eng));
    return kbj_store_insert_id(eng->st);
}

static void runner(kbj_engine *eng, char id[KBJ_ID_LEN + 1])
{
    if (kbj_runner_register(eng, "cron-host", 4242, NULL, "default", id) != KBJ_OK)
        fail_msg("register: %s", kbj_errmsg(eng));
}

/* One expression over event `id`'s row, as an integer. */
static long long ev_int(kbj_engine *eng, unsigned long long id, const char *expr)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM {p}kbjobs_cron_events WHERE id = %llu", expr, id);
    return kbj_test_int(eng, sql);
}

static long long run_int(kbj_engine *eng, unsigned long long id, const char *expr)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM {p}kbjobs_cron_runs WHERE id = %llu", expr, id);
    return kbj_test_int(eng, sql);
}

static size_t claim(kbj_engine *eng, const char *r, unsigned long long only, size_t max, kbj_cron_run **runs)
{
    size_t n = 0;
    if (kbj_cron_claim(eng, r, "cron-host", 4242, NULL, only, max, runs, &n) != KBJ_OK)
        fail_msg("claim: %s", kbj_errmsg(eng));
    return n;
}

static void expire(kbj_engine *eng, unsigned long long id)
{
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_cron_events SET lease_expires = NOW(6) - INTERVAL 1 SECOND"
             " WHERE id = %llu AND lease_token IS NOT NULL", id);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
}

/* ---- claims and outcomes --------------------------------------------------------------- */

static void a_single_event_runs_once_and_is_deleted_after_success(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    kbj_cron_run *runs = NULL, *again = NULL;
    long long now = db_now(eng);
    unsigned long long id = add_event(eng, (fixture){ .hook = "single_hook", .next_run = now - 5 });
    kbj_cron_run_info *hist = NULL;
    size_t nh = 0;
    char out[5000];

    runner(eng, r);
    assert_int_equal(claim(eng, r, 0, 10, &runs), 1);
    assert_int_equal(runs[0].event_id, id);
    assert_int_equal(runs[0].attempt, 1);
    assert_int_equal(runs[0].due, now - 5);
    assert_string_equal(runs[0].trigger, "runner");
    assert_string_equal(runs[0].hook, "single_hook");
    assert_null(runs[0].schedule);
    assert_int_equal(runs[0].args_php_len, 20); /* binary: a NUL inside */
    assert_memory_equal(runs[0].args_php, "a:1:{i:0;s:3:\"x\0y\";}", 20);
    /* held: hidden from a second claim, due_at cleared, the run recorded as running */
    assert_int_equal(claim(eng, r, 0, 10, &again), 0);
    assert_int_equal(ev_int(eng, id, "due_at IS NULL"), 1);
    assert_int_equal(ev_int(eng, id, "run_id"), runs[0].run_id);
    assert_int_equal(run_int(eng, runs[0].run_id, "outcome = 'running' AND pid = 4242 AND host = 'cron-host'"), 1);

    memset(out, 'o', sizeof out);
    runs[0].output = malloc(sizeof out);
    memcpy(runs[0].output, out, sizeof out);
    runs[0].output_len = sizeof out;
    runs[0].memory_peak = 123456;
    runs[0].queries = 7;
    assert_int_equal(kbj_cron_finish(eng, &runs[0]), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events"), 0);
    assert_int_equal(kbj_cron_runs(eng, NULL, &hist, &nh), KBJ_OK);
    assert_int_equal(nh, 1);
    assert_string_equal(hist[0].outcome, "ok");
    assert_null(hist[0].error);
    assert_int_equal(hist[0].output_len, KBJ_CRON_OUTPUT_MAX);
    assert_int_equal(hist[0].memory_peak, 123456);
    assert_int_equal(hist[0].queries, 7);
    assert_int_equal(hist[0].http_requests, -1);
    assert_true(hist[0].ended_at >= hist[0].started_at && hist[0].started_at > 0);
    /* finishing twice (a commit whose answer was lost) changes nothing */
    assert_int_equal(kbj_cron_finish(eng, &runs[0]), KBJ_OK);
    kbj_cron_run_info_free(hist, nh);
    kbj_cron_runs_free(runs, 1);
}

static void an_hourly_event_first_due_at_timestamp_1_runs_once_then_within_the_hour(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    kbj_cron_run *runs = NULL;
    unsigned long long id = add_event(eng, (fixture){ .hook = "hourly", .schedule = "hourly", .interval = 3600,
                                                      .next_run = 1 });
    long long now, next;

    runner(eng, r);
    assert_int_equal(claim(eng, r, 0, 10, &runs), 1);
    now = db_now(eng);
    next = ev_int(eng, id, "next_run");
    /* core's skip formula: now + (interval - ((now - T) mod interval)), never a catch-up */
    assert_true(next > now - 2 && next <= now + 3600);
    assert_int_equal((next - 1) % 3600, 0);
    assert_int_equal(runs[0].due, 1);
    assert_string_equal(runs[0].schedule, "hourly");
    assert_int_equal(kbj_cron_finish(eng, &runs[0]), KBJ_OK);
    kbj_cron_runs_free(runs, 1);
    assert_int_equal(ev_int(eng, id, "due_at"), next);
    assert_int_equal(ev_int(eng, id, "lease_token IS NULL AND run_of IS NULL AND fail_streak = 0"), 1);
    assert_int_equal(ev_int(eng, id, "last_outcome = 'ok' AND last_run_at IS NOT NULL"), 1);
    /* nothing more is due: one run, not 490,000 */
    assert_int_equal(claim(eng, r, 0, 10, &runs), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs"), 1);
}

static void a_failed_single_event_retries_with_backoff_up_to_max_attempts(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    kbj_cron_run *runs = NULL;
    unsigned long long id = add_event(eng, (fixture){ .hook = "flaky", .next_run = db_now(eng) - 1,
                                                      .max_attempts = 3, .retry_seconds = 10 });
    long long backoff[] = { 10, 20 };

    runner(eng, r);
    for (int a = 1; a <= 3; a++) {
        long long now;
        assert_int_equal(claim(eng, r, 0, 10, &runs), 1);
        assert_int_equal(runs[0].attempt, a);
        runs[0].failed = 1;
        runs[0].error = strdup("boom \xff bad byte");
        now = db_now(eng);
        assert_int_equal(kbj_cron_finish(eng, &runs[0]), KBJ_OK);
        assert_int_equal(run_int(eng, runs[0].run_id, "outcome = 'failed' AND error LIKE 'boom % bad byte'"), 1);
        kbj_cron_runs_free(runs, 1);
        if (a == 3)
            break;
        /* retry_seconds * 2^(attempt-1), the same due time */
        {
            long long due = ev_int(eng, id, "due_at");
            assert_true(due >= now + backoff[a - 1] && due <= now + backoff[a - 1] + 2);
        }
        assert_int_equal(ev_int(eng, id, "fail_streak"), a);
        assert_int_equal(claim(eng, r, 0, 10, &runs), 0); /* not before the backoff */
        kbj_test_exec(eng, "UPDATE {p}kbjobs_cron_events SET due_at = UNIX_TIMESTAMP() - 1");
    }
    /* attempts spent: a single event is gone */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(DISTINCT due) FROM {p}kbjobs_cron_runs"), 1);
}

static void a_failed_recurring_event_is_scheduled_again_at_its_next_run(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    kbj_cron_run *runs = NULL;
    long long now = db_now(eng);
    unsigned long long id = add_event(eng, (fixture){ .hook = "rec_fail", .schedule = "five", .interval = 300,
                                                      .next_run = now - 10, .max_attempts = 5,
                                                      .retry_seconds = 600 });
    runner(eng, r);
    assert_int_equal(claim(eng, r, 0, 10, &runs), 1);
    runs[0].failed = 1;
    assert_int_equal(kbj_cron_finish(eng, &runs[0]), KBJ_OK);
    kbj_cron_runs_free(runs, 1);
    /* a retry in 600 s would come after the next run in 290 s: no retry, the next run */
    assert_int_equal(ev_int(eng, id, "due_at"), now - 10 + 300);
    assert_int_equal(ev_int(eng, id, "due_at = next_run AND run_of IS NULL AND attempt = 0"), 1);
    assert_int_equal(ev_int(eng, id, "last_outcome = 'failed' AND fail_streak = 1"), 1);
}

/* Three failed runs in a row raise one "wp-cron" alert; a fourth does not add another; a
 * paused event runs now (and stays paused). */
static void a_failure_streak_raises_one_alert_and_run_now_runs_a_paused_event(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    unsigned long long id = add_event(eng, (fixture){ .hook = "streak_hook", .schedule = "hourly", .interval = 3600,
                                                      .next_run = db_now(eng) + 3600 });
    kbj_test_exec(eng, "DELETE FROM {p}kbjobs_alerts WHERE type = 'wp-cron'");
    kbj_test_exec(eng, "UPDATE {p}kbjobs_cron_events SET paused = 1");
    runner(eng, r);
    for (int i = 1; i <= 4; i++) {
        kbj_cron_run *runs = NULL;
        assert_int_equal(kbj_cron_run_now(eng, id), KBJ_OK);
        assert_int_equal(claim(eng, r, 0, 10, &runs), 1);
        assert_string_equal(runs[0].trigger, "run-now");
        runs[0].failed = 1;
        runs[0].error = strdup("boom");
        assert_int_equal(kbj_cron_finish(eng, &runs[0]), KBJ_OK);
        kbj_cron_runs_free(runs, 1);
        assert_int_equal(ev_int(eng, id, "fail_streak"), i);
        assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_alerts WHERE type = 'wp-cron'"), i >= 3);
    }
    assert_int_equal(ev_int(eng, id, "paused"), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_alerts WHERE type = 'wp-cron' AND message LIKE"
                                       " 'WP-Cron event streak\\_hook (#%) failed 3 times in a row; the latest: boom'"), 1);
}

static void an_expired_lease_is_recorded_lost_and_the_same_due_time_claimed_again(void **state)
{
    kbj_engine *eng = *state;
    char r1[KBJ_ID_LEN + 1], r2[KBJ_ID_LEN + 1];
    kbj_cron_run *first = NULL, *second = NULL;
    unsigned long long id = add_event(eng, (fixture){ .hook = "lost_hook", .schedule = "hourly", .interval = 3600,
                                                      .next_run = db_now(eng) - 30 });
    long long next;

    runner(eng, r1);
    runner(eng, r2);
    assert_int_equal(claim(eng, r1, 0, 10, &first), 1);
    next = ev_int(eng, id, "next_run");
    expire(eng, id);
    /* the frozen runner's outcome is refused, and nothing is written */
    assert_int_equal(kbj_cron_finish(eng, &first[0]), KBJ_ELEASE);
    assert_int_equal(run_int(eng, first[0].run_id, "outcome = 'running' AND ended_at IS NULL"), 1);
    assert_int_equal(ev_int(eng, id, "lease_token"), first[0].token);

    assert_int_equal(claim(eng, r2, 0, 10, &second), 1);
    assert_int_equal(second[0].attempt, 2);
    assert_int_equal(second[0].due, first[0].due);
    assert_int_equal(ev_int(eng, id, "next_run"), next); /* the next occurrence stays once */
    assert_int_equal(run_int(eng, first[0].run_id, "outcome = 'lost' AND ended_at IS NOT NULL"
                             " AND error LIKE 'the runner''s lease expired%'"), 1);
    assert_int_equal(ev_int(eng, id, "fail_streak"), 1);
    /* the old holder is fenced out for good */
    assert_int_equal(kbj_cron_finish(eng, &first[0]), KBJ_ELEASE);
    assert_int_equal(kbj_cron_finish(eng, &second[0]), KBJ_OK);
    assert_int_equal(ev_int(eng, id, "due_at"), next);
    assert_int_equal(ev_int(eng, id, "fail_streak = 0 AND last_outcome = 'ok' AND run_of IS NULL"), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events"), 1);
    kbj_cron_runs_free(first, 1);
    kbj_cron_runs_free(second, 1);
}

static void lost_attempts_past_the_limit_give_the_due_time_up(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    kbj_cron_run *runs = NULL;
    unsigned long long id = add_event(eng, (fixture){ .hook = "doomed", .next_run = db_now(eng) - 1 });

    runner(eng, r);
    /* max_attempts 1: three attempts in all (1 + 2 for lost leases) */
    for (int a = 1; a <= 3; a++) {
        assert_int_equal(claim(eng, r, 0, 10, &runs), 1);
        assert_int_equal(runs[0].attempt, a);
        kbj_cron_runs_free(runs, 1);
        expire(eng, id);
    }
    assert_int_equal(claim(eng, r, 0, 10, &runs), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE outcome = 'lost'"), 3);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE error LIKE '%given up%'"), 1);
}

static void one_run_per_hook_and_args_unless_the_event_allows_parallel_runs(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    kbj_cron_run *runs = NULL;
    long long now = db_now(eng);

    runner(eng, r);
    add_event(eng, (fixture){ .hook = "pair", .next_run = now - 20 });
    add_event(eng, (fixture){ .hook = "pair", .next_run = now - 10 });
    add_event(eng, (fixture){ .hook = "pair", .args_key = KEY_B, .next_run = now - 10 });
    /* the same pair once; other arguments are another pair */
    assert_int_equal(claim(eng, r, 0, 10, &runs), 2);
    assert_int_equal(runs[0].due, now - 20);
    assert_string_equal(runs[1].args_key, KEY_B);
    kbj_cron_runs_free(runs, 2);
    assert_int_equal(claim(eng, r, 0, 10, &runs), 0);

    add_event(eng, (fixture){ .hook = "para", .next_run = now - 20, .parallel = 1 });
    add_event(eng, (fixture){ .hook = "para", .next_run = now - 10, .parallel = 1 });
    assert_int_equal(claim(eng, r, 0, 10, &runs), 2);
    kbj_cron_runs_free(runs, 2);
}

static void run_now_leaves_a_recurring_events_schedule_alone(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    kbj_cron_run *runs = NULL;
    long long now = db_now(eng);
    unsigned long long id = add_event(eng, (fixture){ .hook = "later", .schedule = "daily", .interval = 86400,
                                                      .next_run = now + 5000 });
    unsigned long long id2 = add_event(eng, (fixture){ .hook = "later2", .schedule = "daily", .interval = 86400,
                                                       .next_run = now + 5000 });
    size_t n = 0;

    runner(eng, r);
    /* as kbj_cron_run_now leaves it: due now, flagged */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_cron_events SET run_now = 1, due_at = UNIX_TIMESTAMP() WHERE hook = 'later'");
    assert_int_equal(claim(eng, r, 0, 10, &runs), 1);
    assert_string_equal(runs[0].trigger, "run-now");
    assert_true(runs[0].due >= now && runs[0].due <= now + 2);
    assert_int_equal(ev_int(eng, id, "next_run"), now + 5000);
    assert_int_equal(kbj_cron_finish(eng, &runs[0]), KBJ_OK);
    kbj_cron_runs_free(runs, 1);
    assert_int_equal(ev_int(eng, id, "due_at = next_run AND run_now = 0"), 1);

    /* only_id: that event whatever its due time; running, it is a conflict */
    assert_int_equal(kbj_cron_claim(eng, r, "h", 1, "cli", id2, 10, &runs, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(runs[0].trigger, "cli");
    assert_int_equal(ev_int(eng, id2, "next_run"), now + 5000);
    {
        kbj_cron_run *again = NULL;
        size_t n2 = 0;
        assert_int_equal(kbj_cron_claim(eng, r, "h", 1, "cli", id2, 1, &again, &n2), KBJ_ECONFLICT);
        assert_int_equal(kbj_cron_claim(eng, r, "h", 1, "cli", id2 + 100, 1, &again, &n2), KBJ_ENOTFOUND);
        assert_int_equal(kbj_cron_claim(eng, r, "h", 1, "Bad Trigger", 0, 1, &again, &n2), KBJ_EINVAL);
    }
    kbj_cron_runs_free(runs, n);
}

typedef struct racer {
    kbj_engine *eng;
    unsigned long long got[64];
    size_t n;
    int rc;
} racer;

/* Claims until nothing is left, recording what it took; finishes nothing, so a pair
 * once taken stays busy. */
static void *race(void *arg)
{
    racer *r = arg;
    char id[KBJ_ID_LEN + 1];
    kbj_store_thread_init();
    r->rc = kbj_runner_register(r->eng, "race", 1, NULL, "default", id);
    for (int idle = 0; r->rc == KBJ_OK && idle < 3;) {
        kbj_cron_run *runs = NULL;
        size_t n = 0;
        r->rc = kbj_cron_claim(r->eng, id, "race", 1, NULL, 0, 3, &runs, &n);
        for (size_t i = 0; i < n && r->n < 64; i++)
            r->got[r->n++] = runs[i].event_id;
        kbj_cron_runs_free(runs, n);
        idle = n ? 0 : idle + 1;
    }
    kbj_store_thread_end();
    return NULL;
}

static void concurrent_claims_take_each_event_once_and_each_pair_once(void **state)
{
    kbj_engine *eng = *state;
    long long now = db_now(eng);
    racer r[3] = { { 0 } };
    pthread_t t[3];
    char seen[64] = { 0 };
    size_t total = 0;
    unsigned long long first = 0;

    /* 30 pairs of one event each, and one pair with 5 events (one may run at a time) */
    for (int i = 0; i < 30; i++) {
        char hook[32];
        snprintf(hook, sizeof hook, "race_%02d", i);
        unsigned long long id = add_event(eng, (fixture){ .hook = hook, .next_run = now - 60 + i });
        if (!first)
            first = id;
    }
    for (int i = 0; i < 5; i++)
        add_event(eng, (fixture){ .hook = "race_pair", .next_run = now - 30 });
    for (int i = 0; i < 3; i++) {
        r[i].eng = kbj_test_engine_join(eng);
        pthread_create(&t[i], NULL, race, &r[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].rc, KBJ_OK);
        for (size_t k = 0; k < r[i].n; k++) {
            unsigned long long off = r[i].got[k] - first;
            assert_true(off < 35);
            assert_int_equal(seen[off], 0); /* never handed out twice */
            seen[off] = 1;
        }
        total += r[i].n;
        kbj_test_engine_free(r[i].eng);
    }
    assert_int_equal(total, 31);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs"), 31);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events WHERE hook = 'race_pair'"
                                       " AND lease_token IS NOT NULL"), 1);
}

/* ---- batches: claim, finish and release many at once ------------------------------------ */

static kbj_cron_run *run_of_event(kbj_cron_run *runs, size_t n, unsigned long long id)
{
    for (size_t i = 0; i < n; i++)
        if (runs[i].event_id == id)
            return &runs[i];
    fail_msg("event %llu is not in the claimed batch", id);
    return NULL;
}

static void a_batch_claim_mixes_fresh_retry_lost_and_run_now_events_and_fences_each_finish(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    kbj_cron_run *runs = NULL, *first = NULL;
    long long now = db_now(eng);
    unsigned long long lost = add_event(eng, (fixture){ .hook = "b_lost", .next_run = now - 50 });
    unsigned long long fresh;
    unsigned long long hourly, retry, paused, later;
    int rcs[5];
    char sql[256];

    runner(eng, r);
    /* the lost one: claimed first, its lease expired */
    assert_int_equal(claim(eng, r, 0, 10, &first), 1);
    expire(eng, lost);
    fresh = add_event(eng, (fixture){ .hook = "b_fresh", .next_run = now - 10 });
    hourly = add_event(eng, (fixture){ .hook = "b_hourly", .schedule = "hourly", .interval = 3600,
                                       .next_run = now - 7200 - 5 });
    retry = add_event(eng, (fixture){ .hook = "b_retry", .next_run = now - 100, .max_attempts = 3 });
    paused = add_event(eng, (fixture){ .hook = "b_paused", .next_run = now + 9000 });
    later = add_event(eng, (fixture){ .hook = "b_later", .next_run = now + 600 });
    /* the retry: a failed first attempt waiting for its backoff, due now */
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_cron_events SET run_of = next_run, attempt = 1, due_at = %lld,"
             " fail_streak = 1 WHERE id = %llu", now - 1, retry);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
    /* run now of a paused event due in 2.5 hours */
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_cron_events SET paused = 1 WHERE id = %llu", paused);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
    assert_int_equal(kbj_cron_run_now(eng, paused), KBJ_OK);

    assert_int_equal(claim(eng, r, 0, 10, &runs), 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(runs[i].token, runs[0].token); /* one claim, one fencing token */
        assert_int_equal(ev_int(eng, runs[i].event_id, "run_id"), runs[i].run_id);
        assert_int_equal(ev_int(eng, runs[i].event_id, "lease_token"), runs[i].token);
        assert_int_equal(run_int(eng, runs[i].run_id, "outcome = 'running'"), 1);
        assert_true(runs[i].event_id != later);
    }
    {
        kbj_cron_run *f = run_of_event(runs, 5, fresh), *h = run_of_event(runs, 5, hourly),
                     *t = run_of_event(runs, 5, retry), *l = run_of_event(runs, 5, lost),
                     *p = run_of_event(runs, 5, paused);
        assert_int_equal(f->attempt, 1);
        assert_int_equal(f->due, now - 10);
        assert_string_equal(f->trigger, "runner");
        assert_int_equal(f->run_now, 0);
        /* core's formula: missed runs skipped, the next one within the hour */
        assert_int_equal(h->due, now - 7200 - 5);
        assert_int_equal(ev_int(eng, hourly, "next_run > UNIX_TIMESTAMP() AND next_run <= UNIX_TIMESTAMP() + 3600"), 1);
        assert_int_equal(ev_int(eng, hourly, "(next_run - (run_of)) % 3600"), 0);
        assert_int_equal(t->attempt, 2);
        assert_int_equal(t->due, now - 100);
        assert_int_equal(l->attempt, 2);
        assert_int_equal(l->due, now - 50);
        assert_int_equal(run_int(eng, first[0].run_id, "outcome = 'lost'"), 1);
        assert_string_equal(p->trigger, "run-now");
        assert_int_equal(p->run_now, 1);
        assert_int_equal(p->attempt, 1);
        assert_true(p->due >= now && p->due <= now + 5);
        assert_int_equal(ev_int(eng, paused, "next_run"), now + 9000);
        assert_int_equal(ev_int(eng, paused, "paused"), 1);

        /* finished together: the run-now's lease expired meanwhile; it alone is refused */
        expire(eng, paused);
        f->failed = 0;
        t->failed = 1;
        t->error = strdup("again");
        assert_int_equal(kbj_cron_finish_many(eng, runs, 5, rcs), KBJ_OK);
        for (size_t i = 0; i < 5; i++)
            assert_int_equal(rcs[i], runs[i].event_id == paused ? KBJ_ELEASE : KBJ_OK);
        assert_int_equal(ev_int(eng, paused, "lease_token IS NOT NULL"), 1); /* untouched: lost */
        assert_int_equal(run_int(eng, p->run_id, "outcome = 'running'"), 1);
        assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events WHERE hook = 'b_fresh'"), 0);
        assert_int_equal(ev_int(eng, hourly, "lease_token IS NULL AND due_at = next_run AND last_outcome = 'ok'"), 1);
        assert_int_equal(run_int(eng, h->run_id, "outcome = 'ok' AND ended_at IS NOT NULL"), 1);
        /* the retry failed again: attempt 2 of 3, backoff 120 s, fail streak 2 */
        assert_int_equal(ev_int(eng, retry, "lease_token IS NULL AND attempt = 2 AND fail_streak = 2"
                                            " AND due_at BETWEEN UNIX_TIMESTAMP() + 110 AND UNIX_TIMESTAMP() + 121"), 1);
        assert_int_equal(run_int(eng, t->run_id, "outcome = 'failed' AND error = 'again'"), 1);
        assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events WHERE hook = 'b_lost'"), 0);
        /* done again (a rerun after a lost COMMIT): recorded already, nothing moves */
        assert_int_equal(kbj_cron_finish_many(eng, runs, 5, rcs), KBJ_OK);
        for (size_t i = 0; i < 5; i++)
            assert_int_equal(rcs[i], runs[i].event_id == paused ? KBJ_ELEASE : KBJ_OK);
        assert_int_equal(ev_int(eng, retry, "attempt = 2 AND fail_streak = 2"), 1);
        assert_int_equal(kbj_cron_finish(eng, p), KBJ_ELEASE);
    }
    kbj_cron_runs_free(runs, 5);
    kbj_cron_runs_free(first, 1);
}

static void a_pair_due_twice_in_one_batch_gets_one_run_unless_parallel(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    kbj_cron_run *runs = NULL;
    long long now = db_now(eng);
    unsigned long long one = add_event(eng, (fixture){ .hook = "twice", .next_run = now - 10 });

    add_event(eng, (fixture){ .hook = "twice", .next_run = now - 5 });
    add_event(eng, (fixture){ .hook = "both", .args_key = KEY_B, .next_run = now - 8, .parallel = 1 });
    add_event(eng, (fixture){ .hook = "both", .args_key = KEY_B, .next_run = now - 4, .parallel = 1 });
    runner(eng, r);
    assert_int_equal(claim(eng, r, 0, 10, &runs), 3);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE hook = 'twice'"), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE hook = 'both'"), 2);
    assert_int_equal(ev_int(eng, one, "lease_token IS NOT NULL"), 1); /* the earlier due time first */
    kbj_cron_runs_free(runs, 3);
}

typedef struct batch_racer {
    kbj_engine *eng;
    unsigned long long got[256];
    size_t n;
    int rc;
} batch_racer;

/* Claims batches of 10 and finishes each batch together, until nothing is left. */
static void *batch_race(void *arg)
{
    batch_racer *b = arg;
    char id[KBJ_ID_LEN + 1];
    kbj_store_thread_init();
    b->rc = kbj_runner_register(b->eng, "race", 1, NULL, "default", id);
    for (int idle = 0; b->rc == KBJ_OK && idle < 3;) {
        kbj_cron_run *runs = NULL;
        size_t n = 0;
        int rcs[10];
        b->rc = kbj_cron_claim(b->eng, id, "race", 1, NULL, 0, 10, &runs, &n);
        for (size_t i = 0; i < n && b->n < 256; i++)
            b->got[b->n++] = runs[i].event_id;
        if (b->rc == KBJ_OK && n)
            b->rc = kbj_cron_finish_many(b->eng, runs, n, rcs);
        for (size_t i = 0; b->rc == KBJ_OK && i < n; i++)
            if (rcs[i] != KBJ_OK)
                b->rc = rcs[i];
        kbj_cron_runs_free(runs, n);
        idle = n ? 0 : idle + 1;
    }
    kbj_store_thread_end();
    return NULL;
}

static void two_runners_racing_over_200_events_take_each_once(void **state)
{
    kbj_engine *eng = *state;
    long long now = db_now(eng);
    batch_racer b[2] = { { 0 } };
    pthread_t t[2];
    char seen[200] = { 0 };
    unsigned long long first = 0;

    for (int i = 0; i < 200; i++) {
        char hook[32];
        snprintf(hook, sizeof hook, "many_%03d", i);
        unsigned long long id = add_event(eng, (fixture){ .hook = hook, .next_run = now - 60 + i % 7,
                                                          .schedule = i % 2 ? "hourly" : NULL,
                                                          .interval = i % 2 ? 3600 : 0 });
        if (!first)
            first = id;
    }
    for (int i = 0; i < 2; i++) {
        b[i].eng = kbj_test_engine_join(eng);
        pthread_create(&t[i], NULL, batch_race, &b[i]);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(b[i].rc, KBJ_OK);
        assert_true(b[i].n > 0); /* both took a share */
        for (size_t k = 0; k < b[i].n; k++) {
            unsigned long long off = b[i].got[k] - first;
            assert_true(off < 200);
            assert_int_equal(seen[off], 0); /* never handed out twice */
            seen[off] = 1;
        }
        kbj_test_engine_free(b[i].eng);
    }
    assert_int_equal(b[0].n + b[1].n, 200);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE outcome = 'ok'"), 200);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events"), 100);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events WHERE lease_token IS NULL"
                                       " AND due_at = next_run AND next_run > UNIX_TIMESTAMP()"), 100);
}

/* An event's claim state, to compare before a claim and after its release. */
static void claim_state(kbj_engine *eng, unsigned long long id, char *out, size_t cap)
{
    kbj_rows *rows = NULL;
    /* due_at: given back due "now" (a retry's or a run now's exact second is not kept) */
    if (kbj_store_query(eng->st, "SELECT CONCAT_WS('/', next_run, IF(due_at <= UNIX_TIMESTAMP(), 'due', IFNULL(due_at,"
                        " 'null')), IFNULL(run_of, 'null'),"
                        " attempt, run_now, paused, IFNULL(run_id, 'null'), IFNULL(lease_token, 'null'), fail_streak)"
                        " FROM {p}kbjobs_cron_events WHERE id = ?", (kbj_val[]){ KBJ_VI(id) }, 1, &rows) ||
        kbj_rows_count(rows) != 1)
        fail_msg("claim_state: %s", kbj_errmsg(eng));
    snprintf(out, cap, "%s", kbj_rows_str(rows, 0, 0));
    kbj_rows_free(rows);
}

static void release_gives_claimed_events_back_as_they_were(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1], before[4][128], after[128], sql[256];
    kbj_cron_run *runs = NULL, *again = NULL;
    long long now = db_now(eng);
    unsigned long long ids[4], old_run;
    int rcs[4];

    ids[0] = add_event(eng, (fixture){ .hook = "r_single", .next_run = now - 30 });
    ids[1] = add_event(eng, (fixture){ .hook = "r_hourly", .schedule = "hourly", .interval = 3600,
                                       .next_run = now - 4000 });
    ids[2] = add_event(eng, (fixture){ .hook = "r_retry", .next_run = now - 20, .max_attempts = 3 });
    ids[3] = add_event(eng, (fixture){ .hook = "r_now", .schedule = "daily", .interval = 86400,
                                       .next_run = now + 5000 });
    runner(eng, r);
    /* the retry: its first attempt ran and failed (a run row of its own) */
    assert_int_equal(claim(eng, r, ids[2], 1, &runs), 1);
    runs[0].failed = 1;
    runs[0].error = strdup("first");
    assert_int_equal(kbj_cron_finish(eng, &runs[0]), KBJ_OK);
    old_run = runs[0].run_id;
    kbj_cron_runs_free(runs, 1);
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_cron_events SET due_at = %lld WHERE id = %llu", now - 1, ids[2]);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_cron_events SET paused = 1 WHERE id = %llu", ids[3]);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
    assert_int_equal(kbj_cron_run_now(eng, ids[3]), KBJ_OK);
    for (int i = 0; i < 4; i++)
        claim_state(eng, ids[i], before[i], sizeof before[i]);

    assert_int_equal(claim(eng, r, 0, 10, &runs), 4);
    assert_int_equal(ev_int(eng, ids[1], "next_run > UNIX_TIMESTAMP()"), 1); /* moved by the claim */
    assert_int_equal(kbj_cron_release(eng, runs, 4, rcs), KBJ_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rcs[i], KBJ_OK);
        claim_state(eng, ids[i], after, sizeof after);
        assert_string_equal(after, before[i]);
    }
    assert_int_equal(ev_int(eng, ids[2], "run_id"), old_run);
    assert_int_equal(ev_int(eng, ids[0], "due_at = next_run"), 1);
    assert_int_equal(ev_int(eng, ids[1], "due_at = next_run"), 1);
    /* no trace of the runs that never started */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs"), 1);
    /* a second release (a rerun after a lost COMMIT) finds the leases gone: refused, no change */
    assert_int_equal(kbj_cron_release(eng, runs, 4, rcs), KBJ_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(rcs[i], KBJ_ELEASE);

    /* claimed again, the same due times and attempts as before */
    assert_int_equal(claim(eng, r, 0, 10, &again), 4);
    for (size_t i = 0; i < 4; i++) {
        kbj_cron_run *a = run_of_event(again, 4, runs[i].event_id);
        assert_int_equal(a->attempt, runs[i].attempt);
        assert_string_equal(a->trigger, runs[i].trigger);
        if (!runs[i].run_now)
            assert_int_equal(a->due, runs[i].due);
    }
    /* a lease that expired is not given back: the next claim records it as lost */
    expire(eng, ids[0]);
    assert_int_equal(kbj_cron_release(eng, again, 4, rcs), KBJ_OK);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(rcs[i], again[i].event_id == ids[0] ? KBJ_ELEASE : KBJ_OK);
    assert_int_equal(ev_int(eng, ids[0], "lease_token IS NOT NULL"), 1);
    kbj_cron_runs_free(runs, 4);
    kbj_cron_runs_free(again, 4);
}

/* ---- kbj_run with a cron handler --------------------------------------------------------- */

typedef struct calls {
    int n, fail_hook_seen;
    double sleep_s;
    kbj_engine *reader;     /* another connection, to look from outside during a run */
    kbj_engine *running;    /* the running engine, where a handler leaves its error message */
    int alive_seen;
} calls;

static int c_handler(kbj_cron_run *run, void *arg)
{
    calls *c = arg;
    c->n++;
    if (c->reader) {
        int alive = 0;
        if (kbj_cron_runner_alive(c->reader, &alive) == KBJ_OK && alive)
            c->alive_seen = 1;
    }
    if (c->sleep_s > 0) {
        double until = kbj_test_now() + c->sleep_s;
        while (kbj_test_now() < until)
            kbj_test_msleep(20);
    }
    if (strcmp(run->hook, "fails") == 0) {
        run->failed = 1;
        run->error = strdup("it did not work");
    }
    if (strcmp(run->hook, "errs") == 0)
        return kbj_efail(c->running, KBJ_EIO, "disk on fire");
    run->output = strdup("printed");
    run->output_len = 7;
    return KBJ_OK;
}

static void kbj_run_runs_due_events_through_the_handler_and_reports_them(void **state)
{
    kbj_engine *eng = *state;
    long long now = db_now(eng);
    calls c = { 0 };
    kbj_run_opts o = { .until_empty = 1, .cron_handler = c_handler, .cron_arg = &c, .cron_only = 1,
                       .until_empty_wait_ms = 100 };
    kbj_run_report rep;
    int alive = 1;

    c.reader = kbj_test_engine_join(eng);
    c.running = eng;
    add_event(eng, (fixture){ .hook = "works", .next_run = now - 3 });
    add_event(eng, (fixture){ .hook = "fails", .next_run = now - 2 });
    add_event(eng, (fixture){ .hook = "errs", .next_run = now - 2 });
    add_event(eng, (fixture){ .hook = "tick", .schedule = "hourly", .interval = 3600, .next_run = now - 1 });
    add_event(eng, (fixture){ .hook = "future", .next_run = now + 3600 });
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_int_equal(c.n, 4);
    assert_int_equal(rep.cron_ran, 4);
    assert_int_equal(rep.cron_failed, 2);
    assert_int_equal(rep.cron_lost, 0);
    assert_int_equal(rep.claimed, 0);
    assert_string_equal(rep.stop_reason, "empty");
    assert_int_equal(c.alive_seen, 1);
    assert_int_equal(kbj_cron_runner_alive(eng, &alive), KBJ_OK);
    assert_int_equal(alive, 0); /* stopped */
    assert_int_equal(kbj_test_int(eng, "SELECT cron FROM {p}kbjobs_runners"), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE outcome = 'ok'"
                                       " AND output = 'printed'"), 2);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE hook = 'errs'"
                                       " AND outcome = 'failed' AND error LIKE '%disk on fire%'"), 1);
    /* left: the future event and the recurring one at its next run */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events"), 2);
    kbj_test_engine_free(c.reader);
}

/* Asks the run to stop during its second event. */
static int stop_handler(kbj_cron_run *run, void *arg)
{
    calls *c = arg;
    (void)run;
    if (++c->n == 2)
        kbj_request_stop(c->running);
    return KBJ_OK;
}

static void a_stop_request_gives_the_batchs_unstarted_events_back(void **state)
{
    kbj_engine *eng = *state;
    long long now = db_now(eng);
    calls c = { 0 };
    kbj_run_opts o = { .until_empty = 1, .cron_handler = stop_handler, .cron_arg = &c, .cron_only = 1,
                       .until_empty_wait_ms = 100 };
    kbj_run_report rep;

    c.running = eng;
    for (int i = 0; i < 6; i++) {
        char hook[32];
        snprintf(hook, sizeof hook, "stop_%d", i);
        add_event(eng, (fixture){ .hook = hook, .next_run = now - 10 + i, .schedule = i % 2 ? "hourly" : NULL,
                                  .interval = i % 2 ? 3600 : 0 });
    }
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_string_equal(rep.stop_reason, "requested");
    assert_int_equal(c.n, 2);
    assert_int_equal(rep.cron_ran, 2);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs"), 2);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE outcome = 'ok'"), 2);
    /* the four others: due as before, free, no run */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events WHERE lease_token IS NULL"
                                       " AND due_at = next_run AND next_run <= UNIX_TIMESTAMP() AND run_of IS NULL"
                                       " AND attempt = 0"), 4);
}

static void a_handler_busy_longer_than_the_lease_keeps_it(void **state)
{
    kbj_engine *eng = *state;
    calls c = { .sleep_s = 3.5 };
    kbj_run_opts o = { .until_empty = 1, .cron_handler = c_handler, .cron_arg = &c, .cron_only = 1,
                       .until_empty_wait_ms = 100 };
    kbj_run_report rep;

    eng->cfg.lease_seconds = 2; /* renewed by the heartbeat every 2/3 s */
    add_event(eng, (fixture){ .hook = "slow", .next_run = db_now(eng) - 1 });
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_int_equal(rep.cron_ran, 1);
    assert_int_equal(rep.cron_lost, 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE outcome = 'ok'"), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events"), 0);
}

static int forever(kbj_cron_run *run, void *arg)
{
    (void)run;
    (void)arg;
    for (;;)
        kbj_test_msleep(100);
    return KBJ_OK;
}

/* Waits until event `id` has a running run; returns that run's id. */
static unsigned long long wait_running(kbj_engine *eng, unsigned long long id)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT id FROM {p}kbjobs_cron_runs WHERE event_id = %llu AND outcome = 'running'", id);
    for (int i = 0; i < 200; i++) {
        long long run = kbj_test_int(eng, sql);
        if (run)
            return (unsigned long long)run;
        kbj_test_msleep(25);
    }
    fail_msg("event %llu never started", id);
    return 0;
}

static void a_killed_runners_event_runs_again_after_its_lease_and_its_next_run_stays_once(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long id = add_event(eng, (fixture){ .hook = "killed", .schedule = "hourly", .interval = 3600,
                                                      .next_run = db_now(eng) - 60 });
    calls c = { 0 };
    kbj_run_opts o = { .until_empty = 1, .cron_handler = c_handler, .cron_arg = &c, .cron_only = 1,
                       .until_empty_wait_ms = 100 };
    kbj_run_report rep;
    unsigned long long first;
    long long next;
    pid_t child = fork();

    assert_true(child >= 0);
    if (child == 0) {
        kbj_engine *mine = kbj_test_engine_open(PREFIX, 2, eng->data_dir);
        kbj_run_opts co = { .cron_handler = forever, .cron_only = 1, .idle_ms = 50 };
        if (!mine)
            _exit(2);
        kbj_run(mine, &co, NULL);
        _exit(3);
    }
    first = wait_running(eng, id);
    next = ev_int(eng, id, "next_run");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);

    /* nobody renews the 2 s lease now: once it has run out, the event runs here */
    {
        char sql[200];
        int polls = 0;
        snprintf(sql, sizeof sql, "SELECT lease_expires < NOW(6) FROM {p}kbjobs_cron_events WHERE id = %llu", id);
        assert_int_equal(kbj_test_int(eng, sql), 0);
        while (kbj_test_int(eng, sql) == 0) {
            assert_true(polls++ < 100);
            kbj_test_msleep(50);
        }
    }
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(rep.cron_ran, 1);
    assert_int_equal(run_int(eng, first, "outcome = 'lost'"), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE outcome = 'ok' AND attempt = 2"),
                     1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events"), 1);
    assert_int_equal(ev_int(eng, id, "next_run"), next);
    assert_int_equal(ev_int(eng, id, "due_at"), next);
}

static int wake_late(kbj_cron_run *run, void *arg)
{
    double until = kbj_test_now() + 1.0;
    (void)run;
    (void)arg;
    while (kbj_test_now() < until)
        kbj_test_msleep(20);
    return KBJ_OK;
}

static void a_runner_frozen_past_its_lease_cannot_record_its_run(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long id = add_event(eng, (fixture){ .hook = "frozen", .next_run = db_now(eng) - 5 });
    char r[KBJ_ID_LEN + 1];
    kbj_cron_run *runs = NULL;
    unsigned long long first;
    int status = 0, polls = 0;
    pid_t child = fork();

    assert_true(child >= 0);
    if (child == 0) {
        kbj_engine *mine = kbj_test_engine_open(PREFIX, 2, eng->data_dir);
        kbj_run_opts co = { .cron_handler = wake_late, .cron_event = 0, .cron_only = 1, .until_empty = 1,
                            .until_empty_wait_ms = 50 };
        kbj_run_report rep;
        if (!mine)
            _exit(2);
        if (kbj_run(mine, &co, &rep) != KBJ_OK)
            _exit(3);
        _exit(rep.cron_ran == 1 && rep.cron_lost == 1 ? 0 : 4);
    }
    first = wait_running(eng, id);
    kill(child, SIGSTOP);
    /* frozen (its heartbeat thread too): the 2 s lease runs out and another runner takes
     * the event as attempt 2 */
    runner(eng, r);
    while (claim(eng, r, 0, 1, &runs) == 0) {
        assert_true(polls++ < 100);
        kbj_test_msleep(100);
    }
    assert_int_equal(runs[0].attempt, 2);
    kill(child, SIGCONT);
    waitpid(child, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(run_int(eng, first, "outcome = 'lost'"), 1);
    assert_int_equal(ev_int(eng, id, "lease_token"), runs[0].token); /* still the new holder's */
    assert_int_equal(kbj_cron_finish(eng, &runs[0]), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE outcome = 'ok'"), 1);
    kbj_cron_runs_free(runs, 1);
}

/* ---- history and retention ----------------------------------------------------------- */

static void finish_one(kbj_engine *eng, const char *r, int failed)
{
    kbj_cron_run *runs = NULL;
    assert_int_equal(claim(eng, r, 0, 1, &runs), 1);
    runs[0].failed = failed;
    assert_int_equal(kbj_cron_finish(eng, &runs[0]), KBJ_OK);
    kbj_cron_runs_free(runs, 1);
}

static void the_history_filters_and_pages_newest_first(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    long long now = db_now(eng);
    unsigned long long ev_b = 0, seen[16];
    size_t nseen = 0, n = 0;
    kbj_cron_run_info *v = NULL;
    kbj_cron_runs_filter f = { .limit = 2 };

    runner(eng, r);
    for (int i = 0; i < 3; i++) {
        add_event(eng, (fixture){ .hook = "hist_a", .next_run = now - 10 + i });
        finish_one(eng, r, i == 1);
    }
    ev_b = add_event(eng, (fixture){ .hook = "hist_b", .next_run = now - 1 });
    finish_one(eng, r, 1);

    f = (kbj_cron_runs_filter){ .hook = "hist_a" };
    assert_int_equal(kbj_cron_runs(eng, &f, &v, &n), KBJ_OK);
    assert_int_equal(n, 3);
    assert_true(v[0].id > v[1].id && v[1].id > v[2].id);
    kbj_cron_run_info_free(v, n);
    f = (kbj_cron_runs_filter){ .outcome = "failed" };
    assert_int_equal(kbj_cron_runs(eng, &f, &v, &n), KBJ_OK);
    assert_int_equal(n, 2);
    kbj_cron_run_info_free(v, n);
    f = (kbj_cron_runs_filter){ .event_id = ev_b, .trigger = "runner" };
    assert_int_equal(kbj_cron_runs(eng, &f, &v, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].hook, "hist_b");
    assert_string_equal(v[0].runner, r);
    kbj_cron_run_info_free(v, n);
    /* pages of 2 by the keyset cursor: every run once */
    f = (kbj_cron_runs_filter){ .limit = 2 };
    do {
        assert_int_equal(kbj_cron_runs(eng, &f, &v, &n), KBJ_OK);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < nseen; j++)
                assert_true(seen[j] != v[i].id);
            seen[nseen++] = v[i].id;
            f.before_id = v[i].id;
        }
        kbj_cron_run_info_free(v, n);
    } while (n == 2);
    assert_int_equal(nseen, 4);
    f = (kbj_cron_runs_filter){ .outcome = "maybe" };
    assert_int_equal(kbj_cron_runs(eng, &f, &v, &n), KBJ_EINVAL);
}

static void prune_removes_old_runs_and_all_but_the_newest_per_hook_and_orphan_guard_rows(void **state)
{
    kbj_engine *eng = *state;
    char r[KBJ_ID_LEN + 1];
    long long now = db_now(eng);
    unsigned long long removed = 0;
    kbj_cron_run *running = NULL;

    runner(eng, r);
    for (int i = 0; i < 6; i++) {
        add_event(eng, (fixture){ .hook = "many", .next_run = now - 100 + i });
        finish_one(eng, r, 0);
    }
    add_event(eng, (fixture){ .hook = "old", .next_run = now - 50 });
    finish_one(eng, r, 0);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_cron_runs SET started_at = NOW(6) - INTERVAL 40 DAY WHERE hook = 'old'");
    /* a running one, old too, stays whatever its age */
    add_event(eng, (fixture){ .hook = "old", .args_key = KEY_B, .next_run = now - 50 });
    assert_int_equal(claim(eng, r, 0, 1, &running), 1);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_cron_runs SET started_at = NOW(6) - INTERVAL 40 DAY WHERE outcome = 'running'");

    assert_int_equal(kbj_cron_prune(eng, 30, 4, &removed), KBJ_OK);
    assert_int_equal(removed, 1 + 2);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE hook = 'many'"), 4);
    assert_int_equal(kbj_test_int(eng, "SELECT MIN(due) FROM {p}kbjobs_cron_runs WHERE hook = 'many'"), now - 98);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_runs WHERE outcome = 'running'"), 1);
    /* guard rows: only the pair whose event still exists (the running one) is kept */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_keys"), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_keys WHERE args_key = '" KEY_B "'"), 1);
    kbj_cron_runs_free(running, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_single_event_runs_once_and_is_deleted_after_success, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(an_hourly_event_first_due_at_timestamp_1_runs_once_then_within_the_hour, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_failed_single_event_retries_with_backoff_up_to_max_attempts, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_failed_recurring_event_is_scheduled_again_at_its_next_run, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_failure_streak_raises_one_alert_and_run_now_runs_a_paused_event, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(an_expired_lease_is_recorded_lost_and_the_same_due_time_claimed_again, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(lost_attempts_past_the_limit_give_the_due_time_up, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(one_run_per_hook_and_args_unless_the_event_allows_parallel_runs, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(run_now_leaves_a_recurring_events_schedule_alone, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(concurrent_claims_take_each_event_once_and_each_pair_once, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_batch_claim_mixes_fresh_retry_lost_and_run_now_events_and_fences_each_finish,
                                        setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_pair_due_twice_in_one_batch_gets_one_run_unless_parallel, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(two_runners_racing_over_200_events_take_each_once, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(release_gives_claimed_events_back_as_they_were, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_stop_request_gives_the_batchs_unstarted_events_back, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(kbj_run_runs_due_events_through_the_handler_and_reports_them, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_handler_busy_longer_than_the_lease_keeps_it, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_killed_runners_event_runs_again_after_its_lease_and_its_next_run_stays_once,
                                        setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_runner_frozen_past_its_lease_cannot_record_its_run, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(the_history_filters_and_pages_newest_first, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(prune_removes_old_runs_and_all_but_the_newest_per_hook_and_orphan_guard_rows,
                                        setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("cron_runs", tests, NULL, NULL);
}
