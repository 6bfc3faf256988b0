/*
 * schema_split.c - schema 14: the jobs table split in two, and the view that joins them.
 *
 * Claims and completions used to lock and update the wide jobs table, whose row holds the
 * params, result, error and metrics and which had 13 secondary indexes: every change of
 * status moved entries in most of them. Now:
 *
 *   {p}kbjobs_job_state  the claim state, one narrow row per job: queue, status,
 *                        priority, run_at, attempts, concurrency key, cancel request,
 *                        lease (owner, token, expiry), backlog, and the start, finish and
 *                        update times; indexed for the claim (status, queue, priority,
 *                        run_at, id), lists by status in id order (status), retention
 *                        (finished_at) and backlogs ((backlog, backlog_status), where
 *                        backlog_status is the status of a job in a backlog and NULL for
 *                        the others, so their entries never change). A claim locks and
 *                        updates only these rows, and so does a completion.
 *   {p}kbjobs_job_data   the rest, written at submit and then only where a job has
 *                        something to keep (a result, an error, progress, metrics, a
 *                        title): public id, type, params and results, retry policy,
 *                        uniqueness, creation time.
 *   {p}kbjobs_jobs       a view joining them by id, with the old table's columns: what
 *                        lists, counts, the dashboard and reports read. Statements that
 *                        change rows name the table that holds the columns.
 *
 * The migration moves the state of existing jobs in batches of COPY_BATCH rows (INSERT
 * ... SELECT in id order, resumable: a batch already copied is skipped), then renames the
 * old table to the data table, drops its state columns and their indexes, and creates
 * the view. Each step can be run again after an interruption. Runners of earlier code
 * must be stopped first (they would go on writing the old table while it is copied): the
 * migration raises the schema's minimum code version, so a runner of the previous release
 * refuses to start afterwards.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_BATCH "5000" /* rows a statement */

/* The state columns, in the order both tables and the copy name them. */
#define STATE_COLUMNS                                                                   \
    "id, queue, status, priority, run_at, attempts, concurrency_key, cancel_requested," \
    " lease_owner, lease_token, lease_expires, started_at, finished_at, updated_at, backlog"

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

/* The old table without its state: the columns and the indexes that held them go. */
static const char shrink_data[] =
    "ALTER TABLE {p}kbjobs_job_data"
    " DROP INDEX IF EXISTS claim, DROP INDEX IF EXISTS lease, DROP INDEX IF EXISTS owner,"
    " DROP INDEX IF EXISTS ckey, DROP INDEX IF EXISTS finished, DROP INDEX IF EXISTS type_finished,"
    " DROP INDEX IF EXISTS status_id, DROP INDEX IF EXISTS backlog_status,"
    " DROP COLUMN IF EXISTS queue, DROP COLUMN IF EXISTS status, DROP COLUMN IF EXISTS priority,"
    " DROP COLUMN IF EXISTS run_at, DROP COLUMN IF EXISTS attempts, DROP COLUMN IF EXISTS concurrency_key,"
    " DROP COLUMN IF EXISTS cancel_requested, DROP COLUMN IF EXISTS lease_owner,"
    " DROP COLUMN IF EXISTS lease_token, DROP COLUMN IF EXISTS lease_expires,"
    " DROP COLUMN IF EXISTS started_at, DROP COLUMN IF EXISTS finished_at, DROP COLUMN IF EXISTS backlog";

/* The old table's columns, in its order. A completed job's progress reads as done (a
 * completion writes only the state); the last change is the later of the two rows'. */
static const char create_view[] =
    "CREATE OR REPLACE SQL SECURITY INVOKER VIEW {p}kbjobs_jobs AS SELECT"
    " s.id AS id, d.public_id AS public_id, d.type AS type, s.queue AS queue, s.status AS status,"
    " s.priority AS priority, s.run_at AS run_at, d.params AS params, d.result AS result,"
    " d.error AS error, d.metrics AS metrics, d.title AS title, d.phase AS phase,"
    " IF(s.status = 'completed' AND d.progress_total > 0, d.progress_total, d.progress_done) AS progress_done,"
    " d.progress_total AS progress_total, s.attempts AS attempts, d.max_attempts AS max_attempts,"
    " d.backoff AS backoff, d.backoff_base_ms AS backoff_base_ms, d.backoff_cap_ms AS backoff_cap_ms,"
    " d.backoff_jitter AS backoff_jitter, d.on_expiry AS on_expiry, s.concurrency_key AS concurrency_key,"
    " d.unique_key AS unique_key, d.unique_scope AS unique_scope, d.uniq_active AS uniq_active,"
    " d.uniq_retained AS uniq_retained, s.cancel_requested AS cancel_requested,"
    " s.lease_owner AS lease_owner, s.lease_token AS lease_token, s.lease_expires AS lease_expires,"
    " d.rerun_of AS rerun_of, d.created_at AS created_at, s.started_at AS started_at,"
    " d.progress_at AS progress_at, s.finished_at AS finished_at,"
    " GREATEST(s.updated_at, d.updated_at) AS updated_at, s.backlog AS backlog"
    " FROM {p}kbjobs_job_state s JOIN {p}kbjobs_job_data d ON d.id = s.id";

/* "BASE TABLE", "VIEW" or "" (none) for a kbjobs table name without the prefix. */
static int table_type(kbj_store *st, const char *name, char *out, size_t cap)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
                             " AND TABLE_NAME = CONCAT(?, ?)",
                             (kbj_val[]){ KBJ_VS(kbj_store_prefix(st)), KBJ_VS(name) }, 2, &rows);
    out[0] = '\0';
    if (rc == KBJ_OK && kbj_rows_count(rows) > 0)
        snprintf(out, cap, "%s", kbj_rows_str(rows, 0, 0) ? kbj_rows_str(rows, 0, 0) : "");
    kbj_rows_free(rows);
    return rc;
}

static int has_column(kbj_store *st, const char *table, const char *column, int *yes)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                             " AND TABLE_NAME = CONCAT(?, ?) AND COLUMN_NAME = ?",
                             (kbj_val[]){ KBJ_VS(kbj_store_prefix(st)), KBJ_VS(table), KBJ_VS(column) }, 3, &rows);
    *yes = rc == KBJ_OK && kbj_rows_int(rows, 0, 0) > 0;
    kbj_rows_free(rows);
    return rc;
}

static long long max_id(kbj_store *st, const char *sql)
{
    kbj_rows *rows = NULL;
    long long v = -1;
    if (kbj_store_query(st, sql, NULL, 0, &rows) == KBJ_OK)
        v = kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return v;
}

int kbj_schema_jobs_rows(kbj_store *st, unsigned long long *rows_out)
{
    char type[32];
    int rc = table_type(st, "kbjobs_jobs", type, sizeof type);
    *rows_out = 0;
    if (rc == KBJ_OK && strcmp(type, "BASE TABLE") == 0) {
        kbj_rows *rows = NULL;
        rc = kbj_store_query(st, "SELECT EXISTS (SELECT 1 FROM {p}kbjobs_jobs)", NULL, 0, &rows);
        if (rc == KBJ_OK)
            *rows_out = (unsigned long long)kbj_rows_int(rows, 0, 0);
        kbj_rows_free(rows);
    }
    return rc;
}

int kbj_schema_split_jobs(kbj_store *st, const kbj_migrate_progress *progress)
{
    char type[32];
    int rc, has_status = 0;

    if ((rc = kbj_store_exec(st, create_state, NULL, 0, NULL)))
        return rc;
    if ((rc = table_type(st, "kbjobs_jobs", type, sizeof type)))
        return rc;
    if (strcmp(type, "BASE TABLE") == 0) {
        /* the state of every job, in id order, a batch at a time; a batch copied before an
         * interruption is skipped (the copy goes on after the highest id copied) */
        long long last = max_id(st, "SELECT COALESCE(MAX(id), 0) FROM {p}kbjobs_job_state");
        long long top = max_id(st, "SELECT COALESCE(MAX(id), 0) FROM {p}kbjobs_jobs");
        unsigned long long moved = 0, got = 0;
        if (last < 0 || top < 0)
            return KBJ_EDB;
        do {
            rc = kbj_store_exec(st, "INSERT IGNORE INTO {p}kbjobs_job_state (" STATE_COLUMNS ") SELECT " STATE_COLUMNS
                                " FROM {p}kbjobs_jobs WHERE id > ? ORDER BY id LIMIT " COPY_BATCH,
                                (kbj_val[]){ KBJ_VI(last) }, 1, &got);
            if (rc)
                return rc;
            moved += got;
            last = max_id(st, "SELECT COALESCE(MAX(id), 0) FROM {p}kbjobs_job_state");
            if (last < 0)
                return KBJ_EDB;
            if (progress && progress->fn)
                progress->fn(moved, (unsigned long long)last, (unsigned long long)top, progress->arg);
        } while (got > 0);
        if ((rc = kbj_store_exec(st, "RENAME TABLE {p}kbjobs_jobs TO {p}kbjobs_job_data", NULL, 0, NULL)))
            return rc;
    }
    if ((rc = has_column(st, "kbjobs_job_data", "status", &has_status)))
        return rc;
    if (has_status && (rc = kbj_store_exec(st, shrink_data, NULL, 0, NULL)))
        return rc;
    return kbj_store_exec(st, create_view, NULL, 0, NULL);
}
