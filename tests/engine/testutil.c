#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

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
