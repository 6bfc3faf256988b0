/*
 * The private MariaDB that the tests start behaves as the engine's claims need:
 * SELECT ... FOR UPDATE SKIP LOCKED from two connections at once never blocks.
 * Talks to the server directly (libmariadb), below the engine.
 */
#include "testutil.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static MYSQL *raw_connect(void)
{
    MYSQL *db = mysql_init(NULL);
    assert_non_null(db);
    if (!mysql_real_connect(db, "localhost", kbj_test_env("KBJOBS_DB_USER"),
                            kbj_test_env("KBJOBS_DB_PASSWORD"), kbj_test_env("KBJOBS_DB_NAME"), 0,
                            kbj_test_env("KBJOBS_DB_SOCKET"), 0))
        fail_msg("connect: %s", mysql_error(db));
    return db;
}

static void sql(MYSQL *db, const char *q)
{
    if (mysql_query(db, q))
        fail_msg("%s: %s", q, mysql_error(db));
}

/* Runs a query and returns its rows' first column joined with ',' (caller frees),
 * or NULL with *err set to the server's error number. */
static char *column(MYSQL *db, const char *q, unsigned *err)
{
    char *out = calloc(1, 256);
    MYSQL_RES *res;
    MYSQL_ROW row;
    *err = 0;
    if (mysql_query(db, q)) {
        *err = mysql_errno(db);
        free(out);
        return NULL;
    }
    res = mysql_store_result(db);
    while ((row = mysql_fetch_row(res)))
        snprintf(out + strlen(out), 256 - strlen(out), "%s%s", *out ? "," : "", row[0]);
    mysql_free_result(res);
    return out;
}

static void skip_locked_from_two_connections_does_not_block(void **state)
{
    MYSQL *a = raw_connect(), *b = raw_connect();
    unsigned err;
    char *got;
    (void)state;

    sql(a, "CREATE OR REPLACE TABLE kbt_skip_locked (id INT PRIMARY KEY) ENGINE=InnoDB");
    sql(a, "INSERT INTO kbt_skip_locked VALUES (1),(2),(3),(4)");
    sql(b, "SET SESSION innodb_lock_wait_timeout = 1");

    sql(a, "START TRANSACTION");
    got = column(a, "SELECT id FROM kbt_skip_locked ORDER BY id LIMIT 2 FOR UPDATE SKIP LOCKED", &err);
    assert_non_null(got);
    assert_string_equal(got, "1,2");
    free(got);

    /* The rows are really locked: NOWAIT on one of them fails at once ... */
    sql(b, "START TRANSACTION");
    got = column(b, "SELECT id FROM kbt_skip_locked WHERE id = 1 FOR UPDATE NOWAIT", &err);
    assert_null(got);
    assert_int_equal(err, 1205);
    /* ... and SKIP LOCKED passes them by without waiting for the lock. */
    got = column(b, "SELECT id FROM kbt_skip_locked ORDER BY id LIMIT 2 FOR UPDATE SKIP LOCKED", &err);
    if (!got)
        fail_msg("second connection blocked or failed: error %u", err);
    assert_string_equal(got, "3,4");
    free(got);

    sql(a, "COMMIT");
    sql(b, "COMMIT");
    sql(a, "DROP TABLE kbt_skip_locked");
    mysql_close(a);
    mysql_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(skip_locked_from_two_connections_does_not_block),
    };
    return cmocka_run_group_tests_name("mariadb", tests, NULL, NULL);
}
