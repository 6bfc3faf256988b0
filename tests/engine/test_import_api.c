/*
 * The public import API of engine/kbj_import.h as a C caller sees it: sinks get
 * documents whose URLs carry no credentials, and an import's failed items are read a
 * page at a time with the engine's rules (the last line of an index wins, a torn last
 * line is ignored, a range reads its own part of the import's file). Against the test
 * MariaDB and the fixture site (KBJOBS_FIXTURE_URL).
 */
#include "testutil.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kbj_import.h"

#define PREFIX "kbt_impapi_"

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

static int teardown(void **state)
{
    kbj_test_engine_free(*state);
    return 0;
}

/* Submits an import of `text` (URLs one a line) with `params`; id receives its id. */
static void submit_text(kbj_engine *eng, const char *text, const char *params, char id[KBJ_ID_LEN + 1])
{
    char path[] = "/tmp/kbjobs-impapi-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    lseek(fd, 0, SEEK_SET);
    if (kbj_import_submit(eng, fd, params, NULL, NULL, NULL, NULL, id) != KBJ_OK)
        fail_msg("import submit: %s", kbj_errmsg(eng));
    close(fd);
}

/* A list of n fixture URLs, "<fixture><path template with %d>" for first..first+n-1. */
static char *urls(const char *tmpl, int first, int n)
{
    size_t cap = (size_t)n * 300 + 1, off = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (int i = first; i < first + n; i++) {
        off += (size_t)snprintf(s + off, cap - off, "%s", fixture());
        off += (size_t)snprintf(s + off, cap - off, tmpl, i);
        off += (size_t)snprintf(s + off, cap - off, "\n");
    }
    return s;
}

static void run_imports(kbj_engine *eng)
{
    const char *queues[1] = { "import" };
    kbj_run_opts o = { .queues = queues, .nqueues = 1, .until_empty = 1 };
    kbj_run_report rep;
    if (kbj_run(eng, &o, &rep) != KBJ_OK)
        fail_msg("run: %s", kbj_errmsg(eng));
}

/* ---- sinks see URLs without credentials ---------------------------------------- */

typedef struct seen {
    char urls[16][512];
    size_t n;
} seen;

static int recording_sink(kbj_ctx *ctx, const kbj_import_doc *docs, size_t n, long long *post_ids, char **errors,
                          void *arg)
{
    seen *s = arg;
    (void)ctx;
    (void)errors;
    for (size_t i = 0; i < n; i++) {
        if (s->n < 16)
            snprintf(s->urls[s->n++], sizeof s->urls[0], "%s", docs[i].url);
        post_ids[i] = 1000 + (long long)docs[i].index;
    }
    return KBJ_OK;
}

static void sink_documents_carry_no_credentials(void **state)
{
    kbj_engine *eng = *state;
    const char *host = strstr(fixture(), "://") + 3;
    char list[1024], id[KBJ_ID_LEN + 1], want[512];
    seen s = { 0 };

    snprintf(list, sizeof list, "http://user:s3cret@%s/page/801\nhttp://%s/page/802\n", host, host);
    submit_text(eng, list, NULL, id);
    kbj_import_set_sink(eng, recording_sink, &s);
    run_imports(eng);
    kbj_import_set_sink(eng, NULL, NULL);
    assert_int_equal(s.n, 2);
    snprintf(want, sizeof want, "http://***@%s/page/801", host);
    assert_string_equal(s.urls[0], want);
    snprintf(want, sizeof want, "http://%s/page/802", host);
    assert_string_equal(s.urls[1], want);
    for (size_t i = 0; i < s.n; i++)
        assert_null(strstr(s.urls[i], "s3cret"));
    assert_string_equal(kbj_test_status(eng, id), "completed");
}

/* ---- failed items ------------------------------------------------------------------ */

/* Appends `text` to lists/<list>.failed.jsonl as it is (no newline added). */
static void append_failed(kbj_engine *eng, const char *list, const char *text)
{
    char path[4096];
    int fd;
    snprintf(path, sizeof path, "%s/lists/%s.failed.jsonl", eng->data_dir, list);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void failed_line(char *out, size_t cap, unsigned idx, const char *error)
{
    snprintf(out, cap,
             "{\"index\":%u,\"url\":\"http://example.com/%u\",\"class\":\"permanent\",\"error\":\"%s\","
             "\"http_status\":404,\"tries\":1,\"at\":1700000000.5}\n",
             idx, idx, error);
}

static void failed_items_of_a_real_import_are_read_back(void **state)
{
    kbj_engine *eng = *state;
    char *list = urls("/status/%d", 404, 1), *more = urls("/page/%d", 1, 3), id[KBJ_ID_LEN + 1];
    char text[4096];
    kbj_failed_item *items = NULL;
    size_t n = 0;
    long long next = 0;

    snprintf(text, sizeof text, "%s%s", more, list);
    submit_text(eng, text, "{\"posts\": false}", id);
    run_imports(eng);
    assert_int_equal(kbj_import_failed_items(eng, id, 0, 100, &items, &n, &next), KBJ_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].index, 3);
    assert_string_equal(items[0].error_class, "permanent");
    assert_string_equal(items[0].error, "HTTP 404");
    assert_int_equal(items[0].http_status, 404);
    assert_true(items[0].at > 0);
    assert_non_null(strstr(items[0].url, "/status/404"));
    assert_int_equal(next, -1);
    kbj_failed_items_free(items, n);
    free(list);
    free(more);
}

static void failed_items_keep_the_last_line_of_an_index_and_skip_a_torn_line(void **state)
{
    kbj_engine *eng = *state;
    char *list = urls("/page/%d", 1, 10), id[KBJ_ID_LEN + 1], line[512];
    kbj_failed_item *items = NULL;
    size_t n = 0;
    long long next = 0;

    submit_text(eng, list, "{\"posts\": false}", id);
    failed_line(line, sizeof line, 4, "first try");
    append_failed(eng, id, line);
    failed_line(line, sizeof line, 2, "two");
    append_failed(eng, id, line);
    failed_line(line, sizeof line, 4, "after the crash"); /* the chunk replayed */
    append_failed(eng, id, line);
    append_failed(eng, id, "not json\n");
    append_failed(eng, id, "{\"index\":7,\"url\":\"http://exa"); /* torn: a writer died */
    assert_int_equal(kbj_import_failed_items(eng, id, 0, 100, &items, &n, &next), KBJ_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].index, 2);
    assert_string_equal(items[0].error, "two");
    assert_int_equal(items[1].index, 4);
    assert_string_equal(items[1].error, "after the crash");
    assert_int_equal(next, -1);
    kbj_failed_items_free(items, n);

    /* the next writer's line, glued to the torn one, is still read */
    failed_line(line, sizeof line, 7, "seven");
    append_failed(eng, id, line);
    assert_int_equal(kbj_import_failed_items(eng, id, 0, 100, &items, &n, &next), KBJ_OK);
    assert_int_equal(n, 3);
    assert_int_equal(items[2].index, 7);
    assert_string_equal(items[2].error, "seven");
    kbj_failed_items_free(items, n);
    free(list);
}

static void failed_items_page_by_index(void **state)
{
    kbj_engine *eng = *state;
    char *list = urls("/page/%d", 1, 20), id[KBJ_ID_LEN + 1], line[512], msg[32];
    kbj_failed_item *items = NULL;
    size_t n = 0, total = 0;
    long long next = 0;
    unsigned long long cursor = 0, last = 0;
    static const unsigned order[] = { 9, 3, 15, 0, 12, 6, 18, 3, 9 }; /* 3 and 9 twice */

    submit_text(eng, list, "{\"posts\": false}", id);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        snprintf(msg, sizeof msg, "line %zu", i);
        failed_line(line, sizeof line, order[i], msg);
        append_failed(eng, id, line);
    }
    /* pages of 2: 0 3 | 6 9 | 12 15 | 18 */
    for (int page = 0;; page++) {
        assert_int_equal(kbj_import_failed_items(eng, id, cursor, 2, &items, &n, &next), KBJ_OK);
        for (size_t i = 0; i < n; i++) {
            assert_true(total == 0 || items[i].index > last);
            last = items[i].index;
            if (last == 3)
                assert_string_equal(items[i].error, "line 7");
            if (last == 9)
                assert_string_equal(items[i].error, "line 8");
            total++;
        }
        kbj_failed_items_free(items, n);
        if (next < 0) {
            assert_int_equal(page, 3);
            assert_int_equal(n, 1);
            break;
        }
        assert_int_equal(n, 2);
        assert_int_equal((unsigned long long)next, last + 1);
        cursor = (unsigned long long)next;
    }
    assert_int_equal(total, 7);

    /* a cursor between items, and one past the end */
    assert_int_equal(kbj_import_failed_items(eng, id, 13, 100, &items, &n, &next), KBJ_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].index, 15);
    kbj_failed_items_free(items, n);
    assert_int_equal(kbj_import_failed_items(eng, id, 19, 100, &items, &n, &next), KBJ_OK);
    assert_int_equal(n, 0);
    assert_null(items);
    assert_int_equal(next, -1);
    free(list);
}

static void failed_items_of_a_range_are_its_own(void **state)
{
    kbj_engine *eng = *state;
    char *list = urls("/page/%d", 1, 4), id[KBJ_ID_LEN + 1], line[512], range2[KBJ_ID_LEN + 1] = "";
    kbj_job_filter f = { .type = "import" };
    kbj_job **jobs = NULL;
    kbj_failed_item *items = NULL;
    size_t n = 0, njobs = 0;
    long long next = 0;
    char cursor[32];

    submit_text(eng, list, "{\"posts\": false, \"ranges\": 2}", id);
    assert_int_equal(kbj_job_list(eng, &f, &jobs, &njobs, cursor), KBJ_OK);
    for (size_t i = 0; i < njobs; i++)
        if (jobs[i]->unique_key && strstr(jobs[i]->unique_key, "/range/2"))
            kbj_copy(range2, sizeof range2, jobs[i]->id);
    kbj_jobs_free(jobs, njobs);
    assert_int_equal(strlen(range2), KBJ_ID_LEN);
    /* both ranges append to the import's file */
    for (unsigned i = 0; i < 4; i++) {
        failed_line(line, sizeof line, i, "failed");
        append_failed(eng, id, line);
    }
    assert_int_equal(kbj_import_failed_items(eng, id, 0, 100, &items, &n, &next), KBJ_OK);
    assert_int_equal(n, 4);
    kbj_failed_items_free(items, n);
    assert_int_equal(kbj_import_failed_items(eng, range2, 0, 100, &items, &n, &next), KBJ_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].index, 2);
    assert_int_equal(items[1].index, 3);
    kbj_failed_items_free(items, n);
    free(list);
}

static void failed_items_of_unknown_or_other_jobs(void **state)
{
    kbj_engine *eng = *state;
    kbj_failed_item *items = (kbj_failed_item *)1;
    size_t n = 5;
    long long next = 0;
    const char *echo = kbj_test_submit(eng, "diag.echo", NULL, NULL);

    assert_int_equal(kbj_import_failed_items(eng, "0123456789abcdef", 0, 10, &items, &n, &next), KBJ_ENOTFOUND);
    assert_null(items);
    assert_int_equal(n, 0);
    assert_int_equal(kbj_import_failed_items(eng, "../etc/passwd", 0, 10, &items, &n, &next), KBJ_EINVAL);
    assert_int_equal(kbj_import_failed_items(eng, echo, 0, 10, &items, &n, &next), KBJ_OK);
    assert_int_equal(n, 0);
    assert_int_equal(next, -1);
    assert_int_equal(kbj_import_failed_items(eng, echo, 0, 0, &items, &n, &next), KBJ_EINVAL);
    assert_string_equal(kbj_errmsg(eng), "limit must be between 1 and 1000");
    assert_int_equal(kbj_import_failed_items(eng, echo, 0, 1001, &items, &n, &next), KBJ_EINVAL);
}

/* ---- checking a list, and a unique key taken --------------------------------------- */

typedef struct rejects {
    char lines[8][300];
    size_t n;
} rejects;

static void note_reject(unsigned long long line, const char *reason, const char *excerpt, void *arg)
{
    rejects *r = arg;
    if (r->n < 8)
        snprintf(r->lines[r->n++], sizeof r->lines[0], "%llu|%s|%s", line, reason, excerpt);
}

/* A read-only descriptor holding `text`. */
static int text_fd(const char *text)
{
    char path[] = "/tmp/kbjobs-impapi-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static long long files_in_lists(kbj_engine *eng)
{
    char cmd[700];
    FILE *p;
    long long n = -1;
    snprintf(cmd, sizeof cmd, "ls -A '%s/lists' 2>/dev/null | wc -l", eng->data_dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%lld", &n), 1);
    pclose(p);
    return n;
}

static void checking_a_list_reports_what_an_import_would_and_stores_nothing(void **state)
{
    kbj_engine *eng = *state;
    char text[2048], id[KBJ_ID_LEN + 1], msg[512];
    rejects checked = { 0 }, imported = { 0 };
    kbj_urllist_report a, b;
    int fd;

    snprintf(text, sizeof text, "%s/page/1\n# a comment\n\nfile:///etc/passwd\n%s/page/2\n%s/page/1\n"
             "javascript:alert(1)\n<script>x</script>\n", fixture(), fixture(), fixture());
    fd = text_fd(text);
    assert_int_equal(kbj_import_check(eng, fd, note_reject, &checked, &a), KBJ_OK);
    close(fd);
    assert_int_equal(a.lines, 8);
    assert_int_equal(a.accepted, 2);
    assert_int_equal(a.duplicates, 1);
    assert_int_equal(a.rejected, 3);
    assert_int_equal(checked.n, 3);
    assert_non_null(strstr(checked.lines[0], "4|scheme must be http or https|file:///etc/passwd"));
    assert_true(strncmp(checked.lines[1], "7|", 2) == 0);
    assert_true(strncmp(checked.lines[2], "8|", 2) == 0);
    /* nothing stored, nothing submitted */
    assert_int_equal(files_in_lists(eng), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 0);

    /* the import of the same list says the same */
    fd = text_fd(text);
    assert_int_equal(kbj_import_submit(eng, fd, "{\"posts\": false}", NULL, note_reject, &imported, &b, id), KBJ_OK);
    close(fd);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(imported.n, checked.n);
    for (size_t i = 0; i < checked.n; i++)
        assert_string_equal(imported.lines[i], checked.lines[i]);

    /* a list an import refuses is refused with the same message, and nothing stored */
    fd = text_fd("file:///etc/passwd\nnot a url\n");
    assert_int_equal(kbj_import_check(eng, fd, NULL, NULL, &a), KBJ_EINVAL);
    close(fd);
    snprintf(msg, sizeof msg, "%s", kbj_errmsg(eng));
    assert_non_null(strstr(msg, "the list has no valid URL: line 1: scheme must be http or https"));
    assert_int_equal(a.rejected, 2);
    fd = text_fd("file:///etc/passwd\nnot a url\n");
    assert_int_equal(kbj_import_submit(eng, fd, NULL, NULL, NULL, NULL, NULL, id), KBJ_EINVAL);
    close(fd);
    assert_string_equal(kbj_errmsg(eng), msg);
    fd = text_fd("\xff\xfeh\0t\0t\0p\0:\0/\0/\0");
    assert_int_equal(kbj_import_check(eng, fd, NULL, NULL, NULL), KBJ_EINVAL);
    close(fd);
    assert_int_equal(kbj_import_check(eng, -1, NULL, NULL, NULL), KBJ_EINVAL);
    assert_int_equal(files_in_lists(eng), 2); /* the one import's .urls and .idx */
}

static void an_import_whose_unique_key_is_taken_is_that_import(void **state)
{
    kbj_engine *eng = *state;
    char *list = urls("/page/%d", 1, 4), first[KBJ_ID_LEN + 1], again[KBJ_ID_LEN + 1];
    kbj_submit o = { .unique_key = "list:weekly", .unique_scope = KBJ_UNIQUE_ACTIVE };
    kbj_urllist_report rep;
    int fd, existed = -1;

    fd = text_fd(list);
    assert_int_equal(kbj_import_submit_ex(eng, fd, "{\"posts\": false, \"ranges\": 2}", &o, NULL, NULL, &rep, first,
                                          &existed), KBJ_OK);
    close(fd);
    assert_int_equal(existed, 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 3); /* the import and 2 ranges */
    assert_int_equal(files_in_lists(eng), 2);

    /* again with the same key: that import, and nothing new (no job, no range, no list) */
    fd = text_fd(list);
    assert_int_equal(kbj_import_submit_ex(eng, fd, "{\"posts\": false, \"ranges\": 2}", &o, NULL, NULL, &rep, again,
                                          &existed), KBJ_OK);
    close(fd);
    assert_int_equal(existed, 1);
    assert_string_equal(again, first);
    assert_int_equal(rep.accepted, 4); /* the list given was still read and counted */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 3);
    assert_int_equal(files_in_lists(eng), 2);
    /* kbj_import_submit says the same, without the flag */
    fd = text_fd(list);
    assert_int_equal(kbj_import_submit(eng, fd, NULL, &o, NULL, NULL, NULL, again), KBJ_OK);
    close(fd);
    assert_string_equal(again, first);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 3);
    free(list);
}

/* ---- posts and their imports, from the artifact index ------------------------------ */

/* An index row for post `post` of URL number `n`, made by `created`, last written by `job`. */
static void index_row(kbj_engine *eng, int n, long long post, const char *job, const char *created)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "INSERT INTO {p}kbjobs_artifacts (url_hash, url, path, content_hash, post_id, job_id,"
             " created_job, http_status, fetched_at, updated_at) VALUES (SHA2('u%d', 256), 'https://***@example.com/%d',"
             " 'artifacts/x', SHA2('c', 256), %lld, %s%s%s, %s%s%s, %d, '2026-01-02 03:04:05', NOW(6))",
             n, n, post, job ? "'" : "", job ? job : "NULL", job ? "'" : "", created ? "'" : "",
             created ? created : "NULL", created ? "'" : "", n % 2 ? 200 : 203);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
}

static void post_sources_say_where_each_post_came_from(void **state)
{
    kbj_engine *eng = *state;
    const char *a = "aaaaaaaaaaaaaaaa", *b = "bbbbbbbbbbbbbbbb";
    long long ask[] = { 12, 11, 99, 13 };
    kbj_post_source *src = NULL;
    size_t n = 0;

    index_row(eng, 1, 11, a, a);
    index_row(eng, 2, 12, b, a); /* made by a, fetched again by b */
    index_row(eng, 3, 13, b, NULL); /* written before created_job was recorded */
    assert_int_equal(kbj_post_sources(eng, ask, 4, &src, &n), KBJ_OK);
    assert_int_equal(n, 3); /* 99: not an imported post */
    assert_int_equal(src[0].post_id, 11);
    assert_string_equal(src[0].url, "https://***@example.com/1");
    assert_int_equal(src[0].http_status, 200);
    assert_true(src[0].fetched_at == 1767323045.0);
    assert_string_equal(src[0].job_id, a);
    assert_string_equal(src[0].created_job, a);
    assert_string_equal(src[0].import_id, a); /* not in the jobs table (retention): itself */
    assert_int_equal(src[1].post_id, 12);
    assert_string_equal(src[1].job_id, b);
    assert_string_equal(src[1].created_job, a);
    assert_string_equal(src[1].created_import, a);
    assert_int_equal(src[2].post_id, 13);
    assert_string_equal(src[2].created_job, "");
    assert_string_equal(src[2].created_import, "");
    kbj_post_sources_free(src, n);

    assert_int_equal(kbj_post_sources(eng, ask, 0, &src, &n), KBJ_OK);
    assert_int_equal(n, 0);
    assert_null(src);
    ask[1] = 0;
    assert_int_equal(kbj_post_sources(eng, ask, 4, &src, &n), KBJ_EINVAL);
    assert_int_equal(kbj_post_sources(eng, ask, 1001, &src, &n), KBJ_EINVAL);
}

static void import_post_ids_page_by_post_id(void **state)
{
    kbj_engine *eng = *state;
    const char *a = "aaaaaaaaaaaaaaaa", *b = "bbbbbbbbbbbbbbbb";
    long long ids[1000], next = -1, after = 0, seen[64];
    size_t n = 0, nseen = 0;

    /* a made posts 100..124 (every third one fetched again by b since), b made 200..204 */
    for (int i = 0; i < 25; i++)
        index_row(eng, i, 100 + i, i % 3 == 0 ? b : a, a);
    for (int i = 0; i < 5; i++)
        index_row(eng, 100 + i, 200 + i, b, b);

    /* every post a made, 10 a page */
    do {
        assert_int_equal(kbj_import_post_ids(eng, a, "created", after, 10, ids, &n, &next), KBJ_OK);
        for (size_t i = 0; i < n; i++)
            seen[nseen++] = ids[i];
        assert_true(next == 0 || next == ids[n - 1]);
        after = next;
    } while (next != 0);
    assert_int_equal(nseen, 25);
    for (size_t i = 0; i < nseen; i++)
        assert_int_equal(seen[i], 100 + (long long)i);

    /* written last by b: its own five and the 9 of a's it fetched again */
    assert_int_equal(kbj_import_post_ids(eng, b, "written", 0, 1000, ids, &n, &next), KBJ_OK);
    assert_int_equal(n, 14);
    assert_int_equal(next, 0);
    assert_int_equal(ids[0], 100);
    assert_int_equal(ids[8], 124);
    assert_int_equal(ids[9], 200);
    /* created by b only */
    assert_int_equal(kbj_import_post_ids(eng, b, "created", 0, 1000, ids, &n, &next), KBJ_OK);
    assert_int_equal(n, 5);
    /* either, each post once */
    assert_int_equal(kbj_import_post_ids(eng, b, "any", 0, 1000, ids, &n, &next), KBJ_OK);
    assert_int_equal(n, 14);
    assert_int_equal(kbj_import_post_ids(eng, a, NULL, 120, 3, ids, &n, &next), KBJ_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 121);
    assert_int_equal(next, 123);
    assert_int_equal(kbj_import_post_ids(eng, a, NULL, next, 3, ids, &n, &next), KBJ_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 124);
    assert_int_equal(next, 0);

    /* an unknown import has none; bad arguments */
    assert_int_equal(kbj_import_post_ids(eng, "0123456789abcdef", "any", 0, 10, ids, &n, &next), KBJ_OK);
    assert_int_equal(n, 0);
    assert_int_equal(kbj_import_post_ids(eng, "' OR 1=1 --", "any", 0, 10, ids, &n, &next), KBJ_EINVAL);
    assert_int_equal(kbj_import_post_ids(eng, a, "made", 0, 10, ids, &n, &next), KBJ_EINVAL);
    assert_int_equal(kbj_import_post_ids(eng, a, "any", 0, 0, ids, &n, &next), KBJ_EINVAL);
    assert_int_equal(kbj_import_post_ids(eng, a, "any", 0, 1001, ids, &n, &next), KBJ_EINVAL);
    assert_int_equal(kbj_import_post_ids(eng, a, "any", -1, 10, ids, &n, &next), KBJ_EINVAL);
}

static void posts_of_an_import_in_ranges_are_the_import_s(void **state)
{
    kbj_engine *eng = *state;
    char *list = urls("/page/%d", 811, 6), id[KBJ_ID_LEN + 1];
    long long ids[10], next = -1;
    kbj_post_source *src = NULL;
    size_t n = 0;
    seen s = { 0 };

    submit_text(eng, list, "{\"ranges\": 2}", id);
    kbj_import_set_sink(eng, recording_sink, &s);
    run_imports(eng);
    if (strcmp(kbj_test_status(eng, id), "completed") != 0)
        run_imports(eng); /* the import's last look at its ranges */
    kbj_import_set_sink(eng, NULL, NULL);
    assert_string_equal(kbj_test_status(eng, id), "completed");
    /* the ranges wrote the posts (1000 + list index); they are the import's */
    assert_int_equal(kbj_import_post_ids(eng, id, "created", 0, 10, ids, &n, &next), KBJ_OK);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i], 1000 + (long long)i);
    assert_int_equal(kbj_post_sources(eng, ids, n, &src, &n), KBJ_OK);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(src[i].job_id, id);      /* a range's id */
        assert_string_equal(src[i].import_id, id);       /* resolved to the import */
        assert_string_equal(src[i].created_import, id);
        assert_int_equal(src[i].http_status, 200);
        assert_true(src[i].fetched_at > 0);
        assert_non_null(strstr(src[i].url, "/page/81"));
    }
    kbj_post_sources_free(src, n);
    free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sink_documents_carry_no_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_items_of_a_real_import_are_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_items_keep_the_last_line_of_an_index_and_skip_a_torn_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(failed_items_page_by_index, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_items_of_a_range_are_its_own, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_items_of_unknown_or_other_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(checking_a_list_reports_what_an_import_would_and_stores_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_import_whose_unique_key_is_taken_is_that_import, setup, teardown),
        cmocka_unit_test_setup_teardown(post_sources_say_where_each_post_came_from, setup, teardown),
        cmocka_unit_test_setup_teardown(import_post_ids_page_by_post_id, setup, teardown),
        cmocka_unit_test_setup_teardown(posts_of_an_import_in_ranges_are_the_import_s, setup, teardown),
    };
    int rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests_name("import_api", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
