/* The audit log: recording, every filter, paging with the cursor, retention, the checks
 * on what is recorded, and hostile text kept byte for byte, against the real MariaDB.
 * Time passes by backdating rows with SQL, never by sleeping. */
#include "testutil.h"
#include "utf8.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int setup(void **state)
{
    *state = kbj_test_engine("kbt_audit_", 0);
    return 0;
}

static unsigned long long record(kbj_engine *eng, kbj_audit_entry e)
{
    unsigned long long id = 0;
    if (!e.source)
        e.source = "screen";
    if (!e.action)
        e.action = "job.cancel";
    if (!e.outcome)
        e.outcome = "ok";
    if (kbj_audit_record(eng, &e, &id) != KBJ_OK)
        fail_msg("record: %s", kbj_errmsg(eng));
    assert_true(id > 0);
    return id;
}

/* The ids a filter lists (one page of up to 1000), newest first, in ids[]; returns the
 * count. */
static size_t listed(kbj_engine *eng, kbj_audit_filter f, unsigned long long *ids, size_t cap)
{
    kbj_audit_entry *e = NULL;
    size_t n = 0;
    char next[32];
    if (!f.limit)
        f.limit = 1000;
    if (kbj_audit_list(eng, &f, &e, &n, next) != KBJ_OK)
        fail_msg("list: %s", kbj_errmsg(eng));
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++)
        ids[i] = e[i].id;
    kbj_audit_free(e, n);
    return n;
}

static double db_now(kbj_engine *eng)
{
    return (double)kbj_test_int(eng, "SELECT UNIX_TIMESTAMP(NOW())");
}

/* Moves entry `id` `interval` into the past ("100 DAY"). */
static void backdate(kbj_engine *eng, unsigned long long id, const char *interval)
{
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_audit SET at = at - INTERVAL %s WHERE id = %llu", interval, id);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
}

static long long entries(kbj_engine *eng)
{
    return kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_audit");
}

/* ---- record and read back -------------------------------------------------------- */

static void a_recorded_entry_is_listed_with_every_field(void **state)
{
    kbj_engine *eng = *state;
    kbj_audit_entry *e = NULL;
    size_t n = 0;
    char next[32] = "x";
    double now = db_now(eng);
    unsigned long long full, bare;

    full = record(eng, (kbj_audit_entry){ .user_id = 7, .user_login = "alice", .source = "rest",
                                          .action = "queue.pause", .target = "queue:cloud", .outcome = "partial",
                                          .detail = "{\"paused\":3,\"of\":4}" });
    bare = record(eng, (kbj_audit_entry){ .source = "cron", .action = "audit.retention", .outcome = "ok" });
    assert_true(bare > full);

    assert_int_equal(kbj_audit_list(eng, NULL, &e, &n, next), KBJ_OK);
    assert_int_equal(n, 2);
    assert_string_equal(next, "");
    /* newest first */
    assert_true(e[0].id == bare);
    assert_true(e[0].user_id == 0);
    assert_string_equal(e[0].user_login, "");
    assert_string_equal(e[0].source, "cron");
    assert_string_equal(e[0].action, "audit.retention");
    assert_string_equal(e[0].target, "");
    assert_string_equal(e[0].outcome, "ok");
    assert_null(e[0].detail);
    assert_true(e[1].id == full);
    assert_true(e[1].at >= now - 5 && e[1].at <= now + 5);
    assert_true(e[1].user_id == 7);
    assert_string_equal(e[1].user_login, "alice");
    assert_string_equal(e[1].source, "rest");
    assert_string_equal(e[1].action, "queue.pause");
    assert_string_equal(e[1].target, "queue:cloud");
    assert_string_equal(e[1].outcome, "partial");
    assert_string_equal(e[1].detail, "{\"paused\":3,\"of\":4}");
    kbj_audit_free(e, n);
    kbj_audit_free(NULL, 0);

    /* every source and outcome is accepted; the id may be left out */
    {
        const char *sources[] = { "screen", "rest", "cli", "cron", "api" };
        const char *outcomes[] = { "ok", "error", "denied", "partial" };
        for (size_t i = 0; i < 5; i++) {
            kbj_audit_entry one = { .source = sources[i], .action = "a", .outcome = outcomes[i % 4] };
            assert_int_equal(kbj_audit_record(eng, &one, NULL), KBJ_OK);
        }
    }
    assert_int_equal(entries(eng), 7);
}

static void hostile_text_is_stored_verbatim_and_returned_intact(void **state)
{
    kbj_engine *eng = *state;
    /* quotes, SQL, markup, LIKE wildcards, control characters, a right-to-left override,
     * a four-byte emoji; every byte of it comes back */
    const char *login = "Robert'); DROP TABLE x;--\\\"%_";
    const char *target = "<script>alert('x')</script>\"\\%_*\r\n\t\x01 \xe2\x80\xae\xf0\x9f\x92\xa5 end";
    const char *detail = "{\"sql\":\"' OR 1=1 --\",\"html\":\"<b onmouseover=alert(1)>\",\"nul\":\"a\\u0000b\","
                         "\"big\":12345678901234567890,\"deep\":{\"list\":[1,\"\\ud83d\\udca5\",null]},"
                         "\"emoji\":\"\xf0\x9f\x92\xa5\"}";
    unsigned long long id, ids[4];
    kbj_audit_entry *e = NULL;
    size_t n = 0;

    id = record(eng, (kbj_audit_entry){ .user_login = login, .target = target, .detail = detail });
    assert_int_equal(kbj_audit_list(eng, &(kbj_audit_filter){ .target = target }, &e, &n, NULL), KBJ_OK);
    assert_int_equal(n, 1);
    assert_true(e[0].id == id);
    assert_string_equal(e[0].user_login, login);
    assert_string_equal(e[0].target, target);
    assert_string_equal(e[0].detail, detail); /* as given: the big number keeps its digits */
    kbj_audit_free(e, n);
    /* the wildcards in them are plain characters to a filter */
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_login = login }, ids, 4), 1);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_login = "Robert%" }, ids, 4), 0);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .target = "%" }, ids, 4), 0);
    /* two emoji are two characters, though the column's collation weighs them alike */
    record(eng, (kbj_audit_entry){ .target = "\xf0\x9f\x94\xa5" });
    assert_int_equal(listed(eng, (kbj_audit_filter){ .target = "\xf0\x9f\x92\xa5" }, ids, 4), 0);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .target = "\xf0\x9f\x94\xa5" }, ids, 4), 1);
}

static void ill_formed_utf8_becomes_replacement_characters_and_a_filter_finds_it(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long id, ids[4];
    kbj_audit_entry *e = NULL;
    size_t n = 0;

    /* a stray continuation byte, an overlong slash, a surrogate, a cut sequence */
    id = record(eng, (kbj_audit_entry){ .user_login = "bob\x80", .target = "a\xc0\xaf" "b\xed\xa0\x80" "c\xe2\x82" });
    assert_int_equal(kbj_audit_list(eng, NULL, &e, &n, NULL), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].user_login, "bob" KBJ_UTF8_REPLACEMENT);
    assert_string_equal(e[0].target, "a" KBJ_UTF8_REPLACEMENT KBJ_UTF8_REPLACEMENT "b" KBJ_UTF8_REPLACEMENT
                        KBJ_UTF8_REPLACEMENT KBJ_UTF8_REPLACEMENT "c" KBJ_UTF8_REPLACEMENT);
    kbj_audit_free(e, n);
    /* the same bytes in a filter are cleaned the same way */
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_login = "bob\x80" }, ids, 4), 1);
    assert_true(ids[0] == id);
}

/* ---- filters --------------------------------------------------------------------- */

static void every_filter_key_narrows_the_list(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long a, b, c, d, ids[8];
    double now = db_now(eng);

    a = record(eng, (kbj_audit_entry){ .user_id = 1, .user_login = "alice", .source = "screen", .action = "job.cancel",
                                       .target = "job:aaaa", .outcome = "ok" });
    b = record(eng, (kbj_audit_entry){ .user_id = 2, .user_login = "bob", .source = "rest", .action = "job.resume",
                                       .target = "job:bbbb", .outcome = "error" });
    c = record(eng, (kbj_audit_entry){ .user_id = 1, .user_login = "alice", .source = "cli", .action = "queue.pause",
                                       .target = "queue:cloud", .outcome = "denied" });
    d = record(eng, (kbj_audit_entry){ .source = "cron", .action = "audit.retention", .outcome = "partial" });
    backdate(eng, a, "10 DAY");
    backdate(eng, b, "2 DAY");

    assert_int_equal(listed(eng, (kbj_audit_filter){ 0 }, ids, 8), 4);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_id = 1 }, ids, 8), 2);
    assert_true(ids[0] == c && ids[1] == a);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_id = 3 }, ids, 8), 0);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_login = "bob" }, ids, 8), 1);
    assert_true(ids[0] == b);
    /* byte for byte, not as the column's collation would compare */
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_login = "Bob" }, ids, 8), 0);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_login = "bob " }, ids, 8), 0);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .target = "JOB:aaaa" }, ids, 8), 0);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_login = "" }, ids, 8), 1); /* no login */
    assert_true(ids[0] == d);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .action = "job.cancel" }, ids, 8), 1);
    assert_true(ids[0] == a);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .target = "queue:cloud" }, ids, 8), 1);
    assert_true(ids[0] == c);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .source = "cron" }, ids, 8), 1);
    assert_true(ids[0] == d);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .source = "api" }, ids, 8), 0);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .outcome = "error" }, ids, 8), 1);
    assert_true(ids[0] == b);
    /* after: at or after; before: strictly before */
    assert_int_equal(listed(eng, (kbj_audit_filter){ .after = now - 3 * 86400 }, ids, 8), 3);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .before = now - 3 * 86400 }, ids, 8), 1);
    assert_true(ids[0] == a);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .after = now - 3 * 86400, .before = now - 86400 }, ids, 8), 1);
    assert_true(ids[0] == b);
    /* times past 2038 are times like any other */
    assert_int_equal(listed(eng, (kbj_audit_filter){ .before = 4102444800.0 }, ids, 8), 4);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .after = 4102444800.0 }, ids, 8), 0);
    /* keys together: all of them must hold */
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_id = 1, .source = "cli" }, ids, 8), 1);
    assert_true(ids[0] == c);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_id = 1, .source = "rest" }, ids, 8), 0);
    assert_int_equal(listed(eng, (kbj_audit_filter){ .user_login = "alice", .outcome = "ok", .action = "job.cancel",
                                                     .target = "job:aaaa", .before = now }, ids, 8), 1);
    assert_true(ids[0] == a);
}

/* ---- paging ---------------------------------------------------------------------- */

#define ROWS 250

static void the_cursor_pages_through_250_entries_newest_first_without_gaps(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long ids[ROWS], last = 0;
    char cursor[32] = "", next[32];
    size_t seen = 0, pages = 0, odd_seen = 0;

    for (int i = 0; i < ROWS; i++) {
        char target[32];
        snprintf(target, sizeof target, "job:%d", i);
        ids[i] = record(eng, (kbj_audit_entry){ .target = target, .outcome = i % 2 ? "error" : "ok" });
    }
    do {
        kbj_audit_filter f = { .limit = 100, .cursor = cursor };
        kbj_audit_entry *e = NULL;
        size_t n = 0;
        assert_int_equal(kbj_audit_list(eng, &f, &e, &n, next), KBJ_OK);
        assert_int_equal(n, pages < 2 ? 100 : 50);
        for (size_t i = 0; i < n; i++) {
            /* strictly older than everything before it: no repeat, and in order */
            assert_true(last == 0 || e[i].id < last);
            last = e[i].id;
            assert_true(e[i].id == ids[ROWS - 1 - seen]);
            seen++;
        }
        kbj_audit_free(e, n);
        /* an entry made meanwhile is newer than the cursor: later pages do not show it */
        if (pages++ == 0)
            record(eng, (kbj_audit_entry){ .target = "meanwhile" });
        memcpy(cursor, next, sizeof cursor);
    } while (cursor[0]);
    assert_int_equal(seen, ROWS);
    assert_int_equal(pages, 3);

    /* with a filter, the pages hold only what matches */
    cursor[0] = '\0';
    do {
        kbj_audit_filter f = { .limit = 40, .outcome = "error", .cursor = cursor };
        kbj_audit_entry *e = NULL;
        size_t n = 0;
        assert_int_equal(kbj_audit_list(eng, &f, &e, &n, cursor), KBJ_OK); /* the cursor passed back in place */
        for (size_t i = 0; i < n; i++)
            assert_string_equal(e[i].outcome, "error");
        odd_seen += n;
        kbj_audit_free(e, n);
    } while (cursor[0]);
    assert_int_equal(odd_seen, ROWS / 2);

    /* the default page is 50 */
    {
        kbj_audit_entry *e = NULL;
        size_t n = 0;
        assert_int_equal(kbj_audit_list(eng, &(kbj_audit_filter){ 0 }, &e, &n, next), KBJ_OK);
        assert_int_equal(n, 50);
        assert_string_not_equal(next, "");
        kbj_audit_free(e, n);
    }
}

/* ---- retention ------------------------------------------------------------------- */

static void retention_deletes_entries_older_than_its_days_in_batches(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long old, month, fresh;
    size_t deleted = 99;

    old = record(eng, (kbj_audit_entry){ .target = "old" });
    month = record(eng, (kbj_audit_entry){ .target = "month" });
    fresh = record(eng, (kbj_audit_entry){ .target = "fresh" });
    backdate(eng, old, "91 DAY");
    backdate(eng, month, "31 DAY");
    /* 2,500 more from long ago: more than one batch */
    kbj_test_exec(eng, "INSERT INTO {p}kbjobs_audit (at, source, action, outcome)"
                  " SELECT NOW(6) - INTERVAL 200 DAY, 'cron', 'bulk', 'ok' FROM"
                  " (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) a,"
                  " (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) b,"
                  " (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
                  "  UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,"
                  " (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
                  "  UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e");
    assert_int_equal(entries(eng), 2503);

    /* 0: the default, 90 days */
    assert_int_equal(kbj_audit_retention(eng, 0, &deleted), KBJ_OK);
    assert_int_equal(deleted, 2501);
    assert_int_equal(entries(eng), 2);
    assert_int_equal(kbj_audit_retention(eng, 90, &deleted), KBJ_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(kbj_audit_retention(eng, 30, NULL), KBJ_OK);
    assert_int_equal(entries(eng), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT id FROM {p}kbjobs_audit"), (long long)fresh);

    assert_int_equal(kbj_audit_retention(eng, 36501, &deleted), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "36501"));
    assert_int_equal(deleted, 0);
    assert_int_equal(kbj_audit_retention(NULL, 1, &deleted), KBJ_EINVAL);
}

/* ---- what is refused -------------------------------------------------------------- */

/* Records `e` expecting KBJ_EINVAL with `field` named in the message. */
static void refused(kbj_engine *eng, kbj_audit_entry e, const char *field)
{
    unsigned long long id = 42;
    int rc = kbj_audit_record(eng, &e, &id);
    if (rc != KBJ_EINVAL)
        fail_msg("recorded (%d) what should be refused for %s", rc, field);
    if (!strstr(kbj_errmsg(eng), field))
        fail_msg("the message \"%s\" does not name %s", kbj_errmsg(eng), field);
    assert_true(id == 42);
}

static void invalid_entries_are_refused_naming_the_field_and_nothing_is_recorded(void **state)
{
    kbj_engine *eng = *state;
    char login61[62], target192[193], action65[66], *big;
    const kbj_audit_entry ok = { .source = "cli", .action = "job.rerun", .outcome = "ok" };
    kbj_audit_entry e;

    memset(login61, 'l', 61);
    login61[61] = '\0';
    memset(target192, 't', 192);
    target192[192] = '\0';
    memset(action65, 'a', 65);
    action65[65] = '\0';

    e = ok; e.source = NULL;               refused(eng, e, "source");
    e = ok; e.source = "web";              refused(eng, e, "source");
    e = ok; e.source = "SCREEN";           refused(eng, e, "source");
    e = ok; e.action = NULL;               refused(eng, e, "action");
    e = ok; e.action = "";                 refused(eng, e, "action");
    e = ok; e.action = "Job.Cancel";       refused(eng, e, "action");
    e = ok; e.action = "job cancel";       refused(eng, e, "action");
    e = ok; e.action = action65;           refused(eng, e, "action");
    e = ok; e.outcome = NULL;              refused(eng, e, "outcome");
    e = ok; e.outcome = "failed";          refused(eng, e, "outcome");
    e = ok; e.user_login = login61;        refused(eng, e, "user_login");
    e = ok; e.target = target192;          refused(eng, e, "target");
    /* 190 bytes and one ill-formed byte: 193 bytes once it is a U+FFFD */
    target192[190] = '\xff';
    target192[191] = '\0';
    e = ok; e.target = target192;          refused(eng, e, "target");
    e = ok; e.user_id = (unsigned long long)INT64_MAX + 1; refused(eng, e, "user_id");
    e = ok; e.detail = "";                 refused(eng, e, "detail");
    e = ok; e.detail = "{\"a\":";          refused(eng, e, "detail");
    e = ok; e.detail = "[1,2]";            refused(eng, e, "detail");
    e = ok; e.detail = "\"text\"";         refused(eng, e, "detail");
    e = ok; e.detail = "{\"a\":1} {}";     refused(eng, e, "detail");
    e = ok; e.detail = "{\"a\":1,\"a\":2}"; refused(eng, e, "detail");
    e = ok; e.detail = "{\"a\":\"\xff\"}"; refused(eng, e, "detail");
    big = malloc(KBJ_AUDIT_DETAIL_MAX + 2);
    assert_non_null(big);
    memset(big, ' ', KBJ_AUDIT_DETAIL_MAX + 1);
    memcpy(big, "{\"a\":1}", 7);
    big[KBJ_AUDIT_DETAIL_MAX + 1] = '\0';
    e = ok; e.detail = big;                refused(eng, e, "detail");
    /* the largest detail allowed is recorded */
    big[KBJ_AUDIT_DETAIL_MAX] = '\0';
    assert_int_equal(kbj_audit_record(eng, &e, NULL), KBJ_OK);
    free(big);
    /* and the longest login and target */
    login61[60] = '\0';
    memset(target192, 't', 191);
    target192[191] = '\0';
    e = ok; e.user_login = login61; e.target = target192; e.user_id = (unsigned long long)INT64_MAX;
    assert_int_equal(kbj_audit_record(eng, &e, NULL), KBJ_OK);

    assert_int_equal(kbj_audit_record(eng, NULL, NULL), KBJ_EINVAL);
    assert_int_equal(kbj_audit_record(NULL, &ok, NULL), KBJ_EINVAL);
    assert_int_equal(entries(eng), 2);
}

static void invalid_filters_are_refused_naming_the_key(void **state)
{
    kbj_engine *eng = *state;
    kbj_audit_entry *e = (kbj_audit_entry *)1;
    size_t n = 9;
    char login61[62];
    struct { kbj_audit_filter f; const char *field; } bad[] = {
        { { .limit = 1001 }, "limit" },
        { { .source = "web" }, "source" },
        { { .outcome = "fine" }, "outcome" },
        { { .action = "A B" }, "action" },
        { { .user_id = (unsigned long long)INT64_MAX + 1 }, "user_id" },
        { { .after = -1 }, "after" },
        { { .before = NAN }, "before" },
        { { .before = 1e12 }, "before" },
        { { .cursor = "abc" }, "cursor" },
        { { .cursor = "0" }, "cursor" },
        { { .cursor = "-5" }, "cursor" },
        { { .cursor = "12x" }, "cursor" },
        { { .cursor = "99999999999999999999" }, "cursor" },
        { { .user_login = login61 }, "user_login" },
    };

    memset(login61, 'l', 61);
    login61[61] = '\0';
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = kbj_audit_list(eng, &bad[i].f, &e, &n, NULL);
        if (rc != KBJ_EINVAL || !strstr(kbj_errmsg(eng), bad[i].field))
            fail_msg("filter %zu (%s): %d \"%s\"", i, bad[i].field, rc, kbj_errmsg(eng));
        assert_null(e);
        assert_int_equal(n, 0);
        e = (kbj_audit_entry *)1;
    }
    assert_int_equal(kbj_audit_list(eng, NULL, NULL, &n, NULL), KBJ_EINVAL);
    assert_int_equal(kbj_audit_list(NULL, NULL, &e, &n, NULL), KBJ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_recorded_entry_is_listed_with_every_field, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(hostile_text_is_stored_verbatim_and_returned_intact, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(ill_formed_utf8_becomes_replacement_characters_and_a_filter_finds_it, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(every_filter_key_narrows_the_list, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(the_cursor_pages_through_250_entries_newest_first_without_gaps, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(retention_deletes_entries_older_than_its_days_in_batches, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(invalid_entries_are_refused_naming_the_field_and_nothing_is_recorded, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(invalid_filters_are_refused_naming_the_key, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
