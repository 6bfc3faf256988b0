/*
 * FailureLog entries of kind "partial": an import that completes with failed items gets
 * one (one per import, also when split into ranges), each kind is capped on its own,
 * and resubmitting the entry (or the import, kbj_import_resubmit_failed) makes a new
 * import of exactly the failed URLs, credentials intact, rerun_of set. Against the test
 * MariaDB and the fixture site (KBJOBS_FIXTURE_URL).
 */
#include "testutil.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kbj_import.h"
#include "urllist.h"

#define PREFIX "kbt_partial_"

static const char *fixture(void)
{
    return kbj_test_env("KBJOBS_FIXTURE_URL");
}

static int setup(void **state)
{
    kbj_engine *eng = kbj_test_engine(PREFIX, 0);
    kbj_fetch_config fc = { .allow = "127.0.0.1", .retries = KBJ_FETCH_NO_RETRY, .timeout_ms = 5000 };
    assert_int_equal(kbj_import_configure(eng, &fc, NULL, NULL), KBJ_OK);
    *state = eng;
    return 0;
}

/* Submits an import of `text` (URLs one a line) with `params`; id receives its id. */
static void submit_text(kbj_engine *eng, const char *text, const char *params, char id[KBJ_ID_LEN + 1])
{
    char path[] = "/tmp/kbjobs-partial-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    lseek(fd, 0, SEEK_SET);
    if (kbj_import_submit(eng, fd, params, NULL, NULL, NULL, NULL, id) != KBJ_OK)
        fail_msg("import submit: %s", kbj_errmsg(eng));
    close(fd);
}

/* A list of fixture URLs: `n` pages from page `first`, with a 404 after every
 * `every`-th page (0: none); *failing receives how many 404s it has. */
static char *list_of(int first, int n, int every, int *failing)
{
    size_t cap = (size_t)n * 400 + 1, off = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    *failing = 0;
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        off += (size_t)snprintf(s + off, cap - off, "%s/page/%d\n", fixture(), first + i);
        if (every && i % every == every - 1) {
            off += (size_t)snprintf(s + off, cap - off, "%s/status/404?n=%d\n", fixture(), first + i);
            (*failing)++;
        }
    }
    return s;
}

static void run_imports(kbj_engine *eng)
{
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
}

/* The FailureLog's entries of `kind` (NULL: all); free with kbj_failures_free. */
static kbj_failure *entries(kbj_engine *eng, const char *kind, size_t *n)
{
    kbj_failure *f = NULL;
    if (kbj_failures_list_kind(eng, kind, 100, 0, &f, n) != KBJ_OK)
        fail_msg("list: %s", kbj_errmsg(eng));
    return f;
}

static size_t count_of(kbj_engine *eng, const char *kind, unsigned long long *evicted)
{
    size_t n = 99;
    if (kbj_failures_count_kind(eng, kind, &n, evicted) != KBJ_OK)
        fail_msg("count: %s", kbj_errmsg(eng));
    return n;
}

static void an_import_with_failed_items_gets_one_partial_entry(void **state)
{
    kbj_engine *eng = *state;
    int failing;
    char *list = list_of(1, 8, 4, &failing), id[17], clean[17];
    kbj_failure *f;
    size_t n;

    submit_text(eng, list, "{\"posts\": false, \"chunk_size\": 3}", id);
    free(list);
    list = list_of(20, 3, 0, &failing);
    submit_text(eng, list, "{\"posts\": false}", clean); /* nothing fails: no entry */
    free(list);
    run_imports(eng);
    assert_string_equal(kbj_test_status(eng, id), "completed");
    assert_string_equal(kbj_test_status(eng, clean), "completed");
    f = entries(eng, NULL, &n);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].job_id, id);
    assert_string_equal(f[0].kind, "partial");
    assert_string_equal(f[0].type, "import");
    assert_int_equal(f[0].failed_items, 2);
    assert_int_equal(f[0].total_items, 10);
    assert_string_equal(f[0].message, "2 of 10 URLs failed");
    assert_true(f[0].failed_at > 0);
    kbj_failures_free(f, n);
    /* kbj_failures_count counts job entries, as before entries had kinds */
    assert_int_equal(count_of(eng, "job", NULL), 0);
    assert_int_equal(count_of(eng, "partial", NULL), 1);
    {
        size_t jobs = 9;
        assert_int_equal(kbj_failures_count(eng, &jobs, NULL), KBJ_OK);
        assert_int_equal(jobs, 0);
    }
    f = entries(eng, "job", &n);
    assert_int_equal(n, 0);
    kbj_failures_free(f, n);
    assert_int_equal(kbj_failures_list_kind(eng, "other", 10, 0, &f, &n), KBJ_EINVAL);
    assert_int_equal(kbj_failures_count_kind(eng, "other", &n, NULL), KBJ_EINVAL);
}

static void an_import_in_ranges_gets_one_entry_for_the_import(void **state)
{
    kbj_engine *eng = *state;
    int failing;
    char *list = list_of(40, 12, 3, &failing), id[17];
    kbj_failure *f;
    size_t n;

    submit_text(eng, list, "{\"posts\": false, \"ranges\": 3, \"chunk_size\": 2}", id);
    free(list);
    run_imports(eng);
    if (strcmp(kbj_test_status(eng, id), "completed") != 0) /* waited for its ranges */
        run_imports(eng);
    assert_string_equal(kbj_test_status(eng, id), "completed");
    f = entries(eng, NULL, &n);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].job_id, id);
    assert_int_equal(f[0].failed_items, failing);
    assert_int_equal(f[0].total_items, 16);
    kbj_failures_free(f, n);
}

/* The URLs of an import's list, joined by newlines. */
static char *list_text(kbj_engine *eng, const char *id)
{
    unsigned long long count = 0;
    char **urls = NULL, *out;
    size_t got = 0, cap = 1, off = 0;
    kbj_err err;

    assert_int_equal(kbj_urllist_count(eng->data_dir, id, &count, &err), KBJ_OK);
    assert_int_equal(kbj_urllist_read(eng->data_dir, id, 0, (size_t)count, &urls, &got, &err), KBJ_OK);
    for (size_t i = 0; i < got; i++)
        cap += strlen(urls[i]) + 1;
    out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    for (size_t i = 0; i < got; i++)
        off += (size_t)snprintf(out + off, cap - off, "%s\n", urls[i]);
    kbj_urllist_free(urls, got);
    return out;
}

static void resubmitting_the_entry_imports_exactly_the_failed_urls(void **state)
{
    kbj_engine *eng = *state;
    const char *host = strstr(fixture(), "://") + 3;
    char list[2048], want[1024], id[17], *got;
    const char *ids[1];
    kbj_job **jobs = NULL;
    kbj_job_filter filter = { .type = "import", .status = "queued" };
    size_t n = 0, done = 0;
    kbj_job *j;

    snprintf(list, sizeof list, "%s/page/60\nhttp://user:s3cret@%s/status/404?a=1\n%s/page/61\n%s/status/410\n",
             fixture(), host, fixture(), fixture());
    submit_text(eng, list, "{\"posts\": false, \"chunk_size\": 2, \"mode\": \"drafts\"}", id);
    run_imports(eng);
    assert_int_equal(count_of(eng, "partial", NULL), 1);

    ids[0] = id;
    assert_int_equal(kbj_failures_resubmit(eng, ids, 1, &done), KBJ_OK);
    assert_int_equal(done, 1);
    assert_int_equal(count_of(eng, "partial", NULL), 0);
    assert_string_equal(kbj_test_status(eng, id), "completed");

    assert_int_equal(kbj_job_list(eng, &filter, &jobs, &n, NULL), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(jobs[0]->rerun_of, id);
    assert_string_equal(jobs[0]->queue, KBJ_IMPORT_QUEUE);
    /* the original's params, with its own list and total */
    assert_non_null(strstr(jobs[0]->params, "\"mode\":\"drafts\""));
    assert_non_null(strstr(jobs[0]->params, "\"chunk_size\":2"));
    assert_non_null(strstr(jobs[0]->params, "\"total\":2"));
    /* the failed URLs, in list order, with their credentials */
    got = list_text(eng, jobs[0]->id);
    snprintf(want, sizeof want, "http://user:s3cret@%s/status/404?a=1\n%s/status/410\n", host, fixture());
    assert_string_equal(got, want);
    free(got);

    /* it runs like any import: the same two fail again, and it has its own entry */
    run_imports(eng);
    j = kbj_test_job(eng, jobs[0]->id);
    assert_string_equal(j->status, "completed");
    kbj_job_free(j);
    {
        kbj_failure *f = entries(eng, "partial", &n);
        assert_int_equal(n, 1);
        assert_string_equal(f[0].job_id, jobs[0]->id);
        assert_string_equal(f[0].message, "2 of 2 URLs failed");
        kbj_failures_free(f, n);
    }
    kbj_jobs_free(jobs, 1);
}

static void resubmit_failed_directly_and_its_refusals(void **state)
{
    kbj_engine *eng = *state;
    int failing;
    char *list = list_of(80, 4, 2, &failing), id[17], clean[17], queued[17], ranged[17], new_id[17];
    const char *echo = kbj_test_submit(eng, "diag.echo", NULL, "other");
    const char *ids[1];
    kbj_job **jobs = NULL;
    kbj_job_filter f = { .unique_key_prefix = "" };
    size_t urls = 99, n = 0, done = 0;

    submit_text(eng, list, "{\"posts\": false}", id);
    free(list);
    list = list_of(90, 2, 0, &failing);
    submit_text(eng, list, "{\"posts\": false}", clean);
    run_imports(eng);
    submit_text(eng, list, "{\"posts\": false}", queued);
    submit_text(eng, list, "{\"posts\": false, \"ranges\": 2}", ranged);
    free(list);

    /* without its entry (acknowledged): still resubmitted */
    ids[0] = id;
    assert_int_equal(kbj_failures_delete(eng, ids, 1, &done), KBJ_OK);
    assert_int_equal(done, 1);
    assert_string_equal(kbj_test_status(eng, id), "completed");
    assert_int_equal(kbj_import_resubmit_failed(eng, id, new_id, &urls), KBJ_OK);
    assert_int_equal(urls, 2);
    {
        kbj_job *j = kbj_test_job(eng, new_id);
        assert_string_equal(j->rerun_of, id);
        kbj_job_free(j);
    }

    assert_int_equal(kbj_import_resubmit_failed(eng, clean, new_id, &urls), KBJ_ECONFLICT);
    assert_non_null(strstr(kbj_errmsg(eng), "has no failed items"));
    assert_int_equal(urls, 0);
    assert_int_equal(kbj_import_resubmit_failed(eng, queued, new_id, &urls), KBJ_ECONFLICT);
    assert_non_null(strstr(kbj_errmsg(eng), "is queued: only a finished import"));
    assert_int_equal(kbj_import_resubmit_failed(eng, echo, new_id, &urls), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "is not an import"));
    assert_int_equal(kbj_import_resubmit_failed(eng, "0123456789abcdef", new_id, &urls), KBJ_ENOTFOUND);
    assert_int_equal(kbj_import_resubmit_failed(eng, "nope", new_id, &urls), KBJ_EINVAL);
    f.unique_key_prefix = ranged;
    assert_int_equal(kbj_job_list(eng, &f, &jobs, &n, NULL), KBJ_OK);
    assert_int_equal(n, 2);
    assert_int_equal(kbj_import_resubmit_failed(eng, jobs[0]->id, new_id, &urls), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "is a range of import"));
    kbj_jobs_free(jobs, n);
}

/* Fails one diag.fail job for good in queue "fail" (a job entry). */
static void fail_a_job(kbj_engine *eng)
{
    kbj_submit s = { .type = "diag.fail", .queue = "fail", .max_attempts = 1,
                     .params = "{\"retryable\": false}" };
    char id[17];
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_OK);
    kbj_test_run_queue(eng, "fail");
    assert_string_equal(kbj_test_status(eng, id), "failed");
}

static void each_kind_is_capped_on_its_own(void **state)
{
    kbj_engine *eng = *state;
    unsigned long long evicted = 99;
    char ids[4][17];
    int failing;
    kbj_failure *f;
    size_t n;

    eng->cfg.failure_cap = 2;
    fail_a_job(eng);
    fail_a_job(eng);
    for (int i = 0; i < 4; i++) {
        char *list = list_of(100 + 10 * i, 1, 1, &failing);
        submit_text(eng, list, "{\"posts\": false}", ids[i]);
        free(list);
        run_imports(eng);
    }
    /* four partial entries arrived: two evicted, and no job entry with them */
    assert_int_equal(count_of(eng, "partial", &evicted), 2);
    assert_int_equal(evicted, 2);
    assert_int_equal(count_of(eng, "job", &evicted), 2);
    assert_int_equal(evicted, 0);
    f = entries(eng, "partial", &n);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].job_id, ids[3]);
    assert_string_equal(f[1].job_id, ids[2]);
    kbj_failures_free(f, n);
    /* and a third job entry evicts a job entry only */
    fail_a_job(eng);
    assert_int_equal(count_of(eng, "job", &evicted), 2);
    assert_int_equal(evicted, 1);
    assert_int_equal(count_of(eng, "partial", &evicted), 2);
    assert_int_equal(evicted, 2);
    f = entries(eng, NULL, &n);
    assert_int_equal(n, 4);
    kbj_failures_free(f, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(an_import_with_failed_items_gets_one_partial_entry, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(an_import_in_ranges_gets_one_entry_for_the_import, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(resubmitting_the_entry_imports_exactly_the_failed_urls, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(resubmit_failed_directly_and_its_refusals, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(each_kind_is_capped_on_its_own, setup, kbj_test_engine_teardown),
    };
    int rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests_name("import_partial", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
