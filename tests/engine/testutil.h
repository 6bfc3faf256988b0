/*
 * testutil.h - what every engine test shares: the connection to the test MariaDB that
 * tools/test.sh starts, described by the KBJOBS_DB_* variables of its env.sh.
 */
#ifndef KBJ_TESTUTIL_H
#define KBJ_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store.h"

/* The test database's settings, connecting through the Unix socket
 * ("localhost:/path.sock"). Fails the test when the environment is missing. */
kbj_db_settings kbj_test_settings(void);

/* The same database through TCP ("127.0.0.1:<port>"). */
kbj_db_settings kbj_test_settings_tcp(void);

/* A connected store, or a failed test. */
kbj_store *kbj_test_store(void);

/* An environment variable that must be set, or a failed test. */
const char *kbj_test_env(const char *name);

#endif
