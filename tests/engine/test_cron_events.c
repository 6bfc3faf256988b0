/* WP-Cron events (cron_events.c) against the real MariaDB: core's single-event window
 * at its edges, recurring replacement, exact imports, unschedule and clear with their
 * counts, every list filter, the operator's changes and their refusals, the checks with
 * messages naming the field, and two connections scheduling the same event at the same
 * instant (one row, 100 rounds). Run state (a lease, a retry, a failure streak) is what
 * the claims set: here it is set with SQL. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "kbj_cron.h"

#define NOW 2000000000LL   /* the caller's clock for the window: any fixed time works */
#define KEY_A "0123456789abcdef0123456789abcdef"
#define KEY_B "fedcba9876543210fedcba9876543210"

static int setup(void **state)
{
    kbj_engine *eng = kbj_test_engine("kbt_cron_", 0);
    /* testutil empties the job tables; these are this module's */
    kbj_test_exec(eng, "DELETE FROM {p}kbjobs_cron_events");
    kbj_test_exec(eng, "DELETE FROM {p}kbjobs_cron_keys");
    kbj_test_exec(eng, "DELETE FROM {p}kbjobs_cron_runs");
    *state = eng;
    return 0;
}

static kbj_cron_event single(const char *hook, const char *key, long long ts)
{
    return (kbj_cron_event){ .hook = hook, .args_key = key, .next_run = ts };
}

static kbj_cron_event recurring(const char *hook, const char *key, long long ts, const char *schedule,
                                long long interval)
{
    return (kbj_cron_event){ .hook = hook, .args_key = key, .next_run = ts, .schedule = schedule,
                             .interval = interval };
}

/* Schedules and fails the test unless it is accepted; returns the id. */
static unsigned long long add(kbj_engine *eng, kbj_cron_event ev, kbj_cron_mode mode)
{
    unsigned long long id = 0;
    if (kbj_cron_schedule(eng, &ev, mode, NOW, &id) != KBJ_OK)
        fail_msg("schedule %s at %lld: %s", ev.hook, ev.next_run, kbj_errmsg(eng));
    assert_true(id > 0);
    return id;
}

static long long rows_of(kbj_engine *eng, const char *hook)
{
    char sql[320];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM {p}kbjobs_cron_events WHERE hook = '%s'", hook);
    return kbj_test_int(eng, sql);
}

static void exec_fmt(kbj_engine *eng, const char *fmt, unsigned long long id)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, id);
    kbj_test_exec(eng, sql);
}

static kbj_cron_info get(kbj_engine *eng, unsigned long long id)
{
    kbj_cron_info v;
    if (kbj_cron_get(eng, id, &v) != KBJ_OK)
        fail_msg("get %llu: %s", id, kbj_errmsg(eng));
    return v;
}

/* ---- the single-event window ------------------------------------------------------ */

/* With one single event of a fresh hook at `existing`, whether a single event at `ts`
 * is refused (1: KBJ_ECONFLICT naming the existing one) or added (0). */
static int refused(kbj_engine *eng, long long existing, long long ts)
{
    static int round;
    char hook[32];
    unsigned long long first, id = 0;
    kbj_cron_event ev;
    int rc;

    snprintf(hook, sizeof hook, "window_%d", ++round);
    first = add(eng, single(hook, KEY_A, existing), KBJ_CRON_SINGLE);
    ev = single(hook, KEY_A, ts);
    rc = kbj_cron_schedule(eng, &ev, KBJ_CRON_SINGLE, NOW, &id);
    if (rc == KBJ_ECONFLICT) {
        assert_int_equal(id, first);
        assert_non_null(strstr(kbj_errmsg(eng), "duplicate single event"));
        assert_int_equal(rows_of(eng, hook), 1);
        return 1;
    }
    if (rc != KBJ_OK)
        fail_msg("schedule: %s", kbj_errmsg(eng));
    assert_true(id != first);
    assert_int_equal(rows_of(eng, hook), 2);
    return 0;
}

static void the_window_is_600_seconds_either_side_bounds_included(void **state)
{
    kbj_engine *eng = *state;
    long long ts = NOW + 3600;

    assert_true(refused(eng, ts, ts));
    assert_true(refused(eng, ts, ts - 599));
    assert_true(refused(eng, ts, ts - 600));
    assert_false(refused(eng, ts, ts - 601));
    assert_true(refused(eng, ts, ts + 599));
    assert_true(refused(eng, ts, ts + 600));
    assert_false(refused(eng, ts, ts + 601));
}

static void a_past_due_event_is_refused_by_any_event_up_to_now_plus_600(void **state)
{
    kbj_engine *eng = *state;
    long long ts = NOW - 5000;  /* min 0, max now + 600 */

    assert_true(refused(eng, 1, ts));
    assert_true(refused(eng, NOW - 86400 * 365, ts));
    assert_true(refused(eng, NOW + 600, ts));
    assert_false(refused(eng, NOW + 601, ts));
}

static void an_event_due_within_ten_minutes_looks_back_to_zero(void **state)
{
    kbj_engine *eng = *state;
    long long ts = NOW + 300;   /* min 0, max ts + 600 */

    assert_true(refused(eng, 1, ts));
    assert_true(refused(eng, ts + 600, ts));
    assert_false(refused(eng, ts + 601, ts));
    /* from now + 600 on, an event's window starts 600 s before it */
    assert_true(refused(eng, NOW - 1000, NOW + 599));
    assert_true(refused(eng, NOW, NOW + 600));
    assert_false(refused(eng, NOW - 1, NOW + 600));
}

static void an_event_far_in_the_future_has_its_own_window(void **state)
{
    kbj_engine *eng = *state;
    long long ts = NOW + 10LL * 365 * 86400;

    assert_false(refused(eng, NOW, ts));
    assert_false(refused(eng, ts - 601, ts));
    assert_true(refused(eng, ts - 600, ts));
    assert_true(refused(eng, ts + 600, ts));
}

static void other_arguments_and_other_hooks_are_other_events(void **state)
{
    kbj_engine *eng = *state;
    kbj_cron_event ev;
    unsigned long long id;

    add(eng, single("same", KEY_A, NOW + 60), KBJ_CRON_SINGLE);
    add(eng, single("same", KEY_B, NOW + 60), KBJ_CRON_SINGLE);
    /* hooks compare byte for byte, as PHP's array keys: case counts, and two emoji are
     * not the same character (utf8mb4_unicode_ci says they are) */
    add(eng, single("Same", KEY_A, NOW + 60), KBJ_CRON_SINGLE);
    add(eng, single("h\xf0\x9f\x98\x80", KEY_A, NOW + 60), KBJ_CRON_SINGLE);
    add(eng, single("h\xf0\x9f\x98\x8e", KEY_A, NOW + 60), KBJ_CRON_SINGLE);
    ev = single("h\xf0\x9f\x98\x8e", KEY_A, NOW + 61);
    assert_int_equal(kbj_cron_schedule(eng, &ev, KBJ_CRON_SINGLE, NOW, &id), KBJ_ECONFLICT);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events"), 5);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_keys"), 5);
}

static void a_single_event_being_run_does_not_block_the_next_one(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long first = add(eng, single("run", KEY_A, NOW - 10), KBJ_CRON_SINGLE);

    /* claimed: core unscheduled it before running it, so it is not in the way */
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET run_of = next_run, due_at = NULL WHERE id = %llu", first);
    assert_true(add(eng, single("run", KEY_A, NOW), KBJ_CRON_SINGLE) != first);
}

/* ---- recurring and exact ------------------------------------------------------------ */

static void a_recurring_event_at_the_same_time_replaces_and_at_another_time_adds(void **state)
{
    kbj_engine *eng = *state;
    kbj_cron_event ev = recurring("rec", KEY_A, NOW, "hourly", 3600);
    unsigned long long first, again, other;
    kbj_cron_info a, b;

    ev.args_json = "[1]";
    first = add(eng, ev, KBJ_CRON_RECURRING);
    a = get(eng, first);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_cron_events SET created_at = created_at - INTERVAL 1 DAY");
    ev = recurring("rec", KEY_A, NOW, "daily", 86400);
    ev.args_json = "[2]";
    ev.args_php = "p\0q";
    ev.args_php_len = 3;
    ev.max_attempts = 3;
    ev.retry_seconds = 30;
    ev.parallel = 1;
    again = add(eng, ev, KBJ_CRON_RECURRING);
    assert_int_equal(again, first);
    b = get(eng, first);
    assert_string_equal(b.schedule, "daily");
    assert_int_equal(b.interval, 86400);
    assert_string_equal(b.args_json, "[2]");
    assert_int_equal(b.args_php_len, 3);
    assert_memory_equal(b.args_php, "p\0q", 3);
    assert_int_equal(b.max_attempts, 3);
    assert_int_equal(b.retry_seconds, 30);
    assert_true(b.parallel);
    assert_int_equal(b.next_run, NOW);
    assert_true(b.created_at < a.created_at - 86000); /* kept, not made again */
    assert_true(b.updated_at >= a.updated_at);
    other = add(eng, recurring("rec", KEY_A, NOW + 1, "hourly", 3600), KBJ_CRON_RECURRING);
    assert_true(other != first);
    assert_int_equal(rows_of(eng, "rec"), 2);
    kbj_cron_info_clear(&a);
    kbj_cron_info_clear(&b);
}

static void a_recurring_event_keeps_an_operators_pause_when_scheduled_again(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long id = add(eng, recurring("pause", KEY_A, NOW, "hourly", 3600), KBJ_CRON_RECURRING);
    kbj_cron_change c = { .set_paused = 1, .paused = 1 };
    kbj_cron_info v;

    assert_int_equal(kbj_cron_update(eng, id, &c), KBJ_OK);
    assert_int_equal(add(eng, recurring("pause", KEY_A, NOW, "hourly", 3600), KBJ_CRON_RECURRING), id);
    v = get(eng, id);
    assert_true(v.paused);
    kbj_cron_info_clear(&v);
}

static void a_recurring_event_blocks_a_single_one_in_its_window_as_in_core(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long rec = add(eng, recurring("mix", KEY_A, NOW + 1000, "hourly", 3600), KBJ_CRON_RECURRING);
    kbj_cron_event ev = single("mix", KEY_A, NOW + 1500);
    unsigned long long id = 0, one;
    kbj_cron_info v;

    assert_int_equal(kbj_cron_schedule(eng, &ev, KBJ_CRON_SINGLE, NOW, &id), KBJ_ECONFLICT);
    assert_int_equal(id, rec);
    /* and a recurring event at a single event's time replaces it (core's array has one
     * entry per time, hook and args) */
    one = add(eng, single("mix2", KEY_A, NOW + 50), KBJ_CRON_SINGLE);
    assert_int_equal(add(eng, recurring("mix2", KEY_A, NOW + 50, "hourly", 3600), KBJ_CRON_RECURRING), one);
    v = get(eng, one);
    assert_string_equal(v.schedule, "hourly");
    kbj_cron_info_clear(&v);
    /* but a recurring event beside a single one in the window is allowed */
    assert_true(add(eng, recurring("mix2", KEY_A, NOW + 51, "hourly", 3600), KBJ_CRON_RECURRING) != one);
}

static void exact_imports_are_idempotent_and_refuse_nothing(void **state)
{
    kbj_engine *eng = *state;
    kbj_cron_event list[] = {
        single("imp", KEY_A, NOW - 100),
        single("imp", KEY_A, NOW - 50),         /* inside the first one's window: kept */
        recurring("imp", KEY_A, NOW, "hourly", 3600),
        recurring("imp", KEY_B, NOW, "daily", 86400),
    };
    unsigned long long first[4], second[4];

    list[3].paused = 1;
    for (int i = 0; i < 4; i++)
        first[i] = add(eng, list[i], KBJ_CRON_EXACT);
    for (int i = 0; i < 4; i++)
        second[i] = add(eng, list[i], KBJ_CRON_EXACT);
    assert_memory_equal(first, second, sizeof first);
    assert_int_equal(rows_of(eng, "imp"), 4);
    assert_int_equal(kbj_test_int(eng, "SELECT SUM(paused) FROM {p}kbjobs_cron_events"), 1);
}

/* ---- unschedule and clear ------------------------------------------------------------ */

static void unschedule_deletes_exactly_the_event_with_that_time(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long n = 9;

    add(eng, recurring("un", KEY_A, NOW, "hourly", 3600), KBJ_CRON_RECURRING);
    add(eng, recurring("un", KEY_A, NOW + 1, "hourly", 3600), KBJ_CRON_RECURRING);
    add(eng, recurring("un", KEY_B, NOW, "hourly", 3600), KBJ_CRON_RECURRING);
    add(eng, recurring("un2", KEY_A, NOW, "hourly", 3600), KBJ_CRON_RECURRING);
    assert_int_equal(kbj_cron_unschedule(eng, "un", KEY_A, NOW, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_int_equal(kbj_cron_unschedule(eng, "un", KEY_A, NOW, &n), KBJ_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rows_of(eng, "un"), 2);
    assert_int_equal(rows_of(eng, "un2"), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events WHERE hook = 'un'"
                                       " AND args_key = '" KEY_A "' AND next_run = 2000000001"), 1);
}

static void clear_with_args_deletes_those_and_without_args_every_one_of_the_hook(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long n = 9, hidden;

    add(eng, single("clr", KEY_A, NOW + 1000), KBJ_CRON_SINGLE);
    add(eng, single("clr", KEY_A, NOW + 5000), KBJ_CRON_SINGLE);
    add(eng, recurring("clr", KEY_A, NOW, "hourly", 3600), KBJ_CRON_RECURRING);
    add(eng, single("clr", KEY_B, NOW), KBJ_CRON_SINGLE);
    add(eng, single("clr", KEY_B, NOW + 7000), KBJ_CRON_SINGLE);
    hidden = add(eng, single("clr", KEY_B, NOW + 9000), KBJ_CRON_SINGLE);
    add(eng, single("clr_other", KEY_A, NOW), KBJ_CRON_SINGLE);
    /* a single event being run is no longer core's: clearing leaves it to finish */
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET run_of = next_run WHERE id = %llu", hidden);

    assert_int_equal(kbj_cron_clear(eng, "clr", KEY_A, &n), KBJ_OK);
    assert_int_equal(n, 3);
    assert_int_equal(kbj_cron_clear(eng, "clr", KEY_A, &n), KBJ_OK);
    assert_int_equal(n, 0);
    assert_int_equal(kbj_cron_clear(eng, "clr", NULL, &n), KBJ_OK);
    assert_int_equal(n, 2);
    assert_int_equal(kbj_cron_clear(eng, "clr", NULL, &n), KBJ_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rows_of(eng, "clr"), 1);       /* the hidden one */
    assert_int_equal(rows_of(eng, "clr_other"), 1);
    assert_int_equal(kbj_cron_clear(eng, "nothing_here", NULL, &n), KBJ_OK);
    assert_int_equal(n, 0);
}

/* ---- reading ----------------------------------------------------------------------- */

/* The hooks a filter lists, comma-separated, into a static buffer. */
static const char *listed(kbj_engine *eng, kbj_cron_filter f)
{
    static char out[1024];
    kbj_cron_info *v = NULL;
    size_t n = 0, off = 0;
    if (kbj_cron_list(eng, &f, &v, &n) != KBJ_OK)
        fail_msg("list: %s", kbj_errmsg(eng));
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(out + off, sizeof out - off, "%s%s", i ? "," : "", v[i].hook);
    kbj_cron_info_free(v, n);
    return out;
}

static void every_filter_narrows_the_list(void **state)
{
    kbj_engine *eng = *state;
    long long db = kbj_test_int(eng, "SELECT UNIX_TIMESTAMP()");
    unsigned long long a, b, c, d, e, f;
    kbj_cron_event ev;

    a = add(eng, single("a_b", KEY_A, db + 3000), KBJ_CRON_SINGLE);
    b = add(eng, single("axb", KEY_A, db - 100), KBJ_CRON_SINGLE);           /* due */
    c = add(eng, single("a%", KEY_B, db + 2000), KBJ_CRON_SINGLE);
    d = add(eng, recurring("A_b", KEY_A, db - 50, "hourly", 3600), KBJ_CRON_RECURRING);   /* due */
    ev = single("hidden", KEY_A, db - 200);
    e = add(eng, ev, KBJ_CRON_SINGLE);
    ev = single("paused", KEY_A, db - 300);
    ev.paused = 1;
    f = add(eng, ev, KBJ_CRON_SINGLE);
    /* a single event being run: hidden from core's API, and not due (due_at NULL) */
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET run_of = next_run, due_at = NULL WHERE id = %llu", e);

    assert_string_equal(listed(eng, (kbj_cron_filter){ 0 }), "paused,hidden,axb,A_b,a%,a_b");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .order_by_id = 1 }), "a_b,axb,a%,A_b,hidden,paused");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .visible_only = 1 }), "paused,axb,A_b,a%,a_b");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .due_only = 1 }), "axb,A_b");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .id = c }), "a%");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .hook = "a_b" }), "a_b");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .hook = "a_b", .args_key = KEY_B }), "");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .hook = "a%", .args_key = KEY_B }), "a%");
    /* LIKE's metacharacters match themselves, and the prefix is case-sensitive */
    assert_string_equal(listed(eng, (kbj_cron_filter){ .hook_prefix = "a_" }), "a_b");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .hook_prefix = "a%" }), "a%");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .hook_prefix = "a" }), "axb,a%,a_b");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .hook_prefix = "A" }), "A_b");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .after_id = b, .order_by_id = 1, .limit = 2 }), "a%,A_b");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .after_id = d, .order_by_id = 1 }), "hidden,paused");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .limit = 1 }), "paused");
    (void)a;
    (void)f;
}

static void get_returns_every_field_and_running_is_a_live_lease(void **state)
{
    kbj_engine *eng = *state;
    kbj_cron_event ev = recurring("full", KEY_A, NOW, "hourly", 3600);
    long long db = kbj_test_int(eng, "SELECT UNIX_TIMESTAMP()");
    unsigned long long id;
    kbj_cron_info v;

    ev.args_json = "{\"k\":[1,2]}";
    ev.args_php = "a:0:{}\0x";
    ev.args_php_len = 8;
    ev.max_attempts = 4;
    ev.retry_seconds = 120;
    id = add(eng, ev, KBJ_CRON_RECURRING);
    v = get(eng, id);
    assert_int_equal(v.id, id);
    assert_string_equal(v.hook, "full");
    assert_string_equal(v.args_key, KEY_A);
    assert_string_equal(v.args_json, "{\"k\":[1,2]}");
    assert_int_equal(v.args_php_len, 8);
    assert_memory_equal(v.args_php, "a:0:{}\0x", 8);
    assert_string_equal(v.schedule, "hourly");
    assert_int_equal(v.interval, 3600);
    assert_int_equal(v.next_run, NOW);
    assert_int_equal(v.due_at, NOW);
    assert_false(v.paused);
    assert_false(v.parallel);
    assert_int_equal(v.max_attempts, 4);
    assert_int_equal(v.retry_seconds, 120);
    assert_true(v.visible);
    assert_false(v.running);
    assert_int_equal(v.run_of, 0);
    assert_int_equal(v.attempt, 0);
    assert_int_equal(v.run_id, 0);
    assert_string_equal(v.runner, "");
    assert_true(v.last_run_at == 0);
    assert_string_equal(v.last_outcome, "");
    assert_int_equal(v.fail_streak, 0);
    assert_true(v.created_at >= db - 5 && v.created_at <= db + 5);
    assert_true(v.updated_at >= v.created_at);
    kbj_cron_info_clear(&v);

    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET run_of = next_run, due_at = NULL, attempt = 2, run_id = 77,"
                  " lease_owner = '0123456789abcdef', lease_token = 5, lease_expires = NOW(6) + INTERVAL 1 MINUTE,"
                  " last_run_at = '2030-01-02 03:04:05.5', last_outcome = 'failed', fail_streak = 3"
                  " WHERE id = %llu", id);
    v = get(eng, id);
    assert_true(v.running);
    assert_true(v.visible);         /* a recurring event stays visible while it runs */
    assert_int_equal(v.due_at, 0);
    assert_int_equal(v.run_of, NOW);
    assert_int_equal(v.attempt, 2);
    assert_int_equal(v.run_id, 77);
    assert_string_equal(v.runner, "0123456789abcdef");
    assert_true(v.last_run_at == 1893553445.5);
    assert_string_equal(v.last_outcome, "failed");
    assert_int_equal(v.fail_streak, 3);
    kbj_cron_info_clear(&v);

    /* an expired lease is a lost run waiting to be claimed again: not running */
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET lease_expires = NOW(6) - INTERVAL 1 SECOND WHERE id = %llu", id);
    v = get(eng, id);
    assert_false(v.running);
    assert_string_equal(v.runner, "");
    kbj_cron_info_clear(&v);

    assert_int_equal(kbj_cron_get(eng, id + 1000, &v), KBJ_ENOTFOUND);
    assert_non_null(strstr(kbj_errmsg(eng), "no cron event"));
    assert_null(v.hook);
    kbj_cron_info_clear(&v);    /* a cleared info may be cleared again */
}

static void counts_are_events_paused_due_running_and_failing(void **state)
{
    kbj_engine *eng = *state;
    long long db = kbj_test_int(eng, "SELECT UNIX_TIMESTAMP()");
    kbj_cron_counts c;
    kbj_cron_event ev;
    unsigned long long run, fail;

    assert_int_equal(kbj_cron_count(eng, &c), KBJ_OK);
    assert_int_equal(c.events + c.paused + c.due + c.running + c.failing, 0);
    add(eng, single("cnt", KEY_A, db - 100), KBJ_CRON_SINGLE);                    /* due */
    add(eng, single("cnt", KEY_B, db + 5000), KBJ_CRON_SINGLE);
    ev = single("cnt_p", KEY_A, db - 100);
    ev.paused = 1;
    add(eng, ev, KBJ_CRON_SINGLE);                                               /* paused, not due */
    run = add(eng, recurring("cnt_r", KEY_A, db - 10, "hourly", 3600), KBJ_CRON_RECURRING);
    fail = add(eng, recurring("cnt_f", KEY_A, db + 10, "hourly", 3600), KBJ_CRON_RECURRING);
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET due_at = NULL, lease_token = 1,"
                  " lease_expires = NOW(6) + INTERVAL 1 MINUTE WHERE id = %llu", run);
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET fail_streak = 2 WHERE id = %llu", fail);
    assert_int_equal(kbj_cron_count(eng, &c), KBJ_OK);
    assert_int_equal(c.events, 5);
    assert_int_equal(c.paused, 1);
    assert_int_equal(c.due, 1);
    assert_int_equal(c.running, 1);
    assert_int_equal(c.failing, 1);
}

/* ---- states, pages and bounded reads ------------------------------------------------- */

static void each_state_filter_reads_its_events_in_both_orders(void **state)
{
    kbj_engine *eng = *state;
    long long db = kbj_test_int(eng, "SELECT UNIX_TIMESTAMP()");
    unsigned long long run, fail, lost, idle;
    kbj_cron_event ev;

    idle = add(eng, single("st_idle", KEY_A, db + 5000), KBJ_CRON_SINGLE);
    add(eng, single("st_late", KEY_A, db - 100), KBJ_CRON_SINGLE);                         /* due */
    add(eng, single("st_later", KEY_A, db - 400), KBJ_CRON_SINGLE);                        /* due, first */
    ev = single("st_paused", KEY_A, db - 300);
    ev.paused = 1;
    add(eng, ev, KBJ_CRON_SINGLE);                                                          /* paused, not due */
    ev = single("st_paused2", KEY_A, db + 300);
    ev.paused = 1;
    add(eng, ev, KBJ_CRON_SINGLE);
    run = add(eng, recurring("st_run", KEY_A, db - 10, "hourly", 3600), KBJ_CRON_RECURRING);
    fail = add(eng, recurring("st_fail", KEY_A, db + 10, "hourly", 3600), KBJ_CRON_RECURRING);
    lost = add(eng, recurring("st_lost", KEY_A, db + 20, "hourly", 3600), KBJ_CRON_RECURRING);
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET due_at = NULL, lease_token = 1,"
                  " lease_expires = NOW(6) + INTERVAL 1 MINUTE WHERE id = %llu", run);
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET fail_streak = 2 WHERE id = %llu", fail);
    /* an expired lease is not running; a failing event that a retry made due is due */
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET fail_streak = 1, lease_token = 2, due_at = next_run - 1000,"
                  " lease_expires = NOW(6) - INTERVAL 1 SECOND WHERE id = %llu", lost);

    assert_string_equal(listed(eng, (kbj_cron_filter){ .state = KBJ_CRON_DUE }), "st_lost,st_later,st_late");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .due_only = 1 }), "st_lost,st_later,st_late");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .state = KBJ_CRON_PAUSED }), "st_paused,st_paused2");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .state = KBJ_CRON_RUNNING }), "st_run");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .state = KBJ_CRON_FAILING }), "st_fail,st_lost");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .state = KBJ_CRON_FAILING, .order_by_id = 1 }),
                        "st_fail,st_lost");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .state = KBJ_CRON_PAUSED, .order_by_id = 1,
                                                       .after_id = idle }), "st_paused,st_paused2");
    /* with the other filters */
    assert_string_equal(listed(eng, (kbj_cron_filter){ .state = KBJ_CRON_PAUSED, .hook_prefix = "st_paused2" }),
                        "st_paused2");
    assert_string_equal(listed(eng, (kbj_cron_filter){ .state = KBJ_CRON_DUE, .hook = "st_late" }), "st_late");
    /* refused: an unknown state, due_only with another state, a backward page without a cursor */
    {
        kbj_cron_info *v = NULL;
        size_t n = 9;
        kbj_cron_filter bad = { .state = (kbj_cron_state)9 };
        assert_int_equal(kbj_cron_list(eng, &bad, &v, &n), KBJ_EINVAL);
        assert_non_null(strstr(kbj_errmsg(eng), "state"));
        bad = (kbj_cron_filter){ .state = KBJ_CRON_PAUSED, .due_only = 1 };
        assert_int_equal(kbj_cron_list(eng, &bad, &v, &n), KBJ_EINVAL);
        bad = (kbj_cron_filter){ .backward = 1 };
        assert_int_equal(kbj_cron_list(eng, &bad, &v, &n), KBJ_EINVAL);
        assert_non_null(strstr(kbj_errmsg(eng), "cursor"));
        assert_null(v);
        assert_int_equal(n, 0);
    }
}

/* Pages of `limit` through the whole list, forward from the start and then backward
 * from the end, each page from the previous one's cursor: both walks must give every
 * event once, in the list's order. */
static void walk(kbj_engine *eng, kbj_cron_filter f, size_t limit, const char *want)
{
    char fwd[4096] = "", back[4096] = "", page[8192];
    kbj_cron_info *v = NULL;
    size_t n = 0, pages = 0;

    f.limit = limit;
    f.after_id = 0;
    for (;;) {
        assert_int_equal(kbj_cron_list(eng, &f, &v, &n), KBJ_OK);
        assert_true(n <= limit);
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(fwd);
            snprintf(fwd + len, sizeof fwd - len, "%s%llu", len ? "," : "", v[i].id);
        }
        if (n == 0 || ++pages > 100) {
            kbj_cron_info_free(v, n);
            break;
        }
        f.after_id = v[n - 1].id;
        f.after_time = f.state == KBJ_CRON_DUE ? v[n - 1].due_at : v[n - 1].next_run;
        kbj_cron_info_free(v, n);
    }
    assert_string_equal(fwd, want);
    /* backward from past the last row: a cursor beyond every event */
    f.backward = 1;
    f.after_id = ~0ULL >> 1;
    f.after_time = 9999999999LL;
    for (pages = 0;;) {
        assert_int_equal(kbj_cron_list(eng, &f, &v, &n), KBJ_OK);
        if (n == 0 || ++pages > 100) {
            kbj_cron_info_free(v, n);
            break;
        }
        page[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(page);
            snprintf(page + len, sizeof page - len, "%s%llu", len ? "," : "", v[i].id);
        }
        /* the page comes in the list's order: prepend it */
        snprintf(page + strlen(page), sizeof page - strlen(page), "%s%s", back[0] ? "," : "", back);
        assert_true(strlen(page) < sizeof back);
        memcpy(back, page, strlen(page) + 1);
        f.after_id = v[0].id;
        f.after_time = f.state == KBJ_CRON_DUE ? v[0].due_at : v[0].next_run;
        kbj_cron_info_free(v, n);
    }
    assert_string_equal(back, want);
}

static void a_cursor_pages_across_equal_next_runs_in_both_orders_and_both_directions(void **state)
{
    kbj_engine *eng = *state;
    long long db = kbj_test_int(eng, "SELECT UNIX_TIMESTAMP()");
    char want[1024] = "", by_id[1024] = "";
    unsigned long long id[9];
    /* three at one time, three at an earlier one, three at a later; some paused */
    long long times[9] = { db + 60, db + 60, db + 60, db - 60, db - 60, db - 60, db + 120, db + 120, db + 120 };
    static const int order[9] = { 3, 4, 5, 0, 1, 2, 6, 7, 8 };

    for (int i = 0; i < 9; i++) {
        char hook[16];
        kbj_cron_event ev;
        snprintf(hook, sizeof hook, "pg_%d", i);
        ev = single(hook, KEY_A, times[i]);
        ev.paused = i % 2;
        id[i] = add(eng, ev, KBJ_CRON_SINGLE);
        snprintf(by_id + strlen(by_id), sizeof by_id - strlen(by_id), "%s%llu", i ? "," : "", id[i]);
    }
    for (int i = 0; i < 9; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%llu", i ? "," : "", id[order[i]]);
    for (size_t limit = 1; limit <= 4; limit++) {
        walk(eng, (kbj_cron_filter){ 0 }, limit, want);
        walk(eng, (kbj_cron_filter){ .order_by_id = 1 }, limit, by_id);
    }
    /* paused ones (1, 3, 5, 7): by next_run then id */
    snprintf(want, sizeof want, "%llu,%llu,%llu,%llu", id[3], id[5], id[1], id[7]);
    walk(eng, (kbj_cron_filter){ .state = KBJ_CRON_PAUSED }, 1, want);
    walk(eng, (kbj_cron_filter){ .state = KBJ_CRON_PAUSED }, 3, want);
    /* due ones (4: not paused, in the past), by due_at */
    snprintf(want, sizeof want, "%llu", id[4]);
    walk(eng, (kbj_cron_filter){ .state = KBJ_CRON_DUE }, 2, want);
}

/* Events made with SQL, as the scale suite seeds them: `n` of a hook with times from
 * `first`, every `every`-th paused and failing. */
static void seed_events(kbj_engine *eng, const char *hook, int n, long long first, int every)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "INSERT INTO {p}kbjobs_cron_events (hook, args_key, args, args_php, next_run, due_at,"
             " paused, fail_streak, created_at, updated_at) SELECT '%s', MD5(s.seq), '[]', '', %lld + s.seq DIV 3,"
             " %lld + s.seq DIV 3, s.seq %% %d = 0, s.seq %% %d = 1, NOW(6), NOW(6) FROM seq_1_to_%d s",
             hook, first, first, every, every, n);
    kbj_test_exec(eng, sql);
    kbj_test_exec(eng, "ANALYZE TABLE {p}kbjobs_cron_events");
}

/* Rows the connection has read from any table or index so far. */
static long long handler_reads(kbj_engine *eng)
{
    kbj_rows *rows = NULL;
    long long sum = 0;
    assert_int_equal(kbj_store_query(eng->st, "SHOW SESSION STATUS LIKE 'Handler_read%'", NULL, 0, &rows), KBJ_OK);
    for (size_t i = 0; i < kbj_rows_count(rows); i++)
        sum += atoll(kbj_rows_str(rows, i, 1));
    kbj_rows_free(rows);
    return sum;
}

static void counts_are_exact_up_to_the_cap_then_estimated_and_flagged(void **state)
{
    kbj_engine *eng = *state;
    long long db = kbj_test_int(eng, "SELECT UNIX_TIMESTAMP()");
    kbj_cron_counts c;

    seed_events(eng, "cap", 2 * KBJ_CRON_COUNT_CAP, db + 1000, 2);     /* half paused, half failing */
    assert_int_equal(kbj_cron_count(eng, &c), KBJ_OK);
    /* above the cap: the table's size as its statistics say */
    assert_int_equal(c.events_estimated, 1);
    assert_true(c.events > KBJ_CRON_COUNT_CAP && c.events < 4 * KBJ_CRON_COUNT_CAP);
    assert_int_equal(c.paused, KBJ_CRON_COUNT_CAP);
    assert_int_equal(c.failing, KBJ_CRON_COUNT_CAP);
    assert_int_equal(c.due + c.running, 0);
    assert_int_equal(c.paused_estimated + c.failing_estimated + c.due_estimated + c.running_estimated, 0);

    seed_events(eng, "cap_many", 3000, db - 5000, 10);  /* 300 paused, 300 failing; 2700 due */
    assert_int_equal(kbj_cron_count(eng, &c), KBJ_OK);
    print_message("estimates: events %llu, paused %llu, due %llu, failing %llu\n", c.events, c.paused, c.due,
                  c.failing);
    assert_true(c.events_estimated && c.paused_estimated && c.due_estimated && c.failing_estimated);
    assert_false(c.running_estimated);
    assert_int_equal(c.running, 0);
    /* the table's size for all events, not a range's half */
    assert_true(c.events > 3100 / 2 + 200 && c.events < 3100 * 2);
    assert_true(c.paused > KBJ_CRON_COUNT_CAP && c.paused < 350 * 3);
    assert_true(c.failing > KBJ_CRON_COUNT_CAP && c.failing < 350 * 3);
    assert_true(c.due > KBJ_CRON_COUNT_CAP);
}

static void a_page_and_the_counts_read_a_page_of_rows_whatever_the_events(void **state)
{
    kbj_engine *eng = *state;
    long long db = kbj_test_int(eng, "SELECT UNIX_TIMESTAMP()");
    kbj_cron_state states[] = { KBJ_CRON_ANY, KBJ_CRON_DUE, KBJ_CRON_PAUSED, KBJ_CRON_RUNNING, KBJ_CRON_FAILING };
    long long base, reads;
    kbj_cron_counts c;

    /* 6000 events, half due; 1 in 50 paused, 1 in 50 failing; 30 running */
    seed_events(eng, "big", 6000, db - 1000, 50);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_cron_events SET due_at = NULL, lease_token = 1,"
                       " lease_expires = NOW(6) + INTERVAL 1 MINUTE WHERE id % 200 = 7");
    kbj_test_exec(eng, "ANALYZE TABLE {p}kbjobs_cron_events");
    base = handler_reads(eng);
    base = handler_reads(eng) - base;   /* what SHOW STATUS itself reads */
    for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
        for (int by_id = 0; by_id < 2; by_id++) {
            kbj_cron_filter f = { .state = states[s], .order_by_id = by_id, .limit = 20 };
            kbj_cron_info *v = NULL;
            size_t n = 0;
            /* the first page, then the one after it, then back */
            for (int step = 0; step < 3; step++) {
                long long before = handler_reads(eng);
                assert_int_equal(kbj_cron_list(eng, &f, &v, &n), KBJ_OK);
                reads = handler_reads(eng) - before - base;
                if (reads > 60)
                    fail_msg("state %d, order %s, step %d: %lld rows read for a page of 20", (int)states[s],
                             by_id ? "id" : "next_run", step, reads);
                assert_true(n > 0);
                f.backward = step == 1;
                f.after_id = step == 1 ? v[0].id : v[n - 1].id;
                f.after_time = states[s] == KBJ_CRON_DUE ? (step == 1 ? v[0].due_at : v[n - 1].due_at)
                                                         : (step == 1 ? v[0].next_run : v[n - 1].next_run);
                kbj_cron_info_free(v, n);
            }
        }
    }
    reads = handler_reads(eng);
    assert_int_equal(kbj_cron_count(eng, &c), KBJ_OK);
    reads = handler_reads(eng) - reads - base;
    print_message("counts: %lld rows read for 5 counts\n", reads);
    /* five counts of at most cap + 1 rows each, with their temporary tables */
    assert_true(reads <= 5 * 2 * (KBJ_CRON_COUNT_CAP + 3));
    assert_int_equal(c.running, 30);
    assert_true(c.events_estimated && c.due_estimated && c.paused_estimated && c.failing_estimated);
}

static void schedules_in_use_are_read_a_name_at_a_time_with_their_counts(void **state)
{
    kbj_engine *eng = *state;
    kbj_cron_schedule_use *u = NULL;
    size_t n = 0;
    int more = 1;
    long long before;

    add(eng, recurring("sch", KEY_A, NOW, "hourly", 3600), KBJ_CRON_RECURRING);
    add(eng, recurring("sch", KEY_B, NOW, "hourly", 3600), KBJ_CRON_RECURRING);
    add(eng, recurring("sch2", KEY_A, NOW, "daily", 86400), KBJ_CRON_RECURRING);
    add(eng, single("sch3", KEY_A, NOW), KBJ_CRON_SINGLE);
    assert_int_equal(kbj_cron_schedule_uses(eng, &u, &n, &more), KBJ_OK);
    assert_int_equal(n, 2);
    assert_int_equal(more, 0);
    assert_string_equal(u[0].name, "daily");
    assert_int_equal(u[0].events, 1);
    assert_string_equal(u[1].name, "hourly");
    assert_int_equal(u[1].events, 2);
    assert_false(u[0].estimated || u[1].estimated);
    free(u);

    /* many events of one schedule: the names still cost a read each, the count its cap */
    kbj_test_exec(eng, "INSERT INTO {p}kbjobs_cron_events (hook, args_key, args, args_php, schedule, interval_seconds,"
                       " next_run, due_at, created_at, updated_at) SELECT 'sch_many', MD5(s.seq), '[]', '', 'weekly',"
                       " 604800, 2000000000 + s.seq, 2000000000 + s.seq, NOW(6), NOW(6) FROM seq_1_to_3000 s");
    kbj_test_exec(eng, "ANALYZE TABLE {p}kbjobs_cron_events");
    before = handler_reads(eng);
    assert_int_equal(kbj_cron_schedule_uses(eng, &u, &n, &more), KBJ_OK);
    before = handler_reads(eng) - before;
    print_message("schedules: %lld rows read\n", before);
    assert_true(before < 4 * (KBJ_CRON_COUNT_CAP + 3) + 40);
    assert_int_equal(n, 3);
    assert_string_equal(u[2].name, "weekly");
    assert_true(u[2].estimated);
    assert_true(u[2].events > KBJ_CRON_COUNT_CAP);
    free(u);
}

/* ---- operator changes ---------------------------------------------------------------- */

static void update_moves_the_time_and_due_at_and_changes_the_schedule(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long id = add(eng, recurring("upd", KEY_A, NOW, "hourly", 3600), KBJ_CRON_RECURRING);
    kbj_cron_change c = { .set_next_run = 1, .next_run = NOW + 500 };
    kbj_cron_info v;

    assert_int_equal(kbj_cron_update(eng, id, &c), KBJ_OK);
    v = get(eng, id);
    assert_int_equal(v.next_run, NOW + 500);
    assert_int_equal(v.due_at, NOW + 500);
    kbj_cron_info_clear(&v);

    c = (kbj_cron_change){ .set_schedule = 1, .schedule = "daily", .interval = 86400, .set_paused = 1, .paused = 1 };
    assert_int_equal(kbj_cron_update(eng, id, &c), KBJ_OK);
    v = get(eng, id);
    assert_string_equal(v.schedule, "daily");
    assert_int_equal(v.interval, 86400);
    assert_true(v.paused);
    kbj_cron_info_clear(&v);

    /* no schedule: a single event */
    c = (kbj_cron_change){ .set_schedule = 1, .schedule = NULL, .set_paused = 1, .paused = 0 };
    assert_int_equal(kbj_cron_update(eng, id, &c), KBJ_OK);
    v = get(eng, id);
    assert_null(v.schedule);
    assert_int_equal(v.interval, 0);
    assert_false(v.paused);
    kbj_cron_info_clear(&v);
}

static void a_new_time_taken_by_the_same_event_is_refused(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long a = add(eng, recurring("twin", KEY_A, NOW, "hourly", 3600), KBJ_CRON_RECURRING);
    unsigned long long b = add(eng, recurring("twin", KEY_A, NOW + 60, "hourly", 3600), KBJ_CRON_RECURRING);
    kbj_cron_change c = { .set_next_run = 1, .next_run = NOW };

    add(eng, recurring("twin", KEY_B, NOW + 120, "hourly", 3600), KBJ_CRON_RECURRING);
    assert_int_equal(kbj_cron_update(eng, b, &c), KBJ_ECONFLICT);
    assert_non_null(strstr(kbj_errmsg(eng), "already at 2000000000"));
    /* its own time, and a time only other arguments have, are fine */
    c.next_run = NOW + 60;
    assert_int_equal(kbj_cron_update(eng, b, &c), KBJ_OK);
    c.next_run = NOW + 120;
    assert_int_equal(kbj_cron_update(eng, b, &c), KBJ_OK);
    /* a single event being run is no longer at its time */
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET schedule = NULL, run_of = next_run WHERE id = %llu", a);
    c.next_run = NOW;
    assert_int_equal(kbj_cron_update(eng, b, &c), KBJ_OK);
}

static void a_new_time_keeps_a_recurring_events_earlier_retry(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long rec = add(eng, recurring("retry", KEY_A, NOW + 3600, "hourly", 3600), KBJ_CRON_RECURRING);
    unsigned long long one = add(eng, single("retry1", KEY_A, NOW), KBJ_CRON_SINGLE);
    kbj_cron_change c = { .set_next_run = 1, .next_run = NOW + 7200 };
    kbj_cron_info v;

    /* both wait for a retry of their run at NOW, due at NOW + 60 */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_cron_events SET run_of = 2000000000, due_at = 2000000060, attempt = 1");
    assert_int_equal(kbj_cron_update(eng, rec, &c), KBJ_OK);
    v = get(eng, rec);
    assert_int_equal(v.due_at, NOW + 60);
    kbj_cron_info_clear(&v);
    c.next_run = NOW + 30;
    assert_int_equal(kbj_cron_update(eng, rec, &c), KBJ_OK);
    v = get(eng, rec);
    assert_int_equal(v.due_at, NOW + 30);
    kbj_cron_info_clear(&v);
    /* a single event has only the time the operator gives */
    c.next_run = NOW + 7200;
    assert_int_equal(kbj_cron_update(eng, one, &c), KBJ_OK);
    v = get(eng, one);
    assert_int_equal(v.due_at, NOW + 7200);
    kbj_cron_info_clear(&v);
}

static void a_running_event_refuses_time_and_schedule_changes_but_takes_a_pause(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long id = add(eng, recurring("busy", KEY_A, NOW, "hourly", 3600), KBJ_CRON_RECURRING);
    kbj_cron_change when = { .set_next_run = 1, .next_run = NOW + 1 };
    kbj_cron_change sched = { .set_schedule = 1, .schedule = "daily", .interval = 86400 };
    kbj_cron_change pause = { .set_paused = 1, .paused = 1 };
    kbj_cron_info v;

    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET due_at = NULL, lease_token = 1,"
                  " lease_expires = NOW(6) + INTERVAL 1 MINUTE WHERE id = %llu", id);
    assert_int_equal(kbj_cron_update(eng, id, &when), KBJ_ECONFLICT);
    assert_non_null(strstr(kbj_errmsg(eng), "is running"));
    assert_int_equal(kbj_cron_update(eng, id, &sched), KBJ_ECONFLICT);
    assert_int_equal(kbj_cron_run_now(eng, id), KBJ_ECONFLICT);
    assert_int_equal(kbj_cron_update(eng, id, &pause), KBJ_OK);
    v = get(eng, id);
    assert_int_equal(v.next_run, NOW);
    assert_string_equal(v.schedule, "hourly");
    assert_true(v.paused);
    kbj_cron_info_clear(&v);
    /* the lease expired: the run is lost, the event can be changed (the claim takes it
     * again whatever due_at says) */
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET lease_expires = NOW(6) - INTERVAL 1 SECOND WHERE id = %llu",
             id);
    assert_int_equal(kbj_cron_update(eng, id, &when), KBJ_OK);
    v = get(eng, id);
    assert_int_equal(v.next_run, NOW + 1);
    assert_int_equal(v.due_at, 0);
    kbj_cron_info_clear(&v);
    /* deleting a running event is allowed: the run finishes and is recorded */
    exec_fmt(eng, "UPDATE {p}kbjobs_cron_events SET lease_expires = NOW(6) + INTERVAL 1 MINUTE WHERE id = %llu", id);
    assert_int_equal(kbj_cron_delete(eng, id), KBJ_OK);
    assert_int_equal(rows_of(eng, "busy"), 0);
}

static void run_now_makes_an_event_due_at_the_database_clock(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long id = add(eng, recurring("now", KEY_A, NOW + 86400, "daily", 86400), KBJ_CRON_RECURRING);
    long long db;
    kbj_cron_info v;

    assert_int_equal(kbj_cron_run_now(eng, id), KBJ_OK);
    db = kbj_test_int(eng, "SELECT UNIX_TIMESTAMP()");
    v = get(eng, id);
    assert_true(v.due_at >= db - 5 && v.due_at <= db);
    assert_int_equal(v.next_run, NOW + 86400);      /* the schedule stays */
    kbj_cron_info_clear(&v);
    assert_int_equal(kbj_test_int(eng, "SELECT run_now FROM {p}kbjobs_cron_events"), 1);
}

static void changes_to_a_missing_event_are_not_found(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long id = add(eng, single("gone", KEY_A, NOW), KBJ_CRON_SINGLE);
    kbj_cron_change pause = { .set_paused = 1, .paused = 1 };

    assert_int_equal(kbj_cron_delete(eng, id), KBJ_OK);
    assert_int_equal(kbj_cron_delete(eng, id), KBJ_ENOTFOUND);
    assert_non_null(strstr(kbj_errmsg(eng), "no cron event"));
    assert_int_equal(kbj_cron_update(eng, id, &pause), KBJ_ENOTFOUND);
    assert_int_equal(kbj_cron_run_now(eng, id), KBJ_ENOTFOUND);
    assert_int_equal(kbj_cron_delete(eng, 0), KBJ_ENOTFOUND);
    assert_int_equal(kbj_cron_run_now(eng, (unsigned long long)-1), KBJ_ENOTFOUND);
}

/* ---- checks ----------------------------------------------------------------------------- */

static void arguments_up_to_their_limit_come_back_byte_for_byte(void **state)
{
    kbj_engine *eng = *state;
    size_t big = KBJ_CRON_ARGS_MAX;
    char *php = malloc(big + 1), *json = malloc(big + 2);
    kbj_cron_event ev = single("big", KEY_A, NOW);
    unsigned long long id = 0;
    kbj_cron_info v;

    assert_non_null(php);
    assert_non_null(json);
    for (size_t i = 0; i <= big; i++)
        php[i] = (char)(i * 7);             /* every byte value, NULs included */
    json[0] = '[';
    memset(json + 1, ' ', big - 2);
    json[big - 1] = ']';
    json[big] = '\0';
    ev.args_php = php;
    ev.args_php_len = big;
    ev.args_json = json;
    id = add(eng, ev, KBJ_CRON_SINGLE);
    v = get(eng, id);
    assert_int_equal(v.args_php_len, big);
    assert_memory_equal(v.args_php, php, big);
    assert_int_equal(strlen(v.args_json), big);
    kbj_cron_info_clear(&v);

    ev.hook = "too_big";
    ev.args_php_len = big + 1;
    assert_int_equal(kbj_cron_schedule(eng, &ev, KBJ_CRON_SINGLE, NOW, &id), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "args_php is 4194305 bytes"));
    ev.args_php_len = 0;
    json[big - 1] = ' ';
    json[big] = ']';
    json[big + 1] = '\0';
    assert_int_equal(kbj_cron_schedule(eng, &ev, KBJ_CRON_SINGLE, NOW, &id), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "args_json is 4194305 bytes"));
    assert_int_equal(rows_of(eng, "too_big"), 0);
    free(php);
    free(json);
}

static void bad_events_are_refused_naming_the_field_and_nothing_is_written(void **state)
{
    kbj_engine *eng = *state;
    char long_hook[KBJ_CRON_HOOK_MAX + 2], long_schedule[KBJ_CRON_SCHEDULE_MAX + 2];
    struct {
        kbj_cron_event ev;
        kbj_cron_mode mode;
        const char *msg;
    } cases[] = {
        { single(NULL, KEY_A, NOW), KBJ_CRON_SINGLE, "hook must be 1 to 191 bytes" },
        { single("", KEY_A, NOW), KBJ_CRON_SINGLE, "hook must be 1 to 191 bytes" },
        { single(long_hook, KEY_A, NOW), KBJ_CRON_SINGLE, "(192 bytes given)" },
        { single("bad\xc3(", KEY_A, NOW), KBJ_CRON_SINGLE, "valid UTF-8" },
        { single("h", NULL, NOW), KBJ_CRON_SINGLE, "args_key" },
        { single("h", "0123456789ABCDEF0123456789ABCDEF", NOW), KBJ_CRON_SINGLE, "32 lowercase hex" },
        { single("h", "0123456789abcdef", NOW), KBJ_CRON_SINGLE, "32 lowercase hex" },
        { single("h", KEY_A "0", NOW), KBJ_CRON_SINGLE, "32 lowercase hex" },
        { single("h", KEY_A, 0), KBJ_CRON_SINGLE, "next_run 0 must be a Unix time" },
        { single("h", KEY_A, -5), KBJ_CRON_SINGLE, "next_run -5" },
        { single("h", KEY_A, 253402300800LL), KBJ_CRON_SINGLE, "next_run 253402300800" },
        { recurring("h", KEY_A, NOW, "hourly", 0), KBJ_CRON_RECURRING, "interval 0 of schedule \"hourly\"" },
        { recurring("h", KEY_A, NOW, "hourly", 3650LL * 86400 + 1), KBJ_CRON_RECURRING, "interval 315360001" },
        { recurring("h", KEY_A, NOW, long_schedule, 60), KBJ_CRON_RECURRING, "schedule must be at most 64" },
        { recurring("h", KEY_A, NOW, NULL, 60), KBJ_CRON_EXACT, "interval must be 0 for a single event" },
        { recurring("h", KEY_A, NOW, NULL, 0), KBJ_CRON_RECURRING, "schedule is required in recurring mode" },
        { recurring("h", KEY_A, NOW, "hourly", 3600), KBJ_CRON_SINGLE, "schedule must be empty in single mode" },
        { single("h", KEY_A, NOW), (kbj_cron_mode)7, "unknown cron mode 7" },
    };
    kbj_cron_event json = single("h", KEY_A, NOW), php = single("h", KEY_A, NOW), pol = single("h", KEY_A, NOW);
    unsigned long long id = 5;

    memset(long_hook, 'h', sizeof long_hook - 1);
    long_hook[sizeof long_hook - 1] = '\0';
    memset(long_schedule, 's', sizeof long_schedule - 1);
    long_schedule[sizeof long_schedule - 1] = '\0';
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = kbj_cron_schedule(eng, &cases[i].ev, cases[i].mode, NOW, &id);
        if (rc != KBJ_EINVAL || !strstr(kbj_errmsg(eng), cases[i].msg))
            fail_msg("case %zu: %d \"%s\", wanted \"%s\"", i, rc, kbj_errmsg(eng), cases[i].msg);
        assert_int_equal(id, 0);
    }
    json.args_json = "[1,";
    assert_int_equal(kbj_cron_schedule(eng, &json, KBJ_CRON_SINGLE, NOW, &id), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "args_json is not valid JSON"));
    json.args_json = "1";
    assert_int_equal(kbj_cron_schedule(eng, &json, KBJ_CRON_SINGLE, NOW, &id), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "args_json"));
    php.args_php_len = 3;
    assert_int_equal(kbj_cron_schedule(eng, &php, KBJ_CRON_SINGLE, NOW, &id), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "args_php is NULL"));
    pol.max_attempts = 101;
    assert_int_equal(kbj_cron_schedule(eng, &pol, KBJ_CRON_SINGLE, NOW, &id), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "max_attempts 101"));
    pol.max_attempts = -1;
    assert_int_equal(kbj_cron_schedule(eng, &pol, KBJ_CRON_SINGLE, NOW, &id), KBJ_EINVAL);
    pol.max_attempts = 100;
    pol.retry_seconds = 86401;
    assert_int_equal(kbj_cron_schedule(eng, &pol, KBJ_CRON_SINGLE, NOW, &id), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "retry_seconds 86401"));
    pol.retry_seconds = 86400;
    assert_int_equal(kbj_cron_schedule(eng, &pol, KBJ_CRON_SINGLE, 0, &id), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "now 0"));
    assert_int_equal(kbj_cron_schedule(eng, NULL, KBJ_CRON_SINGLE, NOW, &id), KBJ_EINVAL);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_events"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_cron_keys"), 0);
    /* at the limits: accepted */
    assert_int_equal(kbj_cron_schedule(eng, &pol, KBJ_CRON_SINGLE, NOW, &id), KBJ_OK);
    long_hook[KBJ_CRON_HOOK_MAX] = '\0';
    add(eng, recurring(long_hook, KEY_A, 253402300799LL, "x", 3650LL * 86400), KBJ_CRON_RECURRING);
}

static void bad_filters_changes_and_arguments_are_refused(void **state)
{
    kbj_engine *eng = *state;
    kbj_cron_info *v = NULL;
    size_t n = 0;
    unsigned long long c = 0, id = add(eng, single("h", KEY_A, NOW), KBJ_CRON_SINGLE);
    kbj_cron_change ch = { .set_next_run = 1, .next_run = 0 };

    assert_int_equal(kbj_cron_list(eng, &(kbj_cron_filter){ .args_key = KEY_A }, &v, &n), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "args_key needs a hook"));
    assert_int_equal(kbj_cron_list(eng, &(kbj_cron_filter){ .hook = "h", .args_key = "x" }, &v, &n), KBJ_EINVAL);
    assert_int_equal(kbj_cron_list(eng, &(kbj_cron_filter){ .hook_prefix = "\xff" }, &v, &n), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "hook_prefix"));
    assert_int_equal(kbj_cron_list(eng, NULL, &v, &n), KBJ_OK);
    assert_int_equal(n, 1);
    kbj_cron_info_free(v, n);
    assert_int_equal(kbj_cron_update(eng, id, &ch), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "next_run 0"));
    ch = (kbj_cron_change){ .set_schedule = 1, .schedule = "hourly", .interval = 0 };
    assert_int_equal(kbj_cron_update(eng, id, &ch), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "interval 0"));
    ch = (kbj_cron_change){ .set_schedule = 1, .schedule = NULL, .interval = 60 };
    assert_int_equal(kbj_cron_update(eng, id, &ch), KBJ_EINVAL);
    assert_int_equal(kbj_cron_unschedule(eng, "h", KEY_A, 0, &c), KBJ_EINVAL);
    assert_int_equal(kbj_cron_unschedule(eng, "h", "nothex", NOW, &c), KBJ_EINVAL);
    assert_int_equal(kbj_cron_clear(eng, "", NULL, &c), KBJ_EINVAL);
    assert_int_equal(kbj_cron_clear(eng, "h", "ABC", &c), KBJ_EINVAL);
    assert_int_equal(rows_of(eng, "h"), 1);
}

/* ---- two connections at the same instant ------------------------------------------- */

#define ROUNDS 100

typedef struct racer {
    kbj_engine *eng;
    pthread_barrier_t *start;
    kbj_cron_mode mode;
    int rc[ROUNDS];
    unsigned long long id[ROUNDS];
    char err[256];
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    kbj_store_thread_init();
    for (int i = 0; i < ROUNDS; i++) {
        char hook[32];
        kbj_cron_event ev = r->mode == KBJ_CRON_SINGLE ? single(hook, KEY_A, NOW + i)
                                                       : recurring(hook, KEY_A, NOW + i, "hourly", 3600);
        snprintf(hook, sizeof hook, "race_%d_%d", (int)r->mode, i);
        pthread_barrier_wait(r->start);
        r->rc[i] = kbj_cron_schedule(r->eng, &ev, r->mode, NOW, &r->id[i]);
        if (r->rc[i] != KBJ_OK && r->rc[i] != KBJ_ECONFLICT && !r->err[0])
            kbj_copy(r->err, sizeof r->err, kbj_errmsg(r->eng));
    }
    kbj_store_thread_end();
    return NULL;
}

static void two_connections_scheduling_at_once_leave_one_row(kbj_engine *eng, kbj_cron_mode mode)
{
    pthread_barrier_t start;
    pthread_t t[2];
    racer *r = calloc(2, sizeof *r);
    char sql[160];

    assert_non_null(r);
    pthread_barrier_init(&start, NULL, 2);
    for (int k = 0; k < 2; k++) {
        r[k].eng = kbj_test_engine_join(eng);
        r[k].start = &start;
        r[k].mode = mode;
        pthread_create(&t[k], NULL, race, &r[k]);
    }
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    for (int k = 0; k < 2; k++)
        if (r[k].err[0])
            fail_msg("racer %d: %s", k, r[k].err);
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM {p}kbjobs_cron_events WHERE hook = 'race_%d_%d'", (int)mode,
                 i);
        if (kbj_test_int(eng, sql) != 1)
            fail_msg("round %d: %lld rows", i, kbj_test_int(eng, sql));
        /* both were told of the same event: one made it, the other met it (single: as
         * a duplicate; recurring: replaced in place) */
        assert_int_equal(r[0].id[i], r[1].id[i]);
        if (mode == KBJ_CRON_SINGLE)
            assert_int_equal((r[0].rc[i] == KBJ_OK) + (r[1].rc[i] == KBJ_OK), 1);
        else
            assert_true(r[0].rc[i] == KBJ_OK && r[1].rc[i] == KBJ_OK);
    }
    for (int k = 0; k < 2; k++)
        kbj_engine_free(r[k].eng);
    pthread_barrier_destroy(&start);
    free(r);
}

static void two_connections_scheduling_one_single_event_at_once_leave_one_row(void **state)
{
    two_connections_scheduling_at_once_leave_one_row(*state, KBJ_CRON_SINGLE);
}

static void two_connections_scheduling_one_recurring_event_at_once_leave_one_row(void **state)
{
    two_connections_scheduling_at_once_leave_one_row(*state, KBJ_CRON_RECURRING);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, kbj_test_engine_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(the_window_is_600_seconds_either_side_bounds_included),
        T(a_past_due_event_is_refused_by_any_event_up_to_now_plus_600),
        T(an_event_due_within_ten_minutes_looks_back_to_zero),
        T(an_event_far_in_the_future_has_its_own_window),
        T(other_arguments_and_other_hooks_are_other_events),
        T(a_single_event_being_run_does_not_block_the_next_one),
        T(a_recurring_event_at_the_same_time_replaces_and_at_another_time_adds),
        T(a_recurring_event_keeps_an_operators_pause_when_scheduled_again),
        T(a_recurring_event_blocks_a_single_one_in_its_window_as_in_core),
        T(exact_imports_are_idempotent_and_refuse_nothing),
        T(unschedule_deletes_exactly_the_event_with_that_time),
        T(clear_with_args_deletes_those_and_without_args_every_one_of_the_hook),
        T(every_filter_narrows_the_list),
        T(get_returns_every_field_and_running_is_a_live_lease),
        T(counts_are_events_paused_due_running_and_failing),
        T(each_state_filter_reads_its_events_in_both_orders),
        T(a_cursor_pages_across_equal_next_runs_in_both_orders_and_both_directions),
        T(counts_are_exact_up_to_the_cap_then_estimated_and_flagged),
        T(a_page_and_the_counts_read_a_page_of_rows_whatever_the_events),
        T(schedules_in_use_are_read_a_name_at_a_time_with_their_counts),
        T(update_moves_the_time_and_due_at_and_changes_the_schedule),
        T(a_new_time_taken_by_the_same_event_is_refused),
        T(a_new_time_keeps_a_recurring_events_earlier_retry),
        T(a_running_event_refuses_time_and_schedule_changes_but_takes_a_pause),
        T(run_now_makes_an_event_due_at_the_database_clock),
        T(changes_to_a_missing_event_are_not_found),
        T(arguments_up_to_their_limit_come_back_byte_for_byte),
        T(bad_events_are_refused_naming_the_field_and_nothing_is_written),
        T(bad_filters_changes_and_arguments_are_refused),
        T(two_connections_scheduling_one_single_event_at_once_leave_one_row),
        T(two_connections_scheduling_one_recurring_event_at_once_leave_one_row),
    };
    return cmocka_run_group_tests_name("cron_events", tests, NULL, NULL);
}
