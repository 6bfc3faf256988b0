/*
 * Job search and counts: kbj_job_filter's search and unique_key_prefix in kbj_job_list,
 * kbj_job_count and kbj_job_status_counts, against the real MariaDB.
 */
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int setup(void **state)
{
    *state = kbj_test_engine("kbt_search_", 0);
    return 0;
}

/* Submits a job of `type` with unique key `key` (NULL: none); id receives its id. */
static void submit_keyed(kbj_engine *eng, const char *type, const char *key, char id[KBJ_ID_LEN + 1])
{
    kbj_submit s = { .type = type, .queue = "search", .unique_key = key };
    if (kbj_submit_job(eng, &s, id, NULL) != KBJ_OK)
        fail_msg("submit %s: %s", type, kbj_errmsg(eng));
}

/* The ids kbj_job_list returns for `f` (every page), joined by spaces, oldest first. */
static char *listed(kbj_engine *eng, kbj_job_filter f)
{
    static char out[4096];
    char cursor[32] = "";
    kbj_job **page = NULL;
    size_t n = 0, off = 0;
    char ids[64][KBJ_ID_LEN + 1];
    size_t count = 0;

    f.limit = 2;
    do {
        f.cursor = cursor;
        if (kbj_job_list(eng, &f, &page, &n, cursor) != KBJ_OK)
            fail_msg("list: %s", kbj_errmsg(eng));
        for (size_t i = 0; i < n && count < 64; i++)
            kbj_copy(ids[count++], sizeof ids[0], page[i]->id);
        kbj_jobs_free(page, n);
    } while (cursor[0]);
    out[0] = '\0';
    for (size_t i = count; i-- > 0;)
        off += (size_t)snprintf(out + off, sizeof out - off, "%s%s", off ? " " : "", ids[i]);
    return out;
}

static unsigned long long counted(kbj_engine *eng, const kbj_job_filter *f)
{
    unsigned long long n = 99;
    if (kbj_job_count(eng, f, &n) != KBJ_OK)
        fail_msg("count: %s", kbj_errmsg(eng));
    return n;
}

/* "a b c" of the ids given, to compare with listed(). */
static char *joined(int n, ...)
{
    static char out[4096];
    size_t off = 0;
    va_list ap;
    va_start(ap, n);
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        off += (size_t)snprintf(out + off, sizeof out - off, "%s%s", i ? " " : "", va_arg(ap, const char *));
    va_end(ap);
    return out;
}

static void search_matches_an_id_exactly_or_a_type_or_key_prefix(void **state)
{
    kbj_engine *eng = *state;
    char a[17], b[17], c[17], d[17], e[17];
    kbj_job_filter f = { 0 };

    submit_keyed(eng, "content.import", "site:example.com/1", a);
    submit_keyed(eng, "content.index", NULL, b);
    submit_keyed(eng, "maintenance.vacuum", "content-weekly", c);
    submit_keyed(eng, "diag.echo", "site:example.org", d);
    submit_keyed(eng, "diag.echo", NULL, e);

    /* a job id: that job only */
    f.search = c;
    assert_string_equal(listed(eng, f), c);
    assert_int_equal(counted(eng, &f), 1);
    /* a type prefix, and a unique-key prefix, in one search */
    f.search = "content";
    assert_string_equal(listed(eng, f), joined(3, a, b, c));
    assert_int_equal(counted(eng, &f), 3);
    f.search = "site:example.";
    assert_string_equal(listed(eng, f), joined(2, a, d));
    /* unique keys compare without case (their column's collation) */
    f.search = "SITE:EXAMPLE.ORG";
    assert_string_equal(listed(eng, f), d);
    /* a prefix, not a substring */
    f.search = "import";
    assert_string_equal(listed(eng, f), "");
    assert_int_equal(counted(eng, &f), 0);
    /* "" is no search */
    f.search = "";
    assert_int_equal(counted(eng, &f), 5);

    /* with the other filters */
    f.search = "site:";
    f.type = "diag.echo";
    assert_string_equal(listed(eng, f), d);
    f.type = NULL;

    /* unique_key_prefix alone looks at keys only */
    memset(&f, 0, sizeof f);
    f.unique_key_prefix = "content";
    assert_string_equal(listed(eng, f), c);
    f.unique_key_prefix = "site:example.com/";
    assert_string_equal(listed(eng, f), a);
    assert_int_equal(counted(eng, &f), 1);
}

static void like_metacharacters_match_themselves(void **state)
{
    kbj_engine *eng = *state;
    char pct[17], under[17], bang[17], plain[17];
    kbj_job_filter f = { 0 };

    submit_keyed(eng, "t", "50%off", pct);
    submit_keyed(eng, "t", "a_b", under);
    submit_keyed(eng, "t", "x!y", bang);
    submit_keyed(eng, "t", "axb-50xoff", plain);

    f.search = "50%";
    assert_string_equal(listed(eng, f), pct);
    f.search = "%";
    assert_string_equal(listed(eng, f), "");
    f.search = "a_";
    assert_string_equal(listed(eng, f), under);
    f.unique_key_prefix = "_";
    f.search = NULL;
    assert_string_equal(listed(eng, f), "");
    f.unique_key_prefix = "x!";
    assert_string_equal(listed(eng, f), bang);
    f.unique_key_prefix = "a";
    assert_string_equal(listed(eng, f), joined(2, under, plain));
}

static void counts_agree_with_the_list(void **state)
{
    kbj_engine *eng = *state;
    char ids[8][17];
    unsigned long long counts[KBJ_NSTATUS], total = 0;
    kbj_job_filter f = { 0 };

    for (int i = 0; i < 8; i++) {
        char key[32];
        snprintf(key, sizeof key, "batch-%d", i);
        submit_keyed(eng, i < 6 ? "batch.job" : "other.job", key, ids[i]);
    }
    assert_int_equal(kbj_job_cancel(eng, ids[0], NULL), KBJ_OK);
    assert_int_equal(kbj_job_cancel(eng, ids[1], NULL), KBJ_OK);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET status = 'failed', finished_at = NOW(6) WHERE unique_key = 'batch-2'");
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET status = 'interrupted' WHERE unique_key = 'batch-7'");

    f.search = "batch";
    assert_int_equal(kbj_job_status_counts(eng, &f, counts), KBJ_OK);
    /* every job's key starts with "batch" */
    assert_int_equal(counts[KBJ_ST_QUEUED], 4);
    assert_int_equal(counts[KBJ_ST_RUNNING], 0);
    assert_int_equal(counts[KBJ_ST_COMPLETED], 0);
    assert_int_equal(counts[KBJ_ST_FAILED], 1);
    assert_int_equal(counts[KBJ_ST_CANCELLED], 2);
    assert_int_equal(counts[KBJ_ST_INTERRUPTED], 1);

    /* every status's count is what the list and the count say with that status */
    for (int s = 0; s < KBJ_NSTATUS; s++) {
        kbj_job_filter g = { .type = "batch.job" };
        unsigned long long by_status[KBJ_NSTATUS];
        const char *listed_ids;
        size_t n = 0;
        g.status = kbj_status_name(s);
        assert_int_equal(kbj_job_status_counts(eng, &g, by_status), KBJ_OK); /* status ignored */
        listed_ids = listed(eng, g);
        n = listed_ids[0] ? (strlen(listed_ids) + 1) / (KBJ_ID_LEN + 1) : 0;
        assert_int_equal(counted(eng, &g), n);
        assert_int_equal(by_status[s], n);
        total += n;
    }
    assert_int_equal(total, 6);
    assert_string_equal(kbj_status_name(KBJ_ST_INTERRUPTED), "interrupted");
    assert_null(kbj_status_name(KBJ_NSTATUS));
    assert_null(kbj_status_name(-1));

    /* all jobs, no filter */
    assert_int_equal(counted(eng, NULL), 8);
    assert_int_equal(kbj_job_status_counts(eng, NULL, counts), KBJ_OK);
    assert_int_equal(counts[KBJ_ST_QUEUED] + counts[KBJ_ST_CANCELLED] + counts[KBJ_ST_FAILED] +
                     counts[KBJ_ST_INTERRUPTED], 8);
}

static void bad_filters_are_refused(void **state)
{
    kbj_engine *eng = *state;
    kbj_job_filter f = { .status = "done" };
    unsigned long long n = 7, counts[KBJ_NSTATUS];
    char long_text[KBJ_KEY_MAX + 2];

    assert_int_equal(kbj_job_count(eng, &f, &n), KBJ_EINVAL);
    assert_int_equal(n, 0);
    assert_string_equal(kbj_errmsg(eng), "unknown status \"done\"");
    /* the status is ignored by the counts by status, not checked */
    assert_int_equal(kbj_job_status_counts(eng, &f, counts), KBJ_OK);
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    f.status = NULL;
    f.search = long_text;
    assert_int_equal(kbj_job_count(eng, &f, &n), KBJ_EINVAL);
    assert_string_equal(kbj_errmsg(eng), "search must be at most 191 bytes of UTF-8");
    f.search = "\xff\xfe";
    assert_int_equal(kbj_job_status_counts(eng, &f, counts), KBJ_EINVAL);
    f.search = NULL;
    f.unique_key_prefix = long_text;
    {
        kbj_job **jobs = NULL;
        size_t m = 0;
        assert_int_equal(kbj_job_list(eng, &f, &jobs, &m, NULL), KBJ_EINVAL);
        assert_string_equal(kbj_errmsg(eng), "unique_key_prefix must be at most 191 bytes of UTF-8");
    }
}

/* Times past January 2038 (FROM_UNIXTIME gives NULL there on this server): a job due in
 * 2100 keeps its run_at, and time filters beyond 2038 still compare. */
static void times_past_2038_are_kept_and_filtered(void **state)
{
    kbj_engine *eng = *state;
    const double y2100 = 4102444800.0; /* 2100-01-01T00:00:00Z */
    kbj_submit s = { .type = "late.job", .queue = "search", .run_at = y2100 };
    char id[KBJ_ID_LEN + 1];
    kbj_job *j = NULL;
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_OK);
    assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
    assert_true(j->run_at > y2100 - 1 && j->run_at < y2100 + 1);
    kbj_job_free(j);
    assert_string_equal(listed(eng, (kbj_job_filter){ .created_before = y2100 }), id);
    assert_int_equal(counted(eng, &(kbj_job_filter){ .created_after = y2100 }), 0);
    assert_int_equal(counted(eng, &(kbj_job_filter){ .created_after = 2145916800.0 - 86400.0 * 36500 }), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(search_matches_an_id_exactly_or_a_type_or_key_prefix, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(like_metacharacters_match_themselves, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(counts_agree_with_the_list, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(bad_filters_are_refused, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(times_past_2038_are_kept_and_filtered, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("job_search", tests, NULL, NULL);
}
