/*
 * The import job end to end against the fixture site (tools/fixtures.sh, its URL in
 * KBJOBS_FIXTURE_URL) and the test MariaDB: artifacts and their index, a sink that
 * makes "posts" in a table of its own inside one transaction with the index update (as
 * the plugin's sink does), failed items, re-imports that change nothing, cancel and
 * resume, a stop request mid-import, a runner killed with SIGKILL mid-import whose
 * import, once resumed, ends with exactly one post per URL, and a length lie that must
 * not cost the pages fetched after it on the same kept connection.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "artifact.h"
#include "fsutil.h"
#include "import.h"
#include "kaserver.h"
#include "sha256.h"

#define PREFIX "kbt_import_"

static const char *fixture(void)
{
    return kbj_test_env("KBJOBS_FIXTURE_URL");
}

/* ---- the test sink: posts in {p}kbjobs_test_posts ------------------------------ */

typedef struct sink_state {
    int calls;
    long long docs;
    int fail_chunk;   /* when > 0: the chunk with this call number fails as a whole */
    int stop_after;   /* when > 0: ask the engine to stop after this many calls */
    int crash_chunk;  /* when > 0: the process dies after this call's commit */
    kbj_engine *eng;
} sink_state;

typedef struct sink_work {
    const kbj_import_doc *docs;
    size_t n;
    long long *ids;
    kbj_engine *eng;
    const char *job;
    int crash;
} sink_work;

/* Set by a sink told to crash: its transaction's work is done, the process dies right
 * after COMMIT, before the engine advances the cursor. */
static volatile int crash_after_commit;

static int sink_tx(kbj_store *st, void *arg)
{
    sink_work *w = arg;
    for (size_t i = 0; i < w->n; i++) {
        const kbj_import_doc *d = &w->docs[i];
        int rc;
        if (d->post_id > 0) {
            rc = kbj_store_exec(st, "UPDATE {p}kbjobs_test_posts SET title = ?, writes = writes + 1 WHERE id = ?",
                                (kbj_val[]){ KBJ_VS(d->doc->title), KBJ_VI(d->post_id) }, 2, NULL);
            w->ids[i] = d->post_id;
        } else {
            /* a second post for the same URL would break the unique key: the test fails */
            rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_test_posts (url_hash, title, writes) VALUES (?, ?, 1)",
                                (kbj_val[]){ KBJ_VS(d->url_hash), KBJ_VS(d->doc->title) }, 2, NULL);
            w->ids[i] = (long long)kbj_store_insert_id(st);
        }
        if (rc)
            return rc;
        /* the index row, in the same transaction, with the statement the engine gives
         * sinks (as the plugin's do) */
        {
            kbj_artifact_post p = { d->url_hash, w->ids[i], d->doc->content_hash, d->post_id <= 0 };
            char *sql = NULL;
            if ((rc = kbj_artifact_posts_sql(w->eng, w->job, &p, 1, &sql)) == KBJ_OK)
                rc = kbj_store_exec(st, sql, NULL, 0, NULL);
            free(sql);
        }
        if (rc)
            return rc;
    }
    if (w->crash)
        crash_after_commit = 1;
    return KBJ_OK;
}

static int test_sink(kbj_ctx *ctx, const kbj_import_doc *docs, size_t n, long long *post_ids, char **errors,
                     void *arg)
{
    sink_state *s = arg;
    kbj_engine *eng = kbj_ctx_engine(ctx);
    sink_work w = { docs, n, post_ids, eng, kbj_ctx_lease(ctx)->id, 0 };
    int rc;
    (void)errors;
    s->calls++;
    if (s->fail_chunk && s->calls == s->fail_chunk)
        return kbj_ctx_fail(ctx, "the sink refused this chunk", 1);
    s->docs += (long long)n;
    if (s->stop_after && s->calls == s->stop_after)
        kbj_request_stop(eng);
    w.crash = s->crash_chunk && s->calls == s->crash_chunk;
    rc = kbj_store_tx(eng->st, sink_tx, &w);
    if (rc == KBJ_OK && crash_after_commit)
        _exit(9);
    return rc;
}

static int setup(void **state)
{
    kbj_engine *eng = kbj_test_engine(PREFIX, 0);
    kbj_fetch_config fc = { .allow = "127.0.0.1", .retries = KBJ_FETCH_NO_RETRY, .timeout_ms = 5000 };
    kbj_test_exec(eng, "CREATE TABLE IF NOT EXISTS {p}kbjobs_test_posts (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT"
                       " PRIMARY KEY, url_hash CHAR(64) NOT NULL, title TEXT, writes INT NOT NULL,"
                       " UNIQUE KEY url_hash (url_hash))");
    kbj_test_exec(eng, "DELETE FROM {p}kbjobs_test_posts");
    assert_int_equal(kbj_import_configure(eng, &fc, NULL, NULL), KBJ_OK);
    *state = eng;
    return 0;
}

/* A list file of `n` fixture pages (path template with %d), plus `extra` lines. */
static int list_fd(const char *tmpl, int first, int n, const char *extra)
{
    char path[] = "/tmp/kbjobs-list-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    assert_true(fd >= 0);
    unlink(path);
    f = fdopen(dup(fd), "w");
    for (int i = first; i < first + n; i++) {
        fprintf(f, "%s", fixture());
        fprintf(f, tmpl, i);
        fputc('\n', f);
    }
    if (extra)
        fputs(extra, f);
    fclose(f);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void submit(kbj_engine *eng, int fd, const char *params, char id[17])
{
    kbj_urllist_report rep;
    int rc = kbj_import_submit(eng, fd, params, NULL, NULL, NULL, &rep, id);
    close(fd);
    if (rc)
        fail_msg("import submit: %s", kbj_errmsg(eng));
}

static long long metric(const kbj_job *j, const char *name)
{
    char key[64];
    const char *p;
    snprintf(key, sizeof key, "\"%s\":", name);
    p = j->metrics ? strstr(j->metrics, key) : NULL;
    return p ? atoll(p + strlen(key)) : -1;
}

static void assert_job(kbj_engine *eng, const char *id, const char *status)
{
    kbj_job *j = kbj_test_job(eng, id);
    if (strcmp(j->status, status) != 0)
        fail_msg("job %s is %s, want %s (error: %s)", id, j->status, status, j->error ? j->error : "");
    kbj_job_free(j);
}

static void artifacts_only_writes_files_and_index(void **state)
{
    kbj_engine *eng = *state;
    char id[17], path[4096], hash[65], url[512];
    kbj_artifact_info a;
    unsigned long long entries = 0, with_post = 0;
    struct stat st;
    kbj_job *j;
    char *json = NULL;
    size_t len;
    kbj_err err;

    submit(eng, list_fd("/page/%d", 1, 25, NULL), "{\"posts\": false, \"chunk_size\": 7}", id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    j = kbj_test_job(eng, id);
    assert_int_equal(j->progress_done, 25);
    assert_int_equal(j->progress_total, 25);
    assert_int_equal(metric(j, "fetched"), 25);
    assert_int_equal(metric(j, "created"), 25);
    assert_int_equal(metric(j, "failed"), 0);
    kbj_job_free(j);
    assert_int_equal(kbj_artifact_count(eng, &entries, &with_post), KBJ_OK);
    assert_int_equal(entries, 25);
    assert_int_equal(with_post, 0);

    /* the artifact of page 3: named by the sha256 of its URL, holding its document */
    snprintf(url, sizeof url, "%s/page/3", fixture());
    kbj_sha256_hex(url, strlen(url), hash);
    assert_int_equal(kbj_artifact_get(eng, url, &a), KBJ_OK);
    assert_string_equal(a.url_hash, hash);
    assert_int_equal(a.http_status, 200);
    assert_string_equal(a.job_id, id);
    snprintf(path, sizeof path, "%s/%s", eng->data_dir, a.path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(kbj_fs_read_file(path, 1 << 24, &json, &len, &err), KBJ_OK);
    assert_non_null(strstr(json, "\"format\":\"kbjobs-artifact/1\""));
    assert_non_null(strstr(json, a.content_hash));
    assert_null(strstr(json, "<script"));
    free(json);
    kbj_artifact_info_clear(&a);

    /* the same list again: nothing changed, nothing rewritten */
    submit(eng, list_fd("/page/%d", 1, 25, NULL), "{\"posts\": false}", id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "completed");
    assert_int_equal(metric(j, "unchanged"), 25);
    assert_int_equal(metric(j, "created"), 0);
    kbj_job_free(j);
}

static void posts_are_made_once_and_reimports_change_nothing(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { 0 };
    char id[17];
    kbj_job *j;

    kbj_import_set_sink(eng, test_sink, &s);
    submit(eng, list_fd("/page/%d", 100, 30, NULL), NULL, id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    assert_int_equal(s.calls, 3); /* default chunks of 10 */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 30);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_artifacts WHERE post_id > 0"), 30);
    j = kbj_test_job(eng, id);
    assert_int_equal(metric(j, "created"), 30);
    kbj_job_free(j);

    /* a re-import of the same list: the sink is not even called */
    s.calls = 0;
    submit(eng, list_fd("/page/%d", 100, 30, NULL), NULL, id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    assert_int_equal(s.calls, 0);
    j = kbj_test_job(eng, id);
    assert_int_equal(metric(j, "unchanged"), 30);
    kbj_job_free(j);
    assert_int_equal(kbj_test_int(eng, "SELECT MAX(writes) FROM {p}kbjobs_test_posts"), 1);

    /* changed content (a page whose version parameter changes its text) updates the
     * same post: simulate by forgetting the post hash of 5 rows */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_artifacts SET post_hash = 'x' ORDER BY id LIMIT 5");
    submit(eng, list_fd("/page/%d", 100, 30, NULL), NULL, id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    j = kbj_test_job(eng, id);
    assert_int_equal(metric(j, "updated"), 5);
    assert_int_equal(metric(j, "unchanged"), 25);
    assert_int_equal(metric(j, "created"), 0);
    kbj_job_free(j);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 30);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts WHERE writes = 2"), 5);
    kbj_import_set_sink(eng, NULL, NULL);
}

/* The `rewrite` param: a re-import of unchanged pages writes their artifacts, index rows
 * and posts again, so a deleted artifact file comes back, for the same post; without it
 * an unchanged page writes nothing and the file stays missing. */
static void rewrite_restores_a_deleted_artifact_for_the_same_post(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { 0 };
    char id[17], url[512], path[4096];
    kbj_artifact_info a;
    long long post;
    struct stat st;
    kbj_job *j;

    kbj_import_set_sink(eng, test_sink, &s);
    submit(eng, list_fd("/page/%d", 300, 5, NULL), NULL, id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    snprintf(url, sizeof url, "%s/page/302", fixture());
    assert_int_equal(kbj_artifact_get(eng, url, &a), KBJ_OK);
    post = a.post_id;
    assert_true(post > 0);
    snprintf(path, sizeof path, "%s/%s", eng->data_dir, a.path);
    kbj_artifact_info_clear(&a);
    assert_int_equal(unlink(path), 0);

    /* without rewrite: unchanged, the file is not back */
    submit(eng, list_fd("/page/%d", 300, 5, NULL), NULL, id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    j = kbj_test_job(eng, id);
    assert_int_equal(metric(j, "unchanged"), 5);
    kbj_job_free(j);
    assert_int_not_equal(stat(path, &st), 0);

    /* with rewrite: every page written again, the file back, the same posts */
    s.calls = 0;
    submit(eng, list_fd("/page/%d", 300, 5, NULL), "{\"rewrite\": true}", id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    j = kbj_test_job(eng, id);
    assert_int_equal(metric(j, "updated"), 5);
    assert_int_equal(metric(j, "unchanged"), 0);
    assert_int_equal(metric(j, "created"), 0);
    kbj_job_free(j);
    assert_true(s.calls > 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(kbj_artifact_get(eng, url, &a), KBJ_OK);
    assert_int_equal(a.post_id, post);
    assert_string_equal(a.job_id, id);
    kbj_artifact_info_clear(&a);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 5);
    assert_int_equal(kbj_test_int(eng, "SELECT MIN(writes) FROM {p}kbjobs_test_posts"), 2);
    kbj_import_set_sink(eng, NULL, NULL);
}

static void failed_items_are_recorded_and_the_rest_imported(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { 0 };
    char id[17], extra[1024], path[4096];
    char *text = NULL;
    kbj_job *j;
    kbj_err err;

    snprintf(extra, sizeof extra,
             "%s/status/404\n%s/status/500\n%s/image.png\n%s/redirect-to?url=http://10.1.2.3/\n"
             "http://user:secret@%s/status/403\n",
             fixture(), fixture(), fixture(), fixture(), fixture() + strlen("http://"));
    kbj_import_set_sink(eng, test_sink, &s);
    submit(eng, list_fd("/page/%d", 200, 5, extra), NULL, id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    j = kbj_test_job(eng, id);
    assert_int_equal(metric(j, "created"), 5);
    assert_int_equal(metric(j, "failed"), 5);
    kbj_job_free(j);
    snprintf(path, sizeof path, "%s/lists/%s.failed.jsonl", eng->data_dir, id);
    assert_int_equal(kbj_fs_read_file(path, 1 << 20, &text, NULL, &err), KBJ_OK);
    assert_non_null(strstr(text, "\"index\":5"));
    assert_non_null(strstr(text, "HTTP 404"));
    assert_non_null(strstr(text, "\"class\":\"transient\""));
    assert_non_null(strstr(text, "\"class\":\"permanent\""));
    assert_non_null(strstr(text, "10.1.2.3"));
    assert_null(strstr(text, "secret"));   /* credentials never reach the file */
    free(text);
    /* nor the job log */
    {
        kbj_logread r;
        int seen = 0;
        assert_int_equal(kbj_log_read(eng, id, 0, 0, &r), KBJ_OK);
        for (size_t i = 0; i < r.count; i++) {
            assert_null(strstr(r.lines[i], "secret"));
            seen += strstr(r.lines[i], "404") != NULL;
        }
        assert_true(seen >= 1);
        kbj_logread_free(&r);
    }
    kbj_import_set_sink(eng, NULL, NULL);
}

static void a_failing_sink_advances_nothing_and_the_retry_finishes(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { .fail_chunk = 2 };
    char id[17];
    kbj_job *j;

    kbj_import_set_sink(eng, test_sink, &s);
    submit(eng, list_fd("/page/%d", 300, 30, NULL), NULL, id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "queued"); /* retry after backoff */
    assert_int_equal(j->progress_done, 10);   /* chunk 1 only */
    kbj_job_free(j);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET run_at = NOW(6)");
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 30);
    assert_int_equal(kbj_test_int(eng, "SELECT MAX(writes) FROM {p}kbjobs_test_posts"), 1);
    kbj_import_set_sink(eng, NULL, NULL);
}

static void a_stop_request_finishes_the_chunk_and_requeues(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { .stop_after = 2 };
    char id[17];
    kbj_job *j;

    kbj_import_set_sink(eng, test_sink, &s);
    submit(eng, list_fd("/page/%d", 400, 50, NULL), NULL, id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "queued");
    assert_int_equal(j->progress_done, 20); /* the chunk in hand was finished */
    kbj_job_free(j);
    s.stop_after = 0;
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 50);
    kbj_import_set_sink(eng, NULL, NULL);
}

/* ---- cancel, and a killed runner -------------------------------------------------- */

typedef struct canceller {
    kbj_engine *eng;
    const char *id;
} canceller;

static int cancel_sink(kbj_ctx *ctx, const kbj_import_doc *docs, size_t n, long long *post_ids, char **errors,
                       void *arg)
{
    sink_state *s = arg;
    int rc = test_sink(ctx, docs, n, post_ids, errors, arg);
    if (s->calls == 2) {
        /* another process cancels while the import runs: seen at the next check */
        kbj_engine *other = kbj_test_engine_join(s->eng);
        int was_running = 0;
        assert_int_equal(kbj_job_cancel(other, kbj_ctx_lease(ctx)->id, &was_running), KBJ_OK);
        assert_int_equal(was_running, 1);
        kbj_engine_free(other);
        assert_int_equal(kbj_ctx_check(ctx), KBJ_OK);
    }
    return rc;
}

static void cancel_mid_import_then_resume(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { .eng = eng };
    char id[17];
    kbj_job *j;

    kbj_import_set_sink(eng, cancel_sink, &s);
    submit(eng, list_fd("/page/%d", 500, 60, NULL), NULL, id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "cancelled");
    assert_true(j->progress_done >= 20 && j->progress_done < 60);
    kbj_job_free(j);
    assert_int_equal(kbj_job_resume(eng, id), KBJ_OK);
    kbj_import_set_sink(eng, test_sink, &s);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 60);
    assert_int_equal(kbj_test_int(eng, "SELECT MAX(writes) FROM {p}kbjobs_test_posts"), 1);
    kbj_import_set_sink(eng, NULL, NULL);
}

static void a_killed_runner_s_import_resumes_with_one_post_per_url(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { 0 };
    char id[17];
    pid_t child;
    int waited = 0;
    kbj_job *j;
    long long before;

    /* slow pages (100 ms before their headers) so the kill lands mid-import */
    submit(eng, list_fd("/page/%d?sleep_ms=100", 1, 80, NULL), NULL, id);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        kbj_engine *mine = kbj_test_engine_open(PREFIX, 2, eng->data_dir);
        kbj_fetch_config fc = { .allow = "127.0.0.1", .retries = KBJ_FETCH_NO_RETRY };
        sink_state mine_s = { 0 };
        if (!mine || kbj_import_configure(mine, &fc, NULL, NULL))
            _exit(2);
        kbj_import_set_sink(mine, test_sink, &mine_s);
        kbj_test_run_queue(mine, KBJ_IMPORT_QUEUE);
        _exit(3);
    }
    while (kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts") < 25) {
        assert_true(waited++ < 600);
        kbj_test_msleep(20);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    before = kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts");
    assert_true(before < 80);

    /* the lease expires, the reaper interrupts the job, an operator resumes it */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) - INTERVAL 1 SECOND WHERE status = 'running'");
    assert_int_equal(kbj_reap(eng, NULL), KBJ_OK);
    assert_job(eng, id, "interrupted");
    assert_int_equal(kbj_job_resume(eng, id), KBJ_OK);
    kbj_import_set_sink(eng, test_sink, &s);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 80);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_artifacts WHERE post_id > 0"), 80);
    /* the chunk in flight at the kill may be written twice (an update), never a second post */
    assert_true(kbj_test_int(eng, "SELECT MAX(writes) FROM {p}kbjobs_test_posts") <= 2);
    j = kbj_test_job(eng, id);
    assert_int_equal(j->progress_done, 80);
    kbj_job_free(j);
    kbj_import_set_sink(eng, NULL, NULL);
}

/* Runs imports in a forked runner process with its own connection and sink, its leases
 * `lease` seconds long. */
static pid_t fork_runner_lease(kbj_engine *eng, unsigned lease)
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        kbj_engine *mine = kbj_test_engine_open(PREFIX, lease, eng->data_dir);
        kbj_fetch_config fc = { .allow = "127.0.0.1", .retries = KBJ_FETCH_NO_RETRY };
        sink_state s = { 0 };
        const char *queues[1] = { KBJ_IMPORT_QUEUE };
        kbj_run_opts o = { .queues = queues, .nqueues = 1, .until_empty = 1 };
        if (!mine || kbj_import_configure(mine, &fc, NULL, NULL))
            _exit(2);
        kbj_import_set_sink(mine, test_sink, &s);
        _exit(kbj_run(mine, &o, NULL) == KBJ_OK ? 0 : 3);
    }
    return child;
}

static pid_t fork_runner(kbj_engine *eng)
{
    return fork_runner_lease(eng, 10);
}

static void ranges_run_in_parallel_and_the_import_sums_them(void **state)
{
    kbj_engine *eng = *state;
    char id[17];
    int status;
    pid_t a, b;
    kbj_job *j;

    submit(eng, list_fd("/page/%d?sleep_ms=20", 600, 90, NULL), "{\"ranges\": 3, \"chunk_size\": 10}", id);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE type = 'import'"), 4);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE unique_key LIKE '%/range/%'"), 3);
    a = fork_runner(eng);
    b = fork_runner(eng);
    assert_int_equal(waitpid(a, &status, 0), a);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(waitpid(b, &status, 0), b);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* one runner may have left before the import's last look at its ranges */
    if (strcmp(kbj_test_status(eng, id), "completed") != 0) {
        sink_state s = { 0 };
        kbj_import_set_sink(eng, test_sink, &s);
        kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET run_at = NOW(6) WHERE status = 'queued'");
        kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
        kbj_import_set_sink(eng, NULL, NULL);
    }
    assert_job(eng, id, "completed");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 90);
    assert_int_equal(kbj_test_int(eng, "SELECT MAX(writes) FROM {p}kbjobs_test_posts"), 1);
    /* both runners took ranges */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(DISTINCT r.pid) FROM {p}kbjobs_runners r"), 2);
    j = kbj_test_job(eng, id);
    assert_int_equal(j->progress_done, 90);
    assert_int_equal(j->progress_total, 90);
    assert_int_equal(metric(j, "created"), 90);
    assert_non_null(strstr(j->result, "\"ranges\":3"));
    kbj_job_free(j);
}

static void cancelling_an_import_cancels_its_ranges_and_resume_resumes_them(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { 0 };
    char id[17];

    submit(eng, list_fd("/page/%d", 700, 40, NULL), "{\"ranges\": 2}", id);
    assert_int_equal(kbj_job_cancel(eng, id, NULL), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'cancelled'"), 3);
    assert_int_equal(kbj_job_resume(eng, id), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'queued'"), 3);
    kbj_import_set_sink(eng, test_sink, &s);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 40);
    kbj_import_set_sink(eng, NULL, NULL);
}

/* A page that sends more than its Content-Length, then ordinary pages of the same host
 * (the keep-alive server of kaserver.c; php -S would close every connection), in
 * chunks of two: the next chunk's pages are given the kept connections, one of them
 * with the extra bytes on it. Every ordinary page is imported. */
static void a_length_lie_does_not_cost_the_pages_after_it(void **state)
{
    kbj_engine *eng = *state;
    kbj_kaserver *ka = kbj_kaserver_start();
    char id[17], list[2048];
    size_t off = 0;
    kbj_job *j;

    assert_non_null(ka);
    off += (size_t)snprintf(list + off, sizeof list - off, "%s/lie-length?gap_ms=100\n",
                            kbj_kaserver_url(ka));
    for (int i = 1; i <= 7; i++)
        off += (size_t)snprintf(list + off, sizeof list - off, "%s/page/%d\n", kbj_kaserver_url(ka), i);
    submit(eng, list_fd("", 0, 0, list), "{\"posts\": false, \"chunk_size\": 2}", id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    j = kbj_test_job(eng, id);
    if (metric(j, "failed") != 0 || metric(j, "fetched") != 8) /* the lie's 100 bytes are a page too */
        fail_msg("metrics %s", j->metrics);
    kbj_job_free(j);
    for (int i = 1; i <= 7; i++) {
        char url[256];
        kbj_artifact_info a;
        snprintf(url, sizeof url, "%s/page/%d", kbj_kaserver_url(ka), i);
        if (kbj_artifact_get(eng, url, &a) != KBJ_OK)
            fail_msg("no artifact for %s", url);
        assert_int_equal(a.http_status, 200);
        kbj_artifact_info_clear(&a);
    }
    kbj_kaserver_stop(ka);
}

static void hostile_lists_are_reported_not_imported(void **state)
{
    kbj_engine *eng = *state;
    const char list[] = "file:///etc/passwd\njavascript:alert(1)\ngopher://x/\n\x01\x02\x00binary\n"
                        "# a comment\n\n   \nnot a url\n";
    int fds[2];
    char id[17];
    kbj_urllist_report rep;

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], list, sizeof list - 1), (ssize_t)(sizeof list - 1));
    close(fds[1]);
    assert_int_equal(kbj_import_submit(eng, fds[0], NULL, NULL, NULL, NULL, &rep, id), KBJ_EINVAL);
    close(fds[0]);
    assert_non_null(strstr(kbj_errmsg(eng), "no valid URL"));
    assert_int_equal(rep.rejected, 5);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 0);
}

/* A runner that dies between a chunk's commit (posts and index) and the cursor's
 * advance: the chunk is replayed, its posts are in place, and they count as created. */
static void a_chunk_replayed_after_a_crash_counts_as_created(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { 0 };
    char id[17];
    pid_t child;
    int status;
    kbj_job *j;

    submit(eng, list_fd("/page/%d", 700, 30, NULL), "{\"chunk_size\": 10}", id);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        kbj_engine *mine = kbj_test_engine_open(PREFIX, 10, eng->data_dir);
        kbj_fetch_config fc = { .allow = "127.0.0.1", .retries = KBJ_FETCH_NO_RETRY };
        sink_state mine_s = { .crash_chunk = 2 };
        if (!mine || kbj_import_configure(mine, &fc, NULL, NULL))
            _exit(2);
        kbj_import_set_sink(mine, test_sink, &mine_s);
        kbj_test_run_queue(mine, KBJ_IMPORT_QUEUE);
        _exit(3);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 9);
    /* two chunks of posts committed, the cursor after the first */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 20);
    j = kbj_test_job(eng, id);
    assert_int_equal(j->progress_done, 10);
    assert_int_equal(metric(j, "created"), 10);
    kbj_job_free(j);

    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) - INTERVAL 1 SECOND WHERE status = 'running'");
    assert_int_equal(kbj_reap(eng, NULL), KBJ_OK);
    assert_int_equal(kbj_job_resume(eng, id), KBJ_OK);
    kbj_import_set_sink(eng, test_sink, &s);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    kbj_import_set_sink(eng, NULL, NULL);
    assert_job(eng, id, "completed");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 30);
    /* the replayed chunk was found in place, not written again */
    assert_int_equal(kbj_test_int(eng, "SELECT MAX(writes) FROM {p}kbjobs_test_posts"), 1);
    assert_int_equal(s.docs, 10);
    j = kbj_test_job(eng, id);
    assert_int_equal(metric(j, "created"), 30);
    assert_int_equal(metric(j, "unchanged"), 0);
    assert_int_equal(metric(j, "updated"), 0);
    assert_null(j->error); /* the expired lease's message stays with its attempt */
    kbj_job_free(j);

    /* a second import of the same list changes nothing and says so */
    submit(eng, list_fd("/page/%d", 700, 30, NULL), "{\"chunk_size\": 10}", id);
    kbj_import_set_sink(eng, test_sink, &s);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    kbj_import_set_sink(eng, NULL, NULL);
    j = kbj_test_job(eng, id);
    assert_int_equal(metric(j, "unchanged"), 30);
    assert_int_equal(metric(j, "created"), 0);
    kbj_job_free(j);
}

/* A page without text is a failed item, not an empty post. */
static void an_empty_page_is_a_failed_item(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { 0 };
    char id[17], extra[512], path[4096];
    char *text = NULL;
    kbj_job *j;
    kbj_err err;

    snprintf(extra, sizeof extra, "%s/empty\n", fixture());
    kbj_import_set_sink(eng, test_sink, &s);
    submit(eng, list_fd("/page/%d", 760, 2, extra), NULL, id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    kbj_import_set_sink(eng, NULL, NULL);
    assert_job(eng, id, "completed");
    j = kbj_test_job(eng, id);
    assert_int_equal(metric(j, "created"), 2);
    assert_int_equal(metric(j, "failed"), 1);
    kbj_job_free(j);
    assert_int_equal(s.docs, 2);
    snprintf(path, sizeof path, "%s/lists/%s.failed.jsonl", eng->data_dir, id);
    assert_int_equal(kbj_fs_read_file(path, 1 << 20, &text, NULL, &err), KBJ_OK);
    assert_non_null(strstr(text, "\"index\":2"));
    assert_non_null(strstr(text, "\"error\":\"empty page\""));
    assert_non_null(strstr(text, "\"class\":\"permanent\""));
    free(text);
}

/* The artifact index never keeps credentials; rows an older version wrote lose them in
 * the migration. */
static void the_artifact_index_keeps_no_credentials(void **state)
{
    kbj_engine *eng = *state;
    char id[17], extra[512], host[128];
    kbj_artifact_rec rec = { "0000000000000000000000000000000000000000000000000000000000000001",
                             "https://old:pa55@example.com:8443/a?b#c",
                             "1111111111111111111111111111111111111111111111111111111111111111", "0123456789abcdef",
                             200, 1.0 };

    snprintf(host, sizeof host, "%s", fixture() + strlen("http://"));
    snprintf(extra, sizeof extra, "http://user:s3cret@%s/page/790\n", host);
    submit(eng, list_fd("/page/%d", 791, 1, extra), "{\"posts\": false}", id);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_artifacts WHERE url LIKE '%s3cret%'"), 0);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_artifacts WHERE url LIKE 'http://***@%/page/790'"), 1);

    /* a row written with credentials (as schema 4 did) is redacted by migration 5 */
    assert_int_equal(kbj_artifact_record(eng, &rec, 1), KBJ_OK);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_artifacts SET url = 'https://old:pa55@example.com:8443/a?b=@#c'"
                       " WHERE url_hash LIKE '000%1'");
    kbj_test_exec(eng, "UPDATE {p}kbjobs_meta SET value = '4' WHERE name = 'schema_version'");
    assert_int_equal(kbj_migrate(eng), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_artifacts"
                                       " WHERE url = 'https://***@example.com:8443/a?b=@#c'"), 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_artifacts WHERE url LIKE '%pa55%'"), 0);
    /* and a second run changes nothing */
    assert_int_equal(kbj_migrate(eng), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_artifacts WHERE url LIKE '%***@%'"), 2);
}

/* The sinks' statement for the most posts at once, with the longest ids: it fits and
 * names every post (ASan catches a statement written past its buffer). */
static void the_posts_statement_fits_a_thousand_posts_with_long_ids(void **state)
{
    kbj_engine *eng = *state;
    enum { N = 1000 };
    kbj_artifact_post *posts = calloc(N, sizeof *posts);
    char (*hashes)[65] = calloc(N, sizeof *hashes);
    const char *content = "1111111111111111111111111111111111111111111111111111111111111111";
    char *sql = NULL;
    size_t whens = 0;

    assert_non_null(posts);
    assert_non_null(hashes);
    for (size_t i = 0; i < N; i++) {
        snprintf(hashes[i], sizeof hashes[i], "%064zx", i);
        posts[i] = (kbj_artifact_post){ hashes[i], 9223372036854775807LL - (long long)i, content, 1 };
    }
    assert_int_equal(kbj_artifact_posts_sql(eng, "0123456789abcdef", posts, N, &sql), KBJ_OK);
    assert_non_null(strstr(sql, "THEN 9223372036854775807 "));
    assert_non_null(strstr(sql, "THEN '0123456789abcdef' ELSE created_job END"));
    for (const char *p = sql; (p = strstr(p, " WHEN '")); p++)
        whens++;
    assert_int_equal(whens, 2 * N);
    assert_string_equal(sql + strlen(sql) - 4, "e7')"); /* the last hash ends in ...3e7 (999) */
    free(sql);
    posts[7].post_id = 0;
    assert_int_equal(kbj_artifact_posts_sql(eng, "0123456789abcdef", posts, N, &sql), KBJ_EINVAL);
    assert_null(sql);
    free(posts);
    free(hashes);
}

/* The streaming runner killed with SIGKILL at 10 random points (chunks being fetched
 * ahead, a sink's transaction, a cursor's commit): after each kill the lease runs out,
 * the reaper interrupts the import and it is resumed; in the end every URL has exactly
 * one post, written at most twice (the chunk in hand at a kill is written again as an
 * update). The random points are printed with their seed. The runners fetch with the
 * engine's defaults (six at once) and the pipeline's window, as `wp kb work` does. */
static void a_streaming_runner_killed_at_random_points_leaves_one_post_per_url(void **state)
{
    kbj_engine *eng = *state;
    sink_state s = { 0 };
    char id[17];
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    int kills = 0;
    kbj_job *j;

    srand(seed);
    /* slow enough pages that ten kills land before the end */
    submit(eng, list_fd("/page/%d?sleep_ms=50", 1, 400, NULL), NULL, id);
    for (int round = 0; round < 10; round++) {
        unsigned ms = 50 + (unsigned)(rand() % 400);
        pid_t child = fork_runner_lease(eng, 2);
        kbj_test_msleep(ms);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        print_message("round %d (seed %u): killed after %u ms with %lld posts\n", round, seed, ms,
                      kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"));
        kills++;
        j = kbj_test_job(eng, id);
        if (!strcmp(j->status, "completed")) {
            kbj_job_free(j);
            break;
        }
        if (!strcmp(j->status, "running")) {
            kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) - INTERVAL 1 SECOND"
                               " WHERE status = 'running'");
            assert_int_equal(kbj_reap(eng, NULL), KBJ_OK);
            assert_job(eng, id, "interrupted");
        }
        kbj_job_free(j);
        j = kbj_test_job(eng, id);
        if (!strcmp(j->status, "interrupted"))
            assert_int_equal(kbj_job_resume(eng, id), KBJ_OK);
        kbj_job_free(j);
    }
    assert_int_equal(kills, 10);
    kbj_import_set_sink(eng, test_sink, &s);
    kbj_test_run_queue(eng, KBJ_IMPORT_QUEUE);
    assert_job(eng, id, "completed");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts"), 400);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_artifacts WHERE post_id > 0"), 400);
    assert_true(kbj_test_int(eng, "SELECT MAX(writes) FROM {p}kbjobs_test_posts") <= 2);
    kbj_import_set_sink(eng, NULL, NULL);
}

/* Whether any file under `dir` (one level of subdirectories, as artifacts/<hh>/) is a
 * temporary one, or a .json that does not parse. */
static int artifacts_whole(const char *dir)
{
    char cmd[1200];
    int bad;
    /* python-free: find lists temporaries; every .json must parse with jq-less checks in
     * C, so read them here */
    snprintf(cmd, sizeof cmd, "find '%s' -name '.*.tmp.*' | grep -q .", dir);
    if (system(cmd) == 0)
        return 0;
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.json'", dir);
    FILE *p = popen(cmd, "r");
    char path[1024];
    bad = 0;
    while (p && fgets(path, sizeof path, p)) {
        json_error_t e;
        json_t *j;
        path[strcspn(path, "\n")] = '\0';
        j = json_load_file(path, 0, &e);
        if (!j)
            bad++;
        json_decref(j);
    }
    if (p)
        pclose(p);
    return bad == 0;
}

/* Cancelling an import while the pipeline has transfers in flight (to a server that
 * never answers) closes every one of them within a second of the runner seeing the
 * cancel (its heartbeat, every 2/3 s with a 2 s lease), and leaves no artifact half
 * written. */
static void cancel_mid_stream_stops_every_transfer_at_once(void **state)
{
    kbj_engine *eng = *state;
    char id[17], extra[8192] = "", dir[1024];
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int hole = socket(AF_INET, SOCK_STREAM, 0), conns[64], nconns = 0, open_now, waited = 0;
    pid_t child;
    double t0;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(hole, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(hole, 64), 0);
    assert_int_equal(getsockname(hole, (struct sockaddr *)&a, &len), 0);
    fcntl(hole, F_SETFL, O_NONBLOCK);
    for (int i = 0; i < 30; i++) {
        size_t off = strlen(extra);
        snprintf(extra + off, sizeof extra - off, "http://127.0.0.1:%d/never/%d\n", ntohs(a.sin_port), i);
    }
    /* a first chunk of fixture pages is written while the next two wait on the hole */
    submit(eng, list_fd("/page/%d", 1, 10, extra), NULL, id);
    child = fork_runner_lease(eng, 2);
    while (nconns < 6) { /* six requests at once per host: all in flight */
        int c = accept(hole, NULL, NULL);
        if (c >= 0)
            conns[nconns++] = c;
        else
            kbj_test_msleep(10);
        assert_true(waited++ < 1500);
    }
    while (kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_test_posts") < 10) {
        kbj_test_msleep(10);
        assert_true(waited++ < 3000);
    }
    assert_int_equal(kbj_job_cancel(eng, id, NULL), KBJ_OK);
    t0 = kbj_test_now();
    do {
        open_now = 0;
        for (int i = 0; i < nconns; i++) {
            char b[256];
            ssize_t n;
            if (conns[i] < 0)
                continue;
            n = recv(conns[i], b, sizeof b, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                close(conns[i]);
                conns[i] = -1;
            } else {
                open_now++;
            }
        }
        if (open_now)
            kbj_test_msleep(10);
    } while (open_now && kbj_test_now() - t0 < 5);
    print_message("transfers closed %.3f s after the cancel request\n", kbj_test_now() - t0);
    assert_int_equal(open_now, 0);
    /* the heartbeat sees the cancel within 2/3 s; the transfers end at once after */
    assert_true(kbj_test_now() - t0 < 1.7);
    waitpid(child, NULL, 0);
    assert_job(eng, id, "cancelled");
    snprintf(dir, sizeof dir, "%s/artifacts", eng->data_dir);
    assert_true(artifacts_whole(dir));
    close(hole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(artifacts_only_writes_files_and_index, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(posts_are_made_once_and_reimports_change_nothing, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(rewrite_restores_a_deleted_artifact_for_the_same_post, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(failed_items_are_recorded_and_the_rest_imported, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_failing_sink_advances_nothing_and_the_retry_finishes, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_stop_request_finishes_the_chunk_and_requeues, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(cancel_mid_import_then_resume, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_killed_runner_s_import_resumes_with_one_post_per_url, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(ranges_run_in_parallel_and_the_import_sums_them, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(cancelling_an_import_cancels_its_ranges_and_resume_resumes_them, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_length_lie_does_not_cost_the_pages_after_it, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(hostile_lists_are_reported_not_imported, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_chunk_replayed_after_a_crash_counts_as_created, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(an_empty_page_is_a_failed_item, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(the_artifact_index_keeps_no_credentials, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(the_posts_statement_fits_a_thousand_posts_with_long_ids, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_streaming_runner_killed_at_random_points_leaves_one_post_per_url, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(cancel_mid_stream_stops_every_transfer_at_once, setup,
                                        kbj_test_engine_teardown),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests_name("import", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
