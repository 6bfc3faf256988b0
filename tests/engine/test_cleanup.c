/* Cleanup (kbj_cleanup and the "cleanup" job type) against the real MariaDB and a real
 * data directory: old finished jobs go with their files, a queued, running or
 * interrupted job's stay, stale checkpoints go, a dry run changes nothing and counts what
 * the real run then removes, and the work is bounded in batches and time. Age comes from
 * backdated rows and file times, never from waiting. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int setup(void **state)
{
    *state = kbj_test_engine("kbt_cleanup_", 0);
    return 0;
}

/* Writes 100 bytes to data_dir/sub/<name><suffix> (`days_old` days old by its mtime). */
static void put(kbj_engine *eng, const char *sub, const char *name, const char *suffix, int days_old)
{
    char dir[1024], path[1200], data[100];
    FILE *f;
    snprintf(dir, sizeof dir, "%s/%s", eng->data_dir, sub);
    for (char *slash = strchr(dir + strlen(eng->data_dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(dir, 0700);
        *slash = '/';
    }
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix);
    assert_non_null(f = fopen(path, "w"));
    memset(data, 'x', sizeof data);
    assert_int_equal(fwrite(data, 1, sizeof data, f), sizeof data);
    fclose(f);
    if (days_old) {
        struct timeval tv[2];
        gettimeofday(&tv[0], NULL);
        tv[0].tv_sec -= days_old * 86400L;
        tv[1] = tv[0];
        assert_int_equal(utimes(path, tv), 0);
    }
}

static int has(kbj_engine *eng, const char *sub, const char *name, const char *suffix)
{
    char path[1200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s/%s%s", eng->data_dir, sub, name, suffix);
    return stat(path, &sb) == 0;
}

/* Every file a job can have. */
static void put_all(kbj_engine *eng, const char *id, int days_old)
{
    put(eng, "logs", id, ".log", days_old);
    put(eng, "checkpoints", id, ".checkpoint.json", days_old);
    put(eng, "checkpoints", id, ".partial.json", days_old);
    put(eng, "lists", id, ".urls", days_old);
    put(eng, "lists", id, ".idx", days_old);
    put(eng, "lists", id, ".failed.jsonl", days_old);
}

static int has_all(kbj_engine *eng, const char *id)
{
    return has(eng, "logs", id, ".log") && has(eng, "checkpoints", id, ".checkpoint.json") &&
           has(eng, "lists", id, ".urls") && has(eng, "lists", id, ".idx") && has(eng, "lists", id, ".failed.jsonl");
}

static int has_none(kbj_engine *eng, const char *id)
{
    return !has(eng, "logs", id, ".log") && !has(eng, "checkpoints", id, ".checkpoint.json") &&
           !has(eng, "checkpoints", id, ".partial.json") && !has(eng, "lists", id, ".urls") &&
           !has(eng, "lists", id, ".idx") && !has(eng, "lists", id, ".failed.jsonl");
}

/* A job made `status`, finished `days` days ago when it is a finished status. */
static const char *job(kbj_engine *eng, const char *status, int days, const char *params)
{
    static char ids[16][KBJ_ID_LEN + 1];
    static int next;
    char sql[400], *id = ids[next++ % 16];
    kbj_copy(id, KBJ_ID_LEN + 1, kbj_test_submit(eng, "diag.echo", params ? params : "{}", "c1"));
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_jobs SET status = '%s', finished_at = %s WHERE public_id = '%s'",
             status, days >= 0 ? "NOW(6) - INTERVAL %d DAY" : "NULL", id);
    {
        char full[480];
        snprintf(full, sizeof full, sql, days);
        kbj_test_exec(eng, full);
    }
    return id;
}

static kbj_cleanup_result cleanup(kbj_engine *eng, kbj_cleanup_opts o)
{
    kbj_cleanup_result r;
    if (kbj_cleanup(eng, &o, &r) != KBJ_OK)
        fail_msg("cleanup: %s", kbj_errmsg(eng));
    return r;
}

static void old_finished_jobs_go_with_their_files_and_live_jobs_keep_theirs(void **state)
{
    kbj_engine *eng = *state;
    char old[3][KBJ_ID_LEN + 1], recent[KBJ_ID_LEN + 1], queued[KBJ_ID_LEN + 1], running[KBJ_ID_LEN + 1],
        shared[KBJ_ID_LEN + 1], rerun[KBJ_ID_LEN + 1], fresh_int[KBJ_ID_LEN + 1], stale_int[KBJ_ID_LEN + 1],
        params[64];
    kbj_cleanup_result dry, real;
    kbj_cleanup_opts o = { .logs_days = 30 };
    long long rows;
    char today_folder[32];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(today_folder, sizeof today_folder, "quarantine/%Y-%m-%d", &tm);

    kbj_copy(old[0], sizeof old[0], job(eng, "completed", 40, NULL));
    kbj_copy(old[1], sizeof old[1], job(eng, "failed", 40, NULL));
    kbj_copy(old[2], sizeof old[2], job(eng, "cancelled", 31, NULL));
    kbj_copy(recent, sizeof recent, job(eng, "completed", 3, NULL));
    kbj_copy(queued, sizeof queued, job(eng, "queued", -1, NULL));
    kbj_copy(running, sizeof running, job(eng, "running", -1, NULL));
    /* an old import whose list a queued rerun still reads */
    kbj_copy(shared, sizeof shared, job(eng, "completed", 40, NULL));
    snprintf(params, sizeof params, "{\"list\": \"%s\"}", shared);
    kbj_copy(rerun, sizeof rerun, kbj_test_submit(eng, "diag.echo", "{}", "c1"));
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET type = 'import' WHERE queue = 'c1'"
                  " AND status IN ('completed', 'queued')");
    {
        char sql[300];
        snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_jobs SET params = '%s' WHERE public_id = '%s'", params, rerun);
        kbj_test_exec(eng, sql);
    }
    kbj_copy(fresh_int, sizeof fresh_int, job(eng, "interrupted", -1, NULL));
    kbj_copy(stale_int, sizeof stale_int, job(eng, "interrupted", -1, NULL));
    for (int i = 0; i < 3; i++)
        put_all(eng, old[i], 40);
    put_all(eng, recent, 3);
    put_all(eng, queued, 40);   /* even old files of a live job stay */
    put_all(eng, running, 40);
    put_all(eng, shared, 40);
    put(eng, "checkpoints", fresh_int, ".checkpoint.json", 1);
    put(eng, "checkpoints", stale_int, ".checkpoint.json", 8);
    put(eng, "logs", old[0], ".reconcile.jsonl", 40); /* a reconcile job's report goes with it */
    /* quarantine folders go by the date in their name (a moved file keeps its old mtime) */
    put(eng, "quarantine/2020-01-01", "orphan", ".json", 40);
    put(eng, "quarantine/2020-01-01/artifacts/ab", "moved", ".json", 2);
    put(eng, today_folder, "old-mtime", ".json", 400);
    rows = kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs");

    /* a dry run counts and changes nothing */
    o.dry_run = 1;
    dry = cleanup(eng, o);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), rows);
    for (int i = 0; i < 3; i++)
        assert_true(has_all(eng, old[i]));
    assert_true(has(eng, "checkpoints", stale_int, ".checkpoint.json"));
    assert_true(has(eng, "quarantine/2020-01-01", "orphan", ".json"));
    assert_true(has(eng, "logs", old[0], ".reconcile.jsonl"));

    o.dry_run = 0;
    real = cleanup(eng, o);
    assert_int_equal(real.jobs, 4);
    assert_int_equal(real.logs, 4 + 1);        /* and the one reconcile report */
    assert_int_equal(real.checkpoints, 4 + 1); /* the old jobs' and the stale interrupted one */
    assert_int_equal(real.lists, 3);           /* not the one the rerun reads */
    assert_int_equal(real.failed_items, 3);
    assert_int_equal(real.quarantine, 2);      /* the dated folder's files, not today's */
    assert_int_equal(real.more, 0);
    assert_true(real.bytes_freed >= 100ULL * (4 * 3 + 3 * 3 + 1 + 2 + 1));
    assert_memory_equal(&dry, &real, sizeof dry);

    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), rows - 4);
    for (int i = 0; i < 3; i++)
        assert_true(has_none(eng, old[i]));
    assert_true(has_all(eng, recent));
    assert_true(has_all(eng, queued));
    assert_true(has_all(eng, running));
    assert_true(has(eng, "lists", shared, ".urls") && has(eng, "lists", shared, ".idx"));
    assert_false(has(eng, "logs", shared, ".log"));
    assert_true(has(eng, "checkpoints", fresh_int, ".checkpoint.json"));
    assert_false(has(eng, "checkpoints", stale_int, ".checkpoint.json"));
    assert_false(has(eng, "logs", old[0], ".reconcile.jsonl"));
    assert_false(has(eng, "quarantine/2020-01-01", "orphan", ".json"));
    {
        char dir[1100];
        struct stat sb;
        snprintf(dir, sizeof dir, "%s/quarantine/2020-01-01", eng->data_dir);
        assert_int_not_equal(lstat(dir, &sb), 0); /* the folder itself is gone */
    }
    assert_true(has(eng, today_folder, "old-mtime", ".json"));
    assert_true(strcmp(kbj_test_status(eng, queued), "queued") == 0);

    /* nothing left: a second run removes nothing */
    real = cleanup(eng, o);
    assert_int_equal(real.jobs + real.logs + real.checkpoints + real.lists + real.quarantine, 0);
}

static void logs_go_after_logs_days_while_their_jobs_stay(void **state)
{
    kbj_engine *eng = *state;
    char a[KBJ_ID_LEN + 1], b[KBJ_ID_LEN + 1];
    kbj_cleanup_result r;
    kbj_cleanup_opts o = { .jobs_days = 30, .logs_days = 5, .batch = 1 };

    kbj_copy(a, sizeof a, job(eng, "completed", 10, NULL));
    kbj_copy(b, sizeof b, job(eng, "failed", 2, NULL));
    put(eng, "logs", a, ".log", 10);
    put(eng, "logs", b, ".log", 2);
    r = cleanup(eng, o);
    assert_int_equal(r.jobs, 0);
    assert_int_equal(r.logs, 1);
    assert_false(has(eng, "logs", a, ".log"));
    assert_true(has(eng, "logs", b, ".log"));
    assert_string_equal(kbj_test_status(eng, a), "completed");
    /* the cursor moved past it: a log written again later is not looked at twice */
    put(eng, "logs", a, ".log", 10);
    r = cleanup(eng, o);
    assert_int_equal(r.logs, 0);
}

/* 300 old jobs, batches of 10 and 0.1 ms (less than any 30 transactions take: 50 ms was
 * enough for all 300 on a quick run): the first run stops with `more`, the next ones
 * continue until all are gone. */
static void work_is_bounded_by_batches_and_time_and_the_next_run_continues(void **state)
{
    kbj_engine *eng = *state;
    kbj_cleanup_opts o = { .batch = 10, .max_seconds = 0.0001 };
    kbj_cleanup_result r;
    unsigned long long total = 0;
    int runs = 0;

    kbj_test_submit_n(eng, "diag.echo", "c2", 300);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET status = 'completed', finished_at = NOW(6) - INTERVAL 60 DAY");
    r = cleanup(eng, o);
    assert_int_equal(r.more, 1);
    assert_true(r.jobs < 300);
    assert_int_equal(r.jobs % 10, 0);
    total = r.jobs;
    o.max_seconds = 30;
    do {
        r = cleanup(eng, o);
        total += r.jobs;
    } while (r.more && ++runs < 100);
    assert_int_equal(total, 300);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 0);
}

/* The job type: submitted with params, run by a runner, its counts in its result; bad
 * params are refused at submit. */
static void the_cleanup_job_type_runs_the_same_work(void **state)
{
    kbj_engine *eng = *state;
    const char *id;
    kbj_job *j;
    char bad[KBJ_ID_LEN + 1];
    kbj_submit s = { .type = "cleanup", .params = "{\"jobs_days\": 0}", .queue = "c3" };

    job(eng, "completed", 40, NULL);
    kbj_test_exec(eng, "INSERT INTO {p}kbjobs_audit (at, source, action, outcome)"
                  " VALUES (NOW(6) - INTERVAL 100 DAY, 'cli', 'job.cancel', 'ok'), (NOW(6), 'cli', 'job.cancel', 'ok')");
    assert_int_equal(kbj_submit_job(eng, &s, bad, NULL), KBJ_EINVAL);
    id = kbj_test_submit(eng, "cleanup", "{\"batch\": 100}", "c3");
    kbj_test_run_queue(eng, "c3");
    j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "completed");
    assert_non_null(strstr(j->result, "\"jobs\":1"));
    assert_non_null(strstr(j->result, "\"audit\":1"));
    assert_non_null(strstr(j->result, "\"more\":false"));
    kbj_job_free(j);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_audit"), 1);
}

static void options_out_of_range_are_refused(void **state)
{
    kbj_engine *eng = *state;
    kbj_cleanup_result r;
    kbj_cleanup_opts bad[] = { { .jobs_days = 40000 }, { .batch = 10001 }, { .max_seconds = 4000 },
                               { .max_seconds = -1 } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(kbj_cleanup(eng, &bad[i], &r), KBJ_EINVAL);
}

/* kbj_retention (Engine::retention) removes what the cleanup job removes: logs, the
 * reconcile report, checkpoints, the URL list with its index and failed items, except a
 * list a rerun left in the table still reads. */
static void retention_removes_a_jobs_lists_and_report_but_not_a_shared_list(void **state)
{
    kbj_engine *eng = *state;
    char old[KBJ_ID_LEN + 1], shared[KBJ_ID_LEN + 1], sql[300];
    size_t deleted = 0;

    kbj_copy(old, sizeof old, job(eng, "completed", 40, NULL));
    kbj_copy(shared, sizeof shared, job(eng, "completed", 40, NULL));
    put_all(eng, old, 40);
    put(eng, "logs", old, ".reconcile.jsonl", 40);
    put_all(eng, shared, 40);
    kbj_test_submit(eng, "diag.echo", "{}", "c4");
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_jobs SET type = 'import', params = '{\"list\": \"%s\"}'"
             " WHERE queue = 'c4'", shared);
    kbj_test_exec(eng, sql);
    assert_int_equal(kbj_retention(eng, 30, &deleted), KBJ_OK);
    assert_int_equal(deleted, 2);
    assert_true(has_none(eng, old));
    assert_false(has(eng, "logs", old, ".reconcile.jsonl"));
    assert_true(has(eng, "lists", shared, ".urls") && has(eng, "lists", shared, ".idx") &&
                has(eng, "lists", shared, ".failed.jsonl"));
    assert_false(has(eng, "logs", shared, ".log"));
}

static void today(char *out, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, cap, "%Y-%m-%d", &tm);
}

/* A file goes to quarantine/<today>/<its path>, its folders made; the same name again
 * gets a numbered suffix, never replacing the first. */
static void quarantine_moves_a_file_under_its_own_path_and_never_overwrites(void **state)
{
    kbj_engine *eng = *state;
    char out[4096], want[256], day[16];
    struct stat sb;

    today(day, sizeof day);
    put(eng, "artifacts/ab", "abcd", ".json", 0);
    assert_int_equal(kbj_quarantine(eng, "artifacts/ab/abcd.json", out, sizeof out), KBJ_OK);
    snprintf(want, sizeof want, "quarantine/%s/artifacts/ab/abcd.json", day);
    assert_string_equal(out, want);
    assert_false(has(eng, "artifacts/ab", "abcd", ".json"));
    {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", eng->data_dir, out);
        assert_int_equal(lstat(path, &sb), 0);
        assert_int_equal(sb.st_size, 100);
    }
    put(eng, "artifacts/ab", "abcd", ".json", 0);
    assert_int_equal(kbj_quarantine(eng, "artifacts/ab/abcd.json", out, sizeof out), KBJ_OK);
    snprintf(want, sizeof want, "quarantine/%s/artifacts/ab/abcd.json.1", day);
    assert_string_equal(out, want);
    /* the first one is still there */
    snprintf(want, sizeof want, "quarantine/%s/artifacts/ab", day);
    assert_true(has(eng, want, "abcd", ".json"));
    assert_true(has(eng, want, "abcd", ".json.1"));
    /* a hostile name (a space, a newline, a leading dash) is moved like any other */
    put(eng, "logs", "-bad name\n", ".log", 0);
    assert_int_equal(kbj_quarantine(eng, "logs/-bad name\n.log", out, sizeof out), KBJ_OK);
    assert_false(has(eng, "logs", "-bad name\n", ".log"));
    assert_int_equal(kbj_quarantine(eng, "logs/nothing.log", out, sizeof out), KBJ_ENOTFOUND);
}

/* Paths that could reach outside the data directory, or the quarantine itself, are
 * refused; a symlinked folder on the way is never entered, and a symlink as the file is
 * moved itself, its target untouched. */
static void quarantine_refuses_hostile_paths_and_never_follows_a_symlink(void **state)
{
    kbj_engine *eng = *state;
    char out[1024], outside[] = "/tmp/kbjobs-outside-XXXXXX", path[2048], day[16], q[64];
    const char *bad[] = { "", "/etc/passwd", "../x", "logs/../../x", "logs/./x", "logs//x", "logs/",
                          "quarantine/x.json", "logs" };
    struct stat sb;
    FILE *f;

    today(day, sizeof day);
    put(eng, "logs", "keep", ".log", 0);
    put(eng, "quarantine/2020-01-01", "x", ".json", 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kbj_quarantine(eng, bad[i], out, sizeof out) != KBJ_EINVAL)
            fail_msg("\"%s\" was not refused", bad[i]);
    assert_true(has(eng, "logs", "keep", ".log"));
    assert_true(has(eng, "quarantine/2020-01-01", "x", ".json"));

    assert_non_null(mkdtemp(outside));
    snprintf(path, sizeof path, "%s/secret", outside);
    assert_non_null(f = fopen(path, "w"));
    fputs("secret", f);
    fclose(f);
    /* a folder that is a symlink to outside: refused, the outside file stays */
    snprintf(path, sizeof path, "%s/evil", eng->data_dir);
    assert_int_equal(symlink(outside, path), 0);
    assert_int_equal(kbj_quarantine(eng, "evil/secret", out, sizeof out), KBJ_EINVAL);
    /* a file that is a symlink to outside: the link moves, its target does not */
    snprintf(path, sizeof path, "%s/logs/link.log", eng->data_dir);
    {
        char target[1100];
        snprintf(target, sizeof target, "%s/secret", outside);
        assert_int_equal(symlink(target, path), 0);
    }
    assert_int_equal(kbj_quarantine(eng, "logs/link.log", out, sizeof out), KBJ_OK);
    snprintf(q, sizeof q, "quarantine/%s/logs/link.log", day);
    assert_string_equal(out, q);
    snprintf(path, sizeof path, "%s/%s", eng->data_dir, out);
    assert_int_equal(lstat(path, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    snprintf(path, sizeof path, "%s/secret", outside);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 6);
    /* the quarantine folder itself a symlink to outside: refused, nothing goes there */
    {
        char qdir[1100], moved[1100];
        snprintf(qdir, sizeof qdir, "%s/quarantine", eng->data_dir);
        snprintf(moved, sizeof moved, "%s/quarantine.real", eng->data_dir);
        assert_int_equal(rename(qdir, moved), 0);
        assert_int_equal(symlink(outside, qdir), 0);
        assert_int_not_equal(kbj_quarantine(eng, "logs/keep.log", out, sizeof out), KBJ_OK);
        assert_true(has(eng, "logs", "keep", ".log"));
        unlink(qdir);
        rename(moved, qdir);
    }
    snprintf(path, sizeof path, "%s/secret", outside);
    unlink(path);
    rmdir(outside);
    snprintf(path, sizeof path, "%s/evil", eng->data_dir);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(old_finished_jobs_go_with_their_files_and_live_jobs_keep_theirs, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(logs_go_after_logs_days_while_their_jobs_stay, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(work_is_bounded_by_batches_and_time_and_the_next_run_continues, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(the_cleanup_job_type_runs_the_same_work, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(options_out_of_range_are_refused, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(retention_removes_a_jobs_lists_and_report_but_not_a_shared_list, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(quarantine_moves_a_file_under_its_own_path_and_never_overwrites, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(quarantine_refuses_hostile_paths_and_never_follows_a_symlink, setup,
                                        kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("cleanup", tests, NULL, NULL);
}
