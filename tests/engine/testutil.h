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

#include "internal.h"

/* The test database's settings, connecting through the Unix socket
 * ("localhost:/path.sock"). Fails the test when the environment is missing. */
kbj_db_settings kbj_test_settings(void);

/* The same database through TCP ("127.0.0.1:<port>"). */
kbj_db_settings kbj_test_settings_tcp(void);

/* A connected store, or a failed test. */
kbj_store *kbj_test_store(void);

/* An environment variable that must be set, or a failed test. */
const char *kbj_test_env(const char *name);

/*
 * An engine connected to the test database with table prefix `prefix`, migrated, with
 * every kbjobs table emptied, a fresh data directory under $KBJOBS_TEST_TMP (or /tmp),
 * and the given lease time (0: the default). Fails the test on error.
 */
kbj_engine *kbj_test_engine(const char *prefix, unsigned lease_seconds);

/* A second engine on the same tables and data directory, on its own connection (for
 * threads; a forked child opens its own with kbj_test_engine_open). */
kbj_engine *kbj_test_engine_join(kbj_engine *eng);

/* An engine on an existing test schema with `prefix`, without emptying anything, using
 * data_dir; for forked children. */
kbj_engine *kbj_test_engine_open(const char *prefix, unsigned lease_seconds, const char *data_dir);

/* Drops every table and view whose name starts with `prefix` (tests of the schema). */
void kbj_test_drop_prefix(const char *prefix);

/* A new engine connected with `prefix` and a fresh data directory, not migrated, with the
 * native job types when it connected; returns kbj_engine_connect's code. The engine is
 * returned either way (free it with kbj_test_engine_free). */
int kbj_test_connect_prefix(const char *prefix, unsigned lease_seconds, kbj_engine **out);

/* Runs SQL through the engine's store ("{p}" is the prefix); fails the test on error.
 * Returns the affected-row count. The one way tests write jobs directly: an UPDATE or
 * DELETE of "{p}kbjobs_jobs" (a view) is run on the jobs' two tables joined by id (an
 * UPDATE that changes both counts each changed row of each). */
unsigned long long kbj_test_exec(kbj_engine *eng, const char *sql);

/* Runs a query and returns the first column of the first row as an integer (0 if none). */
long long kbj_test_int(kbj_engine *eng, const char *sql);

/* Submits a job of `type` with `params` to `queue` and returns its id (static buffer
 * rotated among 8, enough for one assertion's worth). */
const char *kbj_test_submit(kbj_engine *eng, const char *type, const char *params, const char *queue);

/* The job's status (static buffer rotated among 8). */
const char *kbj_test_status(kbj_engine *eng, const char *id);

/* cmocka setup/teardown: *state becomes a fresh mkdtemp directory (a malloc'd path)
 * under $TMPDIR or /tmp, removed with everything in it afterwards. */
int kbj_test_tmpdir_setup(void **state);
int kbj_test_tmpdir_teardown(void **state);

/* Removes a directory tree (for data directories). */
void kbj_test_rmtree(const char *path);

/* Frees an engine and removes its data directory. */
void kbj_test_engine_free(kbj_engine *eng);

/* cmocka teardown for a setup that put a kbj_test_engine in *state: frees it. */
int kbj_test_engine_teardown(void **state);

/* Submits `n` jobs of `type` without parameters to `queue` in one kbj_submit_many;
 * fails the test on error. */
void kbj_test_submit_n(kbj_engine *eng, const char *type, const char *queue, int n);

/* Runs `queue` until it is empty (kbj_run with until_empty) and returns the report;
 * fails the test when kbj_run fails. */
kbj_run_report kbj_test_run_queue(kbj_engine *eng, const char *queue);

/* The job (free it with kbj_job_free), or a failed test. */
kbj_job *kbj_test_job(kbj_engine *eng, const char *id);

/* One expression over the job's row, as an integer:
 * "SELECT <expr> FROM {p}kbjobs_jobs WHERE public_id = <id>". */
long long kbj_test_job_int(kbj_engine *eng, const char *expr, const char *id);

/* Expires the running job's lease by the database clock (lease_expires a second ago), as
 * if its runner had stopped renewing it long enough ago; the next kbj_reap takes it.
 * Fails the test unless exactly that job was running. */
void kbj_test_expire_lease(kbj_engine *eng, const char *id);

/* Sleeps `ms` milliseconds. */
void kbj_test_msleep(unsigned ms);

/* Seconds on the monotonic clock, for measuring how long something took. */
double kbj_test_now(void);

#endif
