#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *kbj_test_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("%s is not set: run the engine tests through `make test-engine`", name);
    return v;
}

static kbj_db_settings base_settings(void)
{
    kbj_db_settings s = {
        .user = kbj_test_env("KBJOBS_DB_USER"),
        .password = kbj_test_env("KBJOBS_DB_PASSWORD"),
        .database = kbj_test_env("KBJOBS_DB_NAME"),
        .prefix = "kbt_",
    };
    return s;
}

kbj_db_settings kbj_test_settings(void)
{
    static char host[300];
    kbj_db_settings s = base_settings();
    snprintf(host, sizeof host, "localhost:%s", kbj_test_env("KBJOBS_DB_SOCKET"));
    s.host = host;
    return s;
}

kbj_db_settings kbj_test_settings_tcp(void)
{
    static char host[64];
    kbj_db_settings s = base_settings();
    snprintf(host, sizeof host, "127.0.0.1:%s", kbj_test_env("KBJOBS_DB_PORT"));
    s.host = host;
    return s;
}

kbj_store *kbj_test_store(void)
{
    kbj_db_settings s = kbj_test_settings();
    kbj_store *st = kbj_store_new();
    assert_non_null(st);
    if (kbj_store_connect(st, &s) != KBJ_OK)
        fail_msg("cannot connect to the test database: %s", kbj_store_errmsg(st));
    return st;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void kbj_test_rmtree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int kbj_test_tmpdir_setup(void **state)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/kbj-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpl))
        return -1;
    *state = strdup(tmpl);
    return *state ? 0 : -1;
}

int kbj_test_tmpdir_teardown(void **state)
{
    char *dir = *state;
    if (dir) {
        kbj_test_rmtree(dir);
        free(dir);
    }
    return 0;
}

kbj_engine *kbj_test_engine(const char *prefix, unsigned lease_seconds)
{
    static const char *const tables[] = { "job_state", "job_data", "keys", "attempts", "runners", "failures",
                                          "alerts", "diag", "queues", "resources", "artifacts", "audit", "metrics",
                                          "metrics_hist" };
    kbj_engine *eng = NULL;
    int rc = kbj_test_connect_prefix(prefix, lease_seconds, &eng);

    if (rc)
        fail_msg("connect: %s", kbj_errmsg(eng));
    rc = kbj_migrate_all(eng, NULL); /* tables an earlier run left at an older schema, with jobs */
    if (rc)
        fail_msg("migrate: %s", kbj_errmsg(eng));
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "DELETE FROM {p}kbjobs_%s", tables[i]);
        kbj_test_exec(eng, sql);
    }
    kbj_test_exec(eng, "UPDATE {p}kbjobs_meta SET value = '0' WHERE name = 'failures_evicted'");
    kbj_test_exec(eng, "DELETE FROM {p}kbjobs_meta WHERE name IN ('failures_evicted_partial',"
                  " 'metrics_rolled_until', 'metrics_merged_until', 'cleanup_logs_cursor')");
    return eng;
}

kbj_engine *kbj_test_engine_join(kbj_engine *eng)
{
    kbj_engine *c = kbj_engine_clone(eng);
    if (!c)
        fail_msg("clone: %s", kbj_errmsg(eng));
    return c;
}

kbj_engine *kbj_test_engine_open(const char *prefix, unsigned lease_seconds, const char *data_dir)
{
    kbj_config cfg = { 0 };
    kbj_engine *eng = kbj_engine_new();
    if (!eng)
        return NULL;
    cfg.db = kbj_test_settings();
    cfg.db.prefix = prefix;
    cfg.data_dir = data_dir;
    cfg.lease_seconds = lease_seconds;
    if (kbj_engine_connect(eng, &cfg) != KBJ_OK || kbj_register_builtin_types(eng) != KBJ_OK) {
        kbj_engine_free(eng);
        return NULL;
    }
    return eng;
}

void kbj_test_engine_free(kbj_engine *eng)
{
    char dir[512];
    if (!eng)
        return;
    snprintf(dir, sizeof dir, "%s", eng->data_dir);
    kbj_engine_free(eng);
    kbj_test_rmtree(dir);
}

/* The jobs are a view over two tables (engine/core/schema_split.c), which no statement
 * may change both of: a test's UPDATE or DELETE of "{p}kbjobs_jobs" goes to the two
 * tables joined by id instead (the view's columns, bar the computed ones, are theirs). */
#define JOBS_UPDATE "UPDATE {p}kbjobs_jobs "
#define JOBS_DELETE "DELETE FROM {p}kbjobs_jobs "
#define BOTH "{p}kbjobs_job_state JOIN {p}kbjobs_job_data USING (id) "

unsigned long long kbj_test_exec(kbj_engine *eng, const char *sql)
{
    unsigned long long n = 0;
    char *own = NULL;
    int rc;
    if (strncmp(sql, JOBS_UPDATE, strlen(JOBS_UPDATE)) == 0) {
        own = malloc(strlen(sql) + 128);
        assert_non_null(own);
        sprintf(own, "UPDATE " BOTH "%s", sql + strlen(JOBS_UPDATE));
    } else if (strncmp(sql, JOBS_DELETE, strlen(JOBS_DELETE)) == 0) {
        own = malloc(strlen(sql) + 160);
        assert_non_null(own);
        sprintf(own, "DELETE {p}kbjobs_job_state, {p}kbjobs_job_data FROM " BOTH "%s", sql + strlen(JOBS_DELETE));
    }
    rc = kbj_store_exec(eng->st, own ? own : sql, NULL, 0, &n);
    if (rc != KBJ_OK)
        fail_msg("%s: %s", own ? own : sql, kbj_errmsg(eng));
    free(own);
    return n;
}

long long kbj_test_int(kbj_engine *eng, const char *sql)
{
    kbj_rows *rows = NULL;
    long long v;
    if (kbj_store_query(eng->st, sql, NULL, 0, &rows) != KBJ_OK)
        fail_msg("%s: %s", sql, kbj_errmsg(eng));
    v = kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return v;
}

const char *kbj_test_submit(kbj_engine *eng, const char *type, const char *params, const char *queue)
{
    static char ids[8][KBJ_ID_LEN + 1];
    static int next;
    char *id = ids[next++ % 8];
    kbj_submit s = { 0 };
    s.type = type;
    s.params = params;
    s.queue = queue;
    if (kbj_submit_job(eng, &s, id, NULL) != KBJ_OK)
        fail_msg("submit %s: %s", type, kbj_errmsg(eng));
    return id;
}

const char *kbj_test_status(kbj_engine *eng, const char *id)
{
    static char st[8][16];
    static int next;
    char *s = st[next++ % 8];
    kbj_job *j = NULL;
    if (kbj_job_get(eng, id, &j) != KBJ_OK)
        fail_msg("get %s: %s", id, kbj_errmsg(eng));
    snprintf(s, 16, "%s", j->status);
    kbj_job_free(j);
    return s;
}

int kbj_test_engine_teardown(void **state)
{
    kbj_test_engine_free(*state);
    return 0;
}

void kbj_test_submit_n(kbj_engine *eng, const char *type, const char *queue, int n)
{
    kbj_submit *jobs = calloc((size_t)n, sizeof *jobs);
    char (*ids)[KBJ_ID_LEN + 1] = calloc((size_t)n, sizeof *ids);
    assert_true(jobs && ids);
    for (int i = 0; i < n; i++) {
        jobs[i].type = type;
        jobs[i].queue = queue;
    }
    if (kbj_submit_many(eng, jobs, (size_t)n, ids) != KBJ_OK)
        fail_msg("submit %d %s: %s", n, type, kbj_errmsg(eng));
    free(jobs);
    free(ids);
}

kbj_run_report kbj_test_run_queue(kbj_engine *eng, const char *queue)
{
    const char *queues[1] = { queue };
    kbj_run_opts o = { .queues = queues, .nqueues = 1, .until_empty = 1 };
    kbj_run_report rep;
    if (kbj_run(eng, &o, &rep) != KBJ_OK)
        fail_msg("run %s: %s", queue, kbj_errmsg(eng));
    return rep;
}

kbj_job *kbj_test_job(kbj_engine *eng, const char *id)
{
    kbj_job *j = NULL;
    if (kbj_job_get(eng, id, &j) != KBJ_OK)
        fail_msg("get %s: %s", id, kbj_errmsg(eng));
    return j;
}

long long kbj_test_job_int(kbj_engine *eng, const char *expr, const char *id)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM {p}kbjobs_jobs WHERE public_id = '%s'", expr, id);
    return kbj_test_int(eng, sql);
}

void kbj_test_expire_lease(kbj_engine *eng, const char *id)
{
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) - INTERVAL 1 SECOND"
             " WHERE public_id = '%s' AND status = 'running'", id);
    if (kbj_test_exec(eng, sql) != 1)
        fail_msg("job %s is not running: no lease to expire", id);
}

void kbj_test_msleep(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

double kbj_test_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void kbj_test_drop_prefix(const char *prefix)
{
    kbj_store *st = kbj_test_store();
    kbj_rows *rows = NULL;
    if (kbj_store_query(st, "SELECT TABLE_NAME, TABLE_TYPE = 'VIEW' FROM information_schema.TABLES"
                        " WHERE TABLE_SCHEMA = DATABASE() AND LEFT(TABLE_NAME, CHAR_LENGTH(?)) = ?",
                        (kbj_val[]){ KBJ_VS(prefix), KBJ_VS(prefix) }, 2, &rows) != KBJ_OK)
        fail_msg("list tables: %s", kbj_store_errmsg(st));
    for (size_t i = 0; i < kbj_rows_count(rows); i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP %s IF EXISTS `%s`", kbj_rows_int(rows, i, 1) ? "VIEW" : "TABLE",
                 kbj_rows_str(rows, i, 0));
        if (kbj_store_exec(st, sql, NULL, 0, NULL) != KBJ_OK)
            fail_msg("%s: %s", sql, kbj_store_errmsg(st));
    }
    kbj_rows_free(rows);
    kbj_store_free(st);
}

int kbj_test_connect_prefix(const char *prefix, unsigned lease_seconds, kbj_engine **out)
{
    char dir[512];
    const char *tmp = getenv("KBJOBS_TEST_TMP");
    kbj_config cfg = { 0 };
    kbj_engine *eng = kbj_engine_new();
    int rc;

    assert_non_null(eng);
    snprintf(dir, sizeof dir, "%s/kbjobs-prefix-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        fail_msg("mkdtemp %s failed", dir);
    cfg.db = kbj_test_settings();
    cfg.db.prefix = prefix;
    cfg.data_dir = dir;
    cfg.lease_seconds = lease_seconds;
    *out = eng;
    rc = kbj_engine_connect(eng, &cfg);
    if (rc == KBJ_OK && kbj_register_builtin_types(eng) != KBJ_OK)
        fail_msg("types: %s", kbj_errmsg(eng));
    return rc;
}
