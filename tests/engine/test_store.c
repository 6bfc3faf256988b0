/* The store: WordPress-style connection settings, server checks, connecting. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void parse_db_host_accepts_every_wordpress_form(void **state)
{
    static const struct {
        const char *in, *host;
        unsigned port;
        const char *socket;
    } cases[] = {
        { "localhost", "localhost", 0, "" },
        { "localhost:/run/mysqld/mysqld.sock", "localhost", 0, "/run/mysqld/mysqld.sock" },
        { "127.0.0.1:3307", "127.0.0.1", 3307, "" },
        { "[::1]:3306", "::1", 3306, "" },
        { "[::1]", "::1", 0, "" },
        { "db.example.com", "db.example.com", 0, "" },
        { "db-1.internal:33060", "db-1.internal", 33060, "" },
        { "/tmp/my.sock", "localhost", 0, "/tmp/my.sock" },
        { "localhost:3306:/tmp/my.sock", "localhost", 3306, "/tmp/my.sock" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kbj_host h;
        if (kbj_parse_db_host(cases[i].in, &h) != KBJ_OK)
            fail_msg("refused %s", cases[i].in);
        assert_string_equal(h.host, cases[i].host);
        assert_int_equal(h.port, cases[i].port);
        assert_string_equal(h.socket, cases[i].socket);
    }
}

static void parse_db_host_refuses_malformed_values(void **state)
{
    static const char *bad[] = {
        "", ":3306", "localhost:", "localhost:0", "localhost:65536", "localhost:12ab",
        "[::1", "[]:3306", "[::1]x", "[zz::1]:3306", "host name", "localhost:run/relative.sock",
        "localhost:3306:relative", "host;drop", "localhost:999999",
    };
    kbj_host h;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kbj_parse_db_host(bad[i], &h) != KBJ_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(kbj_parse_db_host(NULL, &h), KBJ_EINVAL);

    char longhost[600];
    memset(longhost, 'a', sizeof longhost - 1);
    longhost[sizeof longhost - 1] = '\0';
    assert_int_equal(kbj_parse_db_host(longhost, &h), KBJ_EINVAL);
}

static void skip_locked_needs_mariadb_10_6_or_mysql_8_0_1(void **state)
{
    (void)state;
    assert_true(kbj_server_supports_skip_locked("10.11.19-MariaDB-0+deb12u1", 101119));
    assert_true(kbj_server_supports_skip_locked("10.6.0-MariaDB", 100600));
    assert_false(kbj_server_supports_skip_locked("10.5.23-MariaDB", 100523));
    assert_false(kbj_server_supports_skip_locked("10.3.39-MariaDB", 100339));
    assert_true(kbj_server_supports_skip_locked("8.0.1", 80001));
    assert_true(kbj_server_supports_skip_locked("8.4.3", 80403));
    assert_false(kbj_server_supports_skip_locked("8.0.0-dmr", 80000));
    assert_false(kbj_server_supports_skip_locked("5.7.44", 50744));
}

static void connects_through_the_socket_and_through_tcp(void **state)
{
    kbj_db_settings forms[2] = { kbj_test_settings(), kbj_test_settings_tcp() };
    (void)state;
    for (int i = 0; i < 2; i++) {
        kbj_store *st = kbj_store_new();
        assert_non_null(st);
        if (kbj_store_connect(st, &forms[i]) != KBJ_OK)
            fail_msg("%s: %s", forms[i].host, kbj_store_errmsg(st));
        assert_non_null(strstr(kbj_store_server_info(st), "MariaDB"));
        assert_string_equal(kbj_store_prefix(st), "kbt_");
        assert_string_equal(kbj_store_errmsg(st), "");
        kbj_store_free(st);
    }
}

static void wrong_password_is_a_connect_error_naming_the_host(void **state)
{
    kbj_db_settings s = kbj_test_settings_tcp();
    kbj_store *st = kbj_store_new();
    (void)state;
    s.password = "definitely-not-the-password";
    assert_int_equal(kbj_store_connect(st, &s), KBJ_ECONNECT);
    assert_non_null(strstr(kbj_store_errmsg(st), s.host));
    assert_non_null(strstr(kbj_store_errmsg(st), "Access denied"));
    assert_string_equal(kbj_store_server_info(st), "");
    kbj_store_free(st);
}

static void unreachable_server_is_a_connect_error(void **state)
{
    kbj_db_settings s = kbj_test_settings();
    kbj_store *st = kbj_store_new();
    (void)state;
    s.host = "localhost:/nonexistent/kbjobs.sock";
    assert_int_equal(kbj_store_connect(st, &s), KBJ_ECONNECT);
    assert_non_null(strstr(kbj_store_errmsg(st), "/nonexistent/kbjobs.sock"));
    kbj_store_free(st);
}

static void bad_settings_are_refused_before_connecting(void **state)
{
    kbj_db_settings s = kbj_test_settings();
    kbj_store *st = kbj_store_new();
    (void)state;

    s.prefix = "wp_; DROP TABLE x";
    assert_int_equal(kbj_store_connect(st, &s), KBJ_EINVAL);
    assert_non_null(strstr(kbj_store_errmsg(st), "table prefix"));

    s = kbj_test_settings();
    s.host = "[::1";
    assert_int_equal(kbj_store_connect(st, &s), KBJ_EINVAL);
    assert_non_null(strstr(kbj_store_errmsg(st), "malformed database host"));

    s = kbj_test_settings();
    s.user = NULL;
    assert_int_equal(kbj_store_connect(st, &s), KBJ_EINVAL);
    assert_int_equal(kbj_store_connect(NULL, &s), KBJ_EINVAL);
    kbj_store_free(st);
    kbj_store_free(NULL);
}

static void reconnecting_a_connected_store_replaces_its_connection(void **state)
{
    kbj_store *st = kbj_test_store();
    kbj_db_settings tcp = kbj_test_settings_tcp();
    (void)state;
    assert_int_equal(kbj_store_connect(st, &tcp), KBJ_OK);
    assert_non_null(strstr(kbj_store_server_info(st), "MariaDB"));
    kbj_store_free(st);
}

/* Up to the cap a count is exact; above it, an estimate that is never below cap + 1 and
 * that the index makes close to the truth; an empty match is 0, exact. The reads stop
 * at cap + 1 rows: Handler_read_next shows it. */
static void a_bounded_count_is_exact_up_to_its_cap_then_estimated(void **state)
{
    kbj_store *st = kbj_test_store();
    kbj_rows *rows = NULL;
    unsigned long long n = 0;
    int est = -1;
    long long before;
    (void)state;
    assert_int_equal(kbj_store_exec(st, "DROP TABLE IF EXISTS {p}count_t", NULL, 0, NULL), KBJ_OK);
    assert_int_equal(kbj_store_exec(st, "CREATE TABLE {p}count_t (id INT AUTO_INCREMENT PRIMARY KEY,"
                                        " k VARCHAR(8) NOT NULL, KEY k (k)) ENGINE=InnoDB", NULL, 0, NULL), KBJ_OK);
    assert_int_equal(kbj_store_exec(st, "INSERT INTO {p}count_t (k) SELECT IF(seq % 10 = 0, 'few', 'many')"
                                        " FROM seq_1_to_20000", NULL, 0, NULL), KBJ_OK);
    assert_int_equal(kbj_store_exec(st, "ANALYZE TABLE {p}count_t", NULL, 0, NULL), KBJ_OK);

    assert_int_equal(kbj_store_count_upto(st, "{p}count_t WHERE k = ?", (kbj_val[]){ KBJ_VS("few") }, 1, 5000,
                                          &n, &est), KBJ_OK);
    assert_int_equal(n, 2000);
    assert_int_equal(est, 0);

    assert_int_equal(kbj_store_query(st, "SHOW SESSION STATUS LIKE 'Handler_read_next'", NULL, 0, &rows), KBJ_OK);
    before = atoll(kbj_rows_str(rows, 0, 1));
    kbj_rows_free(rows);
    assert_int_equal(kbj_store_count_upto(st, "{p}count_t WHERE k = ?", (kbj_val[]){ KBJ_VS("many") }, 1, 100,
                                          &n, &est), KBJ_OK);
    assert_int_equal(kbj_store_query(st, "SHOW SESSION STATUS LIKE 'Handler_read_next'", NULL, 0, &rows), KBJ_OK);
    print_message("estimate for 18000 rows: %llu, rows read: %lld\n", n, atoll(kbj_rows_str(rows, 0, 1)) - before);
    assert_true(atoll(kbj_rows_str(rows, 0, 1)) - before <= 101);
    kbj_rows_free(rows);
    assert_int_equal(est, 1);
    assert_true(n >= 101);
    assert_true(n > 18000 / 2 - 100 && n < 18000 * 2); /* InnoDB: at most half the table */

    assert_int_equal(kbj_store_count_upto(st, "{p}count_t WHERE k = ?", (kbj_val[]){ KBJ_VS("none") }, 1, 100,
                                          &n, &est), KBJ_OK);
    assert_int_equal(n, 0);
    assert_int_equal(est, 0);
    assert_int_equal(kbj_store_exec(st, "DROP TABLE {p}count_t", NULL, 0, NULL), KBJ_OK);
    kbj_store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_db_host_accepts_every_wordpress_form),
        cmocka_unit_test(parse_db_host_refuses_malformed_values),
        cmocka_unit_test(skip_locked_needs_mariadb_10_6_or_mysql_8_0_1),
        cmocka_unit_test(connects_through_the_socket_and_through_tcp),
        cmocka_unit_test(wrong_password_is_a_connect_error_naming_the_host),
        cmocka_unit_test(unreachable_server_is_a_connect_error),
        cmocka_unit_test(bad_settings_are_refused_before_connecting),
        cmocka_unit_test(reconnecting_a_connected_store_replaces_its_connection),
        cmocka_unit_test(a_bounded_count_is_exact_up_to_its_cap_then_estimated),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
