/*
 * schema.c - the kbjobs tables and their migrations.
 *
 * One versioned schema. Secondary indexes of the jobs table leave out `status` where a
 * query does not need it: every job changes status twice, and each index holding it
 * costs the server an index write at each change.
 *
 * One versioned schema. Each migration is a list of idempotent statements and the
 * minimum code schema version that can still work once it has run: migrations within a
 * major version only add (tables, columns, indexes), keep that minimum, and so let an
 * older runner keep working during a rolling deploy. Code refuses a schema whose
 * minimum is above KBJ_SCHEMA_VERSION. Times are DATETIME(6) in UTC (the store's
 * sessions run with time_zone '+00:00').
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#define TABLE_OPTS " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

static const char *const migration_1[] = {
    "CREATE TABLE IF NOT EXISTS {p}kbjobs_meta ("
    " name VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,"
    " value VARCHAR(255) NOT NULL)" TABLE_OPTS,

    "CREATE TABLE IF NOT EXISTS {p}kbjobs_jobs ("
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
    " UNIQUE KEY public_id (public_id),"
    " UNIQUE KEY uniq_active (uniq_active),"
    " UNIQUE KEY uniq_retained (uniq_retained),"
    " KEY claim (status, queue, priority, run_at, id),"
    " KEY lease (status, lease_expires),"
    " KEY owner (lease_owner, status),"
    " KEY ckey (concurrency_key),"
    " KEY ukey (unique_key),"
    " KEY finished (finished_at),"
    " KEY type_finished (type, finished_at))" TABLE_OPTS,

    /* One row per concurrency key held by a running job: the claim's guard. */
    "CREATE TABLE IF NOT EXISTS {p}kbjobs_keys ("
    " ckey VARCHAR(191) NOT NULL PRIMARY KEY,"
    " job_id BIGINT UNSIGNED NOT NULL,"
    " KEY job (job_id))" TABLE_OPTS,

    "CREATE TABLE IF NOT EXISTS {p}kbjobs_attempts ("
    " job_id BIGINT UNSIGNED NOT NULL,"
    " attempt INT NOT NULL,"
    " outcome VARCHAR(12) CHARACTER SET ascii NOT NULL,"
    " runner CHAR(16) CHARACTER SET ascii NULL,"
    " started_at DATETIME(6) NULL,"
    " finished_at DATETIME(6) NOT NULL,"
    " error TEXT NULL,"
    " PRIMARY KEY (job_id, attempt, finished_at))" TABLE_OPTS,

    "CREATE TABLE IF NOT EXISTS {p}kbjobs_runners ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " public_id CHAR(16) CHARACTER SET ascii NOT NULL,"
    " host VARCHAR(255) NOT NULL,"
    " pid INT NOT NULL,"
    " version VARCHAR(32) NOT NULL,"
    " queues VARCHAR(255) NOT NULL,"
    " started_at DATETIME(6) NOT NULL,"
    " heartbeat_at DATETIME(6) NOT NULL,"
    " stopped_at DATETIME(6) NULL,"
    " UNIQUE KEY public_id (public_id),"
    " KEY heartbeat (heartbeat_at))" TABLE_OPTS,

    "CREATE TABLE IF NOT EXISTS {p}kbjobs_failures ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " job_id BIGINT UNSIGNED NOT NULL,"
    " public_id CHAR(16) CHARACTER SET ascii NOT NULL,"
    " type VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " message TEXT NOT NULL,"
    " attempts INT NOT NULL,"
    " failed_at DATETIME(6) NOT NULL,"
    " UNIQUE KEY job (job_id),"
    " UNIQUE KEY public_id (public_id),"
    " KEY type_time (type, failed_at))" TABLE_OPTS,

    "CREATE TABLE IF NOT EXISTS {p}kbjobs_alerts ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " type VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " message TEXT NOT NULL,"
    " failures INT NOT NULL,"
    " window_seconds INT UNSIGNED NOT NULL,"
    " created_at DATETIME(6) NOT NULL,"
    " acknowledged_at DATETIME(6) NULL,"
    " KEY open (acknowledged_at, created_at),"
    " KEY type_time (type, created_at))" TABLE_OPTS,

    /* Scratch rows of the diag.crud and diag.crud_latency job types. */
    "CREATE TABLE IF NOT EXISTS {p}kbjobs_diag ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " job_id CHAR(16) CHARACTER SET ascii NOT NULL,"
    " value VARCHAR(255) NOT NULL,"
    " created_at DATETIME(6) NOT NULL)" TABLE_OPTS,

    "INSERT IGNORE INTO {p}kbjobs_meta (name, value) VALUES ('failures_evicted', '0')",
    NULL
};

/* 2: named queues with a concurrency limit, a token-bucket rate limit and a pause flag,
 * shared by every runner. Additive: schema-1 code keeps working. */
static const char *const migration_2[] = {
    "CREATE TABLE IF NOT EXISTS {p}kbjobs_queues ("
    " name VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,"
    " max_running INT UNSIGNED NOT NULL DEFAULT 0,"
    " rate_limit INT UNSIGNED NOT NULL DEFAULT 0,"
    " rate_period_ms INT UNSIGNED NOT NULL DEFAULT 0,"
    " tokens DOUBLE NOT NULL DEFAULT 0,"
    " tokens_at DATETIME(6) NOT NULL,"
    " paused TINYINT NOT NULL DEFAULT 0,"
    " updated_at DATETIME(6) NOT NULL)" TABLE_OPTS,
    NULL
};

/* 3: resources that jobs use; a running job holds each as a "res:<name>" row in
 * kbjobs_keys. Additive. */
static const char *const migration_3[] = {
    "CREATE TABLE IF NOT EXISTS {p}kbjobs_resources ("
    " job_id BIGINT UNSIGNED NOT NULL,"
    " name VARCHAR(128) CHARACTER SET ascii NOT NULL,"
    " op VARCHAR(64) NULL,"
    " PRIMARY KEY (job_id, name),"
    " KEY name (name))" TABLE_OPTS,
    NULL
};

/* 4: the artifact index: one row per imported URL (by the sha256 of its normalised form),
 * with its artifact file, the content hash the file holds, and the post made from it
 * with the content hash the post holds. Reconciliation reads it in url_hash order.
 * Additive. */
static const char *const migration_4[] = {
    "CREATE TABLE IF NOT EXISTS {p}kbjobs_artifacts ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " url_hash CHAR(64) CHARACTER SET ascii NOT NULL,"
    " url TEXT CHARACTER SET ascii NOT NULL,"
    " path VARCHAR(255) CHARACTER SET ascii NOT NULL,"
    " content_hash CHAR(64) CHARACTER SET ascii NOT NULL,"
    " post_id BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " post_hash CHAR(64) CHARACTER SET ascii NULL,"
    " job_id CHAR(16) CHARACTER SET ascii NULL,"
    " http_status SMALLINT NOT NULL DEFAULT 0,"
    " fetched_at DATETIME(6) NOT NULL,"
    " updated_at DATETIME(6) NOT NULL,"
    " UNIQUE KEY url_hash (url_hash),"
    " KEY post (post_id),"
    " KEY job (job_id))" TABLE_OPTS,
    NULL
};

/* The authority of an artifact URL, the part between "://" and the first of / ? #. */
#define URL_AUTH                                                                            \
    "SUBSTRING_INDEX(SUBSTRING_INDEX(SUBSTRING_INDEX(SUBSTRING(url, LOCATE('://', url) + 3),"  \
    " '/', 1), '?', 1), '#', 1)"

/* 5: the artifact index keeps which import made each post (created_job), so a chunk
 * replayed after a crash between the sink's commit and the cursor's counts its posts as
 * created, not unchanged; and index URLs lose their credentials (`user:pass@` becomes
 * `***@`, as the engine now records them). Additive: schema-4 code ignores the column
 * and writes URLs as before until it is upgraded. The column is added by
 * add_created_job(). */
static const char *const migration_5[] = {
    "UPDATE {p}kbjobs_artifacts SET url = CONCAT(LEFT(url, LOCATE('://', url) + 2), '***@',"
    " SUBSTRING_INDEX(" URL_AUTH ", '@', -1), SUBSTRING(url, LOCATE('://', url) + 3 + LENGTH(" URL_AUTH ")))"
    " WHERE LOCATE('://', url) > 0 AND " URL_AUTH " LIKE '%@%' AND " URL_AUTH " NOT LIKE '***@%'",
    NULL
};

/* Whether the jobs table was split (schema 14): the old name is a view then. */
static int jobs_split(kbj_store *st)
{
    kbj_rows *rows = NULL;
    int yes = 0;
    if (kbj_store_query(st, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
                        " AND TABLE_NAME = CONCAT(?, 'kbjobs_jobs') AND TABLE_TYPE = 'VIEW'",
                        (kbj_val[]){ KBJ_VS(kbj_store_prefix(st)) }, 1, &rows) == KBJ_OK)
        yes = kbj_rows_int(rows, 0, 0) > 0;
    kbj_rows_free(rows);
    return yes;
}

/* Adds a column unless it is there (MySQL has no ADD COLUMN IF NOT EXISTS): `table`
 * without the prefix, `definition` what follows the column's name. */
static int add_column(kbj_store *st, const char *table, const char *column, const char *definition)
{
    kbj_rows *rows = NULL;
    char sql[512];
    int rc = kbj_store_query(st, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                             " AND TABLE_NAME = CONCAT(?, ?) AND COLUMN_NAME = ?",
                             (kbj_val[]){ KBJ_VS(kbj_store_prefix(st)), KBJ_VS(table), KBJ_VS(column) }, 3, &rows);
    if (rc)
        return rc;
    if (kbj_rows_int(rows, 0, 0) == 0) {
        if (snprintf(sql, sizeof sql, "ALTER TABLE {p}%s ADD COLUMN %s %s", table, column, definition)
            >= (int)sizeof sql)
            rc = KBJ_EINVAL;
        else
            rc = kbj_store_exec(st, sql, NULL, 0, NULL);
    }
    kbj_rows_free(rows);
    return rc;
}

static int add_created_job(kbj_store *st)
{
    return add_column(st, "kbjobs_artifacts", "created_job", "CHAR(16) CHARACTER SET ascii NULL AFTER job_id");
}

/* 6 (operations): runners report their memory with each heartbeat; FailureLog entries
 * have a kind ("job": a job that failed for good; "partial": an import that finished with
 * failed items, with how many of how many), each kind capped on its own; and the audit
 * log of operator actions (kept 90 days). Additive. */
static int add_operations_columns(kbj_store *st)
{
    int rc = add_column(st, "kbjobs_runners", "memory", "BIGINT UNSIGNED NOT NULL DEFAULT 0");
    if (rc == KBJ_OK)
        rc = add_column(st, "kbjobs_failures", "kind",
                        "VARCHAR(12) CHARACTER SET ascii NOT NULL DEFAULT 'job' AFTER public_id");
    if (rc == KBJ_OK)
        rc = add_column(st, "kbjobs_failures", "failed_items", "BIGINT NOT NULL DEFAULT 0");
    if (rc == KBJ_OK)
        rc = add_column(st, "kbjobs_failures", "total_items", "BIGINT NOT NULL DEFAULT 0");
    return rc;
}

static const char *const migration_6[] = {
    "CREATE TABLE IF NOT EXISTS {p}kbjobs_audit ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " at DATETIME(6) NOT NULL,"
    " user_id BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " user_login VARCHAR(60) NOT NULL DEFAULT '',"
    " source VARCHAR(12) CHARACTER SET ascii NOT NULL,"
    " action VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " target VARCHAR(191) NOT NULL DEFAULT '',"
    " outcome VARCHAR(12) CHARACTER SET ascii NOT NULL,"
    " detail TEXT NULL,"
    " KEY at (at),"
    " KEY user_at (user_id, at),"
    " KEY action_at (action, at),"
    " KEY target (target))" TABLE_OPTS,
    NULL
};

/* Adds an index unless the table has one by that name: `table` without the prefix,
 * `columns` the index's column list. */
static int add_index(kbj_store *st, const char *table, const char *name, const char *columns)
{
    kbj_rows *rows = NULL;
    char sql[512];
    int rc = kbj_store_query(st, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
                             " AND TABLE_NAME = CONCAT(?, ?) AND INDEX_NAME = ?",
                             (kbj_val[]){ KBJ_VS(kbj_store_prefix(st)), KBJ_VS(table), KBJ_VS(name) }, 3, &rows);
    if (rc)
        return rc;
    if (kbj_rows_int(rows, 0, 0) == 0) {
        if (snprintf(sql, sizeof sql, "ALTER TABLE {p}%s ADD KEY %s (%s)", table, name, columns) >= (int)sizeof sql)
            rc = KBJ_EINVAL;
        else
            rc = kbj_store_exec(st, sql, NULL, 0, NULL);
    }
    kbj_rows_free(rows);
    return rc;
}

/* 7 (dashboard): the posts of an import, by the import that made them (created_job) or
 * last wrote them (job_id), read a page at a time in post id order from an index each
 * (kbj_import_post_ids). Additive: older code does not use them. */
static int add_artifact_post_keys(kbj_store *st)
{
    int rc = add_index(st, "kbjobs_artifacts", "job_post", "job_id, post_id");
    if (rc == KBJ_OK)
        rc = add_index(st, "kbjobs_artifacts", "created_post", "created_job, post_id");
    return rc;
}

static const char *const migration_7[] = { NULL };

/* 8 (WP-Cron): events kept in place (one row per scheduled event, updated as it runs),
 * the guard row of each (hook, args) that every write of its events locks first, the
 * run history, and which runners take events. Additive: older code ignores them.
 * Hooks compare byte for byte (utf8mb4_bin), as PHP's array keys and WordPress's hook
 * names do: under the tables' utf8mb4_unicode_ci "My_Hook" would be "my_hook" and any
 * two emoji the same hook, sharing guard rows and answering each other's lookups. */
static const char *const migration_8[] = {
    "CREATE TABLE IF NOT EXISTS {p}kbjobs_cron_keys ("
    " hook VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
    " args_key CHAR(32) CHARACTER SET ascii NOT NULL,"
    " PRIMARY KEY (hook, args_key))" TABLE_OPTS,

    "CREATE TABLE IF NOT EXISTS {p}kbjobs_cron_events ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " hook VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
    " args_key CHAR(32) CHARACTER SET ascii NOT NULL,"
    " args LONGTEXT NOT NULL,"
    " args_php LONGBLOB NOT NULL,"
    " schedule VARCHAR(64) NULL,"
    " interval_seconds BIGINT NOT NULL DEFAULT 0,"
    " next_run BIGINT NOT NULL,"
    " due_at BIGINT NULL,"
    " paused TINYINT NOT NULL DEFAULT 0,"
    " parallel TINYINT NOT NULL DEFAULT 0,"
    " max_attempts INT NOT NULL DEFAULT 1,"
    " retry_seconds INT UNSIGNED NOT NULL DEFAULT 60,"
    " run_now TINYINT NOT NULL DEFAULT 0,"
    " run_of BIGINT NULL,"
    " attempt INT NOT NULL DEFAULT 0,"
    " run_id BIGINT UNSIGNED NULL,"
    " lease_owner CHAR(16) CHARACTER SET ascii NULL,"
    " lease_token BIGINT NULL,"
    " lease_expires DATETIME(6) NULL,"
    " last_run_at DATETIME(6) NULL,"
    " last_outcome VARCHAR(12) CHARACTER SET ascii NULL,"
    " fail_streak INT NOT NULL DEFAULT 0,"
    " created_at DATETIME(6) NOT NULL,"
    " updated_at DATETIME(6) NOT NULL,"
    " KEY hook_args (hook, args_key, next_run),"
    " KEY due (due_at),"
    " KEY lease (lease_owner),"
    " KEY lease_expires (lease_expires),"
    " KEY next_run (next_run))" TABLE_OPTS,

    "CREATE TABLE IF NOT EXISTS {p}kbjobs_cron_runs ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " event_id BIGINT UNSIGNED NOT NULL,"
    " hook VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
    " args_key CHAR(32) CHARACTER SET ascii NOT NULL,"
    " args LONGTEXT NOT NULL,"
    " schedule VARCHAR(64) NULL,"
    " due BIGINT NOT NULL,"
    " attempt INT NOT NULL,"
    " run_trigger VARCHAR(16) CHARACTER SET ascii NOT NULL,"
    " runner CHAR(16) CHARACTER SET ascii NULL,"
    " host VARCHAR(255) NOT NULL DEFAULT '',"
    " pid INT NOT NULL DEFAULT 0,"
    " token BIGINT NOT NULL,"
    " started_at DATETIME(6) NOT NULL,"
    " ended_at DATETIME(6) NULL,"
    " outcome VARCHAR(12) CHARACTER SET ascii NOT NULL,"
    " error TEXT NULL,"
    " memory_peak BIGINT NULL,"
    " queries INT NULL,"
    " http_requests INT NULL,"
    " output BLOB NULL,"
    " KEY hook_run (hook, id),"
    " KEY event_run (event_id, id),"
    " KEY started (started_at),"
    " KEY outcome_run (outcome, id))" TABLE_OPTS,
    NULL
};

static int add_runner_cron(kbj_store *st)
{
    return add_column(st, "kbjobs_runners", "cron", "TINYINT NOT NULL DEFAULT 0");
}

/* 9 (metrics): per minute, queue, job type and runner, what a runner started, completed,
 * failed and retried, with the sums of wait and run times (res 60); merged into
 * runner-free hourly rows (res 3600, runner '') by the rollup. The histograms of wait
 * (kind 0) and run (kind 1) times are sparse: one row per non-empty bucket. Each runner
 * adds to its own rows only, so runners never contend for a counter. The keys lead with
 * (res, t), so a window's read is a range scan of the primary key. Additive. */
static const char *const migration_9[] = {
    "CREATE TABLE IF NOT EXISTS {p}kbjobs_metrics ("
    " res INT UNSIGNED NOT NULL,"
    " t BIGINT NOT NULL,"
    " queue VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " type VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " runner CHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',"
    " started BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " completed BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " failed BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " retried BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " wait_sum_ms DOUBLE NOT NULL DEFAULT 0,"
    " run_sum_ms DOUBLE NOT NULL DEFAULT 0,"
    " PRIMARY KEY (res, t, queue, type, runner))" TABLE_OPTS,

    "CREATE TABLE IF NOT EXISTS {p}kbjobs_metrics_hist ("
    " res INT UNSIGNED NOT NULL,"
    " t BIGINT NOT NULL,"
    " queue VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " type VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " runner CHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',"
    " kind TINYINT UNSIGNED NOT NULL,"
    " bucket TINYINT UNSIGNED NOT NULL,"
    " n BIGINT UNSIGNED NOT NULL,"
    " PRIMARY KEY (res, t, queue, type, runner, kind, bucket))" TABLE_OPTS,
    NULL
};

/* 10 (a dashboard at a million jobs): the jobs list filtered by status or by type reads
 * a page in id order from an index ((status) and (type) hold the id after them) instead
 * of sorting every job of that status or type. Additive. */
static int add_list_keys(kbj_store *st)
{
    int rc;
    if (jobs_split(st))
        return KBJ_OK; /* run again on split tables (a test resets the version): 14 made them */
    rc = add_index(st, "kbjobs_jobs", "status_id", "status");
    if (rc == KBJ_OK)
        rc = add_index(st, "kbjobs_jobs", "type_id", "type");
    return rc;
}

static const char *const migration_10[] = { NULL };

/* 11 (the Scheduled Queue at any size): each state a list filters on leads an index
 * with next_run (and the id) after it, and one with the id alone, so a page of paused or
 * failing events is a range read in either of the list's orders, and due events are
 * read in due order (the runners' order) from (paused, due_at); every count is a
 * bounded read of one of them. The schedules in use are read a name at a time from
 * (schedule), each counted from it. "Failing" is a virtual column (fail_streak > 0,
 * never written): an index on fail_streak itself could not give next_run order for a
 * range. Additive: older code never names the column. */
static int add_cron_state_keys(kbj_store *st)
{
    int rc = add_column(st, "kbjobs_cron_events", "failing",
                        "TINYINT GENERATED ALWAYS AS (fail_streak > 0) VIRTUAL");
    if (rc == KBJ_OK)
        rc = add_index(st, "kbjobs_cron_events", "paused_next", "paused, next_run");
    if (rc == KBJ_OK)
        rc = add_index(st, "kbjobs_cron_events", "paused_due", "paused, due_at");
    if (rc == KBJ_OK)
        rc = add_index(st, "kbjobs_cron_events", "failing_next", "failing, next_run");
    if (rc == KBJ_OK)
        rc = add_index(st, "kbjobs_cron_events", "paused_id", "paused");
    if (rc == KBJ_OK)
        rc = add_index(st, "kbjobs_cron_events", "failing_id", "failing");
    if (rc == KBJ_OK)
        rc = add_index(st, "kbjobs_cron_events", "schedule", "schedule");
    return rc;
}

static const char *const migration_11[] = { NULL };

/* 12 (reconciliation at a million artifacts): the index is read in url_hash order with
 * its content hash and path, a page at a time; from (url_hash) alone each row was a
 * lookup of the table by its id, in random order (a disk read per row once the table
 * outgrows the buffer pool). (url_hash, content_hash, path) holds all three: the read is
 * a range of one index. Additive. */
static int add_artifact_recon_key(kbj_store *st)
{
    return add_index(st, "kbjobs_artifacts", "recon", "url_hash, content_hash, path");
}

static const char *const migration_12[] = { NULL };

/* 13 (backlogs): a job may belong to a named backlog (NULL for ordinary jobs), and may be
 * inserted "held" there until the backlog is released. (backlog, status) serves the
 * release (a backlog's held jobs, in id order, a batch at a time), a backlog's counts by
 * status and the list of backlogs (a loose scan of its first part); ordinary jobs share
 * its one NULL range, which none of these reads. The status column already holds any
 * word up to 12 characters. Additive: older code never names the column, and claims
 * only 'queued' jobs, so it leaves held ones alone. */
static int add_backlog(kbj_store *st)
{
    int rc;
    if (jobs_split(st))
        return KBJ_OK; /* run again on split tables: the data table has the column */
    rc = add_column(st, "kbjobs_jobs", "backlog", "VARCHAR(64) CHARACTER SET ascii NULL DEFAULT NULL");
    if (rc == KBJ_OK)
        rc = add_index(st, "kbjobs_jobs", "backlog_status", "backlog, status");
    return rc;
}

static const char *const migration_13[] = { NULL };

/* 14 (the queue at its ceiling): the jobs' claim state moves to a narrow table of its
 * own, the old table keeps the payload, and a view joins them under the old name (see
 * schema_split.c). Not additive: it moves rows, so it runs in a web request only while
 * there are none to move (a new site), else from `wp kb migrate`; and earlier code cannot
 * work with it, so it raises the minimum code version. */
static const char *const migration_14[] = { NULL };

typedef struct migration {
    int version;
    int min_code; /* the oldest code schema version that works once this has run */
    int (*before)(kbj_store *st); /* a step that needs more than a statement, or NULL */
    const char *const *statements;
    /* a step that moves rows, run in batches by kbj_migrate_all (or by kbj_migrate when
     * `rows` finds none to move), or NULL */
    int (*moves)(kbj_store *st, const kbj_migrate_progress *progress);
    int (*rows)(kbj_store *st, unsigned long long *n);
} migration;

static const migration migrations[] = {
    { 1, 1, NULL, migration_1, NULL, NULL },
    { 2, 1, NULL, migration_2, NULL, NULL },
    { 3, 1, NULL, migration_3, NULL, NULL },
    { 4, 1, NULL, migration_4, NULL, NULL },
    { 5, 1, add_created_job, migration_5, NULL, NULL },
    { 6, 1, add_operations_columns, migration_6, NULL, NULL },
    { 7, 1, add_artifact_post_keys, migration_7, NULL, NULL },
    { 8, 1, add_runner_cron, migration_8, NULL, NULL },
    { 9, 1, NULL, migration_9, NULL, NULL },
    { 10, 1, add_list_keys, migration_10, NULL, NULL },
    { 11, 1, add_cron_state_keys, migration_11, NULL, NULL },
    { 12, 1, add_artifact_recon_key, migration_12, NULL, NULL },
    { 13, 1, add_backlog, migration_13, NULL, NULL },
    { 14, 14, NULL, migration_14, kbj_schema_split_jobs, kbj_schema_jobs_rows },
};

typedef struct migrate_work {
    kbj_engine *eng;
    int all;                              /* also the migrations that move rows */
    const kbj_migrate_progress *progress;
} migrate_work;

typedef struct schema_state {
    int version, min_code;
} schema_state;

static int read_state(kbj_store *st, void *arg)
{
    schema_state *s = arg;
    kbj_rows *rows = NULL;
    int rc;

    s->version = s->min_code = 0;
    rc = kbj_store_query(st, "SELECT COUNT(*) FROM information_schema.TABLES"
                         " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = CONCAT(?, 'kbjobs_meta')",
                         (kbj_val[]){ KBJ_VS(kbj_store_prefix(st)) }, 1, &rows);
    if (rc)
        return rc;
    if (kbj_rows_int(rows, 0, 0) == 0) {
        kbj_rows_free(rows);
        return KBJ_OK;
    }
    kbj_rows_free(rows);
    rc = kbj_store_query(st, "SELECT name, value FROM {p}kbjobs_meta"
                         " WHERE name IN ('schema_version', 'min_code_version')", NULL, 0, &rows);
    if (rc)
        return rc;
    for (size_t i = 0; i < kbj_rows_count(rows); i++) {
        int v = (int)kbj_rows_int(rows, i, 1);
        if (strcmp(kbj_rows_str(rows, i, 0), "schema_version") == 0)
            s->version = v;
        else
            s->min_code = v;
    }
    kbj_rows_free(rows);
    return KBJ_OK;
}

int kbj_schema_info(kbj_engine *eng, int *version, int *min_code)
{
    schema_state s;
    int rc;
    if (!eng || !eng->st)
        return KBJ_EINVAL;
    rc = kbj_store_do(eng->st, read_state, &s);
    if (rc == KBJ_OK) {
        if (version)
            *version = s.version;
        if (min_code)
            *min_code = s.min_code;
    }
    return rc;
}

/* Refuses a schema that needs newer code. */
static int schema_check(kbj_engine *eng, const schema_state *s)
{
    if (s->min_code > KBJ_SCHEMA_VERSION)
        return kbj_efail(eng, KBJ_EUNSUPPORTED,
                         "the kbjobs schema in this database is version %d and needs code that "
                         "knows schema %d or newer; this is kbjobs %s (schema %d): upgrade it",
                         s->version, s->min_code, KBJ_VERSION, KBJ_SCHEMA_VERSION);
    return KBJ_OK;
}

static int set_meta(kbj_store *st, const char *name, int value)
{
    char v[16];
    snprintf(v, sizeof v, "%d", value);
    return kbj_store_exec(st, "INSERT INTO {p}kbjobs_meta (name, value) VALUES (?, ?)"
                          " ON DUPLICATE KEY UPDATE value = VALUES(value)",
                          (kbj_val[]){ KBJ_VS(name), KBJ_VS(v) }, 2, NULL);
}

static int lock_name(kbj_store *st, char *out, size_t cap)
{
    return snprintf(out, cap, "kbjobs_migrate_%s", kbj_store_prefix(st)) >= (int)cap ? -1 : 0;
}

static int run_migrations(kbj_store *st, void *arg)
{
    migrate_work *mw = arg;
    kbj_engine *eng = mw->eng;
    schema_state s;
    char lock[96];
    kbj_rows *rows = NULL;
    int rc;

    lock_name(st, lock, sizeof lock);
    rc = kbj_store_query(st, "SELECT GET_LOCK(?, 60)", (kbj_val[]){ KBJ_VS(lock) }, 1, &rows);
    if (rc)
        return rc;
    if (kbj_rows_int(rows, 0, 0) != 1) {
        kbj_rows_free(rows);
        return kbj_efail(eng, KBJ_EDB, "another process holds the migration lock %s", lock);
    }
    kbj_rows_free(rows);

    rc = read_state(st, &s);
    if (rc == KBJ_OK)
        rc = schema_check(eng, &s);
    for (size_t m = 0; rc == KBJ_OK && m < sizeof migrations / sizeof migrations[0]; m++) {
        if (migrations[m].version <= s.version)
            continue;
        if (migrations[m].moves && !mw->all) {
            /* in a web request only when there is nothing to move */
            unsigned long long rows = 0;
            if ((rc = migrations[m].rows(st, &rows)) || rows > 0)
                break;
        }
        if (migrations[m].before)
            rc = migrations[m].before(st);
        if (rc == KBJ_OK && migrations[m].moves)
            rc = migrations[m].moves(st, mw->progress);
        for (const char *const *sql = migrations[m].statements; rc == KBJ_OK && *sql; sql++)
            rc = kbj_store_exec(st, *sql, NULL, 0, NULL);
        if (rc == KBJ_OK)
            rc = set_meta(st, "schema_version", migrations[m].version);
        if (rc == KBJ_OK)
            rc = set_meta(st, "min_code_version", migrations[m].min_code);
        if (rc == KBJ_OK)
            s.version = migrations[m].version;
    }
    {
        char keep[sizeof kbj_store_err(st)->msg];
        memcpy(keep, kbj_store_errmsg(st), sizeof keep);
        (void)kbj_store_exec(st, "DO RELEASE_LOCK(?)", (kbj_val[]){ KBJ_VS(lock) }, 1, NULL);
        memcpy(kbj_store_err(st)->msg, keep, sizeof keep);
    }
    eng->schema_version = s.version;
    return rc;
}

static int migrate(kbj_engine *eng, int all, const kbj_migrate_progress *progress)
{
    migrate_work mw = { eng, all, progress };
    if (!eng || !eng->st)
        return KBJ_EINVAL;
    /* DDL commits implicitly in MariaDB: no transaction, the statements are idempotent. */
    return kbj_store_do(eng->st, run_migrations, &mw);
}

int kbj_migrate(kbj_engine *eng)
{
    return migrate(eng, 0, NULL);
}

int kbj_migrate_all(kbj_engine *eng, const kbj_migrate_progress *progress)
{
    return migrate(eng, 1, progress);
}

int kbj_schema_check_connected(kbj_engine *eng)
{
    schema_state s;
    int rc = kbj_store_do(eng->st, read_state, &s);
    if (rc == KBJ_OK)
        eng->schema_version = s.version;
    return rc ? rc : schema_check(eng, &s);
}

int kbj_schema_behind(kbj_engine *eng)
{
    return eng && eng->schema_version < KBJ_SCHEMA_OLDEST;
}

int kbj_schema_require(kbj_engine *eng)
{
    if (!kbj_schema_behind(eng))
        return KBJ_OK;
    /* migrated since this engine connected (by another process, or another engine here)? */
    if (kbj_schema_check_connected(eng) == KBJ_OK && !kbj_schema_behind(eng))
        return KBJ_OK;
    if (eng->schema_version == 0)
        return kbj_efail(eng, KBJ_EUNSUPPORTED, "the kbjobs tables are not made yet: migrate first");
    return kbj_efail(eng, KBJ_EUNSUPPORTED, "the kbjobs tables are at schema %d and this is kbjobs %s, which needs "
                     "schema %d: stop the runners, run `wp kb migrate`, then start them again",
                     eng->schema_version, KBJ_VERSION, KBJ_SCHEMA_OLDEST);
}
