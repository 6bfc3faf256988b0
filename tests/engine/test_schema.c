/* The schema: migrations, version checks for rolling deploys, the claim query's plan and
 * the tables' engine and character set, against the real MariaDB. Tests that need a
 * pristine schema use their own table prefix and drop its tables at the end. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* lease.c: the claim's SELECT, with "{p}" for the prefix and two ?: queue, limit. */
extern const char *kbj_claim_sql(void);

#define NTABLES 19 /* meta jobs (a view) job_state job_data keys attempts runners failures alerts diag
                      * queues resources artifacts audit cron_keys cron_events cron_runs metrics
                      * metrics_hist */
/* 14 split the jobs table: code before it cannot work with the tables since. */
#define MIN_CODE 14

static kbj_engine *connected(const char *prefix)
{
    kbj_engine *eng = NULL;
    if (kbj_test_connect_prefix(prefix, 0, &eng) != KBJ_OK)
        fail_msg("connect: %s", kbj_errmsg(eng));
    return eng;
}

/* How many tables the engine's prefix has. */
static long long table_count(kbj_engine *eng)
{
    kbj_rows *rows = NULL;
    long long n;
    const char *p = kbj_store_prefix(eng->st);
    if (kbj_store_query(eng->st, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
                        " AND LEFT(TABLE_NAME, CHAR_LENGTH(?)) = ?",
                        (kbj_val[]){ KBJ_VS(p), KBJ_VS(p) }, 2, &rows) != KBJ_OK)
        fail_msg("count tables: %s", kbj_errmsg(eng));
    n = kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return n;
}

/* A fingerprint of every column and index definition under the engine's prefix. */
static long long schema_fingerprint(kbj_engine *eng)
{
    kbj_rows *rows = NULL;
    long long n;
    const char *p = kbj_store_prefix(eng->st);
    if (kbj_store_query(eng->st,
                        "SELECT (SELECT SUM(CRC32(CONCAT_WS('|', TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION,"
                        " COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, 'none'), IFNULL(COLLATION_NAME, ''))))"
                        " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                        " AND LEFT(TABLE_NAME, CHAR_LENGTH(?)) = ?)"
                        " + (SELECT SUM(CRC32(CONCAT_WS('|', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME,"
                        " NON_UNIQUE))) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
                        " AND LEFT(TABLE_NAME, CHAR_LENGTH(?)) = ?)",
                        (kbj_val[]){ KBJ_VS(p), KBJ_VS(p), KBJ_VS(p), KBJ_VS(p) }, 4, &rows) != KBJ_OK)
        fail_msg("fingerprint: %s", kbj_errmsg(eng));
    n = kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return n;
}

static void set_meta(kbj_engine *eng, const char *name, int value)
{
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_meta SET value = '%d' WHERE name = '%s'", value, name);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
}

static void assert_schema(kbj_engine *eng, int want_version, int want_min)
{
    int v = -1, m = -1;
    if (kbj_schema_info(eng, &v, &m) != KBJ_OK)
        fail_msg("schema info: %s", kbj_errmsg(eng));
    assert_int_equal(v, want_version);
    assert_int_equal(m, want_min);
}

/* Submits, claims and completes one job: what a runner of this code does. */
static void run_one_job(kbj_engine *eng)
{
    static const char *const queues[] = { "compat" };
    kbj_submit s = { .type = "compat.t", .queue = "compat", .params = "{\"n\":1}" };
    char id[17], runner[17];
    kbj_lease *l = NULL;
    size_t n = 0;
    kbj_job *j = NULL;

    if (kbj_submit_job(eng, &s, id, NULL) != KBJ_OK)
        fail_msg("submit: %s", kbj_errmsg(eng));
    if (kbj_runner_register(eng, "schema-test", 1, NULL, "compat", runner) != KBJ_OK)
        fail_msg("register: %s", kbj_errmsg(eng));
    if (kbj_claim(eng, runner, queues, 1, 1, &l, &n) != KBJ_OK)
        fail_msg("claim: %s", kbj_errmsg(eng));
    assert_int_equal(n, 1);
    assert_string_equal(l->id, id);
    assert_string_equal(l->params, "{\"n\":1}");
    if (kbj_complete(eng, l, "{\"ok\":true}") != KBJ_OK)
        fail_msg("complete: %s", kbj_errmsg(eng));
    kbj_leases_free(l, n);
    assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
    assert_string_equal(j->status, "completed");
    assert_string_equal(j->result, "{\"ok\":true}");
    kbj_job_free(j);
}

static void migrating_twice_changes_nothing(void **state)
{
    kbj_engine *eng;
    long long tables, print;
    char id[17];
    (void)state;

    kbj_test_drop_prefix("kbt_sch1_");
    eng = connected("kbt_sch1_");
    /* before the first migration there is no schema */
    assert_int_equal(table_count(eng), 0);
    assert_schema(eng, 0, 0);

    assert_int_equal(kbj_migrate(eng), KBJ_OK);
    assert_schema(eng, KBJ_SCHEMA_VERSION, MIN_CODE);
    tables = table_count(eng);
    assert_int_equal(tables, NTABLES);
    print = schema_fingerprint(eng);
    assert_true(print != 0);

    /* state written between migrations survives the next one */
    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "keep.me", "{\"a\":1}", NULL));
    set_meta(eng, "failures_evicted", 7);

    assert_int_equal(kbj_migrate(eng), KBJ_OK);
    assert_int_equal(kbj_migrate(eng), KBJ_OK);
    assert_schema(eng, KBJ_SCHEMA_VERSION, MIN_CODE);
    assert_int_equal(table_count(eng), tables);
    assert_int_equal(schema_fingerprint(eng), print);
    assert_string_equal(kbj_test_status(eng, id), "queued");
    {
        unsigned long long evicted = 0;
        assert_int_equal(kbj_failures_count(eng, NULL, &evicted), KBJ_OK);
        assert_int_equal(evicted, 7);
    }
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_meta"), 3);

    /* a second engine on the migrated schema sees the same */
    {
        kbj_engine *other = connected("kbt_sch1_");
        assert_schema(other, KBJ_SCHEMA_VERSION, MIN_CODE);
        assert_int_equal(kbj_migrate(other), KBJ_OK);
        kbj_test_engine_free(other);
    }
    assert_int_equal(schema_fingerprint(eng), print);
    kbj_test_engine_free(eng);
    kbj_test_drop_prefix("kbt_sch1_");
}

static void a_newer_compatible_schema_still_works_and_is_left_alone(void **state)
{
    kbj_engine *old, *eng;
    long long print;
    (void)state;

    kbj_test_drop_prefix("kbt_sch2_");
    old = connected("kbt_sch2_");
    assert_int_equal(kbj_migrate(old), KBJ_OK);
    /* what newer code's additive migration would do: a new column (with a default, as
     * older code does not write it), a new table, and a higher version with the same
     * minimum code version */
    kbj_test_exec(old, "ALTER TABLE {p}kbjobs_job_state ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0,"
                  " ADD KEY shard (shard)");
    kbj_test_exec(old, "CREATE TABLE {p}kbjobs_future (id INT PRIMARY KEY)"
                  " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    set_meta(old, "schema_version", KBJ_SCHEMA_VERSION + 1);
    print = schema_fingerprint(old);

    /* code already connected keeps working, and so does code that connects now */
    run_one_job(old);
    assert_int_equal(kbj_test_connect_prefix("kbt_sch2_", 0, &eng), KBJ_OK);
    assert_schema(eng, KBJ_SCHEMA_VERSION + 1, MIN_CODE);
    run_one_job(eng);

    /* migrating changes nothing: no downgrade of the version, the new column stays */
    assert_int_equal(kbj_migrate(eng), KBJ_OK);
    assert_int_equal(kbj_migrate(old), KBJ_OK);
    assert_schema(eng, KBJ_SCHEMA_VERSION + 1, MIN_CODE);
    assert_int_equal(schema_fingerprint(eng), print);
    assert_int_equal(table_count(eng), NTABLES + 1);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_job_state WHERE shard = 0"
                                       " AND status = 'completed'"), 2);
    run_one_job(eng);

    kbj_test_engine_free(eng);
    kbj_test_engine_free(old);
    kbj_test_drop_prefix("kbt_sch2_");
}

static void a_schema_that_needs_newer_code_is_refused(void **state)
{
    kbj_engine *old, *eng = NULL;
    char want[3][64];
    int rc;
    long long print;
    (void)state;

    kbj_test_drop_prefix("kbt_sch3_");
    old = connected("kbt_sch3_");
    assert_int_equal(kbj_migrate(old), KBJ_OK);
    set_meta(old, "schema_version", KBJ_SCHEMA_VERSION + 2);
    set_meta(old, "min_code_version", KBJ_SCHEMA_VERSION + 1);
    print = schema_fingerprint(old);
    snprintf(want[0], sizeof want[0], "version %d", KBJ_SCHEMA_VERSION + 2);
    snprintf(want[1], sizeof want[1], "schema %d or newer", KBJ_SCHEMA_VERSION + 1);
    snprintf(want[2], sizeof want[2], "(schema %d)", KBJ_SCHEMA_VERSION);

    rc = kbj_test_connect_prefix("kbt_sch3_", 0, &eng);
    assert_int_equal(rc, KBJ_EUNSUPPORTED);
    for (int i = 0; i < 3; i++)
        if (!strstr(kbj_errmsg(eng), want[i]))
            fail_msg("connect message \"%s\" does not name \"%s\"", kbj_errmsg(eng), want[i]);
    kbj_test_engine_free(eng);

    /* an engine that connected before the upgrade cannot migrate it either */
    assert_int_equal(kbj_migrate(old), KBJ_EUNSUPPORTED);
    for (int i = 0; i < 3; i++)
        if (!strstr(kbj_errmsg(old), want[i]))
            fail_msg("migrate message \"%s\" does not name \"%s\"", kbj_errmsg(old), want[i]);
    /* and nothing changed */
    assert_schema(old, KBJ_SCHEMA_VERSION + 2, KBJ_SCHEMA_VERSION + 1);
    assert_int_equal(schema_fingerprint(old), print);
    assert_int_equal(table_count(old), NTABLES);

    /* the migration lock was released: once the schema is compatible again, migrate runs */
    set_meta(old, "min_code_version", KBJ_SCHEMA_VERSION);
    assert_int_equal(kbj_migrate(old), KBJ_OK);
    assert_int_equal(kbj_test_connect_prefix("kbt_sch3_", 0, &eng), KBJ_OK);
    kbj_test_engine_free(eng);
    kbj_test_engine_free(old);
    kbj_test_drop_prefix("kbt_sch3_");
}

typedef struct migrate_thread {
    kbj_engine *eng;
    int rc;
} migrate_thread;

static void *migrate_main(void *arg)
{
    migrate_thread *t = arg;
    kbj_store_thread_init();
    t->rc = kbj_migrate(t->eng);
    kbj_store_thread_end();
    return NULL;
}

static void concurrent_first_migrations_do_not_collide(void **state)
{
    enum { N = 4 };
    migrate_thread t[N];
    pthread_t th[N];
    (void)state;

    kbj_test_drop_prefix("kbt_sch4_");
    for (int i = 0; i < N; i++) {
        t[i].eng = connected("kbt_sch4_");
        t[i].rc = -100;
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&th[i], NULL, migrate_main, &t[i]), 0);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++)
        if (t[i].rc != KBJ_OK)
            fail_msg("migration %d: %d %s", i, t[i].rc, kbj_errmsg(t[i].eng));
    assert_int_equal(table_count(t[0].eng), NTABLES);
    assert_schema(t[0].eng, KBJ_SCHEMA_VERSION, MIN_CODE);
    assert_int_equal(kbj_test_int(t[0].eng, "SELECT COUNT(*) FROM {p}kbjobs_meta"), 3);
    run_one_job(t[1].eng);
    for (int i = 0; i < N; i++)
        kbj_test_engine_free(t[i].eng);
    kbj_test_drop_prefix("kbt_sch4_");
}

static void schema_info_refuses_a_missing_engine(void **state)
{
    int v = 5, m = 5;
    (void)state;
    assert_int_equal(kbj_schema_info(NULL, &v, &m), KBJ_EINVAL);
    assert_int_equal(kbj_migrate(NULL), KBJ_EINVAL);
}

/* The claim SQL with its two parameters as literals. */
static char *claim_sql_with(const char *queue, int limit)
{
    const char *sql = kbj_claim_sql(), *q1 = strchr(sql, '?'), *q2;
    size_t cap;
    char *out;
    assert_non_null(q1);
    q2 = strchr(q1 + 1, '?');
    assert_non_null(q2);
    assert_null(strchr(q2 + 1, '?'));
    cap = strlen(sql) + strlen(queue) + 64;
    out = malloc(cap);
    assert_non_null(out);
    snprintf(out, cap, "EXPLAIN %.*s'%s'%.*s%d%s", (int)(q1 - sql), sql, queue, (int)(q2 - q1 - 1), q1 + 1,
             limit, q2 + 1);
    return out;
}

static void the_claim_query_uses_the_claim_index_without_a_filesort(void **state)
{
    kbj_engine *eng = kbj_test_engine("kbt_sch_", 0);
    enum { N = 6000 };
    kbj_submit *jobs = calloc(N, sizeof *jobs);
    char (*ids)[17] = calloc(N, sizeof *ids);
    static const char *const queues[] = { "imports", "default", "reconcile", "mail" };
    kbj_rows *rows = NULL;
    char *sql;
    int seen_jobs = 0;
    (void)state;

    assert_non_null(jobs);
    assert_non_null(ids);
    for (int i = 0; i < N; i++) {
        jobs[i].type = "plan.t";
        jobs[i].queue = queues[i % 4];
        jobs[i].priority = (i % 7) - 3;
        jobs[i].delay_ms = i % 5 == 0 ? 3600 * 1000 : 0;
        jobs[i].concurrency_key = i % 3 == 0 ? "source:a" : NULL;
    }
    assert_int_equal(kbj_submit_many(eng, jobs, N, ids), KBJ_OK);
    /* a realistic table: 4,000 queued jobs (some not yet due) among finished ones */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET status = 'completed', finished_at = NOW(6) WHERE id % 3 = 0");
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs WHERE status = 'queued'"), 4000);
    kbj_test_exec(eng, "INSERT INTO {p}kbjobs_keys (ckey, job_id) VALUES ('source:a', 1)");
    /* ANALYZE returns rows: through kbj_store_query, which reads them */
    if (kbj_store_query(eng->st, "ANALYZE TABLE {p}kbjobs_job_state, {p}kbjobs_keys", NULL, 0, &rows) != KBJ_OK)
        fail_msg("analyze: %s", kbj_errmsg(eng));
    kbj_rows_free(rows);
    rows = NULL;

    for (size_t q = 0; q < 2; q++) {
        sql = claim_sql_with(queues[q], 10);
        if (kbj_store_query(eng->st, sql, NULL, 0, &rows) != KBJ_OK)
            fail_msg("%s: %s", sql, kbj_errmsg(eng));
        for (size_t i = 0; i < kbj_rows_count(rows); i++) {
            const char *table = kbj_rows_str(rows, i, 2), *key = kbj_rows_str(rows, i, 5);
            const char *extra = kbj_rows_str(rows, i, 9);
            if (extra && (strstr(extra, "filesort") || strstr(extra, "temporary")))
                fail_msg("row %zu of the claim's plan (table %s) has \"%s\"", i, table, extra);
            if (table && strcmp(table, "s") == 0) {
                seen_jobs++;
                if (!key || strcmp(key, "claim") != 0)
                    fail_msg("the claim reads the jobs table through key %s, not `claim` (type %s, extra %s)",
                             key ? key : "NULL", kbj_rows_str(rows, i, 3), extra ? extra : "");
            }
            if (table && strcmp(table, "k") == 0 && (!key || strcmp(key, "PRIMARY") != 0))
                fail_msg("the concurrency-key check reads kbjobs_keys through key %s, not its primary key",
                         key ? key : "NULL");
        }
        kbj_rows_free(rows);
        free(sql);
    }
    assert_int_equal(seen_jobs, 2);
    free(jobs);
    free(ids);
    kbj_test_engine_free(eng);
}

static void tables_are_innodb_and_utf8mb4(void **state)
{
    kbj_engine *eng = kbj_test_engine("kbt_sch_", 0);
    kbj_rows *rows = NULL;
    const char *p = kbj_store_prefix(eng->st);
    (void)state;

    if (kbj_store_query(eng->st, "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES"
                        " WHERE TABLE_SCHEMA = DATABASE() AND LEFT(TABLE_NAME, CHAR_LENGTH(?)) = ?"
                        " AND TABLE_TYPE = 'BASE TABLE'",
                        (kbj_val[]){ KBJ_VS(p), KBJ_VS(p) }, 2, &rows) != KBJ_OK)
        fail_msg("tables: %s", kbj_errmsg(eng));
    assert_int_equal(kbj_rows_count(rows), NTABLES - 1); /* and the jobs view */
    for (size_t i = 0; i < kbj_rows_count(rows); i++) {
        if (strcmp(kbj_rows_str(rows, i, 1), "InnoDB") != 0)
            fail_msg("%s uses %s", kbj_rows_str(rows, i, 0), kbj_rows_str(rows, i, 1));
        if (strncmp(kbj_rows_str(rows, i, 2), "utf8mb4_", 8) != 0)
            fail_msg("%s is collated %s", kbj_rows_str(rows, i, 0), kbj_rows_str(rows, i, 2));
    }
    kbj_rows_free(rows);

    /* every text column is utf8mb4, or ascii for identifiers and names */
    assert_int_equal(kbj_store_query(eng->st, "SELECT COUNT(*), SUM(CHARACTER_SET_NAME = 'utf8mb4')"
                                     " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                                     " AND LEFT(TABLE_NAME, CHAR_LENGTH(?)) = ? AND CHARACTER_SET_NAME IS NOT NULL"
                                     " AND CHARACTER_SET_NAME NOT IN ('utf8mb4', 'ascii')",
                                     (kbj_val[]){ KBJ_VS(p), KBJ_VS(p) }, 2, &rows), KBJ_OK);
    assert_int_equal(kbj_rows_int(rows, 0, 0), 0);
    kbj_rows_free(rows);
    /* and the free-text ones are utf8mb4 */
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM information_schema.COLUMNS"
                                       " WHERE TABLE_SCHEMA = DATABASE() AND CHARACTER_SET_NAME = 'utf8mb4'"
                                       " AND TABLE_NAME IN ('kbt_sch_kbjobs_jobs', 'kbt_sch_kbjobs_failures',"
                                       " 'kbt_sch_kbjobs_attempts', 'kbt_sch_kbjobs_runners')"
                                       " AND COLUMN_NAME IN ('params', 'result', 'error', 'title', 'message',"
                                       " 'concurrency_key', 'unique_key', 'host')"), 9);
    /* a four-byte character round-trips through a job */
    {
        const char *id = kbj_test_submit(eng, "emoji.t", "{\"t\":\"\xf0\x9f\x93\x9a\"}", NULL);
        kbj_job *j = NULL;
        assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
        assert_string_equal(j->params, "{\"t\":\"\xf0\x9f\x93\x9a\"}");
        kbj_job_free(j);
    }
    kbj_test_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrating_twice_changes_nothing),
        cmocka_unit_test(a_newer_compatible_schema_still_works_and_is_left_alone),
        cmocka_unit_test(a_schema_that_needs_newer_code_is_refused),
        cmocka_unit_test(concurrent_first_migrations_do_not_collide),
        cmocka_unit_test(schema_info_refuses_a_missing_engine),
        cmocka_unit_test(the_claim_query_uses_the_claim_index_without_a_filesort),
        cmocka_unit_test(tables_are_innodb_and_utf8mb4),
    };
    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
