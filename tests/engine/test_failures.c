/* The FailureLog and failure alerts, against the real MariaDB. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct fixture {
    kbj_engine *eng;
    char runner[KBJ_ID_LEN + 1];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->eng = kbj_test_engine("kbt_fail_", 0);
    if (kbj_runner_register(fx->eng, "failures-test", 1, NULL, "fail", fx->runner) != KBJ_OK)
        fail_msg("register: %s", kbj_errmsg(fx->eng));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    kbj_test_engine_free(fx->eng);
    free(fx);
    return 0;
}

/* Submits a job of `type` with one attempt, claims it and fails it for good with
 * `message`; its id goes to `id`. */
static void fail_one(fixture *fx, const char *type, const char *message, char id[KBJ_ID_LEN + 1])
{
    static const char *const queues[] = { "fail" };
    kbj_submit s = { .type = type, .queue = "fail", .max_attempts = 1 };
    kbj_lease *l = NULL;
    size_t n = 0;
    int will_retry = -1;

    if (kbj_submit_job(fx->eng, &s, id, NULL) != KBJ_OK)
        fail_msg("submit: %s", kbj_errmsg(fx->eng));
    if (kbj_claim(fx->eng, fx->runner, queues, 1, 1, &l, &n) != KBJ_OK || n != 1)
        fail_msg("claim: %s (%zu claimed)", kbj_errmsg(fx->eng), n);
    assert_string_equal(l->id, id);
    if (kbj_fail_job(fx->eng, l, message, 1, &will_retry) != KBJ_OK)
        fail_msg("fail: %s", kbj_errmsg(fx->eng));
    assert_int_equal(will_retry, 0);
    kbj_leases_free(l, n);
}

static size_t entries(kbj_engine *eng, unsigned long long *evicted)
{
    size_t count = 0;
    if (kbj_failures_count(eng, &count, evicted) != KBJ_OK)
        fail_msg("count: %s", kbj_errmsg(eng));
    return count;
}

/* Whether the FailureLog has an entry for job `id`. */
static int has_entry(kbj_engine *eng, const char *id)
{
    kbj_failure *f = NULL;
    size_t n = 0;
    int found = 0;
    if (kbj_failures_list(eng, 1000, 0, &f, &n) != KBJ_OK)
        fail_msg("list: %s", kbj_errmsg(eng));
    for (size_t i = 0; i < n; i++)
        found |= strcmp(f[i].job_id, id) == 0;
    kbj_failures_free(f, n);
    return found;
}

static void a_job_failing_its_last_attempt_gets_an_entry(void **state)
{
    fixture *fx = *state;
    static const char *const queues[] = { "fail" };
    kbj_submit s = { .type = "test.import", .queue = "fail", .max_attempts = 2,
                     .backoff = { .kind = KBJ_BACKOFF_FIXED, .base_ms = 1000 } };
    char id[17];
    kbj_lease *l = NULL;
    size_t n = 0;
    int will_retry = 0;
    kbj_failure *f = NULL;
    double now = (double)kbj_test_int(fx->eng, "SELECT UNIX_TIMESTAMP()");

    assert_int_equal(kbj_submit_job(fx->eng, &s, id, NULL), KBJ_OK);
    assert_int_equal(kbj_claim(fx->eng, fx->runner, queues, 1, 1, &l, &n), KBJ_OK);
    assert_int_equal(n, 1);
    /* a failure that will be retried is not an entry */
    assert_int_equal(kbj_fail_job(fx->eng, l, "HTTP 503 from example.com", 1, &will_retry), KBJ_OK);
    assert_int_equal(will_retry, 1);
    kbj_leases_free(l, n);
    assert_int_equal(entries(fx->eng, NULL), 0);

    kbj_test_exec(fx->eng, "UPDATE {p}kbjobs_jobs SET run_at = NOW(6) - INTERVAL 1 SECOND");
    assert_int_equal(kbj_claim(fx->eng, fx->runner, queues, 1, 1, &l, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_int_equal(kbj_fail_job(fx->eng, l, "HTTP 500 from example.com", 1, &will_retry), KBJ_OK);
    assert_int_equal(will_retry, 0);
    kbj_leases_free(l, n);

    assert_int_equal(kbj_failures_list(fx->eng, 10, 0, &f, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].job_id, id);
    assert_string_equal(f[0].type, "test.import");
    assert_string_equal(f[0].message, "HTTP 500 from example.com");
    assert_int_equal(f[0].attempts, 2);
    assert_true(f[0].failed_at >= now - 1 && f[0].failed_at < now + 10);
    kbj_failures_free(f, n);
    assert_string_equal(kbj_test_status(fx->eng, id), "failed");

    /* paging: offset past the end is empty; limit out of range is refused */
    assert_int_equal(kbj_failures_list(fx->eng, 10, 1, &f, &n), KBJ_OK);
    assert_int_equal(n, 0);
    kbj_failures_free(f, n);
    assert_int_equal(kbj_failures_list(fx->eng, 1001, 0, &f, &n), KBJ_EINVAL);
    assert_null(f);
}

static void the_cap_evicts_the_oldest_and_counts_evictions(void **state)
{
    fixture *fx = *state;
    char ids[6][17];
    kbj_failure *f = NULL;
    size_t n = 0;
    unsigned long long evicted = 99;

    fx->eng->cfg.failure_cap = 3;
    for (int i = 0; i < 5; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "failure %d", i);
        fail_one(fx, "capped", msg, ids[i]);
    }
    assert_int_equal(entries(fx->eng, &evicted), 3);
    assert_int_equal(evicted, 2);

    /* newest first: the last three failures are kept */
    assert_int_equal(kbj_failures_list(fx->eng, 10, 0, &f, &n), KBJ_OK);
    assert_int_equal(n, 3);
    assert_string_equal(f[0].job_id, ids[4]);
    assert_string_equal(f[1].job_id, ids[3]);
    assert_string_equal(f[2].job_id, ids[2]);
    assert_string_equal(f[0].message, "failure 4");
    kbj_failures_free(f, n);

    /* paging through them */
    assert_int_equal(kbj_failures_list(fx->eng, 2, 1, &f, &n), KBJ_OK);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].job_id, ids[3]);
    assert_string_equal(f[1].job_id, ids[2]);
    kbj_failures_free(f, n);

    /* evicted entries' jobs keep their failed status */
    assert_string_equal(kbj_test_status(fx->eng, ids[0]), "failed");
    assert_string_equal(kbj_test_status(fx->eng, ids[1]), "failed");

    /* the count keeps adding up */
    fail_one(fx, "capped", "failure 5", ids[5]);
    assert_int_equal(entries(fx->eng, &evicted), 3);
    assert_int_equal(evicted, 3);
    assert_false(has_entry(fx->eng, ids[2]));
    assert_true(has_entry(fx->eng, ids[5]));
}

/* Reads a job's attempts and whether it is due now, by the database clock. */
static void job_state(kbj_engine *eng, const char *id, int *attempts, int *due)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT attempts FROM {p}kbjobs_jobs WHERE public_id = '%s'", id);
    *attempts = (int)kbj_test_int(eng, sql);
    snprintf(sql, sizeof sql, "SELECT run_at <= NOW(6) AND finished_at IS NULL FROM {p}kbjobs_jobs"
             " WHERE public_id = '%s'", id);
    *due = (int)kbj_test_int(eng, sql);
}

static void resubmit_requeues_now_and_removes_the_entry(void **state)
{
    fixture *fx = *state;
    static const char *const queues[] = { "fail" };
    char a[17], b[17], c[17], evicted_id[17];
    const char *one[1], *bulk[4];
    size_t done = 99;
    int attempts = -1, due = 0;
    kbj_lease *l = NULL;
    size_t n = 0;

    fail_one(fx, "resub", "a broke", evicted_id);
    fail_one(fx, "resub", "a broke", a);
    fail_one(fx, "resub", "b broke", b);
    fail_one(fx, "resub", "c broke", c);
    /* evict the first by lowering the cap */
    fx->eng->cfg.failure_cap = 3;
    {
        char d[17];
        fail_one(fx, "resub", "d broke", d);
        assert_int_equal(entries(fx->eng, NULL), 3);
        assert_false(has_entry(fx->eng, evicted_id));
        assert_false(has_entry(fx->eng, a)); /* a is evicted too: cap 3, five failures */
        /* make room again so the rest of the test works on a, b, c */
        fx->eng->cfg.failure_cap = 50;
        one[0] = d;
        assert_int_equal(kbj_failures_delete(fx->eng, one, 1, &done), KBJ_OK);
        assert_int_equal(done, 1);
    }
    /* a has no entry now: re-fail it into the log through resume */
    assert_int_equal(kbj_job_resume(fx->eng, a), KBJ_OK);
    assert_int_equal(kbj_claim(fx->eng, fx->runner, queues, 1, 1, &l, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(l->id, a);
    assert_int_equal(kbj_fail_job(fx->eng, l, "a broke again", 0, NULL), KBJ_OK);
    kbj_leases_free(l, n);
    assert_int_equal(entries(fx->eng, NULL), 3); /* a, b, c */

    /* single */
    one[0] = b;
    assert_int_equal(kbj_failures_resubmit(fx->eng, one, 1, &done), KBJ_OK);
    assert_int_equal(done, 1);
    assert_false(has_entry(fx->eng, b));
    assert_string_equal(kbj_test_status(fx->eng, b), "queued");
    job_state(fx->eng, b, &attempts, &due);
    assert_int_equal(attempts, 0);
    assert_true(due);
    /* it can be claimed straight away and runs as attempt 1 */
    assert_int_equal(kbj_claim(fx->eng, fx->runner, queues, 1, 1, &l, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(l->id, b);
    assert_int_equal(l->attempts, 1);
    assert_int_equal(kbj_complete(fx->eng, l, NULL), KBJ_OK);
    kbj_leases_free(l, n);

    /* again: no entry any more, so nothing is done */
    assert_int_equal(kbj_failures_resubmit(fx->eng, one, 1, &done), KBJ_OK);
    assert_int_equal(done, 0);
    assert_string_equal(kbj_test_status(fx->eng, b), "completed");

    /* bulk, with an unknown id and a job whose entry was evicted: both skipped */
    bulk[0] = a;
    bulk[1] = "0123456789abcdef";
    bulk[2] = c;
    bulk[3] = evicted_id;
    assert_int_equal(kbj_failures_resubmit(fx->eng, bulk, 4, &done), KBJ_OK);
    assert_int_equal(done, 2);
    assert_int_equal(entries(fx->eng, NULL), 0);
    assert_string_equal(kbj_test_status(fx->eng, a), "queued");
    assert_string_equal(kbj_test_status(fx->eng, c), "queued");
    job_state(fx->eng, a, &attempts, &due);
    assert_int_equal(attempts, 0);
    assert_true(due);
    assert_string_equal(kbj_test_status(fx->eng, evicted_id), "failed");

    /* no ids: nothing to do */
    assert_int_equal(kbj_failures_resubmit(fx->eng, NULL, 0, &done), KBJ_OK);
    assert_int_equal(done, 0);
}

static void a_resubmitted_job_that_fails_again_gets_a_fresh_entry(void **state)
{
    fixture *fx = *state;
    static const char *const queues[] = { "fail" };
    char id[17];
    const char *ids[1];
    kbj_lease *l = NULL;
    kbj_failure *f = NULL;
    size_t n = 0, done = 0;

    fail_one(fx, "again", "first time", id);
    ids[0] = id;
    assert_int_equal(kbj_failures_resubmit(fx->eng, ids, 1, &done), KBJ_OK);
    assert_int_equal(done, 1);
    assert_int_equal(kbj_claim(fx->eng, fx->runner, queues, 1, 1, &l, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_int_equal(kbj_fail_job(fx->eng, l, "second time", 1, NULL), KBJ_OK);
    kbj_leases_free(l, n);
    assert_int_equal(kbj_failures_list(fx->eng, 10, 0, &f, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].job_id, id);
    assert_string_equal(f[0].message, "second time");
    assert_int_equal(f[0].attempts, 1);
    kbj_failures_free(f, n);
}

static void delete_removes_the_entry_and_the_job_stays_failed(void **state)
{
    fixture *fx = *state;
    char a[17], b[17], c[17];
    const char *one[1], *bulk[3];
    size_t done = 99;
    unsigned long long evicted = 99;

    fail_one(fx, "del", "a", a);
    fail_one(fx, "del", "b", b);
    fail_one(fx, "del", "c", c);

    one[0] = a;
    assert_int_equal(kbj_failures_delete(fx->eng, one, 1, &done), KBJ_OK);
    assert_int_equal(done, 1);
    assert_false(has_entry(fx->eng, a));
    assert_string_equal(kbj_test_status(fx->eng, a), "failed");
    assert_int_equal(entries(fx->eng, &evicted), 2);
    assert_int_equal(evicted, 0); /* deletions are not evictions */

    bulk[0] = b;
    bulk[1] = a; /* already gone */
    bulk[2] = c;
    assert_int_equal(kbj_failures_delete(fx->eng, bulk, 3, &done), KBJ_OK);
    assert_int_equal(done, 2);
    assert_int_equal(entries(fx->eng, NULL), 0);
    assert_string_equal(kbj_test_status(fx->eng, b), "failed");
    assert_string_equal(kbj_test_status(fx->eng, c), "failed");
    assert_int_equal(kbj_test_int(fx->eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'failed'"), 3);
}

static void invalid_ids_are_refused_and_nothing_changes(void **state)
{
    fixture *fx = *state;
    char a[17];
    const char *bad[3];
    const char **many;
    size_t done = 99;

    fail_one(fx, "inval", "a", a);
    bad[0] = a;
    bad[1] = "0123456789ABCDEF"; /* upper case is not a public id */
    bad[2] = "x";
    assert_int_equal(kbj_failures_resubmit(fx->eng, bad, 3, &done), KBJ_EINVAL);
    assert_int_equal(done, 0);
    assert_non_null(strstr(kbj_errmsg(fx->eng), "0123456789ABCDEF"));
    assert_int_equal(kbj_failures_delete(fx->eng, bad, 3, &done), KBJ_EINVAL);
    assert_int_equal(done, 0);
    bad[1] = NULL;
    assert_int_equal(kbj_failures_resubmit(fx->eng, bad, 2, &done), KBJ_EINVAL);
    assert_int_equal(kbj_failures_delete(fx->eng, bad, 2, &done), KBJ_EINVAL);
    bad[1] = "0123456789abcdef0"; /* too long */
    assert_int_equal(kbj_failures_delete(fx->eng, bad, 2, &done), KBJ_EINVAL);
    bad[1] = "0123456789abcde'"; /* an injection attempt */
    assert_int_equal(kbj_failures_delete(fx->eng, bad, 2, &done), KBJ_EINVAL);
    assert_int_equal(kbj_failures_resubmit(fx->eng, NULL, 1, &done), KBJ_EINVAL);

    /* more than 1000 at once */
    many = calloc(1001, sizeof *many);
    assert_non_null(many);
    for (size_t i = 0; i < 1001; i++)
        many[i] = a;
    assert_int_equal(kbj_failures_delete(fx->eng, many, 1001, &done), KBJ_EINVAL);
    assert_int_equal(kbj_failures_resubmit(fx->eng, many, 1001, &done), KBJ_EINVAL);
    /* exactly 1000 (all the same job) is fine */
    assert_int_equal(kbj_failures_delete(fx->eng, many, 1000, &done), KBJ_OK);
    assert_int_equal(done, 1);
    free(many);
    assert_false(has_entry(fx->eng, a));
    assert_string_equal(kbj_test_status(fx->eng, a), "failed");

    /* before that last call, nothing had changed */
    fail_one(fx, "inval", "b", a);
    bad[0] = a;
    bad[1] = "nope";
    assert_int_equal(kbj_failures_resubmit(fx->eng, bad, 2, &done), KBJ_EINVAL);
    assert_true(has_entry(fx->eng, a));
    assert_string_equal(kbj_test_status(fx->eng, a), "failed");
    assert_int_equal(kbj_failures_count(NULL, NULL, NULL), KBJ_EINVAL);
}

static size_t open_alerts(kbj_engine *eng, kbj_alert **out)
{
    kbj_alert *a = NULL;
    size_t n = 0;
    if (kbj_alerts_list(eng, &a, &n) != KBJ_OK)
        fail_msg("alerts: %s", kbj_errmsg(eng));
    if (out)
        *out = a;
    else
        kbj_alerts_free(a, n);
    return n;
}

static void repeated_failures_of_a_type_raise_one_alert(void **state)
{
    fixture *fx = *state;
    char id[17];
    kbj_alert *a = NULL;
    size_t n;

    fx->eng->cfg.alert_threshold = 3;
    fx->eng->cfg.alert_window_seconds = 600;
    fail_one(fx, "flaky", "boom 1", id);
    fail_one(fx, "flaky", "boom 2", id);
    fail_one(fx, "other", "unrelated", id);
    fail_one(fx, "other", "unrelated", id);
    assert_int_equal(open_alerts(fx->eng, NULL), 0);

    fail_one(fx, "flaky", "boom 3", id);
    n = open_alerts(fx->eng, &a);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].type, "flaky");
    assert_int_equal(a[0].failures, 3);
    assert_int_equal(a[0].window_seconds, 600);
    assert_true(a[0].id > 0);
    assert_true(a[0].created_at > 0);
    assert_non_null(strstr(a[0].message, "flaky"));
    assert_non_null(strstr(a[0].message, "boom 3"));
    kbj_alerts_free(a, n);

    /* more failures within the window do not raise another */
    fail_one(fx, "flaky", "boom 4", id);
    fail_one(fx, "flaky", "boom 5", id);
    assert_int_equal(open_alerts(fx->eng, NULL), 1);
    assert_int_equal(kbj_test_int(fx->eng, "SELECT COUNT(*) FROM {p}kbjobs_alerts"), 1);
}

static void failures_outside_the_window_do_not_count(void **state)
{
    fixture *fx = *state;
    char id[17];

    fx->eng->cfg.alert_threshold = 3;
    fx->eng->cfg.alert_window_seconds = 60;
    fail_one(fx, "slow.flaky", "old 1", id);
    fail_one(fx, "slow.flaky", "old 2", id);
    kbj_test_exec(fx->eng, "UPDATE {p}kbjobs_jobs SET finished_at = NOW(6) - INTERVAL 2 MINUTE");
    fail_one(fx, "slow.flaky", "new 1", id);
    fail_one(fx, "slow.flaky", "new 2", id);
    assert_int_equal(open_alerts(fx->eng, NULL), 0);
    fail_one(fx, "slow.flaky", "new 3", id);
    assert_int_equal(open_alerts(fx->eng, NULL), 1);
}

static void an_acknowledged_alert_leaves_the_list(void **state)
{
    fixture *fx = *state;
    char id[17];
    kbj_alert *a = NULL;
    long long alert_id;
    size_t n;

    fx->eng->cfg.alert_threshold = 2;
    fail_one(fx, "acked", "x", id);
    fail_one(fx, "acked", "y", id);
    n = open_alerts(fx->eng, &a);
    assert_int_equal(n, 1);
    alert_id = a[0].id;
    kbj_alerts_free(a, n);

    assert_int_equal(kbj_alert_ack(fx->eng, alert_id), KBJ_OK);
    assert_int_equal(open_alerts(fx->eng, NULL), 0);
    /* the record is kept, acknowledged */
    assert_int_equal(kbj_test_int(fx->eng, "SELECT COUNT(*) FROM {p}kbjobs_alerts WHERE acknowledged_at IS NOT NULL"), 1);
    /* acknowledging again, or an id that never existed, is not found */
    assert_int_equal(kbj_alert_ack(fx->eng, alert_id), KBJ_ENOTFOUND);
    assert_int_equal(kbj_alert_ack(fx->eng, alert_id + 1000), KBJ_ENOTFOUND);
    assert_non_null(strstr(kbj_errmsg(fx->eng), "alert"));
    assert_int_equal(kbj_alert_ack(fx->eng, -1), KBJ_ENOTFOUND);
}

/* Whether s is well-formed UTF-8 (no truncated sequences). */
static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int more = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
        if (more < 0)
            return 0;
        p++;
        for (int i = 0; i < more; i++, p++)
            if ((*p & 0xc0) != 0x80)
                return 0;
    }
    return 1;
}

static void an_alert_with_a_long_non_ascii_message_is_recorded(void **state)
{
    fixture *fx = *state;
    char id[17], msg[400];
    size_t off = 0;
    kbj_alert *a = NULL;
    size_t n;

    /* one ASCII byte, then two-byte characters: any clipping at an even byte count
     * would cut a character in half, which a utf8mb4 column refuses */
    msg[off++] = 'x';
    while (off + 2 < sizeof msg) {
        msg[off++] = (char)0xc3;
        msg[off++] = (char)0xa9; /* é */
    }
    msg[off] = '\0';
    fx->eng->cfg.alert_threshold = 1;
    fail_one(fx, "unicode", msg, id);
    n = open_alerts(fx->eng, &a);
    assert_int_equal(n, 1);
    /* whatever was kept is whole characters */
    assert_true(strlen(a[0].message) > 0);
    assert_true(valid_utf8(a[0].message));
    kbj_alerts_free(a, n);
    assert_true(has_entry(fx->eng, id));
}

static void a_failure_message_is_kept_even_when_long_or_not_utf8(void **state)
{
    fixture *fx = *state;
    static char msg[6001];
    char id[17];
    kbj_failure *f = NULL;
    size_t n = 0;

    /* 6,000 bytes of two-byte characters: longer than the 4 KiB kept per attempt, so it
     * is clipped, and must be clipped between characters */
    for (int i = 0; i < 3000; i++) {
        msg[2 * i] = (char)0xc3;
        msg[2 * i + 1] = (char)0xa9;
    }
    msg[6000] = '\0';
    fail_one(fx, "long.message", msg, id);
    assert_string_equal(kbj_test_status(fx->eng, id), "failed");
    assert_int_equal(kbj_failures_list(fx->eng, 10, 0, &f, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_true(strlen(f[0].message) >= 2000 && strlen(f[0].message) <= 4096);
    assert_true(valid_utf8(f[0].message));
    kbj_failures_free(f, n);

    /* bytes that are not UTF-8 (a server's Latin-1 error text) still fail the job */
    fail_one(fx, "latin1.message", "r\xe9ponse invalide: \xff", id);
    assert_string_equal(kbj_test_status(fx->eng, id), "failed");
    assert_int_equal(kbj_failures_list(fx->eng, 1, 0, &f, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].job_id, id);
    assert_true(valid_utf8(f[0].message));
    assert_non_null(strstr(f[0].message, "ponse invalide"));
    kbj_failures_free(f, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_job_failing_its_last_attempt_gets_an_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(the_cap_evicts_the_oldest_and_counts_evictions, setup, teardown),
        cmocka_unit_test_setup_teardown(resubmit_requeues_now_and_removes_the_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(a_resubmitted_job_that_fails_again_gets_a_fresh_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(delete_removes_the_entry_and_the_job_stays_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_ids_are_refused_and_nothing_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(repeated_failures_of_a_type_raise_one_alert, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_outside_the_window_do_not_count, setup, teardown),
        cmocka_unit_test_setup_teardown(an_acknowledged_alert_leaves_the_list, setup, teardown),
        cmocka_unit_test_setup_teardown(an_alert_with_a_long_non_ascii_message_is_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failure_message_is_kept_even_when_long_or_not_utf8, setup, teardown),
    };
    return cmocka_run_group_tests_name("failures", tests, NULL, NULL);
}
