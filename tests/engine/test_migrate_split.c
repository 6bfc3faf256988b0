/* The migration to schema 14 (engine/core/schema_split.c) on tables that schema-13 code
 * left with jobs in them: a request does not move them and nothing runs or submits until
 * `wp kb migrate` (kbj_migrate_all) has; that moves every job in every status with all it
 * held, resumes a copy interrupted halfway, and raises the minimum code version so the
 * previous release's runners refuse the new tables. Each test builds a schema-13 database
 * by hand on a table prefix of its own and drops its tables at the start and the end. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE "msplit"
#define PREVIOUS_SCHEMA 13 /* what the release before the split knew */

/*
 * The jobs table as the migrations of schema 13 left it (main's engine/core/schema.c):
 * migration 1's CREATE TABLE, then migration 10's add_index status_id (status) and type_id
 * (type), then migration 13's add_column backlog (at the end) and add_index
 * backlog_status (backlog, status).
 */
static const char schema13_jobs[] =
    "CREATE TABLE {p}kbjobs_jobs ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " public_id CHAR(16) CHARACTER SET ascii NOT NULL,"
    " type VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " queue VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " status VARCHAR(12) CHARACTER SET ascii NOT NULL,"
    " priority SMALLINT NOT NULL DEFAULT 0,"
    " run_at DATETIME(6) NOT NULL,"
    " params LONGTEXT NOT NULL,"
    " result LONGTEXT NULL,"
    " error TEXT NULL,"
    " metrics TEXT NULL,"
    " title VARCHAR(255) NULL,"
    " phase VARCHAR(64) NULL,"
    " progress_done BIGINT NOT NULL DEFAULT 0,"
    " progress_total BIGINT NOT NULL DEFAULT 0,"
    " attempts INT NOT NULL DEFAULT 0,"
    " max_attempts INT NOT NULL,"
    " backoff VARCHAR(16) CHARACTER SET ascii NOT NULL,"
    " backoff_base_ms INT UNSIGNED NOT NULL,"
    " backoff_cap_ms INT UNSIGNED NOT NULL,"
    " backoff_jitter DOUBLE NOT NULL,"
    " on_expiry VARCHAR(12) CHARACTER SET ascii NOT NULL,"
    " concurrency_key VARCHAR(191) NULL,"
    " unique_key VARCHAR(191) NULL,"
    " unique_scope VARCHAR(12) CHARACTER SET ascii NULL,"
    " uniq_active VARCHAR(191) NULL,"
    " uniq_retained VARCHAR(191) NULL,"
    " cancel_requested TINYINT NOT NULL DEFAULT 0,"
    " lease_owner CHAR(16) CHARACTER SET ascii NULL,"
    " lease_token BIGINT NOT NULL DEFAULT 0,"
    " lease_expires DATETIME(6) NULL,"
    " rerun_of CHAR(16) CHARACTER SET ascii NULL,"
    " created_at DATETIME(6) NOT NULL,"
    " started_at DATETIME(6) NULL,"
    " progress_at DATETIME(6) NULL,"
    " finished_at DATETIME(6) NULL,"
    " updated_at DATETIME(6) NOT NULL,"
    " backlog VARCHAR(64) CHARACTER SET ascii NULL DEFAULT NULL,"
    " UNIQUE KEY public_id (public_id),"
    " UNIQUE KEY uniq_active (uniq_active),"
    " UNIQUE KEY uniq_retained (uniq_retained),"
    " KEY claim (status, queue, priority, run_at, id),"
    " KEY lease (status, lease_expires),"
    " KEY owner (lease_owner, status),"
    " KEY ckey (concurrency_key),"
    " KEY ukey (unique_key),"
    " KEY finished (finished_at),"
    " KEY type_finished (type, finished_at),"
    " KEY status_id (status),"
    " KEY type_id (type),"
    " KEY backlog_status (backlog, status))"
    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

/* The schema-13 table's columns in its order: what the view must show. */
#define OLD_COLUMNS                                                                                  \
    "id, public_id, type, queue, status, priority, run_at, params, result, error, metrics, title,"  \
    " phase, progress_done, progress_total, attempts, max_attempts, backoff, backoff_base_ms,"      \
    " backoff_cap_ms, backoff_jitter, on_expiry, concurrency_key, unique_key, unique_scope,"        \
    " uniq_active, uniq_retained, cancel_requested, lease_owner, lease_token, lease_expires,"       \
    " rerun_of, created_at, started_at, progress_at, finished_at, updated_at, backlog"

/* schema_split.c's state table and the columns its copy names, for a copy interrupted
 * after its first batch. */
static const char create_state[] =
    "CREATE TABLE IF NOT EXISTS {p}kbjobs_job_state ("
    " id BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
    " queue VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " status VARCHAR(12) CHARACTER SET ascii NOT NULL,"
    " priority SMALLINT NOT NULL DEFAULT 0,"
    " run_at DATETIME(6) NOT NULL,"
    " attempts INT NOT NULL DEFAULT 0,"
    " concurrency_key VARCHAR(191) NULL,"
    " cancel_requested TINYINT NOT NULL DEFAULT 0,"
    " lease_owner CHAR(16) CHARACTER SET ascii NULL,"
    " lease_token BIGINT NOT NULL DEFAULT 0,"
    " lease_expires DATETIME(6) NULL,"
    " started_at DATETIME(6) NULL,"
    " finished_at DATETIME(6) NULL,"
    " updated_at DATETIME(6) NOT NULL,"
    " backlog VARCHAR(64) CHARACTER SET ascii NULL,"
    " backlog_status VARCHAR(12) CHARACTER SET ascii AS (IF(backlog IS NULL, NULL, status)) VIRTUAL,"
    " KEY claim (status, queue, priority, run_at, id),"
    " KEY status_id (status),"
    " KEY finished (finished_at),"
    " KEY ckey (concurrency_key),"
    " KEY backlog_status (backlog, backlog_status))"
    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";
#define STATE_COLUMNS                                                                   \
    "id, queue, status, priority, run_at, attempts, concurrency_key, cancel_requested," \
    " lease_owner, lease_token, lease_expires, started_at, finished_at, updated_at, backlog"

/* ---- helpers ------------------------------------------------------------------- */

static kbj_engine *connected(const char *prefix, unsigned lease_seconds)
{
    kbj_engine *eng = NULL;
    if (kbj_test_connect_prefix(prefix, lease_seconds, &eng) != KBJ_OK)
        fail_msg("connect: %s", kbj_errmsg(eng));
    return eng;
}

/* The first column of the first row as text, into buf ("" when none or NULL). */
static const char *query_str(kbj_engine *eng, const char *sql, char *buf, size_t cap)
{
    kbj_rows *rows = NULL;
    if (kbj_store_query(eng->st, sql, NULL, 0, &rows) != KBJ_OK)
        fail_msg("%s: %s", sql, kbj_errmsg(eng));
    snprintf(buf, cap, "%s", kbj_rows_count(rows) > 0 && kbj_rows_str(rows, 0, 0) ? kbj_rows_str(rows, 0, 0) : "");
    kbj_rows_free(rows);
    return buf;
}

/* "BASE TABLE", "VIEW" or "" for a kbjobs table name under the engine's prefix. */
static const char *table_type(kbj_engine *eng, const char *name, char *buf, size_t cap)
{
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
             " AND TABLE_NAME = CONCAT('%s', '%s')", kbj_store_prefix(eng->st), name);
    return query_str(eng, sql, buf, cap);
}

/* The columns (or, with `indexes`, the index names) of a table under the engine's prefix,
 * comma-separated, in order. */
static const char *table_shape(kbj_engine *eng, const char *name, int indexes, char *buf, size_t cap)
{
    char sql[512];
    if (indexes)
        snprintf(sql, sizeof sql, "SELECT GROUP_CONCAT(DISTINCT INDEX_NAME ORDER BY INDEX_NAME)"
                 " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
                 " AND TABLE_NAME = CONCAT('%s', '%s')", kbj_store_prefix(eng->st), name);
    else
        snprintf(sql, sizeof sql, "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR ', ')"
                 " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                 " AND TABLE_NAME = CONCAT('%s', '%s')", kbj_store_prefix(eng->st), name);
    return query_str(eng, sql, buf, cap);
}

static void assert_schema(kbj_engine *eng, int want_version, int want_min)
{
    int v = -1, m = -1;
    if (kbj_schema_info(eng, &v, &m) != KBJ_OK)
        fail_msg("schema info: %s", kbj_errmsg(eng));
    assert_int_equal(v, want_version);
    assert_int_equal(m, want_min);
}

/*
 * A schema-13 database on `prefix`: migrated from nothing (no jobs, so kbj_migrate goes
 * to 14), then turned back: the view and the two tables dropped, the jobs table made as
 * schema 13 had it, and the versions set back. Returns the engine that did it.
 */
static kbj_engine *schema13(const char *prefix)
{
    kbj_engine *eng = connected(prefix, 0);
    char type[32];

    assert_int_equal(kbj_migrate(eng), KBJ_OK);
    assert_schema(eng, KBJ_SCHEMA_VERSION, 14);
    kbj_test_exec(eng, "DROP VIEW {p}kbjobs_jobs");
    kbj_test_exec(eng, "DROP TABLE {p}kbjobs_job_state, {p}kbjobs_job_data");
    kbj_test_exec(eng, schema13_jobs);
    assert_int_equal(kbj_test_exec(eng, "UPDATE {p}kbjobs_meta SET value = '13' WHERE name = 'schema_version'"), 1);
    assert_int_equal(kbj_test_exec(eng, "UPDATE {p}kbjobs_meta SET value = '1' WHERE name = 'min_code_version'"), 1);
    assert_schema(eng, PREVIOUS_SCHEMA, 1);
    assert_string_equal(table_type(eng, "kbjobs_jobs", type, sizeof type), "BASE TABLE");
    return eng;
}

/* Every job's row as a hash of all its columns, in a table of the test's prefix
 * ({p}snapshot), to compare with what the view shows after the split. */
static void snapshot(kbj_engine *eng)
{
    kbj_test_exec(eng, "CREATE TABLE {p}snapshot (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, h CHAR(32) NOT NULL)"
                  " ENGINE=InnoDB");
    kbj_test_exec(eng, "INSERT INTO {p}snapshot SELECT id, MD5(JSON_ARRAY(" OLD_COLUMNS ")) FROM {p}kbjobs_jobs");
}

/* How many jobs of the snapshot the view shows otherwise (any column) or not at all, and
 * how many it shows that the snapshot did not have. */
static long long rows_changed(kbj_engine *eng)
{
    return kbj_test_int(eng, "SELECT (SELECT COUNT(*) FROM {p}snapshot s LEFT JOIN (SELECT id, MD5(JSON_ARRAY("
                        OLD_COLUMNS ")) AS h FROM {p}kbjobs_jobs) j ON j.id = s.id WHERE j.h IS NULL OR j.h <> s.h)"
                        " + (SELECT COUNT(*) FROM {p}kbjobs_jobs j LEFT JOIN {p}snapshot s ON s.id = j.id"
                        " WHERE s.id IS NULL)");
}

/* What kbj_migrate_all reported. */
typedef struct moves {
    int calls;
    int backwards;                 /* moved or at_id went down from one call to the next */
    int past_top;                  /* at_id above top_id */
    unsigned long long first_moved, first_at, moved, at, top;
} moves;

static void on_progress(unsigned long long moved, unsigned long long at_id, unsigned long long top_id, void *arg)
{
    moves *m = arg;
    if (m->calls == 0) {
        m->first_moved = moved;
        m->first_at = at_id;
    } else if (moved < m->moved || at_id < m->at) {
        m->backwards = 1;
    }
    if (at_id > top_id)
        m->past_top = 1;
    m->calls++;
    m->moved = moved;
    m->at = at_id;
    m->top = top_id;
}

/* A job's time column as microseconds since the epoch, from the table as it is now. */
static long long job_micros(kbj_engine *eng, const char *column, const char *id)
{
    char expr[96];
    snprintf(expr, sizeof expr, "TIMESTAMPDIFF(MICROSECOND, '1970-01-01', %s)", column);
    return kbj_test_job_int(eng, expr, id);
}

static long long micros(double t)
{
    return llround(t * 1e6);
}

static void assert_str_or_null(const char *got, const char *want, const char *what, const char *id)
{
    if (!want && !got)
        return;
    if (!want || !got || strcmp(got, want) != 0)
        fail_msg("job %s: %s is %s%s%s, not %s%s%s", id, what, got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
                 want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
}

/* ---- a job in every status ------------------------------------------------------- */

enum { J_QUEUED, J_LATER, J_HELD, J_RUNNING, J_INTERRUPTED, J_FAILED, J_COMPLETED, J_CANCELLED, J_UNIQUE, J_CKEY,
       NJOBS };

#define RUNNER "0123456789abcdef"
#define TOKEN 4242
#define TOKEN_SQL "4242"
#define UKEY "msplit:unique"

/* A job as schema-13 code left it; the SQL fields are expressions, the others values
 * (NULL for NULL). Its completions set progress_done to the total, as the view reads a
 * completed job's progress. */
typedef struct old_job {
    const char *id, *status, *params, *result, *error, *backlog, *ckey, *ukey;
    int attempts, max_attempts;
    long long done, total;
    const char *run_at;     /* SQL */
    const char *created_at; /* SQL */
    const char *lease;      /* SQL: lease_owner, lease_token, lease_expires */
    const char *times;      /* SQL: started_at, progress_at, finished_at */
    const char *extra;      /* SQL: metrics, title, phase */
} old_job;

#define NO_LEASE "NULL, 0, NULL"
#define NO_TIMES "NULL, NULL, NULL"
#define NO_EXTRA "NULL, NULL, NULL"
#define LONG_AGO "'2024-05-01 09:00:00.500000'"

static const old_job jobs[NJOBS] = {
    [J_QUEUED] = { "5a11000000000001", "queued", "{\"n\":1,\"s\":\"queued\"}", NULL, NULL, NULL, NULL, NULL, 0, 1,
                   0, 0, LONG_AGO, "'2024-05-01 08:00:01.000001'", NO_LEASE, NO_TIMES, NO_EXTRA },
    [J_LATER] = { "5a11000000000002", "queued", "{\"n\":2,\"s\":\"later\"}", NULL, NULL, NULL, NULL, NULL, 0, 1, 0,
                  0, "NOW(6) + INTERVAL 1 HOUR", "'2024-05-01 08:00:02.000002'", NO_LEASE, NO_TIMES, NO_EXTRA },
    [J_HELD] = { "5a11000000000003", "held", "{\"n\":3,\"s\":\"held\"}", NULL, NULL, "bl", NULL, NULL, 0, 1, 0, 0,
                 LONG_AGO, "'2024-05-01 08:00:03.000003'", NO_LEASE, NO_TIMES, NO_EXTRA },
    [J_RUNNING] = { "5a11000000000004", "running", "{\"n\":4,\"s\":\"running\"}", NULL, NULL, NULL, NULL, NULL, 1, 1,
                    2, 8, LONG_AGO, "'2024-05-01 08:00:04.000004'",
                    "'" RUNNER "', " TOKEN_SQL ", NOW(6) + INTERVAL 60 SECOND",
                    "NOW(6) - INTERVAL 5 SECOND, NOW(6) - INTERVAL 1 SECOND, NULL", "NULL, 'Running', 'work'" },
    [J_INTERRUPTED] = { "5a11000000000005", "interrupted", "{\"n\":5,\"s\":\"interrupted\"}", NULL,
                        "the lease expired: runner " RUNNER " stopped renewing it", NULL, NULL, NULL, 1, 1, 3, 10,
                        LONG_AGO, "'2024-05-01 08:00:05.000005'", NO_LEASE,
                        "'2024-05-01 09:00:01', '2024-05-01 09:00:02.250000', NULL",
                        "'{\"bytes\":30}', NULL, 'copying'" },
    [J_FAILED] = { "5a11000000000006", "failed", "{\"n\":6,\"s\":\"failed\"}", NULL, "boom 3", NULL, NULL, NULL, 3, 3,
                   0, 0, LONG_AGO, "'2024-05-01 08:00:06.000006'", NO_LEASE,
                   "'2024-05-01 09:03:00', NULL, '2024-05-01 09:03:01'", NO_EXTRA },
    [J_COMPLETED] = { "5a11000000000007", "completed", "{\"n\":7,\"s\":\"completed\"}", "{\"ok\":true,\"items\":5}",
                      NULL, NULL, NULL, NULL, 1, 1, 5, 5, LONG_AGO, "'2024-05-01 08:00:07.000007'", NO_LEASE,
                      "'2024-05-01 09:00:01', '2024-05-01 09:00:03', '2024-05-01 09:00:04.750000'",
                      "'{\"items\":5}', 'Five items', 'done'" },
    [J_CANCELLED] = { "5a11000000000008", "cancelled", "{\"n\":8,\"s\":\"cancelled\"}", NULL, NULL, NULL, NULL, NULL,
                      0, 1, 0, 0, LONG_AGO, "'2024-05-01 08:00:08.000008'", NO_LEASE,
                      "NULL, NULL, '2024-05-01 09:00:05'", NO_EXTRA },
    [J_UNIQUE] = { "5a11000000000009", "queued", "{\"n\":9,\"s\":\"unique\"}", NULL, NULL, NULL, NULL, UKEY, 0, 1, 0,
                   0, LONG_AGO, "'2024-05-01 08:00:09.000009'", NO_LEASE, NO_TIMES, NO_EXTRA },
    [J_CKEY] = { "5a1100000000000a", "queued", "{\"n\":10,\"s\":\"ckey\"}", NULL, NULL, NULL, "msplit:ckey", NULL, 0,
                 1, 0, 0, LONG_AGO, "'2024-05-01 08:00:10.000010'", NO_LEASE, NO_TIMES, NO_EXTRA },
};

/* 'value' or NULL, for SQL (the values have no quotes of their own). */
static const char *lit(const char *v, char *buf, size_t cap)
{
    if (!v)
        return "NULL";
    snprintf(buf, cap, "'%s'", v);
    return buf;
}

static void insert_old_job(kbj_engine *eng, const old_job *j)
{
    char sql[4096], p[128], r[128], e[128], b[80], c[220], u[220];
    int scope = j->ukey != NULL;
    snprintf(sql, sizeof sql,
             "INSERT INTO {p}kbjobs_jobs (public_id, type, queue, status, priority, run_at, params, result, error,"
             " metrics, title, phase, progress_done, progress_total, attempts, max_attempts, backoff,"
             " backoff_base_ms, backoff_cap_ms, backoff_jitter, on_expiry, concurrency_key, unique_key,"
             " unique_scope, uniq_active, uniq_retained, cancel_requested, lease_owner, lease_token, lease_expires,"
             " rerun_of, created_at, started_at, progress_at, finished_at, updated_at, backlog) VALUES"
             " ('%s', 'diag.echo', '" QUEUE "', '%s', 0, %s, %s, %s, %s, %s, %lld, %lld, %d, %d, 'polynomial',"
             " 15000, 3600000, 0.1, 'interrupt', %s, %s, %s, %s, NULL, 0, %s, NULL, %s, %s,"
             " '2024-05-01 09:10:00.000001', %s)",
             j->id, j->status, j->run_at, lit(j->params, p, sizeof p), lit(j->result, r, sizeof r),
             lit(j->error, e, sizeof e), j->extra, j->done, j->total, j->attempts, j->max_attempts,
             lit(j->ckey, c, sizeof c), lit(j->ukey, u, sizeof u), scope ? "'active'" : "NULL",
             scope ? "'" UKEY "'" : "NULL", j->lease, j->created_at, j->times, lit(j->backlog, b, sizeof b));
    assert_int_equal(kbj_test_exec(eng, sql), 1);
}

/* The job's pk, from the table or view under {p}kbjobs_jobs. */
static unsigned long long job_pk(kbj_engine *eng, const char *id)
{
    return (unsigned long long)kbj_test_job_int(eng, "id", id);
}

static void assert_status(kbj_engine *eng, const char *id, const char *want)
{
    const char *got = kbj_test_status(eng, id);
    if (strcmp(got, want) != 0)
        fail_msg("job %s is %s, not %s", id, got, want);
}

static void the_split_keeps_every_job_in_every_status(void **state)
{
    static const char *const P = "kbt_msplit1_";
    static const char *const queues[] = { QUEUE };
    kbj_engine *eng;
    long long run_at[NJOBS], created_at[NJOBS], started_at[NJOBS], finished_at[NJOBS];
    unsigned long long pk[NJOBS], top;
    char old_columns[1024], buf[1024], id[KBJ_ID_LEN + 1];
    kbj_submit again = { .type = "diag.echo", .queue = QUEUE, .params = "{\"again\":1}", .unique_key = UKEY,
                         .unique_scope = KBJ_UNIQUE_ACTIVE };
    moves m = { 0 };
    kbj_migrate_progress progress = { on_progress, &m };
    int existed = -1;
    (void)state;

    kbj_test_drop_prefix(P);
    eng = schema13(P);
    for (int i = 0; i < NJOBS; i++)
        insert_old_job(eng, &jobs[i]);
    /* the failed job's three attempts and its FailureLog entry, keyed by its row id */
    for (int a = 1; a <= 3; a++) {
        char sql[512];
        snprintf(sql, sizeof sql, "INSERT INTO {p}kbjobs_attempts (job_id, attempt, outcome, runner, started_at,"
                 " finished_at, error) SELECT id, %d, 'failed', '" RUNNER "', '2024-05-01 09:0%d:00',"
                 " '2024-05-01 09:0%d:01', 'boom %d' FROM {p}kbjobs_jobs WHERE public_id = '%s'",
                 a, a, a, a, jobs[J_FAILED].id);
        assert_int_equal(kbj_test_exec(eng, sql), 1);
    }
    snprintf(buf, sizeof buf, "INSERT INTO {p}kbjobs_failures (job_id, public_id, type, message, attempts, failed_at)"
             " SELECT id, public_id, type, error, attempts, finished_at FROM {p}kbjobs_jobs WHERE public_id = '%s'",
             jobs[J_FAILED].id);
    assert_int_equal(kbj_test_exec(eng, buf), 1);
    for (int i = 0; i < NJOBS; i++) {
        pk[i] = job_pk(eng, jobs[i].id);
        run_at[i] = job_micros(eng, "run_at", jobs[i].id);
        created_at[i] = job_micros(eng, "created_at", jobs[i].id);
        started_at[i] = job_micros(eng, "COALESCE(started_at, '1970-01-01')", jobs[i].id);
        finished_at[i] = job_micros(eng, "COALESCE(finished_at, '1970-01-01')", jobs[i].id);
    }
    top = pk[NJOBS - 1];
    table_shape(eng, "kbjobs_jobs", 0, old_columns, sizeof old_columns);
    assert_string_equal(old_columns, OLD_COLUMNS);
    snapshot(eng);
    kbj_test_engine_free(eng);

    /* code of schema 14 on those tables: it connects, says they are behind, and neither
     * runs nor submits, saying what to do */
    eng = connected(P, 300);
    assert_int_equal(kbj_schema_behind(eng), 1);
    {
        kbj_run_opts o = { .queues = queues, .nqueues = 1, .until_empty = 1 };
        kbj_run_report rep;
        assert_int_equal(kbj_run(eng, &o, &rep), KBJ_EUNSUPPORTED);
        if (!strstr(kbj_errmsg(eng), "wp kb migrate"))
            fail_msg("kbj_run's message \"%s\" does not name `wp kb migrate`", kbj_errmsg(eng));
        assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_runners"), 0);
    }
    {
        kbj_submit s = { .type = "diag.echo", .queue = QUEUE, .params = "{}" };
        assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_EUNSUPPORTED);
        if (!strstr(kbj_errmsg(eng), "wp kb migrate"))
            fail_msg("kbj_submit_job's message \"%s\" does not name `wp kb migrate`", kbj_errmsg(eng));
    }

    /* a request's migration leaves the jobs where they are */
    assert_int_equal(kbj_migrate(eng), KBJ_OK);
    assert_schema(eng, PREVIOUS_SCHEMA, 1);
    assert_int_equal(kbj_schema_behind(eng), 1);
    assert_string_equal(table_type(eng, "kbjobs_jobs", buf, sizeof buf), "BASE TABLE");
    assert_string_equal(table_type(eng, "kbjobs_job_state", buf, sizeof buf), "");
    assert_string_equal(table_type(eng, "kbjobs_job_data", buf, sizeof buf), "");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), NJOBS);
    assert_int_equal(rows_changed(eng), 0);

    /* `wp kb migrate` moves them */
    assert_int_equal(kbj_migrate_all(eng, &progress), KBJ_OK);
    assert_true(m.calls >= 1);
    assert_int_equal(m.moved, NJOBS);
    assert_int_equal(m.at, top);
    assert_int_equal(m.top, top);
    assert_false(m.backwards);
    assert_false(m.past_top);
    assert_schema(eng, KBJ_SCHEMA_VERSION, 14);
    assert_int_equal(kbj_schema_behind(eng), 0);
    assert_string_equal(table_type(eng, "kbjobs_jobs", buf, sizeof buf), "VIEW");
    assert_string_equal(table_type(eng, "kbjobs_job_state", buf, sizeof buf), "BASE TABLE");
    assert_string_equal(table_type(eng, "kbjobs_job_data", buf, sizeof buf), "BASE TABLE");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_job_state"), NJOBS);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_job_data"), NJOBS);
    /* the view has the old table's columns, and every row reads as it did, column for column */
    assert_string_equal(table_shape(eng, "kbjobs_jobs", 0, buf, sizeof buf), old_columns);
    assert_int_equal(rows_changed(eng), 0);
    /* the data table kept none of the state: no column, no index that held one */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM information_schema.COLUMNS"
                                       " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'kbt_msplit1_kbjobs_job_data'"
                                       " AND COLUMN_NAME = 'status'"), 0);
    assert_string_equal(table_shape(eng, "kbjobs_job_state", 0, buf, sizeof buf), STATE_COLUMNS ", backlog_status");
    assert_string_equal(table_shape(eng, "kbjobs_job_data", 0, buf, sizeof buf),
                        "id, public_id, type, params, result, error, metrics, title, phase, progress_done,"
                        " progress_total, max_attempts, backoff, backoff_base_ms, backoff_cap_ms, backoff_jitter,"
                        " on_expiry, unique_key, unique_scope, uniq_active, uniq_retained, rerun_of, created_at,"
                        " progress_at, updated_at");
    assert_string_equal(table_shape(eng, "kbjobs_job_data", 1, buf, sizeof buf),
                        "PRIMARY,public_id,type_id,ukey,uniq_active,uniq_retained");

    /* each job through the engine's read, as it was */
    for (int i = 0; i < NJOBS; i++) {
        const old_job *o = &jobs[i];
        kbj_job *j = kbj_test_job(eng, o->id);
        assert_string_equal(j->status, o->status);
        assert_string_equal(j->type, "diag.echo");
        assert_string_equal(j->queue, QUEUE);
        assert_str_or_null(j->params, o->params, "params", o->id);
        assert_str_or_null(j->result, o->result, "result", o->id);
        assert_str_or_null(j->error, o->error, "error", o->id);
        assert_str_or_null(j->concurrency_key, o->ckey, "concurrency key", o->id);
        assert_str_or_null(j->unique_key, o->ukey, "unique key", o->id);
        assert_string_equal(j->backlog, o->backlog ? o->backlog : "");
        assert_int_equal(j->attempts, o->attempts);
        assert_int_equal(j->max_attempts, o->max_attempts);
        assert_int_equal(j->progress_done, o->done);
        assert_int_equal(j->progress_total, o->total);
        assert_int_equal(micros(j->run_at), run_at[i]);
        assert_int_equal(micros(j->created_at), created_at[i]);
        assert_int_equal(micros(j->started_at), started_at[i]);
        assert_int_equal(micros(j->finished_at), finished_at[i]);
        assert_int_equal(job_pk(eng, o->id), pk[i]);
        assert_string_equal(j->runner, i == J_RUNNING ? RUNNER : "");
        kbj_job_free(j);
    }
    /* an anchor for the times: a literal reads back as that UTC time */
    assert_int_equal(created_at[J_QUEUED], 1714550401000001LL);

    /* the active unique key still points to its job */
    assert_int_equal(kbj_submit_job(eng, &again, id, &existed), KBJ_OK);
    assert_int_equal(existed, 1);
    assert_string_equal(id, jobs[J_UNIQUE].id);

    /* the running job's lease goes on under its token, and no other */
    {
        kbj_lease l = { 0 };
        int cancel = -1;
        l.pk = pk[J_RUNNING];
        snprintf(l.id, sizeof l.id, "%s", jobs[J_RUNNING].id);
        snprintf(l.type, sizeof l.type, "diag.echo");
        snprintf(l.queue, sizeof l.queue, QUEUE);
        l.attempts = 1;
        l.max_attempts = 1;
        l.token = TOKEN + 1;
        assert_int_equal(kbj_heartbeat(eng, &l, &cancel), KBJ_ELEASE);
        l.token = TOKEN;
        assert_int_equal(kbj_heartbeat(eng, &l, &cancel), KBJ_OK);
        assert_int_equal(cancel, 0);
        /* renewed by the engine's lease time (300 s), past the 60 s it had */
        assert_int_equal(kbj_test_job_int(eng, "lease_expires > NOW(6) + INTERVAL 240 SECOND", l.id), 1);
        assert_int_equal(kbj_complete(eng, &l, "{\"finished\":\"after the split\"}"), KBJ_OK);
        assert_status(eng, l.id, "completed");
        {
            kbj_job *j = kbj_test_job(eng, l.id);
            assert_string_equal(j->result, "{\"finished\":\"after the split\"}");
            assert_true(j->finished_at > 0);
            kbj_job_free(j);
        }
    }

    /* the interrupted job resumes with its progress; the held one is released; the
     * failed one is resumed (its FailureLog entry goes, its attempts stay) */
    assert_int_equal(kbj_job_resume(eng, jobs[J_INTERRUPTED].id), KBJ_OK);
    assert_status(eng, jobs[J_INTERRUPTED].id, "queued");
    assert_int_equal(kbj_test_job_int(eng, "progress_done * 100 + progress_total", jobs[J_INTERRUPTED].id), 310);
    {
        unsigned long long released = 0;
        assert_int_equal(kbj_backlog_release(eng, "bl", &released), KBJ_OK);
        assert_int_equal(released, 1);
        assert_status(eng, jobs[J_HELD].id, "queued");
    }
    assert_int_equal(kbj_job_resume(eng, jobs[J_FAILED].id), KBJ_OK);
    assert_status(eng, jobs[J_FAILED].id, "queued");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_failures"), 0);

    /* a runner takes every due job: queued, unique, keyed, resumed twice, released */
    {
        kbj_run_report rep = kbj_test_run_queue(eng, QUEUE);
        static const int ran[] = { J_QUEUED, J_HELD, J_INTERRUPTED, J_FAILED, J_UNIQUE, J_CKEY };
        assert_int_equal(rep.claimed, 6);
        assert_int_equal(rep.completed, 6);
        assert_int_equal(rep.failed + rep.retried + rep.interrupted + rep.lost, 0);
        for (size_t i = 0; i < sizeof ran / sizeof ran[0]; i++) {
            kbj_job *j = kbj_test_job(eng, jobs[ran[i]].id);
            if (strcmp(j->status, "completed") != 0)
                fail_msg("job %s is %s after the run", j->id, j->status);
            assert_string_equal(j->result, jobs[ran[i]].params); /* diag.echo */
            assert_null(j->error);
            assert_int_equal(j->attempts, 1);
            kbj_job_free(j);
        }
    }
    assert_status(eng, jobs[J_LATER].id, "queued");
    assert_status(eng, jobs[J_COMPLETED].id, "completed");
    assert_status(eng, jobs[J_CANCELLED].id, "cancelled");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_keys"), 0);
    {
        kbj_attempt *a = NULL;
        size_t n = 0;
        assert_int_equal(kbj_job_attempts(eng, jobs[J_FAILED].id, &a, &n), KBJ_OK);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++) {
            char want[32];
            snprintf(want, sizeof want, "boom %d", (int)i + 1);
            assert_int_equal(a[i].attempt, (int)i + 1);
            assert_string_equal(a[i].outcome, "failed");
            assert_string_equal(a[i].error, want);
        }
        kbj_attempts_free(a, n);
    }

    /* the unique key is free once its job completed */
    existed = -1;
    assert_int_equal(kbj_submit_job(eng, &again, id, &existed), KBJ_OK);
    assert_int_equal(existed, 0);
    assert_string_not_equal(id, jobs[J_UNIQUE].id);
    assert_status(eng, id, "queued");

    kbj_test_engine_free(eng);
    kbj_test_drop_prefix(P);
}

/* ---- a copy interrupted halfway -------------------------------------------------- */

#define MANY 12000
#define FIRST_BATCH 5000

static void a_split_interrupted_halfway_resumes(void **state)
{
    static const char *const P = "kbt_msplit2_";
    kbj_engine *eng;
    unsigned long long copied_to, top;
    moves m = { 0 };
    kbj_migrate_progress progress = { on_progress, &m };
    char buf[64];
    (void)state;

    kbj_test_drop_prefix(P);
    eng = schema13(P);
    /* 12,000 queued jobs, ids c000000000000001 and on, in id order */
    assert_int_equal(kbj_test_exec(eng, "INSERT INTO {p}kbjobs_jobs (public_id, type, queue, status, run_at, params,"
                                        " max_attempts, backoff, backoff_base_ms, backoff_cap_ms, backoff_jitter,"
                                        " on_expiry, created_at, updated_at)"
                                        " SELECT CONCAT('c', LPAD(LOWER(HEX(seq)), 15, '0')), 'diag.echo', '"
                                        QUEUE "', 'queued', NOW(6) - INTERVAL seq SECOND, JSON_OBJECT('n', seq), 1,"
                                        " 'polynomial', 15000, 3600000, 0.1, 'interrupt',"
                                        " NOW(6) - INTERVAL seq MINUTE, NOW(6)"
                                        " FROM seq_1_to_12000 ORDER BY seq"), MANY);
    snapshot(eng);
    top = (unsigned long long)kbj_test_int(eng, "SELECT MAX(id) FROM {p}kbjobs_jobs");

    /* the migration's first batch, then it stopped: the state table made and the first
     * 5,000 jobs' state copied, the old table still in place */
    kbj_test_exec(eng, create_state);
    assert_int_equal(kbj_test_exec(eng, "INSERT IGNORE INTO {p}kbjobs_job_state (" STATE_COLUMNS ") SELECT "
                                        STATE_COLUMNS " FROM {p}kbjobs_jobs WHERE id > 0 ORDER BY id LIMIT 5000"),
                     FIRST_BATCH);
    copied_to = (unsigned long long)kbj_test_int(eng, "SELECT MAX(id) FROM {p}kbjobs_job_state");
    assert_true(copied_to < top);
    kbj_test_engine_free(eng);

    eng = connected(P, 0);
    assert_int_equal(kbj_schema_behind(eng), 1);
    /* a request still leaves it alone */
    assert_int_equal(kbj_migrate(eng), KBJ_OK);
    assert_schema(eng, PREVIOUS_SCHEMA, 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_job_state"), FIRST_BATCH);

    /* the migration goes on after what was copied */
    assert_int_equal(kbj_migrate_all(eng, &progress), KBJ_OK);
    assert_true(m.calls >= 2); /* 7,000 rows in batches of 5,000 */
    assert_true(m.first_moved <= MANY - FIRST_BATCH);
    assert_true(m.first_at > copied_to);
    assert_int_equal(m.moved, MANY - FIRST_BATCH);
    assert_int_equal(m.at, top);
    assert_int_equal(m.top, top);
    assert_false(m.backwards);
    assert_false(m.past_top);
    assert_schema(eng, KBJ_SCHEMA_VERSION, 14);
    assert_int_equal(kbj_schema_behind(eng), 0);
    assert_string_equal(table_type(eng, "kbjobs_jobs", buf, sizeof buf), "VIEW");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_job_state"), MANY);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_job_data"), MANY);
    assert_int_equal(rows_changed(eng), 0);
    {
        unsigned long long n = 0;
        kbj_job_filter f = { .queue = QUEUE, .status = "queued" };
        assert_int_equal(kbj_job_count(eng, &f, &n), KBJ_OK);
        assert_int_equal(n, MANY);
    }
    /* either side of the interruption, and the ends */
    {
        static const int seqs[] = { 1, FIRST_BATCH, FIRST_BATCH + 1, MANY };
        for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
            char id[KBJ_ID_LEN + 1], params[32];
            kbj_job *j;
            snprintf(id, sizeof id, "c%015x", seqs[i]);
            snprintf(params, sizeof params, "{\"n\": %d}", seqs[i]);
            j = kbj_test_job(eng, id);
            assert_string_equal(j->status, "queued");
            assert_string_equal(j->params, params);
            kbj_job_free(j);
        }
    }
    kbj_test_engine_free(eng);
    kbj_test_drop_prefix(P);
}

/* ---- the previous release after the split --------------------------------------- */

static void a_runner_of_the_previous_schema_refuses_after_the_split(void **state)
{
    static const char *const P = "kbt_msplit3_";
    kbj_engine *eng;
    long long min_code;
    char sql[160];
    (void)state;

    kbj_test_drop_prefix(P);
    eng = schema13(P);
    insert_old_job(eng, &jobs[J_QUEUED]);
    insert_old_job(eng, &jobs[J_COMPLETED]);
    kbj_test_engine_free(eng);

    eng = connected(P, 0);
    assert_int_equal(kbj_migrate_all(eng, NULL), KBJ_OK);
    assert_schema(eng, KBJ_SCHEMA_VERSION, 14);
    /* what the previous release reads at connect: a minimum above the schema it knows */
    min_code = kbj_test_int(eng, "SELECT value FROM {p}kbjobs_meta WHERE name = 'min_code_version'");
    assert_int_equal(min_code, 14);
    assert_true(min_code > PREVIOUS_SCHEMA);

    /* the check that refuses it, seen from this code: a minimum above the schema it knows */
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_meta SET value = '%d' WHERE name = 'min_code_version'",
             KBJ_SCHEMA_VERSION + 1);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
    kbj_test_engine_free(eng);
    assert_int_equal(kbj_test_connect_prefix(P, 0, &eng), KBJ_EUNSUPPORTED);
    if (!strstr(kbj_errmsg(eng), "upgrade"))
        fail_msg("connect message \"%s\" does not say to upgrade", kbj_errmsg(eng));
    kbj_test_engine_free(eng);
    kbj_test_drop_prefix(P);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_split_keeps_every_job_in_every_status),
        cmocka_unit_test(a_split_interrupted_halfway_resumes),
        cmocka_unit_test(a_runner_of_the_previous_schema_refuses_after_the_split),
    };
    return cmocka_run_group_tests_name("migrate_split", tests, NULL, NULL);
}
